//! What the Scoreboard adds to the generated server: a health check for load balancers and
//! the document's title. The generated `serve()` calls [`configure`] before serving.

use crate::context::Context;
use crate::db::Db;
use axum::http::StatusCode;
use axum::routing::get;
use rally::server::app::AppBuilder;

/// Adds `GET /healthz` and names the app in the document.
pub fn configure(app: AppBuilder<Context>) -> AppBuilder<Context> {
    let db = app.context().db.clone();
    app.route("/healthz", get(move || healthz(db.clone())))
        .layout(|layout| rally::server::ssr::Layout {
            title: "Rally Scoreboard".to_owned(),
            ..layout
        })
}

/// 200 `ok` when the database answers a query, else 503 with what failed (logged too).
pub async fn healthz(db: Db) -> (StatusCode, String) {
    match db.ping().await {
        Ok(_) => (StatusCode::OK, "ok".to_owned()),
        Err(e) => {
            tracing::error!(error = %e, "health check: the database does not answer");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                "database unavailable".to_owned(),
            )
        }
    }
}
