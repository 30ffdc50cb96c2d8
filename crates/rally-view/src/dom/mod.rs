//! Rendering a view into a DOM: create, keyed diff and patch, hydration, event resolution.
//!
//! Everything here is written against the [`Backend`] trait, implemented by the browser DOM
//! (`web`, wasm32) and by an in-memory DOM ([`memory::MemoryDom`]) that tests run natively.

use std::cell::{Cell, RefCell};
use std::marker::PhantomData;
use std::rc::Rc;

#[cfg(rally_templates)]
mod compiled;
mod hydrate;
#[cfg(rally_lists)]
mod keyed;
pub mod memory;
#[cfg(rally_templates)]
mod ops;
#[cfg(rally_lists)]
mod template;

use crate::render::{escape_raw_text, is_raw_text};
use crate::vdom::{
    AnyElement, Attr, AttrValue, Children, Element, EventData, Listener, Namespace, Node,
    PropValue, Str, attr_key,
};

pub use hydrate::HydrationReport;
#[cfg(rally_templates)]
pub use ops::{TemplateOp, TemplateOps};

const EMPTY: Str = Str::Borrowed("");

/// Removing at least this many nodes frees them after the paint; fewer are freed at once,
/// which costs less than scheduling the task (two closures and two calls into JS).
const FREE_AFTER_PAINT: usize = 64;

/// What a node found while hydrating turned out to be.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NodeKind {
    /// An element with its local name (lowercase for HTML, as written for SVG).
    Element(String),
    /// A text node with its data.
    Text(String),
    /// A comment, doctype or anything else.
    Other,
}

/// The DOM operations the renderer needs. Mutating calls mirror what a `MutationObserver`
/// would see; property and listener-slot writes are invisible to it, as in the browser.
pub trait Backend {
    /// A handle to a DOM node.
    type Node: Clone + 'static;

    // Names, tags and values arrive as `Str`: a `Cow::Borrowed` is a `&'static str`, which the
    // browser backend converts to a JS string once and caches.
    /// A new element `tag` in `namespace`, not yet in the document.
    fn create_element(&mut self, tag: &Str, namespace: Namespace) -> Self::Node;
    /// A new text node.
    fn create_text(&mut self, text: &Str) -> Self::Node;
    /// Replaces a text node's text.
    fn set_text(&mut self, node: &Self::Node, text: &str);
    /// Sets an attribute.
    fn set_attribute(&mut self, element: &Self::Node, name: &Str, value: &Str);
    /// Removes an attribute.
    fn remove_attribute(&mut self, element: &Self::Node, name: &str);
    /// Adds `class` to an element's class list (`on`) or takes it off, as
    /// `classList.toggle(class, on)` does: the attribute is written only when the class's
    /// presence changes, other classes keep their order, and taking off the last class leaves
    /// `class=""`. This default reads and writes the attribute.
    fn toggle_class(&mut self, element: &Self::Node, class: &Str, on: bool) {
        let current = self.get_attribute(element, "class");
        let mut tokens: Vec<&str> = Vec::new();
        for token in current.as_deref().unwrap_or("").split_ascii_whitespace() {
            if !tokens.contains(&token) {
                tokens.push(token);
            }
        }
        if tokens.contains(&class.as_ref()) == on {
            return;
        }
        if on {
            tokens.push(class);
        } else {
            tokens.retain(|t| *t != class.as_ref());
        }
        let value = Str::Owned(tokens.join(" "));
        self.set_attribute(element, &Str::Borrowed("class"), &value);
    }
    /// Sets a DOM property (`value`, `checked`, `selected`).
    fn set_property(&mut self, element: &Self::Node, name: &str, value: &PropValue);
    /// Reads a DOM property, to keep controlled inputs in sync with what the user typed.
    fn get_property(&self, element: &Self::Node, name: &str) -> Option<PropValue>;
    /// Replaces an element's children with trusted markup.
    fn set_inner_html(&mut self, element: &Self::Node, html: &str);
    /// Inserts `child` before `before`, or at the end when `before` is `None`.
    fn insert_before(
        &mut self,
        parent: &Self::Node,
        child: &Self::Node,
        before: Option<&Self::Node>,
    );
    /// Removes `child` from `parent`.
    fn remove_child(&mut self, parent: &Self::Node, child: &Self::Node);
    /// Puts `new` where `old` is.
    fn replace_child(&mut self, parent: &Self::Node, new: &Self::Node, old: &Self::Node);
    /// Removes every child of `parent` at once.
    fn clear_children(&mut self, parent: &Self::Node);
    /// Runs `task` once the browser has painted what was rendered (ADR 0042). A backend
    /// without frames may drop it: what it would have freed is then freed by the next render.
    fn after_paint(&mut self, task: Box<dyn FnOnce()>) {
        drop(task);
    }
    /// A deep copy of a node the renderer created, with its attributes and texts but without
    /// its listener slots or properties (`cloneNode(true)`), not yet in the document.
    fn clone_node(&mut self, node: &Self::Node) -> Self::Node;
    /// A deep copy of `copy` (see `clone_node`) filled in by `ops` ([`TemplateOps`]). This
    /// default reads the handles of the nodes written to (and of those on the way to them)
    /// one by one; the browser's backend makes one call.
    #[cfg(rally_templates)]
    fn clone_with(&mut self, copy: &Self::Node, ops: &TemplateOps) -> Self::Node {
        let root = self.clone_node(copy);
        let mut nodes = ops::Linked::new(root.clone(), ops.links());
        ops::apply(self, ops, |backend, k| nodes.get(backend, k));
        root
    }
    /// Node `k` of the `view!` instance whose root is `root`, reached by `links`
    /// ([`TemplateOps::links`]). This default reads the handles on the way one by one; the
    /// browser's backend makes one call.
    #[cfg(rally_templates)]
    fn node_at(&self, root: &Self::Node, links: &[u32], k: u32) -> Option<Self::Node> {
        ops::Linked::new(root.clone(), links).get(self, k)
    }
    /// Tags an element with the slot of its listeners, or clears the tag.
    fn set_listener_slot(&mut self, element: &Self::Node, slot: Option<u32>);
    /// Makes sure events of this type reach the renderer (delegation at the root). Called
    /// once per type.
    fn listen(&mut self, event: &Str);

    /// The node's first child (hydration walks the server's DOM).
    fn first_child(&self, node: &Self::Node) -> Option<Self::Node>;
    /// The node's next sibling.
    fn next_sibling(&self, node: &Self::Node) -> Option<Self::Node>;
    /// `first_child` of a node that has one by construction (a fresh clone whose shape says
    /// so): a backend may skip the check for none, which in the browser makes the handle in
    /// wasm instead of in JS.
    fn present_first_child(&self, node: &Self::Node) -> Option<Self::Node> {
        self.first_child(node)
    }
    /// `next_sibling` of a node that has one by construction, like `present_first_child`.
    fn present_next_sibling(&self, node: &Self::Node) -> Option<Self::Node> {
        self.next_sibling(node)
    }
    /// Whether the node is an element (and its tag), a text or something else.
    fn kind(&self, node: &Self::Node) -> NodeKind;
    /// The names of an element's attributes.
    fn attribute_names(&self, element: &Self::Node) -> Vec<String>;
    /// An attribute's value.
    fn get_attribute(&self, element: &Self::Node, name: &str) -> Option<String>;
    /// Reports a problem a developer should see (the browser console).
    fn warn(&mut self, message: &str);
}

/// A rendered node: its DOM handle, its listener slot and its rendered children.
pub(crate) struct Mounted<N> {
    pub(crate) node: N,
    pub(crate) slot: Option<u32>,
    pub(crate) children: Vec<Mounted<N>>,
    /// Set for a `view!` instance mounted without its descendants' handles
    /// (`compiled.rs`); `children` is then empty until it is needed as a tree.
    #[cfg(rally_templates)]
    pub(crate) compact: Option<Box<compiled::Compact<N>>>,
}

impl<N> Mounted<N> {
    /// A node with its listener slot and rendered children.
    pub(crate) fn new(node: N, slot: Option<u32>, children: Vec<Mounted<N>>) -> Self {
        Mounted {
            node,
            slot,
            children,
            #[cfg(rally_templates)]
            compact: None,
        }
    }

    /// A node with no listeners and no children (a text, or a node left as it is).
    pub(crate) fn leaf(node: N) -> Self {
        Mounted::new(node, None, Vec::new())
    }
}

/// What handling one DOM event produced.
pub struct EventOutcome<Msg> {
    /// Messages for `update`, innermost listener first.
    pub messages: Vec<Msg>,
    /// Whether `preventDefault()` should be called.
    pub prevent_default: bool,
    /// Whether `stopPropagation()` should be called.
    pub stop_propagation: bool,
}

/// Events that do not bubble: only a listener on the target itself sees them.
pub fn is_non_bubbling(event: &str) -> bool {
    matches!(
        event,
        "focus"
            | "blur"
            | "mouseenter"
            | "mouseleave"
            | "pointerenter"
            | "pointerleave"
            | "load"
            | "error"
            | "scroll"
            | "toggle"
    )
}

/// The rendered children of one container: the last view, its DOM nodes and their listeners.
pub struct Dom<Msg, B: Backend> {
    backend: B,
    root: B::Node,
    view: Vec<AnyElement>,
    mounted: Vec<Mounted<B::Node>>,
    listeners: ListenerTable,
    /// Event types the root already listens to (a handful; a Vec beats a set here).
    listened: Vec<crate::vdom::Str>,
    /// Copies to clone new list items from.
    #[cfg(rally_lists)]
    templates: template::Templates<B::Node>,
    /// The mounted nodes the render under way removed, their listener slots released.
    removed: Vec<Mounted<B::Node>>,
    /// How many nodes they are.
    removed_nodes: usize,
    /// What renders removed, waiting to be freed after the paint.
    bin: Rc<Bin>,
    /// What the listeners' messages are, once downcast: the tree itself does not know.
    msg: PhantomData<fn() -> Msg>,
}

/// Anything, to be dropped later.
trait Garbage {}

impl<T> Garbage for T {}

/// What renders removed — mounted nodes, the views they came from — waiting to be freed.
///
/// Freeing a large table's nodes and views is a tenth to a fifth of replacing or clearing it
/// (ADR 0042), work that can wait until the browser has painted the result. The bin is shared
/// with the task that empties it after the paint, and type-erased, so that its code is one
/// copy whatever the page's message type.
#[derive(Default)]
struct Bin {
    trees: RefCell<Vec<Box<dyn Garbage>>>,
    /// Whether a task to empty the bin is waiting for a paint.
    scheduled: Cell<bool>,
}

impl Bin {
    fn put(&self, tree: Box<dyn Garbage>) {
        self.trees.borrow_mut().push(tree);
    }

    fn is_empty(&self) -> bool {
        self.trees.borrow().is_empty()
    }

    /// The task that empties the bin after the paint, unless one waits already.
    fn schedule(self: &Rc<Self>) -> Option<Box<dyn FnOnce()>> {
        if self.scheduled.replace(true) {
            return None;
        }
        let bin = Rc::clone(self);
        Some(Box::new(move || {
            bin.scheduled.set(false);
            bin.empty();
        }))
    }

    fn empty(&self) {
        // Taken out first: dropping a tree must not find the bin borrowed.
        let trees = std::mem::take(&mut *self.trees.borrow_mut());
        drop(trees);
    }
}

/// The listeners of every tagged node, by slot.
///
/// A released slot keeps its vector's allocation for the next node: clearing a table and
/// creating its rows again (or a list replacing its items) then allocates nothing for them.
struct ListenerTable {
    slots: Vec<Vec<Listener>>,
    free: Vec<u32>,
}

impl ListenerTable {
    fn alloc<'l>(&mut self, listeners: impl Iterator<Item = &'l Listener>) -> u32 {
        match self.free.pop() {
            Some(slot) => {
                self.slots[slot as usize].extend(listeners.cloned());
                slot
            }
            None => {
                self.slots.push(listeners.cloned().collect());
                (self.slots.len() - 1) as u32
            }
        }
    }

    fn release(&mut self, slot: u32) {
        self.slots[slot as usize].clear();
        self.free.push(slot);
    }
}

impl<Msg: Clone + 'static, B: Backend> Dom<Msg, B> {
    /// Renders `view` into `root`, replacing whatever was there.
    pub fn mount(mut backend: B, root: B::Node, view: Element<Msg>) -> Self {
        backend.clear_children(&root);
        let mut dom = Self::empty(backend, root);
        dom.update(view);
        dom
    }

    fn empty(backend: B, root: B::Node) -> Self {
        Dom {
            backend,
            root,
            view: Vec::new(),
            mounted: Vec::new(),
            listeners: ListenerTable {
                slots: Vec::new(),
                free: Vec::new(),
            },
            listened: Vec::new(),
            #[cfg(rally_lists)]
            templates: template::Templates::default(),
            removed: Vec::new(),
            removed_nodes: 0,
            bin: Rc::default(),
            msg: PhantomData,
        }
    }

    /// Re-renders with a new view: diffs it against the last one and patches the DOM.
    ///
    /// What it removes is freed after the browser's next paint; what earlier renders removed
    /// and is not freed yet (frames stop in a hidden tab) is freed first.
    pub fn update(&mut self, view: Element<Msg>) {
        self.free_retired();
        let new = root_children(view.into_any());
        let old = std::mem::take(&mut self.view);
        let mut mounted = std::mem::take(&mut self.mounted);
        let root = self.root.clone();
        self.patch_plain(&root, "", &old, &mut mounted, &new);
        self.view = new;
        self.mounted = mounted;
        // The old view holds what was removed too. A render that removed a few nodes (or
        // none: a click that changes a text) frees them now, which costs less than the task.
        if self.removed_nodes >= FREE_AFTER_PAINT {
            self.bin.put(Box::new(old));
            self.bin.put(Box::new(std::mem::take(&mut self.removed)));
            if let Some(task) = self.bin.schedule() {
                self.backend.after_paint(task);
            }
        } else {
            drop(old);
            self.removed.clear();
            self.bin.empty();
        }
        self.removed_nodes = 0;
    }

    /// Whether earlier renders removed trees that are not freed yet.
    pub fn has_retired(&self) -> bool {
        !self.bin.is_empty()
    }

    /// Frees what earlier renders removed, without waiting for the paint.
    pub fn free_retired(&mut self) {
        self.bin.empty();
    }

    /// The backend, for reading the DOM in tests.
    pub fn backend(&self) -> &B {
        &self.backend
    }

    /// The backend, for simulating the outside world in tests.
    pub fn backend_mut(&mut self) -> &mut B {
        &mut self.backend
    }

    /// The container this view renders into.
    pub fn root(&self) -> &B::Node {
        &self.root
    }

    /// Resolves an event against the listeners of the nodes it passed, innermost first
    /// (`slots` as read from the target and its ancestors, `None` for untagged nodes).
    pub fn resolve_event<'e>(
        &self,
        slots: impl IntoIterator<Item = Option<u32>>,
        event: impl Into<EventData<'e>>,
    ) -> EventOutcome<Msg> {
        let event = &event.into();
        let kind = event.kind();
        let mut outcome = EventOutcome {
            messages: Vec::new(),
            prevent_default: false,
            stop_propagation: false,
        };
        let only_target = is_non_bubbling(kind);
        for (depth, slot) in slots.into_iter().enumerate() {
            if only_target && depth > 0 {
                break;
            }
            let Some(listeners) = slot.and_then(|s| self.listeners.slots.get(s as usize)) else {
                continue;
            };
            for listener in listeners.iter().filter(|l| l.event == kind) {
                outcome.prevent_default |= listener.options.prevent_default;
                outcome.stop_propagation |= listener.options.stop_propagation;
                // A message of another type cannot come from a tree built for `Msg`.
                if let Some(Ok(msg)) = listener.handler.decode(event).map(|m| m.downcast::<Msg>()) {
                    outcome.messages.push(*msg);
                }
            }
            if outcome.stop_propagation {
                break;
            }
        }
        outcome
    }

    // ---- creating -------------------------------------------------------------------------

    fn create(&mut self, parent_tag: &str, element: &AnyElement) -> Mounted<B::Node> {
        match element {
            AnyElement::Text(t) => self.create_text(parent_tag, t),
            AnyElement::Node(n) => self.create_node(n),
            AnyElement::Lazy(l) => self.create(parent_tag, &l.force()),
            // Normalisation removed fragments from children; an empty placeholder keeps the
            // one-node-per-child invariant should one slip through.
            AnyElement::Fragment(_) => Mounted::leaf(self.backend.create_text(&Str::Borrowed(""))),
        }
    }

    fn create_text(&mut self, parent_tag: &str, t: &Str) -> Mounted<B::Node> {
        let node = if is_raw_text(parent_tag) {
            let escaped = escape_raw_text(parent_tag, t).into_owned();
            self.backend.create_text(&Str::Owned(escaped))
        } else {
            self.backend.create_text(t)
        };
        Mounted::leaf(node)
    }

    fn create_node(&mut self, n: &Node) -> Mounted<B::Node> {
        let node = self.backend.create_element(&n.tag, n.namespace);
        for attr in &n.attrs {
            match attr {
                Attr::Attr { name, value } => self.write_attr(&node, name, value),
                Attr::Prop { name, value } => self.backend.set_property(&node, name, value),
            }
        }
        let slot = self.bind_listeners(&node, None, &n.listeners);
        let children = match &n.children {
            Children::Plain(children) => self.create_children(&node, &n.tag, children.iter()),
            Children::Text(t) => {
                let m = self.create_text(&n.tag, t);
                self.backend.insert_before(&node, &m.node, None);
                vec![m]
            }
            #[cfg(rally_lists)]
            Children::Keyed(children) => children
                .iter()
                .map(|(_, child)| {
                    let m = self.create_item(&n.tag, child);
                    self.backend.insert_before(&node, &m.node, None);
                    m
                })
                .collect(),
            #[cfg(rally_lazy_lists)]
            Children::LazyKeyed(list) => list
                .force_all()
                .iter()
                .flatten()
                .enumerate()
                .map(|(i, row)| {
                    let m = self.create_row(&n.tag, list, i, row);
                    self.backend.insert_before(&node, &m.node, None);
                    m
                })
                .collect(),
            Children::RawHtml(html) => {
                self.backend.set_inner_html(&node, html);
                Vec::new()
            }
            #[cfg(not(rally_lists))]
            Children::Keyed(_) | Children::LazyKeyed(_) => no_lists(),
            #[cfg(all(rally_lists, not(rally_lazy_lists)))]
            Children::LazyKeyed(_) => no_lazy_lists(),
        };
        Mounted::new(node, slot, children)
    }

    /// Puts the class of a list's mark on a row's root, or takes it off: each of its
    /// space-separated classes.
    fn toggle_mark(&mut self, node: &B::Node, class: &Str, on: bool) {
        match class {
            Str::Borrowed(c) => {
                for token in c.split_ascii_whitespace() {
                    self.backend.toggle_class(node, &Str::Borrowed(token), on);
                }
            }
            c => {
                for token in c.split_ascii_whitespace() {
                    self.backend
                        .toggle_class(node, &Str::Owned(token.to_owned()), on);
                }
            }
        }
    }

    /// Sets an attribute on a node that does not have it: a string, empty for `true`, and
    /// nothing for `false`.
    fn write_attr(&mut self, node: &B::Node, name: &Str, value: &AttrValue) {
        match value {
            AttrValue::Str(v) => self.backend.set_attribute(node, name, v),
            AttrValue::Bool(true) => self.backend.set_attribute(node, name, &EMPTY),
            AttrValue::Bool(false) => {}
        }
    }

    fn create_children<'a>(
        &mut self,
        parent: &B::Node,
        parent_tag: &str,
        children: impl Iterator<Item = &'a AnyElement>,
    ) -> Vec<Mounted<B::Node>> {
        children
            .map(|child| {
                let m = self.create(parent_tag, child);
                self.backend.insert_before(parent, &m.node, None);
                m
            })
            .collect()
    }

    /// Makes the root listen for the events of `listeners` it does not listen for yet.
    fn listen_for<'l>(&mut self, listeners: impl Iterator<Item = &'l Listener>) {
        for l in listeners {
            if !self.listened.contains(&l.event) {
                self.listened.push(l.event.clone());
                self.backend.listen(&l.event);
            }
        }
    }

    /// Puts a node's listeners in its slot (`None` for a new node) and returns the slot.
    /// A slot is rewritten in place, so that an unchanged row does not allocate a vector and
    /// free the old one on every patch (a tenth of patching a table row, natively).
    fn bind_listeners(
        &mut self,
        node: &B::Node,
        slot: Option<u32>,
        listeners: &[Listener],
    ) -> Option<u32> {
        self.bind_listeners_of(node, slot, listeners.iter())
    }

    /// [`Self::bind_listeners`] for listeners that are not in one slice (a template's holes).
    fn bind_listeners_of<'l>(
        &mut self,
        node: &B::Node,
        slot: Option<u32>,
        listeners: impl Iterator<Item = &'l Listener> + Clone,
    ) -> Option<u32> {
        let held = self.hold_listeners(slot, listeners);
        if held != slot {
            self.backend.set_listener_slot(node, held);
        }
        held
    }

    /// Puts listeners in a node's slot (`None` for a node without one) and returns the
    /// slot now holding them, `None` when there are none: the node's tag must change when
    /// the two differ.
    // One caller without `dom-templates`: inlined there, the split costs no bundle bytes.
    #[cfg_attr(not(rally_templates), inline(always))]
    fn hold_listeners<'l>(
        &mut self,
        slot: Option<u32>,
        listeners: impl Iterator<Item = &'l Listener> + Clone,
    ) -> Option<u32> {
        if listeners.clone().next().is_none() {
            if let Some(slot) = slot {
                self.listeners.release(slot);
            }
            return None;
        }
        self.listen_for(listeners.clone());
        match slot {
            Some(slot) => {
                let held = &mut self.listeners.slots[slot as usize];
                held.clear();
                held.extend(listeners.cloned());
                Some(slot)
            }
            None => Some(self.listeners.alloc(listeners)),
        }
    }

    /// Releases the listener slots of a removed subtree, counting its nodes.
    fn release(&mut self, m: &Mounted<B::Node>) {
        if let Some(slot) = m.slot {
            self.listeners.release(slot);
        }
        #[cfg(rally_templates)]
        if let Some(compact) = &m.compact {
            for &(_, slot) in &compact.slots {
                self.listeners.release(slot);
            }
            self.removed_nodes += compact.nodes();
        }
        self.removed_nodes += 1;
        for c in &m.children {
            self.release(c);
        }
    }

    fn remove(&mut self, parent: &B::Node, m: Mounted<B::Node>) {
        self.release(&m);
        self.backend.remove_child(parent, &m.node);
        self.removed.push(m);
    }

    // ---- patching -------------------------------------------------------------------------

    fn patch_plain(
        &mut self,
        parent: &B::Node,
        parent_tag: &str,
        old: &[AnyElement],
        mounted: &mut Vec<Mounted<B::Node>>,
        new: &[AnyElement],
    ) {
        if new.is_empty() && !mounted.is_empty() {
            self.clear(parent, mounted);
            return;
        }
        let common = old.len().min(new.len());
        for i in 0..common {
            self.patch(parent, parent_tag, &old[i], &mut mounted[i], &new[i]);
        }
        while mounted.len() > new.len() {
            if let Some(m) = mounted.pop() {
                self.remove(parent, m);
            }
        }
        for child in &new[common..] {
            let m = self.create(parent_tag, child);
            self.backend.insert_before(parent, &m.node, None);
            mounted.push(m);
        }
    }

    fn clear(&mut self, parent: &B::Node, mounted: &mut Vec<Mounted<B::Node>>) {
        for m in mounted.iter() {
            self.release(m);
        }
        self.backend.clear_children(parent);
        self.removed.append(mounted);
    }

    fn patch(
        &mut self,
        parent: &B::Node,
        parent_tag: &str,
        old: &AnyElement,
        m: &mut Mounted<B::Node>,
        new: &AnyElement,
    ) {
        match (old, new) {
            (AnyElement::Text(a), AnyElement::Text(b)) => {
                if a != b {
                    if is_raw_text(parent_tag) {
                        self.backend
                            .set_text(&m.node, &escape_raw_text(parent_tag, b));
                    } else {
                        self.backend.set_text(&m.node, b);
                    }
                }
            }
            (AnyElement::Node(a), AnyElement::Node(b)) if same_kind(a, b) => {
                self.patch_node(a, m, b)
            }
            // Same function, equal argument: the DOM and the built subtree stay as they are.
            (AnyElement::Lazy(a), AnyElement::Lazy(b)) if a.same_as(b) => a.pass_to(b),
            // Two renders of one `view!` template: only their holes can differ.
            #[cfg(rally_templates)]
            (AnyElement::Lazy(a), AnyElement::Lazy(b)) if self.patch_compiled(a, m, b) => {}
            (AnyElement::Lazy(a), _) => self.patch(parent, parent_tag, &a.force(), m, new),
            (_, AnyElement::Lazy(b)) => self.patch(parent, parent_tag, old, m, &b.force()),
            _ => {
                let fresh = self.create(parent_tag, new);
                self.backend.replace_child(parent, &fresh.node, &m.node);
                self.release(m);
                let old = std::mem::replace(m, fresh);
                self.removed.push(old);
            }
        }
    }

    fn patch_node(&mut self, old: &Node, m: &mut Mounted<B::Node>, new: &Node) {
        // A `view!` instance mounted without its descendants, diffed as a tree.
        #[cfg(rally_templates)]
        if m.compact.is_some() {
            self.mount_descendants(m);
        }
        self.patch_attrs(old, m, new);
        // Borrowed apart, so that the handle is not cloned for every patched node.
        let Mounted { node, children, .. } = m;
        let node = &*node;
        match (&old.children, &new.children) {
            (Children::Plain(a), Children::Plain(b)) => {
                self.patch_plain(node, &new.tag, a, children, b)
            }
            (Children::Text(a), Children::Text(b)) => {
                if a != b
                    && let Some(text) = children.first()
                {
                    let text = &text.node;
                    if is_raw_text(&new.tag) {
                        self.backend.set_text(text, &escape_raw_text(&new.tag, b));
                    } else {
                        self.backend.set_text(text, b);
                    }
                }
            }
            // A lone text and a list of children: diffed as the lists they stand for.
            (a @ (Children::Plain(_) | Children::Text(_)), b) => {
                let (mut scratch_a, mut scratch_b) = (None, None);
                let (a, b) = (a.as_plain(&mut scratch_a), b.as_plain(&mut scratch_b));
                self.patch_plain(node, &new.tag, a, children, b)
            }
            #[cfg(rally_lists)]
            (Children::Keyed(old), Children::Keyed(new_children)) => self.patch_keyed(
                node,
                &new.tag,
                &mut keyed::Plain {
                    old,
                    new: new_children,
                },
                children,
            ),
            #[cfg(rally_lazy_lists)]
            (Children::LazyKeyed(a), Children::LazyKeyed(b)) => {
                self.patch_lazy_list(node, &new.tag, a, children, b)
            }
            (Children::RawHtml(a), Children::RawHtml(b)) => {
                if a != b {
                    self.backend.set_inner_html(node, b);
                }
            }
            #[cfg(not(rally_lists))]
            (Children::Keyed(_), _) | (Children::LazyKeyed(_), _) => no_lists(),
            #[cfg(all(rally_lists, not(rally_lazy_lists)))]
            (Children::LazyKeyed(_), _) => no_lazy_lists(),
            _ => unreachable!("same_kind checked the children's kind"),
        }
    }

    fn patch_attrs(&mut self, old: &Node, m: &mut Mounted<B::Node>, new: &Node) {
        let node = &m.node;
        let same_shape = old.attrs.len() == new.attrs.len()
            && old
                .attrs
                .iter()
                .zip(&new.attrs)
                .all(|(a, b)| attr_key(a) == attr_key(b));
        for (i, attr) in new.attrs.iter().enumerate() {
            let previous = if same_shape {
                Some(&old.attrs[i])
            } else {
                old.attrs.iter().find(|a| attr_key(a) == attr_key(attr))
            };
            match attr {
                Attr::Attr { name, value } => {
                    let unchanged =
                        matches!(previous, Some(Attr::Attr { value: v, .. }) if v == value);
                    if !unchanged {
                        match value {
                            AttrValue::Str(v) => self.backend.set_attribute(node, name, v),
                            AttrValue::Bool(true) => self.backend.set_attribute(node, name, &EMPTY),
                            AttrValue::Bool(false) => {
                                if matches!(previous, Some(Attr::Attr { value: v, .. }) if *v != AttrValue::Bool(false))
                                {
                                    self.backend.remove_attribute(node, name)
                                }
                            }
                        }
                    }
                }
                // Compared with the live DOM: the user may have typed since the last render.
                Attr::Prop { name, value } => {
                    if self.backend.get_property(node, name).as_ref() != Some(value) {
                        self.backend.set_property(node, name, value);
                    }
                }
            }
        }
        for attr in &old.attrs {
            let still_there = same_shape || new.attrs.iter().any(|a| attr_key(a) == attr_key(attr));
            if still_there {
                continue;
            }
            match attr {
                Attr::Attr { name, value } if *value != AttrValue::Bool(false) => {
                    self.backend.remove_attribute(node, name)
                }
                Attr::Attr { .. } => {}
                // Back to what the markup alone would give: an empty or false property, and no
                // attribute (a checkbox's `.value` reflects its attribute, "on" without one).
                Attr::Prop { name, value } => {
                    let cleared = match value {
                        PropValue::Str(_) => PropValue::Str("".into()),
                        PropValue::Bool(_) => PropValue::Bool(false),
                    };
                    self.backend.set_property(node, name, &cleared);
                    self.backend.remove_attribute(node, name);
                }
            }
        }
        m.slot = self.bind_listeners(node, m.slot, &new.listeners);
    }
}

/// Whether two nodes can be patched into each other rather than replaced.
fn same_kind(a: &Node, b: &Node) -> bool {
    let plain = |c: &Children| matches!(c, Children::Plain(_) | Children::Text(_));
    a.tag == b.tag
        && a.namespace == b.namespace
        && (std::mem::discriminant(&a.children) == std::mem::discriminant(&b.children)
            || plain(&a.children) && plain(&b.children))
}

/// The container's children for a view: a fragment's items, or the single element.
fn root_children(view: AnyElement) -> Vec<AnyElement> {
    crate::vdom::normalize(vec![view])
}

/// A keyed list in a browser build without the `lists` feature: none can be made there
/// (`html::KeyedLists`), so no code to diff one is linked (docs/adr/0049).
///
/// No message: only a browser build has this arm, and its panics trap without formatting one
/// (docs/adr/0065), so the text would be bytes in every bundle that no one can read.
#[cfg(not(rally_lists))]
#[cold]
fn no_lists() -> ! {
    unreachable!()
}

/// A lazy list in a build with `lists` but without `lazy-lists`: `html::LazyLists` keeps any
/// from being made. (Without `lists` either, [`no_lists`] stands for both.)
/// No message, as [`no_lists`] has none (docs/adr/0064).
#[cfg(all(rally_lists, not(rally_lazy_lists)))]
#[cold]
fn no_lazy_lists() -> ! {
    unreachable!()
}
