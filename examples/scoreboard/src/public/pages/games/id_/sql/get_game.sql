-- One game with both teams (also read by the broadcast after a save).
-- :opt
SELECT
  g.id,
  g.home_code,
  home.name AS home_name,
  home.slug AS home_slug,
  g.away_code,
  away.name AS away_name,
  away.slug AS away_slug,
  g.home_score,
  g.away_score,
  g.period,
  g.final = 1 AS is_final
FROM games g
JOIN teams home ON home.code = g.home_code
JOIN teams away ON away.code = g.away_code
WHERE g.id = :game_id;
