//! A single-threaded executor for effects' futures (docs/adr/0062).
//!
//! In the browser an effect's future used to run on wasm-bindgen-futures' `spawn_local`,
//! which brings js-sys's task queue: a probe for the global object and for `queueMicrotask`,
//! a `Promise` fallback, lazily initialised JS thread-locals and the glue for an `FnMut`
//! closure, ~2.4 KB of every bundle that makes a future effect. Rally's futures never await a
//! JS promise, only Rally's own channels, so what they need is small: somewhere to keep them,
//! a queue of the ones woken, and a way to ask the page to run that queue soon.
//!
//! This module is that core, with no JS in it, so it is tested natively; `web` keeps one per
//! page and drains it in a microtask, as `spawn_local` did.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::sync::Arc;
use std::task::{Context, Wake, Waker};

use crate::effect::LocalFuture;

/// A task's place: its future (taken out while it is polled) and whether it is queued.
struct Slot {
    future: Option<LocalFuture<()>>,
    queued: bool,
}

/// Spawned futures, by task id, and the ids woken since the last drain.
///
/// Ids are slot indices, reused once a task finishes. A waker that outlives its task may
/// then wake the slot's next task, which is polled once for nothing: futures allow such
/// spurious polls, and it spares every task a generation counter.
pub(crate) struct Executor {
    slots: RefCell<Vec<Slot>>,
    free: RefCell<Vec<usize>>,
    queue: RefCell<VecDeque<usize>>,
    /// A drain has been asked for and has not started.
    drain_pending: Cell<bool>,
}

impl Executor {
    /// An executor with no tasks.
    pub(crate) const fn new() -> Self {
        Executor {
            slots: RefCell::new(Vec::new()),
            free: RefCell::new(Vec::new()),
            queue: RefCell::new(VecDeque::new()),
            drain_pending: Cell::new(false),
        }
    }

    /// Adds `future`, queued for its first poll. Returns whether the caller must ask for a
    /// drain ([`Executor::drain`]): true unless one is asked for already.
    pub(crate) fn spawn(&self, future: LocalFuture<()>) -> bool {
        let slot = Slot {
            future: Some(future),
            queued: false,
        };
        let id = {
            let mut slots = self.slots.borrow_mut();
            match self.free.borrow_mut().pop() {
                Some(id) => {
                    slots[id] = slot;
                    id
                }
                None => {
                    slots.push(slot);
                    slots.len() - 1
                }
            }
        };
        self.wake(id)
    }

    /// Queues task `id` for a poll, once however often it is woken before it. Returns whether
    /// the caller must ask for a drain.
    pub(crate) fn wake(&self, id: usize) -> bool {
        let mut slots = self.slots.borrow_mut();
        let Some(slot) = slots.get_mut(id) else {
            return false;
        };
        if slot.queued {
            return false;
        }
        slot.queued = true;
        self.queue.borrow_mut().push_back(id);
        !self.drain_pending.replace(true)
    }

    /// Polls every queued task, including those woken or spawned while it runs; `wake` is
    /// what the tasks' wakers call with their id (it reaches this executor).
    pub(crate) fn drain(&self, wake: fn(usize)) {
        // Cleared first, so that a poll that never returns (a trap) cannot leave the flag set
        // and every later wake without a drain. A wake during this drain asks for one more,
        // which finds the queue empty: this drain polls what was woken too.
        self.drain_pending.set(false);
        loop {
            let Some(id) = self.queue.borrow_mut().pop_front() else {
                break;
            };
            // No borrow is held while the future runs: it may spawn or wake tasks.
            let future = self.slots.borrow_mut().get_mut(id).and_then(|slot| {
                slot.queued = false;
                slot.future.take()
            });
            let Some(mut future) = future else { continue };
            let waker = Waker::from(Arc::new(TaskWaker { id, wake }));
            let pending = future
                .as_mut()
                .poll(&mut Context::from_waker(&waker))
                .is_pending();
            if pending {
                if let Some(slot) = self.slots.borrow_mut().get_mut(id) {
                    slot.future = Some(future);
                }
            } else {
                // A task that woke itself before finishing is still queued: the stale entry
                // finds no future, and a new task in this slot starts unqueued.
                if let Some(slot) = self.slots.borrow_mut().get_mut(id) {
                    slot.queued = false;
                }
                self.free.borrow_mut().push(id);
            }
        }
    }

    /// Tasks not finished yet.
    #[cfg(test)]
    fn live_tasks(&self) -> usize {
        self.slots.borrow().len() - self.free.borrow().len()
    }
}

/// A task's waker: its id and the function that reaches its executor. Both are plain data,
/// so it is `Send + Sync` as `Waker` requires, without an `unsafe` raw waker.
struct TaskWaker {
    id: usize,
    wake: fn(usize),
}

impl Wake for TaskWaker {
    fn wake(self: Arc<Self>) {
        (self.wake)(self.id);
    }

    fn wake_by_ref(self: &Arc<Self>) {
        (self.wake)(self.id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::future::Future;
    use std::pin::Pin;
    use std::rc::Rc;
    use std::task::Poll;

    thread_local! {
        static EXECUTOR: Executor = const { Executor::new() };
        /// How often the executor asked for a drain.
        static DRAINS_ASKED: Cell<usize> = const { Cell::new(0) };
    }

    fn spawn(future: impl Future<Output = ()> + 'static) {
        if EXECUTOR.with(|e| e.spawn(Box::pin(future))) {
            DRAINS_ASKED.with(|n| n.set(n.get() + 1));
        }
    }

    fn wake(id: usize) {
        if EXECUTOR.with(|e| e.wake(id)) {
            DRAINS_ASKED.with(|n| n.set(n.get() + 1));
        }
    }

    /// What the page does when asked: drain in a microtask.
    fn run_microtask() {
        EXECUTOR.with(|e| e.drain(wake));
    }

    fn drains_asked() -> usize {
        DRAINS_ASKED.with(Cell::get)
    }

    fn live_tasks() -> usize {
        EXECUTOR.with(Executor::live_tasks)
    }

    /// A value sent later, as Rally's request futures receive theirs.
    #[derive(Clone, Default)]
    struct Reply<T>(Rc<RefCell<(Option<T>, Option<Waker>)>>);

    impl<T> Reply<T> {
        fn send(&self, value: T) {
            let waker = {
                let mut inner = self.0.borrow_mut();
                inner.0 = Some(value);
                inner.1.take()
            };
            if let Some(waker) = waker {
                waker.wake();
            }
        }
    }

    impl<T> Future for Reply<T> {
        type Output = T;
        fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
            let mut inner = self.0.borrow_mut();
            match inner.0.take() {
                Some(value) => Poll::Ready(value),
                None => {
                    inner.1 = Some(cx.waker().clone());
                    Poll::Pending
                }
            }
        }
    }

    /// Pending once after waking itself: the shape of `yield_now`.
    struct YieldOnce(bool);

    impl Future for YieldOnce {
        type Output = ();
        fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
            if self.0 {
                return Poll::Ready(());
            }
            self.0 = true;
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    }

    #[test]
    fn a_spawned_future_waits_for_the_drain_the_executor_asks_for() {
        let log = Rc::new(RefCell::new(Vec::new()));
        let l = log.clone();
        spawn(async move { l.borrow_mut().push("ran") });
        assert!(log.borrow().is_empty(), "not polled inside spawn");
        assert_eq!(drains_asked(), 1);
        run_microtask();
        assert_eq!(*log.borrow(), ["ran"]);
        assert_eq!(live_tasks(), 0);
    }

    #[test]
    fn a_pending_future_runs_again_only_when_woken() {
        let reply: Reply<u32> = Reply::default();
        let got = Rc::new(Cell::new(0));
        let (r, g) = (reply.clone(), got.clone());
        spawn(async move { g.set(r.await) });
        run_microtask();
        run_microtask();
        assert_eq!((got.get(), live_tasks()), (0, 1), "still waiting");
        reply.send(7);
        assert_eq!(drains_asked(), 2, "the wake asked for a second drain");
        run_microtask();
        assert_eq!((got.get(), live_tasks()), (7, 0));
    }

    #[test]
    fn many_wakes_before_a_drain_queue_the_task_once_and_ask_once() {
        let polls = Rc::new(Cell::new(0));
        let p = polls.clone();
        spawn(std::future::poll_fn(move |cx| {
            p.set(p.get() + 1);
            for _ in 0..3 {
                cx.waker().wake_by_ref();
            }
            if p.get() == 3 {
                Poll::Ready(())
            } else {
                Poll::Pending
            }
        }));
        run_microtask();
        // Woken during each poll, so polled again in the same drain until it finished; the
        // wakes asked for one more drain, once, which finds nothing to do.
        assert_eq!(polls.get(), 3);
        assert_eq!(drains_asked(), 2);
        assert_eq!(live_tasks(), 0);
        run_microtask();
        assert_eq!(polls.get(), 3);
        assert_eq!(drains_asked(), 2);
    }

    #[test]
    fn tasks_spawned_or_woken_during_a_drain_run_in_it() {
        let log = Rc::new(RefCell::new(Vec::new()));
        let l = log.clone();
        spawn(async move {
            l.borrow_mut().push("outer");
            let inner = l.clone();
            spawn(async move {
                YieldOnce(false).await;
                inner.borrow_mut().push("inner");
            });
        });
        run_microtask();
        assert_eq!(*log.borrow(), ["outer", "inner"], "one drain ran both");
    }

    #[test]
    fn a_finished_tasks_slot_is_reused_and_its_old_waker_is_harmless() {
        let reply: Reply<()> = Reply::default();
        let stale = Rc::new(RefCell::new(None::<Waker>));
        let s = stale.clone();
        spawn(std::future::poll_fn(move |cx| {
            *s.borrow_mut() = Some(cx.waker().clone());
            Poll::Ready(())
        }));
        run_microtask();
        let r = reply.clone();
        let done = Rc::new(Cell::new(false));
        let d = done.clone();
        spawn(async move {
            r.await;
            d.set(true);
        });
        run_microtask();
        assert_eq!(
            EXECUTOR.with(|e| e.slots.borrow().len()),
            1,
            "one slot, reused"
        );
        // The first task's waker now names the second task: a spurious poll, no harm.
        stale.borrow_mut().take().expect("kept").wake();
        run_microtask();
        assert!(!done.get());
        reply.send(());
        run_microtask();
        assert!(done.get());
        // Waking a free slot, or one that never existed, does nothing.
        wake(0);
        wake(99);
        run_microtask();
        assert_eq!(live_tasks(), 0);
    }
}
