//! The server: pages, the WebSocket and the browser bundles (`cargo rally server`).

#[tokio::main]
async fn main() -> std::process::ExitCode {
    starter::generated::rally::app::serve().await
}
