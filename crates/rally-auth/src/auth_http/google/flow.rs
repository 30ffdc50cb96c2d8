//! The OpenID Connect flow itself (feature `google`).

use std::time::Duration;

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use cookie::{Cookie, SameSite};
use openidconnect::core::{
    CoreClient, CoreIdToken, CoreIdTokenVerifier, CoreJsonWebKeySet, CoreResponseType,
};
use openidconnect::{
    AuthUrl, AuthenticationFlow, AuthorizationCode, ClientId, ClientSecret, CsrfToken,
    EndpointNotSet, EndpointSet, IssuerUrl, JsonWebKeySetUrl, Nonce, PkceCodeChallenge,
    PkceCodeVerifier, RedirectUrl, Scope, TokenResponse, TokenUrl,
};
use subtle::ConstantTimeEq;

use super::super::{AppError, Auth, AuthApp, guard};
use super::{GoogleCredentials, GoogleIdentity, not_configured};
use crate::session::{cookie_values, now_unix};

const FLOW_COOKIE: &str = "__rally_google";
const FLOW_PATH: &str = "/sign_in/google";
const FLOW_AAD: &[u8] = b"__rally_google:v1";
const FLOW_TTL: Duration = Duration::from_secs(10 * 60);

type GoogleClient =
    CoreClient<EndpointSet, EndpointNotSet, EndpointNotSet, EndpointNotSet, EndpointSet>;

/// Why a Google sign-in failed (logged; the user sees the invalid-sign-in redirect).
#[derive(Debug, thiserror::Error)]
enum GoogleError {
    #[error("OpenID provider misconfigured: {0}")]
    Config(String),
    #[error("no or unreadable sign-in flow cookie")]
    NoFlow,
    #[error("state does not match the flow cookie")]
    State,
    #[error("provider returned an error: {0}")]
    Provider(String),
    #[error("token exchange failed: {0}")]
    Exchange(String),
    #[error("token response has no ID token")]
    NoIdToken,
    #[error("cannot fetch the provider's keys: {0}")]
    Jwks(String),
    #[error("ID token rejected: {0}")]
    IdToken(String),
    #[error("app refused the identity")]
    Refused,
    #[error("app error: {0}")]
    App(AppError),
}

fn client(
    provider: &super::OidcProvider,
    credentials: &GoogleCredentials,
) -> Result<GoogleClient, GoogleError> {
    let config = |e: openidconnect::url::ParseError| GoogleError::Config(e.to_string());
    Ok(CoreClient::new(
        ClientId::new(credentials.client_id.clone()),
        IssuerUrl::new(provider.issuer.clone()).map_err(config)?,
        CoreJsonWebKeySet::new(Vec::new()),
    )
    .set_client_secret(ClientSecret::new(credentials.client_secret.clone()))
    .set_auth_uri(AuthUrl::new(provider.authorize_url.clone()).map_err(config)?)
    .set_token_uri(TokenUrl::new(provider.token_url.clone()).map_err(config)?)
    .set_redirect_uri(RedirectUrl::new(credentials.redirect_uri.clone()).map_err(config)?))
}

/// What the flow cookie holds.
struct Flow {
    state: String,
    nonce: String,
    verifier: String,
    return_to: String,
    expires_at: u64,
}

impl Flow {
    fn encode(&self) -> String {
        form_urlencoded::Serializer::new(String::new())
            .append_pair("state", &self.state)
            .append_pair("nonce", &self.nonce)
            .append_pair("verifier", &self.verifier)
            .append_pair("return_to", &self.return_to)
            .append_pair("exp", &self.expires_at.to_string())
            .finish()
    }

    fn decode(text: &[u8]) -> Option<Flow> {
        let pairs: Vec<(String, String)> = form_urlencoded::parse(text).into_owned().collect();
        let get = |name: &str| {
            pairs
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
        };
        Some(Flow {
            state: get("state")?,
            nonce: get("nonce")?,
            verifier: get("verifier")?,
            return_to: get("return_to")?,
            expires_at: get("exp")?.parse().ok()?,
        })
    }
}

fn flow_cookie<A: AuthApp>(auth: &Auth<A>, value: String, max_age: Duration) -> Cookie<'static> {
    let secs = i64::try_from(max_age.as_secs()).unwrap_or(i64::MAX);
    Cookie::build((FLOW_COOKIE, value))
        .path(FLOW_PATH)
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(auth.inner.sessions.config().secure)
        .max_age(cookie::time::Duration::seconds(secs))
        .build()
}

fn flow_removal<A: AuthApp>(auth: &Auth<A>) -> Cookie<'static> {
    let mut cookie = flow_cookie(auth, String::new(), Duration::ZERO);
    cookie.make_removal();
    cookie
}

#[derive(serde::Deserialize)]
pub(in crate::auth_http) struct StartQuery {
    return_to: Option<String>,
}

/// `GET /sign_in/google`: redirect to the provider.
pub(in crate::auth_http) async fn start<A: AuthApp>(
    State(auth): State<Auth<A>>,
    Query(query): Query<StartQuery>,
) -> Response {
    let Some(credentials) = auth.inner.app.google_credentials() else {
        return not_configured();
    };
    let client = match client(&auth.inner.config.google, &credentials) {
        Ok(client) => client,
        Err(e) => {
            tracing::error!(error = %e, "Google sign-in");
            return not_configured();
        }
    };
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, state, nonce) = client
        .authorize_url(
            AuthenticationFlow::<CoreResponseType>::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .add_scope(Scope::new("email".into()))
        .add_scope(Scope::new("profile".into()))
        .set_pkce_challenge(challenge)
        .url();
    let flow = Flow {
        state: state.secret().clone(),
        nonce: nonce.secret().clone(),
        verifier: verifier.secret().clone(),
        return_to: auth.return_to(query.return_to.as_deref()),
        expires_at: now_unix().saturating_add(FLOW_TTL.as_secs()),
    };
    match auth
        .inner
        .sessions
        .sealer()
        .seal(FLOW_AAD, flow.encode().as_bytes())
    {
        Ok(sealed) => guard::redirect(url.as_str(), &[flow_cookie(&auth, sealed, FLOW_TTL)]),
        Err(e) => {
            tracing::error!(error = %e, "Google sign-in");
            (StatusCode::INTERNAL_SERVER_ERROR, "Cannot start sign-in").into_response()
        }
    }
}

#[derive(serde::Deserialize)]
pub(in crate::auth_http) struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
}

/// `GET /sign_in/google/callback`: finish the flow. The flow cookie is deleted in every outcome.
pub(in crate::auth_http) async fn callback<A: AuthApp>(
    State(auth): State<Auth<A>>,
    Query(query): Query<CallbackQuery>,
    headers: HeaderMap,
) -> Response {
    let flow = read_flow(&auth, &headers);
    let return_to = flow
        .as_ref()
        .map_or_else(|| auth.return_to(None), |f| f.return_to.clone());
    let Some(credentials) = auth.inner.app.google_credentials() else {
        return not_configured();
    };
    let outcome = match flow {
        Some(flow) => finish(&auth, &credentials, flow, query).await,
        None => Err(GoogleError::NoFlow),
    };
    let removal = flow_removal(&auth);
    let user_id = match outcome {
        Ok(user_id) => user_id,
        Err(e) => {
            tracing::info!(error = %e, "Google sign-in refused");
            let mut response = auth.invalid(&return_to);
            append_cookie(&mut response, &removal);
            return response;
        }
    };
    let mut response = auth.issue(user_id, &return_to).await;
    append_cookie(&mut response, &removal);
    response
}

fn append_cookie(response: &mut Response, cookie: &Cookie<'_>) {
    if let Ok(value) = cookie.to_string().parse() {
        response
            .headers_mut()
            .append(axum::http::header::SET_COOKIE, value);
    }
}

fn read_flow<A: AuthApp>(auth: &Auth<A>, headers: &HeaderMap) -> Option<Flow> {
    let sealer = auth.inner.sessions.sealer();
    cookie_values(headers, FLOW_COOKIE)
        .filter_map(|value| sealer.open(FLOW_AAD, &value))
        .filter_map(|plain| Flow::decode(&plain))
        .find(|flow| flow.expires_at > now_unix())
}

async fn finish<A: AuthApp>(
    auth: &Auth<A>,
    credentials: &GoogleCredentials,
    flow: Flow,
    query: CallbackQuery,
) -> Result<i64, GoogleError> {
    if let Some(error) = query.error {
        return Err(GoogleError::Provider(error));
    }
    let state = query.state.unwrap_or_default();
    if !bool::from(state.as_bytes().ct_eq(flow.state.as_bytes())) || state.is_empty() {
        return Err(GoogleError::State);
    }
    let code = query.code.ok_or(GoogleError::Exchange("no code".into()))?;
    let provider = &auth.inner.config.google;
    let client = client(provider, credentials)?;
    let id_token = exchange(auth, &client, code, flow.verifier).await?;
    let identity = verify(auth, provider, credentials, &id_token, &flow.nonce).await?;
    match auth.inner.app.google_user(&identity).await {
        Ok(Some(user_id)) => Ok(user_id),
        Ok(None) => Err(GoogleError::Refused),
        Err(e) => Err(GoogleError::App(e)),
    }
}

async fn exchange<A: AuthApp>(
    auth: &Auth<A>,
    client: &GoogleClient,
    code: String,
    verifier: String,
) -> Result<CoreIdToken, GoogleError> {
    let response = client
        .exchange_code(AuthorizationCode::new(code))
        .set_pkce_verifier(PkceCodeVerifier::new(verifier))
        .request_async(&auth.inner.http)
        .await
        .map_err(|e| GoogleError::Exchange(error_chain(&e)))?;
    response.id_token().cloned().ok_or(GoogleError::NoIdToken)
}

async fn verify<A: AuthApp>(
    auth: &Auth<A>,
    provider: &super::OidcProvider,
    credentials: &GoogleCredentials,
    id_token: &CoreIdToken,
    nonce: &str,
) -> Result<GoogleIdentity, GoogleError> {
    let jwks_url = JsonWebKeySetUrl::new(provider.jwks_url.clone())
        .map_err(|e| GoogleError::Config(e.to_string()))?;
    let jwks = CoreJsonWebKeySet::fetch_async(&jwks_url, &auth.inner.http)
        .await
        .map_err(|e| GoogleError::Jwks(error_chain(&e)))?;
    let issuer =
        IssuerUrl::new(provider.issuer.clone()).map_err(|e| GoogleError::Config(e.to_string()))?;
    // The issuer is checked below against every accepted spelling.
    let verifier = CoreIdTokenVerifier::new_public_client(
        ClientId::new(credentials.client_id.clone()),
        issuer,
        jwks,
    )
    .require_issuer_match(false);
    let claims = id_token
        .claims(&verifier, &Nonce::new(nonce.to_owned()))
        .map_err(|e| GoogleError::IdToken(e.to_string()))?;
    let iss = claims.issuer().as_str();
    if !provider.accepted_issuers.iter().any(|a| a == iss) {
        return Err(GoogleError::IdToken(format!("unexpected issuer {iss}")));
    }
    Ok(GoogleIdentity {
        subject: claims.subject().to_string(),
        email: claims.email().map(|e| e.to_string()),
        email_verified: claims.email_verified().unwrap_or(false),
        name: claims
            .name()
            .and_then(|n| n.get(None))
            .map(|n| n.to_string()),
    })
}

/// An error and its sources, for the log.
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(e) = source {
        text.push_str(": ");
        text.push_str(&e.to_string());
        source = e.source();
    }
    text
}
