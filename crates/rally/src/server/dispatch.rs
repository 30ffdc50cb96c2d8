//! The dispatch seam between the WebSocket runtime and an app's pages: a request's page and
//! message bytes in, the result bytes (and what to broadcast) out. Codegen implements
//! [`Dispatch`] for an app; tests implement it by hand.
//!
//! Handlers run on the endpoint's [`HandlerPool`]: a few dedicated threads fed by a bounded
//! queue, off the async worker threads because a handler may block on SQLite.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};

use axum::http::HeaderMap;
use rally_wire::{ApiError, Request as WireRequest};
use serde::Serialize;
use serde::de::DeserializeOwned;
use tokio::sync::{Semaphore, SemaphorePermit};

use super::fair_queue::FairQueue;
use super::hub::ConnectionId;
use super::mailbox::Mailbox;

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
/// Called on one of the endpoint's handler threads (`WsConfig::handler_threads`), never on an
/// async worker thread, so a handler may query SQLite directly; the thread is inside the
/// server's tokio runtime, so `Handle::current()` works. A panic is caught by the runtime and
/// answered with [`ApiError::Internal`].
pub trait Dispatch: Send + Sync + 'static {
    /// Handles one request.
    fn dispatch(&self, request: Request<'_>) -> Reply;

    /// Whether `connection` may subscribe to every one of `topics` (already de-duplicated),
    /// checked each time the tab sends a new set; `Err` refuses the set and keeps the previous
    /// one. Runs on a blocking thread (it may look the session up). By default every topic is
    /// open to everyone.
    fn authorize_topics(
        &self,
        connection: &ConnectionInfo,
        topics: &[String],
    ) -> Result<(), ApiError> {
        let _ = (connection, topics);
        Ok(())
    }

    /// Whether [`Dispatch::authorize_topics`] checks anything; when not, topic sets are taken
    /// without a trip to a blocking thread.
    fn authorizes_topics(&self) -> bool {
        false
    }

    /// Reads a posted form as `page`'s `ServerMsg`, encoded as a socket request would carry
    /// it; `None` when the page takes no form saves. The generated dispatch answers for every
    /// page that saves.
    fn decode_form(
        &self,
        page: &str,
        form: &[(String, String)],
    ) -> Option<Result<Vec<u8>, crate::form::FormError>> {
        let _ = (page, form);
        None
    }

    /// Whether the connection's upgrade request carries a live session: such connections may
    /// send larger frames (`WsConfig::max_frame_bytes` instead of
    /// `max_anonymous_frame_bytes`). Runs on a blocking thread. By default nobody is.
    fn signed_in(&self, connection: &ConnectionInfo) -> bool {
        let _ = connection;
        false
    }
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

/// A finished request: its id and the handler's reply.
pub(crate) type Finished = (u32, Reply);

/// What the jobs of one connection share: the connection, and where their replies go.
pub(crate) struct Origin {
    pub info: ConnectionInfo,
    pub mailbox: Arc<Mailbox>,
}

/// One request for the handler threads.
pub(crate) struct Job {
    pub origin: Arc<Origin>,
    pub request: WireRequest,
}

impl Job {
    /// A job for `request`, read on the connection `origin`.
    pub fn new(origin: &Arc<Origin>, request: WireRequest) -> Self {
        Job {
            origin: Arc::clone(origin),
            request,
        }
    }
}

/// A fixed set of handler threads fed by a bounded queue shared by every connection, which
/// takes one job per connection in turn (see [`FairQueue`]).
///
/// Submitting never blocks an async thread: a connection takes a free place in the queue
/// ([`HandlerPool::try_place`]) or waits for one ([`HandlerPool::place`]) while it goes on
/// sending results and pushes, and a thread gives the place back when it takes the job.
/// Waiting connections get places in order (tokio's semaphore is fair). Replies go into
/// the connection's mailbox, which never blocks, so a handler thread never waits for a
/// connection.
///
/// Threads start with the first request, inside the runtime that serves it (so handlers can
/// use `Handle::current()`); one that could not be started is retried on the next request.
/// They end when the pool is dropped, once the queue is empty.
pub(crate) struct HandlerPool {
    shared: Arc<Shared>,
    threads: usize,
    spawning: Mutex<()>,
}

struct Shared {
    dispatch: Arc<dyn Dispatch>,
    queue: Mutex<Queue>,
    /// Signalled when a job is queued while a thread is idle, and on close.
    ready: Condvar,
    /// Free places in the queue.
    places: Semaphore,
    /// Threads started and not yet ended.
    running: AtomicUsize,
}

#[derive(Default)]
struct Queue {
    /// Jobs, each with whether it holds a place to give back, taken in turns per connection.
    jobs: FairQueue<(Job, bool)>,
    /// Threads waiting on `ready` that no wake-up is meant for yet.
    idle: usize,
    /// Wake-ups sent and not yet taken by a waiting thread.
    wakeups: usize,
    closed: bool,
}

impl Queue {
    /// Whether to wake a sleeping thread for the queued jobs: not while another wake-up is on
    /// its way (that thread takes the first job and, if more are queued, wakes the next one
    /// itself, so slow handlers still run in parallel). Counts the wake-up as sent.
    ///
    /// Waking one thread at a time, rather than once per job, matters: measured in bench/ws, a
    /// handler thread's sleep and wake-up cost far more than a fast handler (so does the short
    /// back-off before a thread sleeps, in `work`).
    fn wake_one(&mut self) -> bool {
        let wake = !self.jobs.is_empty() && self.wakeups == 0 && self.idle > 0;
        if wake {
            self.idle -= 1;
            self.wakeups += 1;
        }
        wake
    }
}

/// A free place in the handler queue, for [`HandlerPool::submit`].
pub(crate) struct Place<'a>(SemaphorePermit<'a>);

impl HandlerPool {
    /// A pool of `threads` threads (at least 1) with room for `queue` waiting jobs (at least 1).
    pub fn new(dispatch: Arc<dyn Dispatch>, threads: usize, queue: usize) -> Self {
        HandlerPool {
            shared: Arc::new(Shared {
                dispatch,
                queue: Mutex::new(Queue::default()),
                ready: Condvar::new(),
                places: Semaphore::new(queue.max(1)),
                running: AtomicUsize::new(0),
            }),
            threads: threads.max(1),
            spawning: Mutex::new(()),
        }
    }

    /// The dispatch the handlers run.
    pub fn dispatch(&self) -> &Arc<dyn Dispatch> {
        &self.shared.dispatch
    }

    /// A free place, if there is one now and nobody is waiting for one.
    pub fn try_place(&self) -> Option<Place<'_>> {
        self.shared.places.try_acquire().ok().map(Place)
    }

    /// Waits for a free place; first come, first served. Cancel-safe: dropping the future
    /// gives up the turn.
    pub async fn place(&self) -> Place<'_> {
        match self.shared.places.acquire().await {
            Ok(permit) => Place(permit),
            Err(_) => unreachable!("the handler queue's semaphore is never closed"),
        }
    }

    /// Queues a job into the place taken for it.
    pub fn submit(&self, place: Place<'_>, job: Job) {
        // A thread gives the place back when it takes the job.
        place.0.forget();
        self.push(job, true);
    }

    /// Queues a job without a place: for the one request a closing connection had read but
    /// could not queue yet, so that every request read from a socket is handled.
    pub fn submit_over_capacity(&self, job: Job) {
        self.push(job, false);
    }

    fn push(&self, job: Job, placed: bool) {
        self.start();
        let mut queue = self.shared.lock();
        let connection = job.origin.info.id;
        queue.jobs.push(connection, (job, placed));
        let wake = queue.wake_one();
        drop(queue);
        if wake {
            self.shared.ready.notify_one();
        }
    }

    /// Starts the threads that are missing.
    fn start(&self) {
        if self.shared.running.load(Ordering::Acquire) >= self.threads {
            return;
        }
        let _spawning = self
            .spawning
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let runtime = tokio::runtime::Handle::try_current().ok();
        while self.shared.running.load(Ordering::Acquire) < self.threads {
            let n = self.shared.running.fetch_add(1, Ordering::AcqRel);
            let shared = Arc::clone(&self.shared);
            let runtime = runtime.clone();
            let spawned = std::thread::Builder::new()
                .name(format!("rally-handler-{n}"))
                .spawn(move || {
                    let _entered = runtime.as_ref().map(|r| r.enter());
                    shared.work();
                });
            if let Err(e) = spawned {
                self.shared.running.fetch_sub(1, Ordering::AcqRel);
                tracing::error!(
                    running = self.shared.running.load(Ordering::Acquire),
                    "cannot start a websocket handler thread (retried on the next request): {e}"
                );
                break;
            }
        }
    }
}

/// crossbeam's `Backoff` until it is "completed": 127 spin-loop hints in growing rounds, then
/// four `yield_now`s, a few microseconds in all, yielding to other threads when they need the CPU.
fn back_off() {
    for step in 0..=10u32 {
        if step <= 6 {
            for _ in 0..(1u32 << step) {
                std::hint::spin_loop();
            }
        } else {
            std::thread::yield_now();
        }
    }
}

impl Drop for HandlerPool {
    fn drop(&mut self) {
        self.shared.lock().closed = true;
        self.shared.ready.notify_all();
    }
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Queue> {
        // Every update of the queue is one step, so it stays consistent across a panic.
        self.queue
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// A handler thread: takes jobs in order until the pool is closed and the queue empty.
    fn work(&self) {
        struct Running<'a>(&'a AtomicUsize);
        impl Drop for Running<'_> {
            fn drop(&mut self) {
                self.0.fetch_sub(1, Ordering::AcqRel);
            }
        }
        let _running = Running(&self.running);
        loop {
            let (job, placed) = {
                let mut queue = self.lock();
                let mut backed_off = false;
                loop {
                    if let Some(entry) = queue.jobs.pop() {
                        // More work and nobody about to take it: pass the wake-up on.
                        let wake = queue.wake_one();
                        drop(queue);
                        if wake {
                            self.ready.notify_one();
                        }
                        break entry;
                    }
                    if queue.closed {
                        return;
                    }
                    if !backed_off {
                        // A job often arrives within microseconds; looking again after a short
                        // back-off is far cheaper than sleeping and being woken.
                        backed_off = true;
                        drop(queue);
                        back_off();
                        queue = self.lock();
                        continue;
                    }
                    backed_off = false;
                    queue.idle += 1;
                    while queue.wakeups == 0 && !queue.closed {
                        queue = self
                            .ready
                            .wait(queue)
                            .unwrap_or_else(|poisoned| poisoned.into_inner());
                    }
                    if queue.wakeups > 0 {
                        queue.wakeups -= 1;
                    } else {
                        queue.idle -= 1;
                    }
                }
            };
            if placed {
                self.places.add_permits(1);
            }
            let reply = run_guarded(
                &*self.dispatch,
                Request {
                    connection: &job.origin.info,
                    page: &job.request.page,
                    message: &job.request.message,
                },
            );
            // The connection may be gone; then nobody is waiting for the reply.
            job.origin.mailbox.reply((job.request.id, reply));
        }
    }
}
