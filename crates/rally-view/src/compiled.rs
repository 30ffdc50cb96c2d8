//! Compiled templates: what [`view!`](crate::view) becomes.
//!
//! A server page builds its view tree only to render it once, and building and dropping the
//! tree was more than half of that work (docs/adr/0033). Yet most of a view never changes:
//! `td([class("col-md-1")], [text(row.id)])` differs from row to row only in the id. The macro
//! sees which parts are constant, and this module renders them once per process into markup
//! ([`Def`]). A view then costs its *holes* — the attributes and children that are not
//! literals, evaluated as the expression would evaluate them — and one copy of each constant
//! run of markup between them.
//!
//! The template is a lazy node ([`crate::lazy`]) whose thunk holds the holes and the view
//! expression with the holes' values put back. Whatever needs a tree (hydration, a test looking
//! for an element, a diff against something else) builds it from that expression, so the tree
//! is the one the plain expression builds. The renderer writes the markup directly instead,
//! unless a hole could have merged with another attribute (two `class`es, a repeated name):
//! then it renders the tree, because the merge rules live there.
//!
//! In the browser the same definition gives a [`Skeleton`]: the constant elements, attributes
//! and texts, and where the holes go. A keyed list creates an item by cloning the skeleton's
//! DOM and filling in the holes, and two renders of one template are diffed hole by hole,
//! without building either tree (docs/adr/0046). Markup is not compiled there.

use std::cell::Cell;
use std::marker::PhantomData;
use std::sync::OnceLock;

use crate::lazy::Thunk;
use crate::render::is_void;
#[cfg(not(target_arch = "wasm32"))]
use crate::render::{Renderer, render_any_into, render_attr_into, render_attribute_into};
use crate::vdom::{
    AnyAttribute, AnyElement, Attr, AttrSet, Attribute, Attrs, Children, Element, Namespace, Str,
    merge_attrs,
};

/// The constant part of one `view!` call, compiled on first use.
pub struct Def {
    init: fn(&mut Compiler),
    compiled: OnceLock<Compiled>,
}

impl Def {
    /// A template described by `init`, which `view!` writes: the view's element calls,
    /// constant attributes and texts, and where its holes go, in source order.
    pub const fn new(init: fn(&mut Compiler)) -> Self {
        Def {
            init,
            compiled: OnceLock::new(),
        }
    }

    fn compiled(&self) -> &Compiled {
        self.compiled.get_or_init(|| {
            let mut compiler = Compiler::default();
            (self.init)(&mut compiler);
            compiler.finish()
        })
    }

    /// The template's structure, when its instances can be cloned from one DOM copy.
    pub(crate) fn skeleton(&self) -> Option<&Skeleton> {
        self.compiled().skeleton.as_ref()
    }
}

/// One value of a template that can change between renders.
pub enum Hole {
    /// An attribute, property or listener that is not a literal (`on_click(..)`, a
    /// conditional class).
    Attr(AnyAttribute),
    /// A child that is not a literal text or an element call the macro could see into.
    Child(AnyElement),
}

/// What makes a template's holes, as `view!` passes them: all of one message type, the
/// template's.
pub struct Holes<Msg> {
    msg: PhantomData<fn() -> Msg>,
}

impl<Msg> Holes<Msg> {
    /// Holes of the message type the template's use says.
    #[inline]
    #[allow(clippy::new_without_default)]
    pub fn new() -> Self {
        Holes { msg: PhantomData }
    }

    /// An attribute hole.
    #[inline]
    pub fn attr(&self, attr: Attribute<Msg>) -> Hole {
        Hole::Attr(attr.any)
    }

    /// A child hole.
    #[inline]
    pub fn child(&self, child: Element<Msg>) -> Hole {
        Hole::Child(child.into_any())
    }
}

// `view!` alone calls these, with holes it made through one `Holes<Msg>` for the same `Msg`:
// given holes of another message type, the tree's listeners would produce messages the
// program drops (docs/adr/0050).
impl Hole {
    /// The attribute in an attribute hole; nothing for anything else (which `view!` never
    /// passes).
    #[doc(hidden)]
    pub fn into_attr<Msg>(hole: Option<Self>) -> Attribute<Msg> {
        Attribute::from_any(match hole {
            Some(Hole::Attr(attr)) => attr,
            _ => AnyAttribute::None,
        })
    }

    /// The element in a child hole; nothing for anything else (which `view!` never passes).
    #[doc(hidden)]
    pub fn into_child<Msg>(hole: Option<Self>) -> Element<Msg> {
        match hole {
            Some(Hole::Child(child)) => Element::from_any(child),
            _ => Element::none(),
        }
    }

    /// The name of an attribute hole that renders as an attribute.
    fn attribute_name(&self) -> Option<&str> {
        match self {
            Hole::Attr(AnyAttribute::Attr { name, .. }) => Some(name),
            Hole::Attr(AnyAttribute::Prop { name, .. }) => Some(name),
            _ => None,
        }
    }
}

/// A template's element: `rebuild(holes)` is the view expression itself, called when a tree
/// is needed.
pub fn template<Msg, F>(
    def: &'static Def,
    _types: &Holes<Msg>,
    holes: Vec<Hole>,
    rebuild: F,
) -> Element<Msg>
where
    Msg: 'static,
    F: Fn(Vec<Hole>) -> Element<Msg> + 'static,
{
    if def.compiled().fallback {
        return rebuild(holes);
    }
    crate::lazy::from_thunk(Instance {
        def,
        holes: Cell::new(holes),
        rebuild,
        msg: PhantomData,
    })
}

/// A template with its holes: four words when `rebuild` captures nothing, so it sits in the
/// lazy node without an allocation of its own.
struct Instance<Msg, F> {
    def: &'static Def,
    holes: Cell<Vec<Hole>>,
    rebuild: F,
    msg: PhantomData<fn() -> Msg>,
}

impl<Msg, F> Thunk for Instance<Msg, F>
where
    Msg: 'static,
    F: Fn(Vec<Hole>) -> Element<Msg> + 'static,
{
    fn build(&self) -> AnyElement {
        (self.rebuild)(self.holes.take()).into_any()
    }

    fn same_as(&self, _: &dyn Thunk) -> bool {
        // Holes are not comparable as a whole; two renders are diffed hole by hole.
        false
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }

    fn instance(&self) -> Option<InstanceRef<'_>> {
        Some(InstanceRef {
            def: self.def,
            holes: &self.holes,
        })
    }

    #[cfg(not(target_arch = "wasm32"))]
    fn render_html(&self, renderer: &mut Renderer<'_>) -> bool {
        let holes = self.holes.take();
        let done = self.def.compiled().render(renderer, &holes);
        self.holes.set(holes);
        done
    }
}

/// A template instance that was not built into a tree: its definition and its holes.
pub(crate) struct InstanceRef<'a> {
    pub(crate) def: &'static Def,
    holes: &'a Cell<Vec<Hole>>,
}

impl InstanceRef<'_> {
    /// Runs `f` on the holes. They are taken out meanwhile: a nested look at the same
    /// instance sees none, and so never fits a skeleton.
    pub(crate) fn with_holes<R>(&self, f: impl FnOnce(&[Hole]) -> R) -> R {
        let holes = self.holes.take();
        let result = f(&holes);
        self.holes.set(holes);
        result
    }
}

/// A template's constant structure, for cloning its instances in the browser.
pub(crate) struct Skeleton {
    pub(crate) root: SkeletonElement,
    /// What each hole may hold, by hole.
    rules: Vec<Rule>,
    /// The elements whose attribute holes could merge with another attribute.
    clashes: Vec<Check>,
    /// Each element with holes, where it is, for diffing two instances without a walk.
    pub(crate) patches: Vec<ElementHoles>,
    /// How to reach each node after the root, in document order (the order a clone's nodes
    /// are numbered in, `dom::TemplateOps`): `2j + 1` for the first child of node `j`, `2j`
    /// for the next sibling of node `j`.
    pub(crate) links: Box<[u32]>,
    /// `links` for filling in a new instance: [`SKIPPED`] for the nodes no hole writes to and
    /// that are not on the way to one.
    pub(crate) fill_links: Box<[u32]>,
}

/// A link not followed (see [`Skeleton::fill_links`]): "the root's next sibling", which is
/// no node of the instance. Small, so that JavaScript reads it from a `Uint32Array` as an
/// integer, not as a heap number as it would `u32::MAX`.
pub(crate) const SKIPPED: u32 = 0;

/// An element of a skeleton.
pub(crate) struct SkeletonElement {
    pub(crate) tag: Str,
    pub(crate) namespace: Namespace,
    /// The constant attributes, merged as the tree merges them.
    pub(crate) attrs: Attrs,
    /// The attribute holes, and the constant attributes' names they must not repeat.
    pub(crate) attr_holes: Check,
    pub(crate) children: Vec<SkeletonChild>,
    /// Whether a hole is anywhere in this subtree.
    pub(crate) has_holes: bool,
}

/// A child in a skeleton: one DOM node each.
pub(crate) enum SkeletonChild {
    Element(SkeletonElement),
    Text(Str),
    /// A child hole; an empty text node holds its place in the DOM copy.
    Hole(usize),
}

/// An element with holes: its path from the root (child positions), number in document
/// order, tag and holes.
pub(crate) struct ElementHoles {
    pub(crate) path: Box<[usize]>,
    pub(crate) index: u32,
    pub(crate) tag: Str,
    pub(crate) attr_holes: Box<[usize]>,
    /// Child holes: their positions among the element's children, their holes and their
    /// placeholders' numbers in document order.
    pub(crate) child_holes: Box<[(usize, usize, u32)]>,
}

/// What a hole may hold and still give one DOM node where the skeleton has one.
enum Rule {
    /// An attribute, property, listener or nothing.
    Attr,
    /// A non-empty text or one element; never a text next to another text (they would be one
    /// node): so no text at all `next_to_text` (a literal one), nor when hole `after` is one.
    Child {
        next_to_text: bool,
        after: Option<usize>,
    },
}

impl Skeleton {
    fn new(root: SkeletonElement, holes: usize) -> Self {
        let mut plan = Plan {
            rules: (0..holes).map(|_| Rule::Attr).collect(),
            clashes: Vec::new(),
            patches: Vec::new(),
        };
        plan.visit(&root, &mut Vec::new(), 0);
        let mut links = Vec::new();
        links_of(&root, 0, &mut links);
        let fill_links = fill_links(&links, &plan.patches);
        Skeleton {
            root,
            rules: plan.rules,
            clashes: plan.clashes,
            patches: plan.patches,
            links: links.into_boxed_slice(),
            fill_links,
        }
    }

    /// Whether these holes give the tree the skeleton describes: one DOM node per child,
    /// attributes that merge with nothing. Anything else is built as a tree.
    pub(crate) fn fits(&self, holes: &[Hole]) -> bool {
        holes.len() == self.rules.len()
            && self
                .rules
                .iter()
                .zip(holes)
                .all(|(rule, hole)| match (rule, hole) {
                    (Rule::Attr, Hole::Attr(_)) => true,
                    (
                        Rule::Child {
                            next_to_text,
                            after,
                        },
                        Hole::Child(AnyElement::Text(t)),
                    ) => {
                        !t.is_empty()
                            && !next_to_text
                            && !after.is_some_and(|j| {
                                matches!(holes[j], Hole::Child(AnyElement::Text(_)))
                            })
                    }
                    (
                        Rule::Child { .. },
                        Hole::Child(AnyElement::Node(_) | AnyElement::Lazy(_)),
                    ) => true,
                    _ => false,
                })
            && !self.clashes.iter().any(|c| c.clashes(holes))
    }
}

/// Appends the links (see [`Skeleton::links`]) of the nodes in `element`, numbered `index`.
fn links_of(element: &SkeletonElement, index: u32, links: &mut Vec<u32>) {
    let mut previous = None;
    for child in &element.children {
        let at = links.len() as u32 + 1;
        links.push(match previous {
            None => 2 * index + 1,
            Some(sibling) => 2 * sibling,
        });
        previous = Some(at);
        if let SkeletonChild::Element(e) = child {
            links_of(e, at, links);
        }
    }
}

/// `links` with only the nodes that holes write to, and those on the way to them, left in.
fn fill_links(links: &[u32], patches: &[ElementHoles]) -> Box<[u32]> {
    let mut needed = vec![false; links.len() + 1];
    let written = patches.iter().flat_map(|e| {
        let element = (!e.attr_holes.is_empty()).then_some(e.index);
        element
            .into_iter()
            .chain(e.child_holes.iter().map(|&(_, _, at)| at))
    });
    for mut k in written {
        // Links point to earlier nodes: each walk ends at the root.
        while k > 0 && !needed[k as usize] {
            needed[k as usize] = true;
            k = links[k as usize - 1] >> 1;
        }
    }
    links
        .iter()
        .zip(&needed[1..])
        .map(|(&link, &needed)| if needed { link } else { SKIPPED })
        .collect()
}

/// How many nodes `child` is, itself included.
fn size_of(child: &SkeletonChild) -> u32 {
    match child {
        SkeletonChild::Element(e) => 1 + e.children.iter().map(size_of).sum::<u32>(),
        SkeletonChild::Text(_) | SkeletonChild::Hole(_) => 1,
    }
}

/// What [`Skeleton::new`] works out once, so that each instance is checked and diffed
/// without walking the skeleton.
struct Plan {
    rules: Vec<Rule>,
    clashes: Vec<Check>,
    patches: Vec<ElementHoles>,
}

impl Plan {
    /// Records the rules, checks and patches of `element` (at `path`, numbered `index` in
    /// document order) and its descendants.
    fn visit(&mut self, element: &SkeletonElement, path: &mut Vec<usize>, index: u32) {
        if !element.has_holes {
            return;
        }
        let attr_holes = &element.attr_holes;
        if !attr_holes.holes.is_empty()
            && (!attr_holes.names.is_empty() || attr_holes.holes.len() > 1)
        {
            self.clashes.push(Check {
                holes: attr_holes.holes.clone(),
                names: attr_holes.names.clone(),
            });
        }
        let literal_text = |c: Option<&SkeletonChild>| matches!(c, Some(SkeletonChild::Text(_)));
        let mut child_holes = Vec::new();
        let mut child_index = index + 1;
        for (k, child) in element.children.iter().enumerate() {
            let at = child_index;
            child_index += size_of(child);
            match child {
                SkeletonChild::Element(e) => {
                    path.push(k);
                    self.visit(e, path, at);
                    path.pop();
                }
                SkeletonChild::Text(_) => {}
                SkeletonChild::Hole(h) => {
                    let before = k.checked_sub(1).and_then(|j| element.children.get(j));
                    self.rules[*h] = Rule::Child {
                        next_to_text: literal_text(before)
                            || literal_text(element.children.get(k + 1)),
                        after: match before {
                            Some(SkeletonChild::Hole(j)) => Some(*j),
                            _ => None,
                        },
                    };
                    child_holes.push((k, *h, at));
                }
            }
        }
        if attr_holes.holes.is_empty() && child_holes.is_empty() {
            // Holes only further down.
            return;
        }
        self.patches.push(ElementHoles {
            path: path.clone().into_boxed_slice(),
            index,
            tag: element.tag.clone(),
            attr_holes: attr_holes.holes.clone().into_boxed_slice(),
            child_holes: child_holes.into_boxed_slice(),
        });
    }
}

/// The compiled form of a template.
struct Compiled {
    /// Its markup, split at the holes.
    #[cfg(not(target_arch = "wasm32"))]
    ops: Vec<Op>,
    /// Elements with attribute holes, checked before writing anything.
    #[cfg(not(target_arch = "wasm32"))]
    checks: Vec<Check>,
    #[cfg(not(target_arch = "wasm32"))]
    holes: usize,
    /// Set when the template cannot be rendered from markup (an element call that is not a
    /// plain builder, constant attributes that merge): its instances are plain trees.
    fallback: bool,
    /// Set when its instances can be cloned.
    skeleton: Option<Skeleton>,
}

#[cfg(not(target_arch = "wasm32"))]
enum Op {
    Markup(Box<str>),
    Attr(usize),
    Child(usize),
}

/// An element whose attributes include holes: the names of its constant attributes.
#[derive(Default)]
pub(crate) struct Check {
    pub(crate) holes: Vec<usize>,
    names: Vec<String>,
}

impl Check {
    /// Whether a hole's attribute shares a name with another of the element's attributes, so
    /// that the tree would merge them.
    fn clashes(&self, holes: &[Hole]) -> bool {
        self.holes.iter().enumerate().any(|(k, &i)| {
            holes[i].attribute_name().is_some_and(|name| {
                self.names.iter().any(|n| n == name)
                    || self.holes[..k]
                        .iter()
                        .any(|&j| holes[j].attribute_name() == Some(name))
            })
        })
    }
}

#[cfg(not(target_arch = "wasm32"))]
impl Compiled {
    /// Writes the template with these holes, or returns `false` (having written nothing) when
    /// its tree must be rendered instead.
    fn render(&self, renderer: &mut Renderer<'_>, holes: &[Hole]) -> bool {
        if self.fallback
            || holes.len() != self.holes
            || self.checks.iter().any(|c| c.clashes(holes))
        {
            return false;
        }
        for op in &self.ops {
            match op {
                Op::Markup(markup) => renderer.markup(markup),
                Op::Attr(i) => {
                    if let Some(Hole::Attr(attr)) = holes.get(*i) {
                        // Elements with a value rendered specially (`textarea`, `select`) are
                        // never compiled, so the tag does not matter here.
                        renderer.attribute("", attr);
                    }
                }
                Op::Child(i) => {
                    if let Some(Hole::Child(child)) = holes.get(*i) {
                        renderer.element(child);
                    }
                }
            }
        }
        true
    }
}

/// Records a template's markup and skeleton; `view!` drives it, in source order.
#[derive(Default)]
pub struct Compiler {
    #[cfg(not(target_arch = "wasm32"))]
    ops: Vec<Op>,
    #[cfg(not(target_arch = "wasm32"))]
    markup: String,
    #[cfg(not(target_arch = "wasm32"))]
    checks: Vec<Check>,
    open: Vec<Open>,
    root: Option<SkeletonElement>,
    holes: usize,
    fallback: bool,
    /// Set when instances cannot be cloned from the skeleton (a property or a listener among
    /// the constants, texts that merge or vanish).
    unclonable: bool,
}

struct Open {
    attrs: Vec<Slot>,
    has_children: bool,
    element: SkeletonElement,
}

enum Slot {
    Constant(AnyAttribute),
    Hole(usize),
}

impl Compiler {
    /// Opens an element, given its builder called with no attributes and no children.
    pub fn open(&mut self, empty: Element<()>) {
        if let Some(parent) = self.open.last_mut() {
            parent.has_children = true;
        }
        let (tag, namespace) = match empty.any() {
            AnyElement::Node(node)
                if node.attrs.is_empty()
                    && node.listeners.is_empty()
                    && matches!(&node.children, Children::Plain(c) if c.is_empty()) =>
            {
                (node.tag.clone(), node.namespace)
            }
            // Not a plain element builder (a function of the app's with a builder's name):
            // render its instances as trees.
            other => {
                self.fallback = true;
                let tag = other.tag().unwrap_or("rally-template").to_owned();
                (Str::from(tag), Namespace::Html)
            }
        };
        if matches!(
            &*tag,
            "script" | "style" | "pre" | "textarea" | "listing" | "select" | "template"
        ) {
            self.fallback = true;
        }
        #[cfg(not(target_arch = "wasm32"))]
        {
            self.markup.push('<');
            self.markup.push_str(&tag);
        }
        self.open.push(Open {
            attrs: Vec::new(),
            has_children: false,
            element: SkeletonElement {
                tag,
                namespace,
                attrs: Attrs::new(),
                attr_holes: Check::default(),
                children: Vec::new(),
                has_holes: false,
            },
        });
    }

    /// A constant attribute of the open element.
    pub fn attr(&mut self, attr: Attribute<()>) {
        match self.open.last_mut() {
            Some(open) => open.attrs.push(Slot::Constant(attr.any)),
            None => self.fallback = true,
        }
    }

    /// An attribute hole of the open element.
    pub fn attr_hole(&mut self) {
        let hole = self.next_hole();
        match self.open.last_mut() {
            Some(open) => open.attrs.push(Slot::Hole(hole)),
            None => self.fallback = true,
        }
    }

    /// Ends the open element's attributes: its opening tag is complete but for the holes.
    pub fn end_attrs(&mut self) {
        let Some(open) = self.open.last_mut() else {
            self.fallback = true;
            return;
        };
        let slots = std::mem::take(&mut open.attrs);
        let holes: Vec<usize> = slots
            .iter()
            .filter_map(|s| match s {
                Slot::Hole(i) => Some(*i),
                Slot::Constant(_) => None,
            })
            .collect();
        let names: Vec<String> = slots
            .iter()
            .filter_map(|s| match s {
                Slot::Constant(AnyAttribute::Attr { name, .. }) => Some(name.to_string()),
                Slot::Constant(AnyAttribute::Prop { name, .. }) => Some((*name).to_owned()),
                _ => None,
            })
            .collect();
        // Constants that merge with each other around a hole are left to the tree.
        if !holes.is_empty()
            && names
                .iter()
                .enumerate()
                .any(|(i, n)| names[..i].contains(n))
        {
            self.fallback = true;
        }
        #[cfg(not(target_arch = "wasm32"))]
        if !holes.is_empty() {
            markup_around_holes(&slots, &mut self.markup, &mut self.ops);
            self.checks.push(Check {
                holes: holes.clone(),
                names: names.clone(),
            });
        }
        let mut constants = AttrSet::new();
        for slot in slots {
            if let Slot::Constant(a) = slot {
                constants.push_any(a);
            }
        }
        let attrs = merge_attrs(constants.attrs);
        #[cfg(not(target_arch = "wasm32"))]
        {
            // All constant: merged as the tree merges them, once.
            if holes.is_empty() {
                for attr in &attrs {
                    render_attr_into(attr, &mut self.markup);
                }
            }
            self.markup.push('>');
        }
        if !constants.listeners.is_empty() || attrs.iter().any(|a| matches!(a, Attr::Prop { .. })) {
            // A clone carries neither.
            self.unclonable = true;
        }
        open.element.has_holes = !holes.is_empty();
        open.element.attrs = attrs;
        open.element.attr_holes = Check { holes, names };
    }

    /// A constant child (a literal text) of the open element.
    pub fn child(&mut self, child: Element<()>) {
        self.mark_child();
        #[cfg(not(target_arch = "wasm32"))]
        render_any_into(child.any(), &mut self.markup);
        let child = match child.into_any() {
            AnyElement::Text(t) if !t.is_empty() => SkeletonChild::Text(t),
            _ => {
                self.unclonable = true;
                return;
            }
        };
        if let Some(open) = self.open.last_mut() {
            if matches!(open.element.children.last(), Some(SkeletonChild::Text(_))) {
                // Two literal texts in a row are one DOM node.
                self.unclonable = true;
            }
            open.element.children.push(child);
        }
    }

    /// A child hole of the open element.
    pub fn child_hole(&mut self) {
        self.mark_child();
        let hole = self.next_hole();
        #[cfg(not(target_arch = "wasm32"))]
        {
            flush(&mut self.markup, &mut self.ops);
            self.ops.push(Op::Child(hole));
        }
        if let Some(open) = self.open.last_mut() {
            open.element.children.push(SkeletonChild::Hole(hole));
            open.element.has_holes = true;
        }
    }

    /// Closes the open element.
    pub fn close(&mut self) {
        let Some(open) = self.open.pop() else {
            self.fallback = true;
            return;
        };
        if is_void(&open.element.tag) {
            // The renderer leaves a void element unclosed only when it has no children.
            if open.has_children {
                self.fallback = true;
            }
        } else {
            #[cfg(not(target_arch = "wasm32"))]
            {
                self.markup.push_str("</");
                self.markup.push_str(&open.element.tag);
                self.markup.push('>');
            }
        }
        let element = open.element;
        match self.open.last_mut() {
            Some(parent) => {
                parent.element.has_holes |= element.has_holes;
                parent
                    .element
                    .children
                    .push(SkeletonChild::Element(element));
            }
            None if self.root.is_none() => self.root = Some(element),
            None => self.fallback = true,
        }
    }

    fn mark_child(&mut self) {
        match self.open.last_mut() {
            Some(open) => open.has_children = true,
            None => self.fallback = true,
        }
    }

    fn next_hole(&mut self) -> usize {
        self.holes += 1;
        self.holes - 1
    }

    fn finish(self) -> Compiled {
        let fallback = self.fallback || !self.open.is_empty();
        let skeleton = match self.root {
            Some(root) if !fallback && !self.unclonable => Some(Skeleton::new(root, self.holes)),
            _ => None,
        };
        Compiled {
            #[cfg(not(target_arch = "wasm32"))]
            ops: {
                let (mut markup, mut ops) = (self.markup, self.ops);
                flush(&mut markup, &mut ops);
                ops
            },
            #[cfg(not(target_arch = "wasm32"))]
            checks: self.checks,
            #[cfg(not(target_arch = "wasm32"))]
            holes: self.holes,
            fallback,
            skeleton,
        }
    }
}

/// An opening tag's attributes, in source order around its holes.
#[cfg(not(target_arch = "wasm32"))]
fn markup_around_holes(slots: &[Slot], markup: &mut String, ops: &mut Vec<Op>) {
    for slot in slots {
        match slot {
            Slot::Constant(attr) => render_attribute_into(attr, markup),
            Slot::Hole(i) => {
                flush(markup, ops);
                ops.push(Op::Attr(*i));
            }
        }
    }
}

/// Ends the markup before a hole.
#[cfg(not(target_arch = "wasm32"))]
fn flush(markup: &mut String, ops: &mut Vec<Op>) {
    if !markup.is_empty() {
        ops.push(Op::Markup(std::mem::take(markup).into_boxed_str()));
    }
}
