-- The score desk: every game in schedule order, with who last changed it.
SELECT
  g.id,
  g.home_code,
  g.away_code,
  g.home_score,
  g.away_score,
  g.period,
  g.final = 1 AS is_final,
  COALESCE(u.display_name, u.email) AS changed_by
FROM games g
LEFT JOIN users u ON u.id = g.updated_by
ORDER BY g.id;
