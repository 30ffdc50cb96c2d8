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
use std::marker::PhantomData;
use std::pin::Pin;
use std::rc::Rc;

use crate::message::AnyMessage;
use crate::vdom::Mapper;

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

/// A dispatcher for messages of any type: what effects hold inside, so that mapping and running
/// them is one copy of the code per bundle (docs/adr/0050).
type AnyDispatch = Rc<dyn Fn(AnyMessage)>;

/// Runs a future to completion: the runtime's spawner, or a target's own executor.
pub(crate) type Spawn = fn(LocalFuture<()>);

/// The executor a future effect brings along when it is made: in the browser,
/// wasm-bindgen's. It is named only where a future effect is made, so a bundle whose effects
/// hold no future does not link an executor (1.2 KiB gzip of the counter's bundle). Off the
/// browser there is none; runtimes there pass their own spawner to [`Effect::run`].
#[cfg(all(feature = "web", target_arch = "wasm32"))]
const OWN_EXECUTOR: Option<Spawn> = Some(crate::web::spawn);
#[cfg(not(all(feature = "web", target_arch = "wasm32")))]
const OWN_EXECUTOR: Option<Spawn> = None;

enum Item {
    Callback(Box<dyn FnOnce(&AnyDispatch)>),
    /// A future, and the executor of the target it was made on ([`OWN_EXECUTOR`]).
    Future(LocalFuture<Option<AnyMessage>>, Option<Spawn>),
}

impl Item {
    fn future(future: LocalFuture<Option<AnyMessage>>) -> Self {
        Item::Future(future, OWN_EXECUTOR)
    }
}

/// Work for the runtime to do after `update`: call a function given `dispatch`, or await a future
/// and dispatch its message. The server drops effects when it renders a page.
#[must_use = "an effect does nothing unless returned from update"]
pub struct Effect<Msg> {
    items: Vec<Item>,
    msg: PhantomData<fn() -> Msg>,
}

impl<Msg: 'static> Default for Effect<Msg> {
    fn default() -> Self {
        Effect::none()
    }
}

impl<Msg: 'static> Effect<Msg> {
    fn of(items: Vec<Item>) -> Self {
        Effect {
            items,
            msg: PhantomData,
        }
    }

    /// No effect.
    pub fn none() -> Self {
        Effect::of(Vec::new())
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
        Effect::of(effects.into_iter().flat_map(|e| e.items).collect())
    }

    /// An effect that calls `f` with the program's dispatcher (timers, subscriptions, ports).
    pub fn from(f: impl FnOnce(Dispatch<Msg>) + 'static) -> Self {
        Effect::of(vec![Item::Callback(Box::new(
            move |dispatch: &AnyDispatch| {
                let dispatch = Rc::clone(dispatch);
                f(Dispatch::new(move |msg: Msg| dispatch(Box::new(msg))))
            },
        ))])
    }

    /// An effect that awaits `future` and dispatches its message.
    pub fn from_future(future: impl Future<Output = Msg> + 'static) -> Self {
        Effect::of(vec![Item::future(Box::pin(async move {
            Some(Box::new(future.await) as AnyMessage)
        }))])
    }

    /// An effect that awaits `future` and dispatches its message if there is one.
    pub fn from_optional_future(future: impl Future<Output = Option<Msg>> + 'static) -> Self {
        Effect::of(vec![Item::future(Box::pin(async move {
            future.await.map(|msg| Box::new(msg) as AnyMessage)
        }))])
    }

    /// An effect that dispatches `msg` right after the current update.
    pub fn message(msg: Msg) -> Self {
        Effect::of(vec![Item::Callback(Box::new(
            move |dispatch: &AnyDispatch| dispatch(Box::new(msg)),
        ))])
    }

    /// Lifts the messages this effect produces with `f`.
    pub fn map<B: 'static>(self, f: impl Fn(Msg) -> B + 'static) -> Effect<B> {
        if self.items.is_empty() {
            return Effect::none();
        }
        Effect::of(map_items(self.items, &Mapper::new(f)))
    }

    /// Runs the effect: callbacks now, futures through `spawn`.
    pub fn run(self, dispatch: &Dispatch<Msg>, spawn: &dyn Fn(LocalFuture<()>)) {
        self.run_with(dispatch, Some(spawn));
    }

    /// Runs the effect: callbacks now, futures through `spawn`, or, without one, through
    /// the executor each future brought along (the browser's; see [`OWN_EXECUTOR`]).
    pub(crate) fn run_with(
        self,
        dispatch: &Dispatch<Msg>,
        spawn: Option<&dyn Fn(LocalFuture<()>)>,
    ) {
        if self.items.is_empty() {
            return;
        }
        let dispatch = dispatch.clone();
        // Only this effect's own messages come out of it: another type cannot be made here.
        let dispatch: AnyDispatch = Rc::new(move |msg: AnyMessage| {
            if let Ok(msg) = msg.downcast::<Msg>() {
                dispatch.send(*msg);
            }
        });
        run_items(self.items, &dispatch, spawn);
    }
}

/// The items with `f` applied to the messages they produce.
fn map_items(items: Vec<Item>, f: &Mapper) -> Vec<Item> {
    items
        .into_iter()
        .map(|item| {
            let f = Rc::clone(&f.f);
            match item {
                Item::Callback(cb) => Item::Callback(Box::new(move |dispatch: &AnyDispatch| {
                    let dispatch = Rc::clone(dispatch);
                    let mapped: AnyDispatch = Rc::new(move |msg| dispatch(f(msg)));
                    cb(&mapped)
                })),
                Item::Future(fut, own) => {
                    Item::Future(Box::pin(async move { fut.await.map(|m| f(m)) }), own)
                }
            }
        })
        .collect()
}

/// Runs the items: callbacks now, futures through `spawn` or their own executor.
fn run_items(items: Vec<Item>, dispatch: &AnyDispatch, spawn: Option<&dyn Fn(LocalFuture<()>)>) {
    for item in items {
        match item {
            Item::Callback(cb) => cb(dispatch),
            Item::Future(fut, own) => {
                let dispatch = Rc::clone(dispatch);
                let task: LocalFuture<()> = Box::pin(async move {
                    if let Some(msg) = fut.await {
                        dispatch(msg);
                    }
                });
                match (spawn, own) {
                    (Some(spawn), _) => spawn(task),
                    (None, Some(own)) => own(task),
                    // Only the browser's runtime passes no spawner, and there every future
                    // brings the browser's executor.
                    (None, None) => debug_assert!(false, "a future effect with no executor"),
                }
            }
        }
    }
}
