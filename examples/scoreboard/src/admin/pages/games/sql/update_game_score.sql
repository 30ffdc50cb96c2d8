-- Sets a game's score and period. Final games are never changed here (no row comes back).
UPDATE games
SET home_score = :home_score, away_score = :away_score, period = :period
WHERE id = :game_id AND final = 0
RETURNING id, home_code, away_code, home_score, away_score, period, final = 1 AS is_final;
