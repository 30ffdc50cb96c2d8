//! Server rendering of a mount's pages: request → route → caller (the mount's gate, then the
//! page's access rule) → shared state → `load` → the hydration payload (shared state and load
//! result, encoded) → `initial_model` → `update(Loaded)` (effects dropped) → `view` → HTML
//! inside the document, with the payload embedded for the browser. For anonymous visitors the
//! steps after the payload are skipped when the path, theme and payload repeat
//! (server/render_memo.rs, ADR 0038).

use std::sync::Arc;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use axum::routing::get;

use super::caller::{Caller, Denied};
use super::encoding::{Offer, PageBody, choose};
use super::html;
use super::page_cache::PageCache;
use super::pool::{PoolError, RenderPool};
use super::render_memo::{Key, Page, RenderMemo};
use crate::document::Document;
use crate::mount::{Hydration, ServerMount};
use crate::page::Head;
use crate::routes::QueryParams;
use crate::shell::Chrome;
use rally_auth::auth_http::RequestAuth;
use rally_auth::session::Identity;

/// A rendered page, before the document wraps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    /// 200, 404 for the not-found page, or a failed load's status.
    pub status: StatusCode,
    /// The view's HTML (the page inside the mount's shell).
    pub body: String,
    /// The hydration payload (base64url postcard).
    pub payload: String,
    /// The canonical path of the route.
    pub path: String,
    /// Whether the page was rendered with the dark theme (`dark=1` cookie).
    pub dark_mode: bool,
    /// The page's title and description (its `head` function).
    pub head: Head,
    /// The response's Content-Security-Policy nonce: a document writes it on its inline
    /// scripts (`nonce="…"`), or the browser refuses to run them. Empty without a CSP.
    pub nonce: String,
    /// A notice above the page: why the save the browser just posted as a form failed.
    pub notice: Option<String>,
}

/// What a mount's `shared_state` function sees of the request.
pub struct PageRequest<'a> {
    /// The request's headers (cookies, language).
    pub headers: &'a HeaderMap,
    /// The signed-in user, when the app has auth and the session is valid.
    pub identity: Option<&'a Identity>,
}

/// The server's stand-in for the browser's mount message: the shell's theme switch renders an
/// `on_check` handler, which needs a message type, but nothing is dispatched on the server.
#[derive(Clone)]
enum ServerMsg<P> {
    Page(P),
    DarkMode,
}

/// Renders the page at `path` (`?query` allowed) of mount `M` for `caller`, who must already
/// have been let in ([`ServerMount::authorize`]).
pub fn render<M: ServerMount>(
    ctx: &M::Context,
    caller: &Caller<'_>,
    shared: M::Shared,
    path: &str,
    dark_mode: bool,
) -> Rendered {
    render_route::<M>(ctx, caller, shared, M::parse(path), path, dark_mode, None)
}

/// [`render`] of a route already parsed from `path`; with `memo`, a page whose path, theme and
/// payload were rendered before is not rendered again (server/render_memo.rs).
fn render_route<M: ServerMount>(
    ctx: &M::Context,
    caller: &Caller<'_>,
    shared: M::Shared,
    route: M::Route,
    path: &str,
    dark_mode: bool,
    memo: Option<&RenderMemo>,
) -> Rendered {
    let (msg, load, load_status) = match M::load_data(ctx, caller, &route) {
        Some(loaded) => (Some(loaded.msg), Some(loaded.payload), loaded.status),
        None => (None, None, 200),
    };
    let payload = match crate::payload::encode(&Hydration {
        shared: &shared,
        load,
    }) {
        Ok(payload) => payload,
        Err(error) => {
            // Without its payload a page has no key: an empty one would be every such
            // request's, and one visitor's page would be served to the next.
            tracing::error!(path, "the page's payload could not be encoded: {error}");
            let page = render_page::<M>(shared, route, path, dark_mode, msg, load_status);
            return page.into_rendered(String::new(), dark_mode);
        }
    };
    let key = Key {
        path,
        dark_mode,
        payload: &payload,
    };
    let page = match memo.and_then(|memo| memo.get(key)) {
        Some(page) => page,
        None => {
            let page = render_page::<M>(shared, route, path, dark_mode, msg, load_status);
            if let Some(memo) = memo {
                memo.keep(key, &page);
            }
            page
        }
    };
    page.into_rendered(payload, dark_mode)
}

impl Page {
    fn into_rendered(self, payload: String, dark_mode: bool) -> Rendered {
        Rendered {
            status: self.status,
            body: self.body,
            payload,
            path: self.canonical,
            dark_mode,
            head: self.head,
            nonce: String::new(),
            notice: None,
        }
    }
}

/// `initial_model`, the load's message through `update`, then `view` in the shell and `head`.
fn render_page<M: ServerMount>(
    shared: M::Shared,
    route: M::Route,
    path: &str,
    dark_mode: bool,
    loaded: Option<M::Msg>,
    load_status: u16,
) -> Page {
    let query = QueryParams::from_url(path);
    let mut page = M::initial_model(&shared, &route, &query);
    let mut status = if M::is_not_found(&route) {
        StatusCode::NOT_FOUND
    } else {
        StatusCode::OK
    };
    if let Some(msg) = loaded {
        // Effects are the browser's business; the server only renders.
        let _ = M::update(&shared, &mut page, msg);
        if load_status != 200 {
            status = StatusCode::from_u16(load_status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        }
    }
    let canonical = M::path(&route);
    let chrome = Chrome {
        path: canonical.clone(),
        dark_mode,
        on_dark_mode: |_| ServerMsg::DarkMode,
    };
    let body = M::with_view(
        &page,
        InShell::<M> {
            shared: &shared,
            chrome: &chrome,
        },
    );
    Page {
        status,
        body,
        canonical,
        head: M::head(&page),
    }
}

/// Stands for the page in the shell's HTML: private-use characters, which text escaping keeps
/// as they are and no app writes.
const PAGE_MARKER: &str = "\u{F8FF}rally-page\u{F8FF}";

/// Where [`PAGE_MARKER`] starts in `html` at or after byte `from`: found by its first
/// character, a byte search through the few kilobytes of a shell, where a substring search
/// cost ~4,000 instructions per page.
fn find_marker(html: &str, from: usize) -> Option<usize> {
    let mut at = from;
    loop {
        at += html.get(at..)?.find('\u{F8FF}')?;
        if html[at..].starts_with(PAGE_MARKER) {
            return Some(at);
        }
        at += '\u{F8FF}'.len_utf8();
    }
}

/// The page's `view` inside the mount's shell, as HTML.
///
/// The shell takes the page as an `Element<ServerMsg<Msg>>`, and `Element::map` rebuilds the
/// whole page tree to change its message type: 15–20 % of a `/games` render for each map
/// (issue 19), and the mount's `view` already maps the page into the mount's `Msg`. So the
/// page's view is taken in its own message type ([`crate::mount::Mount::with_view`]), the
/// shell is rendered around a marker text, and the page, rendered as it is, replaces the
/// marker. The HTML is the same as rendering the mapped tree: an element child renders the
/// same wherever it sits. A page that is text or a fragment (whose children the shell's element
/// would merge with its own), or a shell that does not show its content exactly once, takes the
/// mapping path.
struct InShell<'a, M: ServerMount> {
    shared: &'a M::Shared,
    chrome: &'a Chrome<ServerMsg<M::Msg>>,
}

impl<M: ServerMount> crate::mount::PageView<M::Msg> for InShell<'_, M> {
    type Output = String;

    fn page<P, W>(self, view: rally_view::Element<P>, wrap: W) -> String
    where
        P: Clone + 'static,
        W: Fn(P) -> M::Msg + Copy + 'static,
    {
        use rally_view::AnyElement;
        if matches!(view.any(), AnyElement::Node(_) | AnyElement::Lazy(_)) {
            let shell = M::shell(
                self.shared,
                self.chrome,
                rally_view::html::text(PAGE_MARKER),
            );
            let shell = rally_view::render::to_html(&shell);
            if let Some(at) = find_marker(&shell, 0)
                && find_marker(&shell, at + PAGE_MARKER.len()).is_none()
            {
                let (before, after) = (&shell[..at], &shell[at + PAGE_MARKER.len()..]);
                let mut out = String::with_capacity(shell.len() + 16 * 1024);
                out.push_str(before);
                rally_view::render::render_into(&view, &mut out);
                out.push_str(after);
                return out;
            }
        }
        let view = view.map(move |msg| ServerMsg::Page(wrap(msg)));
        rally_view::render::to_html(&M::shell(self.shared, self.chrome, view))
    }
}

/// What the server answers for a page request: the rendered page, or why the caller may not
/// see it.
enum Outcome {
    /// The page's document, encoded; `private` when rendered for a signed-in user.
    Rendered {
        status: StatusCode,
        body: PageBody,
        private: bool,
    },
    /// The mount's gate refused the request (no session, or one the app does not let in).
    MountRefused,
    Denied(Denied),
}

/// Builds a mount's shared state from the request (database, headers, signed-in user).
pub type SharedFn<C, S> = Arc<dyn Fn(&C, &PageRequest<'_>) -> S + Send + Sync>;

/// Wraps a rendered page in the document, given the mount's script URL (`None`: a page that
/// does not hydrate, such as the 403 page).
pub type DocumentFn = Arc<dyn Fn(&Rendered, Option<&str>) -> String + Send + Sync>;

/// The document around every page of an app: its title (a page's own `head` title wins), the
/// `lang` of `<html>`, and trusted markup for `<head>` (stylesheets, scripts, meta tags).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    /// The title of pages that give none.
    pub title: String,
    /// `<html lang>`.
    pub lang: String,
    /// Written into `<head>` as is, after the page's meta description.
    pub head: String,
}

impl Layout {
    /// The stylesheet link every app gets unless it replaces `head`.
    pub const DEFAULT_HEAD: &'static str = r#"<link rel="stylesheet" href="/assets/app.css">"#;

    /// `title`, `lang="en"`, and the stylesheet at `/assets/app.css`.
    pub fn new(title: impl Into<String>) -> Self {
        Layout {
            title: title.into(),
            lang: "en".to_owned(),
            head: Self::DEFAULT_HEAD.to_owned(),
        }
    }

    /// The full document for a rendered page.
    pub fn render(&self, rendered: &Rendered, script: Option<&str>) -> String {
        // The browser falls back to the app's name for pages without a title of their own.
        let mut head = String::from(r#"<meta name="application-name" content=""#);
        rally_view::render::escape_attr(&self.title, &mut head);
        head.push_str(r#"">"#);
        if let Some(description) = &rendered.head.description {
            head.push_str(r#"<meta name="description" content=""#);
            rally_view::render::escape_attr(description, &mut head);
            head.push_str(r#"">"#);
        }
        head.push_str(&self.head);
        Document {
            title: rendered.head.title.as_deref().unwrap_or(&self.title),
            lang: &self.lang,
            theme: Some(crate::shell::theme_name(rendered.dark_mode)),
            head: &head,
            body: &rendered.body,
            payload: script.map(|_| rendered.payload.as_str()),
            script,
            nonce: Some(rendered.nonce.as_str()).filter(|n| !n.is_empty()),
            notice: rendered.notice.as_deref(),
        }
        .render()
    }

    /// As a document function.
    pub fn into_document(self) -> DocumentFn {
        Arc::new(move |rendered: &Rendered, script: Option<&str>| self.render(rendered, script))
    }
}

/// The default document: [`Layout::new`]`(title)`.
pub fn default_document(title: &str) -> DocumentFn {
    Layout::new(title).into_document()
}

/// The page a signed-in user who may not open a page gets, with status 403: the document
/// around a short explanation, without the page's data or script.
fn forbidden(document: &DocumentFn, path: &str, dark_mode: bool) -> Response {
    let rendered = Rendered {
        status: StatusCode::FORBIDDEN,
        body: r#"<main class="rally-forbidden"><h1>Forbidden</h1><p>You are signed in, but this account may not open this page.</p></main>"#.to_owned(),
        payload: String::new(),
        path: path.to_owned(),
        dark_mode,
        head: Head::title("Forbidden"),
        nonce: String::new(),
        notice: None,
    };
    html(StatusCode::FORBIDDEN, document(&rendered, None))
}

/// How a mount's pages are served.
pub struct MountServer<M: ServerMount> {
    /// What loads receive.
    pub context: Arc<M::Context>,
    /// Builds the mount's shared state from the request (cookies, identity).
    pub shared: SharedFn<M::Context, M::Shared>,
    /// Wraps a rendered page in the document (title, stylesheets, the mount's script).
    pub document: DocumentFn,
    /// The app's auth: the signed-in identity for `shared`, and for a mount other than
    /// `public`, the gate that redirects to the sign-in page.
    pub auth: Option<Arc<dyn RequestAuth>>,
    /// The URL of the mount's browser bundle (`App::bundle_script`).
    pub script: String,
    /// The `/ws` endpoint: saves posted as forms run through its dispatch and hub. Without
    /// it the mount takes no posts.
    pub endpoint: Option<super::Endpoint>,
    /// Where renders and form saves run (they may block on SQLite), shared by the app's mounts.
    pub pool: RenderPool,
    /// Gzipped pages by content, shared by the app's mounts (server/page_cache.rs).
    pub(crate) pages: Arc<PageCache>,
    /// The mount's pages by their inputs, rendered once (server/render_memo.rs).
    pub(crate) renders: RenderMemo,
}

impl<M: ServerMount> MountServer<M>
where
    M::Shared: Send,
    M::Route: Send,
{
    /// The mount's routes: every path under its prefix (the not-found page answers 404).
    pub fn router(self) -> Router {
        // One `Arc` for the whole mount: a request's state is then one reference count, not
        // a clone of each field (eight atomic updates on lines every thread shares, and the
        // script URL copied).
        let takes_posts = self.endpoint.is_some();
        let handler = if takes_posts {
            get(page::<M>).post(save_form::<M>)
        } else {
            get(page::<M>)
        }
        .with_state(Arc::new(self));
        if M::PREFIX.is_empty() {
            Router::new().fallback_service(handler)
        } else {
            Router::new()
                .route(M::PREFIX, handler.clone())
                .route(&format!("{}/{{*rest}}", M::PREFIX), handler)
        }
    }
}

/// The route of `uri`, or where to send a `308` when the request spelled the route otherwise
/// than its canonical path (`/games/01`, `/games/%31`, `/games/1/`), keeping the query, so each
/// page has one address (for caches, search engines and shared links). The not-found page is
/// never redirected, and neither is a path whose canonical form would not parse back to itself
/// (no redirect loops).
fn canonical_route<M: ServerMount>(
    uri: &axum::http::Uri,
) -> Result<M::Route, axum::http::HeaderValue> {
    let route = M::parse(uri.path());
    if M::is_not_found(&route) {
        return Ok(route);
    }
    let canonical = M::path(&route);
    if canonical == uri.path() || M::parse(&canonical) != route {
        return Ok(route);
    }
    let location = match uri.query() {
        Some(query) => format!("{canonical}?{query}"),
        None => canonical,
    };
    axum::http::HeaderValue::from_str(&location).map_or(Ok(route), Err)
}

/// A `308` to `location`.
fn permanent_redirect(location: axum::http::HeaderValue) -> Response {
    let mut response = Response::new(axum::body::Body::empty());
    *response.status_mut() = StatusCode::PERMANENT_REDIRECT;
    response.headers_mut().insert(header::LOCATION, location);
    response
}

async fn page<M: ServerMount>(
    State(server): State<Arc<MountServer<M>>>,
    request: Request,
) -> Response
where
    M::Shared: Send,
    M::Route: Send,
{
    let path = request
        .uri()
        .path_and_query()
        .map_or("/", |p| p.as_str())
        .to_owned();
    // Parsed once: the render job takes the route along.
    let route = match canonical_route::<M>(request.uri()) {
        Ok(route) => route,
        Err(location) => return permanent_redirect(location),
    };
    let (parts, _) = request.into_parts();
    let nonce = parts
        .extensions
        .get::<super::security::CspNonce>()
        .map(|n| n.as_str().to_owned())
        .unwrap_or_default();
    // The job owns the request's headers: a page has no body to read, so nothing else needs them.
    let headers = parts.headers;
    let notice = flash::read(&headers);
    let has_notice = notice.is_some();
    let dark_mode = crate::shell::dark_mode_for_request(
        headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok()),
        headers
            .get(crate::shell::PREFERS_COLOR_SCHEME_HINT)
            .and_then(|v| v.to_str().ok()),
    );
    let page_path = path.clone();
    let encoding = choose(&headers, Offer::PAGE);
    let job = Arc::clone(&server);
    // The mount's gate (the session lookup), the page's rule, shared state and loads may all
    // query SQLite: one trip to the render pool for all of them, none on the async threads.
    // The document is written and compressed there too (server/encoding.rs).
    let outcome = server
        .pool
        .run(move || {
            let server = job;
            let context = &server.context;
            let identity = match &server.auth {
                None => None,
                // `public` lets everyone in (with their identity); other mounts redirect to sign-in.
                Some(auth) => match auth.authorize_blocking(M::NAME, &headers) {
                    Ok(identity) => identity,
                    Err(_) => return Outcome::MountRefused,
                },
            };
            // A page rendered for a signed-in user may hold what only they may see: no cache keeps it.
            let private = identity.is_some();
            let caller = Caller::new(identity, &headers);
            if let Err(denied) = M::authorize(context, &caller, &route) {
                return Outcome::Denied(denied);
            }
            let request = PageRequest {
                headers: &headers,
                identity: caller.identity(),
            };
            let shared = (server.shared)(context, &request);
            let memo = (!private).then_some(&server.renders);
            let mut page =
                render_route::<M>(context, &caller, shared, route, &page_path, dark_mode, memo);
            page.nonce = nonce;
            page.notice = notice;
            let html = (server.document)(&page, Some(&server.script));
            Outcome::Rendered {
                status: page.status,
                // A signed-in user's page stays out of the cache every visitor's pages share.
                body: PageBody::new(
                    html,
                    &page.nonce,
                    encoding,
                    (!private).then_some(&*server.pages),
                ),
                private,
            }
        })
        .await;
    let private = matches!(outcome, Ok(Outcome::Rendered { private: true, .. }));
    let mut response = match outcome {
        Ok(Outcome::Rendered { status, body, .. }) => page_response(status, body),
        Ok(Outcome::MountRefused) => match &server.auth {
            Some(auth) => auth.sign_in_redirect(request_path(&path)),
            None => forbidden(&server.document, request_path(&path), dark_mode),
        },
        Ok(Outcome::Denied(Denied::Forbidden)) => {
            forbidden(&server.document, request_path(&path), dark_mode)
        }
        Ok(Outcome::Denied(Denied::SignInRequired)) => match &server.auth {
            Some(auth) => auth.sign_in_redirect(&path),
            // Codegen refuses a page that needs sign-in in an app without auth.
            None => forbidden(&server.document, request_path(&path), dark_mode),
        },
        Err(PoolError::Busy { queued }) => {
            tracing::warn!(queued, "page refused: every render thread is busy");
            busy()
        }
        Err(PoolError::Panicked(e)) => {
            let trace_id = super::dispatch::trace_id();
            tracing::error!(%trace_id, "page render panicked: {e}");
            html(
                StatusCode::INTERNAL_SERVER_ERROR,
                format!(
                    "<!doctype html><title>Error</title><p>Something went wrong (trace id {trace_id}).</p>"
                ),
            )
        }
    };
    if private || has_notice {
        response.headers_mut().insert(
            header::CACHE_CONTROL,
            axum::http::HeaderValue::from_static("no-store"),
        );
    }
    if has_notice {
        // Shown once: the next visit renders the page without it.
        flash::clear(&mut response, request_path(&path));
    }
    // Ask for the colour-scheme hint, so later pages render in the system's theme at once
    // (until the user picks one with the switch); the page depends on it and on the cookie.
    let hint = axum::http::HeaderValue::from_static(crate::shell::PREFERS_COLOR_SCHEME_HINT);
    response.headers_mut().insert(
        axum::http::HeaderName::from_static("accept-ch"),
        hint.clone(),
    );
    response.headers_mut().append(header::VARY, hint);
    response
        .headers_mut()
        .append(header::VARY, axum::http::HeaderValue::from_static("cookie"));
    response
}

/// A rendered page as sent: its encoding chosen and made, so the compression layer skips it.
fn page_response(status: StatusCode, body: PageBody) -> Response {
    let mut response = Response::new(axum::body::Body::from(body.bytes));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        axum::http::HeaderValue::from_static("text/html; charset=utf-8"),
    );
    if let Some(coding) = body.encoding.header() {
        headers.insert(
            header::CONTENT_ENCODING,
            axum::http::HeaderValue::from_static(coding),
        );
    }
    headers.append(
        header::VARY,
        axum::http::HeaderValue::from_static("accept-encoding"),
    );
    response
        .extensions_mut()
        .insert(super::assets::Precompressed);
    response
}

/// A save posted as a form (`<form method="post">` to the page's own URL, see
/// [`crate::form`]): run through the `/ws` endpoint's dispatch as a socket save would be, then
/// `303 See Other` back to the page (post/redirect/get), with the save's error in a one-time
/// cookie that the page's next render shows. A caller the page refuses is sent to sign in (or
/// shown 403) as a visit would be; a post from another site is refused with 403.
async fn save_form<M: ServerMount>(
    State(server): State<Arc<MountServer<M>>>,
    request: Request,
) -> Response
where
    M::Shared: Send,
{
    const MAX_FORM_BYTES: usize = 64 * 1024;
    // The route stays on this side of the awaits (it need not be `Send`).
    let (back, page) = {
        let route = M::parse(request.uri().path());
        let back = match request.uri().query() {
            Some(query) => format!("{}?{query}", M::path(&route)),
            None => M::path(&route),
        };
        (back, M::save_page(&route))
    };
    let (Some(endpoint), Some(page)) = (&server.endpoint, page) else {
        return plain(
            StatusCode::METHOD_NOT_ALLOWED,
            "This page takes no form posts.",
        );
    };
    let headers = request.headers().clone();
    let is_form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if !is_form {
        return plain(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "A save is posted as application/x-www-form-urlencoded.",
        );
    }
    let Ok(body) = axum::body::to_bytes(request.into_body(), MAX_FORM_BYTES).await else {
        return plain(
            StatusCode::PAYLOAD_TOO_LARGE,
            "The form is larger than a save may be (64 KiB).",
        );
    };
    let form: Vec<(String, String)> = form_urlencoded::parse(&body).into_owned().collect();
    let error = match endpoint.save_form(&server.pool, page, &headers, form).await {
        Ok(()) => return see_other(&back, None),
        Err(super::ws::FormSaveError::Busy) => return busy(),
        Err(super::ws::FormSaveError::Origin(why)) => {
            tracing::warn!("form post refused: {why}");
            return plain(
                StatusCode::FORBIDDEN,
                "A save must come from this site's own pages.",
            );
        }
        Err(super::ws::FormSaveError::Refused(rally_wire::ApiError::Unauthorized)) => {
            return match &server.auth {
                Some(auth) if auth.authenticate(&headers).is_none() => {
                    auth.sign_in_redirect(request_path(&back))
                }
                _ => forbidden(&server.document, request_path(&back), false),
            };
        }
        Err(super::ws::FormSaveError::Refused(
            rally_wire::ApiError::Save { message, .. } | rally_wire::ApiError::Load { message },
        )) => message,
        Err(e) => e.to_string(),
    };
    see_other(&back, Some(&error))
}

/// `303 See Other` to `location`, with `notice` for the page's next render.
fn see_other(location: &str, notice: Option<&str>) -> Response {
    let mut response = Response::new(axum::body::Body::empty());
    *response.status_mut() = StatusCode::SEE_OTHER;
    if let Ok(value) = axum::http::HeaderValue::from_str(location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    if let Some(notice) = notice {
        flash::set(&mut response, request_path(location), notice);
    }
    response
}

/// `503` with `Retry-After`, when the render pool's queue is full: a short, cheap answer, so
/// that an overloaded server sheds load instead of queueing it.
fn busy() -> Response {
    let mut response = plain(
        StatusCode::SERVICE_UNAVAILABLE,
        "The server is busy. Try again in a moment.",
    );
    response.headers_mut().insert(
        header::RETRY_AFTER,
        axum::http::HeaderValue::from_static("1"),
    );
    response
}

fn plain(status: StatusCode, text: &'static str) -> Response {
    let mut response = Response::new(axum::body::Body::from(text));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        axum::http::HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}

/// The one-time notice after a form post: a cookie scoped to the page's path, read and
/// cleared by the page's next render. Its text is only ever written as escaped text.
mod flash {
    use axum::http::{HeaderMap, HeaderValue, header};
    use axum::response::Response;

    const NAME: &str = "rally-notice";
    /// A notice longer than this is cut: it is a sentence, not a document.
    const MAX_CHARS: usize = 300;

    pub fn set(response: &mut Response, path: &str, notice: &str) {
        let notice: String = notice.chars().take(MAX_CHARS).collect();
        let value: String = form_urlencoded::byte_serialize(notice.as_bytes()).collect();
        let cookie = format!("{NAME}={value}; Path={path}; Max-Age=60; HttpOnly; SameSite=Lax");
        if let Ok(cookie) = HeaderValue::from_str(&cookie) {
            response.headers_mut().append(header::SET_COOKIE, cookie);
        }
    }

    pub fn clear(response: &mut Response, path: &str) {
        let cookie = format!("{NAME}=; Path={path}; Max-Age=0; HttpOnly; SameSite=Lax");
        if let Ok(cookie) = HeaderValue::from_str(&cookie) {
            response.headers_mut().append(header::SET_COOKIE, cookie);
        }
    }

    pub fn read(headers: &HeaderMap) -> Option<String> {
        headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .filter_map(|pair| pair.trim().split_once('='))
            .find(|(name, _)| *name == NAME)
            .map(|(_, value)| {
                form_urlencoded::parse(format!("n={value}").as_bytes())
                    .map(|(_, v)| v.chars().take(MAX_CHARS).collect::<String>())
                    .next()
                    .unwrap_or_default()
            })
            .filter(|notice| !notice.is_empty())
    }
}

/// The path of a `path?query`.
fn request_path(path_and_query: &str) -> &str {
    path_and_query
        .split_once('?')
        .map_or(path_and_query, |(path, _)| path)
}

/// Adds the mount at `/` to `router` (other mounts, the sign-in routes): it answers every path
/// nothing else serves, including a `GET` of a path that `router` serves only for other
/// methods (the sign-in page at `GET /sign_in` beside the form's `POST /sign_in`).
pub fn with_root(router: Router, root: Router) -> Router {
    let fallback = root.clone();
    router
        .merge(root)
        .method_not_allowed_fallback(move |request: Request| {
            let root = fallback.clone();
            async move {
                use tower::ServiceExt;
                match root.oneshot(request).await {
                    Ok(response) => response,
                    Err(never) => match never {},
                }
            }
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_marker_is_found_wherever_it_sits() {
        let m = PAGE_MARKER;
        assert_eq!(find_marker(m, 0), Some(0));
        assert_eq!(find_marker(&format!("<main>{m}</main>"), 0), Some(6));
        // A lone marker character, or one run into another text, is not the marker.
        let tricky = format!("\u{F8FF}x\u{F8FF}rally-pag\u{F8FF}<p>{m}</p>");
        let at = find_marker(&tricky, 0).expect("the marker is there");
        assert!(tricky[at..].starts_with(m));
        assert_eq!(&tricky[..at], "\u{F8FF}x\u{F8FF}rally-pag\u{F8FF}<p>");
        assert_eq!(find_marker(&tricky, at + m.len()), None);
        assert_eq!(find_marker("<main></main>", 0), None);
        // A second marker is found after the first (the shell then takes the mapping path).
        let twice = format!("{m}<hr>{m}");
        assert_eq!(find_marker(&twice, m.len()), Some(m.len() + 4));
        assert_eq!(find_marker(&twice, twice.len()), None);
    }
}
