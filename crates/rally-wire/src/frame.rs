//! The frames of the protocol. Payloads inside frames (a page's `ServerMsg`, its results, a
//! broadcast event) are postcard bytes of their own, so the runtime can route a frame without
//! knowing the page's types and a push can be encoded once for every subscriber.

use serde::{Deserialize, Serialize};

use crate::error::ApiError;

/// A frame from the browser to the server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ClientFrame {
    /// A load or save for a page.
    Request(Request),
    /// The complete set of topics the connection wants pushes for; replaces the previous set.
    /// The empty set unsubscribes from everything.
    Topics(Vec<String>),
}

/// A load or save addressed to a page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Request {
    /// Chosen by the client, echoed in the result; `0` is reserved for frame-level errors.
    pub id: u32,
    /// The page that owns the message, e.g. `"admin/pages/games"`.
    pub page: String,
    /// The page's `ServerMsg`, postcard-encoded.
    #[serde(with = "serde_bytes")]
    pub message: Vec<u8>,
}

/// A frame from the server to the browser.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ServerFrame {
    /// The answer to the request with the same id: the page's result, postcard-encoded, or
    /// the errors that stopped it.
    Result {
        /// The id of the request this answers.
        id: u32,
        /// `Ok` holds the encoded load result or save result.
        result: Result<Payload, Vec<ApiError>>,
    },
    /// A broadcast event published to a topic the connection subscribed to.
    Push {
        /// The topic the event was published to.
        topic: String,
        /// The app's broadcast event, postcard-encoded.
        #[serde(with = "serde_bytes")]
        event: Vec<u8>,
    },
    /// The client was built against another contract: reload the page to get the current one.
    Reload {
        /// Why, for the browser console.
        reason: String,
    },
    /// A frame the server could not act on and could not attribute to a request id.
    Error(ApiError),
    /// Pushes may have been missed (the broker between server nodes was away): re-load the
    /// page's data, as after a reconnect.
    CatchUp,
}

/// Encoded bytes inside a frame (a load or save result).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Payload(#[serde(with = "serde_bytes")] pub Vec<u8>);

impl ServerFrame {
    /// A successful result.
    pub fn ok(id: u32, payload: Vec<u8>) -> Self {
        ServerFrame::Result {
            id,
            result: Ok(Payload(payload)),
        }
    }

    /// A failed result.
    pub fn err(id: u32, errors: Vec<ApiError>) -> Self {
        ServerFrame::Result {
            id,
            result: Err(errors),
        }
    }
}
