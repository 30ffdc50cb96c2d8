-- Six teams. Montréal's slug is deliberately not ASCII: it exercises percent-encoding in
-- paths and UTF-8 through the hydration payload.
INSERT INTO teams (code, name, slug)
VALUES
  ('TOR', 'Toronto Towers', 'toronto-towers'),
  ('MTL', 'Montreal Meteors', 'montréal-meteors'),
  ('VAN', 'Vancouver Voyagers', 'vancouver-voyagers'),
  ('NYC', 'New York Comets', 'new-york-comets'),
  ('BOS', 'Boston Blizzards', 'boston-blizzards'),
  ('LAK', 'Los Angeles Knights', 'los-angeles-knights')
ON CONFLICT DO NOTHING;
