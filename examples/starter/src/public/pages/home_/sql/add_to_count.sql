-- Adds to the count, creating it on the first save; the upsert always returns its row.
-- :one
INSERT INTO counter (id, count) VALUES (1, :delta)
ON CONFLICT (id) DO UPDATE SET count = counter.count + :delta
RETURNING count;
