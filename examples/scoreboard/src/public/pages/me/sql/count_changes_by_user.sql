-- How many games a user was the last to change on the score desk.
-- :one
SELECT COUNT(*) AS changed
FROM games
WHERE updated_by = :user_id;
