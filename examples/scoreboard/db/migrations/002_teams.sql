-- The league's teams; `slug` names a team's page (`/teams/<slug>`).
CREATE TABLE IF NOT EXISTS teams (
  code TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  slug TEXT NOT NULL
);

CREATE UNIQUE INDEX IF NOT EXISTS idx_teams_slug ON teams (slug);
