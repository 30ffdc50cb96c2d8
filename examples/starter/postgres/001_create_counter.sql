CREATE TABLE counter (
  id bigint PRIMARY KEY,
  count bigint NOT NULL
);
