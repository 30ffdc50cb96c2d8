//! The program loop against the in-memory DOM: message order, effects, futures and events.

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

use rally_view::attribute::value;
use rally_view::dom::memory::{MemoryDom, NodeId};
use rally_view::effect::LocalFuture;
use rally_view::event::{on_click, on_input};
use rally_view::html::{button, div, input, span, text};
use rally_view::render::to_html;
use rally_view::testing::FakeEvent;
use rally_view::{App, Effect, Element, Program};

#[derive(Clone, Debug, PartialEq, Eq)]
enum Msg {
    Start,
    Step(u32),
    Inc,
    Typed(String),
    Child(ChildMsg),
    Fetched(String),
    /// Sent from the render hook.
    Hooked(u32),
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum ChildMsg {
    Ping,
    Loaded(u32),
}

#[derive(Default)]
struct Model {
    log: Vec<Msg>,
    count: u32,
    text: String,
}

/// What `update` does with each message; set per test.
type Effects = Rc<dyn Fn(&Msg) -> Effect<Msg>>;

fn view(model: &Model) -> Element<Msg> {
    div(
        vec![],
        vec![
            span(vec![], vec![text(format!("{}", model.count))]),
            button(vec![on_click(Msg::Inc)], vec![text("+")]),
            input(vec![value(model.text.clone()), on_input(Msg::Typed)]),
            text(format!("log {}", model.log.len())),
        ],
    )
}

/// An app that logs every message, counts `view` calls and asks `effects` what to run.
fn app(effects: Effects, views: Rc<Cell<usize>>) -> App<Model, Msg> {
    App::new(
        move |model: &mut Model, msg: Msg| {
            let effect = effects(&msg);
            match &msg {
                Msg::Inc => model.count += 1,
                Msg::Typed(t) => model.text = t.clone(),
                _ => {}
            }
            model.log.push(msg);
            effect
        },
        move |model: &Model| {
            views.set(views.get() + 1);
            view(model)
        },
    )
}

/// Futures spawned by effects, polled by hand.
#[derive(Clone, Default)]
struct Executor {
    tasks: Rc<RefCell<Vec<LocalFuture<()>>>>,
}

impl Executor {
    fn spawner(&self) -> impl Fn(LocalFuture<()>) + 'static {
        let tasks = self.tasks.clone();
        move |f| tasks.borrow_mut().push(f)
    }

    fn pending(&self) -> usize {
        self.tasks.borrow().len()
    }

    /// Polls every task, again and again while some complete (completions may spawn more).
    fn run_until_stalled(&self) {
        let mut cx = Context::from_waker(Waker::noop());
        loop {
            // Taken out first: a task completing dispatches, and `update` may spawn more.
            let tasks = std::mem::take(&mut *self.tasks.borrow_mut());
            let before = tasks.len();
            let mut pending: Vec<LocalFuture<()>> = tasks
                .into_iter()
                .filter_map(|mut task| task.as_mut().poll(&mut cx).is_pending().then_some(task))
                .collect();
            let completed = before - pending.len();
            let mut queue = self.tasks.borrow_mut();
            pending.append(&mut queue);
            *queue = pending;
            if completed == 0 {
                return;
            }
        }
    }
}

/// A future that stays pending until its gate is opened.
#[derive(Clone, Default)]
struct Gate(Rc<Cell<bool>>);

impl Gate {
    fn open(&self) {
        self.0.set(true);
    }
    fn wait<T: 'static>(&self, value: T) -> impl Future<Output = T> + 'static {
        let gate = self.0.clone();
        let mut value = Some(value);
        std::future::poll_fn(move |_| {
            if gate.get() {
                Poll::Ready(value.take().expect("polled after completion"))
            } else {
                Poll::Pending
            }
        })
    }
}

struct Harness {
    program: Program<Model, Msg, MemoryDom>,
    root: NodeId,
    views: Rc<Cell<usize>>,
    executor: Executor,
}

fn start(effects: impl Fn(&Msg) -> Effect<Msg> + 'static) -> Harness {
    let views = Rc::new(Cell::new(0));
    let executor = Executor::default();
    let mut backend = MemoryDom::new();
    let root = backend.create_container();
    let program = Program::mount(
        app(Rc::new(effects), views.clone()),
        Model::default(),
        backend,
        root,
        executor.spawner(),
    );
    Harness {
        program,
        root,
        views,
        executor,
    }
}

impl Harness {
    fn log(&self) -> Vec<Msg> {
        self.program.with_model(|m| m.log.clone())
    }

    fn html(&self) -> String {
        self.program
            .with_dom(|dom| dom.backend().inner_state(self.root))
    }

    /// The DOM matches a fresh render of the current model.
    fn assert_rendered(&self) {
        let expected = self.program.with_model(|m| {
            let mut backend = MemoryDom::new();
            let root = backend.create_container();
            backend.load_html(root, &to_html(&view(m)));
            backend.inner_state(root)
        });
        assert_eq!(self.html(), expected);
    }

    fn node(&self, tag: &str) -> NodeId {
        self.program
            .with_dom(|dom| dom.backend().find(self.root, tag))
            .unwrap_or_else(|| panic!("no <{tag}>"))
    }

    fn fire(&self, tag: &str, event: &FakeEvent) -> Option<(bool, bool)> {
        let node = self.node(tag);
        let slots = self
            .program
            .with_dom(|dom| dom.backend().slots_to_root(node, self.root));
        self.program.handle_event(slots, event)
    }
}

fn click() -> FakeEvent {
    FakeEvent::new("click")
}

fn no_effects(_: &Msg) -> Effect<Msg> {
    Effect::none()
}

// ---- order and rendering -----------------------------------------------------------------------

#[test]
fn messages_are_processed_in_order_each_with_a_render() {
    let h = start(no_effects);
    assert_eq!(h.views.get(), 1, "mount renders once");
    h.program.dispatch(Msg::Step(1));
    h.program.dispatch(Msg::Step(2));
    h.program.dispatch(Msg::Inc);
    assert_eq!(h.log(), vec![Msg::Step(1), Msg::Step(2), Msg::Inc]);
    assert_eq!(h.views.get(), 4);
    h.assert_rendered();
}

#[test]
fn messages_from_effects_are_processed_before_the_single_render() {
    let h = start(|msg| match msg {
        Msg::Start => Effect::batch([
            Effect::message(Msg::Step(1)),
            Effect::from(|dispatch| {
                dispatch.send(Msg::Step(2));
                dispatch.send(Msg::Step(3));
            }),
            Effect::none(),
        ]),
        // Effects of effect messages run in the same drain, after the messages already queued.
        Msg::Step(1) => Effect::message(Msg::Step(10)),
        _ => Effect::none(),
    });
    let renders = Rc::new(Cell::new(0));
    let r = renders.clone();
    h.program.on_render(move |_| r.set(r.get() + 1));
    h.program.dispatch(Msg::Start);
    assert_eq!(
        h.log(),
        vec![
            Msg::Start,
            Msg::Step(1),
            Msg::Step(2),
            Msg::Step(3),
            Msg::Step(10)
        ]
    );
    assert_eq!(h.views.get(), 2, "one render for the whole drain");
    assert_eq!(renders.get(), 1);
    h.assert_rendered();
}

#[test]
fn messages_from_the_render_hook_keep_their_order() {
    let h = start(no_effects);
    let dispatch = h.program.dispatcher();
    let fired = Rc::new(Cell::new(false));
    h.program.on_render(move |model| {
        if model.log == [Msg::Start] && !fired.replace(true) {
            dispatch.send(Msg::Hooked(1));
            dispatch.send(Msg::Hooked(2));
            dispatch.send(Msg::Hooked(3));
        }
    });
    h.program.dispatch(Msg::Start);
    assert_eq!(
        h.log(),
        vec![Msg::Start, Msg::Hooked(1), Msg::Hooked(2), Msg::Hooked(3)]
    );
    assert_eq!(h.views.get(), 3, "mount, then one render per drain");
    h.assert_rendered();
}

#[test]
fn run_effect_dispatches_through_the_loop() {
    let h = start(no_effects);
    h.program.run_effect(Effect::batch([
        Effect::message(Msg::Inc),
        Effect::message(Msg::Inc),
    ]));
    assert_eq!(h.log(), vec![Msg::Inc, Msg::Inc]);
    assert_eq!(h.program.with_model(|m| m.count), 2);
    h.assert_rendered();
}

#[test]
fn effect_batch_and_len() {
    let e: Effect<Msg> = Effect::batch([
        Effect::message(Msg::Inc),
        Effect::batch([Effect::none(), Effect::message(Msg::Inc)]),
        Effect::from_future(async { Msg::Inc }),
    ]);
    assert_eq!(e.len(), 3);
    assert!(!e.is_none());
    assert!(Effect::<Msg>::batch([]).is_none());
    assert!(Effect::<Msg>::default().is_empty());
}

// ---- mapping -----------------------------------------------------------------------------------

#[test]
fn effect_map_lifts_callbacks_and_futures() {
    let h = start(|msg| match msg {
        Msg::Start => Effect::batch([
            Effect::message(ChildMsg::Ping),
            Effect::from(|d| d.send(ChildMsg::Loaded(1))),
            Effect::from_future(async { ChildMsg::Loaded(2) }),
        ])
        .map(Msg::Child),
        _ => Effect::none(),
    });
    h.program.dispatch(Msg::Start);
    assert_eq!(
        h.log(),
        vec![
            Msg::Start,
            Msg::Child(ChildMsg::Ping),
            Msg::Child(ChildMsg::Loaded(1))
        ]
    );
    assert_eq!(h.executor.pending(), 1);
    h.executor.run_until_stalled();
    assert_eq!(h.log().last(), Some(&Msg::Child(ChildMsg::Loaded(2))));
    assert_eq!(h.executor.pending(), 0);
}

#[test]
fn dispatch_map_lifts_messages() {
    let h = start(no_effects);
    let child = h.program.dispatcher().map(Msg::Child);
    child.send(ChildMsg::Ping);
    assert_eq!(h.log(), vec![Msg::Child(ChildMsg::Ping)]);
}

// ---- futures -----------------------------------------------------------------------------------

#[test]
fn futures_dispatch_when_they_complete() {
    let gate = Gate::default();
    let g = gate.clone();
    let h = start(move |msg| match msg {
        Msg::Start => Effect::batch([
            Effect::from_future(g.wait(Msg::Fetched("slow".into()))),
            Effect::from_future(async { Msg::Fetched("fast".into()) }),
            Effect::from_optional_future(async { None }),
            Effect::from_optional_future(async { Some(Msg::Step(7)) }),
        ]),
        _ => Effect::none(),
    });
    h.program.dispatch(Msg::Start);
    // Spawned, not run: nothing reaches update before the executor polls.
    assert_eq!(h.log(), vec![Msg::Start]);
    assert_eq!(h.executor.pending(), 4);
    let views = h.views.get();

    h.executor.run_until_stalled();
    assert_eq!(
        h.log(),
        vec![Msg::Start, Msg::Fetched("fast".into()), Msg::Step(7)]
    );
    assert_eq!(h.executor.pending(), 1, "the gated future still waits");
    assert_eq!(
        h.views.get(),
        views + 2,
        "each completion is its own render"
    );

    gate.open();
    h.executor.run_until_stalled();
    assert_eq!(h.log().last(), Some(&Msg::Fetched("slow".into())));
    assert_eq!(h.executor.pending(), 0);
    h.assert_rendered();
}

#[test]
fn a_dropped_program_ignores_late_messages() {
    let executor = Executor::default();
    let dispatch;
    {
        let h = start(no_effects);
        dispatch = h.program.dispatcher();
        let gate = Gate::default();
        gate.open();
        h.program
            .run_effect(Effect::from_future(gate.wait(Msg::Inc)));
        // Move the spawned task out so it outlives the program.
        executor
            .tasks
            .borrow_mut()
            .append(&mut h.executor.tasks.borrow_mut());
    }
    dispatch.send(Msg::Inc);
    executor.run_until_stalled();
    assert_eq!(executor.pending(), 0);
}

// ---- events ------------------------------------------------------------------------------------

#[test]
fn events_dispatch_through_handle_event() {
    let h = start(no_effects);
    assert_eq!(h.fire("button", &click()), Some((false, false)));
    assert_eq!(h.fire("button", &click()), Some((false, false)));
    assert_eq!(h.log(), vec![Msg::Inc, Msg::Inc]);
    assert_eq!(h.program.with_model(|m| m.count), 2);
    h.assert_rendered();

    let typed = FakeEvent {
        value: Some("héllo".into()),
        ..FakeEvent::new("input")
    };
    assert!(h.fire("input", &typed).is_some());
    assert_eq!(h.program.with_model(|m| m.text.clone()), "héllo");
    h.assert_rendered();

    // A click on the input has no listener: nothing happens.
    h.fire("input", &click());
    assert_eq!(h.log().len(), 3);
}

#[test]
fn events_during_a_render_are_dropped() {
    let h = start(no_effects);
    let button = h.node("button");
    let root = h.root;
    let outcome = h.program.with_dom(|dom| {
        let slots = dom.backend().slots_to_root(button, root);
        // The DOM is borrowed, as during a patch: the event cannot re-enter the program.
        h.program.handle_event(slots, &click())
    });
    assert_eq!(outcome, None);
    assert!(h.log().is_empty());
}

#[test]
fn effects_can_send_events_and_messages_while_draining() {
    // An effect callback that dispatches through the program handle mid-drain.
    let program: Rc<RefCell<Option<Program<Model, Msg, MemoryDom>>>> = Rc::default();
    let p = program.clone();
    let h = start(move |msg| match msg {
        Msg::Start => {
            let p = p.clone();
            Effect::from(move |_| {
                if let Some(program) = p.borrow().as_ref() {
                    program.dispatch(Msg::Step(1));
                }
            })
        }
        _ => Effect::none(),
    });
    *program.borrow_mut() = Some(h.program.clone());
    h.program.dispatch(Msg::Start);
    assert_eq!(h.log(), vec![Msg::Start, Msg::Step(1)]);
    assert_eq!(h.views.get(), 2);
    program.borrow_mut().take();
}

#[test]
fn hydrated_programs_adopt_the_page_and_handle_events() {
    let views = Rc::new(Cell::new(0));
    let executor = Executor::default();
    let model = Model {
        count: 5,
        text: "x".into(),
        ..Model::default()
    };
    let mut backend = MemoryDom::new();
    let root = backend.create_container();
    backend.load_html(root, &to_html(&view(&model)));
    let (program, report) = Program::hydrate(
        app(Rc::new(no_effects), views.clone()),
        model,
        backend,
        root,
        executor.spawner(),
    );
    assert_eq!(report.mismatches, 0);
    assert_eq!(program.with_dom(|d| d.backend().mutations), 0);
    let h = Harness {
        program,
        root,
        views,
        executor,
    };
    h.fire("button", &click());
    assert_eq!(h.program.with_model(|m| m.count), 6);
    h.assert_rendered();
}

/// A future that is never polled to completion does not keep the program from dropping.
#[test]
fn pending_futures_do_not_block_anything() {
    let h = start(|msg| match msg {
        Msg::Start => Effect::from_future(std::future::pending::<Msg>()),
        _ => Effect::none(),
    });
    h.program.dispatch(Msg::Start);
    h.executor.run_until_stalled();
    assert_eq!(h.executor.pending(), 1);
    h.program.dispatch(Msg::Inc);
    assert_eq!(h.log(), vec![Msg::Start, Msg::Inc]);
}

#[test]
fn a_panicking_update_does_not_wedge_the_program() {
    use rally_view::dom::memory::MemoryDom;
    use rally_view::html::{p, text};
    use rally_view::{App, Effect, Program};

    let mut backend = MemoryDom::new();
    let root = backend.create_container();
    let app = App::new(
        |n: &mut i32, msg: i32| {
            assert!(msg >= 0, "negative message");
            *n += msg;
            Effect::none()
        },
        |n: &i32| p(vec![], vec![text(n.to_string())]),
    );
    let program = Program::mount(app, 0, backend, root, |_| {});
    let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| program.dispatch(-1)));
    assert!(caught.is_err());
    program.dispatch(2);
    assert_eq!(
        program.with_model(|n| *n),
        2,
        "messages after the panic are processed"
    );
    program.with_dom(|dom| assert_eq!(dom.backend().inner_state(root), "<p>2</p>"));
}
