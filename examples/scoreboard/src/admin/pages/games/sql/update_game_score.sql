-- Sets a game's score and period. Final games are never changed here (no row comes back).
-- `user_id` is who changed it.
-- returns: GameUpdateRow
-- :opt
UPDATE games
SET home_score = :home_score, away_score = :away_score, period = :period, updated_by = :user_id
WHERE id = :game_id AND final = 0
RETURNING id, home_code, away_code, home_score, away_score, period, final = 1 AS is_final;
