//! The virtual DOM: [`Element`], [`Attribute`] and event [`Listener`]s.
//!
//! A view is a plain value tree. Children are normalised when an element is built (fragments
//! flattened, empty text dropped, adjacent text merged) so that every virtual child maps to
//! exactly one DOM node — the property the HTML renderer, the diff and the hydrator rely on.
//!
//! The tree itself ([`AnyElement`]) does not know its message type: a listener's messages are
//! [`AnyMessage`]s, downcast where the program dispatches them. [`Element<Msg>`] and
//! [`Attribute<Msg>`] carry the type for views and programs. An app has one message type per
//! page, and everything generic over it is compiled once per page into a browser bundle; with
//! the type outside the tree, building, mapping, rendering and diffing it is compiled once
//! (docs/adr/0050).

use std::any::TypeId;
use std::fmt;
use std::marker::PhantomData;
use std::rc::Rc;

pub use crate::message::{AnyMessage, ConstMessage};

pub use crate::str::Str;

/// An element's attributes and properties, each name once (see [`merge_attrs`]).
pub type Attrs = Vec<Attr>;

/// An attribute or a DOM property as an element holds it: an [`Attribute`] other than a
/// listener or `none`.
///
/// An element keeps these apart from its listeners, the only part of a view that produces
/// messages: merging, rendering and diffing attributes never looks at a listener (ADR 0041;
/// since ADR 0050 no part of the tree has a message type).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Attr {
    /// An HTML attribute. `Bool(false)` means absent, `Bool(true)` present and empty.
    Attr {
        /// The attribute's name.
        name: Str,
        /// Its value.
        value: AttrValue,
    },
    /// A DOM property that can drift from its attribute (`value`, `checked`, `selected`).
    Prop {
        /// The property's name.
        name: &'static str,
        /// Its value.
        value: PropValue,
    },
}

/// An element's attributes, properties and listeners as a builder collects them.
pub struct AttrSet {
    pub(crate) attrs: Attrs,
    pub(crate) listeners: Vec<Listener>,
}

impl AttrSet {
    /// No attributes and no listeners.
    pub fn new() -> Self {
        AttrSet {
            attrs: Vec::new(),
            listeners: Vec::new(),
        }
    }

    /// Adds one attribute, property or listener; `none` adds nothing.
    #[inline]
    pub fn push<Msg>(&mut self, attribute: Attribute<Msg>) {
        self.push_any(attribute.any);
    }

    /// [`push`](Self::push) for an attribute of any message type.
    pub(crate) fn push_any(&mut self, attribute: AnyAttribute) {
        match attribute {
            AnyAttribute::Attr { name, value } => self.attrs.push(Attr::Attr { name, value }),
            AnyAttribute::Prop { name, value } => self.attrs.push(Attr::Prop { name, value }),
            AnyAttribute::Event(l) => {
                // Most elements have one listener or none: room for exactly one at first,
                // not the four a growing vector starts with.
                if self.listeners.capacity() == 0 {
                    self.listeners.reserve_exact(1);
                }
                self.listeners.push(l)
            }
            AnyAttribute::None => {}
        }
    }
}

impl Default for AttrSet {
    fn default() -> Self {
        Self::new()
    }
}

/// The namespace an element is created in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Namespace {
    /// Ordinary HTML elements.
    Html,
    /// Elements inside `<svg>`.
    Svg,
}

impl Namespace {
    /// The namespace URI used by `createElementNS`.
    pub fn uri(self) -> &'static str {
        match self {
            Namespace::Html => "http://www.w3.org/1999/xhtml",
            Namespace::Svg => "http://www.w3.org/2000/svg",
        }
    }
}

/// A view tree whose events produce messages of type `Msg`: what views build and return.
///
/// The tree inside is an [`AnyElement`]; `Msg` ties its listeners' messages to the program
/// that dispatches them.
pub struct Element<Msg> {
    any: AnyElement,
    msg: PhantomData<fn() -> Msg>,
}

/// A node of the view tree, whatever the type of the messages its events produce.
pub enum AnyElement {
    /// A text node. Never empty after normalisation.
    Text(Str),
    /// An element with attributes and children.
    Node(Node),
    /// Zero or more siblings with no wrapper; flattened into the parent when built.
    Fragment(Vec<AnyElement>),
    /// A subtree rebuilt only when its input changes; see [`crate::lazy::lazy`].
    Lazy(crate::lazy::Lazy),
}

/// An element's tag, attributes and children.
pub struct Node {
    pub(crate) tag: Str,
    pub(crate) namespace: Namespace,
    pub(crate) attrs: Attrs,
    pub(crate) listeners: Vec<Listener>,
    pub(crate) children: Children,
}

/// The children of a [`Node`].
pub enum Children {
    /// Children diffed by position.
    Plain(Vec<AnyElement>),
    /// One text child, held without a vector: the most common leaf (`td`, `a`, `button`).
    /// Never empty; diffed as the one-child `Plain` it stands for.
    Text(Str),
    /// Children diffed by key, moved rather than rebuilt when they reorder.
    Keyed(Vec<(Key, AnyElement)>),
    /// Keyed rows built by one view from their arguments, only where an argument changed;
    /// see [`crate::html::keyed_lazy`].
    LazyKeyed(crate::lazy_list::LazyList),
    /// Markup inserted verbatim; see [`crate::html::unsafe_raw_html`].
    RawHtml(Str),
}

/// The identity of a keyed child among its siblings: an integer (what ids usually are) or a
/// text.
///
/// Integer keys are kept and compared as integers: a list's keys are made on every render and
/// compared on every update, and formatting each id was 18 % of a 1,000-row "select row"
/// update (issue 19). An integer key never equals a text key, even one of the same digits, so
/// a list should make its keys one way. The exception: a `u64` or `usize` past `i64::MAX` is
/// kept as its digits, so it equals the text key of those digits.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Key(KeyRepr);

#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum KeyRepr {
    Int(i64),
    Text(Str),
}

/// A key as the keyed diff compares it, borrowed: ordered and equal exactly as [`Key`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum KeyRef<'a> {
    Int(i64),
    Text(&'a Str),
}

impl Key {
    /// This key, borrowed for comparing.
    #[inline]
    pub(crate) fn key_ref(&self) -> KeyRef<'_> {
        match &self.0 {
            KeyRepr::Int(n) => KeyRef::Int(*n),
            KeyRepr::Text(t) => KeyRef::Text(t),
        }
    }

    /// The integer of an integer key; the key itself otherwise.
    #[inline]
    pub(crate) fn into_int(self) -> Result<i64, Key> {
        match self.0 {
            KeyRepr::Int(n) => Ok(n),
            text => Err(Key(text)),
        }
    }

    /// The key of the `nth` node (from 0) of a fragment given this key: the key itself, then
    /// its text with `nth` NULs, unique among siblings with no `format!` in browser bundles.
    pub(crate) fn sibling(&self, nth: usize) -> Key {
        if nth == 0 {
            return self.clone();
        }
        let mut text = match &self.0 {
            KeyRepr::Int(n) => Str::from(*n).into_string(),
            KeyRepr::Text(t) => t.as_str().to_owned(),
        };
        text.extend(std::iter::repeat_n('\0', nth));
        Key(KeyRepr::Text(Str::Owned(text)))
    }
}

impl From<&'static str> for Key {
    fn from(s: &'static str) -> Self {
        Key(KeyRepr::Text(Str::Borrowed(s)))
    }
}
impl From<String> for Key {
    fn from(s: String) -> Self {
        Key(KeyRepr::Text(Str::Owned(s)))
    }
}
impl From<Str> for Key {
    fn from(s: Str) -> Self {
        Key(KeyRepr::Text(s))
    }
}
impl From<&std::sync::Arc<str>> for Key {
    fn from(s: &std::sync::Arc<str>) -> Self {
        Key(KeyRepr::Text(Str::from(s)))
    }
}
macro_rules! key_from_int {
    ($($t:ty),*) => {$(
        /// The number itself: an integer key is never formatted.
        impl From<$t> for Key {
            #[inline]
            fn from(n: $t) -> Self { Key(KeyRepr::Int(i64::from(n))) }
        }
    )*};
}
key_from_int!(i8, i16, i32, i64, u8, u16, u32);
macro_rules! key_from_wide_int {
    ($($t:ty),*) => {$(
        /// The number itself; past `i64::MAX`, its digits.
        impl From<$t> for Key {
            #[inline]
            fn from(n: $t) -> Self {
                Key(i64::try_from(n).map_or_else(|_| KeyRepr::Text(Str::from(n)), KeyRepr::Int))
            }
        }
    )*};
}
key_from_wide_int!(u64, usize);

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            KeyRepr::Int(n) => f.write_str(&Str::from(*n)),
            KeyRepr::Text(t) => f.write_str(t),
        }
    }
}

/// An attribute, a DOM property or an event listener producing `Msg`, for an element.
pub struct Attribute<Msg> {
    pub(crate) any: AnyAttribute,
    msg: PhantomData<fn() -> Msg>,
}

/// An attribute, a DOM property or an event listener, whatever its messages' type.
pub enum AnyAttribute {
    /// An HTML attribute. `Bool(false)` means absent, `Bool(true)` present and empty.
    Attr {
        /// The attribute's name.
        name: Str,
        /// Its value.
        value: AttrValue,
    },
    /// A DOM property that can drift from its attribute (`value`, `checked`, `selected`).
    Prop {
        /// The property's name.
        name: &'static str,
        /// Its value.
        value: PropValue,
    },
    /// An event listener.
    Event(Listener),
    /// Nothing; lets views write conditional attributes without `Option`.
    None,
}

/// The value of an HTML attribute.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AttrValue {
    /// A string value.
    Str(Str),
    /// A boolean attribute: present when true, absent when false.
    Bool(bool),
}

/// The value of a DOM property.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PropValue {
    /// A string property such as `value`.
    Str(Str),
    /// A boolean property such as `checked`.
    Bool(bool),
}

/// An event listener: which event, how to turn it into a message, and the DOM options.
#[derive(Clone)]
pub struct Listener {
    pub(crate) event: Str,
    pub(crate) handler: Handler,
    pub(crate) options: EventOptions,
}

/// Whether an event's default action is prevented and whether it stops bubbling.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct EventOptions {
    /// Call `preventDefault()` when the listener fires.
    pub prevent_default: bool,
    /// Stop the event from reaching listeners on ancestors.
    pub stop_propagation: bool,
}

/// A decoder from a DOM event to a message; `None` ignores the event.
pub type Decoder = Rc<dyn Fn(&EventData) -> Option<AnyMessage>>;

/// How a listener turns an event into a message.
#[derive(Clone)]
pub enum Handler {
    /// Always this message (`on_click(Msg::Inc)`), cloned for each event. Held in place: a
    /// listener of a message of two words or less (`Msg::Select(id)`) allocates nothing.
    Message(ConstMessage),
    /// A decoder reading the event; `None` ignores the event.
    Decode(Decoder),
}

impl Handler {
    /// A handler that always produces `msg`.
    pub fn message<Msg: Clone + 'static>(msg: Msg) -> Self {
        Handler::Message(ConstMessage::new(msg))
    }

    /// Runs the handler against an event.
    pub fn decode(&self, event: &EventData) -> Option<AnyMessage> {
        match self {
            Handler::Message(m) => Some(m.to_any()),
            Handler::Decode(f) => f(event),
        }
    }

    /// This handler with `f` applied to its messages.
    fn mapped(self, f: &Mapper) -> Handler {
        let map = f.f.clone();
        Handler::Decode(match self {
            Handler::Message(m) => Rc::new(move |_| Some(map(m.to_any()))),
            Handler::Decode(d) => Rc::new(move |e| d(e).map(&*map)),
        })
    }
}

/// What an event decoder may read from a DOM event, in the browser or in tests.
///
/// A struct with one method per reader rather than a trait object: a bundle links only the
/// readers its decoders call, so a page of click handlers carries none of them, nor their
/// imports (docs/adr/0054).
pub struct EventData<'a>(Source<'a>);

enum Source<'a> {
    #[cfg(all(feature = "web", target_arch = "wasm32"))]
    Web {
        event: &'a crate::web::HeldEvent<'a>,
        kind: &'a str,
    },
    Fake(&'a crate::event::FakeEvent),
}

impl<'a> EventData<'a> {
    /// A browser event of the type `kind`, read from JS only if a reader asks.
    #[cfg(all(feature = "web", target_arch = "wasm32"))]
    pub(crate) fn web(event: &'a crate::web::HeldEvent<'a>, kind: &'a str) -> Self {
        EventData(Source::Web { event, kind })
    }

    /// The event's type, such as `"click"`.
    pub fn kind(&self) -> &str {
        match &self.0 {
            #[cfg(all(feature = "web", target_arch = "wasm32"))]
            Source::Web { kind, .. } => kind,
            Source::Fake(e) => e.kind,
        }
    }

    /// `event.target.value` for inputs, textareas and selects.
    pub fn target_value(&self) -> Option<String> {
        match &self.0 {
            #[cfg(all(feature = "web", target_arch = "wasm32"))]
            Source::Web { event, .. } => event.get().and_then(|e| crate::web::target_value(&e)),
            Source::Fake(e) => e.value.clone(),
        }
    }

    /// `event.target.checked` for checkboxes and radio buttons.
    pub fn target_checked(&self) -> Option<bool> {
        match &self.0 {
            #[cfg(all(feature = "web", target_arch = "wasm32"))]
            Source::Web { event, .. } => event.get().and_then(|e| crate::web::target_checked(&e)),
            Source::Fake(e) => e.checked,
        }
    }

    /// `event.key` for keyboard events.
    pub fn key(&self) -> Option<String> {
        match &self.0 {
            #[cfg(all(feature = "web", target_arch = "wasm32"))]
            Source::Web { event, .. } => event.get().and_then(|e| crate::web::key(&e)),
            Source::Fake(e) => e.key.clone(),
        }
    }

    /// Modifier keys held during the event.
    pub fn modifiers(&self) -> Modifiers {
        match &self.0 {
            #[cfg(all(feature = "web", target_arch = "wasm32"))]
            Source::Web { event, .. } => event
                .get()
                .map(|e| crate::web::modifiers(&e))
                .unwrap_or_default(),
            Source::Fake(e) => e.modifiers,
        }
    }

    /// The submitted form's named values, in document order, for `submit` events.
    pub fn form_values(&self) -> Vec<(String, String)> {
        match &self.0 {
            #[cfg(all(feature = "web", target_arch = "wasm32"))]
            Source::Web { event, .. } => event
                .get()
                .map_or_else(Vec::new, |e| crate::web::form_values(&e)),
            Source::Fake(e) => e.form.clone(),
        }
    }
}

impl<'a> From<&'a crate::event::FakeEvent> for EventData<'a> {
    fn from(event: &'a crate::event::FakeEvent) -> Self {
        EventData(Source::Fake(event))
    }
}

/// Modifier keys held during a keyboard or mouse event.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Modifiers {
    /// Alt (Option).
    pub alt: bool,
    /// Control.
    pub ctrl: bool,
    /// Meta (Command, Windows).
    pub meta: bool,
    /// Shift.
    pub shift: bool,
}

/// A message mapping as [`Element::map`] applies it: the function on messages of any type,
/// and what identifies it from one render to the next.
#[derive(Clone)]
pub(crate) struct Mapper {
    pub(crate) f: Rc<dyn Fn(AnyMessage) -> AnyMessage>,
    /// The function's type when it carries no data (a function item, a closure capturing
    /// nothing): two mappings of the same such type do the same thing. `None` for anything
    /// else, whose values could differ.
    pub(crate) id: Option<TypeId>,
}

impl Mapper {
    /// `f` on messages of type `A`; a message of another type (which no typed view makes)
    /// passes unchanged, to be ignored where it is dispatched.
    pub(crate) fn new<A: 'static, B: 'static, F: Fn(A) -> B + 'static>(f: F) -> Self {
        let id = (std::mem::size_of::<F>() == 0).then(TypeId::of::<F>);
        let f = move |m: AnyMessage| match m.downcast::<A>() {
            Ok(a) => Box::new(f(*a)) as AnyMessage,
            Err(m) => m,
        };
        Mapper { f: Rc::new(f), id }
    }

    /// Whether this mapping is known to do what `other` does.
    pub(crate) fn same_as(&self, other: &Self) -> bool {
        self.id.is_some() && self.id == other.id
    }
}

impl<Msg> Attribute<Msg> {
    /// This attribute as a view holds it.
    #[inline]
    pub(crate) fn from_any(any: AnyAttribute) -> Self {
        Attribute {
            any,
            msg: PhantomData,
        }
    }

    /// The attribute, property or listener, whatever its message type.
    pub fn any(&self) -> &AnyAttribute {
        &self.any
    }

    /// Calls `preventDefault()` on the event when this listener fires; no effect on non-events.
    pub fn prevent_default(mut self) -> Self {
        if let AnyAttribute::Event(l) = &mut self.any {
            l.options.prevent_default = true;
        }
        self
    }

    /// Stops the event from bubbling to ancestors' listeners; no effect on non-events.
    pub fn stop_propagation(mut self) -> Self {
        if let AnyAttribute::Event(l) = &mut self.any {
            l.options.stop_propagation = true;
        }
        self
    }
}

impl Listener {
    /// This listener with `f` applied to its messages.
    fn mapped(self, f: &Mapper) -> Listener {
        Listener {
            event: self.event,
            options: self.options,
            handler: self.handler.mapped(f),
        }
    }
}

impl<Msg> Element<Msg> {
    /// This tree as a view of `Msg` holds it.
    #[inline]
    pub(crate) fn from_any(any: AnyElement) -> Self {
        Element {
            any,
            msg: PhantomData,
        }
    }

    /// The tree, whatever its message type.
    pub fn any(&self) -> &AnyElement {
        &self.any
    }

    /// The tree, whatever its message type.
    #[inline]
    pub fn into_any(self) -> AnyElement {
        self.any
    }

    /// An element in the HTML namespace with normalised children.
    pub fn new(
        tag: impl Into<Str>,
        attrs: impl IntoIterator<Item = Attribute<Msg>>,
        children: impl IntoIterator<Item = Element<Msg>>,
    ) -> Self {
        Self::with_children(
            tag.into(),
            Namespace::Html,
            collect_attrs(attrs),
            Children::from_elements(children),
        )
    }

    /// An element in the given namespace with already-built children: crate-private, since
    /// untyped children could hold listeners of another message type.
    pub(crate) fn with_children(
        tag: Str,
        namespace: Namespace,
        attrs: AttrSet,
        children: Children,
    ) -> Self {
        Self::from_any(AnyElement::node(tag, namespace, attrs, children))
    }

    /// A text node.
    pub fn text(text: impl Into<Str>) -> Self {
        Self::from_any(AnyElement::Text(text.into()))
    }

    /// Nothing at all.
    pub fn none() -> Self {
        Self::from_any(AnyElement::Fragment(Vec::new()))
    }

    /// Lifts every message this subtree can produce with `f` (a child component's messages
    /// into the parent's).
    ///
    /// The tree is rebuilt with each listener's messages mapped, except [`lazy`](crate::lazy::lazy)
    /// nodes: they stay lazy, with `f` applied when (and if) they are built. When `f` is a
    /// function item or a closure that captures nothing (`Msg::Page`, `|m| Outer(Inner(m))`),
    /// an unchanged lazy node is still recognised as unchanged across renders, so mapping a
    /// page's view does not defeat its lazy rows. The walk itself knows no message type: one
    /// copy of it serves every page of an app.
    pub fn map<B: 'static, F>(self, f: F) -> Element<B>
    where
        Msg: 'static,
        F: Fn(Msg) -> B + 'static,
    {
        Element::from_any(self.any.map_with(&Mapper::new(f)))
    }

    /// The tag name when this is an element.
    pub fn tag(&self) -> Option<&str> {
        self.any.tag()
    }
}

impl AnyElement {
    /// An element with already-collected attributes and children.
    pub(crate) fn node(tag: Str, namespace: Namespace, attrs: AttrSet, children: Children) -> Self {
        AnyElement::Node(Node {
            tag,
            namespace,
            attrs: merge_attrs(attrs.attrs),
            listeners: attrs.listeners,
            children,
        })
    }

    pub(crate) fn map_with(self, f: &Mapper) -> AnyElement {
        match self {
            AnyElement::Text(t) => AnyElement::Text(t),
            AnyElement::Lazy(l) => AnyElement::Lazy(l.map(f)),
            AnyElement::Fragment(children) => {
                AnyElement::Fragment(children.into_iter().map(|c| c.map_with(f)).collect())
            }
            AnyElement::Node(node) => {
                let Node {
                    tag,
                    namespace,
                    attrs,
                    listeners,
                    children,
                } = node;
                let children = match children {
                    Children::Plain(c) => {
                        Children::Plain(c.into_iter().map(|c| c.map_with(f)).collect())
                    }
                    Children::Text(t) => Children::Text(t),
                    Children::Keyed(c) => {
                        Children::Keyed(c.into_iter().map(|(k, c)| (k, c.map_with(f))).collect())
                    }
                    Children::LazyKeyed(l) => Children::LazyKeyed(l.map(f)),
                    Children::RawHtml(h) => Children::RawHtml(h),
                };
                // Only the listeners produce messages: the attributes move as they are.
                AnyElement::Node(Node {
                    tag,
                    namespace,
                    attrs,
                    listeners: listeners.into_iter().map(|l| l.mapped(f)).collect(),
                    children,
                })
            }
        }
    }

    /// The tag name when this is an element.
    pub fn tag(&self) -> Option<&str> {
        match self {
            AnyElement::Node(n) => Some(&n.tag),
            _ => None,
        }
    }
}

impl Node {
    /// The element's tag name.
    pub fn tag(&self) -> &str {
        &self.tag
    }
    /// The element's namespace.
    pub fn namespace(&self) -> Namespace {
        self.namespace
    }
    /// The element's attributes and properties.
    pub fn attrs(&self) -> &[Attr] {
        &self.attrs
    }
    /// The element's listeners.
    pub fn listeners(&self) -> &[Listener] {
        &self.listeners
    }
    /// The element's children.
    pub fn children(&self) -> &Children {
        &self.children
    }
}

impl Children {
    /// Normalised children from any sequence of elements; a lone text, the commonest leaf,
    /// and no children at all cost no allocation.
    #[cfg_attr(target_arch = "wasm32", inline(never))]
    #[cfg_attr(not(target_arch = "wasm32"), inline)]
    pub fn from_elements<Msg>(children: impl IntoIterator<Item = Element<Msg>>) -> Self {
        let mut children = children.into_iter().map(Element::into_any);
        match children.size_hint() {
            (_, Some(0)) => Children::Plain(Vec::new()),
            (1, Some(1)) => match children.next() {
                Some(AnyElement::Text(t)) if !t.is_empty() => Children::Text(t),
                Some(node @ (AnyElement::Node(_) | AnyElement::Lazy(_))) => {
                    Children::Plain(vec![node])
                }
                Some(other) => Children::from_vec(vec![other]),
                None => Children::Plain(Vec::new()),
            },
            // A `Vec` is collected in place, an array into one exactly sized allocation.
            _ => Children::from_vec(children.collect()),
        }
    }

    /// Normalised children from a vector.
    pub(crate) fn from_vec(children: Vec<AnyElement>) -> Self {
        let mut children = normalize(children);
        if let [AnyElement::Text(_)] = children.as_slice()
            && let Some(AnyElement::Text(t)) = children.pop()
        {
            return Children::Text(t);
        }
        Children::Plain(children)
    }

    /// The children as a slice of elements, for the paths where a lone text is not worth a
    /// special case (hydration, tests): `scratch` holds it as an element while borrowed.
    pub(crate) fn as_plain<'a>(&'a self, scratch: &'a mut Option<AnyElement>) -> &'a [AnyElement] {
        match self {
            Children::Plain(c) => c,
            Children::Text(t) => std::slice::from_ref(scratch.insert(AnyElement::Text(t.clone()))),
            Children::Keyed(_) | Children::LazyKeyed(_) | Children::RawHtml(_) => &[],
        }
    }
}

/// The attributes, properties and listeners of an element from any sequence, sorted apart;
/// `none`s are dropped.
#[cfg_attr(target_arch = "wasm32", inline(never))]
#[cfg_attr(not(target_arch = "wasm32"), inline)]
pub fn collect_attrs<Msg>(attrs: impl IntoIterator<Item = Attribute<Msg>>) -> AttrSet {
    let mut attrs = attrs.into_iter();
    let mut set = AttrSet::new();
    while let Some(attr) = attrs.next() {
        // Room for the rest at the first attribute, not before: an element with listeners
        // only holds no empty allocation.
        if set.attrs.capacity() == 0
            && matches!(
                attr.any,
                AnyAttribute::Attr { .. } | AnyAttribute::Prop { .. }
            )
        {
            set.attrs.reserve_exact(1 + attrs.size_hint().0);
        }
        set.push_any(attr.any);
    }
    set
}

/// Flattens fragments, drops empty text and merges adjacent text, so every child is one DOM node.
///
/// Merging matters for hydration: the HTML parser turns `a` `b` into one text node `ab`.
pub(crate) fn normalize(children: Vec<AnyElement>) -> Vec<AnyElement> {
    let needs_work = children.iter().enumerate().any(|(i, c)| match c {
        AnyElement::Fragment(_) => true,
        AnyElement::Text(t) => {
            t.is_empty() || (i > 0 && matches!(children[i - 1], AnyElement::Text(_)))
        }
        AnyElement::Node(_) | AnyElement::Lazy(_) => false,
    });
    if !needs_work {
        return children;
    }
    let mut out = Vec::with_capacity(children.len());
    push_normalized(&mut out, children);
    out
}

fn push_normalized(out: &mut Vec<AnyElement>, children: Vec<AnyElement>) {
    for child in children {
        match child {
            AnyElement::Fragment(inner) => push_normalized(out, inner),
            AnyElement::Text(t) if t.is_empty() => {}
            AnyElement::Text(t) => match out.last_mut() {
                Some(AnyElement::Text(prev)) => prev.make_mut().push_str(&t),
                _ => out.push(AnyElement::Text(t)),
            },
            node => out.push(node),
        }
    }
}

/// Joins repeated `class` and `style`, and lets a later attribute or property of the same
/// name win, so the renderer and the diff see each name once.
#[inline]
pub(crate) fn merge_attrs(attrs: Attrs) -> Attrs {
    // Most elements have two attributes or fewer: nothing to merge unless both have the same
    // name (the general check below cost ~90 instructions per element in the SSR profile).
    match attrs.as_slice() {
        [] | [_] => attrs,
        [a, b] if attr_key(a) != attr_key(b) => attrs,
        _ => merge_repeated(attrs),
    }
}

/// [`merge_attrs`] for three attributes or more, or two of one name.
#[inline(never)]
fn merge_repeated(mut attrs: Attrs) -> Attrs {
    let needs_work = attrs
        .iter()
        .enumerate()
        .any(|(i, a)| attrs[..i].iter().any(|b| attr_key(b) == attr_key(a)));
    if !needs_work {
        return attrs;
    }
    let mut out: Attrs = Attrs::with_capacity(attrs.len());
    for attr in attrs.drain(..) {
        let existing = out.iter_mut().find(|b| attr_key(b) == attr_key(&attr));
        match (existing, attr) {
            // A class or style after a text one joins it (a boolean one is dropped).
            (
                Some(Attr::Attr {
                    name,
                    value: AttrValue::Str(prev),
                }),
                Attr::Attr { value, .. },
            ) if *name == "class" || *name == "style" => {
                if let AttrValue::Str(s) = value {
                    let sep = if *name == "class" { " " } else { ";" };
                    let p = prev.make_mut();
                    if !p.is_empty() && !s.is_empty() {
                        p.push_str(sep);
                    }
                    p.push_str(&s);
                }
            }
            (Some(existing), attr) => *existing = attr,
            (None, attr) => out.push(attr),
        }
    }
    out
}

/// What identifies an attribute or property among its element's: its kind and name.
#[inline]
pub(crate) fn attr_key(a: &Attr) -> (bool, &str) {
    match a {
        Attr::Attr { name, .. } => (false, name),
        Attr::Prop { name, .. } => (true, name),
    }
}

impl<Msg> fmt::Debug for Element<Msg> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.any.fmt(f)
    }
}

impl fmt::Debug for AnyElement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&crate::render::any_to_html(self))
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn integer_keys_are_the_same_whatever_their_type_and_never_a_text() {
        assert_eq!(Key::from(7i32), Key::from(7u64));
        assert_eq!(Key::from(7usize), Key::from(7u8));
        assert_eq!(Key::from(-7i64), Key::from(-7i8));
        assert_ne!(Key::from(7), Key::from("7"));
        assert_ne!(Key::from(7), Key::from(8));
        // Past i64::MAX an id is kept as its digits.
        assert_eq!(Key::from(u64::MAX), Key::from(Str::from(u64::MAX)));
        assert_ne!(Key::from(u64::MAX), Key::from(-1));
        assert_eq!(Key::from(-3).to_string(), "-3");
        assert_eq!(Key::from("row").to_string(), "row");
    }

    #[test]
    fn two_attributes_merge_only_when_they_clash() {
        use crate::attribute::{class, id, none};
        use crate::html::div;
        use crate::render::to_html;
        let html = |attrs: [Attribute<()>; 2]| to_html(&div(attrs, []));
        assert_eq!(html([class("a"), class("b")]), r#"<div class="a b"></div>"#);
        assert_eq!(html([id("x"), id("y")]), r#"<div id="y"></div>"#);
        assert_eq!(html([none(), class("b")]), r#"<div class="b"></div>"#);
        assert_eq!(html([class("a"), none()]), r#"<div class="a"></div>"#);
        assert_eq!(html([none(), none()]), "<div></div>");
        assert_eq!(
            html([class("a"), id("x")]),
            r#"<div class="a" id="x"></div>"#
        );
    }

    /// The general merge (three attributes or more): `None`s dropped, classes and styles
    /// joined where they first appear, any other repeated attribute or property taking the
    /// last value at its first place; listeners kept apart, in order.
    #[test]
    fn many_attributes_merge_in_place() {
        use crate::attribute::{checked, class, id, none, style};
        use crate::event::on_click;
        use crate::html::div;
        let AnyElement::Node(node) = div::<u8>(
            [
                class("a"),
                on_click(1),
                none(),
                id("x"),
                class("b"),
                style("color", "red"),
                id("y"),
                checked(true),
                on_click(2),
                style("margin", "0"),
                class(""),
                checked(false),
            ],
            [],
        )
        .into_any() else {
            panic!("a div is a node");
        };
        let shown: Vec<String> = node
            .attrs()
            .iter()
            .map(|a| match a {
                Attr::Attr { name, value } => format!("{name}={value:?}"),
                Attr::Prop { name, value } => format!("{name}:{value:?}"),
            })
            .collect();
        assert_eq!(
            shown,
            [
                r#"class=Str("a b")"#,
                r#"id=Str("y")"#,
                r#"style=Str("color:red;margin:0")"#,
                "checked:Bool(false)",
            ]
        );
        let listeners: Vec<String> = node
            .listeners()
            .iter()
            .map(|l| match &l.handler {
                Handler::Message(m) => format!("on{}({:?})", l.event, m.downcast_ref::<u8>()),
                Handler::Decode(_) => format!("on{}(…)", l.event),
            })
            .collect();
        assert_eq!(listeners, ["onclick(Some(1))", "onclick(Some(2))"]);
    }

    #[test]
    fn a_fragments_nodes_get_distinct_keys_from_its_key() {
        for key in [Key::from(5), Key::from("a")] {
            assert_eq!(key.sibling(0), key);
            let keys: HashSet<Key> = (0..4).map(|i| key.sibling(i)).collect();
            assert_eq!(keys.len(), 4);
        }
        assert_eq!(Key::from(5).sibling(2), Key::from("5\0\0".to_owned()));
        assert_ne!(Key::from(5).sibling(1), Key::from(6));
    }
}
