-- The league's teams; `slug` names a team's page (`/teams/<slug>`).
CREATE TABLE teams (
  code text PRIMARY KEY,
  name text NOT NULL,
  slug text NOT NULL
);

CREATE UNIQUE INDEX idx_teams_slug ON teams (slug);
