//! The live counter's server: the page at `/`, the WebSocket at `/ws`. `LIVE_COUNT` sets the
//! starting count (the browser tests restart the server with another one to see the page
//! catch up).

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

#[cfg(not(target_arch = "wasm32"))]
mod server {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicI64, Ordering};

    use axum::Router;
    use axum::extract::State;
    use axum::http::StatusCode;
    use axum::response::Response;
    use axum::routing::get;
    use live_counter::{CONTRACT, Event, Message, PAGE, ServerMsg, TOPIC};
    use rally::document::Document;
    use rally::server::{Endpoint, Reply, Request, WsConfig, html};
    use rally::wire::ApiError;

    /// The shared count.
    #[derive(Default)]
    struct Counter(AtomicI64);

    impl Counter {
        fn dispatch(&self, request: Request<'_>) -> Reply {
            if request.page != PAGE {
                let reason = format!("no page {}", request.page);
                return Reply::error(ApiError::BadRequest { reason });
            }
            match request.decode::<ServerMsg>() {
                Ok(ServerMsg::Load) => Reply::encode(Ok(self.0.load(Ordering::SeqCst))),
                Ok(ServerMsg::Add(n)) => {
                    let count = self.0.fetch_add(n, Ordering::SeqCst) + n;
                    Reply::encode(Ok(count)).publish(vec![TOPIC.to_owned()], &Event::Count(count))
                }
                Err(e) => Reply::error(e),
            }
        }
    }

    async fn page(State(counter): State<Arc<Counter>>) -> Response {
        let count = counter.0.load(Ordering::SeqCst);
        let mut model = live_counter::initial_model();
        let _ = live_counter::update(&mut model, Message::Loaded(Ok(count)));
        let body = rally_view::render::to_html(&live_counter::view(&model));
        match rally::payload::encode(&count) {
            Ok(payload) => html(
                StatusCode::OK,
                Document {
                    title: "Live counter",
                    body: &body,
                    payload: Some(&payload),
                    script: Some("/pkg/live_counter.js"),
                    ..Default::default()
                }
                .render(),
            ),
            Err(e) => html(
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("cannot encode the page: {e}"),
            ),
        }
    }

    pub async fn main() -> std::process::ExitCode {
        let start = std::env::var("LIVE_COUNT")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        let counter = Arc::new(Counter(AtomicI64::new(start)));
        let handler = Arc::clone(&counter);
        let endpoint = Endpoint::new(WsConfig::new(CONTRACT), move |r: Request<'_>| {
            handler.dispatch(r)
        });
        let pages = Router::new().route("/", get(page)).with_state(counter);
        let bundle = std::env::var_os("RALLY_BUNDLE_DIR").map_or_else(
            || {
                std::path::PathBuf::from(concat!(
                    env!("CARGO_MANIFEST_DIR"),
                    "/../../target/rally/live-counter"
                ))
            },
            std::path::PathBuf::from,
        );
        rally::server::run_live(pages, &bundle, endpoint).await
    }
}

#[cfg(target_arch = "wasm32")]
fn main() {}
