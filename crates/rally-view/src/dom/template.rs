//! Templates: a keyed list's new items are cloned from an earlier item of the same shape.
//!
//! Creating an element costs about four calls into the DOM (create it, set each attribute,
//! append it), so a table row of eight elements and two texts took ~30 calls, where hand-written
//! JavaScript clones a template row (`cloneNode(true)`) and writes its two texts. Script time
//! for creating rows was 2.3× vanilla's in the js-framework-benchmark (bench/README).
//!
//! The items of a keyed list are usually made by one view function, so they share their
//! *shape*: the same tags, attribute names and text positions, with different values. When a
//! list creates an item whose shape it has created twice before, it clones a pristine copy of
//! the second one and walks the copy alongside the view: it sets only the attribute values and
//! texts that differ from the copy's, binds the listeners (clones carry none), and reads each
//! node's handle with `firstChild`/`nextSibling` for the mounted tree. A row then takes one
//! clone, one handle read per node, and a write per value that changed.
//!
//! The shape is a byte string, compared exactly, so two shapes never get confused. Templates
//! are kept for a few shapes only ([`CAPACITY`]), looked up by a linear scan: lists have one
//! or two shapes (a selected row), and a scan needs no second hash table in the bundle. A shape
//! seen once is remembered without a copy, so a subtree created once (most of a page) costs
//! no clone. Small items (fewer than [`MIN_NODES`] nodes), raw HTML and `<script>`/`<style>`
//! text are created directly.

use std::rc::Rc;

use super::{Backend, Dom, Mounted};
use crate::render::is_raw_text;
use crate::vdom::{AnyElement, Attr, AttrValue, Children, Node, Str};

/// Shapes remembered per rendered container; the oldest are dropped beyond this.
const CAPACITY: usize = 8;

/// Items with fewer nodes than this are cheaper to create than to clone and walk.
const MIN_NODES: usize = 4;

/// The shapes a container's lists created, and copies to clone for the frequent ones.
pub(crate) struct Templates<N> {
    entries: Vec<(Vec<u8>, Entry<N>)>,
    /// The shape being looked up; kept to reuse its allocation.
    scratch: Vec<u8>,
    /// DOM copies of `view!` templates' skeletons (`compiled.rs`), by definition.
    #[cfg(rally_templates)]
    pub(super) compiled: Vec<(&'static crate::compiled::Def, N)>,
    /// The writes to the `view!` instance being created or patched; kept to reuse its
    /// buffers.
    #[cfg(rally_templates)]
    pub(super) ops: super::TemplateOps,
}

enum Entry<N> {
    /// Created once: the next one makes a template.
    SeenOnce,
    Ready(Rc<Template<N>>),
}

/// A detached copy of an item, and the attribute values and texts it holds, in view order.
struct Template<N> {
    node: N,
    values: Vec<Str>,
}

impl<N> Default for Templates<N> {
    fn default() -> Self {
        Templates {
            entries: Vec::new(),
            scratch: Vec::new(),
            #[cfg(rally_templates)]
            compiled: Vec::new(),
            #[cfg(rally_templates)]
            ops: super::TemplateOps::default(),
        }
    }
}

impl<Msg: Clone + 'static, B: Backend> Dom<Msg, B> {
    /// Creates an item of a keyed list, from a template when its shape is a frequent one.
    pub(crate) fn create_item(
        &mut self,
        parent_tag: &str,
        element: &AnyElement,
    ) -> Mounted<B::Node> {
        match element {
            AnyElement::Node(n) => self.create_item_node(parent_tag, element, n),
            AnyElement::Lazy(l) => {
                #[cfg(rally_templates)]
                if let Some(mounted) = self.create_compiled(l) {
                    return mounted;
                }
                let built = l.force();
                match &*built {
                    AnyElement::Node(n) => self.create_item_node(parent_tag, &built, n),
                    // A lazy row whose view is a `view!` template.
                    lazy @ AnyElement::Lazy(_) => self.create_item(parent_tag, lazy),
                    other => self.create(parent_tag, other),
                }
            }
            other => self.create(parent_tag, other),
        }
    }

    fn create_item_node(
        &mut self,
        parent_tag: &str,
        element: &AnyElement,
        n: &Node,
    ) -> Mounted<B::Node> {
        // Cloning is `dom-templates`' (docs/adr/0063): without it every item is created node by
        // node, and the shapes, copies and walks below are not in the bundle.
        if !cfg!(rally_templates) {
            return self.create(parent_tag, element);
        }
        let mut shape = std::mem::take(&mut self.templates.scratch);
        shape.clear();
        let mounted = if shape_of(n, &mut shape).is_some_and(|nodes| nodes >= MIN_NODES) {
            self.create_shaped(parent_tag, element, n, &shape)
        } else {
            self.create(parent_tag, element)
        };
        self.templates.scratch = shape;
        mounted
    }

    /// Creates an item of shape `shape`: cloned when a template is ready, else created and
    /// remembered (the second time, with a copy to clone next time).
    fn create_shaped(
        &mut self,
        parent_tag: &str,
        element: &AnyElement,
        n: &Node,
        shape: &[u8],
    ) -> Mounted<B::Node> {
        let entries = &mut self.templates.entries;
        match entries.iter().find(|(s, _)| s == shape).map(|(_, e)| e) {
            Some(Entry::Ready(template)) => {
                let template = Rc::clone(template);
                let node = self.backend.clone_node(&template.node);
                self.adopt(node, n, &mut template.values.iter())
            }
            Some(Entry::SeenOnce) => {
                let mounted = self.create(parent_tag, element);
                let mut values = Vec::new();
                values_of(n, &mut values);
                let template = Template {
                    node: self.backend.clone_node(&mounted.node),
                    values,
                };
                // Creating the item may have created lists inside it, whose shapes moved or
                // evicted this entry: look it up again.
                if let Some((_, entry)) =
                    self.templates.entries.iter_mut().find(|(s, _)| s == shape)
                {
                    *entry = Entry::Ready(Rc::new(template));
                }
                mounted
            }
            None => {
                if entries.len() == CAPACITY {
                    entries.remove(0);
                }
                entries.push((shape.to_vec(), Entry::SeenOnce));
                self.create(parent_tag, element)
            }
        }
    }

    /// Makes `node`, a clone of a template of `n`'s shape, show `n`: writes the values that
    /// differ from the template's (`values`, in view order), binds listeners, and mounts the
    /// clone's nodes.
    fn adopt<'v>(
        &mut self,
        node: B::Node,
        n: &Node,
        values: &mut impl Iterator<Item = &'v Str>,
    ) -> Mounted<B::Node> {
        for attr in &n.attrs {
            match attr {
                Attr::Attr {
                    name,
                    value: AttrValue::Str(v),
                } => {
                    if values.next() != Some(v) {
                        self.backend.set_attribute(&node, name, v);
                    }
                }
                // Part of the shape: present on the clone exactly when set here.
                Attr::Attr { .. } => {}
                // Properties are not copied by a clone.
                Attr::Prop { name, value } => self.backend.set_property(&node, name, value),
            }
        }
        // Clones carry no listeners.
        let slot = self.bind_listeners(&node, None, &n.listeners);
        let mut children = Vec::new();
        // Each handle read is a call into JS and a slot in the externref table: none is made
        // for a child that is not there (a leaf's first child, a last child's sibling).
        let mut next = match &n.children {
            Children::Plain(c) if c.is_empty() => None,
            Children::Keyed(c) if c.is_empty() => None,
            _ => self.backend.present_first_child(&node),
        };
        match &n.children {
            Children::Plain(c) => {
                for (i, e) in c.iter().enumerate() {
                    let last = i + 1 == c.len();
                    self.adopt_child(&mut next, last, e, values, &mut children);
                }
            }
            Children::Keyed(c) => {
                for (i, (_, e)) in c.iter().enumerate() {
                    let last = i + 1 == c.len();
                    self.adopt_child(&mut next, last, e, values, &mut children);
                }
            }
            // Not templated (see `shape_of`).
            Children::LazyKeyed(_) => {}
            Children::Text(t) => {
                if let Some(handle) = next {
                    children.push(self.adopt_text(handle, t, values));
                }
            }
            // Not templated (see `shape_of`).
            Children::RawHtml(_) => {}
        }
        Mounted::new(node, slot, children)
    }

    /// Mounts the clone's node `next` as `element`, and moves `next` to its sibling unless
    /// it is the `last` child.
    fn adopt_child<'v>(
        &mut self,
        next: &mut Option<B::Node>,
        last: bool,
        element: &AnyElement,
        values: &mut impl Iterator<Item = &'v Str>,
        children: &mut Vec<Mounted<B::Node>>,
    ) {
        let Some(handle) = next.take() else {
            return;
        };
        if !last {
            *next = self.backend.present_next_sibling(&handle);
        }
        let mounted = match element {
            AnyElement::Text(t) => self.adopt_text(handle, t, values),
            AnyElement::Node(n) => self.adopt(handle, n, values),
            AnyElement::Lazy(l) => match &*l.force() {
                AnyElement::Node(n) => self.adopt(handle, n, values),
                // A lazy child that is not one node is not part of a templated shape.
                _ => Mounted::leaf(handle),
            },
            // Not part of a templated shape either.
            AnyElement::Fragment(_) => Mounted::leaf(handle),
        };
        children.push(mounted);
    }

    fn adopt_text<'v>(
        &mut self,
        node: B::Node,
        text: &Str,
        values: &mut impl Iterator<Item = &'v Str>,
    ) -> Mounted<B::Node> {
        if values.next() != Some(text) {
            self.backend.set_text(&node, text);
        }
        Mounted::leaf(node)
    }
}

/// Appends `n`'s shape to `out`: tags, namespaces, attribute names (and which boolean ones are
/// on), property names, and where texts and elements sit. Returns the number of nodes, or
/// `None` when the subtree is not templated: raw HTML, `<script>` and `<style>` text, and
/// fragments or lazy nodes that do not build one element.
fn shape_of(n: &Node, out: &mut Vec<u8>) -> Option<usize> {
    if is_raw_text(&n.tag) {
        return None;
    }
    out.push(b'<');
    out.extend_from_slice(n.tag.as_bytes());
    out.push(n.namespace as u8);
    for attr in &n.attrs {
        let (kind, name): (u8, &str) = match attr {
            Attr::Attr {
                name,
                value: AttrValue::Str(_),
            } => (b'a', name),
            Attr::Attr {
                name,
                value: AttrValue::Bool(true),
            } => (b'b', name),
            Attr::Prop { name, .. } => (b'p', name),
            Attr::Attr { .. } => continue,
        };
        out.push(kind);
        out.extend_from_slice(name.as_bytes());
        out.push(0);
    }
    out.push(b'>');
    let mut nodes = 1;
    let mut child = |e: &AnyElement, out: &mut Vec<u8>| -> Option<()> {
        match e {
            AnyElement::Text(_) => {
                out.push(b'"');
                nodes += 1;
            }
            AnyElement::Node(n) => nodes += shape_of(n, out)?,
            AnyElement::Lazy(l) => match &*l.force() {
                AnyElement::Node(n) => nodes += shape_of(n, out)?,
                _ => return None,
            },
            AnyElement::Fragment(_) => return None,
        }
        Some(())
    };
    match &n.children {
        Children::Plain(c) => c.iter().try_for_each(|e| child(e, out))?,
        Children::Keyed(c) => c.iter().try_for_each(|(_, e)| child(e, out))?,
        // Rows built on demand: a list of lists is not worth a template.
        Children::LazyKeyed(_) => return None,
        Children::Text(_) => {
            out.push(b'"');
            nodes += 1;
        }
        Children::RawHtml(_) => return None,
    }
    out.push(b'/');
    Some(nodes)
}

/// `n`'s attribute values and texts, in the order [`Dom::adopt`] meets them.
fn values_of(n: &Node, out: &mut Vec<Str>) {
    for attr in &n.attrs {
        if let Attr::Attr {
            value: AttrValue::Str(v),
            ..
        } = attr
        {
            out.push(v.clone());
        }
    }
    let child = |e: &AnyElement, out: &mut Vec<Str>| match e {
        AnyElement::Text(t) => out.push(t.clone()),
        AnyElement::Node(n) => values_of(n, out),
        AnyElement::Lazy(l) => {
            if let AnyElement::Node(n) = &*l.force() {
                values_of(n, out)
            }
        }
        AnyElement::Fragment(_) => {}
    };
    match &n.children {
        Children::Plain(c) => c.iter().for_each(|e| child(e, out)),
        Children::Keyed(c) => c.iter().for_each(|(_, e)| child(e, out)),
        Children::LazyKeyed(_) => {}
        Children::Text(t) => out.push(t.clone()),
        Children::RawHtml(_) => {}
    }
}
