//! The standard sign-in routes, as an axum [`Router`] the app merges, and the per-request
//! authentication the WebSocket dispatch uses.
//!
//! | route | what it does |
//! |---|---|
//! | `POST /sign_in/code` | form `email`, `return_to`: makes a login code, has the app store and deliver it, redirects to `/sign_in?return_to=…&sent=1` (or `&error=invalid`) |
//! | `POST /sign_in` | form `email`, `code`, `return_to`: checks the code (expiry, attempts), issues the session cookie, redirects to the narrowed local `return_to` |
//! | `GET`/`POST /sign_out` | query `return_to`: ends the session server-side, deletes the cookie, redirects |
//! | `GET /sign_in/google` | query `return_to`: redirects to Google with state, nonce and PKCE kept in an encrypted cookie |
//! | `GET /sign_in/google/callback` | checks state, exchanges the code, verifies the ID token, asks the app for the local user, issues the session |
//!
//! Every `POST` must come from this site (`Origin`, or `Referer` without one); bodies over
//! 4096 bytes get `413`; redirects go only to local paths. See `docs/auth.md`.

mod google;
mod guard;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::auth::{self, CodeError, PendingCode, Policy, Unauthorized};
use crate::session::{Identity, SessionKey, Sessions, now_unix};

pub use google::{GoogleCredentials, GoogleIdentity, OidcProvider};
pub use guard::{is_local_path, safe_local_path, sign_in_redirect_url};

/// The largest form body the routes read (upstream's limit).
pub const MAX_FORM_BYTES: usize = 4096;

/// An error from an app callback; logged, and the user sees the invalid-sign-in redirect.
pub type AppError = Box<dyn std::error::Error + Send + Sync>;

/// What the app provides to the sign-in routes: one trait for user lookup, login-code storage
/// and delivery, provider credentials, return-path narrowing and authorization.
pub trait AuthApp: Send + Sync + 'static {
    /// The user id for a normalised (trimmed, lowercased) email, if such a user may sign in.
    fn user_by_email(
        &self,
        email: &str,
    ) -> impl Future<Output = Result<Option<i64>, AppError>> + Send;

    /// The pending login code stored for `email`.
    fn load_code(
        &self,
        email: &str,
    ) -> impl Future<Output = Result<Option<PendingCode>, AppError>> + Send;

    /// Stores (`Some`) or deletes (`None`) the pending login code for `email`.
    fn store_code(
        &self,
        email: &str,
        code: Option<PendingCode>,
    ) -> impl Future<Output = Result<(), AppError>> + Send;

    /// Sends `code` to `email` (mail, SMS, a log line in development).
    fn deliver_code(
        &self,
        email: &str,
        code: &str,
    ) -> impl Future<Output = Result<(), AppError>> + Send;

    /// Google client credentials; `None` (the default) answers `503` on the Google routes.
    fn google_credentials(&self) -> Option<GoogleCredentials> {
        None
    }

    /// The local user for a verified Google identity (look up by subject or verified email,
    /// create when missing); `None` refuses the sign-in.
    fn google_user(
        &self,
        identity: &GoogleIdentity,
    ) -> impl Future<Output = Result<Option<i64>, AppError>> + Send {
        let _ = identity;
        async { Ok(None) }
    }

    /// Narrows an already local return path to one this app allows after sign-in (for example
    /// everything outside `/admin` becomes `/admin/games`). The result must be a local path
    /// too, or the default is used.
    fn narrow_return_to(&self, path: &str) -> String {
        path.to_owned()
    }

    /// Who may use a mount's pages; default: `public` is public, every other mount needs a
    /// signed-in user.
    fn policy(&self, mount: &str) -> Policy {
        Policy::for_mount(mount)
    }

    /// Whether a signed-in user may use a non-public mount (roles); default: yes.
    fn can_access(
        &self,
        mount: &str,
        user_id: i64,
    ) -> impl Future<Output = Result<bool, AppError>> + Send {
        let _ = (mount, user_id);
        async { Ok(true) }
    }
}

/// How the routes behave.
#[derive(Clone, Debug)]
pub struct AuthConfig {
    /// HMAC key for login-code hashes (see [`AuthConfig::new`]).
    pub login_code_secret: Vec<u8>,
    /// How long a login code works.
    pub login_code_ttl: Duration,
    /// Wrong guesses before a login code stops working.
    pub max_code_attempts: u32,
    /// The app's sign-in page (GET), where failed and sent redirects go.
    pub sign_in_path: String,
    /// Where a sign-in returns when `return_to` is missing or not local.
    pub sign_in_default_return_to: String,
    /// Where a sign-out returns when `return_to` is missing or not local.
    pub sign_out_default_return_to: String,
    /// Origins (`https://host[:port]`) allowed to post; empty = the request's own `Host`.
    /// Set it behind a proxy that rewrites `Host`.
    pub allowed_origins: Vec<String>,
    /// The OpenID provider's endpoints (Google's by default; tests point them elsewhere).
    pub google: OidcProvider,
}

impl AuthConfig {
    /// Defaults with `login_code_secret` as the login-code key. Return paths default to `/`.
    pub fn new(login_code_secret: impl Into<Vec<u8>>) -> Self {
        AuthConfig {
            login_code_secret: login_code_secret.into(),
            login_code_ttl: PendingCode::DEFAULT_TTL,
            max_code_attempts: PendingCode::DEFAULT_MAX_ATTEMPTS,
            sign_in_path: "/sign_in".into(),
            sign_in_default_return_to: "/".into(),
            sign_out_default_return_to: "/".into(),
            allowed_origins: Vec::new(),
            google: OidcProvider::google(),
        }
    }

    /// Defaults with a login-code key derived from the session key (HMAC-SHA256 of a fixed
    /// label), so `SECRET_KEY_BASE` is the only secret to manage.
    pub fn from_session_key(key: &SessionKey) -> Self {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key.bytes())
            .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
        mac.update(b"rally login codes v1");
        Self::new(mac.finalize().into_bytes().to_vec())
    }
}

/// Setting up the routes failed.
#[derive(Debug, thiserror::Error)]
#[error("cannot build the HTTP client for OpenID sign-in: {0}")]
pub struct AuthSetupError(#[from] openidconnect::reqwest::Error);

/// The sign-in routes and request authentication for one app. Cheap to clone.
pub struct Auth<A> {
    inner: Arc<Inner<A>>,
}

impl<A> Clone for Auth<A> {
    fn clone(&self) -> Self {
        Auth {
            inner: self.inner.clone(),
        }
    }
}

struct Inner<A> {
    app: A,
    sessions: Sessions,
    config: AuthConfig,
    http: openidconnect::reqwest::Client,
}

impl<A: AuthApp> Auth<A> {
    /// Routes for `app`, issuing sessions through `sessions`.
    pub fn new(app: A, sessions: Sessions, config: AuthConfig) -> Result<Self, AuthSetupError> {
        // No redirects: the token and JWKS endpoints must answer themselves (SSRF guard).
        let http = openidconnect::reqwest::Client::builder()
            .redirect(openidconnect::reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(10))
            .build()?;
        Ok(Auth {
            inner: Arc::new(Inner {
                app,
                sessions,
                config,
                http,
            }),
        })
    }

    /// The app.
    pub fn app(&self) -> &A {
        &self.inner.app
    }

    /// The sessions the routes issue.
    pub fn sessions(&self) -> &Sessions {
        &self.inner.sessions
    }

    /// The configuration.
    pub fn config(&self) -> &AuthConfig {
        &self.inner.config
    }

    /// The routes; merge them into the app's router.
    pub fn router(&self) -> Router {
        Router::new()
            .route("/sign_in/code", post(send_code::<A>))
            .route("/sign_in", post(sign_in::<A>))
            .route("/sign_out", get(sign_out_get::<A>).post(sign_out_post::<A>))
            .route("/sign_in/google", get(google::start::<A>))
            .route("/sign_in/google/callback", get(google::callback::<A>))
            .layer(DefaultBodyLimit::max(MAX_FORM_BYTES))
            .with_state(self.clone())
    }

    /// The signed-in identity of a request (from its `Cookie` headers), checked against the
    /// session store now: `None` once that session signed out anywhere.
    pub fn authenticate(&self, headers: &HeaderMap) -> Option<Identity> {
        self.inner.sessions.authenticate(headers)
    }

    /// Applies `mount`'s policy to `identity`: public mounts let anyone in; others need an
    /// identity the app's `can_access` accepts (an app error refuses).
    pub async fn authorize_identity(
        &self,
        mount: &str,
        identity: Option<&Identity>,
    ) -> Result<(), Unauthorized> {
        let policy = self.inner.app.policy(mount);
        policy.check(identity)?;
        let (Policy::SignedIn, Some(identity)) = (policy, identity) else {
            return Ok(());
        };
        match self.inner.app.can_access(mount, identity.user_id).await {
            Ok(true) => Ok(()),
            Ok(false) => Err(Unauthorized),
            Err(e) => {
                tracing::warn!(error = %e, mount, "can_access failed; refusing");
                Err(Unauthorized)
            }
        }
    }

    /// Authenticates the request (or WebSocket upgrade) with these headers and authorizes it
    /// for `mount`: what the WebSocket dispatch calls before every load and save.
    pub async fn authorize(
        &self,
        mount: &str,
        headers: &HeaderMap,
    ) -> Result<Option<Identity>, Unauthorized> {
        let identity = self.authenticate(headers);
        self.authorize_identity(mount, identity.as_ref()).await?;
        Ok(identity)
    }

    /// As [`Auth::authorize`], for synchronous code on a blocking thread (the WebSocket
    /// dispatch runs page handlers on its handler pool, inside the runtime). Blocks on the app's
    /// `can_access`; must not be called from inside an async task.
    pub fn authorize_blocking(
        &self,
        mount: &str,
        headers: &HeaderMap,
    ) -> Result<Option<Identity>, Unauthorized> {
        let future = self.authorize(mount, headers);
        match tokio::runtime::Handle::try_current() {
            Ok(handle) => handle.block_on(future),
            Err(_) => tokio::runtime::Builder::new_current_thread()
                .build()
                .map_err(|e| {
                    tracing::error!(error = %e, "cannot run authorization");
                    Unauthorized
                })?
                .block_on(future),
        }
    }

    /// For server-rendered pages of a protected mount: the identity, or the redirect to the
    /// sign-in page that returns to `path` afterwards.
    pub async fn protect(
        &self,
        mount: &str,
        headers: &HeaderMap,
        path: &str,
    ) -> Result<Option<Identity>, Response> {
        self.authorize(mount, headers)
            .await
            .map_err(|_| self.sign_in_redirect(path))
    }

    /// The redirect to the sign-in page that returns to `path` afterwards (a path that is not
    /// local returns to the default).
    pub fn sign_in_redirect(&self, path: &str) -> Response {
        let return_to = safe_local_path(Some(path), &self.inner.config.sign_in_default_return_to);
        guard::redirect(
            &sign_in_redirect_url(&self.inner.config.sign_in_path, &return_to),
            &[],
        )
    }

    fn return_to(&self, candidate: Option<&str>) -> String {
        let default = &self.inner.config.sign_in_default_return_to;
        let local = safe_local_path(candidate, default);
        let narrowed = self.inner.app.narrow_return_to(&local);
        safe_local_path(Some(&narrowed), default)
    }

    fn invalid(&self, return_to: &str) -> Response {
        let url = sign_in_redirect_url(&self.inner.config.sign_in_path, return_to);
        guard::redirect(&format!("{url}&error=invalid"), &[])
    }

    fn issue(&self, user_id: i64, return_to: &str) -> Response {
        match self.inner.sessions.issue(user_id) {
            Ok(issued) => guard::redirect(return_to, &[issued.cookie]),
            Err(e) => {
                tracing::error!(error = %e, "cannot issue session");
                (StatusCode::INTERNAL_SERVER_ERROR, "Cannot issue session").into_response()
            }
        }
    }
}

/// What the WebSocket runtime needs from auth, object-safe so it can hold
/// `Arc<dyn RequestAuth>` without knowing the app type.
pub trait RequestAuth: Send + Sync {
    /// As [`Auth::authenticate`]: the live session's identity of a request with these headers.
    /// Synchronous (it reads the session store): call it from a blocking thread.
    fn authenticate(&self, headers: &HeaderMap) -> Option<Identity>;

    /// As [`Auth::authorize`]: the identity of the request with these headers, if `mount`
    /// lets it in.
    fn authorize<'a>(
        &'a self,
        mount: &'a str,
        headers: &'a HeaderMap,
    ) -> Pin<Box<dyn Future<Output = Result<Option<Identity>, Unauthorized>> + Send + 'a>>;

    /// As [`Auth::authorize_blocking`].
    fn authorize_blocking(
        &self,
        mount: &str,
        headers: &HeaderMap,
    ) -> Result<Option<Identity>, Unauthorized>;

    /// As [`Auth::protect`]: the identity, or the redirect to the sign-in page.
    fn protect<'a>(
        &'a self,
        mount: &'a str,
        headers: &'a HeaderMap,
        path: &'a str,
    ) -> Pin<Box<dyn Future<Output = Result<Option<Identity>, Response>> + Send + 'a>>;

    /// The redirect to the sign-in page that returns to `path` (a local path, query allowed)
    /// afterwards: what a page that needs a signed-in user answers an anonymous visitor.
    fn sign_in_redirect(&self, path: &str) -> Response;
}

impl<A: AuthApp> RequestAuth for Auth<A> {
    fn authenticate(&self, headers: &HeaderMap) -> Option<Identity> {
        Auth::authenticate(self, headers)
    }

    fn authorize<'a>(
        &'a self,
        mount: &'a str,
        headers: &'a HeaderMap,
    ) -> Pin<Box<dyn Future<Output = Result<Option<Identity>, Unauthorized>> + Send + 'a>> {
        Box::pin(Auth::authorize(self, mount, headers))
    }

    fn authorize_blocking(
        &self,
        mount: &str,
        headers: &HeaderMap,
    ) -> Result<Option<Identity>, Unauthorized> {
        Auth::authorize_blocking(self, mount, headers)
    }

    fn protect<'a>(
        &'a self,
        mount: &'a str,
        headers: &'a HeaderMap,
        path: &'a str,
    ) -> Pin<Box<dyn Future<Output = Result<Option<Identity>, Response>> + Send + 'a>> {
        Box::pin(Auth::protect(self, mount, headers, path))
    }

    fn sign_in_redirect(&self, path: &str) -> Response {
        Auth::sign_in_redirect(self, path)
    }
}

/// A form body's `(name, value)` pairs.
type Form = Vec<(String, String)>;

fn read_form(body: Result<Bytes, BytesRejection>) -> Result<Form, StatusCode> {
    let bytes = body.map_err(|rejection| rejection.status())?;
    Ok(form_urlencoded::parse(&bytes).into_owned().collect())
}

fn field<'f>(form: &'f Form, name: &str) -> Option<&'f str> {
    form.iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// Checks origin and reads the form; `Err` is the response to send.
fn post_form<A: AuthApp>(
    auth: &Auth<A>,
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Form, Box<Response>> {
    if !guard::same_origin_post(headers, &auth.inner.config.allowed_origins) {
        return Err(Box::new(guard::cross_origin_refused()));
    }
    match read_form(body) {
        Ok(form) => Ok(form),
        Err(StatusCode::PAYLOAD_TOO_LARGE) => Err(Box::new(
            (StatusCode::PAYLOAD_TOO_LARGE, "Form too large.").into_response(),
        )),
        Err(status) => {
            tracing::warn!(%status, "unreadable sign-in form");
            Err(Box::new(auth.invalid(&auth.return_to(None))))
        }
    }
}

async fn send_code<A: AuthApp>(
    State(auth): State<Auth<A>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let form = match post_form(&auth, &headers, body) {
        Ok(form) => form,
        Err(response) => return *response,
    };
    let return_to = auth.return_to(field(&form, "return_to"));
    let email = auth::normalize(field(&form, "email").unwrap_or_default());
    match deliver_code(&auth, &email).await {
        Ok(()) => {
            let url = sign_in_redirect_url(&auth.inner.config.sign_in_path, &return_to);
            guard::redirect(&format!("{url}&sent=1"), &[])
        }
        Err(e) => {
            tracing::info!(reason = %e, "no sign-in code sent");
            auth.invalid(&return_to)
        }
    }
}

async fn deliver_code<A: AuthApp>(auth: &Auth<A>, email: &str) -> Result<(), AppError> {
    if email.is_empty() {
        return Err("no email".into());
    }
    let app = &auth.inner.app;
    if app.user_by_email(email).await?.is_none() {
        return Err("no user with that email".into());
    }
    let config = &auth.inner.config;
    let code = auth::generate_login_code()?;
    let pending = PendingCode::new(
        email,
        &code,
        &config.login_code_secret,
        now_unix(),
        config.login_code_ttl,
    );
    app.store_code(email, Some(pending)).await?;
    app.deliver_code(email, &code).await
}

async fn sign_in<A: AuthApp>(
    State(auth): State<Auth<A>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let form = match post_form(&auth, &headers, body) {
        Ok(form) => form,
        Err(response) => return *response,
    };
    let return_to = auth.return_to(field(&form, "return_to"));
    let email = auth::normalize(field(&form, "email").unwrap_or_default());
    let code = field(&form, "code").unwrap_or_default();
    match check_code(&auth, &email, code).await {
        Ok(user_id) => auth.issue(user_id, &return_to),
        Err(e) => {
            tracing::info!(reason = %e, "sign-in refused");
            auth.invalid(&return_to)
        }
    }
}

/// Checks a login code for `email`, counting the attempt; the user id when it is right.
async fn check_code<A: AuthApp>(auth: &Auth<A>, email: &str, code: &str) -> Result<i64, AppError> {
    let app = &auth.inner.app;
    let config = &auth.inner.config;
    if email.is_empty() || code.trim().is_empty() {
        return Err("email or code missing".into());
    }
    let mut pending = app.load_code(email).await?.ok_or("no pending code")?;
    let checked = pending.check(
        email,
        code,
        &config.login_code_secret,
        now_unix(),
        config.max_code_attempts,
    );
    match checked {
        Ok(()) => app.store_code(email, None).await?,
        Err(CodeError::Wrong { .. }) => app.store_code(email, Some(pending)).await?,
        Err(CodeError::Expired | CodeError::TooManyAttempts) => app.store_code(email, None).await?,
    }
    checked?;
    app.user_by_email(email)
        .await?
        .ok_or_else(|| "user no longer exists".into())
}

#[derive(serde::Deserialize)]
struct ReturnTo {
    return_to: Option<String>,
}

async fn sign_out_get<A: AuthApp>(
    State(auth): State<Auth<A>>,
    Query(query): Query<ReturnTo>,
    headers: HeaderMap,
) -> Response {
    if !guard::same_origin_navigation(&headers, &auth.inner.config.allowed_origins) {
        return guard::cross_origin_refused();
    }
    sign_out(&auth, query.return_to.as_deref(), &headers)
}

async fn sign_out_post<A: AuthApp>(
    State(auth): State<Auth<A>>,
    Query(query): Query<ReturnTo>,
    headers: HeaderMap,
) -> Response {
    if !guard::same_origin_post(&headers, &auth.inner.config.allowed_origins) {
        return guard::cross_origin_refused();
    }
    sign_out(&auth, query.return_to.as_deref(), &headers)
}

fn sign_out<A: AuthApp>(auth: &Auth<A>, return_to: Option<&str>, headers: &HeaderMap) -> Response {
    auth.inner.sessions.sign_out(headers);
    let return_to = safe_local_path(return_to, &auth.inner.config.sign_out_default_return_to);
    guard::redirect(&return_to, &[auth.inner.sessions.removal_cookie()])
}
