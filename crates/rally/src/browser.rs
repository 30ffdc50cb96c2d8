//! Browser boot: read the server's payload and hydrate the server-rendered view; [`live`]:
//! the tab's WebSocket (loads, saves, pushes, reconnects).

mod allocator;
pub mod app;
pub mod live;

#[cfg(all(
    feature = "allocator",
    target_arch = "wasm32",
    not(target_feature = "atomics")
))]
pub use allocator::Allocator;

pub use live::{connect, on_push, on_reconnect, request, set_topics};

use rally_view::App;
use rally_view::dom::HydrationReport;
use rally_view::web::{self, WebProgram};
use serde::de::DeserializeOwned;
use wasm_bindgen::{JsCast, JsValue};

use crate::document::{APP_ROOT_ID, PAYLOAD_ID};
use crate::payload::{self, PayloadError};

/// Why the browser side could not start.
#[derive(Debug, thiserror::Error)]
pub enum BootError {
    /// An element the server renders (the app root, the payload) is not in the page.
    #[error("no #{0} element in the page; was it rendered with rally::document::Document?")]
    Missing(&'static str),
    /// The server's payload could not be read.
    #[error(transparent)]
    Payload(#[from] PayloadError),
}

fn document() -> Option<web_sys::Document> {
    rally_view::web::window()?.document()
}

/// Decodes the payload the server embedded in the page.
pub fn read_payload<T: DeserializeOwned>() -> Result<T, BootError> {
    let el = document()
        .and_then(|d| d.get_element_by_id(PAYLOAD_ID))
        .ok_or(BootError::Missing(PAYLOAD_ID))?;
    Ok(payload::decode(&el.text_content().unwrap_or_default())?)
}

/// Hydrates the server-rendered `#app` with `app` and `model`, and records the outcome in
/// `window.__rally` (`{ hydrated, mismatches }`) — a JS property, not a DOM change.
pub fn hydrate<Model: 'static, Msg: Clone + 'static>(
    app: App<Model, Msg>,
    model: Model,
) -> Result<(WebProgram<Model, Msg>, HydrationReport), BootError> {
    let root = document()
        .and_then(|d| d.get_element_by_id(APP_ROOT_ID))
        .ok_or(BootError::Missing(APP_ROOT_ID))?;
    let (program, report) = web::hydrate(root, app, model);
    record(&report);
    // After the caller's synchronous start-up (live connection, hooks), not in the middle of
    // it: what the user did before hydration reaches a fully started page.
    live::set_timeout(0, replay_early_events);
    Ok((program, report))
}

fn record(report: &HydrationReport) {
    let Some(window) = rally_view::web::window() else {
        return;
    };
    let info = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&info, &"hydrated".into(), &JsValue::TRUE);
    let _ = js_sys::Reflect::set(
        &info,
        &"mismatches".into(),
        &JsValue::from(report.mismatches as u32),
    );
    let _ = js_sys::Reflect::set(&window, &"__rally".into(), &info);
}

/// Starts a page: decodes the payload as the model, hydrates `#app`, and keeps the program
/// running for the life of the page. A failure is reported on the console.
pub fn boot<Model: DeserializeOwned + 'static, Msg: Clone + 'static>(app: App<Model, Msg>) {
    match read_payload::<Model>().and_then(|model| hydrate(app, model)) {
        // The program lives as long as the page.
        Ok((program, _report)) => std::mem::forget(program),
        Err(e) => report_error(&e),
    }
}

/// Replays what the user did before the page hydrated (the document's inline script held
/// it): clicks on buttons and submits of save forms, in order, now that the page's listeners
/// are in place. [`hydrate`] schedules it for the task after the page's start-up.
fn replay_early_events() {
    let Some(window) = rally_view::web::window() else {
        return;
    };
    let replay = js_sys::Reflect::get(&window, &"__rallyReplay".into())
        .ok()
        .and_then(|f| f.dyn_into::<js_sys::Function>().ok());
    if let Some(replay) = replay {
        let _ = replay.call0(&window);
    }
}

/// Reports a boot failure on the console, where a developer will look.
pub fn report_error(error: &BootError) {
    web_sys::console::error_1(&JsValue::from_str(&format!("rally: cannot start: {error}")));
}
