-- Every game with both teams, in schedule order; `:team_code` (when given) keeps one team's
-- games. Used by the games, standings and team pages.
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
WHERE CAST(:team_code AS TEXT) IS NULL OR g.home_code = :team_code OR g.away_code = :team_code
ORDER BY g.id;
