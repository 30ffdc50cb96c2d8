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

use super::{Backend, Dom, EMPTY, Mounted};
use crate::compiled::{
    Def, ElementHoles, Hole, InstanceRef, Skeleton, SkeletonChild, SkeletonElement,
};
use crate::lazy::Lazy;
use crate::vdom::{Attr, AttrValue, Attribute, Element, Listener, PropValue, Str};

/// Templates whose DOM copies a container keeps; the oldest are dropped beyond this.
const CAPACITY: usize = 8;

impl<Msg: Clone + 'static, B: Backend> Dom<Msg, B> {
    /// Creates a list item from its template's DOM copy, when it is an instance that fits it.
    pub(super) fn create_compiled(&mut self, lazy: &Lazy<Msg>) -> Option<Mounted<B::Node>> {
        let instance = lazy.instance()?;
        let skeleton = instance.def.skeleton()?;
        instance.with_holes(|holes| {
            if !skeleton.fits(holes) {
                return None;
            }
            let copy = self.copy_of(instance.def, skeleton);
            let node = self.backend.clone_node(&copy);
            Some(self.fill(node, &skeleton.root, holes))
        })
    }

    /// Diffs two instances of one template hole by hole; `false` (having done nothing) when
    /// they are not both unbuilt instances of one template that fit it.
    pub(super) fn patch_compiled(
        &mut self,
        old: &Lazy<Msg>,
        m: &mut Mounted<B::Node>,
        new: &Lazy<Msg>,
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
            if !skeleton.fits(old) || !skeleton.fits(new) {
                return false;
            }
            for element in &skeleton.patches {
                self.patch_holes(element, m, old, new);
            }
            true
        })
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
        holes: &[Hole<Msg>],
    ) -> Mounted<B::Node> {
        if !element.has_holes && element.children.is_empty() {
            return Mounted::leaf(node);
        }
        for attr in attr_holes(&element.attr_holes.holes, holes) {
            match attr {
                Attribute::Attr { name, value } => self.write_attr(&node, name, value),
                // A clone carries no properties.
                Attribute::Prop { name, value } => self.backend.set_property(&node, name, value),
                Attribute::Event(_) | Attribute::None => {}
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
                    Hole::Child(Element::Text(t)) => {
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
        Mounted {
            node,
            slot,
            children,
        }
    }

    /// Applies what changed between two fitting sets of holes to one element's mounted nodes
    /// (`root` is the instance's).
    fn patch_holes(
        &mut self,
        element: &ElementHoles,
        root: &mut Mounted<B::Node>,
        old: &[Hole<Msg>],
        new: &[Hole<Msg>],
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
        if !element.attr_holes.is_empty() {
            self.patch_attr_holes(&element.attr_holes, m, old, new);
        }
        let Mounted { node, children, .. } = m;
        for &(k, h) in &element.child_holes {
            if let (Hole::Child(a), Hole::Child(b), Some(child)) =
                (&old[h], &new[h], children.get_mut(k))
            {
                self.patch(node, &element.tag, a, child, b);
            }
        }
    }

    /// An element's attribute holes: the attributes set before and not now are removed
    /// first, so that a name moving from one hole to another ends up set.
    fn patch_attr_holes(
        &mut self,
        element: &[usize],
        m: &mut Mounted<B::Node>,
        old: &[Hole<Msg>],
        new: &[Hole<Msg>],
    ) {
        // Borrowed, not cloned: a clone of a browser handle is a call into JS.
        let Mounted { node, slot, .. } = m;
        for old_attr in attr_holes(element, old) {
            if let Some((name, _)) = present(old_attr) {
                let kept =
                    attr_holes(element, new).any(|a| present(a).is_some_and(|(n, _)| n == name));
                if !kept {
                    self.backend.remove_attribute(node, name);
                }
            } else if let Attribute::Prop { name, value } = old_attr {
                let kept = attr_holes(element, new)
                    .any(|a| matches!(a, Attribute::Prop { name: n, .. } if n == name));
                if !kept {
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
            if let Attribute::Prop { name, value } = new_attr {
                // Compared with the live DOM: the user may have typed since the last render.
                if self.backend.get_property(node, name).as_ref() != Some(value) {
                    self.backend.set_property(node, name, value);
                }
                continue;
            }
            let Some((name, value)) = present(new_attr) else {
                continue;
            };
            if present(old_attr) != Some((name, value)) {
                self.write_attr(node, name, value);
            }
        }
        let had_listeners = listeners(element, old).next().is_some();
        let has_listeners = listeners(element, new).next().is_some();
        if had_listeners || has_listeners {
            *slot = self.bind_listeners_of(node, *slot, listeners(element, new));
        }
    }
}

/// Runs `f` on two instances' holes at once.
fn old_and_new<Msg, R>(
    old: &InstanceRef<'_, Msg>,
    new: &InstanceRef<'_, Msg>,
    f: impl FnOnce(&[Hole<Msg>], &[Hole<Msg>]) -> R,
) -> R {
    old.with_holes(|old| new.with_holes(|new| f(old, new)))
}

/// The attributes in an element's attribute holes (`element`), in order.
fn attr_holes<'h, Msg>(
    element: &'h [usize],
    holes: &'h [Hole<Msg>],
) -> impl Iterator<Item = &'h Attribute<Msg>> + Clone {
    // `fits` admits no child in an attribute's place, so old and new holes stay aligned.
    element.iter().filter_map(|&i| match &holes[i] {
        Hole::Attr(attr) => Some(attr),
        Hole::Child(_) => None,
    })
}

/// The listeners in an element's attribute holes (`element`), in order.
fn listeners<'h, Msg>(
    element: &'h [usize],
    holes: &'h [Hole<Msg>],
) -> impl Iterator<Item = &'h Listener<Msg>> + Clone {
    attr_holes(element, holes).filter_map(|a| match a {
        Attribute::Event(l) => Some(l),
        _ => None,
    })
}

/// An attribute that is on the element: its name and value (`false` ones are absent).
fn present<Msg>(attr: &Attribute<Msg>) -> Option<(&Str, &AttrValue)> {
    match attr {
        Attribute::Attr { name, value } if *value != AttrValue::Bool(false) => Some((name, value)),
        _ => None,
    }
}
