//! The benchmark's tiny app: one page, a `Get` that answers a small item and a `Save` that
//! publishes to one topic, plus the frames the clients send and the checks on what comes back.

use rally::server::{Reply, Request};
use rally_wire::{ClientFrame, Fingerprint, Request as WireRequest, ServerFrame};
use serde::{Deserialize, Serialize};

/// The contract both ends use.
pub const CONTRACT: Fingerprint = Fingerprint::from_bytes([0xb5; 32]);
/// The page every request goes to. 16 bytes, which makes the result frame of a `Get` exactly
/// as long as its request frame (the item echoes the key and carries the page name), so the
/// echo server answers the same number of bytes as Rally.
pub const PAGE: &str = "bench/pages/item";
/// The topic of the fan-out.
pub const TOPIC: &str = "items";

/// The page's server messages.
#[derive(Debug, Serialize, Deserialize)]
pub enum Msg {
    /// Answers an [`Item`].
    Get { key: u32 },
    /// Answers `round` and publishes [`Event::Saved`] to [`TOPIC`].
    Save { round: u32 },
}

/// The result of a `Get`.
#[derive(Debug, Serialize, Deserialize)]
pub struct Item {
    pub key: u32,
    pub name: String,
}

/// The broadcast event.
#[derive(Debug, Serialize, Deserialize)]
pub enum Event {
    Saved { round: u32 },
}

/// The trivial handler: decode the message, answer a small result.
pub fn handle(request: Request<'_>) -> Reply {
    match request.decode::<Msg>() {
        Ok(Msg::Get { key }) => Reply::encode(Ok(Item {
            key,
            name: request.page.to_owned(),
        })),
        Ok(Msg::Save { round }) => {
            Reply::encode(Ok(round)).publish(vec![TOPIC.to_owned()], &Event::Saved { round })
        }
        Err(e) => Reply::error(e),
    }
}

/// A request frame for `msg`.
pub fn request_frame(id: u32, msg: &Msg) -> Vec<u8> {
    rally_wire::encode(&ClientFrame::Request(WireRequest {
        id,
        page: PAGE.to_owned(),
        message: rally_wire::encode(msg),
    }))
}

/// The topic-set frame subscribing to [`TOPIC`].
pub fn subscribe_frame() -> Vec<u8> {
    rally_wire::encode(&ClientFrame::Topics(vec![TOPIC.to_owned()]))
}

/// Which server a client talks to; decides how its replies are checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// The bare tokio-tungstenite echo server: the reply is the request frame itself.
    Echo,
    /// Rally's `/ws` endpoint: the reply is a `Result` frame holding an [`Item`].
    Rally,
}

impl Target {
    pub fn name(self) -> &'static str {
        match self {
            Target::Echo => "echo",
            Target::Rally => "rally",
        }
    }

    /// Checks that `bytes` answers the `Get` with id `id` (decoding it completely, as a real
    /// client would).
    pub fn check_get_reply(self, bytes: &[u8], id: u32) -> Result<(), String> {
        match self {
            Target::Echo => match rally_wire::decode::<ClientFrame>(bytes) {
                Ok(ClientFrame::Request(r)) if r.id == id => rally_wire::decode::<Msg>(&r.message)
                    .map(|_| ())
                    .map_err(|e| format!("echoed message: {e}")),
                other => Err(format!("expected the echo of request {id}, got {other:?}")),
            },
            Target::Rally => match rally_wire::decode::<ServerFrame>(bytes) {
                Ok(ServerFrame::Result {
                    id: rid,
                    result: Ok(payload),
                }) if rid == id => rally_wire::decode::<Item>(&payload.0)
                    .map(|_| ())
                    .map_err(|e| format!("result payload: {e}")),
                other => Err(format!(
                    "expected the result of request {id}, got {other:?}"
                )),
            },
        }
    }
}

/// The round of a push frame, if `bytes` is one.
pub fn push_round(bytes: &[u8]) -> Option<u32> {
    match rally_wire::decode::<ServerFrame>(bytes) {
        Ok(ServerFrame::Push { event, .. }) => match rally_wire::decode::<Event>(&event) {
            Ok(Event::Saved { round }) => Some(round),
            Err(_) => None,
        },
        _ => None,
    }
}

/// Sizes of a `Get` request frame and of Rally's result frame for it, in bytes.
pub fn frame_sizes(id: u32) -> (usize, usize) {
    let request = request_frame(id, &Msg::Get { key: id });
    let item = Item {
        key: id,
        name: PAGE.to_owned(),
    };
    let result = rally_wire::encode(&ServerFrame::ok(id, rally_wire::encode(&item)));
    (request.len(), result.len())
}
