//! `view!` templates in the DOM: instances cloned from one copy, diffed hole by hole.
//!
//! A keyed list's rows are nearly always one `view!` call. Building each row's tree only to
//! compare it with a template's shape (`template.rs`) and drop it was a fifth of creating a
//! 1,000-row table's script time, and updating a row built and diffed two whole trees where a
//! label changed. The macro already knows which parts of the row never change, so the DOM
//! works from that instead (docs/adr/0046):
//!
//! - **Creating** a list item that is a template instance clones a DOM copy of its skeleton
//!   (made once per template and container) and fills in the holes: attribute values,
//!   properties, listeners, texts, and any other child created as usual in its
//!   placeholder's place.
//! - **Diffing** two instances of one template compares their holes only; the constant parts
//!   cannot differ.
//!
//! Both need the holes to give the tree the skeleton describes ([`Skeleton::fits`]); anything
//! else (a hole that is a fragment, a class that would merge with a constant one) is built as
//! a tree, as are instances outside lists, hydrated ones and mapped ones. The mounted nodes
//! are the same either way, so the two paths can follow each other in any order.
//!
//! An instance whose holes only write to its clone's nodes ([`writes_only`]) goes further
//! (docs/adr/0047): it is cloned and filled in with one call into the backend
//! ([`Backend::clone_with`]) and mounted with its root's handle only ([`Compact`]); a patch
//! reaches a node the first time it writes to it, and a diff that needs the tree mounts the
//! descendants from the DOM first ([`Dom::mount_descendants`]).

use super::ops::Linked;
use super::{Backend, Dom, EMPTY, Mounted};
use crate::compiled::{
    Def, ElementHoles, Hole, InstanceRef, Skeleton, SkeletonChild, SkeletonElement,
};
use crate::lazy::Lazy;
use crate::vdom::{AnyAttribute, AnyElement, Attr, AttrValue, Listener, PropValue, Str};

/// Templates whose DOM copies a container keeps; the oldest are dropped beyond this.
const CAPACITY: usize = 8;

/// What a `view!` instance mounted without its descendants' handles keeps instead: its
/// template, the listener slots of its elements below the root (by number in document
/// order; the root's is the mounted node's own), and the handles of the nodes patched so far.
pub(crate) struct Compact<N> {
    def: &'static Def,
    pub(super) slots: Vec<(u32, u32)>,
    handles: Vec<(u32, N)>,
}

impl<N> Compact<N> {
    /// How many nodes the instance has below its root.
    pub(super) fn nodes(&self) -> usize {
        self.def.skeleton().map_or(0, |s| s.links.len())
    }

    fn slot(&self, node: u32) -> Option<u32> {
        self.slots.iter().find(|(n, _)| *n == node).map(|(_, s)| *s)
    }

    fn set_slot(&mut self, node: u32, slot: Option<u32>) {
        self.slots.retain(|(n, _)| *n != node);
        if let Some(slot) = slot {
            self.slots.push((node, slot));
        }
    }

    /// Node `k` of the instance rooted at `root`, reached the first time it is asked for.
    fn node<'a, B: Backend<Node = N>>(
        &'a mut self,
        backend: &B,
        root: &'a N,
        links: &[u32],
        k: u32,
    ) -> Option<&'a N> {
        if k == 0 {
            return Some(root);
        }
        let i = match self.handles.iter().position(|(n, _)| *n == k) {
            Some(i) => i,
            None => {
                self.handles.push((k, backend.node_at(root, links, k)?));
                self.handles.len() - 1
            }
        };
        Some(&self.handles[i].1)
    }
}

impl<Msg: Clone + 'static, B: Backend> Dom<Msg, B> {
    /// Creates a list item from its template's DOM copy, when it is an instance that fits it.
    pub(super) fn create_compiled(&mut self, lazy: &Lazy) -> Option<Mounted<B::Node>> {
        let instance = lazy.instance()?;
        let skeleton = instance.def.skeleton()?;
        instance.with_holes(|holes| {
            if !skeleton.fits(holes) {
                return None;
            }
            let copy = self.copy_of(instance.def, skeleton);
            if writes_only(holes) {
                return Some(self.create_compact(&copy, instance.def, skeleton, holes));
            }
            let node = self.backend.clone_node(&copy);
            Some(self.fill(node, &skeleton.root, holes))
        })
    }

    /// Diffs two instances of one template hole by hole; `false` (having done nothing) when
    /// they are not both unbuilt instances of one template that fit it.
    pub(super) fn patch_compiled(
        &mut self,
        old: &Lazy,
        m: &mut Mounted<B::Node>,
        new: &Lazy,
    ) -> bool {
        let (Some(old), Some(new)) = (old.instance(), new.instance()) else {
            return false;
        };
        if !std::ptr::eq(old.def, new.def) {
            return false;
        }
        let Some(skeleton) = new.def.skeleton() else {
            return false;
        };
        old_and_new(&old, &new, |old, new| {
            // An instance mounted compactly fitted when it was created.
            if !(m.compact.is_some() || skeleton.fits(old)) || !skeleton.fits(new) {
                return false;
            }
            if m.compact.is_some() {
                if writes_only(old) && writes_only(new) {
                    self.patch_compact(skeleton, m, old, new);
                    return true;
                }
                self.mount_descendants(m);
            }
            for element in &skeleton.patches {
                self.patch_holes(element, m, old, new);
            }
            true
        })
    }

    /// Creates an instance whose holes are all writes (see [`writes_only`]): a clone of its
    /// copy with the writes applied in one batch, mounted without its descendants.
    fn create_compact(
        &mut self,
        copy: &B::Node,
        def: &'static Def,
        skeleton: &Skeleton,
        holes: &[Hole],
    ) -> Mounted<B::Node> {
        let mut ops = std::mem::take(&mut self.templates.ops);
        ops.start(&skeleton.fill_links);
        let mut root_slot = None;
        let mut slots = Vec::new();
        for element in &skeleton.patches {
            let at = element.index;
            for attr in attr_holes(&element.attr_holes, holes) {
                match attr {
                    // A clone carries no properties.
                    AnyAttribute::Prop { name, value } => ops.set_property(at, name, value),
                    _ => {
                        if let Some((name, value)) = present(attr) {
                            ops.set_attribute(at, name, text_of(value));
                        }
                    }
                }
            }
            let slot = self.hold_listeners(None, listeners(&element.attr_holes, holes));
            if let Some(slot) = slot {
                ops.slot(at, slot);
                match at {
                    0 => root_slot = Some(slot),
                    _ => slots.push((at, slot)),
                }
            }
            for &(_, h, text_at) in &element.child_holes {
                if let Hole::Child(AnyElement::Text(t)) = &holes[h] {
                    ops.text(text_at, t);
                }
            }
        }
        let node = self.backend.clone_with(copy, &ops);
        self.templates.ops = ops;
        let mut mounted = Mounted::new(node, root_slot, Vec::new());
        mounted.compact = Some(Box::new(Compact {
            def,
            slots,
            handles: Vec::new(),
        }));
        mounted
    }

    /// Diffs two instances whose holes are all writes, on an instance mounted without its
    /// descendants: a node written to is reached from the root in one call the first time
    /// and kept, so that a row edited again costs what a mounted tree's edit does.
    fn patch_compact(
        &mut self,
        skeleton: &Skeleton,
        m: &mut Mounted<B::Node>,
        old: &[Hole],
        new: &[Hole],
    ) {
        let Mounted {
            node: root,
            slot,
            compact: Some(compact),
            ..
        } = m
        else {
            return;
        };
        let links = &skeleton.links;
        for element in &skeleton.patches {
            if !element.attr_holes.is_empty() {
                let mut place = Place::Compact {
                    root,
                    root_slot: &mut *slot,
                    compact: &mut **compact,
                    links,
                    at: element.index,
                };
                self.patch_attr_holes(&element.attr_holes, &mut place, old, new);
            }
            for &(_, h, text_at) in &element.child_holes {
                if let (Hole::Child(AnyElement::Text(a)), Hole::Child(AnyElement::Text(b))) =
                    (&old[h], &new[h])
                    && a != b
                    && let Some(node) = compact.node(&self.backend, root, links, text_at)
                {
                    self.backend.set_text(node, b);
                }
            }
        }
    }

    /// Mounts the descendants of an instance mounted without them, from the DOM, so that
    /// it can be diffed as a tree.
    pub(super) fn mount_descendants(&mut self, m: &mut Mounted<B::Node>) {
        let Some(compact) = m.compact.take() else {
            return;
        };
        let Some(skeleton) = compact.def.skeleton() else {
            return;
        };
        let mut linked = Linked::new(m.node.clone(), &skeleton.links);
        let mut nodes = (1..=skeleton.links.len() as u32)
            .map_while(|k| linked.get(&self.backend, k))
            .collect::<Vec<_>>()
            .into_iter();
        m.children = mount_children(&skeleton.root, &mut nodes, &mut 0, &compact);
    }

    /// The DOM copy of `def`'s skeleton, made on first use.
    fn copy_of(&mut self, def: &'static Def, skeleton: &Skeleton) -> B::Node {
        let copies = &self.templates.compiled;
        if let Some((_, node)) = copies.iter().find(|(d, _)| std::ptr::eq(*d, def)) {
            return node.clone();
        }
        let node = self.build_copy(&skeleton.root);
        let copies = &mut self.templates.compiled;
        if copies.len() == CAPACITY {
            copies.remove(0);
        }
        copies.push((def, node.clone()));
        node
    }

    fn build_copy(&mut self, element: &SkeletonElement) -> B::Node {
        let node = self.backend.create_element(&element.tag, element.namespace);
        for attr in &element.attrs {
            if let Attr::Attr { name, value } = attr {
                self.write_attr(&node, name, value);
            }
        }
        for child in &element.children {
            let child = match child {
                SkeletonChild::Element(e) => self.build_copy(e),
                SkeletonChild::Text(t) => self.backend.create_text(t),
                SkeletonChild::Hole(_) => self.backend.create_text(&EMPTY),
            };
            self.backend.insert_before(&node, &child, None);
        }
        node
    }

    /// Makes `node`, a clone of `element`'s copy, show `holes`, and mounts it.
    fn fill(
        &mut self,
        node: B::Node,
        element: &SkeletonElement,
        holes: &[Hole],
    ) -> Mounted<B::Node> {
        if !element.has_holes && element.children.is_empty() {
            return Mounted::leaf(node);
        }
        for attr in attr_holes(&element.attr_holes.holes, holes) {
            match attr {
                AnyAttribute::Attr { name, value } => self.write_attr(&node, name, value),
                // A clone carries no properties.
                AnyAttribute::Prop { name, value } => self.backend.set_property(&node, name, value),
                AnyAttribute::Event(_) | AnyAttribute::None => {}
            }
        }
        let slot = self.bind_listeners_of(&node, None, listeners(&element.attr_holes.holes, holes));
        let mut children = Vec::with_capacity(element.children.len());
        // Each handle read is a call into JS: none for a child that is not there.
        let mut next = match element.children.is_empty() {
            true => None,
            false => self.backend.present_first_child(&node),
        };
        for (i, child) in element.children.iter().enumerate() {
            let Some(handle) = next.take() else { break };
            if i + 1 < element.children.len() {
                next = self.backend.present_next_sibling(&handle);
            }
            let mounted = match child {
                SkeletonChild::Element(e) => self.fill(handle, e, holes),
                SkeletonChild::Text(_) => Mounted::leaf(handle),
                SkeletonChild::Hole(h) => match &holes[*h] {
                    Hole::Child(AnyElement::Text(t)) => {
                        self.backend.set_text(&handle, t);
                        Mounted::leaf(handle)
                    }
                    Hole::Child(child) => {
                        let mounted = self.create(&element.tag, child);
                        self.backend.replace_child(&node, &mounted.node, &handle);
                        mounted
                    }
                    // `fits` admits no attribute in a child's place.
                    Hole::Attr(_) => Mounted::leaf(handle),
                },
            };
            children.push(mounted);
        }
        Mounted::new(node, slot, children)
    }

    /// Applies what changed between two fitting sets of holes to one element's mounted nodes
    /// (`root` is the instance's).
    fn patch_holes(
        &mut self,
        element: &ElementHoles,
        root: &mut Mounted<B::Node>,
        old: &[Hole],
        new: &[Hole],
    ) {
        // Mounted as the skeleton says (by `fill`, or by a tree that fits it): the lookups
        // cannot miss, but a miss skips the element rather than panic in a user's tab.
        let mut m = Some(root);
        for &k in &element.path {
            m = m.and_then(|m| m.children.get_mut(k));
        }
        let Some(m) = m else {
            debug_assert!(false, "a mounted template does not match its skeleton");
            return;
        };
        let Mounted {
            node,
            slot,
            children,
            ..
        } = m;
        if !element.attr_holes.is_empty() {
            let mut place = Place::Mounted { node, slot };
            self.patch_attr_holes(&element.attr_holes, &mut place, old, new);
        }
        for &(k, h, _) in &element.child_holes {
            if let (Hole::Child(a), Hole::Child(b), Some(child)) =
                (&old[h], &new[h], children.get_mut(k))
            {
                self.patch(node, &element.tag, a, child, b);
            }
        }
    }

    /// An element's attribute holes: the attributes set before and not now are removed
    /// first, so that a name moving from one hole to another ends up set. The element's
    /// handle is asked of `place` only when something is written.
    fn patch_attr_holes(
        &mut self,
        element: &[usize],
        place: &mut Place<'_, B::Node>,
        old: &[Hole],
        new: &[Hole],
    ) {
        for old_attr in attr_holes(element, old) {
            if let Some((name, _)) = present(old_attr) {
                let kept =
                    attr_holes(element, new).any(|a| present(a).is_some_and(|(n, _)| n == name));
                if !kept && let Some(node) = place.node(&self.backend) {
                    self.backend.remove_attribute(node, name);
                }
            } else if let AnyAttribute::Prop { name, value } = old_attr {
                let kept = attr_holes(element, new)
                    .any(|a| matches!(a, AnyAttribute::Prop { name: n, .. } if n == name));
                if !kept && let Some(node) = place.node(&self.backend) {
                    // Back to what the markup alone would give, as for a tree.
                    let cleared = match value {
                        PropValue::Str(_) => PropValue::Str("".into()),
                        PropValue::Bool(_) => PropValue::Bool(false),
                    };
                    self.backend.set_property(node, name, &cleared);
                    self.backend.remove_attribute(node, name);
                }
            }
        }
        for (old_attr, new_attr) in attr_holes(element, old).zip(attr_holes(element, new)) {
            if let AnyAttribute::Prop { name, value } = new_attr {
                // Compared with the live DOM: the user may have typed since the last render.
                if let Some(node) = place.node(&self.backend)
                    && self.backend.get_property(node, name).as_ref() != Some(value)
                {
                    self.backend.set_property(node, name, value);
                }
                continue;
            }
            let Some((name, value)) = present(new_attr) else {
                continue;
            };
            if present(old_attr) != Some((name, value))
                && let Some(node) = place.node(&self.backend)
            {
                self.write_attr(node, name, value);
            }
        }
        let had_listeners = listeners(element, old).next().is_some();
        let has_listeners = listeners(element, new).next().is_some();
        if had_listeners || has_listeners {
            let was = place.slot();
            let now = self.hold_listeners(was, listeners(element, new));
            if now != was {
                place.set_slot(now);
                if let Some(node) = place.node(&self.backend) {
                    self.backend.set_listener_slot(node, now);
                }
            }
        }
    }
}

/// Where an element of a template instance is, for patching its attribute holes: mounted
/// with its handle and slot, or an element of an instance mounted without its descendants,
/// reached from the root when first written to.
enum Place<'a, N> {
    Mounted {
        node: &'a N,
        slot: &'a mut Option<u32>,
    },
    Compact {
        root: &'a N,
        root_slot: &'a mut Option<u32>,
        compact: &'a mut Compact<N>,
        links: &'a [u32],
        at: u32,
    },
}

impl<N> Place<'_, N> {
    fn node<B: Backend<Node = N>>(&mut self, backend: &B) -> Option<&N> {
        match self {
            Place::Mounted { node, .. } => Some(*node),
            Place::Compact {
                root,
                compact,
                links,
                at,
                ..
            } => compact.node(backend, root, links, *at),
        }
    }

    fn slot(&self) -> Option<u32> {
        match self {
            Place::Mounted { slot, .. } => **slot,
            Place::Compact {
                root_slot: slot,
                at: 0,
                ..
            } => **slot,
            Place::Compact { compact, at, .. } => compact.slot(*at),
        }
    }

    fn set_slot(&mut self, now: Option<u32>) {
        match self {
            Place::Mounted { slot, .. }
            | Place::Compact {
                root_slot: slot,
                at: 0,
                ..
            } => **slot = now,
            Place::Compact { compact, at, .. } => compact.set_slot(*at, now),
        }
    }
}

/// The mounted children of `element`, numbered `*at` in document order, from its nodes
/// (`nodes`, in that order) and the slots in `compact`.
fn mount_children<N>(
    element: &SkeletonElement,
    nodes: &mut std::vec::IntoIter<N>,
    at: &mut u32,
    compact: &Compact<N>,
) -> Vec<Mounted<N>> {
    let mut children = Vec::with_capacity(element.children.len());
    for child in &element.children {
        *at += 1;
        let Some(node) = nodes.next() else { break };
        children.push(match child {
            SkeletonChild::Element(e) => {
                let slot = compact.slot(*at);
                Mounted::new(node, slot, mount_children(e, nodes, at, compact))
            }
            SkeletonChild::Text(_) | SkeletonChild::Hole(_) => Mounted::leaf(node),
        });
    }
    children
}

/// Whether an instance's holes only write to nodes its clone already has: attributes,
/// properties, listeners and texts. A child element is created, which needs its
/// placeholder's handle.
fn writes_only(holes: &[Hole]) -> bool {
    holes.iter().all(|hole| match hole {
        Hole::Attr(_) => true,
        Hole::Child(child) => matches!(child, AnyElement::Text(_)),
    })
}

/// An attribute's value as written: `true` is the empty string.
fn text_of(value: &AttrValue) -> &str {
    match value {
        AttrValue::Str(s) => s,
        AttrValue::Bool(_) => "",
    }
}

/// Runs `f` on two instances' holes at once.
fn old_and_new<R>(
    old: &InstanceRef<'_>,
    new: &InstanceRef<'_>,
    f: impl FnOnce(&[Hole], &[Hole]) -> R,
) -> R {
    old.with_holes(|old| new.with_holes(|new| f(old, new)))
}

/// The attributes in an element's attribute holes (`element`), in order.
fn attr_holes<'h>(
    element: &'h [usize],
    holes: &'h [Hole],
) -> impl Iterator<Item = &'h AnyAttribute> + Clone {
    // `fits` admits no child in an attribute's place, so old and new holes stay aligned.
    element.iter().filter_map(|&i| match &holes[i] {
        Hole::Attr(attr) => Some(attr),
        Hole::Child(_) => None,
    })
}

/// The listeners in an element's attribute holes (`element`), in order.
fn listeners<'h>(
    element: &'h [usize],
    holes: &'h [Hole],
) -> impl Iterator<Item = &'h Listener> + Clone {
    attr_holes(element, holes).filter_map(|a| match a {
        AnyAttribute::Event(l) => Some(l),
        _ => None,
    })
}

/// An attribute that is on the element: its name and value (`false` ones are absent).
fn present(attr: &AnyAttribute) -> Option<(&Str, &AttrValue)> {
    match attr {
        AnyAttribute::Attr { name, value } if *value != AttrValue::Bool(false) => {
            Some((name, value))
        }
        _ => None,
    }
}
