-- How many games a user was the last to change on the score desk.
SELECT COUNT(*) AS changed
FROM games
WHERE updated_by = :user_id;
