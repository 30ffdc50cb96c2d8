//! Browser effects a page starts with (`init`) or returns from `update`, on both targets: in the
//! browser they act on the document once the view is rendered; on the server, where effects are
//! dropped, and in native tests they do nothing.

use rally_view::Effect;

/// Moves the keyboard focus to the first element matching the CSS `selector` (an input the
/// user is expected to fill in), after the current render. Nothing happens when no element
/// matches or it cannot take focus.
pub fn focus<Msg: 'static>(selector: impl Into<String>) -> Effect<Msg> {
    let selector = selector.into();
    // A future runs after the message queue drains and the view is rendered (ADR 0003), so
    // the element of a page just navigated to is in the document by then.
    Effect::from_optional_future(async move {
        focus_now(&selector);
        None
    })
}

#[cfg(all(feature = "browser", target_arch = "wasm32"))]
fn focus_now(selector: &str) {
    crate::browser::document_js::focus(selector);
}

#[cfg(not(all(feature = "browser", target_arch = "wasm32")))]
fn focus_now(selector: &str) {
    let _ = selector;
}
