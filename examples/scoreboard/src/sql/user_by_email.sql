-- A user by normalised email, with the stored sign-in code hash.
-- :opt
SELECT id, sign_in_code_hash
FROM users
WHERE email = :email
LIMIT 1;
