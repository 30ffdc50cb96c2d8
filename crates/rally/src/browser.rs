//! Browser boot: read the server's payload and hydrate the server-rendered view; [`live`]:
//! the tab's WebSocket (loads, saves, pushes, reconnects).

mod allocator;
pub mod app;
pub(crate) mod document_js;
pub mod live;
pub(crate) mod location;

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
use wasm_bindgen::JsValue;

use crate::document::{APP_ROOT_ID, PAYLOAD_ID};
use crate::payload::{self, PayloadError};
use rally_wire::message::{FormatterOut, Message, MessageOut};

/// Why the browser side could not start.
///
/// Reported without `core::fmt` ([`Message`], ADR 0065).
#[derive(Debug)]
pub enum BootError {
    /// An element the server renders (the app root, the payload) is not in the page.
    Missing(&'static str),
    /// The server's payload could not be read.
    Payload(PayloadError),
}

impl Message for BootError {
    fn write_message(&self, out: &mut dyn MessageOut) {
        match self {
            BootError::Missing(id) => {
                out.text("no #");
                out.text(id);
                out.text(" element in the page; was it rendered with rally::document::Document?");
            }
            BootError::Payload(e) => e.write_message(out),
        }
    }
}

impl std::fmt::Display for BootError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        FormatterOut::write(f, self)
    }
}

impl std::error::Error for BootError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            // Transparent, as the payload's error: its own source is this one's.
            BootError::Payload(e) => std::error::Error::source(e),
            BootError::Missing(_) => None,
        }
    }
}

impl From<PayloadError> for BootError {
    fn from(e: PayloadError) -> Self {
        BootError::Payload(e)
    }
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
    record_hydration(report.mismatches as u32);
    // After the caller's synchronous start-up (live connection, hooks), not in the middle of
    // it: what the user did before hydration reaches a fully started page.
    live::set_timeout(0, replay_early_events);
    Ok((program, report))
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

// The two reads and writes of `window` at start-up, as JS: through js-sys they took
// `Reflect`, `Object` and `Function` imports of their own, ~0.1 KiB of every bundle (gzip).
// rally-build pastes these functions into the glue.
#[wasm_bindgen::prelude::wasm_bindgen(
    inline_js = "export function rallyRecordHydration(mismatches) {
  window.__rally = { hydrated: true, mismatches };
}
export function rallyReplayEarly() {
  const replay = window.__rallyReplay;
  if (typeof replay === 'function') replay.call(window);
}"
)]
extern "C" {
    /// `window.__rally = { hydrated: true, mismatches }`.
    #[wasm_bindgen(js_name = rallyRecordHydration)]
    fn record_hydration(mismatches: u32);
    /// Replays what the user did before the page hydrated (the document's inline script held
    /// it in `window.__rallyReplay`): clicks on buttons and submits of save forms, in order,
    /// now that the page's listeners are in place. [`hydrate`] schedules it for the task
    /// after the page's start-up.
    #[wasm_bindgen(js_name = rallyReplayEarly)]
    fn replay_early_events();
}

/// Reports a boot failure on the console, where a developer will look.
pub fn report_error(error: &BootError) {
    let mut text = String::from("rally: cannot start: ");
    error.write_message(&mut text);
    web_sys::console::error_1(&JsValue::from_str(&text));
}
