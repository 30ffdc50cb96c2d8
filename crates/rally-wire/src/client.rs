//! The client side of the protocol as a state machine without I/O: request ids and pending
//! results, frames queued while connecting, the topic set, reconnect back-off, timeouts.
//!
//! The browser runtime owns the socket and the timers and feeds this state what happens
//! (`opened`, `closed`, bytes received, the clock); the state answers with the frames to write
//! and the callbacks to run. Keeping the rules here makes them testable without a browser.

use crate::error::ApiError;
use crate::frame::{ClientFrame, Request, ServerFrame};

/// How long a request waits for its result.
pub const REQUEST_TIMEOUT_MS: f64 = 30_000.0;
/// The first reconnect delay's upper bound; it doubles per failed attempt.
pub const BACKOFF_BASE_MS: f64 = 500.0;
/// The reconnect delay never exceeds this.
pub const BACKOFF_CAP_MS: f64 = 30_000.0;

/// A frame from the server, resolved against the client's state. `P` is what the caller
/// attached to each request (its callback).
#[derive(Debug, PartialEq)]
pub enum Incoming<P> {
    /// The result of a pending request.
    Result {
        /// What the caller attached to the request.
        callback: P,
        /// The encoded result or the errors.
        result: Result<Vec<u8>, Vec<ApiError>>,
    },
    /// A broadcast event.
    Push {
        /// The topic it was published to.
        topic: String,
        /// The encoded event.
        event: Vec<u8>,
    },
    /// The server runs another contract: reload the page.
    Reload {
        /// Why.
        reason: String,
    },
    /// A frame-level error from the server (malformed frame, a limit).
    Error(ApiError),
    /// Pushes may have been missed: re-load the page's data, as after a reconnect.
    CatchUp,
    /// A result nobody waits for any more (timed out, or unknown), or undecodable bytes.
    Ignored,
}

/// What to do after the socket opened.
#[derive(Debug, PartialEq, Eq)]
pub struct Opened {
    /// Frames to write, in order: the topic set, then the queued requests.
    pub frames: Vec<Vec<u8>>,
    /// Whether this is a reconnect: the page should re-load its data, since pushes sent while
    /// it was away are lost.
    pub reconnected: bool,
}

struct Pending<P> {
    deadline: f64,
    /// The encoded frame while it waits for an open socket; `None` once written.
    queued: Option<Vec<u8>>,
    callback: P,
}

/// The protocol state of one browser tab.
pub struct ClientState<P> {
    next_id: u32,
    /// In the order they were made, which is the order of their ids. A tab has a handful at a
    /// time, so a vector does what a `BTreeMap` did, without its ~10 KB of wasm in every
    /// bundle.
    pending: Vec<(u32, Pending<P>)>,
    open: bool,
    ever_opened: bool,
    attempts: u32,
    topics: Vec<String>,
    /// The set the server has for the current socket (`None` before any was sent).
    sent_topics: Option<Vec<String>>,
}

impl<P> Default for ClientState<P> {
    fn default() -> Self {
        ClientState {
            next_id: 1,
            pending: Vec::new(),
            open: false,
            ever_opened: false,
            attempts: 0,
            topics: Vec::new(),
            sent_topics: None,
        }
    }
}

impl<P> ClientState<P> {
    /// A client that has not connected yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Whether the socket is open.
    pub fn is_open(&self) -> bool {
        self.open
    }

    /// Requests awaiting their result.
    pub fn pending(&self) -> usize {
        self.pending.len()
    }

    /// Registers a request at time `now` (ms); returns its id and the frame to write now, or
    /// `None` when it is queued until the socket opens.
    pub fn request(
        &mut self,
        page: &str,
        message: Vec<u8>,
        now: f64,
        callback: P,
    ) -> (u32, Option<Vec<u8>>) {
        let id = self.next_id();
        let frame = crate::encode(&ClientFrame::Request(Request {
            id,
            page: page.to_owned(),
            message,
        }));
        let (queued, write) = if self.open {
            (None, Some(frame))
        } else {
            (Some(frame), None)
        };
        self.pending.push((
            id,
            Pending {
                deadline: now + REQUEST_TIMEOUT_MS,
                queued,
                callback,
            },
        ));
        (id, write)
    }

    fn next_id(&mut self) -> u32 {
        let id = self.next_id;
        // 0 is reserved for frame-level errors.
        self.next_id = self.next_id.checked_add(1).unwrap_or(1);
        id
    }

    /// Replaces the wanted topic set; returns the frame to write if the server's set differs
    /// and the socket is open. Order and duplicates do not matter.
    pub fn set_topics(&mut self, topics: Vec<String>) -> Option<Vec<u8>> {
        // Sorted by insertion rather than `sort_unstable`, whose code (~3.5 KB of wasm) every
        // browser bundle would carry for a page's handful of topics.
        let mut sorted: Vec<String> = Vec::with_capacity(topics.len());
        for topic in topics {
            if let Err(at) = sorted.binary_search(&topic) {
                sorted.insert(at, topic);
            }
        }
        self.topics = sorted;
        if self.open { self.topics_frame() } else { None }
    }

    fn topics_frame(&mut self) -> Option<Vec<u8>> {
        let current = self.sent_topics.as_deref().unwrap_or_default();
        if current == self.topics.as_slice() {
            return None;
        }
        self.sent_topics = Some(self.topics.clone());
        Some(crate::encode(&ClientFrame::Topics(self.topics.clone())))
    }

    /// The socket opened: write the topic set and the queued requests.
    pub fn opened(&mut self) -> Opened {
        self.open = true;
        self.attempts = 0;
        let reconnected = std::mem::replace(&mut self.ever_opened, true);
        let mut frames: Vec<Vec<u8>> = self.topics_frame().into_iter().collect();
        frames.extend(self.pending.iter_mut().filter_map(|(_, p)| p.queued.take()));
        Opened {
            frames,
            reconnected,
        }
    }

    /// The socket closed. Returns the delay before reconnecting (`random` in `[0, 1)` spreads
    /// clients out: half the capped back-off plus up to half again) and the callbacks of
    /// requests that were written to the dead socket, which fail with
    /// [`ApiError::Disconnected`] rather than wait for their timeout. Queued requests stay.
    pub fn closed(&mut self, random: f64) -> (f64, Vec<P>) {
        self.open = false;
        self.sent_topics = None;
        let cap = (BACKOFF_BASE_MS * 2f64.powi(self.attempts.min(16) as i32)).min(BACKOFF_CAP_MS);
        self.attempts = self.attempts.saturating_add(1);
        let lost = self.take_pending(|p| p.queued.is_none());
        (cap / 2.0 + random.clamp(0.0, 1.0) * cap / 2.0, lost)
    }

    /// Resolves a frame from the server.
    pub fn receive(&mut self, bytes: &[u8]) -> Incoming<P> {
        match crate::decode_from_server::<ServerFrame>(bytes) {
            Ok(ServerFrame::Result { id, result }) => match self.remove(id) {
                Some(p) => Incoming::Result {
                    callback: p.callback,
                    result: result.map(|r| r.0),
                },
                None => Incoming::Ignored,
            },
            Ok(ServerFrame::Push { topic, event }) => Incoming::Push { topic, event },
            Ok(ServerFrame::Reload { reason }) => Incoming::Reload { reason },
            Ok(ServerFrame::Error(error)) => Incoming::Error(error),
            Ok(ServerFrame::CatchUp) => Incoming::CatchUp,
            Err(_) => Incoming::Ignored,
        }
    }

    /// Removes the requests whose deadline passed at `now`; their callbacks get
    /// [`ApiError::Timeout`].
    pub fn expire(&mut self, now: f64) -> Vec<P> {
        self.take_pending(|p| p.deadline <= now)
    }

    /// The pending request `id`, taken out.
    fn remove(&mut self, id: u32) -> Option<Pending<P>> {
        let at = self.pending.iter().position(|(i, _)| *i == id)?;
        Some(self.pending.remove(at).1)
    }

    /// The callbacks of the pending requests that match, taken out in id order.
    fn take_pending(&mut self, matches: impl Fn(&Pending<P>) -> bool) -> Vec<P> {
        let (taken, kept) = std::mem::take(&mut self.pending)
            .into_iter()
            .partition(|(_, p)| matches(p));
        self.pending = kept;
        taken.into_iter().map(|(_, p)| p.callback).collect()
    }

    /// The earliest deadline of a pending request.
    pub fn next_deadline(&self) -> Option<f64> {
        self.pending
            .iter()
            .map(|(_, p)| p.deadline)
            .reduce(f64::min)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ServerFrame, decode, encode};

    fn frame(bytes: &[u8]) -> ClientFrame {
        decode(bytes).unwrap()
    }

    #[test]
    fn a_catch_up_frame_asks_the_page_to_reload_its_data() {
        let mut client: ClientState<()> = ClientState::new();
        assert_eq!(
            client.receive(&encode(&ServerFrame::CatchUp)),
            Incoming::CatchUp
        );
    }

    fn topics(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn requests_queue_while_connecting_and_flush_in_order_after_the_topics() {
        let mut c = ClientState::new();
        assert_eq!(c.set_topics(topics(&["b", "a", "a"])), None);
        let (id1, now1) = c.request("p", vec![1], 0.0, "first");
        let (id2, now2) = c.request("p", vec![2], 0.0, "second");
        assert_eq!((id1, id2, now1, now2), (1, 2, None, None));
        let opened = c.opened();
        assert!(!opened.reconnected);
        let frames: Vec<ClientFrame> = opened.frames.iter().map(|b| frame(b)).collect();
        assert_eq!(frames[0], ClientFrame::Topics(topics(&["a", "b"])));
        assert!(matches!(&frames[1], ClientFrame::Request(r) if r.id == 1 && r.message == [1]));
        assert!(matches!(&frames[2], ClientFrame::Request(r) if r.id == 2));
        assert_eq!(frames.len(), 3);
        // While open, requests go out at once.
        assert!(c.request("p", vec![3], 0.0, "third").1.is_some());
    }

    #[test]
    fn results_find_their_callback_once() {
        let mut c = ClientState::new();
        c.opened();
        let (id, _) = c.request("p", vec![], 0.0, 42);
        let result = encode(&ServerFrame::ok(id, vec![9]));
        assert_eq!(
            c.receive(&result),
            Incoming::Result {
                callback: 42,
                result: Ok(vec![9])
            }
        );
        assert_eq!(c.receive(&result), Incoming::Ignored);
        assert_eq!(c.receive(&[0xff]), Incoming::Ignored);
        let push = encode(&ServerFrame::Push {
            topic: "t".into(),
            event: vec![1],
        });
        assert_eq!(
            c.receive(&push),
            Incoming::Push {
                topic: "t".into(),
                event: vec![1]
            }
        );
    }

    #[test]
    fn requests_time_out_after_30_seconds() {
        let mut c = ClientState::new();
        c.request("p", vec![], 1_000.0, 'a');
        c.request("p", vec![], 5_000.0, 'b');
        assert_eq!(c.next_deadline(), Some(31_000.0));
        assert!(c.expire(30_999.0).is_empty());
        assert_eq!(c.expire(31_000.0), vec!['a']);
        assert_eq!(c.expire(40_000.0), vec!['b']);
        assert_eq!(c.pending(), 0);
        assert_eq!(c.next_deadline(), None);
    }

    #[test]
    fn back_off_doubles_from_500_ms_to_a_30_s_cap_with_jitter_and_resets_on_open() {
        let mut c: ClientState<()> = ClientState::new();
        let lows: Vec<f64> = (0..9).map(|_| c.closed(0.0).0).collect();
        assert_eq!(
            lows,
            [
                250.0, 500.0, 1000.0, 2000.0, 4000.0, 8000.0, 15000.0, 15000.0, 15000.0
            ]
        );
        assert_eq!(c.closed(0.999_999).0.round(), 30_000.0);
        c.opened();
        assert_eq!(c.closed(1.0).0, 500.0);
    }

    #[test]
    fn a_reconnect_resends_the_topic_set_and_fails_written_requests() {
        let mut c = ClientState::new();
        c.opened();
        let sent = c.set_topics(topics(&["games"])).unwrap();
        assert_eq!(frame(&sent), ClientFrame::Topics(topics(&["games"])));
        assert_eq!(
            c.set_topics(topics(&["games"])),
            None,
            "an unchanged set is not re-sent"
        );
        c.request("p", vec![], 0.0, "written");
        let (_, lost) = c.closed(0.5);
        assert_eq!(lost, vec!["written"]);
        c.request("p", vec![], 0.0, "queued");
        let opened = c.opened();
        assert!(opened.reconnected);
        let frames: Vec<ClientFrame> = opened.frames.iter().map(|b| frame(b)).collect();
        assert_eq!(frames[0], ClientFrame::Topics(topics(&["games"])));
        assert!(matches!(&frames[1], ClientFrame::Request(r) if r.id == 2));
    }

    #[test]
    fn an_empty_set_is_only_sent_to_replace_a_non_empty_one() {
        let mut c: ClientState<()> = ClientState::new();
        assert!(c.opened().frames.is_empty());
        assert_eq!(c.set_topics(vec![]), None);
        assert!(c.set_topics(topics(&["x"])).is_some());
        assert_eq!(
            frame(&c.set_topics(vec![]).unwrap()),
            ClientFrame::Topics(vec![])
        );
    }

    #[test]
    fn ids_skip_zero_when_they_wrap() {
        let mut c: ClientState<()> = ClientState::new();
        c.next_id = u32::MAX;
        assert_eq!(c.request("p", vec![], 0.0, ()).0, u32::MAX);
        assert_eq!(c.request("p", vec![], 0.0, ()).0, 1);
    }
}
