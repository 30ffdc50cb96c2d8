//! Rally's view layer: the Elm architecture for Rust, rendered to HTML on the server and
//! hydrated in the browser.
//!
//! A view is `fn view(&Model) -> Element<Msg>`, built with [`html`], [`attribute`], [`event`] and
//! [`svg`]. [`render::to_html`] renders it natively; [`dom::Dom`] diffs and hydrates it against a
//! [`dom::Backend`] — the browser DOM (feature `web`) or [`dom::memory::MemoryDom`] in tests.
//! Keyed lists in a browser build need feature `lists` ([`html::KeyedLists`]).

pub mod attribute;
#[cfg(rally_templates)]
pub mod compiled;
pub mod dom;
pub mod effect;
pub mod event;
#[cfg(any(test, all(feature = "web", target_arch = "wasm32")))]
mod executor;
pub mod html;
pub mod lazy;
pub mod lazy_list;
mod message;
pub mod program;
pub mod render;
pub mod str;
pub mod svg;
/// Deterministic random views (and an event oracle) for property tests, native and in the
/// browser (with the `lists` feature: its views hold keyed lists); see
/// [`testing::random_view`].
#[cfg(rally_lists)]
pub mod testing;
mod vdom;
#[cfg(all(feature = "web", target_arch = "wasm32"))]
pub mod web;

pub use effect::{Dispatch, Effect};
pub use lazy::lazy;
pub use program::{App, Program};
pub use vdom::{
    AnyAttribute, AnyElement, AnyMessage, Attr, AttrSet, AttrValue, Attribute, Attrs, Children,
    ConstMessage, Decoder, Element, EventData, EventOptions, Handler, Key, Listener, Modifiers,
    Namespace, Node, PropValue, Str,
};

/// A view whose constant markup the server renders once: `view! { tr([], [td([class("id")],
/// [text(row.id)])]) }` means the expression inside: an element call (`div`, `td`, … with
/// array or `vec![]` arguments), or an `if` or `match` whose branches end in element calls
/// (each such branch is a template of its own; other branches are left as they are).
///
/// In the browser it is that expression, unless the `dom-templates` feature is on (then keyed
/// lists clone its rows and diff their holes, docs/adr/0046). On the server, element calls,
/// literal attributes (`class("card")`) and literal texts (`text("Total")`) are rendered to
/// HTML once per process, and each render writes that markup around the other attributes and
/// children, which are evaluated in source order as usual. Whatever needs the tree (a diff, a
/// test) gets the one the expression builds. See `compiled` and docs/adr/0035.
///
/// ```
/// use rally_view::attribute::class;
/// use rally_view::html::{td, text, tr};
/// use rally_view::{Element, render, view};
///
/// fn row(id: u32, name: &str) -> Element<()> {
///     view! { tr([], [td([class("id")], [text(id)]), td([], [text("Name: "), text(name.to_owned())])]) }
/// }
/// assert_eq!(
///     render::to_html(&row(7, "<Ada>")),
///     r#"<tr><td class="id">7</td><td>Name: &lt;Ada&gt;</td></tr>"#
/// );
/// ```
#[macro_export]
macro_rules! view {
    ($($view:tt)*) => { $crate::__view! { $crate; $($view)* } };
}
#[doc(hidden)]
pub use rally_view_macros::view as __view;

/// What `view!` expands to: its compiled template where templates are compiled (natively, and
/// in the browser with the `dom-templates` feature), else the plain expression.
#[cfg(rally_templates)]
#[doc(hidden)]
#[macro_export]
macro_rules! __view_template {
    ($plain:expr, $compiled:expr) => {
        $compiled
    };
}

/// What `view!` expands to: its compiled template where templates are compiled (natively, and
/// in the browser with the `dom-templates` feature), else the plain expression.
#[cfg(not(rally_templates))]
#[doc(hidden)]
#[macro_export]
macro_rules! __view_template {
    ($plain:expr, $compiled:expr) => {
        $plain
    };
}

/// The usual imports for writing a view.
pub mod prelude {
    pub use crate::attribute::{self, class, id};
    pub use crate::event::{self, on_click, on_input};
    pub use crate::html::{self, text};
    pub use crate::{Effect, Element, Key, view};
}
