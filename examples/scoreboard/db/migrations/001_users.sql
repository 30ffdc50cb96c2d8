-- People who can sign in. Emails are stored trimmed and lowercased; the sign-in code hash is
-- `$rally-login-code-hmac-sha256$v=1$…` (the demo code for every seeded user is A1Z9Q).
CREATE TABLE IF NOT EXISTS users (
  id INTEGER PRIMARY KEY,
  email TEXT NOT NULL UNIQUE,
  display_name TEXT,
  sign_in_code_hash TEXT NOT NULL,
  role TEXT NOT NULL DEFAULT 'fan' CHECK (role IN ('admin', 'fan')),
  created_at TEXT NOT NULL DEFAULT (datetime('now'))
);
