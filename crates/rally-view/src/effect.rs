//! Side effects returned by `update`: the only way a TEA program talks to the outside world.
//!
//! `update` never performs work itself; it returns an [`Effect`] that the runtime runs after the
//! model changed. Effects compose ([`Effect::batch`]) and adapt to a parent's message type
//! ([`Effect::map`]); tests run them with a recording [`Dispatch`]:
//!
//! ```
//! use std::cell::RefCell;
//! use std::rc::Rc;
//! use rally_view::{Dispatch, Effect};
//!
//! #[derive(Debug, PartialEq)]
//! enum Msg {
//!     Saved(i64),
//!     Page(u8),
//! }
//!
//! let effect = Effect::batch([
//!     Effect::message(Msg::Saved(3)),
//!     Effect::from(|dispatch: Dispatch<u8>| dispatch.send(7)).map(Msg::Page),
//!     Effect::none(),
//! ]);
//! assert_eq!(effect.len(), 2);
//!
//! let seen = Rc::new(RefCell::new(Vec::new()));
//! let record = Rc::clone(&seen);
//! effect.run(&Dispatch::new(move |msg| record.borrow_mut().push(msg)), &|_future| {});
//! assert_eq!(*seen.borrow(), [Msg::Saved(3), Msg::Page(7)]);
//! ```

use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;

/// A boxed, single-threaded future, as effects and the browser runtime spawn them.
pub type LocalFuture<T> = Pin<Box<dyn Future<Output = T>>>;

/// Sends a message into the running program. Cheap to clone; safe to call from inside effects.
pub struct Dispatch<Msg>(Rc<dyn Fn(Msg)>);

impl<Msg> Clone for Dispatch<Msg> {
    fn clone(&self) -> Self {
        Dispatch(self.0.clone())
    }
}

impl<Msg: 'static> Dispatch<Msg> {
    /// A dispatcher that calls `f` with each message.
    pub fn new(f: impl Fn(Msg) + 'static) -> Self {
        Dispatch(Rc::new(f))
    }

    /// Queues `msg` for `update`.
    pub fn send(&self, msg: Msg) {
        (self.0)(msg)
    }

    /// A dispatcher for a child's messages that lifts them with `f`.
    pub fn map<A: 'static>(&self, f: impl Fn(A) -> Msg + 'static) -> Dispatch<A> {
        let inner = self.clone();
        Dispatch::new(move |a| inner.send(f(a)))
    }
}

enum Item<Msg> {
    Callback(Box<dyn FnOnce(Dispatch<Msg>)>),
    Future(LocalFuture<Option<Msg>>),
}

/// Work for the runtime to do after `update`: call a function given `dispatch`, or await a future
/// and dispatch its message. The server drops effects when it renders a page.
#[must_use = "an effect does nothing unless returned from update"]
pub struct Effect<Msg> {
    items: Vec<Item<Msg>>,
}

impl<Msg: 'static> Default for Effect<Msg> {
    fn default() -> Self {
        Effect::none()
    }
}

impl<Msg: 'static> Effect<Msg> {
    /// No effect.
    pub fn none() -> Self {
        Effect { items: Vec::new() }
    }

    /// Whether this effect does nothing.
    pub fn is_none(&self) -> bool {
        self.items.is_empty()
    }

    /// How many separate pieces of work this effect holds.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether this effect holds no work (same as [`Effect::is_none`]).
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Several effects, run in order.
    pub fn batch(effects: impl IntoIterator<Item = Effect<Msg>>) -> Self {
        Effect {
            items: effects.into_iter().flat_map(|e| e.items).collect(),
        }
    }

    /// An effect that calls `f` with the program's dispatcher (timers, subscriptions, ports).
    pub fn from(f: impl FnOnce(Dispatch<Msg>) + 'static) -> Self {
        Effect {
            items: vec![Item::Callback(Box::new(f))],
        }
    }

    /// An effect that awaits `future` and dispatches its message.
    pub fn from_future(future: impl Future<Output = Msg> + 'static) -> Self {
        Effect {
            items: vec![Item::Future(Box::pin(async move { Some(future.await) }))],
        }
    }

    /// An effect that awaits `future` and dispatches its message if there is one.
    pub fn from_optional_future(future: impl Future<Output = Option<Msg>> + 'static) -> Self {
        Effect {
            items: vec![Item::Future(Box::pin(future))],
        }
    }

    /// An effect that dispatches `msg` right after the current update.
    pub fn message(msg: Msg) -> Self {
        Effect::from(move |dispatch| dispatch.send(msg))
    }

    /// Lifts the messages this effect produces with `f`.
    pub fn map<B: 'static>(self, f: impl Fn(Msg) -> B + 'static) -> Effect<B> {
        let f = Rc::new(f);
        Effect {
            items: self
                .items
                .into_iter()
                .map(|item| match item {
                    Item::Callback(cb) => {
                        let f = f.clone();
                        Item::Callback(Box::new(move |dispatch: Dispatch<B>| {
                            cb(dispatch.map(move |m| f(m)))
                        }))
                    }
                    Item::Future(fut) => {
                        let f = f.clone();
                        Item::Future(Box::pin(async move { fut.await.map(|m| f(m)) }))
                    }
                })
                .collect(),
        }
    }

    /// Runs the effect: callbacks now, futures through `spawn`.
    pub fn run(self, dispatch: &Dispatch<Msg>, spawn: &dyn Fn(LocalFuture<()>)) {
        for item in self.items {
            match item {
                Item::Callback(cb) => cb(dispatch.clone()),
                Item::Future(fut) => {
                    let dispatch = dispatch.clone();
                    spawn(Box::pin(async move {
                        if let Some(msg) = fut.await {
                            dispatch.send(msg);
                        }
                    }))
                }
            }
        }
    }
}
