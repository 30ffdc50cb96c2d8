INSERT INTO counter (id, count) VALUES (1, :delta)
ON CONFLICT (id) DO UPDATE SET count = count + :delta
RETURNING count;
