//! Loads and saves as effects a page's `update` returns, on both targets: in the browser they
//! travel over the tab's WebSocket and dispatch the page's result message; on the server,
//! where `update` only runs to render the first HTML and effects are dropped, they do nothing.

use rally_view::Effect;
use rally_wire::ApiError;
use serde::Serialize;
use serde::de::DeserializeOwned;

/// Sends a page's load message; `to_msg` receives the decoded result.
///
/// A load answered `Unauthorized` (the tab navigated to a page its caller may not open, or the
/// session ended) also loads the current URL as a document, so the server answers as it does
/// for a first visit: the sign-in redirect, or the 403 page.
pub fn load<M, R, Msg>(
    page: &'static str,
    message: &M,
    to_msg: impl FnOnce(Result<R, Vec<ApiError>>) -> Msg + 'static,
) -> Effect<Msg>
where
    M: Serialize,
    R: DeserializeOwned + 'static,
    Msg: 'static,
{
    save(page, message, move |result: Result<R, Vec<ApiError>>| {
        if let Err(errors) = &result
            && errors.contains(&ApiError::Unauthorized)
        {
            reload_as_document();
        }
        to_msg(result)
    })
}

/// Reloads the current URL as a document — once: if this tab reloaded the same URL for the
/// same reason in the last 10 s, the server renders the page but refuses its load over the
/// socket (a cookie the socket does not get), and reloading again would never end.
pub(crate) fn reload_as_document() {
    #[cfg(all(feature = "browser", target_arch = "wasm32"))]
    {
        const KEY: &str = "rally.unauthorized-reload";
        const AGAIN_AFTER_MS: u64 = 10_000;
        use crate::browser::document_js::{session_get, session_set};
        let url = crate::browser::location::href();
        // Whole milliseconds as an integer, as in `live::reload`: no float formatting.
        let now = js_sys::Date::now() as u64;
        let recent = session_get(KEY).and_then(|last| {
            let (at, last_url) = last.split_once(' ')?;
            let at: u64 = at.parse().ok()?;
            (last_url == url && now.saturating_sub(at) < AGAIN_AFTER_MS).then_some(())
        });
        if recent.is_some() {
            return;
        }
        session_set(KEY, &format!("{now} {url}"));
        crate::browser::location::reload();
    }
}

/// Sends a page's save message; `to_msg` receives the decoded result. Never re-sent
/// automatically: a save lost with the connection fails with [`ApiError::Disconnected`]. (A
/// load is a save that also reloads the document on `Unauthorized`, see [`load`].)
pub fn save<M, R, Msg>(
    page: &'static str,
    message: &M,
    to_msg: impl FnOnce(Result<R, Vec<ApiError>>) -> Msg + 'static,
) -> Effect<Msg>
where
    M: Serialize,
    R: DeserializeOwned + 'static,
    Msg: 'static,
{
    #[cfg(all(feature = "browser", target_arch = "wasm32"))]
    return crate::browser::live::request(page, message, to_msg);
    #[cfg(not(all(feature = "browser", target_arch = "wasm32")))]
    {
        let _ = (page, message, to_msg);
        Effect::none()
    }
}
