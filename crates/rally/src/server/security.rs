//! What every response of an app carries and every request must pass: the host allow-list and
//! the security headers, as one middleware ([`Security::layer`]).
//!
//! - **Hosts.** A request whose `Host` is not one the app answers to is refused with `421`
//!   before it reaches a route: with `Host` and `Origin` both `evil.example`, the same-origin
//!   checks of `/ws` and the sign-in forms would otherwise pass (DNS rebinding). Production
//!   needs `RALLY_HOSTS`; development answers to loopback names.
//! - **Headers** (Phoenix's and Rails' defaults, plus a CSP): `X-Content-Type-Options: nosniff`,
//!   `Referrer-Policy`, `X-Frame-Options: DENY` and `frame-ancestors 'none'` (clickjacking: a
//!   framed score desk took a click), `Strict-Transport-Security` in production, and on HTML a
//!   `Content-Security-Policy` whose script rule names a fresh nonce per response. The server
//!   renderer puts that nonce ([`CspNonce`], a request extension) on the boot script, so no
//!   other inline script runs. A handler that sets one of these headers itself keeps its value.

use std::sync::Arc;

use axum::Router;
use axum::extract::Request;
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine as _;

use crate::env::Env;

/// The host allow-list and headers of an app; see the module docs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Security {
    /// Hosts the app answers to (`example.com`, `example.com:8443`, `*.example.com`); `None`
    /// answers to any.
    pub hosts: Option<Vec<String>>,
    /// The `Content-Security-Policy` of HTML responses; `{nonce}` stands for the response's
    /// nonce. `None` sends none.
    pub content_security_policy: Option<String>,
    /// The `Referrer-Policy` of every response.
    pub referrer_policy: String,
    /// Whether pages refuse to be framed (`X-Frame-Options: DENY`).
    pub deny_framing: bool,
    /// The `Strict-Transport-Security` of every response (production: one year).
    pub strict_transport_security: Option<String>,
}

/// A configuration of [`Security`] that cannot be used, with what to do.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SecurityError {
    /// Production without a host allow-list.
    #[error(
        "APP_ENV=production needs RALLY_HOSTS, the host names this app answers to (for example RALLY_HOSTS=scores.example.com,www.scores.example.com); requests for other hosts are refused. RALLY_HOSTS=* answers to any host (only behind a proxy that checks them)."
    )]
    HostsMissing,
    /// An entry of `RALLY_HOSTS` that is not a host name.
    #[error(
        "RALLY_HOSTS entry {0:?} is not a host name: give names like example.com, example.com:8443 or *.example.com, separated by commas."
    )]
    BadHost(String),
}

impl Security {
    /// The policy every page gets by default: scripts from this origin and the boot script's
    /// nonce, wasm compilation, styles from this origin (and `style` attributes), the socket
    /// and fetches to this origin, forms posting here, no plugins, no framing.
    pub const DEFAULT_CSP: &'static str = "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'";

    /// Loopback names, answered to in development.
    const DEV_HOSTS: [&'static str; 3] = ["localhost", "127.0.0.1", "[::1]"];

    /// From the environment: `RALLY_HOSTS` (comma-separated; required in production, where it
    /// is the whole list; in development it adds to the loopback names), HSTS in production.
    /// In development the CSP also lets the dev loop's reload stream (another port on
    /// loopback) connect.
    pub fn from_env(env: &Env) -> Result<Self, SecurityError> {
        let production = env.app_env().is_production();
        let listed = env.get("RALLY_HOSTS").filter(|v| !v.trim().is_empty());
        let hosts = match listed.as_deref().map(str::trim) {
            Some("*") => None,
            Some(list) => {
                let mut hosts = parse_hosts(list)?;
                if !production {
                    hosts.extend(Self::DEV_HOSTS.map(str::to_owned));
                }
                Some(hosts)
            }
            None if production => return Err(SecurityError::HostsMissing),
            None => Some(Self::DEV_HOSTS.map(str::to_owned).to_vec()),
        };
        let mut csp = Self::DEFAULT_CSP.to_owned();
        if !production {
            csp = csp.replace(
                "connect-src 'self'",
                "connect-src 'self' http://127.0.0.1:* http://localhost:*",
            );
        }
        Ok(Security {
            hosts,
            content_security_policy: Some(csp),
            referrer_policy: "strict-origin-when-cross-origin".to_owned(),
            deny_framing: true,
            strict_transport_security: production.then(|| "max-age=31536000".to_owned()),
        })
    }

    /// Development defaults: loopback hosts, every header but HSTS.
    pub fn development() -> Self {
        Self::from_env(&Env::from_pairs::<&str, &str>([]))
            .unwrap_or_else(|_| unreachable!("development needs no configuration"))
    }

    /// Whether a request with these headers is for a host the app answers to. A request
    /// without `Host` (HTTP/1.0) is let through: it names no other site either.
    pub fn allows_host(&self, headers: &HeaderMap) -> bool {
        let Some(hosts) = &self.hosts else {
            return true;
        };
        let Some(host) = headers.get(header::HOST) else {
            return true;
        };
        let Ok(host) = host.to_str() else {
            return false;
        };
        // `allowed` entries are lowercase (`parse_hosts`); the header is compared without case.
        let name = host_name(host);
        hosts.iter().any(|allowed| {
            if let Some(suffix) = allowed.strip_prefix("*.") {
                name.len()
                    .checked_sub(suffix.len())
                    .and_then(|cut| Some((name.get(..cut)?, name.get(cut..)?)))
                    .is_some_and(|(sub, end)| {
                        end.eq_ignore_ascii_case(suffix) && sub.ends_with('.') && sub.len() > 1
                    })
            } else if allowed.contains(':') && !allowed.starts_with('[') || allowed.contains("]:") {
                allowed.eq_ignore_ascii_case(host)
            } else {
                allowed.eq_ignore_ascii_case(name)
            }
        })
    }

    /// Wraps `router` with the host check and the headers.
    pub fn layer(self, router: Router) -> Router {
        let guard = Arc::new(Guard {
            policy: self
                .content_security_policy
                .as_deref()
                .map(PolicyTemplate::new),
            defaults: default_headers(&self),
            security: self,
        });
        router.layer(axum::middleware::from_fn(move |request, next| {
            let guard = Arc::clone(&guard);
            async move { guard.check(request, next).await }
        }))
    }
}

/// [`Security`] as its middleware applies it: the policy is split at its nonces once, and the
/// other headers are made once (a response then shares their bytes instead of checking and
/// copying each value again: ~800 instructions a header).
struct Guard {
    security: Security,
    policy: Option<PolicyTemplate>,
    defaults: Vec<(HeaderName, HeaderValue)>,
}

/// The headers every response gets unless it set them itself. A configured value that is not
/// a valid header value (an app can set the fields to anything) is left out, with a warning
/// when the layer is made rather than silently on every response.
fn default_headers(security: &Security) -> Vec<(HeaderName, HeaderValue)> {
    let mut defaults = vec![(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    )];
    let mut configured = |name: HeaderName, value: &str| match HeaderValue::try_from(value) {
        Ok(value) => defaults.push((name, value)),
        Err(_) => tracing::warn!(header = %name, value, "not a valid header value; not sent"),
    };
    configured(header::REFERRER_POLICY, &security.referrer_policy);
    if let Some(hsts) = &security.strict_transport_security {
        configured(header::STRICT_TRANSPORT_SECURITY, hsts);
    }
    if security.deny_framing {
        defaults.push((header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")));
    }
    defaults
}

/// A `Content-Security-Policy` split at each `{nonce}`, so that a response's policy is one
/// concatenation rather than a search and replace.
struct PolicyTemplate {
    pieces: Vec<String>,
}

impl PolicyTemplate {
    fn new(policy: &str) -> Self {
        PolicyTemplate {
            pieces: policy.split("{nonce}").map(str::to_owned).collect(),
        }
    }

    /// The policy with `nonce` in each place of `{nonce}`.
    fn with(&self, nonce: &str) -> String {
        let len = self.pieces.iter().map(String::len).sum::<usize>()
            + nonce.len() * (self.pieces.len().saturating_sub(1));
        let mut policy = String::with_capacity(len);
        for (i, piece) in self.pieces.iter().enumerate() {
            if i > 0 {
                policy.push_str(nonce);
            }
            policy.push_str(piece);
        }
        policy
    }
}

impl Guard {
    async fn check(&self, mut request: Request, next: Next) -> Response {
        let this = &self.security;
        if !this.allows_host(request.headers()) {
            let host = request
                .headers()
                .get(header::HOST)
                .and_then(|h| h.to_str().ok())
                .unwrap_or("?")
                .to_owned();
            tracing::debug!(host, "request for an unknown host refused");
            return (
                StatusCode::MISDIRECTED_REQUEST,
                [(header::CONNECTION, "close")],
                format!("This server does not answer to the host {host}. Add it to RALLY_HOSTS if it should."),
            )
                .into_response();
        }
        let nonce = self.policy.as_ref().map(|_| CspNonce::new());
        if let Some(nonce) = &nonce {
            request.extensions_mut().insert(nonce.clone());
        }
        let mut response = next.run(request).await;
        let html = response
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("text/html"));
        let headers = response.headers_mut();
        for (name, value) in &self.defaults {
            if !headers.contains_key(name) {
                headers.insert(name.clone(), value.clone());
            }
        }
        if let (true, Some(policy), Some(nonce)) = (html, &self.policy, &nonce)
            && !headers.contains_key(header::CONTENT_SECURITY_POLICY)
        {
            // The policy's own string becomes the value: no second copy.
            if let Ok(value) = HeaderValue::try_from(policy.with(nonce.as_str())) {
                headers.insert(header::CONTENT_SECURITY_POLICY, value);
            }
        }
        response
    }
}

/// The CSP nonce of one response: 128 random bits, base64. The renderer writes it on the
/// scripts it trusts (`nonce="…"`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CspNonce(String);

impl CspNonce {
    /// A fresh nonce.
    pub fn new() -> Self {
        let mut bytes = [0u8; 16];
        if random::fill(&mut bytes).is_err() {
            // Without randomness a nonce would be guessable: fall back to a value no script
            // carries, so inline scripts stop rather than run unprotected.
            return CspNonce("unavailable".to_owned());
        }
        CspNonce(base64::engine::general_purpose::STANDARD.encode(bytes))
    }

    /// The nonce as written in the policy and on scripts.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Default for CspNonce {
    fn default() -> Self {
        Self::new()
    }
}

/// The operating system's random bytes, fetched a page at a time.
///
/// Every HTML response needs a nonce, and a `getrandom` call for each was one system call per
/// page (issue 19). Each thread keeps 4 KiB of the OS generator's output and hands each byte
/// out once, zeroing it as it goes: nonces are exactly as unpredictable as before, at one call
/// per 256 pages. A failure of the OS generator is reported as before, never papered over.
mod random {
    use std::cell::RefCell;

    const POOL: usize = 4096;

    struct Pool {
        bytes: [u8; POOL],
        /// Bytes at the front already handed out (and zeroed).
        used: usize,
    }

    thread_local! {
        static POOLS: RefCell<Pool> = const {
            RefCell::new(Pool { bytes: [0; POOL], used: POOL })
        };
    }

    /// Fills `out` (at most 4 KiB) with random bytes no caller has seen.
    pub fn fill(out: &mut [u8]) -> Result<(), getrandom::Error> {
        if out.len() > POOL {
            return getrandom::fill(out);
        }
        POOLS.with_borrow_mut(|pool| {
            if POOL - pool.used < out.len() {
                getrandom::fill(&mut pool.bytes)?;
                pool.used = 0;
            }
            let taken = &mut pool.bytes[pool.used..pool.used + out.len()];
            out.copy_from_slice(taken);
            taken.fill(0);
            pool.used += out.len();
            Ok(())
        })
    }

    #[cfg(test)]
    mod tests {
        #[test]
        fn bytes_are_never_handed_out_twice() {
            // 300 draws of 16 bytes cross a refill; any repeat of 16 random bytes is a reuse.
            let mut seen = std::collections::HashSet::new();
            for _ in 0..300 {
                let mut bytes = [0u8; 16];
                super::fill(&mut bytes).unwrap();
                assert_ne!(bytes, [0; 16], "a zeroed (used) byte run was handed out");
                assert!(seen.insert(bytes), "the same bytes were handed out twice");
            }
            let mut big = vec![0u8; 5000];
            super::fill(&mut big).unwrap();
            assert!(big.iter().any(|&b| b != 0));
        }
    }
}

/// The name of a `Host` value, without its port (`[::1]:80` → `[::1]`).
fn host_name(host: &str) -> &str {
    if host.starts_with('[') {
        return host.split_inclusive(']').next().unwrap_or(host);
    }
    host.rsplit_once(':').map_or(host, |(name, _)| name)
}

fn parse_hosts(list: &str) -> Result<Vec<String>, SecurityError> {
    list.split(',')
        .map(str::trim)
        .filter(|h| !h.is_empty())
        .map(|h| {
            let valid = h.bytes().all(|b| {
                b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':' | b'[' | b']' | b'*')
            }) && !h.contains('/');
            if valid {
                Ok(h.to_ascii_lowercase())
            } else {
                Err(SecurityError::BadHost(h.to_owned()))
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Env {
        Env::from_pairs(pairs.iter().copied())
    }

    fn host(h: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::HOST, h.parse().unwrap());
        headers
    }

    #[test]
    fn development_answers_to_loopback_names_only() {
        let security = Security::development();
        for ok in [
            "127.0.0.1:8080",
            "localhost",
            "LOCALHOST:3000",
            "[::1]:8080",
        ] {
            assert!(security.allows_host(&host(ok)), "{ok}");
        }
        for refused in [
            "evil.example",
            "evil.example:8080",
            "127.0.0.1.evil.example",
        ] {
            assert!(!security.allows_host(&host(refused)), "{refused}");
        }
        assert!(security.allows_host(&HeaderMap::new()));
        assert!(security.strict_transport_security.is_none());
    }

    #[test]
    fn production_needs_its_hosts_and_answers_to_them_only() {
        assert_eq!(
            Security::from_env(&env(&[("APP_ENV", "production")])),
            Err(SecurityError::HostsMissing)
        );
        let security = Security::from_env(&env(&[
            ("APP_ENV", "production"),
            (
                "RALLY_HOSTS",
                "scores.example.com, *.example.org, api.example.net:8443",
            ),
        ]))
        .unwrap();
        for ok in [
            "scores.example.com",
            "Scores.Example.com:443",
            "a.example.org",
            "B.Example.ORG",
            "API.example.net:8443",
        ] {
            assert!(security.allows_host(&host(ok)), "{ok}");
        }
        for refused in [
            "localhost",
            "example.org",
            "evilexample.org",
            "api.example.net",
            "api.example.net:9999",
            ".example.org",
            "xexample.org",
        ] {
            assert!(!security.allows_host(&host(refused)), "{refused}");
        }
        assert_eq!(
            security.strict_transport_security.as_deref(),
            Some("max-age=31536000")
        );
    }

    #[test]
    fn a_star_answers_to_any_host_and_bad_entries_are_named() {
        let any = Security::from_env(&env(&[("APP_ENV", "prod"), ("RALLY_HOSTS", "*")])).unwrap();
        assert!(any.allows_host(&host("whatever.example")));
        let err = Security::from_env(&env(&[("RALLY_HOSTS", "https://x.example/")])).unwrap_err();
        assert!(
            err.to_string()
                .contains("\"https://x.example/\" is not a host name")
        );
    }

    /// The layer on a route that answers `html` with `own` headers of its own.
    async fn respond(security: Security, own: &'static [(&'static str, &'static str)]) -> Response {
        use tower::ServiceExt as _;
        let route = axum::routing::get(move || async move {
            let mut response = axum::response::Html("<p>hi</p>").into_response();
            for (name, value) in own {
                response.headers_mut().insert(
                    HeaderName::from_static(name),
                    HeaderValue::from_static(value),
                );
            }
            response
        });
        let app = security.layer(Router::new().route("/", route));
        let request = Request::builder()
            .uri("/")
            .header(header::HOST, "localhost")
            .body(axum::body::Body::empty())
            .unwrap();
        app.oneshot(request).await.unwrap()
    }

    #[tokio::test]
    async fn headers_a_response_sets_itself_are_kept_and_bad_configured_values_left_out() {
        let mut security = Security::development();
        security.strict_transport_security = Some("max-age=60".to_owned());
        let response = respond(
            security.clone(),
            &[
                ("referrer-policy", "no-referrer"),
                ("content-security-policy", "default-src 'none'"),
            ],
        )
        .await;
        let get = |r: &Response, name: HeaderName| r.headers().get(name).cloned();
        assert_eq!(
            get(&response, header::REFERRER_POLICY).unwrap(),
            "no-referrer"
        );
        assert_eq!(
            get(&response, header::CONTENT_SECURITY_POLICY).unwrap(),
            "default-src 'none'"
        );
        assert_eq!(
            get(&response, header::X_CONTENT_TYPE_OPTIONS).unwrap(),
            "nosniff"
        );
        assert_eq!(get(&response, header::X_FRAME_OPTIONS).unwrap(), "DENY");
        assert_eq!(
            get(&response, header::STRICT_TRANSPORT_SECURITY).unwrap(),
            "max-age=60"
        );

        // A value no header may carry is not sent; the others still are, and so is the policy.
        security.referrer_policy = "same-origin\r\nX-Injected: 1".to_owned();
        let response = respond(security, &[]).await;
        assert!(get(&response, header::REFERRER_POLICY).is_none());
        assert!(response.headers().get("x-injected").is_none());
        assert_eq!(
            get(&response, header::X_CONTENT_TYPE_OPTIONS).unwrap(),
            "nosniff"
        );
        let csp = get(&response, header::CONTENT_SECURITY_POLICY).unwrap();
        assert!(csp.to_str().unwrap().contains("'nonce-"), "{csp:?}");
    }

    #[test]
    fn the_policy_names_the_nonce_wherever_it_asks_for_it() {
        let nonce = "abc+/=";
        assert_eq!(
            PolicyTemplate::new(Security::DEFAULT_CSP).with(nonce),
            Security::DEFAULT_CSP.replace("{nonce}", nonce)
        );
        let two = "script-src 'nonce-{nonce}'; style-src 'nonce-{nonce}'";
        assert_eq!(
            PolicyTemplate::new(two).with("n"),
            "script-src 'nonce-n'; style-src 'nonce-n'"
        );
        assert_eq!(PolicyTemplate::new("{nonce}").with("n"), "n");
        assert_eq!(
            PolicyTemplate::new("default-src 'self'").with("n"),
            "default-src 'self'"
        );
    }

    #[test]
    fn nonces_are_fresh_and_fit_a_header() {
        let (a, b) = (CspNonce::new(), CspNonce::new());
        assert_ne!(a, b);
        assert_eq!(a.as_str().len(), 24);
        assert!(HeaderValue::from_str(a.as_str()).is_ok());
    }
}
