//! Element builders in the spirit of Lustre's `html` module: one function per HTML element.
//!
//! `div(attrs, children)`, void elements take attributes only (`input(attrs)`), and
//! [`keyed`] builds an element whose children are matched by key when the view changes.
//! Attributes and children are anything iterable: arrays (`[class("card")]`, `[]`), `Vec`s,
//! `Option`s or iterators (`rows.iter().map(row_view)`). Arrays cost no `vec![]`; a lone text
//! child and an empty list cost no allocation at all.
//!
//! ```
//! use rally_view::attribute::{class, type_};
//! use rally_view::event::on_click;
//! use rally_view::html::{button, div, p, text};
//! use rally_view::{Element, render};
//!
//! #[derive(Clone)]
//! enum Msg {
//!     Increment,
//! }
//!
//! fn view(count: i64) -> Element<Msg> {
//!     div(
//!         [class("counter")],
//!         [
//!             p([], [text("Count: "), text(count)]),
//!             button([type_("button"), on_click(Msg::Increment)], [text("+")]),
//!         ],
//!     )
//! }
//!
//! assert_eq!(
//!     render::to_html(&view(2)),
//!     r#"<div class="counter"><p>Count: 2</p><button type="button">+</button></div>"#
//! );
//! // Text is always escaped.
//! assert_eq!(render::to_html(&text::<Msg>("<b>")), "&lt;b&gt;");
//! ```

use crate::vdom::{
    AnyElement, AttrSet, Attribute, Children, Element, Key, Namespace, Str, collect_attrs,
    normalize,
};

/// An element with any tag; an invalid tag name yields a `<rally-invalid-tag>` so the mistake is
/// visible in the page instead of breaking the markup.
pub fn element<Msg>(
    tag: impl Into<Str>,
    attrs: impl IntoIterator<Item = Attribute<Msg>>,
    children: impl IntoIterator<Item = Element<Msg>>,
) -> Element<Msg> {
    Element::new(checked_tag(tag.into()), attrs, children)
}

/// An element with a literal tag: what every builder of this module and [`crate::svg`] calls.
///
/// The builders are generic over their arguments (arrays, `Vec`s, iterators), so they only
/// collect them; the rest is here, and in the untyped `AnyElement::node`, compiled once.
pub(crate) fn known<Msg>(
    tag: &'static str,
    namespace: Namespace,
    attrs: AttrSet,
    children: Children,
) -> Element<Msg> {
    Element::with_children(Str::Borrowed(tag), namespace, attrs, children)
}

/// A text node; its content is always escaped.
#[cfg_attr(target_arch = "wasm32", inline(never))]
#[cfg_attr(not(target_arch = "wasm32"), inline)]
pub fn text<Msg>(text: impl Into<Str>) -> Element<Msg> {
    Element::text(text)
}

/// Several siblings without a wrapper element.
pub fn fragment<Msg>(children: impl IntoIterator<Item = Element<Msg>>) -> Element<Msg> {
    Element::from_any(AnyElement::Fragment(
        children.into_iter().map(Element::into_any).collect(),
    ))
}

/// Nothing; renders no node.
pub fn none<Msg>() -> Element<Msg> {
    Element::none()
}

pub use crate::lazy_list::{keyed_lazy, keyed_lazy_shared, keyed_lazy_shared_class};

/// What a keyed list's messages must be: any type natively, and in the browser any type when
/// the `lists` feature is on (rally's `lists`, rally-view's `lists`).
///
/// A browser bundle carries the code that diffs and hydrates keyed lists only when it may
/// meet one: ~9.6 KiB gzip that an app without keyed lists does not pay for (docs/adr/0049).
/// Without the feature, a browser build that makes a keyed list does not compile, and the
/// error says which feature to turn on.
#[diagnostic::on_unimplemented(
    message = "keyed lists in a browser bundle need the `lists` feature",
    label = "a keyed list made here",
    note = "add \"rally/lists\" (or \"rally-view/lists\") to the features of your browser build in Cargo.toml; it adds ~9.6 KiB gzip to the bundle (docs/adr/0049)"
)]
pub trait KeyedLists: sealed::Sealed {}

#[cfg(rally_lists)]
impl<T: ?Sized> KeyedLists for T {}

mod sealed {
    /// Only rally-view says which types may be a keyed list's messages.
    pub trait Sealed {}
    #[cfg(rally_lists)]
    impl<T: ?Sized> Sealed for T {}

    /// Only rally-view says which types may be a lazy keyed list's messages.
    pub trait SealedLazy {}
    #[cfg(rally_lazy_lists)]
    impl<T: ?Sized> SealedLazy for T {}
}

/// What a lazy keyed list's messages must be ([`keyed_lazy`], [`keyed_lazy_shared`],
/// [`keyed_lazy_shared_class`]): any type natively, and in the browser any type when the
/// `lazy-lists` feature is on (rally's `lazy-lists`, rally-view's `lazy-lists`; it turns
/// `lists` on too).
///
/// Lazy lists diff by row, keep their rows and re-render only the marked ones: code a bundle
/// whose lists are all [`keyed`] does not need, ~2.7 KiB gzip (docs/adr/0064). Without the
/// feature, a browser build that makes a lazy list does not compile, and the error says which
/// feature to turn on.
#[diagnostic::on_unimplemented(
    message = "lazy keyed lists in a browser bundle need the `lazy-lists` feature",
    label = "a lazy keyed list made here",
    note = "add \"rally/lazy-lists\" (or \"rally-view/lazy-lists\") to the features of your browser build in Cargo.toml; it adds ~2.7 KiB gzip to the bundle on top of \"lists\" (docs/adr/0064)"
)]
pub trait LazyLists: sealed::SealedLazy {}

#[cfg(rally_lazy_lists)]
impl<T: ?Sized> LazyLists for T {}

/// An element whose children are identified by key, so reordering moves DOM nodes instead of
/// rewriting them. Keys must be unique among the siblings.
///
/// Children are normalised like plain ones, so each keyed child is one DOM node: empty ones
/// (`none()`, `text("")`) are dropped, a fragment's nodes are keyed one by one (the first with
/// the key, the next ones with the key and a suffix), and adjacent texts are merged under the
/// first one's key, as the HTML parser would merge them.
///
/// In a browser build this needs the `lists` feature (see [`KeyedLists`]).
pub fn keyed<Msg: KeyedLists>(
    tag: impl Into<Str>,
    attrs: impl IntoIterator<Item = Attribute<Msg>>,
    children: impl IntoIterator<Item = (Key, Element<Msg>)>,
) -> Element<Msg> {
    let children: Vec<(Key, AnyElement)> = children
        .into_iter()
        .map(|(k, c)| (k, c.into_any()))
        .collect();
    // The usual case (one element per key) is already normal: keep the vector as it is.
    let needs_work = children.iter().enumerate().any(|(i, (_, c))| match c {
        AnyElement::Fragment(_) => true,
        AnyElement::Text(t) => {
            t.is_empty() || (i > 0 && matches!(children[i - 1].1, AnyElement::Text(_)))
        }
        AnyElement::Node(_) | AnyElement::Lazy(_) => false,
    });
    let children = if needs_work {
        normalize_keyed(children)
    } else {
        children
    };
    Element::with_children(
        checked_tag(tag.into()),
        Namespace::Html,
        collect_attrs(attrs),
        Children::Keyed(children),
    )
}

fn normalize_keyed(children: Vec<(Key, AnyElement)>) -> Vec<(Key, AnyElement)> {
    let mut out: Vec<(Key, AnyElement)> = Vec::with_capacity(children.len());
    for (key, child) in children {
        match child {
            AnyElement::Fragment(inner) => {
                for (i, node) in normalize(inner).into_iter().enumerate() {
                    push_keyed(&mut out, key.sibling(i), node);
                }
            }
            node => push_keyed(&mut out, key, node),
        }
    }
    out
}

fn push_keyed(out: &mut Vec<(Key, AnyElement)>, key: Key, child: AnyElement) {
    match (out.last_mut(), child) {
        (_, AnyElement::Text(t)) if t.is_empty() => {}
        (Some((_, AnyElement::Text(prev))), AnyElement::Text(t)) => prev.make_mut().push_str(&t),
        (_, child) => out.push((key, child)),
    }
}

/// An element whose inner HTML is `html`, inserted **without escaping**.
///
/// The name says it: never pass text that came from a user. Rally does not look inside the
/// markup — hydration adopts it as is, and a change replaces it whole.
pub fn unsafe_raw_html<Msg>(
    tag: impl Into<Str>,
    attrs: impl IntoIterator<Item = Attribute<Msg>>,
    html: impl Into<Str>,
) -> Element<Msg> {
    Element::with_children(
        checked_tag(tag.into()),
        Namespace::Html,
        collect_attrs(attrs),
        Children::RawHtml(html.into()),
    )
}

/// Whether a tag or attribute name is safe to print into markup.
pub fn is_valid_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    matches!(bytes.next(), Some(b) if b.is_ascii_alphabetic())
        && bytes.all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b':' | b'.'))
}

/// HTML tag names are case-insensitive and the browser reports them lowercase, so a custom
/// `element("My-Widget")` is stored as `my-widget` to hydrate.
pub(crate) fn checked_tag(tag: Str) -> Str {
    if is_valid_name(&tag) {
        if tag.bytes().any(|b| b.is_ascii_uppercase()) {
            Str::Owned(tag.to_ascii_lowercase())
        } else {
            tag
        }
    } else {
        Str::Borrowed("rally-invalid-tag")
    }
}

macro_rules! elements {
    ($($(#[$doc:meta])* $name:ident => $tag:literal),* $(,)?) => {$(
        $(#[$doc])*
        #[doc = concat!("The `<", $tag, ">` element.")]
        #[cfg_attr(target_arch = "wasm32", inline(never))]
        #[cfg_attr(not(target_arch = "wasm32"), inline)]
        pub fn $name<Msg>(
            attrs: impl IntoIterator<Item = Attribute<Msg>>,
            children: impl IntoIterator<Item = Element<Msg>>,
        ) -> Element<Msg> {
            known($tag, Namespace::Html, collect_attrs(attrs), Children::from_elements(children))
        }
    )*};
}

macro_rules! void_elements {
    ($($name:ident => $tag:literal),* $(,)?) => {$(
        #[doc = concat!("The void `<", $tag, ">` element.")]
        #[cfg_attr(target_arch = "wasm32", inline(never))]
        #[cfg_attr(not(target_arch = "wasm32"), inline)]
        pub fn $name<Msg>(attrs: impl IntoIterator<Item = Attribute<Msg>>) -> Element<Msg> {
            known($tag, Namespace::Html, collect_attrs(attrs), Children::Plain(Vec::new()))
        }
    )*};
}

elements! {
    // Document metadata and sections
    html => "html", head => "head", title => "title", style => "style", script => "script",
    noscript => "noscript", template => "template", body => "body",
    address => "address", article => "article", aside => "aside", footer => "footer",
    header => "header", h1 => "h1", h2 => "h2", h3 => "h3", h4 => "h4", h5 => "h5", h6 => "h6",
    hgroup => "hgroup", main => "main", nav => "nav", section => "section", search => "search",
    // Text content
    blockquote => "blockquote", dd => "dd", div => "div", dl => "dl", dt => "dt",
    figcaption => "figcaption", figure => "figure", li => "li", menu => "menu", ol => "ol",
    p => "p", pre => "pre", ul => "ul",
    // Inline text
    a => "a", abbr => "abbr", b => "b", bdi => "bdi", bdo => "bdo", cite => "cite", code => "code",
    data => "data", dfn => "dfn", em => "em", i => "i", kbd => "kbd", mark => "mark", q => "q",
    rp => "rp", rt => "rt", ruby => "ruby", s => "s", samp => "samp", small => "small",
    span => "span", strong => "strong", sub => "sub", sup => "sup", time => "time", u => "u",
    var => "var",
    // Media and embedded content
    audio => "audio", map => "map", video => "video", iframe => "iframe", object => "object",
    picture => "picture", canvas => "canvas",
    // Edits
    del => "del", ins => "ins",
    // Tables
    caption => "caption", colgroup => "colgroup", table => "table", tbody => "tbody", td => "td",
    tfoot => "tfoot", th => "th", thead => "thead", tr => "tr",
    // Forms
    button => "button", datalist => "datalist", fieldset => "fieldset", form => "form",
    label => "label", legend => "legend", meter => "meter", optgroup => "optgroup",
    option => "option", output => "output", progress => "progress", select => "select",
    textarea => "textarea",
    // Interactive
    details => "details", dialog => "dialog", summary => "summary",
    slot => "slot",
}

void_elements! {
    area => "area", base => "base", br => "br", col => "col", embed => "embed", hr => "hr",
    img => "img", input => "input", link => "link", meta => "meta", source => "source",
    track => "track", wbr => "wbr",
}
