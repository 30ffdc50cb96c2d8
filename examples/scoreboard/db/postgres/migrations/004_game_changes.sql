-- Who last changed each game from the score desk (NULL: nobody yet, as seeded).
ALTER TABLE games ADD COLUMN updated_by bigint REFERENCES users (id);
