//! Rally's view layer: the Elm architecture for Rust, rendered to HTML on the server and
//! hydrated in the browser.
//!
//! A view is `fn view(&Model) -> Element<Msg>`, built with [`html`], [`attribute`], [`event`] and
//! [`svg`]. [`render::to_html`] renders it natively; [`dom::Dom`] diffs and hydrates it against a
//! [`dom::Backend`] — the browser DOM (feature `web`) or [`dom::memory::MemoryDom`] in tests.

pub mod attribute;
pub mod dom;
pub mod effect;
pub mod event;
pub mod html;
pub mod lazy;
pub mod program;
pub mod render;
pub mod str;
pub mod svg;
/// Deterministic random views (and an event oracle) for property tests, native and in the
/// browser; see [`testing::random_view`].
pub mod testing;
mod vdom;
#[cfg(all(feature = "web", target_arch = "wasm32"))]
pub mod web;

pub use effect::{Dispatch, Effect};
pub use lazy::lazy;
pub use program::{App, Program};
pub use vdom::{
    AttrValue, Attribute, Attrs, Children, Element, EventData, EventOptions, Handler, Key,
    Listener, Modifiers, Namespace, Node, PropValue, Str,
};

/// The usual imports for writing a view.
pub mod prelude {
    pub use crate::attribute::{self, class, id};
    pub use crate::event::{self, on_click, on_input};
    pub use crate::html::{self, text};
    pub use crate::{Effect, Element, Key};
}
