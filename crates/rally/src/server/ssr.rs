//! Server rendering of a mount's pages: request → route → shared state → `initial_model` →
//! `load` → `update(Loaded)` (effects dropped) → `view` → HTML inside the document, with the
//! load result embedded for the browser.

use std::sync::Arc;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::get;

use super::html;
use crate::document::Document;
use crate::mount::{Hydration, ServerMount};
use crate::routes::QueryParams;

/// A rendered page, before the document wraps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    /// 200, 404 for the not-found page, or a failed load's status.
    pub status: StatusCode,
    /// The view's HTML.
    pub body: String,
    /// The hydration payload (base64url postcard).
    pub payload: String,
    /// The canonical path of the route.
    pub path: String,
}

/// Renders the page at `path` (`?query` allowed) of mount `M`.
pub fn render<M: ServerMount>(ctx: &M::Context, shared: M::Shared, path: &str) -> Rendered {
    let route = M::parse(path);
    let query = path
        .split_once('?')
        .map_or("", |(_, q)| q.split('#').next().unwrap_or(""));
    let query = QueryParams::parse(query);
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
    let body = rally_view::render::to_html(&M::view(&page));
    let payload = crate::payload::encode(&Hydration { shared, load }).unwrap_or_default();
    Rendered {
        status,
        body,
        payload,
        path: M::path(&route),
    }
}

/// Builds a mount's shared state from the request headers.
pub type SharedFn<S> = Arc<dyn Fn(&HeaderMap) -> S + Send + Sync>;

/// Wraps a rendered page in the document, given the mount's script URL.
pub type DocumentFn = Arc<dyn Fn(&Rendered, &str) -> String + Send + Sync>;

/// How a mount's pages are served.
pub struct MountServer<M: ServerMount> {
    /// What loads receive.
    pub context: Arc<M::Context>,
    /// Builds the mount's shared state from the request headers (cookies, identity).
    pub shared: SharedFn<M::Shared>,
    /// Wraps a rendered page in the document (title, stylesheets, the mount's script).
    pub document: DocumentFn,
}

impl<M: ServerMount> Clone for MountServer<M> {
    fn clone(&self) -> Self {
        MountServer {
            context: Arc::clone(&self.context),
            shared: Arc::clone(&self.shared),
            document: Arc::clone(&self.document),
        }
    }
}

/// The default document: `title`, the mount's bundle at `/pkg/<mount>/app.js`, and an optional
/// stylesheet at `/assets/app.css`.
pub fn default_document(title: &'static str) -> DocumentFn {
    Arc::new(move |rendered: &Rendered, script: &str| {
        Document {
            title,
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
    let shared = (server.shared)(request.headers());
    let context = Arc::clone(&server.context);
    // Loads query SQLite: keep them off the async threads.
    let rendered = tokio::task::spawn_blocking(move || render::<M>(&context, shared, &path)).await;
    match rendered {
        Ok(rendered) => {
            let script = format!("/pkg/{}/app.js", M::NAME);
            html(rendered.status, (server.document)(&rendered, &script))
        }
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
