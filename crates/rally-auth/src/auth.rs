//! Secret hashing, login codes and the per-mount authorization policy.
//!
//! Formats are upstream Rally's, so hashes stored by an upstream app verify here:
//! - secrets: `$rally-pbkdf2-sha256$v=1$i=600000$<salt>$<hash>` (PBKDF2-HMAC-SHA256, 16-byte
//!   random salt, 32-byte key, base64url without padding);
//! - login codes: `$rally-login-code-hmac-sha256$v=1$<HMAC-SHA256(secret, scope ":" code)>` with
//!   scope and code trimmed and lowercased.
//!
//! ```
//! use rally_auth::auth;
//!
//! assert!(auth::verify_login_code(
//!     "$rally-login-code-hmac-sha256$v=1$SUvc9TOau_HmvzxwSkduw2POVNDwqq1x-HetwIF28_E",
//!     "admin@example.com",
//!     "A1Z9Q",
//!     b"scoreboard-demo-secret",
//! ));
//! ```

use std::time::Duration;

use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

use crate::crypto::{self, CryptoError, b64_decode, b64_encode};
use crate::session::Identity;

/// PBKDF2 iterations for new hashes (OWASP's 2023 figure for PBKDF2-HMAC-SHA256; upstream's).
pub const PBKDF2_ITERATIONS: u32 = 600_000;
/// Upper bound on the iteration count [`verify_secret`] accepts from a stored hash.
const MAX_ITERATIONS: u32 = 10_000_000;
const SECRET_PREFIX: &str = "$rally-pbkdf2-sha256$v=1$i=";
const SALT_LEN: usize = 16;
const KEY_LEN: usize = 32;

/// Hashes a secret (a password, an API token) for storage.
pub fn hash_secret(secret: &str) -> Result<String, CryptoError> {
    hash_secret_with(secret, PBKDF2_ITERATIONS)
}

/// As [`hash_secret`] with another iteration count (tests, migrations of old hashes).
pub fn hash_secret_with(secret: &str, iterations: u32) -> Result<String, CryptoError> {
    let salt = crypto::random_bytes::<SALT_LEN>()?;
    let mut key = [0u8; KEY_LEN];
    pbkdf2::pbkdf2_hmac::<Sha256>(secret.as_bytes(), &salt, iterations.max(1), &mut key);
    Ok(format!(
        "{SECRET_PREFIX}{}${}${}",
        iterations.max(1),
        b64_encode(&salt),
        b64_encode(&key)
    ))
}

/// Whether `secret` matches `stored` (made by [`hash_secret`]). Compares in constant time; any
/// malformed `stored` value is `false`.
pub fn verify_secret(stored: &str, secret: &str) -> bool {
    let Some((iterations, salt, expected)) = parse_secret_hash(stored) else {
        return false;
    };
    let mut key = vec![0u8; expected.len()];
    pbkdf2::pbkdf2_hmac::<Sha256>(secret.as_bytes(), &salt, iterations, &mut key);
    key.ct_eq(&expected).into()
}

fn parse_secret_hash(stored: &str) -> Option<(u32, Vec<u8>, Vec<u8>)> {
    let rest = stored.strip_prefix(SECRET_PREFIX)?;
    let mut parts = rest.split('$');
    let (Some(iterations), Some(salt), Some(hash), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return None;
    };
    let iterations = iterations
        .parse::<u32>()
        .ok()
        .filter(|i| (1..=MAX_ITERATIONS).contains(i))?;
    let salt = b64_decode(salt).filter(|s| !s.is_empty())?;
    let hash = b64_decode(hash).filter(|h| !h.is_empty() && h.len() <= 64)?;
    Some((iterations, salt, hash))
}

/// The login-code alphabet: 31 symbols, no `0`, `1`, `i`, `l` or `o`.
pub const LOGIN_CODE_ALPHABET: &[u8; 31] = b"23456789abcdefghjkmnpqrstuvwxyz";
/// Characters in a login code.
pub const LOGIN_CODE_LENGTH: usize = 5;
const LOGIN_CODE_PREFIX: &str = "$rally-login-code-hmac-sha256$v=1$";
/// Random bytes at or above this are discarded so every symbol is equally likely (8 · 31).
const REJECT_FROM: u8 = 248;

/// A fresh login code: 5 characters from [`LOGIN_CODE_ALPHABET`], drawn without modulo bias.
pub fn generate_login_code() -> Result<String, CryptoError> {
    let mut code = String::with_capacity(LOGIN_CODE_LENGTH);
    while code.len() < LOGIN_CODE_LENGTH {
        for byte in crypto::random_bytes::<16>()? {
            if byte < REJECT_FROM && code.len() < LOGIN_CODE_LENGTH {
                code.push(char::from(LOGIN_CODE_ALPHABET[usize::from(byte % 31)]));
            }
        }
    }
    Ok(code)
}

/// Trims and lowercases (codes and scopes such as emails compare this way).
pub fn normalize(text: &str) -> String {
    text.trim().to_lowercase()
}

fn login_code_mac(scope: &str, code: &str, secret: &[u8]) -> Hmac<Sha256> {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret)
        .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
    mac.update(normalize(scope).as_bytes());
    mac.update(b":");
    mac.update(normalize(code).as_bytes());
    mac
}

/// The stored form of `code` for `scope` (usually the email it was sent to), keyed by the app's
/// `secret`.
pub fn hash_login_code(scope: &str, code: &str, secret: &[u8]) -> String {
    let tag = login_code_mac(scope, code, secret).finalize().into_bytes();
    format!("{LOGIN_CODE_PREFIX}{}", b64_encode(&tag))
}

/// Whether `code` for `scope` matches `stored`, in constant time.
pub fn verify_login_code(stored: &str, scope: &str, code: &str, secret: &[u8]) -> bool {
    let Some(expected) = stored.strip_prefix(LOGIN_CODE_PREFIX).and_then(b64_decode) else {
        return false;
    };
    login_code_mac(scope, code, secret)
        .verify_slice(&expected)
        .is_ok()
}

/// A login code waiting to be entered: its hash, when it stops working and how many wrong
/// guesses it has had. The app stores it (per email) between `POST /sign_in/code` and
/// `POST /sign_in`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PendingCode {
    /// [`hash_login_code`] of the code.
    pub hash: String,
    /// When it stops working (Unix seconds).
    pub expires_at: u64,
    /// Wrong guesses so far.
    pub attempts: u32,
}

/// Why a login code was not accepted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CodeError {
    /// The code is past its expiry: ask for a new one.
    #[error("the sign-in code has expired; ask for a new one")]
    Expired,
    /// Too many wrong guesses: the code no longer works; ask for a new one.
    #[error("too many wrong sign-in codes; ask for a new one")]
    TooManyAttempts,
    /// Wrong code.
    #[error("wrong sign-in code ({attempts_left} attempts left)")]
    Wrong {
        /// Guesses left before the code stops working.
        attempts_left: u32,
    },
}

impl PendingCode {
    /// How long a code works by default: 10 minutes.
    pub const DEFAULT_TTL: Duration = Duration::from_secs(10 * 60);
    /// Wrong guesses allowed by default. With 31⁵ ≈ 28.6 million codes, 5 guesses succeed by
    /// chance with probability under 2 in 10 million.
    pub const DEFAULT_MAX_ATTEMPTS: u32 = 5;

    /// A pending code for `code` sent to `scope` at `now`, working for `ttl`.
    pub fn new(scope: &str, code: &str, secret: &[u8], now: u64, ttl: Duration) -> Self {
        PendingCode {
            hash: hash_login_code(scope, code, secret),
            expires_at: now.saturating_add(ttl.as_secs()),
            attempts: 0,
        }
    }

    /// Checks a guess at `now`. A wrong guess counts an attempt (store the updated value); once
    /// `max_attempts` wrong guesses were made, or the code expired, even the right code fails.
    pub fn check(
        &mut self,
        scope: &str,
        code: &str,
        secret: &[u8],
        now: u64,
        max_attempts: u32,
    ) -> Result<(), CodeError> {
        if now >= self.expires_at {
            return Err(CodeError::Expired);
        }
        if self.attempts >= max_attempts {
            return Err(CodeError::TooManyAttempts);
        }
        if verify_login_code(&self.hash, scope, code, secret) {
            return Ok(());
        }
        self.attempts += 1;
        match max_attempts.saturating_sub(self.attempts) {
            0 => Err(CodeError::TooManyAttempts),
            attempts_left => Err(CodeError::Wrong { attempts_left }),
        }
    }
}

/// Refusal of a load or save: the connection is not signed in, or not allowed on that mount.
/// Its text is upstream's message, which the browser shows as the request's error.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("Unauthorized.")]
pub struct Unauthorized;

/// Who may load from and save to a mount's pages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Policy {
    /// Anyone, signed in or not.
    Public,
    /// Signed-in users only (and then the app's `can_access` decides per user).
    SignedIn,
}

impl Policy {
    /// Upstream's rule: the mount named `public` is public, every other mount needs a signed-in
    /// user.
    pub fn for_mount(mount: &str) -> Self {
        if mount == rally_routes::PUBLIC_MOUNT {
            Policy::Public
        } else {
            Policy::SignedIn
        }
    }

    /// Applies the policy to the requester's identity (`None` = signed out).
    pub fn check(self, identity: Option<&Identity>) -> Result<(), Unauthorized> {
        match (self, identity) {
            (Policy::Public, _) | (Policy::SignedIn, Some(_)) => Ok(()),
            (Policy::SignedIn, None) => Err(Unauthorized),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEMO_HASH: &str =
        "$rally-login-code-hmac-sha256$v=1$SUvc9TOau_HmvzxwSkduw2POVNDwqq1x-HetwIF28_E";
    const DEMO_SECRET: &[u8] = b"scoreboard-demo-secret";

    #[test]
    fn upstream_demo_login_code_hash_verifies() {
        assert_eq!(
            hash_login_code("admin@example.com", "A1Z9Q", DEMO_SECRET),
            DEMO_HASH
        );
        assert!(verify_login_code(
            DEMO_HASH,
            "admin@example.com",
            "A1Z9Q",
            DEMO_SECRET
        ));
        // Normalised: case and surrounding spaces do not matter.
        assert!(verify_login_code(
            DEMO_HASH,
            "  Admin@Example.com ",
            " a1z9q",
            DEMO_SECRET
        ));
        assert!(!verify_login_code(
            DEMO_HASH,
            "fan@example.com",
            "A1Z9Q",
            DEMO_SECRET
        ));
        assert!(!verify_login_code(
            DEMO_HASH,
            "admin@example.com",
            "A1Z9R",
            DEMO_SECRET
        ));
        assert!(!verify_login_code(
            DEMO_HASH,
            "admin@example.com",
            "A1Z9Q",
            b"other"
        ));
        assert!(!verify_login_code(
            "nonsense",
            "admin@example.com",
            "A1Z9Q",
            DEMO_SECRET
        ));
    }

    #[test]
    fn secret_hash_format_and_verify() {
        let stored = hash_secret_with("hunter2", 1000).unwrap();
        let parts: Vec<&str> = stored.split('$').collect();
        assert_eq!(parts[..4], ["", "rally-pbkdf2-sha256", "v=1", "i=1000"]);
        assert_eq!(b64_decode(parts[4]).unwrap().len(), 16);
        assert_eq!(b64_decode(parts[5]).unwrap().len(), 32);
        assert!(verify_secret(&stored, "hunter2"));
        assert!(!verify_secret(&stored, "hunter3"));
        assert_ne!(hash_secret_with("hunter2", 1000).unwrap(), stored, "salted");
        for bad in [
            "",
            "$rally-pbkdf2-sha256$v=1$i=abc$AAAA$AAAA",
            "$rally-pbkdf2-sha256$v=1$i=0$AAAA$AAAA",
            "$rally-pbkdf2-sha256$v=1$i=99999999999$AAAA$AAAA",
            "$rally-pbkdf2-sha256$v=1$i=1000$!!$AAAA",
            &format!("{stored}$extra"),
        ] {
            assert!(!verify_secret(bad, "hunter2"), "{bad}");
        }
    }

    #[test]
    fn secret_hash_uses_600000_iterations() {
        let stored = hash_secret("correct horse").unwrap();
        assert!(stored.starts_with("$rally-pbkdf2-sha256$v=1$i=600000$"));
        assert!(verify_secret(&stored, "correct horse"));
    }

    #[test]
    fn login_codes_use_the_alphabet() {
        for _ in 0..200 {
            let code = generate_login_code().unwrap();
            assert_eq!(code.len(), LOGIN_CODE_LENGTH);
            assert!(
                code.bytes().all(|b| LOGIN_CODE_ALPHABET.contains(&b)),
                "{code}"
            );
        }
        assert_eq!(LOGIN_CODE_ALPHABET.len(), 31);
        assert_eq!(u32::from(REJECT_FROM), 256 / 31 * 31);
    }

    #[test]
    fn pending_code_expiry() {
        let mut pending = PendingCode::new("a@b.c", "abcde", b"k", 1000, Duration::from_secs(600));
        assert_eq!(
            pending.clone().check("a@b.c", "abcde", b"k", 1599, 5),
            Ok(())
        );
        assert_eq!(
            pending.check("a@b.c", "abcde", b"k", 1600, 5),
            Err(CodeError::Expired)
        );
    }

    #[test]
    fn pending_code_attempt_limit() {
        let mut pending = PendingCode::new("a@b.c", "abcde", b"k", 1000, Duration::from_secs(600));
        assert_eq!(
            pending.check("a@b.c", "zzzzz", b"k", 1001, 3),
            Err(CodeError::Wrong { attempts_left: 2 })
        );
        assert_eq!(
            pending.check("a@b.c", "zzzzz", b"k", 1001, 3),
            Err(CodeError::Wrong { attempts_left: 1 })
        );
        assert_eq!(
            pending.check("a@b.c", "zzzzz", b"k", 1001, 3),
            Err(CodeError::TooManyAttempts)
        );
        // The right code no longer works.
        assert_eq!(
            pending.check("a@b.c", "abcde", b"k", 1001, 3),
            Err(CodeError::TooManyAttempts)
        );
        assert_eq!(pending.attempts, 3);
    }

    #[test]
    fn mount_policy() {
        let identity = Identity {
            user_id: 1,
            session_id: crate::session::SessionId::generate().unwrap(),
            expires_at: 0,
        };
        assert_eq!(Policy::for_mount("public").check(None), Ok(()));
        assert_eq!(Policy::for_mount("admin").check(None), Err(Unauthorized));
        assert_eq!(Policy::for_mount("admin").check(Some(&identity)), Ok(()));
        assert_eq!(Unauthorized.to_string(), "Unauthorized.");
    }
}
