-- Ends a game; its score stays as it is.
UPDATE games
SET period = 'Final', final = 1
WHERE id = :game_id
RETURNING id, home_code, away_code, home_score, away_score, period, final = 1 AS is_final;
