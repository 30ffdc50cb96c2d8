//! The server: pages, sign-in, the WebSocket and the browser bundles (`cargo rally server`).

#[tokio::main]
async fn main() -> std::process::ExitCode {
    scoreboard::generated::rally::app::serve().await
}
