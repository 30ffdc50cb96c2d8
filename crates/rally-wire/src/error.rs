//! Transport-level errors: what a request can end in besides the page's own result.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Why a request failed, as both ends see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ApiError {
    /// The page's `load` returned an error.
    Load {
        /// The message for the user.
        message: String,
    },
    /// The page's `handle_save` returned an error, optionally about one form field.
    Save {
        /// The field the error is about, if any.
        field: Option<String>,
        /// The message for the user.
        message: String,
    },
    /// The connection's user may not load or save this page.
    Unauthorized,
    /// The handler panicked or failed unexpectedly; the trace id finds it in the server log.
    Internal {
        /// Correlates the browser's error with the server's log line.
        trace_id: String,
    },
    /// No result arrived in time (raised by the client).
    Timeout,
    /// The client and the server were built from different contracts.
    ContractMismatch,
    /// The frame or message could not be understood (malformed, unknown page, wrong type).
    BadRequest {
        /// What was wrong, for the developer.
        reason: String,
    },
    /// A per-connection limit was exceeded.
    LimitExceeded {
        /// Which limit.
        limit: LimitKind,
        /// Its configured value.
        max: u64,
    },
    /// The connection dropped before the result arrived (raised by the client). A save may or
    /// may not have been applied; the page reloads its data after reconnecting.
    Disconnected,
}

/// The per-connection limits the server enforces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum LimitKind {
    /// Bytes in one frame.
    FrameBytes,
    /// Requests awaiting their result.
    InFlight,
    /// Topics in the subscription set.
    Topics,
    /// Bytes in one topic name.
    TopicBytes,
    /// Bytes in one load or save message.
    MessageBytes,
}

impl fmt::Display for LimitKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            LimitKind::FrameBytes => "bytes per frame",
            LimitKind::InFlight => "requests in flight per connection",
            LimitKind::Topics => "topics per connection",
            LimitKind::TopicBytes => "bytes per topic name",
            LimitKind::MessageBytes => "bytes per load or save",
        })
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ApiError::Load { message } => write!(f, "{message}"),
            ApiError::Save {
                field: Some(field),
                message,
            } => write!(f, "{field}: {message}"),
            ApiError::Save {
                field: None,
                message,
            } => write!(f, "{message}"),
            ApiError::Unauthorized => f.write_str("Unauthorized."),
            ApiError::Internal { trace_id } => {
                write!(
                    f,
                    "Something went wrong on the server (trace id {trace_id})."
                )
            }
            ApiError::Timeout => f.write_str("The server did not answer within 30 seconds."),
            ApiError::ContractMismatch => {
                f.write_str("This page is out of date with the server; reload it.")
            }
            ApiError::BadRequest { reason } => write!(f, "Bad request: {reason}"),
            ApiError::LimitExceeded { limit, max } => {
                write!(f, "Limit exceeded: at most {max} {limit}.")
            }
            ApiError::Disconnected => {
                f.write_str("The connection to the server dropped before it answered.")
            }
        }
    }
}

impl std::error::Error for ApiError {}
