//! The TEA program loop: messages go through `update` in order, then the view is rendered once.
//!
//! Rendering happens synchronously after the message queue drains (see
//! `docs/adr/0003-render-after-queue-drains.md`): every message dispatched while handling one
//! event or effect is folded into one render, and controlled inputs never lag a frame behind.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::rc::{Rc, Weak};

use crate::dom::{Backend, Dom, EventOutcome, HydrationReport};
use crate::effect::{Dispatch, Effect, LocalFuture};
use crate::vdom::{Element, EventData};

/// A boxed `update` function.
pub type UpdateFn<Model, Msg> = Box<dyn Fn(&mut Model, Msg) -> Effect<Msg>>;
/// A boxed `view` function.
pub type ViewFn<Model, Msg> = Box<dyn Fn(&Model) -> Element<Msg>>;
type RenderHook<Model> = RefCell<Option<Box<dyn Fn(&Model)>>>;

/// A page's `update` and `view`.
pub struct App<Model, Msg> {
    /// Applies a message to the model and returns the effects to run.
    pub update: UpdateFn<Model, Msg>,
    /// Renders the model.
    pub view: ViewFn<Model, Msg>,
}

impl<Model, Msg> App<Model, Msg> {
    /// An app from its two functions.
    pub fn new(
        update: impl Fn(&mut Model, Msg) -> Effect<Msg> + 'static,
        view: impl Fn(&Model) -> Element<Msg> + 'static,
    ) -> Self {
        App {
            update: Box::new(update),
            view: Box::new(view),
        }
    }
}

struct State<Model, Msg, B: Backend> {
    model: Model,
    dom: Dom<Msg, B>,
}

struct Shared<Model, Msg, B: Backend> {
    app: App<Model, Msg>,
    state: RefCell<State<Model, Msg, B>>,
    queue: RefCell<VecDeque<Msg>>,
    draining: Cell<bool>,
    /// `None` in the browser: futures run on the executor they brought (`effect::OWN_EXECUTOR`).
    spawn: Option<Box<dyn Fn(LocalFuture<()>)>>,
    after_render: RenderHook<Model>,
}

/// A running program: the model, its rendered DOM and the message queue.
pub struct Program<Model, Msg, B: Backend> {
    shared: Rc<Shared<Model, Msg, B>>,
}

/// A handle that does not keep the program alive (for DOM listeners and timers).
pub struct WeakProgram<Model, Msg, B: Backend> {
    shared: Weak<Shared<Model, Msg, B>>,
}

impl<Model, Msg, B: Backend> WeakProgram<Model, Msg, B> {
    /// The program, if it still runs.
    pub fn upgrade(&self) -> Option<Program<Model, Msg, B>> {
        self.shared.upgrade().map(|shared| Program { shared })
    }
}

impl<Model, Msg, B: Backend> Program<Model, Msg, B> {
    /// A handle that does not keep the program alive.
    pub fn downgrade(&self) -> WeakProgram<Model, Msg, B> {
        WeakProgram {
            shared: Rc::downgrade(&self.shared),
        }
    }
}

impl<Model, Msg, B: Backend> Clone for Program<Model, Msg, B> {
    fn clone(&self) -> Self {
        Program {
            shared: self.shared.clone(),
        }
    }
}

impl<Model: 'static, Msg: Clone + 'static, B: Backend + 'static> Program<Model, Msg, B> {
    /// Starts a program by rendering into `root`, replacing its content.
    pub fn mount(
        app: App<Model, Msg>,
        model: Model,
        backend: B,
        root: B::Node,
        spawn: impl Fn(LocalFuture<()>) + 'static,
    ) -> Self {
        Self::mount_with(app, model, backend, root, Some(Box::new(spawn)))
    }

    /// Starts a program on server-rendered DOM, adopting it without re-creating it.
    pub fn hydrate(
        app: App<Model, Msg>,
        model: Model,
        backend: B,
        root: B::Node,
        spawn: impl Fn(LocalFuture<()>) + 'static,
    ) -> (Self, HydrationReport) {
        Self::hydrate_with(app, model, backend, root, Some(Box::new(spawn)))
    }

    /// [`Program::mount`], with futures run on their own executor when `spawn` is `None`.
    pub(crate) fn mount_with(
        app: App<Model, Msg>,
        model: Model,
        backend: B,
        root: B::Node,
        spawn: Option<Box<dyn Fn(LocalFuture<()>)>>,
    ) -> Self {
        let view = (app.view)(&model);
        let dom = Dom::mount(backend, root, view);
        Self::start(app, model, dom, spawn)
    }

    /// [`Program::hydrate`], with futures run on their own executor when `spawn` is `None`.
    pub(crate) fn hydrate_with(
        app: App<Model, Msg>,
        model: Model,
        backend: B,
        root: B::Node,
        spawn: Option<Box<dyn Fn(LocalFuture<()>)>>,
    ) -> (Self, HydrationReport) {
        let view = (app.view)(&model);
        let (dom, report) = Dom::hydrate(backend, root, view);
        (Self::start(app, model, dom, spawn), report)
    }

    fn start(
        app: App<Model, Msg>,
        model: Model,
        dom: Dom<Msg, B>,
        spawn: Option<Box<dyn Fn(LocalFuture<()>)>>,
    ) -> Self {
        Program {
            shared: Rc::new(Shared {
                app,
                state: RefCell::new(State { model, dom }),
                queue: RefCell::new(VecDeque::new()),
                draining: Cell::new(false),
                spawn,
                after_render: RefCell::new(None),
            }),
        }
    }

    /// Sends a message: it is queued, and if the program is idle the queue is drained through
    /// `update` and the view rendered once.
    pub fn dispatch(&self, msg: Msg) {
        dispatch(&self.shared, msg);
    }

    /// Runs an effect (for example the one `init` returned) against this program.
    pub fn run_effect(&self, effect: Effect<Msg>) {
        let dispatcher = self.dispatcher();
        effect.run_with(&dispatcher, self.shared.spawn.as_deref());
    }

    /// A handle effects and callbacks use to send messages; it does nothing once the program
    /// is gone.
    pub fn dispatcher(&self) -> Dispatch<Msg> {
        dispatcher(&self.shared)
    }

    /// Called after every render with the new model (the runtime recomputes subscriptions here).
    pub fn on_render(&self, f: impl Fn(&Model) + 'static) {
        *self.shared.after_render.borrow_mut() = Some(Box::new(f));
    }

    /// Reads the model.
    pub fn with_model<R>(&self, f: impl FnOnce(&Model) -> R) -> R {
        f(&self.shared.state.borrow().model)
    }

    /// Reads or changes the DOM backend (tests simulate the outside world through it).
    pub fn with_dom<R>(&self, f: impl FnOnce(&mut Dom<Msg, B>) -> R) -> R {
        f(&mut self.shared.state.borrow_mut().dom)
    }

    /// Handles a DOM event that passed nodes tagged with `slots` (innermost first): decodes it
    /// with the matching listeners and dispatches the messages. Returns `None` when the program
    /// is busy rendering — the DOM fires some events (`blur` of a removed node) synchronously
    /// during patching, and those are dropped instead of re-entering the renderer.
    pub fn handle_event<'e>(
        &self,
        slots: impl IntoIterator<Item = Option<u32>>,
        event: impl Into<EventData<'e>>,
    ) -> Option<(bool, bool)> {
        let outcome: EventOutcome<Msg> = {
            let state = self.shared.state.try_borrow().ok()?;
            state.dom.resolve_event(slots, event)
        };
        for msg in outcome.messages {
            self.dispatch(msg);
        }
        Some((outcome.prevent_default, outcome.stop_propagation))
    }
}

fn dispatcher<Model: 'static, Msg: Clone + 'static, B: Backend + 'static>(
    shared: &Rc<Shared<Model, Msg, B>>,
) -> Dispatch<Msg> {
    let weak: Weak<Shared<Model, Msg, B>> = Rc::downgrade(shared);
    Dispatch::new(move |msg| {
        if let Some(shared) = weak.upgrade() {
            dispatch(&shared, msg);
        }
    })
}

fn dispatch<Model: 'static, Msg: Clone + 'static, B: Backend + 'static>(
    shared: &Rc<Shared<Model, Msg, B>>,
    msg: Msg,
) {
    shared.queue.borrow_mut().push_back(msg);
    if shared.draining.get() {
        return;
    }
    shared.draining.set(true);
    // Cleared even if `update` or `view` panics, so a caught panic does not wedge the program.
    let _busy = ClearOnDrop(&shared.draining);
    let dispatch = dispatcher(shared);
    // A render hook may dispatch while we are still busy: its messages, in order, get one more
    // drain and render.
    while !shared.queue.borrow().is_empty() {
        loop {
            let next = shared.queue.borrow_mut().pop_front();
            let Some(msg) = next else { break };
            let effect = {
                let mut state = shared.state.borrow_mut();
                (shared.app.update)(&mut state.model, msg)
            };
            effect.run_with(&dispatch, shared.spawn.as_deref());
        }
        {
            let mut state = shared.state.borrow_mut();
            let state = &mut *state;
            let view = (shared.app.view)(&state.model);
            state.dom.update(view);
        }
        if let Some(hook) = shared.after_render.borrow().as_ref() {
            hook(&shared.state.borrow().model);
        }
    }
}

struct ClearOnDrop<'a>(&'a Cell<bool>);

impl Drop for ClearOnDrop<'_> {
    fn drop(&mut self) {
        self.0.set(false);
    }
}
