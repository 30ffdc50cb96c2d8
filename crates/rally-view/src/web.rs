//! The browser DOM backend and the entry points that start a program in a page (wasm32).
//!
//! Events are delegated: one listener per event type on the root container reads the listener
//! slot tagged on each node from the target up, and resolves it against the current view
//! (`docs/adr/0004-event-delegation.md`).

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::Reflect;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{Document, Event, KeyboardEvent, MouseEvent, Node};

use crate::dom::{Backend, HydrationReport, NodeKind, is_non_bubbling};
use crate::executor::Executor;
use crate::program::{App, Program};
use crate::vdom::{EventData, Modifiers, Namespace, PropValue, Str};

// Bindings for the hot path. web-sys marks these `catch` (a try/catch shim and a `Result` per
// call); Rally only calls them with names it validated and nodes it owns, where they cannot
// throw. Dynamic tag names still go through web-sys's catching `createElement`.
#[wasm_bindgen]
extern "C" {
    /// `document`, seen through the non-throwing bindings below.
    type FastDocument;
    #[wasm_bindgen(method, js_name = createElement)]
    fn create_element(this: &FastDocument, tag: &JsValue) -> Node;
    #[wasm_bindgen(method, js_name = createElementNS)]
    fn create_element_ns(this: &FastDocument, ns: &JsValue, tag: &JsValue) -> Node;
    #[wasm_bindgen(method, js_name = createTextNode)]
    fn create_text_node(this: &FastDocument, text: &JsValue) -> Node;

    /// Any node Rally created or adopted.
    type FastNode;
    #[wasm_bindgen(method, js_name = setAttribute)]
    fn set_attribute_static(this: &FastNode, name: &JsValue, value: &JsValue);
    #[wasm_bindgen(method, js_name = setAttribute)]
    fn set_attribute_dynamic(this: &FastNode, name: &JsValue, value: &str);
    #[wasm_bindgen(method, js_name = appendChild)]
    fn append_child(this: &FastNode, child: &Node);
    #[wasm_bindgen(method, js_name = insertBefore)]
    fn insert_before(this: &FastNode, child: &Node, before: &Node);
    #[wasm_bindgen(method, js_name = cloneNode)]
    fn clone_deep(this: &FastNode, deep: bool) -> Node;
    /// `firstChild` of a node that has one. A getter typed `Option<Node>` makes its handle
    /// in JS, a call back into wasm and a `Table.set` per node; typed `Node`, wasm stores the
    /// reference itself.
    #[wasm_bindgen(method, getter = firstChild)]
    fn present_first_child(this: &FastNode) -> Node;
    /// `nextSibling` of a node that has one (see `present_first_child`).
    #[wasm_bindgen(method, getter = nextSibling)]
    fn present_next_sibling(this: &FastNode) -> Node;
    /// The listener-slot expando.
    #[wasm_bindgen(method, setter = __rally)]
    fn set_rally_slot(this: &FastNode, slot: Option<u32>);

    /// `removeAttribute` never throws.
    #[wasm_bindgen(method, js_name = removeAttribute)]
    fn remove_attribute(this: &FastNode, name: &str);

    /// Any event target: a node, the document, the window.
    type FastTarget;
    /// `addEventListener` with a function never throws.
    #[wasm_bindgen(method, js_name = addEventListener)]
    fn add_event_listener(this: &FastTarget, event: &str, listener: &JsValue, capture: bool);

    #[wasm_bindgen(js_name = requestAnimationFrame)]
    fn request_animation_frame(callback: &JsValue) -> i32;
    #[wasm_bindgen(js_name = setTimeout)]
    fn set_timeout_js(callback: &JsValue, ms: i32) -> i32;
    #[wasm_bindgen(js_name = queueMicrotask)]
    fn queue_microtask(callback: &JsValue);
}

/// `target.addEventListener(event, listener)` (bubbling phase), without the exception glue of
/// web-sys's binding: with a function for the listener it never throws.
pub fn add_event_listener(target: &web_sys::EventTarget, event: &str, listener: &JsValue) {
    let target: &FastTarget = target.unchecked_ref();
    target.add_event_listener(event, listener, false);
}

/// Runs `task` once after `ms` milliseconds (`setTimeout`), through the one closure kind every
/// bundle has (see [`once_into_js`]).
pub fn set_timeout(ms: i32, task: Box<dyn FnOnce()>) {
    set_timeout_js(&once_into_js(task), ms);
}

/// A JS function that runs `task` once; one instantiation of wasm-bindgen's closure glue for
/// every caller.
///
/// A `Fn` closure that takes the task out of a cell, rather than `Closure::once_into_js`:
/// the delegated event listener is a `Fn` closure already, so the bundle needs only the glue
/// for `Fn` closures, not also the one for `FnMut` (docs/adr/0056). The emptied wrapper is
/// freed when JS collects the function.
pub fn once_into_js(task: Box<dyn FnOnce()>) -> JsValue {
    let task = std::cell::Cell::new(Some(task));
    Closure::<dyn Fn()>::new(move || {
        if let Some(task) = task.take() {
            task();
        }
    })
    .into_js_value()
}

fn fast(node: &Node) -> &FastNode {
    node.unchecked_ref()
}

/// JS strings for `&'static str`s, keyed by address: a tag, class or label written in the
/// view's source crosses into JS once instead of being decoded from UTF-8 on every render.
#[derive(Default)]
struct StaticStrings {
    /// Open addressing, linear probing; capacity a power of two.
    slots: Vec<Option<(usize, usize, JsValue)>>,
    len: usize,
}

impl StaticStrings {
    fn index(&self, key: (usize, usize)) -> Result<usize, usize> {
        let mask = self.slots.len().wrapping_sub(1);
        let mut i = key.0.wrapping_mul(0x9E37_79B9) >> 4 & mask;
        loop {
            match self.slots.get(i) {
                Some(Some((p, l, _))) if (*p, *l) == key => return Ok(i),
                Some(Some(_)) => i = (i + 1) & mask,
                _ => return Err(i),
            }
        }
    }

    /// Makes sure `s` has a JS string.
    fn ensure(&mut self, s: &'static str) {
        let key = (s.as_ptr() as usize, s.len());
        if self.len * 2 >= self.slots.len() {
            self.grow();
        }
        if let Err(i) = self.index(key) {
            self.slots[i] = Some((key.0, key.1, JsValue::from_str(s)));
            self.len += 1;
        }
    }

    /// The JS string of an `ensure`d `s`.
    fn find(&self, s: &'static str) -> &JsValue {
        match self
            .index((s.as_ptr() as usize, s.len()))
            .map(|i| &self.slots[i])
        {
            Ok(Some((_, _, v))) => v,
            // `ensure` put it there. (No message: browser panics trap without one, ADR 0065.)
            _ => unreachable!(),
        }
    }

    fn get(&mut self, s: &'static str) -> &JsValue {
        self.ensure(s);
        self.find(s)
    }

    fn grow(&mut self) {
        let old = std::mem::take(&mut self.slots);
        self.slots.resize_with((old.len() * 2).max(64), || None);
        for (p, l, v) in old.into_iter().flatten() {
            if let Err(i) = self.index((p, l)) {
                self.slots[i] = Some((p, l, v));
            }
        }
    }
}

/// A program rendering into the browser DOM.
pub type WebProgram<Model, Msg> = Program<Model, Msg, WebBackend>;

/// Where a delegated listener hands an event: the event, its type and the listener slots of
/// the tagged nodes from its target up; answers whether to prevent the event's default and
/// stop its propagation.
type EventSink = Rc<RefCell<Option<Box<dyn Fn(&HeldEvent<'_>, &str, &[u32]) -> (bool, bool)>>>>;

/// How many tagged nodes' slots a JS listener passes as arguments; an event that passed more
/// has them read with one more call (`event_slots`).
const SLOTS_PASSED: usize = 2;

/// Set in the kind a JS listener passes when the event passed more than `SLOTS_PASSED`
/// tagged nodes.
const MORE_SLOTS: u32 = 1 << 31;

/// The delegated listeners of one root (docs/adr/0068).
///
/// Each event type has a JS listener on the root (`rallyListener`) that walks from the
/// target up, and calls the exported [`deliver_event`] once, with plain numbers: this
/// delegation's id, the type's index and the slots of the first tagged nodes. The event
/// itself stays in JS, on the root, read only if a decoder asks for its data. No closure
/// wrapper, no string or vector is made per event, and wasm makes no call back into JS for
/// what every event needs.
struct Delegation {
    root: web_sys::Element,
    sink: EventSink,
    /// The event types listened for, by the index their listener passes.
    kinds: RefCell<Vec<&'static str>>,
}

thread_local! {
    /// The page's delegations, by the id their listeners pass: a wasm export carries no
    /// state of its own. A backend empties its entry when dropped.
    static DELEGATIONS: RefCell<Vec<Option<Rc<Delegation>>>> = const { RefCell::new(Vec::new()) };
}

impl Delegation {
    /// Makes `delegation` reachable from its listeners; returns its id.
    fn register(delegation: &Rc<Delegation>) -> u32 {
        // `try_with`: a page's thread-locals are never torn down, and `with`'s message for
        // that case costs every bundle ~1 KB of formatting.
        let id = DELEGATIONS.try_with(|all| {
            let mut all = all.borrow_mut();
            all.push(Some(Rc::clone(delegation)));
            all.len() - 1
        });
        id.map_or(u32::MAX, |id| id as u32)
    }

    /// Forgets the delegation `register` gave `id`. Ids are not reused: the listeners of a
    /// dropped backend stay on its root (as the page's other listeners do) and find nothing.
    fn unregister(id: u32) {
        let _ = DELEGATIONS.try_with(|all| {
            if let Some(entry) = all.borrow_mut().get_mut(id as usize) {
                *entry = None;
            }
        });
    }

    /// Hands the event its listener described to the sink; the flags for `rallyListener`.
    fn deliver(&self, kind: u32, first: [u32; SLOTS_PASSED]) -> u32 {
        let Ok(sink) = self.sink.try_borrow() else {
            // Events fired while the sink is busy (a synchronous `blur` during a patch) are
            // dropped rather than re-entering it.
            return 0;
        };
        let Some(f) = sink.as_ref() else { return 0 };
        // Copied out: handling the event may listen for a new type.
        let Some(name) = self
            .kinds
            .borrow()
            .get((kind & !MORE_SLOTS) as usize)
            .copied()
        else {
            return 0;
        };
        let event = HeldEvent { root: &self.root };
        let all;
        let slots: &[u32] = if kind & MORE_SLOTS == 0 {
            let passed = first.iter().take_while(|&&s| s != u32::MAX).count();
            &first[..passed]
        } else {
            all = event
                .get()
                .map_or_else(Vec::new, |e| event_slots(&e, &self.root));
            &all
        };
        let (prevent, stop) = f(&event, name, slots);
        u32::from(prevent) | u32::from(stop) << 1
    }
}

/// What every delegated JS listener calls (`rallyListener`): `id` names the delegation,
/// `kind` the event type (with [`MORE_SLOTS`]), `a` and `b` the listener slots of the first
/// tagged nodes from the target up (`u32::MAX` for none). Returns 1 to prevent the event's
/// default, plus 2 to stop its propagation.
#[doc(hidden)]
#[wasm_bindgen(js_name = __rallyEvent)]
pub fn deliver_event(id: u32, kind: u32, a: u32, b: u32) -> u32 {
    // Cloned out: handling the event may mount or drop a program, which changes the list.
    let delegation = DELEGATIONS.try_with(|all| all.borrow().get(id as usize).cloned().flatten());
    match delegation {
        Ok(Some(delegation)) => delegation.deliver(kind, [a, b]),
        _ => 0,
    }
}

/// The event a delegated listener is handling, read from JS when a decoder asks for its data.
pub(crate) struct HeldEvent<'a> {
    root: &'a web_sys::Element,
}

impl HeldEvent<'_> {
    /// The event; `None` only if JS did not hold one (nothing Rally's listener does).
    pub(crate) fn get(&self) -> Option<Event> {
        held_event(self.root)
    }
}

/// The browser DOM, reached through web-sys.
pub struct WebBackend {
    document: Document,
    root: web_sys::Element,
    strings: StaticStrings,
    delegation: Rc<Delegation>,
    /// `delegation`'s id in `DELEGATIONS`.
    id: u32,
}

impl WebBackend {
    fn new(root: web_sys::Element, sink: EventSink) -> Self {
        let document = root.owner_document().unwrap_or_else(|| {
            window()
                .and_then(|w| w.document())
                .expect("a browser page has a document")
        });
        let delegation = Rc::new(Delegation {
            root: root.clone(),
            sink,
            kinds: RefCell::new(Vec::new()),
        });
        let id = Delegation::register(&delegation);
        WebBackend {
            document,
            root,
            strings: StaticStrings::default(),
            delegation,
            id,
        }
    }

    /// A backend for rendering into `root` without a program behind it: listeners are tagged
    /// but events go nowhere (benchmarks and DOM-level tests).
    pub fn without_events(root: web_sys::Element) -> Self {
        Self::new(root, Rc::new(RefCell::new(None)))
    }

    fn element<'a>(&self, node: &'a Node) -> Option<&'a web_sys::Element> {
        node.dyn_ref::<web_sys::Element>()
    }
}

impl Drop for WebBackend {
    fn drop(&mut self) {
        Delegation::unregister(self.id);
    }
}

impl Backend for WebBackend {
    type Node = Node;

    fn create_element(&mut self, tag: &Str, namespace: Namespace) -> Node {
        let doc: &FastDocument = self.document.unchecked_ref();
        let created = match (tag, namespace) {
            (Str::Borrowed(t), Namespace::Html) => Ok(doc.create_element(self.strings.get(t))),
            (Str::Borrowed(t), Namespace::Svg) => {
                let ns = self.strings.get(Namespace::Svg.uri()).clone();
                Ok(doc.create_element_ns(&ns, self.strings.get(t)))
            }
            (t, Namespace::Html) => self.document.create_element(t).map(Node::from),
            (t, Namespace::Svg) => self
                .document
                .create_element_ns(Some(namespace.uri()), t)
                .map(Node::from),
        };
        match created {
            Ok(node) => node,
            Err(_) => {
                self.warn(&crate::str::concat(&[
                    "rally: cannot create element <",
                    tag,
                    ">; rendering a comment instead",
                ]));
                self.document.create_comment(tag).into()
            }
        }
    }

    fn create_text(&mut self, text: &Str) -> Node {
        match text {
            Str::Borrowed(t) => {
                let doc: &FastDocument = self.document.unchecked_ref();
                doc.create_text_node(self.strings.get(t))
            }
            t => self.document.create_text_node(t).into(),
        }
    }

    fn set_text(&mut self, node: &Node, text: &str) {
        node.set_node_value(Some(text));
    }

    fn set_attribute(&mut self, element: &Node, name: &Str, value: &Str) {
        // The renderer only sets attributes on elements, with names `html::is_valid_name` passed.
        let el = fast(element);
        match (name, value) {
            (Str::Borrowed(n), Str::Borrowed(v)) => {
                self.strings.ensure(n);
                self.strings.ensure(v);
                el.set_attribute_static(self.strings.find(n), self.strings.find(v));
            }
            (Str::Borrowed(n), v) => el.set_attribute_dynamic(self.strings.get(n), v),
            (n, v) => el.set_attribute_dynamic(&JsValue::from_str(n), v),
        }
    }

    fn remove_attribute(&mut self, element: &Node, name: &str) {
        // The renderer only removes attributes from elements.
        fast(element).remove_attribute(name);
    }

    fn toggle_class(&mut self, element: &Node, class: &Str, on: bool) {
        let class = match class {
            Str::Borrowed(c) => self.strings.get(c).clone(),
            c => JsValue::from_str(c),
        };
        class_list_toggle(element, &class, on);
    }

    fn set_property(&mut self, element: &Node, name: &str, value: &PropValue) {
        let value = match value {
            PropValue::Str(s) => JsValue::from_str(s),
            PropValue::Bool(b) => JsValue::from_bool(*b),
        };
        let _ = Reflect::set(element, &JsValue::from_str(name), &value);
    }

    fn get_property(&self, element: &Node, name: &str) -> Option<PropValue> {
        let v = Reflect::get(element, &JsValue::from_str(name)).ok()?;
        if let Some(b) = v.as_bool() {
            Some(PropValue::Bool(b))
        } else {
            v.as_string().map(|s| PropValue::Str(s.into()))
        }
    }

    fn set_inner_html(&mut self, element: &Node, html: &str) {
        if let Some(el) = self.element(element) {
            el.set_inner_html(html);
        }
    }

    fn insert_before(&mut self, parent: &Node, child: &Node, before: Option<&Node>) {
        match before {
            Some(before) => fast(parent).insert_before(child, before),
            None => fast(parent).append_child(child),
        }
    }

    fn remove_child(&mut self, parent: &Node, child: &Node) {
        let _ = parent.remove_child(child);
    }

    fn replace_child(&mut self, parent: &Node, new: &Node, old: &Node) {
        let _ = parent.replace_child(new, old);
    }

    fn clear_children(&mut self, parent: &Node) {
        parent.set_text_content(None);
    }

    fn clone_node(&mut self, node: &Node) -> Node {
        fast(node).clone_deep(true)
    }

    fn after_paint(&mut self, task: Box<dyn FnOnce()>) {
        // A timeout set from an animation frame callback runs after that frame's paint. In a
        // hidden tab frames stop, and the next render frees instead.
        let after: Box<dyn FnOnce()> = Box::new(move || {
            set_timeout(0, task);
        });
        request_animation_frame(&once_into_js(after));
    }

    #[cfg(rally_templates)]
    fn clone_with(&mut self, copy: &Node, ops: &crate::dom::TemplateOps) -> Node {
        clone_with(copy, ops.codes(), ops.texts())
    }

    #[cfg(rally_templates)]
    fn node_at(&self, root: &Node, links: &[u32], k: u32) -> Option<Node> {
        node_at(root, links, k)
    }

    fn set_listener_slot(&mut self, element: &Node, slot: Option<u32>) {
        fast(element).set_rally_slot(slot);
    }

    fn listen(&mut self, event: &Str) {
        let kind = {
            let mut kinds = self.delegation.kinds.borrow_mut();
            // A page listens for a handful of types, nearly always named by literals; one
            // made at run time is kept for the page's life rather than cloned per event.
            kinds.push(match event {
                Str::Borrowed(name) => name,
                other => Box::leak(other.as_str().into()),
            });
            kinds.len() - 1
        };
        // Non-bubbling events reach the root only in the capture phase, and only their
        // target's listeners run.
        let only_target = is_non_bubbling(event);
        let js = listener_for(
            &wasm_bindgen::exports(),
            self.id,
            kind as u32,
            &self.root,
            only_target,
        );
        let root: &FastTarget = self.root.unchecked_ref();
        root.add_event_listener(event, &js, only_target);
    }

    fn first_child(&self, node: &Node) -> Option<Node> {
        node.first_child()
    }

    fn next_sibling(&self, node: &Node) -> Option<Node> {
        node.next_sibling()
    }

    fn present_first_child(&self, node: &Node) -> Option<Node> {
        Some(fast(node).present_first_child())
    }

    fn present_next_sibling(&self, node: &Node) -> Option<Node> {
        Some(fast(node).present_next_sibling())
    }

    fn kind(&self, node: &Node) -> NodeKind {
        match node.node_type() {
            Node::ELEMENT_NODE => match node.dyn_ref::<web_sys::Element>() {
                Some(el) => NodeKind::Element(el.local_name()),
                None => NodeKind::Other,
            },
            Node::TEXT_NODE => NodeKind::Text(node.node_value().unwrap_or_default()),
            _ => NodeKind::Other,
        }
    }

    fn attribute_names(&self, element: &Node) -> Vec<String> {
        match self.element(element) {
            Some(el) => el
                .get_attribute_names()
                .iter()
                .filter_map(|v| v.as_string())
                .collect(),
            None => Vec::new(),
        }
    }

    fn get_attribute(&self, element: &Node, name: &str) -> Option<String> {
        self.element(element)?.get_attribute(name)
    }

    fn warn(&mut self, message: &str) {
        web_sys::console::warn_1(&JsValue::from_str(message));
    }
}

/// Renders a program into `root`, replacing its content.
pub fn mount<Model: 'static, Msg: Clone + 'static>(
    root: web_sys::Element,
    app: App<Model, Msg>,
    model: Model,
) -> WebProgram<Model, Msg> {
    let sink: EventSink = Rc::new(RefCell::new(None));
    let backend = WebBackend::new(root.clone(), sink.clone());
    let program = Program::mount_with(app, model, backend, root.clone().into(), None);
    connect(&program, &sink);
    program
}

/// Starts a program on the server-rendered content of `root` without re-creating it.
/// Mismatches are repaired subtree by subtree and reported on the console.
pub fn hydrate<Model: 'static, Msg: Clone + 'static>(
    root: web_sys::Element,
    app: App<Model, Msg>,
    model: Model,
) -> (WebProgram<Model, Msg>, HydrationReport) {
    let sink: EventSink = Rc::new(RefCell::new(None));
    let backend = WebBackend::new(root.clone(), sink.clone());
    let (program, report) = Program::hydrate_with(app, model, backend, root.clone().into(), None);
    connect(&program, &sink);
    (program, report)
}

thread_local! {
    /// The page's executor for effects' futures ([`crate::executor`]).
    static EXECUTOR: Executor = const { Executor::new() };
    /// The JS function that drains it, made once.
    static DRAIN: JsValue = Closure::<dyn Fn()>::new(|| EXECUTOR.with(|e| e.drain(wake))).into_js_value();
}

/// The browser's executor for effects' futures (`effect::OWN_EXECUTOR`): polled first in a
/// microtask, as wasm-bindgen-futures' `spawn_local` did.
pub(crate) fn spawn(future: crate::effect::LocalFuture<()>) {
    if EXECUTOR.with(|e| e.spawn(future)) {
        DRAIN.with(queue_microtask);
    }
}

/// What a task's waker calls.
fn wake(id: usize) {
    if EXECUTOR.with(|e| e.wake(id)) {
        DRAIN.with(queue_microtask);
    }
}

/// Points the delegated listener at the program; a weak handle, so dropping every program
/// handle stops event handling instead of leaking.
fn connect<Model: 'static, Msg: Clone + 'static>(
    program: &WebProgram<Model, Msg>,
    sink: &EventSink,
) {
    let weak = program.downgrade();
    *sink.borrow_mut() = Some(Box::new(move |event, kind, slots| {
        let Some(program) = weak.upgrade() else {
            return (false, false);
        };
        let slots = slots.iter().map(|&slot| Some(slot));
        program
            .handle_event(slots, EventData::web(event, kind))
            .unwrap_or_default()
    }));
}

// The delegated listener of one event type, in JS. It finds the listener slots of the tagged
// nodes from the target up to the root, keeps the event on the root for wasm to read if a
// decoder asks (`rallyHeldEvent`), and calls `__rallyEvent` once with plain numbers. Calls
// into JS per level of the walk, a wasm-bindgen closure wrapper, and reading `event.type` into
// wasm cost more than the rest of a click's handling in the js-framework-benchmark's select.
// rally-build puts this module into the bundle's glue.
#[wasm_bindgen(
    inline_js = "export function rallyListener(exports, id, kind, root, onlyTarget) {
  const deliver = exports.__rallyEvent;
  return (event) => {
    let a = -1, b = -1, n = 0;
    for (let node = event.target; node != null && node !== root; node = node.parentNode) {
      const slot = node.__rally;
      if (slot !== undefined) {
        if (n === 0) a = slot;
        else if (n === 1) b = slot;
        n++;
      }
      if (onlyTarget) break;
    }
    const outer = root.__rallyEvent;
    root.__rallyEvent = event;
    const flags = deliver(id, n > 2 ? kind | 0x80000000 : kind, a, b);
    root.__rallyEvent = outer;
    if (flags & 1) event.preventDefault();
    if (flags & 2) event.stopPropagation();
  };
}
export function rallyHeldEvent(root) {
  return root.__rallyEvent;
}
export function rallyEventSlots(event, root) {
  const slots = [];
  for (let node = event.target; node != null && node !== root; node = node.parentNode) {
    const slot = node.__rally;
    if (slot !== undefined) slots.push(slot);
  }
  return new Uint32Array(slots);
}"
)]
extern "C" {
    /// The JS listener for events of the type `kind` indexes, on `root`, for delegation `id`:
    /// calls the wasm export `__rallyEvent` ([`deliver_event`]) of `exports` with
    /// the event's slots.
    #[wasm_bindgen(js_name = rallyListener)]
    fn listener_for(
        exports: &JsValue,
        id: u32,
        kind: u32,
        root: &web_sys::Element,
        only_target: bool,
    ) -> JsValue;
    /// The event the listener on `root` is handling.
    #[wasm_bindgen(js_name = rallyHeldEvent)]
    fn held_event(root: &web_sys::Element) -> Option<Event>;
    /// The listener slots of the tagged nodes from `event`'s target up to `root` (excluded),
    /// innermost first. For events that passed more than `SLOTS_PASSED` tagged nodes.
    #[wasm_bindgen(js_name = rallyEventSlots)]
    fn event_slots(event: &Event, root: &web_sys::Element) -> Vec<u32>;
}

// `classList.toggle` in one call: through the `classList` getter it took two calls into JS,
// and a handle for the token list in wasm's externref table. A module of its own, so that only
// bundles that toggle a class (lazy lists' marks, ADR 0069) paste it into their glue.
#[wasm_bindgen(inline_js = "export function rallyToggleClass(element, token, on) {
  element.classList.toggle(token, on);
}")]
extern "C" {
    /// `element.classList.toggle(token, on)`; it throws only for an empty token or one with
    /// spaces, which `Dom::toggle_mark` does not pass.
    #[wasm_bindgen(js_name = rallyToggleClass)]
    fn class_list_toggle(element: &Node, token: &JsValue, on: bool);
}

#[wasm_bindgen(inline_js = "export function rallyWindow() {
  return typeof window === 'undefined' ? undefined : window;
}")]
extern "C" {
    #[wasm_bindgen(js_name = rallyWindow)]
    fn page_window() -> Option<web_sys::Window>;
}

/// The page's `window`; `None` outside a page (a worker).
///
/// What `web_sys::window()` returns, read directly: that one finds the global object by
/// probing four names (`globalThis`, `self`, `window`, `global`), each a lazily cached
/// import, ~0.4 KiB gzip of every bundle.
pub fn window() -> Option<web_sys::Window> {
    page_window()
}

// In JavaScript: iterating `FormData` from Rust (js-sys's iterator protocol, `Result`s per
// entry) took ~2 KB of every bundle, which has an event type with this method.
#[wasm_bindgen(inline_js = "export function rallyFormEntries(event) {
  const form = event.target;
  const out = [];
  if (!(form instanceof HTMLFormElement)) return out;
  for (const [name, value] of new FormData(form)) {
    if (typeof value === 'string') out.push(name, value);
  }
  return out;
}")]
extern "C" {
    /// The text entries of the form `event` targets (files left out), flat: name, value,
    /// name, value…; none if the target is not a form.
    #[wasm_bindgen(js_name = rallyFormEntries)]
    fn form_entries(event: &Event) -> js_sys::Array;
}

// A new `view!` instance cloned and filled in with one call (dom/ops.rs, docs/adr/0047): a
// node is reached from an earlier one (its parent's first child, or its previous sibling's
// next), inline in JavaScript, for the nodes written to and those on the way only: each node
// reached gets a JS wrapper. `codes` is the number of nodes, their links (`0` for a
// node not reached), then the writes; strings are read from `texts` in order, by their
// UTF-16 lengths. A node patched
// later is reached with one call the first time (`rallyNodeAt`) and its handle kept.
#[cfg(rally_templates)]
#[wasm_bindgen(inline_js = "export function rallyCloneWith(copy, codes, texts) {
  const root = copy.cloneNode(true);
  const count = codes[0];
  const nodes = [root];
  for (let k = 1; k < count; k++) {
    const link = codes[k];
    if (link === 0) {
      nodes.push(null);
    } else {
      const from = nodes[link >>> 1];
      nodes.push((link & 1) === 1 ? from.firstChild : from.nextSibling);
    }
  }
  let t = 0;
  for (let i = count; i < codes.length; ) {
    const op = codes[i];
    const target = nodes[codes[i + 1]];
    if (op === 2) {
      target.__rally = codes[i + 2];
      i += 3;
      continue;
    }
    const end = t + codes[i + 3];
    const first = texts.substring(t, end);
    t = end;
    if (op === 0) {
      target.nodeValue = first;
      i += 4;
    } else if (op === 3) {
      target[first] = codes[i + 4] === 1;
      i += 5;
    } else {
      const valueEnd = t + codes[i + 5];
      const value = texts.substring(t, valueEnd);
      t = valueEnd;
      if (op === 1) {
        target.setAttribute(first, value);
      } else {
        target[first] = value;
      }
      i += 6;
    }
  }
  return root;
}
export function rallyNodeAt(root, links, k) {
  const steps = [];
  while (k > 0) {
    const link = links[k - 1];
    steps.push(link & 1);
    k = link >>> 1;
  }
  let node = root;
  for (let s = steps.length - 1; s >= 0; s--) {
    node = steps[s] === 1 ? node.firstChild : node.nextSibling;
  }
  return node;
}")]
extern "C" {
    /// `Backend::clone_with`.
    #[wasm_bindgen(js_name = rallyCloneWith)]
    fn clone_with(copy: &Node, codes: &[u32], texts: &str) -> Node;
    /// `Backend::node_at`.
    #[wasm_bindgen(js_name = rallyNodeAt)]
    fn node_at(root: &Node, links: &[u32], k: u32) -> Option<Node>;
}

// `EventData`'s readers of a browser event.

fn target_property(event: &Event, name: &str) -> Option<JsValue> {
    let target = event.target()?;
    Reflect::get(&target, &JsValue::from_str(name)).ok()
}

/// `EventData::target_value`.
pub(crate) fn target_value(event: &Event) -> Option<String> {
    target_property(event, "value")?.as_string()
}

/// `EventData::target_checked`.
pub(crate) fn target_checked(event: &Event) -> Option<bool> {
    target_property(event, "checked")?.as_bool()
}

/// `EventData::key`.
pub(crate) fn key(event: &Event) -> Option<String> {
    event.dyn_ref::<KeyboardEvent>().map(KeyboardEvent::key)
}

/// `EventData::modifiers`.
pub(crate) fn modifiers(event: &Event) -> Modifiers {
    if let Some(k) = event.dyn_ref::<KeyboardEvent>() {
        Modifiers {
            alt: k.alt_key(),
            ctrl: k.ctrl_key(),
            meta: k.meta_key(),
            shift: k.shift_key(),
        }
    } else if let Some(m) = event.dyn_ref::<MouseEvent>() {
        Modifiers {
            alt: m.alt_key(),
            ctrl: m.ctrl_key(),
            meta: m.meta_key(),
            shift: m.shift_key(),
        }
    } else {
        Modifiers::default()
    }
}

/// `EventData::form_values`.
pub(crate) fn form_values(event: &Event) -> Vec<(String, String)> {
    let flat = form_entries(event);
    let text = |i: u32| flat.get(i).as_string().unwrap_or_default();
    (0..flat.length() / 2)
        .map(|i| (text(2 * i), text(2 * i + 1)))
        .collect()
}
