INSERT INTO counter (id, count) VALUES (1, 0);
