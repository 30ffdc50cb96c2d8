//! A connection's mailbox: everything other threads hand to a connection task — handler
//! replies, hub pushes, and the signals to stop — behind one lock and one waker.
//!
//! Channels and cancellation tokens would do the same job, but the task then polls each of
//! them on every wake-up: measured in bench/ws at 1,000 connections, polling two mpsc
//! receivers and two cancellation tokens (each poll of a token takes its mutex) was about a
//! quarter of the server's user time. Here a wake-up takes the lock once and drains
//! everything that arrived since the last one.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};

use axum::body::Bytes;

use super::dispatch::Finished;
use super::hub::{ConnectionId, Delivery};

/// One connection's mailbox. Writers never wait; the connection task drains it with
/// [`Mailbox::poll_take`].
#[derive(Debug)]
pub(crate) struct Mailbox {
    state: Mutex<State>,
}

#[derive(Debug)]
struct State {
    replies: VecDeque<Finished>,
    pushes: VecDeque<Bytes>,
    /// Pushes the task took with its last batch. They count against the capacity until it
    /// comes back for more, so a client that stopped reading holds at most `push_capacity`.
    in_hand: usize,
    /// Pushes queued and in hand at most; one more marks the connection a slow consumer.
    push_capacity: usize,
    /// The push queue overflowed: the connection must close.
    slow: bool,
    /// The endpoint is shutting down, and the task has not been told yet.
    shutdown: bool,
    /// The connection task has ended; whatever arrives now is dropped.
    closed: bool,
    /// The connection task, while it waits for mail.
    waker: Option<Waker>,
    /// The connection task, while a write of it waits: woken only when it is found slow.
    slow_waker: Option<Waker>,
}

/// What a connection task takes from its mailbox in one go. Kept by the task between
/// wake-ups so that its buffers are reused.
#[derive(Debug, Default)]
pub(crate) struct Mail {
    /// Finished requests, oldest first.
    pub replies: VecDeque<Finished>,
    /// Push frames, oldest first.
    pub pushes: VecDeque<Bytes>,
    /// The connection was found too slow: close it.
    pub slow: bool,
    /// The endpoint began shutting down.
    pub shutdown: bool,
}

/// Queue capacity a connection keeps between wake-ups; a burst beyond it is given back, so
/// that one burst of pushes does not cost an idle connection memory for the rest of its life.
const KEPT_CAPACITY: usize = 16;

impl Mail {
    /// Whether nothing is left to handle.
    pub fn is_empty(&self) -> bool {
        self.replies.is_empty() && self.pushes.is_empty() && !self.slow && !self.shutdown
    }

    /// Gives back the buffers' memory beyond [`KEPT_CAPACITY`] once they are drained.
    pub fn trim(&mut self) {
        if self.replies.capacity() > KEPT_CAPACITY {
            self.replies.shrink_to(KEPT_CAPACITY);
        }
        if self.pushes.capacity() > KEPT_CAPACITY {
            self.pushes.shrink_to(KEPT_CAPACITY);
        }
    }
}

impl Mailbox {
    /// An empty mailbox that queues up to `push_capacity` pushes (at least 1).
    pub fn new(push_capacity: usize) -> Self {
        Mailbox {
            state: Mutex::new(State {
                replies: VecDeque::new(),
                pushes: VecDeque::new(),
                in_hand: 0,
                push_capacity: push_capacity.max(1),
                slow: false,
                shutdown: false,
                closed: false,
                waker: None,
                slow_waker: None,
            }),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // Every update is one step, so the state stays consistent across a panic elsewhere.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Hands a finished request to the connection (from a handler thread).
    pub fn reply(&self, finished: Finished) {
        let mut state = self.lock();
        if state.closed {
            return;
        }
        state.replies.push_back(finished);
        wake(state);
    }

    /// Queues a push frame without waiting; a full queue marks the connection a slow consumer
    /// rather than buffering without bound.
    pub fn push(&self, frame: Bytes) -> Delivery {
        let mut state = self.lock();
        if state.closed {
            return Delivery::Closed;
        }
        if state.slow {
            return Delivery::Overflowed;
        }
        if state.pushes.len() + state.in_hand >= state.push_capacity {
            state.slow = true;
            state.pushes.clear();
            let slow_waker = state.slow_waker.take();
            wake(state);
            if let Some(waker) = slow_waker {
                waker.wake();
            }
            return Delivery::Overflowed;
        }
        state.pushes.push_back(frame);
        wake(state);
        Delivery::Queued
    }

    /// Tells the connection the endpoint is shutting down.
    pub fn shut_down(&self) {
        let mut state = self.lock();
        state.shutdown = true;
        wake(state);
    }

    /// Marks the connection gone: queued mail is dropped and nothing more is taken.
    pub fn close(&self) {
        let mut state = self.lock();
        state.closed = true;
        state.replies.clear();
        state.pushes.clear();
        state.waker = None;
        state.slow_waker = None;
    }

    /// Moves everything that arrived into `mail` (which must be empty) and completes, or
    /// registers the task to be woken by the next arrival.
    pub fn poll_take(&self, cx: &mut Context<'_>, mail: &mut Mail) -> Poll<()> {
        debug_assert!(mail.is_empty(), "the previous mail was not handled");
        let mut state = self.lock();
        // Coming back for more means the last batch was handled.
        state.in_hand = 0;
        if state.replies.is_empty() && state.pushes.is_empty() && !state.slow && !state.shutdown {
            register(&mut state.waker, cx);
            return Poll::Pending;
        }
        // Swapping keeps both sides' buffers allocated: no allocation in the steady state.
        std::mem::swap(&mut state.replies, &mut mail.replies);
        std::mem::swap(&mut state.pushes, &mut mail.pushes);
        state.in_hand = mail.pushes.len();
        mail.slow = state.slow;
        mail.shutdown = std::mem::take(&mut state.shutdown);
        Poll::Ready(())
    }

    /// Completes once the connection has been found too slow (for racing a blocked write).
    pub fn poll_slow(&self, cx: &mut Context<'_>) -> Poll<()> {
        let mut state = self.lock();
        if state.slow {
            return Poll::Ready(());
        }
        register(&mut state.slow_waker, cx);
        Poll::Pending
    }
}

fn register(slot: &mut Option<Waker>, cx: &Context<'_>) {
    match slot {
        Some(waker) if waker.will_wake(cx.waker()) => {}
        _ => *slot = Some(cx.waker().clone()),
    }
}

/// Wakes the waiting task after the lock is released, so it does not wake into a held lock.
fn wake(mut state: MutexGuard<'_, State>) {
    let waker = state.waker.take();
    drop(state);
    if let Some(waker) = waker {
        waker.wake();
    }
}

/// The mailboxes of an endpoint's open connections, for telling them all to shut down.
#[derive(Debug, Default)]
pub(crate) struct Mailboxes {
    state: Mutex<Registry>,
}

#[derive(Debug, Default)]
struct Registry {
    open: HashMap<ConnectionId, Arc<Mailbox>>,
    shutting_down: bool,
}

impl Mailboxes {
    fn lock(&self) -> MutexGuard<'_, Registry> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Registers a connection's mailbox; one opened after shutdown began is told at once.
    pub fn open(&self, id: ConnectionId, mailbox: Arc<Mailbox>) {
        let mut registry = self.lock();
        if registry.shutting_down {
            mailbox.shut_down();
        }
        registry.open.insert(id, mailbox);
    }

    /// Forgets a closed connection.
    pub fn close(&self, id: ConnectionId) {
        self.lock().open.remove(&id);
    }

    /// Whether shutdown has begun.
    pub fn shutting_down(&self) -> bool {
        self.lock().shutting_down
    }

    /// Tells every open connection, and every one opened from now on, to shut down.
    pub fn shut_down(&self) {
        let open: Vec<Arc<Mailbox>> = {
            let mut registry = self.lock();
            registry.shutting_down = true;
            registry.open.values().cloned().collect()
        };
        // Outside the registry's lock: connections opening or closing meanwhile need not wait.
        for mailbox in open {
            mailbox.shut_down();
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::task::Wake;

    use super::*;
    use crate::server::dispatch::Reply;

    struct CountingWaker(AtomicUsize);

    impl Wake for CountingWaker {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    fn waker() -> (Arc<CountingWaker>, Waker) {
        let counter = Arc::new(CountingWaker(AtomicUsize::new(0)));
        (Arc::clone(&counter), Waker::from(counter))
    }

    fn reply(id: u32) -> Finished {
        (id, Reply::from_result(Ok(vec![id as u8])))
    }

    #[test]
    fn an_arrival_wakes_the_waiting_task_once_and_is_taken_in_order() {
        let mailbox = Mailbox::new(4);
        let (count, waker) = waker();
        let mut cx = Context::from_waker(&waker);
        let mut mail = Mail::default();
        assert!(mailbox.poll_take(&mut cx, &mut mail).is_pending());
        mailbox.reply(reply(1));
        mailbox.push(Bytes::from_static(b"p1"));
        mailbox.reply(reply(2));
        assert_eq!(count.0.load(Ordering::SeqCst), 1, "one wake-up per wait");
        assert!(mailbox.poll_take(&mut cx, &mut mail).is_ready());
        let ids: Vec<u32> = mail.replies.drain(..).map(|(id, _)| id).collect();
        assert_eq!(ids, [1, 2]);
        assert_eq!(mail.pushes.drain(..).collect::<Vec<_>>(), [&b"p1"[..]]);
        assert!(mail.is_empty());
        assert!(mailbox.poll_take(&mut cx, &mut mail).is_pending());
    }

    #[test]
    fn a_full_push_queue_marks_the_connection_slow_and_drops_its_pushes() {
        let mailbox = Mailbox::new(2);
        let (_, waker) = waker();
        let mut cx = Context::from_waker(&waker);
        assert_eq!(mailbox.push(Bytes::from_static(b"1")), Delivery::Queued);
        assert_eq!(mailbox.push(Bytes::from_static(b"2")), Delivery::Queued);
        assert!(mailbox.poll_slow(&mut cx).is_pending());
        assert_eq!(mailbox.push(Bytes::from_static(b"3")), Delivery::Overflowed);
        assert_eq!(mailbox.push(Bytes::from_static(b"4")), Delivery::Overflowed);
        assert!(mailbox.poll_slow(&mut cx).is_ready());
        let mut mail = Mail::default();
        assert!(mailbox.poll_take(&mut cx, &mut mail).is_ready());
        assert!(mail.slow);
        assert!(
            mail.pushes.is_empty(),
            "a slow consumer's pushes are not sent"
        );
    }

    #[test]
    fn shutdown_is_reported_once_and_reaches_connections_opened_later() {
        let mailboxes = Mailboxes::default();
        let early = Arc::new(Mailbox::new(1));
        mailboxes.open(ConnectionId(1), Arc::clone(&early));
        mailboxes.shut_down();
        let late = Arc::new(Mailbox::new(1));
        mailboxes.open(ConnectionId(2), Arc::clone(&late));
        assert!(mailboxes.shutting_down());
        let (_, waker) = waker();
        let mut cx = Context::from_waker(&waker);
        for mailbox in [early, late] {
            let mut mail = Mail::default();
            assert!(mailbox.poll_take(&mut cx, &mut mail).is_ready());
            assert!(mail.shutdown);
            mail.shutdown = false;
            assert!(mailbox.poll_take(&mut cx, &mut mail).is_pending());
        }
    }

    #[test]
    fn pushes_taken_and_not_yet_handled_count_against_the_limit() {
        let mailbox = Mailbox::new(3);
        let (slow_count, slow_waker) = waker();
        let (_, waker) = waker();
        let mut cx = Context::from_waker(&waker);
        let mut mail = Mail::default();
        for _ in 0..2 {
            assert_eq!(mailbox.push(Bytes::from_static(b"a")), Delivery::Queued);
        }
        assert!(mailbox.poll_take(&mut cx, &mut mail).is_ready());
        // The task is stuck writing the first of the two it took.
        assert!(
            mailbox
                .poll_slow(&mut Context::from_waker(&slow_waker))
                .is_pending()
        );
        assert_eq!(mailbox.push(Bytes::from_static(b"b")), Delivery::Queued);
        assert_eq!(
            slow_count.0.load(Ordering::SeqCst),
            0,
            "mail alone does not wake a blocked write"
        );
        assert_eq!(mailbox.push(Bytes::from_static(b"c")), Delivery::Overflowed);
        assert_eq!(slow_count.0.load(Ordering::SeqCst), 1);

        // Once a batch is handled, the room is back.
        let mailbox = Mailbox::new(3);
        let mut mail = Mail::default();
        for _ in 0..3 {
            mailbox.push(Bytes::from_static(b"a"));
        }
        assert!(mailbox.poll_take(&mut cx, &mut mail).is_ready());
        mail.pushes.clear();
        assert!(mailbox.poll_take(&mut cx, &mut mail).is_pending());
        for _ in 0..3 {
            assert_eq!(mailbox.push(Bytes::from_static(b"a")), Delivery::Queued);
        }
    }

    #[test]
    fn a_burst_leaves_no_large_buffers_behind_once_handled() {
        let mailbox = Mailbox::new(1000);
        let (_, waker) = waker();
        let mut cx = Context::from_waker(&waker);
        let mut mail = Mail::default();
        for round in 0..2 {
            for _ in 0..500 {
                mailbox.push(Bytes::from_static(b"x"));
            }
            assert!(mailbox.poll_take(&mut cx, &mut mail).is_ready());
            assert_eq!(mail.pushes.len(), 500, "round {round}");
            mail.pushes.clear();
            mail.trim();
            assert!(mail.pushes.capacity() <= KEPT_CAPACITY);
        }
        // Both buffers have been through a burst and a trim by now.
        assert!(mailbox.poll_take(&mut cx, &mut mail).is_pending());
        assert!(mailbox.lock().pushes.capacity() <= KEPT_CAPACITY);
    }

    #[test]
    fn a_closed_mailbox_drops_what_arrives() {
        let mailbox = Mailbox::new(1);
        mailbox.close();
        mailbox.reply(reply(1));
        assert_eq!(mailbox.push(Bytes::from_static(b"x")), Delivery::Closed);
        let (_, waker) = waker();
        let mut cx = Context::from_waker(&waker);
        assert!(
            mailbox
                .poll_take(&mut cx, &mut Mail::default())
                .is_pending()
        );
    }
}
