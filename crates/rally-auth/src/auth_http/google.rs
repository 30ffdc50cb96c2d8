//! Google sign-in (OpenID Connect authorization code flow with PKCE and nonce).
//!
//! `GET /sign_in/google` keeps state, nonce, PKCE verifier and return path in one encrypted,
//! short-lived cookie (`__rally_google`, scoped to `/sign_in/google`). The callback checks the
//! state against it, exchanges the code at the token endpoint, verifies the ID token (signature
//! against the provider's JWKS, issuer, audience, expiry, nonce), and asks the app for the local
//! user.

//!
//! The flow needs an OpenID client and an HTTP client with TLS (a few hundred crates), so it is
//! compiled only with the `google` feature; without it, the routes answer 503 and say so.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

#[cfg(feature = "google")]
mod flow;
#[cfg(feature = "google")]
pub(super) use flow::{callback, start};

/// The app's OAuth client at Google (from the Google Cloud console).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GoogleCredentials {
    /// The client id.
    pub client_id: String,
    /// The client secret.
    pub client_secret: String,
    /// This app's callback URL as registered, e.g. `https://app.example/sign_in/google/callback`.
    pub redirect_uri: String,
}

impl GoogleCredentials {
    /// From `GOOGLE_CLIENT_ID`, `GOOGLE_CLIENT_SECRET` and `GOOGLE_REDIRECT_URI` read through
    /// `get` (use `rally::env::get`); `None` unless all three are set and non-empty.
    pub fn from_env(get: impl Fn(&str) -> Option<String>) -> Option<Self> {
        let var = |name: &str| get(name).filter(|v| !v.trim().is_empty());
        Some(GoogleCredentials {
            client_id: var("GOOGLE_CLIENT_ID")?,
            client_secret: var("GOOGLE_CLIENT_SECRET")?,
            redirect_uri: var("GOOGLE_REDIRECT_URI")?,
        })
    }
}

/// An OpenID provider's endpoints. [`OidcProvider::google`] is the default; tests point these at
/// a fake provider on 127.0.0.1.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OidcProvider {
    /// The issuer URL the verifier expects.
    pub issuer: String,
    /// Every `iss` value accepted in ID tokens (Google uses two spellings).
    pub accepted_issuers: Vec<String>,
    /// Where the browser is sent to sign in.
    pub authorize_url: String,
    /// Where the code is exchanged for tokens.
    pub token_url: String,
    /// The provider's signing keys.
    pub jwks_url: String,
}

impl OidcProvider {
    /// Google's endpoints.
    pub fn google() -> Self {
        OidcProvider {
            issuer: "https://accounts.google.com".into(),
            accepted_issuers: vec![
                "https://accounts.google.com".into(),
                "accounts.google.com".into(),
            ],
            authorize_url: "https://accounts.google.com/o/oauth2/v2/auth".into(),
            token_url: "https://oauth2.googleapis.com/token".into(),
            jwks_url: "https://www.googleapis.com/oauth2/v3/certs".into(),
        }
    }
}

/// A verified Google identity, for the app to map to a local user.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GoogleIdentity {
    /// Google's stable user id (`sub`): the key to link accounts by.
    pub subject: String,
    /// The account's email, if shared.
    pub email: Option<String>,
    /// Whether Google verified that email. Link by email only when true.
    pub email_verified: bool,
    /// The display name, if shared.
    pub name: Option<String>,
}

#[cfg(feature = "google")]
fn not_configured() -> Response {
    (
        StatusCode::SERVICE_UNAVAILABLE,
        "Google sign-in is not configured",
    )
        .into_response()
}

/// `GET /sign_in/google` in a build without the `google` feature.
#[cfg(not(feature = "google"))]
pub(super) async fn start<A: super::AuthApp>(_: axum::extract::State<super::Auth<A>>) -> Response {
    not_compiled_in()
}

/// `GET /sign_in/google/callback` in a build without the `google` feature.
#[cfg(not(feature = "google"))]
pub(super) async fn callback<A: super::AuthApp>(
    _: axum::extract::State<super::Auth<A>>,
) -> Response {
    not_compiled_in()
}

#[cfg(not(feature = "google"))]
fn not_compiled_in() -> Response {
    (
        StatusCode::SERVICE_UNAVAILABLE,
        "Google sign-in is not compiled in: enable the `google` feature of rally",
    )
        .into_response()
}
