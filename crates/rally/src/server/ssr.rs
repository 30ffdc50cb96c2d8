//! Server rendering of a mount's pages: request → route → shared state → `initial_model` →
//! `load` → `update(Loaded)` (effects dropped) → `view` → HTML inside the document, with the
//! load result embedded for the browser.

use std::sync::Arc;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use axum::routing::get;

use super::html;
use crate::document::Document;
use crate::mount::{Hydration, ServerMount};
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

/// Renders the page at `path` (`?query` allowed) of mount `M`.
pub fn render<M: ServerMount>(
    ctx: &M::Context,
    shared: M::Shared,
    path: &str,
    dark_mode: bool,
) -> Rendered {
    let route = M::parse(path);
    let query = QueryParams::from_url(path);
    let mut page = M::init(&shared, &route, &query);
    let mut status = if M::is_not_found(&route) {
        StatusCode::NOT_FOUND
    } else {
        StatusCode::OK
    };
    let mut load = None;
    if let Some(loaded) = M::load_data(ctx, &route) {
        // Effects are the browser's business; the server only renders.
        let _ = M::update(&mut page, loaded.msg);
        if loaded.status != 200 {
            status =
                StatusCode::from_u16(loaded.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        }
        load = Some(loaded.payload);
    }
    let canonical = M::path(&route);
    let chrome = Chrome {
        path: canonical.clone(),
        dark_mode,
        on_dark_mode: |_| ServerMsg::DarkMode,
    };
    let view = M::shell(&shared, &chrome, M::view(&page).map(ServerMsg::Page));
    let body = rally_view::render::to_html(&view);
    let payload = crate::payload::encode(&Hydration { shared, load }).unwrap_or_default();
    Rendered {
        status,
        body,
        payload,
        path: canonical,
        dark_mode,
    }
}

/// Builds a mount's shared state from the request (database, headers, signed-in user).
pub type SharedFn<C, S> = Arc<dyn Fn(&C, &PageRequest<'_>) -> S + Send + Sync>;

/// Wraps a rendered page in the document, given the mount's script URL.
pub type DocumentFn = Arc<dyn Fn(&Rendered, &str) -> String + Send + Sync>;

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
}

impl<M: ServerMount> Clone for MountServer<M> {
    fn clone(&self) -> Self {
        MountServer {
            context: Arc::clone(&self.context),
            shared: Arc::clone(&self.shared),
            document: Arc::clone(&self.document),
            auth: self.auth.clone(),
            script: self.script.clone(),
        }
    }
}

/// The default document: `title`, the mount's bundle at `/pkg/<mount>/app.js`, and an optional
/// stylesheet at `/assets/app.css`.
pub fn default_document(title: &'static str) -> DocumentFn {
    Arc::new(move |rendered: &Rendered, script: &str| {
        Document {
            title,
            theme: Some(crate::shell::theme_name(rendered.dark_mode)),
            head: r#"<link rel="stylesheet" href="/assets/app.css">"#,
            body: &rendered.body,
            payload: Some(&rendered.payload),
            script: Some(script),
            ..Default::default()
        }
        .render()
    })
}

impl<M: ServerMount> MountServer<M>
where
    M::Shared: Send,
{
    /// The mount's routes: every path under its prefix (the not-found page answers 404).
    pub fn router(self) -> Router {
        let handler = get(page::<M>).with_state(self.clone());
        if M::PREFIX.is_empty() {
            Router::new().fallback_service(handler)
        } else {
            Router::new()
                .route(M::PREFIX, handler.clone())
                .route(&format!("{}/{{*rest}}", M::PREFIX), handler)
        }
    }
}

async fn page<M: ServerMount>(State(server): State<MountServer<M>>, request: Request) -> Response
where
    M::Shared: Send,
{
    let path = request
        .uri()
        .path_and_query()
        .map_or("/", |p| p.as_str())
        .to_owned();
    let headers = request.headers().clone();
    let identity = match &server.auth {
        None => None,
        // `public` lets everyone in (with their identity); other mounts redirect to sign-in.
        Some(auth) => match auth.protect(M::NAME, &headers, request.uri().path()).await {
            Ok(identity) => identity,
            Err(redirect) => return redirect,
        },
    };
    let dark_mode = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(crate::shell::dark_mode_from_cookies);
    let context = Arc::clone(&server.context);
    let shared_fn = Arc::clone(&server.shared);
    // Shared state and loads query SQLite: keep them off the async threads.
    let rendered = tokio::task::spawn_blocking(move || {
        let request = PageRequest {
            headers: &headers,
            identity: identity.as_ref(),
        };
        let shared = shared_fn(&context, &request);
        render::<M>(&context, shared, &path, dark_mode)
    })
    .await;
    match rendered {
        Ok(rendered) => html(
            rendered.status,
            (server.document)(&rendered, &server.script),
        ),
        Err(e) => {
            let trace_id = super::dispatch::trace_id();
            tracing::error!(%trace_id, "page render panicked: {e}");
            html(
                StatusCode::INTERNAL_SERVER_ERROR,
                format!(
                    "<!doctype html><title>Error</title><p>Something went wrong (trace id {trace_id}).</p>"
                ),
            )
        }
    }
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
