-- The team a page's slug names (its record is computed from its games).
-- :opt
SELECT code AS code!, name, slug
FROM teams
WHERE slug = :slug;
