//! The tab's WebSocket: connect with the contract fingerprint, send loads and saves, deliver
//! results and pushes, reconnect with back-off, and tell the page when to catch up.
//!
//! The protocol rules live in [`rally_wire::client::ClientState`]; this module owns what the
//! browser provides: the socket, timers, the clock and randomness. A tab has one socket, so
//! the connection is per thread (wasm runs one), set up by [`connect`] at boot.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use rally_view::{Dispatch, Effect};
use rally_wire::client::{ClientState, Incoming, REQUEST_TIMEOUT_MS};
use rally_wire::{ApiError, Fingerprint};
use serde::Serialize;
use serde::de::DeserializeOwned;
use wasm_bindgen::prelude::*;
use web_sys::WebSocket;

/// What a request's result is handed to.
type Callback = Box<dyn FnOnce(Result<Vec<u8>, Vec<ApiError>>)>;

/// What pushes are handed to: the topic and the encoded event.
type PushHook = Rc<dyn Fn(&str, &[u8])>;

/// The socket's event handlers; kept so they can be detached when the socket is replaced.
struct Handlers {
    open: Closure<dyn Fn()>,
    frame: Closure<dyn Fn(Vec<u8>)>,
    close: Closure<dyn Fn()>,
}

// Opening the socket and taking its frames, in JS: through web-sys it took the constructor,
// `binaryType`, three handler setters, and per frame `data`, an `instanceof ArrayBuffer`, a
// `Uint8Array` and its copy, each an import with its glue. rally-build pastes these into the
// glue.
#[wasm_bindgen(
    inline_js = "export function rallySocketOpen(url, onOpen, onFrame, onClose) {
  let socket;
  try {
    socket = new WebSocket(url);
  } catch (e) {
    console.error('rally: cannot open the WebSocket:', e);
    return undefined;
  }
  socket.binaryType = 'arraybuffer';
  socket.onopen = onOpen;
  socket.onmessage = (event) => {
    if (event.data instanceof ArrayBuffer) onFrame(new Uint8Array(event.data));
  };
  socket.onclose = onClose;
  return socket;
}
export function rallySocketDetach(socket) {
  socket.onopen = null;
  socket.onmessage = null;
  socket.onclose = null;
}"
)]
extern "C" {
    /// A WebSocket at `url` taking binary frames, with its handlers; `None` (and a console
    /// error) if the URL is refused.
    #[wasm_bindgen(js_name = rallySocketOpen)]
    fn socket_open(
        url: &str,
        on_open: &JsValue,
        on_frame: &JsValue,
        on_close: &JsValue,
    ) -> Option<WebSocket>;
    /// Removes the handlers `socket_open` set.
    #[wasm_bindgen(js_name = rallySocketDetach)]
    fn detach(socket: &WebSocket);
}

#[derive(Default)]
struct Live {
    state: RefCell<ClientState<Callback>>,
    contract: Cell<Option<Fingerprint>>,
    socket: RefCell<Option<(WebSocket, Handlers)>>,
    reconnect_scheduled: Cell<bool>,
    on_push: RefCell<Option<PushHook>>,
    on_reconnect: RefCell<Option<Rc<dyn Fn()>>>,
}

thread_local! {
    static LIVE: Rc<Live> = Rc::new(Live::default());
}

fn live() -> Rc<Live> {
    LIVE.with(Rc::clone)
}

/// Opens the tab's WebSocket at `/ws` with the app's contract fingerprint. Requests made
/// before it opens are queued and sent once it does.
pub fn connect(contract: Fingerprint) {
    let live = live();
    live.contract.set(Some(contract));
    if live.socket.borrow().is_none() {
        live.open();
    }
}

/// Replaces the set of topics this tab receives pushes for (sent only when it changes).
pub fn set_topics(topics: Vec<String>) {
    let live = live();
    let frame = live.state.borrow_mut().set_topics(topics);
    if let Some(frame) = frame {
        live.send(&frame);
    }
}

/// Calls `f` with each push: the topic and the encoded event.
pub fn on_push(f: impl Fn(&str, &[u8]) + 'static) {
    *live().on_push.borrow_mut() = Some(Rc::new(f));
}

/// Calls `f` after every reconnect, so the page can re-load what it missed while offline.
pub fn on_reconnect(f: impl Fn() + 'static) {
    *live().on_reconnect.borrow_mut() = Some(Rc::new(f));
}

/// Whether the socket is open (for status indicators).
pub fn is_connected() -> bool {
    live().state.borrow().is_open()
}

/// An effect that sends `message` to `page` and dispatches `to_msg` with the decoded result.
/// Fails with [`ApiError::Timeout`] after 30 s and [`ApiError::Disconnected`] if the socket
/// drops after sending.
pub fn request<M, R, Msg>(
    page: &'static str,
    message: &M,
    to_msg: impl FnOnce(Result<R, Vec<ApiError>>) -> Msg + 'static,
) -> Effect<Msg>
where
    M: Serialize,
    R: DeserializeOwned + 'static,
    Msg: 'static,
{
    let bytes = rally_wire::encode(message);
    Effect::from(move |dispatch: Dispatch<Msg>| {
        let callback: Callback = Box::new(move |result| {
            let typed = result.and_then(|bytes| {
                rally_wire::decode_from_server::<R>(&bytes).map_err(|e| undecodable(page, &e))
            });
            dispatch.send(to_msg(typed));
        });
        live().request(page, bytes, callback);
    })
}

/// The error a page gets for a result it cannot decode. Out of line: every request's callback,
/// one per result type, would carry the formatting otherwise.
#[inline(never)]
fn undecodable(page: &str, error: &rally_wire::DecodeError) -> Vec<ApiError> {
    vec![ApiError::BadRequest {
        reason: format!("undecodable result from {page}: {error}"),
    }]
}

impl Live {
    fn open(self: &Rc<Self>) {
        let Some(contract) = self.contract.get() else {
            return;
        };
        let url = socket_url(contract);
        let handlers = self.handlers();
        let Some(socket) = socket_open(
            &url,
            handlers.open.as_ref(),
            handlers.frame.as_ref(),
            handlers.close.as_ref(),
        ) else {
            return;
        };
        if let Some((old, _)) = self.socket.replace(Some((socket, handlers))) {
            detach(&old);
        }
    }

    fn handlers(self: &Rc<Self>) -> Handlers {
        let live = Rc::clone(self);
        let open = Closure::<dyn Fn()>::new(move || live.opened());
        let live = Rc::clone(self);
        let frame = Closure::<dyn Fn(Vec<u8>)>::new(move |bytes: Vec<u8>| live.received(&bytes));
        let live = Rc::clone(self);
        let close = Closure::<dyn Fn()>::new(move || live.closed());
        Handlers { open, frame, close }
    }

    fn send(&self, frame: &[u8]) {
        if let Some((socket, _)) = self.socket.borrow().as_ref() {
            // A failed send shows up as a close event, which reconnects.
            let _ = socket.send_with_u8_array(frame);
        }
    }

    fn request(self: &Rc<Self>, page: &str, message: Vec<u8>, callback: Callback) {
        let now = js_sys::Date::now();
        let (_, frame) = self
            .state
            .borrow_mut()
            .request(page, message, now, callback);
        if let Some(frame) = frame {
            self.send(&frame);
        }
        let live = Rc::clone(self);
        set_timeout(REQUEST_TIMEOUT_MS as i32 + 1, move || live.expire());
    }

    fn expire(&self) {
        let expired = self.state.borrow_mut().expire(js_sys::Date::now());
        for callback in expired {
            callback(Err(vec![ApiError::Timeout]));
        }
    }

    fn opened(&self) {
        let opened = self.state.borrow_mut().opened();
        for frame in &opened.frames {
            self.send(frame);
        }
        if opened.reconnected {
            self.catch_up();
        }
    }

    /// Pushes may have been lost (a reconnect, or the server's broker was away): the page
    /// re-loads its data.
    fn catch_up(&self) {
        let hook = self.on_reconnect.borrow().clone();
        if let Some(hook) = hook {
            hook();
        }
    }

    fn received(&self, bytes: &[u8]) {
        // The state borrow ends before any callback runs: callbacks dispatch messages whose
        // effects may send new requests.
        let incoming = self.state.borrow_mut().receive(bytes);
        match incoming {
            Incoming::Result { callback, result } => callback(result),
            Incoming::Push { topic, event } => {
                let hook = self.on_push.borrow().clone();
                if let Some(hook) = hook {
                    hook(&topic, &event);
                }
            }
            Incoming::Reload { reason } => reload(&reason),
            Incoming::CatchUp => self.catch_up(),
            // The server dropped topics this tab may no longer see (its session ended): load
            // the page again as a document, which signs in or shows what is left.
            Incoming::Error(ApiError::Unauthorized) => crate::remote::reload_as_document(),
            Incoming::Error(error) => web_sys::console::warn_1(
                &format!("rally: the server refused a frame: {error}").into(),
            ),
            Incoming::Ignored => {}
        }
    }

    fn closed(self: &Rc<Self>) {
        let (delay, lost) = self.state.borrow_mut().closed(js_sys::Math::random());
        for callback in lost {
            callback(Err(vec![ApiError::Disconnected]));
        }
        if !self.reconnect_scheduled.replace(true) {
            let live = Rc::clone(self);
            set_timeout(delay as i32, move || {
                live.reconnect_scheduled.set(false);
                live.open();
            });
        }
    }
}

/// `ws(s)://<host>/ws?contract=<fingerprint>`, matching the page's scheme.
fn socket_url(contract: Fingerprint) -> String {
    let scheme = if super::location::protocol() == "https:" {
        "wss"
    } else {
        "ws"
    };
    let host = super::location::host();
    format!(
        "{scheme}://{host}{}?{}={contract}",
        rally_wire::WS_PATH,
        rally_wire::CONTRACT_PARAM
    )
}

/// Reloads the page to pick up the server's contract, unless it already did so in the last
/// ten seconds: a server that keeps refusing (a stale cached bundle) must not loop reloads.
fn reload(reason: &str) {
    const KEY: &str = "rally:contract-reload";
    // Whole milliseconds, written and read as an integer: an `f64` would bring float
    // printing and parsing, ~20 KB, into every bundle for this one timestamp.
    let now = js_sys::Date::now() as u64;
    let last = super::document_js::session_get(KEY).and_then(|v| v.parse::<u64>().ok());
    if last.is_some_and(|t| now.saturating_sub(t) < 10_000) {
        web_sys::console::error_1(
            &format!("rally: {reason}; reloading did not help, so the page stays as it is").into(),
        );
        return;
    }
    super::document_js::session_set(KEY, &now.to_string());
    web_sys::console::warn_1(&format!("rally: {reason}; reloading").into());
    super::location::reload();
}

pub(crate) fn set_timeout(ms: i32, f: impl FnOnce() + 'static) {
    rally_view::web::set_timeout(ms, Box::new(f));
}
