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
//! 4096 bytes get `413`; redirects go only to local paths. Both sign-in posts are throttled per
//! client address and per email, and wrong codes lock an email with exponential back-off
//! ([`SignInLimits`], answered `429` with `Retry-After`). Known and unknown emails get the same
//! answers: a code request always says "sent" and delivers in the background. See
//! `docs/auth.md` and `docs/security.md`.

mod google;
mod guard;
mod throttle;

use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{ConnectInfo, DefaultBodyLimit, FromRequestParts, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::auth::{self, CodeError, PendingCode, Policy, Unauthorized};
use crate::session::{Identity, SessionKey, Sessions, now_unix};

pub use google::{GoogleCredentials, GoogleIdentity, OidcProvider};
pub use guard::{is_local_path, safe_local_path, sign_in_redirect_url};
pub use throttle::SignInLimits;

use throttle::{Route, Throttle};

/// The largest form body the routes read (upstream's limit).
pub const MAX_FORM_BYTES: usize = 4096;

/// The longest email address (RFC 3696 errata: 254 in a path, 320 as written); longer ones are
/// refused before any lookup.
pub const MAX_EMAIL_BYTES: usize = 320;

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
    ///
    /// Synchronous, and always called on a blocking thread (beside the session lookup): it runs
    /// before every WebSocket load and save, on the handler threads, so it may query the
    /// database with `Db::read_sync` but must not await.
    fn can_access(&self, mount: &str, user_id: i64) -> Result<bool, AppError> {
        let _ = (mount, user_id);
        Ok(true)
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
    /// How fast sign-in may be attempted, per client address and per email.
    pub sign_in_limits: SignInLimits,
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
            sign_in_limits: SignInLimits::default(),
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

/// Setting up the routes failed (only the Google sign-in's HTTP client can).
#[derive(Debug, thiserror::Error)]
#[error("cannot build the HTTP client for OpenID sign-in: {0}")]
pub struct AuthSetupError(String);

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
    /// The client for the OpenID provider's token and key endpoints.
    #[cfg(feature = "google")]
    http: openidconnect::reqwest::Client,
    throttle: Throttle,
}

impl<A: AuthApp> Auth<A> {
    /// Routes for `app`, issuing sessions through `sessions`.
    pub fn new(app: A, sessions: Sessions, config: AuthConfig) -> Result<Self, AuthSetupError> {
        // No redirects: the token and JWKS endpoints must answer themselves (SSRF guard).
        #[cfg(feature = "google")]
        let http = openidconnect::reqwest::Client::builder()
            .redirect(openidconnect::reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(10))
            .build()
            .map_err(|e| AuthSetupError(e.to_string()))?;
        let throttle = Throttle::new(config.sign_in_limits.clone());
        Ok(Auth {
            inner: Arc::new(Inner {
                app,
                sessions,
                config,
                #[cfg(feature = "google")]
                http,
                throttle,
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
    /// session store now: `None` once that session signed out anywhere. Blocking (it reads the
    /// store): call it from a blocking thread; async code uses [`Auth::authorize`].
    pub fn authenticate(&self, headers: &HeaderMap) -> Option<Identity> {
        self.inner.sessions.authenticate(headers)
    }

    /// Applies `mount`'s policy to `identity`: public mounts let anyone in; others need an
    /// identity the app's `can_access` accepts (an app error refuses). Blocking, as
    /// `can_access` is.
    pub fn authorize_identity(
        &self,
        mount: &str,
        identity: Option<&Identity>,
    ) -> Result<(), Unauthorized> {
        let policy = self.inner.app.policy(mount);
        policy.check(identity)?;
        let (Policy::SignedIn, Some(identity)) = (policy, identity) else {
            return Ok(());
        };
        match self.inner.app.can_access(mount, identity.user_id) {
            Ok(true) => Ok(()),
            Ok(false) => Err(Unauthorized),
            Err(e) => {
                tracing::warn!(error = %e, mount, "can_access failed; refusing");
                Err(Unauthorized)
            }
        }
    }

    /// Authenticates the request (or WebSocket upgrade) with these headers and authorizes it
    /// for `mount`, on the calling thread: what the WebSocket dispatch calls before every load
    /// and save, on its handler threads. Must not be called from an async task.
    pub fn authorize_blocking(
        &self,
        mount: &str,
        headers: &HeaderMap,
    ) -> Result<Option<Identity>, Unauthorized> {
        let identity = self.authenticate(headers);
        self.authorize_identity(mount, identity.as_ref())?;
        Ok(identity)
    }

    /// As [`Auth::authorize_blocking`], from async code (SSR): the session lookup and
    /// `can_access` run on a blocking thread, never on the async workers.
    pub async fn authorize(
        &self,
        mount: &str,
        headers: &HeaderMap,
    ) -> Result<Option<Identity>, Unauthorized> {
        let (auth, mount, headers) = (self.clone(), mount.to_owned(), headers.clone());
        tokio::task::spawn_blocking(move || auth.authorize_blocking(&mount, &headers))
            .await
            .unwrap_or_else(|e| {
                tracing::error!(error = %e, "authorization task failed; refusing");
                Err(Unauthorized)
            })
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

    /// Issues a session (a store write, on a blocking thread) and redirects to `return_to`.
    async fn issue(&self, user_id: i64, return_to: &str) -> Response {
        let sessions = self.inner.sessions.clone();
        let issued = tokio::task::spawn_blocking(move || sessions.issue(user_id)).await;
        match issued {
            Ok(Ok(issued)) => guard::redirect(return_to, &[issued.cookie]),
            Ok(Err(e)) => {
                tracing::error!(error = %e, "cannot issue session");
                (StatusCode::INTERNAL_SERVER_ERROR, "Cannot issue session").into_response()
            }
            Err(e) => {
                tracing::error!(error = %e, "session task failed");
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

    /// As [`Auth::authorize_blocking`]: on the calling (blocking) thread.
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

/// The client's address, as the server recorded it (`ConnectInfo`; behind a trusted proxy, the
/// forwarded client). `None` when the server records none: then only the per-email limits apply.
struct ClientAddress(Option<IpAddr>);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddress {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let address = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(address)| address.ip());
        Ok(ClientAddress(address))
    }
}

/// The form's email, normalised; empty when missing or longer than any real address.
fn form_email(form: &Form) -> String {
    let email = auth::normalize(field(form, "email").unwrap_or_default());
    if email.len() > MAX_EMAIL_BYTES {
        String::new()
    } else {
        email
    }
}

/// A sign-in form past the origin check, the size cap and the throttle.
struct Admitted {
    form: Form,
    return_to: String,
    email: String,
}

/// What both sign-in posts do first: read the form (same-origin, bounded), then ask the
/// throttle to admit this `route` for the client's address and the form's email.
fn admit<A: AuthApp>(
    auth: &Auth<A>,
    route: Route,
    address: Option<std::net::IpAddr>,
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Admitted, Box<Response>> {
    let form = post_form(auth, headers, body)?;
    let return_to = auth.return_to(field(&form, "return_to"));
    let email = form_email(&form);
    let throttle = &auth.inner.throttle;
    if let Err(refusal) = throttle.admit(route, address, &email) {
        throttle.log(route, address, refusal);
        return Err(Box::new(refusal.into_response()));
    }
    Ok(Admitted {
        form,
        return_to,
        email,
    })
}

async fn send_code<A: AuthApp>(
    State(auth): State<Auth<A>>,
    ClientAddress(address): ClientAddress,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let Admitted {
        return_to, email, ..
    } = match admit(&auth, Route::RequestCode, address, &headers, body) {
        Ok(admitted) => admitted,
        Err(response) => return *response,
    };
    if email.is_empty() {
        return auth.invalid(&return_to);
    }
    // The same answer, at the same speed, whether or not the email has an account: the lookup,
    // storage and delivery happen after the response.
    let background = auth.clone();
    tokio::spawn(async move {
        if let Err(e) = deliver_code(&background, &email).await {
            tracing::warn!(error = %e, "cannot send a sign-in code");
        }
    });
    let url = sign_in_redirect_url(&auth.inner.config.sign_in_path, &return_to);
    guard::redirect(&format!("{url}&sent=1"), &[])
}

/// Makes, stores and delivers a code for `email`, if it has an account.
async fn deliver_code<A: AuthApp>(auth: &Auth<A>, email: &str) -> Result<(), AppError> {
    let app = &auth.inner.app;
    if app.user_by_email(email).await?.is_none() {
        return Ok(());
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
    ClientAddress(address): ClientAddress,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let Admitted {
        form,
        return_to,
        email,
    } = match admit(&auth, Route::Guess, address, &headers, body) {
        Ok(admitted) => admitted,
        Err(response) => return *response,
    };
    let throttle = &auth.inner.throttle;
    let code = field(&form, "code").unwrap_or_default();
    match check_code(&auth, &email, code).await {
        Ok(user_id) => {
            throttle.succeeded(&email);
            auth.issue(user_id, &return_to).await
        }
        Err(failure) => {
            if let SignInFailure::App(e) = &failure {
                tracing::warn!(error = %e, "sign-in failed in the app");
            } else {
                throttle.log_refusal(Route::Guess, address, failure.reason());
            }
            auth.invalid(&return_to)
        }
    }
}

/// Why `POST /sign_in` did not sign anyone in.
enum SignInFailure {
    /// No email or no code in the form.
    Missing,
    /// No pending code for the email (none asked for, or no such user).
    NoCode,
    /// The pending code refused the guess.
    Code(CodeError),
    /// The code was right but its user is gone.
    NoUser,
    /// An app callback failed.
    App(AppError),
}

impl SignInFailure {
    fn reason(&self) -> &'static str {
        match self {
            SignInFailure::Missing => "email or code missing",
            SignInFailure::NoCode => "no pending code",
            SignInFailure::Code(CodeError::Wrong { .. }) => "wrong code",
            SignInFailure::Code(CodeError::TooManyAttempts) => "code used up",
            SignInFailure::Code(CodeError::Expired) => "code expired",
            SignInFailure::NoUser => "user no longer exists",
            SignInFailure::App(_) => "app error",
        }
    }
}

/// Checks a login code for `email`, counting the attempt; the user id when it is right.
async fn check_code<A: AuthApp>(
    auth: &Auth<A>,
    email: &str,
    code: &str,
) -> Result<i64, SignInFailure> {
    let app = &auth.inner.app;
    let config = &auth.inner.config;
    if email.is_empty() || code.trim().is_empty() {
        return Err(SignInFailure::Missing);
    }
    let Some(mut pending) = app.load_code(email).await.map_err(SignInFailure::App)? else {
        // Compare against nothing as a real check would, so an unknown email answers as fast.
        std::hint::black_box(auth::hash_login_code(
            email,
            code,
            &config.login_code_secret,
        ));
        return Err(SignInFailure::NoCode);
    };
    let checked = pending.check(
        email,
        code,
        &config.login_code_secret,
        now_unix(),
        config.max_code_attempts,
    );
    let stored = match checked {
        Ok(()) => app.store_code(email, None).await,
        Err(CodeError::Wrong { .. }) => app.store_code(email, Some(pending)).await,
        Err(CodeError::Expired | CodeError::TooManyAttempts) => app.store_code(email, None).await,
    };
    stored.map_err(SignInFailure::App)?;
    checked.map_err(SignInFailure::Code)?;
    app.user_by_email(email)
        .await
        .map_err(SignInFailure::App)?
        .ok_or(SignInFailure::NoUser)
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
    sign_out(&auth, query.return_to.as_deref(), headers).await
}

async fn sign_out_post<A: AuthApp>(
    State(auth): State<Auth<A>>,
    Query(query): Query<ReturnTo>,
    headers: HeaderMap,
) -> Response {
    if !guard::same_origin_post(&headers, &auth.inner.config.allowed_origins) {
        return guard::cross_origin_refused();
    }
    sign_out(&auth, query.return_to.as_deref(), headers).await
}

/// Ends the request's session (a store write, on a blocking thread) and redirects.
async fn sign_out<A: AuthApp>(
    auth: &Auth<A>,
    return_to: Option<&str>,
    headers: HeaderMap,
) -> Response {
    let sessions = auth.inner.sessions.clone();
    if let Err(e) = tokio::task::spawn_blocking(move || sessions.sign_out(&headers)).await {
        tracing::error!(error = %e, "sign-out task failed");
    }
    let return_to = safe_local_path(return_to, &auth.inner.config.sign_out_default_return_to);
    guard::redirect(&return_to, &[auth.inner.sessions.removal_cookie()])
}
