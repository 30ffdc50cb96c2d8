-- Teams stored in their primary key's b-tree (`WITHOUT ROWID`): every game row looks up two
-- teams by code, and a rowid table costs two searches per lookup (the key's index, then the
-- table) where this costs one. SQLite cannot change that with ALTER TABLE, so the table is
-- rebuilt; `games` references it, which is why migrations check foreign keys at their end
-- (docs/adr/0037). Postgres has no rowid: its migrations have no counterpart.
CREATE TABLE teams_by_code (
  code TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  slug TEXT NOT NULL
) WITHOUT ROWID;

INSERT INTO teams_by_code (code, name, slug) SELECT code, name, slug FROM teams;
DROP TABLE teams;
ALTER TABLE teams_by_code RENAME TO teams;

CREATE UNIQUE INDEX IF NOT EXISTS idx_teams_slug ON teams (slug);
