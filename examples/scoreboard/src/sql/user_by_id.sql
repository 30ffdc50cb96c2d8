-- The signed-in user behind a session.
-- :opt
SELECT id, email, display_name, role
FROM users
WHERE id = :user_id
LIMIT 1;
