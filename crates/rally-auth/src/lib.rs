//! Rally's sign-in runtime: [`session`] (the encrypted `__rally_auth` cookie backed by a
//! server-side session store), [`auth`] (secret hashing, login codes, per-mount policy) and
//! [`auth_http`] (the standard sign-in routes: email code, Google, sign-out).
//!
//! Re-exported by `rally` (feature `server`) as `rally::session`, `rally::auth` and
//! `rally::auth_http`. See `docs/auth.md`.

pub mod auth;
pub mod auth_http;
pub mod session;

mod crypto;
#[cfg(feature = "postgres")]
mod pg_store;
#[cfg(feature = "redis")]
mod redis_store;

pub use crypto::CryptoError;
