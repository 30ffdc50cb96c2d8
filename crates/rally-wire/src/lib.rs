//! Rally's wire protocol: the frames that travel over the one WebSocket between a page and the
//! server, their encoding, and the contract fingerprint that keeps both ends in step.
//!
//! - [`frame`]: [`ClientFrame`] (a request, the topic set) and [`ServerFrame`] (a result, a push,
//!   a reload order, a frame-level error).
//! - [`codec`]: postcard encoding; [`decode`] enforces [`Limits`] so hostile bytes cannot make it
//!   allocate, loop or recurse without bound.
//! - [`client`]: the client side of the protocol as a state machine without I/O (ids,
//!   pending results, queueing, topics, back-off, timeouts); the browser runtime drives it.
//! - [`error`]: [`ApiError`], the transport-level errors a request can end in.
//! - [`fingerprint`]: [`Fingerprint`], the SHA-256 of the contract; with feature `contract`,
//!   [`contract::Contract`] builds the canonical description codegen feeds it.
//!
//! The protocol is documented in `docs/protocol.md`.

pub mod client;
pub mod codec;
#[cfg(feature = "contract")]
pub mod contract;
pub mod error;
pub mod fingerprint;
pub mod frame;
mod limited;
pub mod message;

pub use codec::{DecodeError, Limits, decode, decode_from_server, decode_with, encode};
pub use error::{ApiError, LimitKind};
pub use fingerprint::Fingerprint;
pub use frame::{ClientFrame, Request, ServerFrame};

/// Version of the frame layout; part of every contract fingerprint.
pub const PROTOCOL_VERSION: u32 = 1;

/// Path of the WebSocket endpoint.
pub const WS_PATH: &str = "/ws";

/// Query parameter of the upgrade request that carries the client's contract fingerprint.
pub const CONTRACT_PARAM: &str = "contract";
