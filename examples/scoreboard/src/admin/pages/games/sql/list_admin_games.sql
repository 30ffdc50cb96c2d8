-- The score desk: every game in schedule order.
SELECT id, home_code, away_code, home_score, away_score, period, final = 1 AS is_final
FROM games
ORDER BY id;
