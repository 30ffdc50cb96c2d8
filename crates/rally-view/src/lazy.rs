//! Lazy subtrees (Elm's `Html.Lazy`): skip building and diffing a part of the view whose input
//! did not change.
//!
//! `lazy(row.clone(), view_row)` stores the argument and the function instead of the subtree.
//! When the next render has a lazy node with the same function and an equal argument, the DOM
//! and the previous subtree are kept as they are: no `view_row` call, no diff. On the server it
//! simply renders `view_row(&row)`.
//!
//! A list of lazy rows still builds one lazy node per row on every render, so what a node costs
//! to make and to drop is paid a thousand times for a thousand rows. The argument and function
//! are therefore kept in place when they fit four words (`smallbox`), as a row's id and shared
//! label with a flag do, and boxed only when larger. With a box per row, allocating and freeing
//! them took about half the native time of selecting a row in a 1,000-row table, and a fifth
//! of the browser's script time for it (bench/README, jsfb).
//!
//! `Element::map` keeps lazy nodes lazy (ADR 0029): a page's view is mapped into its mount's
//! messages on every render, and building every lazy node to map it would undo all of the
//! above in apps. The mapped node keeps the thunk and the mapping; it is unchanged when both
//! are, which for the mapping means the same function type carrying no data.

use std::any::Any;
use std::cell::{Ref, RefCell};
use std::marker::PhantomData;

use smallbox::space::S4;
use smallbox::{SmallBox, smallbox};

use crate::vdom::{AnyElement, AttrSet, Children, Element, Mapper, Namespace, Str};

/// A built subtree as one DOM node: an element, or a lazy node (a `view!` template on the
/// server); anything else is wrapped in a `<rally-lazy>` element.
pub(crate) fn one_node(built: AnyElement) -> AnyElement {
    match built {
        node @ (AnyElement::Node(_) | AnyElement::Lazy(_)) => node,
        other => AnyElement::node(
            Str::Borrowed("rally-lazy"),
            Namespace::Html,
            AttrSet::new(),
            Children::from_vec(vec![other]),
        ),
    }
}

/// A deferred subtree: an argument, a view function, and the subtree once built.
pub struct Lazy {
    /// In place when the argument fits four words (a row's id and shared label, a flag), so a
    /// list of lazy rows costs no allocation per row and render; larger ones are boxed.
    thunk: SmallBox<dyn Thunk, S4>,
    built: RefCell<Option<Box<AnyElement>>>,
}

/// What a lazy node defers: a view and its input, or a compiled template and its holes.
pub(crate) trait Thunk {
    fn build(&self) -> AnyElement;
    fn same_as(&self, other: &dyn Thunk) -> bool;
    fn as_any(&self) -> &dyn Any;
    /// The compiled template this thunk builds, with its holes.
    #[cfg(rally_templates)]
    fn instance(&self) -> Option<crate::compiled::InstanceRef<'_>> {
        None
    }
    /// Writes the subtree's HTML without building it, if this thunk can.
    #[cfg(not(target_arch = "wasm32"))]
    fn render_html(&self, _renderer: &mut crate::render::Renderer<'_>) -> bool {
        false
    }
}

struct ViewOf<A, F, Msg> {
    arg: A,
    view: F,
    msg: PhantomData<fn() -> Msg>,
}

impl<Msg: 'static, A, F> Thunk for ViewOf<A, F, Msg>
where
    A: PartialEq + 'static,
    F: Fn(&A) -> Element<Msg> + 'static,
{
    fn build(&self) -> AnyElement {
        (self.view)(&self.arg).into_any()
    }

    fn same_as(&self, other: &dyn Thunk) -> bool {
        // Each function item and closure has its own type, so a successful downcast means the
        // same function — unless `F` carries data (a capturing closure or a function pointer),
        // whose values could differ: those are never taken as unchanged.
        std::mem::size_of::<F>() == 0
            && other
                .as_any()
                .downcast_ref::<Self>()
                .is_some_and(|o| o.arg == self.arg)
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// A subtree built by `view(&arg)` only when `arg` changed since the last render.
///
/// `view` should be a plain function (or a closure that captures nothing): a capturing closure
/// still works, but is rebuilt every time. The subtree should be one element; anything else
/// is wrapped in a `<rally-lazy>` element so it still maps to one DOM node.
pub fn lazy<Msg, A, F>(arg: A, view: F) -> Element<Msg>
where
    Msg: 'static,
    A: PartialEq + 'static,
    F: Fn(&A) -> Element<Msg> + 'static,
{
    Element::from_any(AnyElement::Lazy(Lazy {
        thunk: smallbox!(ViewOf {
            arg,
            view,
            msg: PhantomData
        }),
        built: RefCell::new(None),
    }))
}

/// A lazy node over any thunk (a compiled template's).
#[cfg(rally_templates)]
pub(crate) fn from_thunk<Msg, T: Thunk + 'static>(thunk: T) -> Element<Msg> {
    Element::from_any(AnyElement::Lazy(Lazy {
        thunk: smallbox!(thunk),
        built: RefCell::new(None),
    }))
}

impl Lazy {
    /// Writes the subtree's HTML without building it, when it is a compiled template that was
    /// not built yet.
    #[cfg(not(target_arch = "wasm32"))]
    pub(crate) fn render_html(&self, renderer: &mut crate::render::Renderer<'_>) -> bool {
        self.built.borrow().is_none() && self.thunk.render_html(renderer)
    }

    /// The compiled template instance this node stands for, while it is not built.
    #[cfg(rally_templates)]
    pub(crate) fn instance(&self) -> Option<crate::compiled::InstanceRef<'_>> {
        match &*self.built.borrow() {
            Some(_) => None,
            None => self.thunk.instance(),
        }
    }

    /// The subtree, built on first use.
    pub(crate) fn force(&self) -> Ref<'_, AnyElement> {
        if self.built.borrow().is_none() {
            *self.built.borrow_mut() = Some(Box::new(one_node(self.thunk.build())));
        }
        Ref::map(self.built.borrow(), |b| match b {
            Some(e) => &**e,
            None => unreachable!("built above"),
        })
    }

    /// Whether `self` and `next` have the same function and equal arguments.
    pub(crate) fn same_as(&self, next: &Lazy) -> bool {
        self.thunk.same_as(&*next.thunk)
    }

    /// Hands the built subtree to `next`, which is unchanged from `self`.
    pub(crate) fn pass_to(&self, next: &Lazy) {
        *next.built.borrow_mut() = self.built.borrow_mut().take();
    }

    /// The same lazy node with its messages mapped by `f` (for `Element::map`): still lazy,
    /// and unchanged from a previous render's mapped node when both the node and `f` are.
    pub(crate) fn map(self, f: &Mapper) -> Lazy {
        let built = self.built.into_inner().map(|e| Box::new(e.map_with(f)));
        Lazy {
            thunk: smallbox!(Mapped {
                inner: self.thunk,
                f: f.clone(),
            }),
            built: RefCell::new(built),
        }
    }
}

/// A lazy node seen through `Element::map`.
struct Mapped {
    inner: SmallBox<dyn Thunk, S4>,
    f: Mapper,
}

impl Thunk for Mapped {
    fn build(&self) -> AnyElement {
        self.inner.build().map_with(&self.f)
    }

    fn same_as(&self, other: &dyn Thunk) -> bool {
        other
            .as_any()
            .downcast_ref::<Self>()
            .is_some_and(|o| self.f.same_as(&o.f) && self.inner.same_as(&*o.inner))
    }

    fn as_any(&self) -> &dyn Any {
        self
    }

    #[cfg(not(target_arch = "wasm32"))]
    fn render_html(&self, renderer: &mut crate::render::Renderer<'_>) -> bool {
        // Listeners render nothing, so mapping their messages changes no markup.
        self.inner.render_html(renderer)
    }
}
