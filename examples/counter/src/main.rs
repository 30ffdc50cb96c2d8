//! The counter's server.

/// mimalloc as the allocator (the `rally/mimalloc` feature): SSR allocates per element, and it
/// measured 1.5–2.9× faster than the system allocator for that (bench/ssr).
#[cfg(not(target_arch = "wasm32"))]
#[global_allocator]
static ALLOCATOR: rally::server::MiMalloc = rally::server::MiMalloc;

#[cfg(not(target_arch = "wasm32"))]
#[tokio::main]
async fn main() -> std::process::ExitCode {
    use axum::Router;
    use axum::http::StatusCode;
    use axum::routing::get;
    use rally::document::Document;
    use rally::server::html;

    let page = || async {
        let model = counter::Model { count: 0 };
        let body = rally_view::render::to_html(&counter::view(&model));
        match rally::payload::encode(&model) {
            Ok(payload) => html(
                StatusCode::OK,
                Document {
                    title: "Counter",
                    body: &body,
                    payload: Some(&payload),
                    script: Some("/pkg/counter.js"),
                    ..Default::default()
                }
                .render(),
            ),
            Err(e) => html(
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("cannot encode the model: {e}"),
            ),
        }
    };
    let bundle = std::path::PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../target/rally/counter"
    ));
    rally::server::run(Router::new().route("/", get(page)), &bundle).await
}

#[cfg(target_arch = "wasm32")]
fn main() {}
