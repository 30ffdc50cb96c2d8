//! Every sign-in route over real HTTP on 127.0.0.1, including Google sign-in against a fake
//! OpenID provider (authorize redirect, token endpoint with PKCE check, JWKS, signed ID tokens).

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};

use axum::http::{HeaderMap, HeaderValue, StatusCode};
use rally_auth::auth::{PendingCode, Unauthorized};
use rally_auth::auth_http::{
    AppError, Auth, AuthApp, AuthConfig, GoogleCredentials, GoogleIdentity, OidcProvider,
    RequestAuth, SignInLimits,
};
use rally_auth::session::{MemorySessionStore, SessionConfig, SessionKey, Sessions};

const ADMIN: &str = "admin@example.com";
const FAN: &str = "fan@example.com";

// ---------------------------------------------------------------------------------------------
// The app under test

#[derive(Default)]
struct Shared {
    codes: Mutex<HashMap<String, PendingCode>>,
    outbox: Mutex<Vec<(String, String)>>,
    lookups: Mutex<usize>,
    google: Option<GoogleCredentials>,
    google_identities: Mutex<Vec<GoogleIdentity>>,
}

#[derive(Clone, Default)]
struct TestApp(Arc<Shared>);

impl TestApp {
    fn sent(&self) -> usize {
        self.0.outbox.lock().unwrap().len()
    }
    fn lookups(&self) -> usize {
        *self.0.lookups.lock().unwrap()
    }
    /// The code delivered after `before` deliveries: codes are delivered in the background,
    /// after the redirect.
    async fn next_code(&self, before: usize) -> String {
        for _ in 0..400 {
            if let Some((_, code)) = self.0.outbox.lock().unwrap().get(before) {
                return code.clone();
            }
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
        panic!("no code was delivered within 2 s");
    }
}

fn user_id(email: &str) -> Option<i64> {
    match email {
        ADMIN => Some(1),
        FAN => Some(2),
        _ => None,
    }
}

impl AuthApp for TestApp {
    async fn user_by_email(&self, email: &str) -> Result<Option<i64>, AppError> {
        *self.0.lookups.lock().unwrap() += 1;
        Ok(user_id(email))
    }

    async fn load_code(&self, email: &str) -> Result<Option<PendingCode>, AppError> {
        Ok(self.0.codes.lock().unwrap().get(email).cloned())
    }

    async fn store_code(&self, email: &str, code: Option<PendingCode>) -> Result<(), AppError> {
        let mut codes = self.0.codes.lock().unwrap();
        match code {
            Some(code) => codes.insert(email.to_owned(), code),
            None => codes.remove(email),
        };
        Ok(())
    }

    async fn deliver_code(&self, email: &str, code: &str) -> Result<(), AppError> {
        self.0
            .outbox
            .lock()
            .unwrap()
            .push((email.to_owned(), code.to_owned()));
        Ok(())
    }

    fn google_credentials(&self) -> Option<GoogleCredentials> {
        self.0.google.clone()
    }

    async fn google_user(&self, identity: &GoogleIdentity) -> Result<Option<i64>, AppError> {
        self.0
            .google_identities
            .lock()
            .unwrap()
            .push(identity.clone());
        Ok(identity
            .email
            .as_deref()
            .filter(|_| identity.email_verified)
            .and_then(user_id))
    }

    fn can_access(&self, mount: &str, user_id: i64) -> Result<bool, AppError> {
        Ok(mount != "admin" || user_id == 1)
    }
}

// ---------------------------------------------------------------------------------------------
// Harness

struct Server {
    base: String,
    auth: Auth<TestApp>,
    app: TestApp,
    client: reqwest::Client,
}

/// Limits no test here reaches except those about limits.
fn roomy_limits() -> SignInLimits {
    SignInLimits {
        per_address_burst: 1000,
        guesses_per_email_burst: 1000,
        codes_per_email_burst: 1000,
        ..SignInLimits::default()
    }
}

async fn start(google: Option<(GoogleCredentials, OidcProvider)>) -> Server {
    start_with(google, roomy_limits()).await
}

async fn start_with(
    google: Option<(GoogleCredentials, OidcProvider)>,
    limits: SignInLimits,
) -> Server {
    // The Google redirect URI names the server's own address, so bind first.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let mut config = AuthConfig::new(b"test-login-code-secret".to_vec());
    config.sign_in_default_return_to = "/home".into();
    config.sign_in_limits = limits;
    let app = TestApp(Arc::new(Shared {
        google: google.as_ref().map(|(c, _)| GoogleCredentials {
            redirect_uri: format!("{base}/sign_in/google/callback"),
            ..c.clone()
        }),
        ..Shared::default()
    }));
    if let Some((_, provider)) = google {
        config.google = provider;
    }
    let sessions = Sessions::new(
        SessionKey::random().unwrap(),
        Arc::new(MemorySessionStore::default()),
        SessionConfig::development(),
    );
    let auth = Auth::new(app.clone(), sessions, config).unwrap();
    let router = auth.router();
    // With the client's address, as Rally's server records it for the per-address limit.
    let service = router.into_make_service_with_connect_info::<SocketAddr>();
    tokio::spawn(async move { axum::serve(listener, service).await.unwrap() });
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    Server {
        base,
        auth,
        app,
        client,
    }
}

fn form(pairs: &[(&str, &str)]) -> String {
    let mut s = form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        s.append_pair(k, v);
    }
    s.finish()
}

impl Server {
    async fn post(&self, path: &str, origin: Option<&str>, body: String) -> reqwest::Response {
        let mut request = self
            .client
            .post(format!("{}{path}", self.base))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body);
        if let Some(origin) = origin {
            request = request.header("origin", origin);
        }
        request.send().await.unwrap()
    }

    /// A same-origin form post.
    async fn submit(&self, path: &str, pairs: &[(&str, &str)]) -> reqwest::Response {
        self.post(path, Some(&self.base.clone()), form(pairs)).await
    }

    async fn get(&self, path: &str, headers: &[(&str, &str)]) -> reqwest::Response {
        let mut request = self.client.get(format!("{}{path}", self.base));
        for (k, v) in headers {
            request = request.header(*k, *v);
        }
        request.send().await.unwrap()
    }

    /// Asks for a code and signs in with it; the sign-in response.
    async fn sign_in(&self, email: &str, return_to: &str) -> reqwest::Response {
        let before = self.app.sent();
        let sent = self
            .submit(
                "/sign_in/code",
                &[("email", email), ("return_to", return_to)],
            )
            .await;
        assert_eq!(sent.status(), StatusCode::FOUND);
        let code = self.app.next_code(before).await;
        self.submit(
            "/sign_in",
            &[("email", email), ("code", &code), ("return_to", return_to)],
        )
        .await
    }
}

fn location(response: &reqwest::Response) -> &str {
    response
        .headers()
        .get("location")
        .expect("a redirect")
        .to_str()
        .unwrap()
}

fn set_cookies(response: &reqwest::Response) -> Vec<String> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect()
}

fn cookie_named(response: &reqwest::Response, name: &str) -> Option<String> {
    set_cookies(response)
        .into_iter()
        .find(|c| c.starts_with(&format!("{name}=")))
}

/// The `Cookie` request header a browser would send back for a `Set-Cookie`.
fn cookie_header(set_cookie: &str) -> HeaderMap {
    let pair = set_cookie.split(';').next().unwrap();
    let mut headers = HeaderMap::new();
    headers.insert("cookie", HeaderValue::from_str(pair).unwrap());
    headers
}

// ---------------------------------------------------------------------------------------------
// Login codes

#[tokio::test]
async fn code_sign_in_issues_a_session_and_redirects_to_the_return_path() {
    let s = start(None).await;
    let before = s.app.sent();
    let sent = s
        .submit(
            "/sign_in/code",
            &[
                ("email", " Admin@Example.com "),
                ("return_to", "/admin/games"),
            ],
        )
        .await;
    assert_eq!(sent.status(), StatusCode::FOUND);
    assert_eq!(
        location(&sent),
        "/sign_in?return_to=%2Fadmin%2Fgames&sent=1"
    );
    let code = s.app.next_code(before).await;
    assert_eq!(code.len(), 5);

    let signed_in = s
        .submit(
            "/sign_in",
            &[
                ("email", ADMIN),
                ("code", &code.to_uppercase()),
                ("return_to", "/admin/games"),
            ],
        )
        .await;
    assert_eq!(signed_in.status(), StatusCode::FOUND);
    assert_eq!(location(&signed_in), "/admin/games");
    let cookie = cookie_named(&signed_in, "__rally_auth").expect("session cookie");
    for attr in ["HttpOnly", "SameSite=Lax", "Path=/", "Max-Age="] {
        assert!(cookie.contains(attr), "{attr} in {cookie}");
    }
    assert!(!cookie.contains("Secure"), "development cookie: {cookie}");
    let identity = s.auth.authenticate(&cookie_header(&cookie)).unwrap();
    assert_eq!(identity.user_id, 1);

    // A code works once.
    let again = s
        .submit("/sign_in", &[("email", ADMIN), ("code", &code)])
        .await;
    assert_eq!(location(&again), "/sign_in?return_to=%2Fhome&error=invalid");
}

#[tokio::test]
async fn wrong_codes_and_unknown_emails_are_refused() {
    let s = start(None).await;
    let unknown = s
        .submit("/sign_in/code", &[("email", "nobody@example.com")])
        .await;
    assert_eq!(location(&unknown), "/sign_in?return_to=%2Fhome&sent=1");
    let known = s.submit("/sign_in/code", &[("email", ADMIN)]).await;
    assert_eq!(location(&known), location(&unknown), "the same answer");
    let code = s.app.next_code(0).await;
    while s.app.lookups() < 2 {
        tokio::task::yield_now().await;
    }
    assert_eq!(s.app.sent(), 1, "nothing was sent to the unknown email");
    let wrong = if code == "22222" { "33333" } else { "22222" };
    for (email, code) in [(ADMIN, wrong), (FAN, code.as_str()), (ADMIN, ""), ("", "x")] {
        let response = s
            .submit("/sign_in", &[("email", email), ("code", code)])
            .await;
        assert_eq!(response.status(), StatusCode::FOUND);
        assert_eq!(
            location(&response),
            "/sign_in?return_to=%2Fhome&error=invalid"
        );
        assert!(cookie_named(&response, "__rally_auth").is_none());
    }
    // One wrong guess counted against the admin's code; it still works.
    let ok = s
        .submit("/sign_in", &[("email", ADMIN), ("code", &code)])
        .await;
    assert_eq!(location(&ok), "/home");
}

#[tokio::test]
async fn a_code_stops_working_after_five_wrong_guesses() {
    // The code's own count, apart from the email's lock (tested below).
    let lock_later = SignInLimits {
        lock_after: 100,
        ..roomy_limits()
    };
    let s = start_with(None, lock_later).await;
    s.submit("/sign_in/code", &[("email", ADMIN)]).await;
    let code = s.app.next_code(0).await;
    let wrong = if code == "22222" { "33333" } else { "22222" };
    for _ in 0..5 {
        s.submit("/sign_in", &[("email", ADMIN), ("code", wrong)])
            .await;
    }
    let right = s
        .submit("/sign_in", &[("email", ADMIN), ("code", &code)])
        .await;
    assert_eq!(location(&right), "/sign_in?return_to=%2Fhome&error=invalid");
    assert!(cookie_named(&right, "__rally_auth").is_none());
}

/// A client whose requests come from `address` (any 127.0.0.0/8 address reaches the server).
fn client_from(address: [u8; 4]) -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .local_address(IpAddr::from(address))
        .build()
        .unwrap()
}

impl Server {
    /// A same-origin form post from `client`.
    async fn submit_from(
        &self,
        client: &reqwest::Client,
        path: &str,
        pairs: &[(&str, &str)],
    ) -> reqwest::Response {
        client
            .post(format!("{}{path}", self.base))
            .header("origin", &self.base)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form(pairs))
            .send()
            .await
            .unwrap()
    }
}

fn retry_after(response: &reqwest::Response) -> u64 {
    response
        .headers()
        .get("retry-after")
        .expect("a Retry-After header")
        .to_str()
        .unwrap()
        .parse()
        .unwrap()
}

#[tokio::test]
async fn wrong_codes_lock_the_email_even_against_a_new_right_code() {
    let s = start(None).await;
    s.submit("/sign_in/code", &[("email", ADMIN)]).await;
    let first = s.app.next_code(0).await;
    let wrong = if first == "22222" { "33333" } else { "22222" };
    for _ in 0..4 {
        let response = s
            .submit("/sign_in", &[("email", ADMIN), ("code", wrong)])
            .await;
        assert_eq!(
            location(&response),
            "/sign_in?return_to=%2Fhome&error=invalid"
        );
    }
    // A new code does not reset the count: the fifth wrong guess, against it, locks the email.
    s.submit("/sign_in/code", &[("email", ADMIN)]).await;
    let second = s.app.next_code(1).await;
    let wrong = if second == "22222" { "33333" } else { "22222" };
    let fifth = s
        .submit("/sign_in", &[("email", ADMIN), ("code", wrong)])
        .await;
    assert_eq!(location(&fifth), "/sign_in?return_to=%2Fhome&error=invalid");

    // Locked: even the right code of a third request is refused, with when to come back.
    s.submit("/sign_in/code", &[("email", ADMIN)]).await;
    let third = s.app.next_code(2).await;
    let locked = s
        .submit("/sign_in", &[("email", ADMIN), ("code", &third)])
        .await;
    assert_eq!(locked.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!((59..=60).contains(&retry_after(&locked)), "{locked:?}");
    assert!(cookie_named(&locked, "__rally_auth").is_none());
    assert!(
        locked
            .text()
            .await
            .unwrap()
            .contains("Too many wrong codes")
    );

    // Other emails are not affected.
    let fan = s.sign_in(FAN, "/home").await;
    assert_eq!(location(&fan), "/home");
}

#[tokio::test]
async fn unknown_emails_lock_exactly_like_known_ones() {
    let s = start(None).await;
    for email in [ADMIN, "nobody@example.com"] {
        let mut answers = Vec::new();
        for _ in 0..5 {
            let response = s
                .submit("/sign_in", &[("email", email), ("code", "zzzzz")])
                .await;
            answers.push((response.status(), location(&response).to_owned()));
        }
        let sixth = s
            .submit("/sign_in", &[("email", email), ("code", "zzzzz")])
            .await;
        answers.push((sixth.status(), String::new()));
        assert_eq!(retry_after(&sixth), 60, "{email}");
        assert_eq!(
            answers,
            [
                vec![
                    (
                        StatusCode::FOUND,
                        "/sign_in?return_to=%2Fhome&error=invalid".to_owned()
                    );
                    5
                ],
                vec![(StatusCode::TOO_MANY_REQUESTS, String::new())]
            ]
            .concat(),
            "{email}"
        );
    }
}

#[tokio::test]
async fn one_address_is_limited_across_emails_and_routes_and_others_are_not() {
    let s = start_with(
        None,
        SignInLimits {
            per_address_burst: 3,
            per_address_every: std::time::Duration::from_secs(60),
            ..roomy_limits()
        },
    )
    .await;
    let attacker = client_from([127, 0, 0, 2]);
    for (path, email) in [
        ("/sign_in", ADMIN),
        ("/sign_in/code", FAN),
        ("/sign_in", "nobody@example.com"),
    ] {
        let response = s
            .submit_from(&attacker, path, &[("email", email), ("code", "zzzzz")])
            .await;
        assert_eq!(response.status(), StatusCode::FOUND, "{path} {email}");
    }
    let refused = s
        .submit_from(&attacker, "/sign_in", &[("email", FAN), ("code", "zzzzz")])
        .await;
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!((59..=60).contains(&retry_after(&refused)));

    let neighbour = client_from([127, 0, 0, 3]);
    let response = s
        .submit_from(&neighbour, "/sign_in", &[("email", FAN), ("code", "zzzzz")])
        .await;
    assert_eq!(
        response.status(),
        StatusCode::FOUND,
        "another address has its own budget"
    );
}

#[tokio::test]
async fn one_email_is_limited_across_addresses() {
    let s = start_with(
        None,
        SignInLimits {
            guesses_per_email_burst: 2,
            guesses_per_email_every: std::time::Duration::from_secs(60),
            codes_per_email_burst: 2,
            codes_per_email_every: std::time::Duration::from_secs(60),
            lock_after: 100,
            ..roomy_limits()
        },
    )
    .await;
    let clients: Vec<_> = (2..6).map(|n| client_from([127, 0, 0, n])).collect();
    let mut guesses = Vec::new();
    let mut requests = Vec::new();
    for client in &clients {
        let guess = s
            .submit_from(client, "/sign_in", &[("email", ADMIN), ("code", "zzzzz")])
            .await;
        guesses.push(guess.status());
        let request = s
            .submit_from(client, "/sign_in/code", &[("email", ADMIN)])
            .await;
        requests.push(request.status());
    }
    let found = StatusCode::FOUND;
    let refused = StatusCode::TOO_MANY_REQUESTS;
    assert_eq!(guesses, [found, found, refused, refused]);
    assert_eq!(requests, [found, found, refused, refused]);
    s.app.next_code(1).await;
    assert_eq!(s.app.sent(), 2, "no code was sent for a refused request");
}

#[tokio::test]
async fn the_default_limits_allow_about_five_guesses_per_email_per_minute() {
    let s = start_with(None, SignInLimits::default()).await;
    let mut accepted = 0;
    for n in 0..40u8 {
        // A fresh address per guess, as a botnet would have.
        let client = client_from([127, 0, 1, n + 1]);
        let response = s
            .submit_from(&client, "/sign_in", &[("email", ADMIN), ("code", "zzzzz")])
            .await;
        if response.status() == StatusCode::FOUND {
            accepted += 1;
        }
    }
    assert_eq!(accepted, 5, "five wrong guesses, then the email is locked");
}

// ---------------------------------------------------------------------------------------------
// Origin checks, body limits, redirects

#[tokio::test]
async fn cross_origin_and_origin_less_posts_are_refused() {
    let s = start(None).await;
    let signed_in = s.sign_in(ADMIN, "/home").await;
    let session = cookie_named(&signed_in, "__rally_auth").unwrap();
    let sent_before = s.app.sent();
    for path in ["/sign_in/code", "/sign_in", "/sign_out"] {
        for origin in [Some("https://evil.example"), Some("null"), None] {
            let mut request = s
                .client
                .post(format!("{}{path}", s.base))
                .header("cookie", session.split(';').next().unwrap())
                .header("content-type", "application/x-www-form-urlencoded")
                .body(form(&[("email", ADMIN)]));
            if let Some(origin) = origin {
                request = request.header("origin", origin);
            }
            let response = request.send().await.unwrap();
            assert_eq!(
                response.status(),
                StatusCode::FORBIDDEN,
                "{path} {origin:?}"
            );
        }
    }
    // A foreign Referer (no Origin) is refused too; a same-origin Referer is accepted.
    let foreign_referer = s
        .client
        .post(format!("{}/sign_in/code", s.base))
        .header("referer", "https://evil.example/page")
        .body(form(&[("email", ADMIN)]))
        .send()
        .await
        .unwrap();
    assert_eq!(foreign_referer.status(), StatusCode::FORBIDDEN);
    assert_eq!(s.app.sent(), sent_before, "no code was sent");
    assert!(
        s.auth.authenticate(&cookie_header(&session)).is_some(),
        "the refused sign-out did not end the session"
    );
    let own_referer = s
        .client
        .post(format!("{}/sign_in/code", s.base))
        .header("referer", format!("{}/sign_in", s.base))
        .body(form(&[("email", ADMIN)]))
        .send()
        .await
        .unwrap();
    assert_eq!(own_referer.status(), StatusCode::FOUND);

    // A cross-site GET sign-out is refused as well.
    let cross_site = s
        .get(
            "/sign_out",
            &[
                ("cookie", session.split(';').next().unwrap()),
                ("sec-fetch-site", "cross-site"),
            ],
        )
        .await;
    assert_eq!(cross_site.status(), StatusCode::FORBIDDEN);
    assert!(s.auth.authenticate(&cookie_header(&session)).is_some());
}

#[tokio::test]
async fn oversized_bodies_get_413() {
    let s = start(None).await;
    let big = form(&[("email", ADMIN), ("pad", &"x".repeat(5000))]);
    for path in ["/sign_in/code", "/sign_in"] {
        let response = s.post(path, Some(&s.base.clone()), big.clone()).await;
        assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE, "{path}");
    }
    assert_eq!(s.app.sent(), 0);
    // Just under the limit is read.
    let fits = form(&[("email", ADMIN), ("pad", &"x".repeat(4000))]);
    let response = s.post("/sign_in/code", Some(&s.base.clone()), fits).await;
    assert_eq!(response.status(), StatusCode::FOUND);
}

#[tokio::test]
async fn open_redirects_are_narrowed_to_a_local_default() {
    let s = start(None).await;
    let attacks = [
        "//evil.example",
        "https://evil.example/x",
        "/\\evil.example",
        "/\t/evil.example",
        "\\\\evil.example",
        "evil.example",
        "http:evil.example",
    ];
    for attack in attacks {
        let signed_in = s.sign_in(ADMIN, attack).await;
        assert_eq!(location(&signed_in), "/home", "sign-in {attack:?}");

        let sent = s
            .submit("/sign_in/code", &[("email", ADMIN), ("return_to", attack)])
            .await;
        assert_eq!(
            location(&sent),
            "/sign_in?return_to=%2Fhome&sent=1",
            "{attack:?}"
        );

        let query = form(&[("return_to", attack)]);
        let signed_out = s.get(&format!("/sign_out?{query}"), &[]).await;
        assert_eq!(location(&signed_out), "/", "sign-out {attack:?}");
    }
}

// ---------------------------------------------------------------------------------------------
// Sign-out and per-request authorization

#[tokio::test]
async fn signing_out_in_one_tab_signs_out_the_other_tabs_socket() {
    let s = start(None).await;
    let signed_in = s.sign_in(ADMIN, "/admin/games").await;
    let cookie = cookie_named(&signed_in, "__rally_auth").unwrap();
    // Tab B's WebSocket captured the Cookie header at upgrade.
    let socket_headers = cookie_header(&cookie);
    let identity = s.auth.authorize("admin", &socket_headers).await.unwrap();
    assert_eq!(identity.map(|i| i.user_id), Some(1));
    let auth = s.auth.clone();
    let headers = socket_headers.clone();
    let blocking = tokio::task::spawn_blocking(move || auth.authorize_blocking("admin", &headers))
        .await
        .unwrap();
    assert_eq!(blocking.unwrap().map(|i| i.user_id), Some(1));

    // Tab A signs out over HTTP.
    let signed_out = s
        .client
        .post(format!("{}/sign_out?return_to=/games", s.base))
        .header("origin", &s.base)
        .header("cookie", cookie.split(';').next().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(signed_out.status(), StatusCode::FOUND);
    assert_eq!(location(&signed_out), "/games");
    let removal = cookie_named(&signed_out, "__rally_auth").unwrap();
    assert!(removal.contains("Max-Age=0"), "{removal}");

    // Tab B's next save is refused; public loads still work, signed out. The dispatch runs
    // handlers on blocking threads, through the object-safe trait.
    let gate: Arc<dyn RequestAuth> = Arc::new(s.auth.clone());
    let blocking = {
        let headers = socket_headers.clone();
        tokio::task::spawn_blocking(move || gate.authorize_blocking("admin", &headers))
            .await
            .unwrap()
    };
    assert_eq!(blocking, Err(Unauthorized));
    assert_eq!(s.auth.authenticate(&socket_headers), None);
    assert_eq!(
        s.auth.authorize("admin", &socket_headers).await,
        Err(Unauthorized)
    );
    assert_eq!(s.auth.authorize("public", &socket_headers).await, Ok(None));
}

#[tokio::test]
async fn get_sign_out_works_from_a_link() {
    let s = start(None).await;
    let cookie = cookie_named(&s.sign_in(ADMIN, "/").await, "__rally_auth").unwrap();
    let signed_out = s
        .get(
            "/sign_out",
            &[
                ("cookie", cookie.split(';').next().unwrap()),
                ("sec-fetch-site", "same-origin"),
                ("referer", &format!("{}/games", s.base)),
            ],
        )
        .await;
    assert_eq!(location(&signed_out), "/");
    assert_eq!(s.auth.authenticate(&cookie_header(&cookie)), None);
}

#[tokio::test]
async fn mount_authorization_applies_the_apps_access_rule() {
    let s = start(None).await;
    let fan = cookie_named(&s.sign_in(FAN, "/").await, "__rally_auth").unwrap();
    let fan = cookie_header(&fan);
    assert_eq!(s.auth.authorize("admin", &fan).await, Err(Unauthorized));
    let public = s.auth.authorize("public", &fan).await.unwrap();
    assert_eq!(public.map(|i| i.user_id), Some(2));
    assert_eq!(
        s.auth.authorize("admin", &HeaderMap::new()).await,
        Err(Unauthorized)
    );
    // The HTTP guard for server-rendered pages redirects to sign-in.
    let redirect = s
        .auth
        .protect("admin", &HeaderMap::new(), "/admin/games")
        .await
        .unwrap_err();
    assert_eq!(
        redirect.headers()["location"],
        "/sign_in?return_to=%2Fadmin%2Fgames"
    );
}

// ---------------------------------------------------------------------------------------------
// Blocking work stays off the async threads

/// An app whose `can_access` blocks until an async task on the same runtime opens the gate.
struct GatedApp(Arc<(Mutex<bool>, std::sync::Condvar)>);

impl AuthApp for GatedApp {
    async fn user_by_email(&self, _: &str) -> Result<Option<i64>, AppError> {
        Ok(None)
    }
    async fn load_code(&self, _: &str) -> Result<Option<PendingCode>, AppError> {
        Ok(None)
    }
    async fn store_code(&self, _: &str, _: Option<PendingCode>) -> Result<(), AppError> {
        Ok(())
    }
    async fn deliver_code(&self, _: &str, _: &str) -> Result<(), AppError> {
        Ok(())
    }
    fn can_access(&self, _: &str, _: i64) -> Result<bool, AppError> {
        let (open, opened) = &*self.0;
        let guard = open.lock().unwrap();
        let (guard, _) = opened
            .wait_timeout_while(guard, std::time::Duration::from_secs(10), |open| !*open)
            .unwrap();
        Ok(*guard)
    }
}

#[test]
fn async_authorization_runs_the_session_lookup_and_can_access_off_the_async_thread() {
    // One async thread: if `authorize` blocked it, the task opening the gate could never run
    // and `can_access` would give up after 10 s, refusing.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let gate = Arc::new((Mutex::new(false), std::sync::Condvar::new()));
    let sessions = Sessions::new(
        SessionKey::random().unwrap(),
        Arc::new(MemorySessionStore::default()),
        SessionConfig::development(),
    );
    let cookie = sessions.issue(7).unwrap().cookie;
    let auth = Auth::new(
        GatedApp(gate.clone()),
        sessions,
        AuthConfig::new(b"secret".to_vec()),
    )
    .unwrap();
    let mut headers = HeaderMap::new();
    headers.insert(
        "cookie",
        HeaderValue::from_str(&format!("{}={}", cookie.name(), cookie.value())).unwrap(),
    );
    let identity = runtime.block_on(async {
        let opener = tokio::spawn(async move {
            tokio::task::yield_now().await;
            let (open, opened) = &*gate;
            *open.lock().unwrap() = true;
            opened.notify_all();
        });
        let result = auth.authorize("admin", &headers).await;
        opener.await.unwrap();
        result
    });
    assert_eq!(identity.unwrap().unwrap().user_id, 7);
    // The blocking form answers the same on a plain thread, with no runtime at all.
    assert_eq!(
        auth.authorize_blocking("admin", &headers)
            .unwrap()
            .unwrap()
            .user_id,
        7
    );
}

// ---------------------------------------------------------------------------------------------
// Google sign-in against a fake OpenID provider (feature `google`)

#[cfg(not(feature = "google"))]
#[tokio::test]
async fn without_the_google_feature_its_routes_say_it_is_not_compiled_in() {
    let s = start(None).await;
    for path in ["/sign_in/google", "/sign_in/google/callback?code=x&state=y"] {
        let response = s
            .client
            .get(format!("{}{path}", s.base))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE, "{path}");
        assert!(
            response
                .text()
                .await
                .unwrap()
                .contains("enable the `google` feature")
        );
    }
}

#[cfg(feature = "google")]
mod google {
    use super::*;
    use axum::Router;
    use axum::extract::State;
    use axum::response::{IntoResponse, Response};
    use axum::routing::{get, post};
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use openidconnect::core::{
        CoreGenderClaim, CoreIdToken, CoreIdTokenClaims, CoreJsonWebKeySet,
        CoreJwsSigningAlgorithm, CoreRsaPrivateSigningKey,
    };
    use openidconnect::{
        Audience, EmptyAdditionalClaims, EndUserEmail, IssuerUrl, JsonWebKeyId, Nonce,
        PrivateSigningKey, StandardClaims, SubjectIdentifier,
    };
    use sha2::{Digest, Sha256};

    const CLIENT_ID: &str = "rally-test-client";
    const CLIENT_SECRET: &str = "rally-test-secret";
    const PROVIDER_KEY: &str = include_str!("fixtures/test-provider-key.pem");
    const OTHER_KEY: &str = include_str!("fixtures/other-key.pem");

    /// How the fake provider answers the next token request.
    #[derive(Clone, Copy, Debug, PartialEq)]
    enum Mode {
        Good,
        WrongNonce,
        Expired,
        BadSignature,
        WrongAudience,
    }

    struct Grant {
        nonce: String,
        challenge: String,
        mode: Mode,
    }

    struct Provider {
        issuer: String,
        grants: Mutex<HashMap<String, Grant>>,
        token_requests: Mutex<usize>,
        key: CoreRsaPrivateSigningKey,
        other_key: CoreRsaPrivateSigningKey,
    }

    fn signing_key(pem: &str) -> CoreRsaPrivateSigningKey {
        CoreRsaPrivateSigningKey::from_pem(pem, Some(JsonWebKeyId::new("k1".into()))).unwrap()
    }

    async fn start_provider() -> (Arc<Provider>, OidcProvider) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let issuer = format!("http://{}", listener.local_addr().unwrap());
        let provider = Arc::new(Provider {
            issuer: issuer.clone(),
            grants: Mutex::default(),
            token_requests: Mutex::default(),
            key: signing_key(PROVIDER_KEY),
            other_key: signing_key(OTHER_KEY),
        });
        let router = Router::new()
            .route("/token", post(token))
            .route("/jwks", get(jwks))
            .with_state(provider.clone());
        tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
        let config = OidcProvider {
            issuer: issuer.clone(),
            accepted_issuers: vec![issuer.clone()],
            authorize_url: format!("{issuer}/authorize"),
            token_url: format!("{issuer}/token"),
            jwks_url: format!("{issuer}/jwks"),
        };
        (provider, config)
    }

    async fn jwks(State(p): State<Arc<Provider>>) -> Response {
        let set = CoreJsonWebKeySet::new(vec![p.key.as_verification_key()]);
        (
            [("content-type", "application/json")],
            serde_json::to_string(&set).unwrap(),
        )
            .into_response()
    }

    fn token_error() -> Response {
        (
            StatusCode::BAD_REQUEST,
            [("content-type", "application/json")],
            r#"{"error":"invalid_grant"}"#,
        )
            .into_response()
    }

    async fn token(State(p): State<Arc<Provider>>, headers: HeaderMap, body: String) -> Response {
        *p.token_requests.lock().unwrap() += 1;
        let form: HashMap<String, String> = form_urlencoded::parse(body.as_bytes())
            .into_owned()
            .collect();
        // oauth2 sends the client secret with HTTP Basic authentication.
        let basic = URL_SAFE_NO_PAD.encode(format!("{CLIENT_ID}:{CLIENT_SECRET}"));
        let auth = headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .replace('+', "-")
            .replace('/', "_")
            .trim_end_matches('=')
            .to_owned();
        if auth != format!("Basic {basic}") {
            return token_error();
        }
        let Some(grant) = form
            .get("code")
            .and_then(|c| p.grants.lock().unwrap().remove(c))
        else {
            return token_error();
        };
        let verifier = form.get("code_verifier").cloned().unwrap_or_default();
        if URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes())) != grant.challenge
            || form.get("grant_type").map(String::as_str) != Some("authorization_code")
        {
            return token_error();
        }
        let id_token = id_token(&p, &grant);
        let body = serde_json::json!({
            "access_token": "at-1",
            "token_type": "Bearer",
            "expires_in": 3600,
            "id_token": id_token.to_string(),
        });
        ([("content-type", "application/json")], body.to_string()).into_response()
    }

    fn id_token(p: &Provider, grant: &Grant) -> CoreIdToken {
        let now = chrono::Utc::now();
        let (issued, expires) = match grant.mode {
            Mode::Expired => (
                now - chrono::Duration::minutes(30),
                now - chrono::Duration::minutes(20),
            ),
            _ => (now, now + chrono::Duration::minutes(5)),
        };
        let audience = match grant.mode {
            Mode::WrongAudience => "someone-else",
            _ => CLIENT_ID,
        };
        let nonce = match grant.mode {
            Mode::WrongNonce => "not-the-nonce".to_owned(),
            _ => grant.nonce.clone(),
        };
        let claims = CoreIdTokenClaims::new(
            IssuerUrl::new(p.issuer.clone()).unwrap(),
            vec![Audience::new(audience.into())],
            expires,
            issued,
            StandardClaims::<CoreGenderClaim>::new(SubjectIdentifier::new("google-sub-1".into()))
                .set_email(Some(EndUserEmail::new(ADMIN.into())))
                .set_email_verified(Some(true)),
            EmptyAdditionalClaims {},
        )
        .set_nonce(Some(Nonce::new(nonce)));
        let key = match grant.mode {
            Mode::BadSignature => &p.other_key,
            _ => &p.key,
        };
        CoreIdToken::new(
            claims,
            key,
            CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
            None,
            None,
        )
        .unwrap()
    }

    async fn start_google() -> (Server, Arc<Provider>) {
        let (provider, config) = start_provider().await;
        let credentials = GoogleCredentials {
            client_id: CLIENT_ID.into(),
            client_secret: CLIENT_SECRET.into(),
            redirect_uri: String::new(), // filled in by `start`
        };
        (start(Some((credentials, config))).await, provider)
    }

    /// The query of a URL as a map.
    fn query_map(url: &str) -> HashMap<String, String> {
        let query = url.split_once('?').map_or("", |(_, q)| q);
        form_urlencoded::parse(query.as_bytes())
            .into_owned()
            .collect()
    }

    /// Starts a Google sign-in: the provider's authorize URL parameters and the flow cookie.
    async fn begin_google(s: &Server, return_to: &str) -> (HashMap<String, String>, String) {
        let started = s
            .get(
                &format!("/sign_in/google?{}", form(&[("return_to", return_to)])),
                &[],
            )
            .await;
        assert_eq!(started.status(), StatusCode::FOUND);
        let params = query_map(location(&started));
        let flow = cookie_named(&started, "__rally_google").expect("flow cookie");
        (params, flow.split(';').next().unwrap().to_owned())
    }

    /// Has the fake provider approve the sign-in (as the user at Google would) and follows the
    /// browser back to the callback.
    async fn complete_google(
        s: &Server,
        provider: &Provider,
        mode: Mode,
        tamper_state: bool,
    ) -> reqwest::Response {
        let (params, flow) = begin_google(s, "/admin/games").await;
        provider.grants.lock().unwrap().insert(
            "code-1".into(),
            Grant {
                nonce: params["nonce"].clone(),
                challenge: params["code_challenge"].clone(),
                mode,
            },
        );
        let state = if tamper_state {
            "forged-state".to_owned()
        } else {
            params["state"].clone()
        };
        let query = form(&[("code", "code-1"), ("state", &state)]);
        s.get(
            &format!("/sign_in/google/callback?{query}"),
            &[("cookie", &flow)],
        )
        .await
    }

    #[tokio::test]
    async fn google_authorize_redirect_carries_state_nonce_and_pkce() {
        let (s, provider) = start_google().await;
        let started = s.get("/sign_in/google?return_to=/admin/games", &[]).await;
        let url = location(&started);
        assert!(
            url.starts_with(&format!("{}/authorize?", provider.issuer)),
            "{url}"
        );
        let params = query_map(url);
        assert_eq!(params["client_id"], CLIENT_ID);
        assert_eq!(params["response_type"], "code");
        assert_eq!(params["code_challenge_method"], "S256");
        assert_eq!(
            params["redirect_uri"],
            format!("{}/sign_in/google/callback", s.base)
        );
        assert_eq!(params["scope"], "openid email profile");
        assert!(params["state"].len() >= 16 && params["nonce"].len() >= 16);
        let flow = cookie_named(&started, "__rally_google").unwrap();
        for attr in [
            "HttpOnly",
            "SameSite=Lax",
            "Path=/sign_in/google",
            "Max-Age=600",
        ] {
            assert!(flow.contains(attr), "{attr} in {flow}");
        }
        // The flow cookie is encrypted: neither state nor verifier can be read from it.
        assert!(!flow.contains(&params["state"]));
    }

    #[tokio::test]
    async fn google_sign_in_succeeds_with_a_valid_id_token() {
        let (s, provider) = start_google().await;
        let done = complete_google(&s, &provider, Mode::Good, false).await;
        assert_eq!(done.status(), StatusCode::FOUND);
        assert_eq!(location(&done), "/admin/games");
        let session = cookie_named(&done, "__rally_auth").expect("session cookie");
        assert_eq!(
            s.auth
                .authenticate(&cookie_header(&session))
                .map(|i| i.user_id),
            Some(1)
        );
        let removal = cookie_named(&done, "__rally_google").unwrap();
        assert!(removal.contains("Max-Age=0"), "{removal}");
        let identities = s.app.0.google_identities.lock().unwrap();
        assert_eq!(identities.len(), 1);
        assert_eq!(identities[0].subject, "google-sub-1");
        assert_eq!(identities[0].email.as_deref(), Some(ADMIN));
        assert!(identities[0].email_verified);
    }

    #[tokio::test]
    async fn google_sign_in_refuses_a_wrong_state_without_calling_the_provider() {
        let (s, provider) = start_google().await;
        let done = complete_google(&s, &provider, Mode::Good, true).await;
        assert_eq!(
            location(&done),
            "/sign_in?return_to=%2Fadmin%2Fgames&error=invalid"
        );
        assert!(cookie_named(&done, "__rally_auth").is_none());
        assert_eq!(*provider.token_requests.lock().unwrap(), 0);
        // No flow cookie at all (a forged callback link) is refused too.
        let forged = s
            .get("/sign_in/google/callback?code=code-1&state=x", &[])
            .await;
        assert_eq!(
            location(&forged),
            "/sign_in?return_to=%2Fhome&error=invalid"
        );
    }

    #[tokio::test]
    async fn google_sign_in_refuses_bad_id_tokens() {
        let (s, provider) = start_google().await;
        for mode in [
            Mode::WrongNonce,
            Mode::Expired,
            Mode::BadSignature,
            Mode::WrongAudience,
        ] {
            let done = complete_google(&s, &provider, mode, false).await;
            assert_eq!(
                location(&done),
                "/sign_in?return_to=%2Fadmin%2Fgames&error=invalid",
                "{mode:?}"
            );
            assert!(cookie_named(&done, "__rally_auth").is_none(), "{mode:?}");
            assert!(
                cookie_named(&done, "__rally_google").is_some_and(|c| c.contains("Max-Age=0")),
                "{mode:?}: flow cookie removed"
            );
        }
        assert_eq!(*provider.token_requests.lock().unwrap(), 4);
        assert!(s.app.0.google_identities.lock().unwrap().is_empty());
    }

    #[tokio::test]
    async fn google_routes_answer_503_when_not_configured() {
        let s = start(None).await;
        let response = s.get("/sign_in/google", &[]).await;
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(
            response.text().await.unwrap(),
            "Google sign-in is not configured"
        );
    }
}
