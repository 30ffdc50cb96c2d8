//! The demo's server: renders the page with the model embedded, serves the browser bundle.

#[cfg(not(target_arch = "wasm32"))]
mod server {
    use std::path::PathBuf;
    use std::process::ExitCode;

    use axum::Router;
    use axum::extract::Query;
    use axum::http::StatusCode;
    use axum::response::Response;
    use axum::routing::get;
    use rally::document::Document;
    use rally::server::html;
    use rally_view::render::to_html;
    use serde::Deserialize;
    use view_demo::{initial_model, view};

    #[derive(Deserialize)]
    struct PageQuery {
        /// Render markup that disagrees with the payload, to show hydration repairing it.
        mismatch: Option<String>,
    }

    async fn page(Query(q): Query<PageQuery>) -> Response {
        let model = initial_model();
        let rendered = if q.mismatch.is_some() {
            let mut wrong = model.clone();
            wrong.count = 41;
            wrong.todos.swap(0, 2);
            wrong.todos[1].title = "Stale title from the server".into();
            to_html(&view(&wrong))
        } else {
            to_html(&view(&model))
        };
        let payload = match rally::payload::encode(&model) {
            Ok(p) => p,
            Err(e) => {
                return html(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    format!("cannot encode the model: {e}"),
                );
            }
        };
        let doc = Document {
            title: "Rally view demo",
            head: STYLE,
            body: &rendered,
            payload: Some(&payload),
            script: Some("/pkg/view_demo.js"),
            ..Default::default()
        };
        html(StatusCode::OK, doc.render())
    }

    const STYLE: &str = "<style>body{font:16px system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem}\
        button{min-width:2rem}#count{display:inline-block;min-width:3rem;text-align:center}\
        li.done .title{text-decoration:line-through;color:#888}li button{margin-left:.25rem}</style>";

    pub async fn main() -> ExitCode {
        let bundle = std::env::var_os("RALLY_BUNDLE_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| {
                PathBuf::from(concat!(
                    env!("CARGO_MANIFEST_DIR"),
                    "/../../target/rally/view-demo"
                ))
            });
        rally::server::run(Router::new().route("/", get(page)), &bundle).await
    }
}

/// mimalloc as the allocator (the `rally/mimalloc` feature): SSR allocates per element, and it
/// measured 1.5–2.9× faster than the system allocator for that (bench/ssr).
#[cfg(not(target_arch = "wasm32"))]
#[global_allocator]
static ALLOCATOR: rally::server::MiMalloc = rally::server::MiMalloc;

#[cfg(not(target_arch = "wasm32"))]
#[tokio::main]
async fn main() -> std::process::ExitCode {
    server::main().await
}

#[cfg(target_arch = "wasm32")]
fn main() {}
