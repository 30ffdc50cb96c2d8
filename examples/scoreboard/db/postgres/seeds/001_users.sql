-- Two demo users (as db/seeds/001_users.sql); both sign in with the code A1Z9Q (HMAC-SHA256 with the secret
-- `scoreboard-demo-secret`, scoped to the email). Only the admin may open the score desk.
INSERT INTO users (email, display_name, sign_in_code_hash, role)
VALUES
  ('admin@example.com', NULL, '$rally-login-code-hmac-sha256$v=1$SUvc9TOau_HmvzxwSkduw2POVNDwqq1x-HetwIF28_E', 'admin'),
  ('fan@example.com', 'Fan', '$rally-login-code-hmac-sha256$v=1$LP3OoxyYmVWZb9RiH3vWI20CNh5-SkpRUIucN0IxQ4s', 'fan')
ON CONFLICT (email) DO UPDATE SET
  sign_in_code_hash = excluded.sign_in_code_hash,
  role = excluded.role;
