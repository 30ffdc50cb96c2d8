//! Compiled templates: what [`view!`](crate::view) becomes on the server.
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
//! expression with the holes' values put back. Whatever needs a tree (a diff, hydration, a
//! test looking for an element) builds it from that expression, so the tree is the one the
//! plain expression builds. The renderer writes the markup directly instead, unless a hole
//! could have merged with another attribute (two `class`es, a repeated name): then it renders
//! the tree, because the merge rules live there. In the browser `view!` is the plain
//! expression and none of this is compiled in.

use std::cell::Cell;
use std::sync::OnceLock;

use crate::lazy::Thunk;
use crate::render::{Renderer, is_void, render_attr_into, render_attribute_into, render_into};
use crate::vdom::{Attribute, Children, Element, collect_attrs, merge_attrs};

/// The constant markup of one `view!` call, compiled on first use.
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
}

/// One value of a template that can change between renders.
pub enum Hole<Msg> {
    /// An attribute, property or listener that is not a literal (`on_click(..)`, a
    /// conditional class).
    Attr(Attribute<Msg>),
    /// A child that is not a literal text or an element call the macro could see into.
    Child(Element<Msg>),
}

impl<Msg> Hole<Msg> {
    /// The attribute in an attribute hole; nothing for anything else (which `view!` never
    /// passes).
    pub fn into_attr(hole: Option<Self>) -> Attribute<Msg> {
        match hole {
            Some(Hole::Attr(attr)) => attr,
            _ => Attribute::None,
        }
    }

    /// The element in a child hole; nothing for anything else (which `view!` never passes).
    pub fn into_child(hole: Option<Self>) -> Element<Msg> {
        match hole {
            Some(Hole::Child(child)) => child,
            _ => Element::none(),
        }
    }

    /// The name of an attribute hole that renders as an attribute.
    fn attribute_name(&self) -> Option<&str> {
        match self {
            Hole::Attr(Attribute::Attr { name, .. }) => Some(name),
            Hole::Attr(Attribute::Prop { name, .. }) => Some(name),
            _ => None,
        }
    }
}

/// A template's element: `rebuild(holes)` is the view expression itself, called when a tree
/// is needed.
pub fn template<Msg, F>(def: &'static Def, holes: Vec<Hole<Msg>>, rebuild: F) -> Element<Msg>
where
    Msg: 'static,
    F: Fn(Vec<Hole<Msg>>) -> Element<Msg> + 'static,
{
    if def.compiled().fallback {
        return rebuild(holes);
    }
    crate::lazy::from_thunk(Instance {
        def,
        holes: Cell::new(holes),
        rebuild,
    })
}

/// A template with its holes: four words when `rebuild` captures nothing, so it sits in the
/// lazy node without an allocation of its own.
struct Instance<Msg, F> {
    def: &'static Def,
    holes: Cell<Vec<Hole<Msg>>>,
    rebuild: F,
}

impl<Msg, F> Thunk<Msg> for Instance<Msg, F>
where
    Msg: 'static,
    F: Fn(Vec<Hole<Msg>>) -> Element<Msg> + 'static,
{
    fn build(&self) -> Element<Msg> {
        (self.rebuild)(self.holes.take())
    }

    fn same_as(&self, _: &dyn Thunk<Msg>) -> bool {
        // Holes are not comparable; a template is rebuilt and diffed like the plain tree.
        false
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }

    fn render_html(&self, renderer: &mut Renderer<'_>) -> bool {
        let holes = self.holes.take();
        let done = self.def.compiled().render(renderer, &holes);
        self.holes.set(holes);
        done
    }
}

/// The markup of a template, split at its holes.
struct Compiled {
    ops: Vec<Op>,
    /// Elements with attribute holes, checked before writing anything.
    checks: Vec<Check>,
    holes: usize,
    /// Set when the template cannot be rendered from markup (an element call that is not a
    /// plain builder, constant attributes that merge): its instances are plain trees.
    fallback: bool,
}

enum Op {
    Markup(Box<str>),
    Attr(usize),
    Child(usize),
}

/// An element whose attributes include holes: the names of its constant attributes.
struct Check {
    holes: Vec<usize>,
    names: Vec<String>,
}

impl Check {
    /// Whether a hole's attribute shares a name with another of the element's attributes, so
    /// that the tree would merge them.
    fn clashes<Msg>(&self, holes: &[Hole<Msg>]) -> bool {
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

impl Compiled {
    /// Writes the template with these holes, or returns `false` (having written nothing) when
    /// its tree must be rendered instead.
    fn render<Msg>(&self, renderer: &mut Renderer<'_>, holes: &[Hole<Msg>]) -> bool {
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

/// Records a template's markup; `view!` drives it, in source order.
#[derive(Default)]
pub struct Compiler {
    ops: Vec<Op>,
    markup: String,
    open: Vec<Open>,
    checks: Vec<Check>,
    holes: usize,
    fallback: bool,
}

struct Open {
    tag: String,
    attrs: Vec<Slot>,
    has_children: bool,
}

enum Slot {
    Constant(Attribute<()>),
    Hole(usize),
}

impl Compiler {
    /// Opens an element, given its builder called with no attributes and no children.
    pub fn open(&mut self, empty: Element<()>) {
        if let Some(parent) = self.open.last_mut() {
            parent.has_children = true;
        }
        let tag = match &empty {
            Element::Node(node)
                if node.attrs.is_empty()
                    && matches!(&node.children, Children::Plain(c) if c.is_empty()) =>
            {
                node.tag.to_string()
            }
            // Not a plain element builder (a function of the app's with a builder's name):
            // render its instances as trees.
            other => {
                self.fallback = true;
                other.tag().unwrap_or("rally-template").to_owned()
            }
        };
        if matches!(
            tag.as_str(),
            "script" | "style" | "pre" | "textarea" | "listing" | "select" | "template"
        ) {
            self.fallback = true;
        }
        self.markup.push('<');
        self.markup.push_str(&tag);
        self.open.push(Open {
            tag,
            attrs: Vec::new(),
            has_children: false,
        });
    }

    /// A constant attribute of the open element.
    pub fn attr(&mut self, attr: Attribute<()>) {
        match self.open.last_mut() {
            Some(open) => open.attrs.push(Slot::Constant(attr)),
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
        if holes.is_empty() {
            // All constant: merged as the tree merges them, once.
            let constants = collect_attrs(slots.into_iter().filter_map(|s| match s {
                Slot::Constant(a) => Some(a),
                Slot::Hole(_) => None,
            }));
            for attr in merge_attrs(constants.attrs) {
                render_attr_into(&attr, &mut self.markup);
            }
        } else {
            let names: Vec<String> = slots
                .iter()
                .filter_map(|s| match s {
                    Slot::Constant(Attribute::Attr { name, .. }) => Some(name.to_string()),
                    Slot::Constant(Attribute::Prop { name, .. }) => Some((*name).to_owned()),
                    _ => None,
                })
                .collect();
            // Constants that merge with each other around a hole are left to the tree.
            if names
                .iter()
                .enumerate()
                .any(|(i, n)| names[..i].contains(n))
            {
                self.fallback = true;
            }
            for slot in slots {
                match slot {
                    Slot::Constant(attr) => render_attribute_into(&attr, &mut self.markup),
                    Slot::Hole(i) => {
                        self.flush();
                        self.ops.push(Op::Attr(i));
                    }
                }
            }
            self.checks.push(Check { holes, names });
        }
        self.markup.push('>');
    }

    /// A constant child (a literal text) of the open element.
    pub fn child(&mut self, child: Element<()>) {
        self.mark_child();
        render_into(&child, &mut self.markup);
    }

    /// A child hole of the open element.
    pub fn child_hole(&mut self) {
        self.mark_child();
        let hole = self.next_hole();
        self.flush();
        self.ops.push(Op::Child(hole));
    }

    /// Closes the open element.
    pub fn close(&mut self) {
        let Some(open) = self.open.pop() else {
            self.fallback = true;
            return;
        };
        if is_void(&open.tag) {
            // The renderer leaves a void element unclosed only when it has no children.
            if open.has_children {
                self.fallback = true;
            }
            return;
        }
        self.markup.push_str("</");
        self.markup.push_str(&open.tag);
        self.markup.push('>');
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

    fn flush(&mut self) {
        if !self.markup.is_empty() {
            let markup = std::mem::take(&mut self.markup);
            self.ops.push(Op::Markup(markup.into_boxed_str()));
        }
    }

    fn finish(mut self) -> Compiled {
        self.flush();
        Compiled {
            ops: self.ops,
            checks: self.checks,
            holes: self.holes,
            fallback: self.fallback || !self.open.is_empty(),
        }
    }
}
