//! Loads and saves as effects a page's `update` returns, on both targets: in the browser they
//! travel over the tab's WebSocket and dispatch the page's result message; on the server,
//! where `update` only runs to render the first HTML and effects are dropped, they do nothing.

use rally_view::Effect;
use rally_wire::ApiError;
use serde::Serialize;
use serde::de::DeserializeOwned;

/// Sends a page's load message; `to_msg` receives the decoded result.
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
    request(page, message, to_msg)
}

/// Sends a page's save message; `to_msg` receives the decoded result. Never re-sent
/// automatically: a save lost with the connection fails with [`ApiError::Disconnected`].
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
    request(page, message, to_msg)
}

fn request<M, R, Msg>(
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
