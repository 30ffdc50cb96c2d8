-- The team a page's slug names (its record is computed from its games).
SELECT code AS code!, name, slug
FROM teams
WHERE slug = :slug;
