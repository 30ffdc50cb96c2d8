-- Ends a game; its score stays as it is. `user_id` is who ended it.
-- returns: GameUpdateRow
-- :opt
UPDATE games
SET period = 'Final', final = 1, updated_by = :user_id
WHERE id = :game_id
RETURNING id, home_code, away_code, home_score, away_score, period, final = 1 AS is_final;
