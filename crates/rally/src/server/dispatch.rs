//! The dispatch seam between the WebSocket runtime and an app's pages: a request's page and
//! message bytes in, the result bytes (and what to broadcast) out. Codegen implements
//! [`Dispatch`] for an app; tests implement it by hand.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicU64, Ordering};

use axum::http::HeaderMap;
use rally_wire::ApiError;
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::hub::ConnectionId;

/// What the runtime knows about a connection, fixed when the socket was opened.
#[derive(Debug, Clone)]
pub struct ConnectionInfo {
    /// The connection's id.
    pub id: ConnectionId,
    /// Headers of the upgrade request (cookies, user agent). Auth re-checks the session from
    /// them on every request, so a sign-out elsewhere takes effect on an open socket.
    pub headers: HeaderMap,
}

/// One load or save to dispatch.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    /// The connection it arrived on.
    pub connection: &'a ConnectionInfo,
    /// The page that owns the message, e.g. `"admin/pages/games"`.
    pub page: &'a str,
    /// The page's `ServerMsg`, postcard-encoded.
    pub message: &'a [u8],
}

impl Request<'_> {
    /// Decodes the message as the page's message type, or a `BadRequest` that names the page.
    pub fn decode<M: DeserializeOwned>(&self) -> Result<M, ApiError> {
        rally_wire::decode(self.message).map_err(|e| ApiError::BadRequest {
            reason: format!("undecodable message for page {}: {e}", self.page),
        })
    }
}

/// A handler's answer: the result for the origin, and optionally an event for the peers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// The encoded result, or the errors.
    pub result: Result<Vec<u8>, Vec<ApiError>>,
    /// Published after the result is sent, to every subscriber but the origin.
    pub publish: Option<Publish>,
}

/// A broadcast: the topics and the encoded event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Publish {
    /// Topic names, e.g. `["games", "game:1"]`.
    pub topics: Vec<String>,
    /// The app's event, postcard-encoded.
    pub event: Vec<u8>,
}

impl Reply {
    /// A typed result, encoded.
    pub fn encode<T: Serialize>(result: Result<T, ApiError>) -> Self {
        Reply::from_result(result.map(|v| rally_wire::encode(&v)).map_err(|e| vec![e]))
    }

    /// An already encoded result.
    pub fn from_result(result: Result<Vec<u8>, Vec<ApiError>>) -> Self {
        Reply {
            result,
            publish: None,
        }
    }

    /// A failure.
    pub fn error(error: ApiError) -> Self {
        Reply::from_result(Err(vec![error]))
    }

    /// Adds a broadcast of `event` to `topics`.
    pub fn publish<E: Serialize>(mut self, topics: Vec<String>, event: &E) -> Self {
        self.publish = Some(Publish {
            topics,
            event: rally_wire::encode(event),
        });
        self
    }
}

/// Routes a request to the page's `load` or `handle_save`.
///
/// Called on a blocking thread, so a handler may query SQLite directly. A panic is caught by
/// the runtime and answered with [`ApiError::Internal`].
pub trait Dispatch: Send + Sync + 'static {
    /// Handles one request.
    fn dispatch(&self, request: Request<'_>) -> Reply;
}

impl<F> Dispatch for F
where
    F: Fn(Request<'_>) -> Reply + Send + Sync + 'static,
{
    fn dispatch(&self, request: Request<'_>) -> Reply {
        self(request)
    }
}

/// Runs the handler, turning a panic into `Internal { trace_id }` and a log line with the same
/// id.
pub(crate) fn run_guarded(dispatch: &dyn Dispatch, request: Request<'_>) -> Reply {
    match catch_unwind(AssertUnwindSafe(|| dispatch.dispatch(request))) {
        Ok(reply) => reply,
        Err(panic) => {
            let trace_id = trace_id();
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "non-string panic payload".to_owned());
            tracing::error!(%trace_id, page = request.page, connection = request.connection.id.0, "handler panicked: {what}");
            Reply::error(ApiError::Internal { trace_id })
        }
    }
}

/// 16 hex digits: a per-process random prefix mixed with a counter, unique and unguessable
/// enough to correlate a browser error with a log line.
pub(crate) fn trace_id() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut hasher = RandomState::new().build_hasher();
    hasher.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
    format!("{:016x}", hasher.finish())
}
