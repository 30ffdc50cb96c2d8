//! The `view!` macro behind `rally_view::view!` (use it from there: this crate's output names
//! `rally_view`'s items through the path that wrapper passes in).
//!
//! `view! { div([class("card")], [text(name)]) }` means exactly the expression inside it. In
//! the browser (wasm32) it *is* that expression, unless rally-view's `dom-templates` feature
//! is on. Otherwise it becomes a compiled template: the element calls it can see (`div`, `td`, … with array or `vec![]` arguments), their
//! literal attributes (`class("card")`) and literal texts (`text("Total: ")`) are rendered to
//! HTML once per process, and each render writes that markup whole, in between the values that
//! can change (the *holes*: every other attribute and child, evaluated in source order as the
//! expression would). The same expression, with the holes' values put back, rebuilds the tree
//! whenever something needs one (hydration, a test), so the two can never disagree about it.
//! With `dom-templates`, the browser clones list items from a DOM copy of the same definition
//! and diffs two renders of a template by their holes (docs/adr/0046).
//!
//! Why a macro and not a cleverer renderer: building and dropping the tree was more than half
//! of a server page's render, and two runtime ways around it were slower (docs/adr/0033). Only
//! the compiler knows which parts of a view never change.

use proc_macro::TokenStream;
use proc_macro2::{TokenStream as Tokens, TokenTree};
use quote::{format_ident, quote};
use syn::parse::Parser;
use syn::punctuated::Punctuated;
use syn::{Expr, ExprCall, Token};

/// HTML element builders of `rally_view::html` that take `(attrs, children)`; `script`,
/// `style`, `pre`, `textarea`, `select` and `template` are left out on purpose (their text or
/// value is rendered by special rules, so they stay ordinary calls inside a template).
const ELEMENTS: &[&str] = &[
    "html",
    "head",
    "title",
    "noscript",
    "body",
    "address",
    "article",
    "aside",
    "footer",
    "header",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hgroup",
    "main",
    "nav",
    "section",
    "search",
    "blockquote",
    "dd",
    "div",
    "dl",
    "dt",
    "figcaption",
    "figure",
    "li",
    "menu",
    "ol",
    "p",
    "ul",
    "a",
    "abbr",
    "b",
    "bdi",
    "bdo",
    "cite",
    "code",
    "data",
    "dfn",
    "em",
    "i",
    "kbd",
    "mark",
    "q",
    "rp",
    "rt",
    "ruby",
    "s",
    "samp",
    "small",
    "span",
    "strong",
    "sub",
    "sup",
    "time",
    "u",
    "var",
    "audio",
    "map",
    "video",
    "iframe",
    "object",
    "picture",
    "canvas",
    "del",
    "ins",
    "caption",
    "colgroup",
    "table",
    "tbody",
    "td",
    "tfoot",
    "th",
    "thead",
    "tr",
    "button",
    "datalist",
    "fieldset",
    "form",
    "label",
    "legend",
    "meter",
    "optgroup",
    "option",
    "output",
    "progress",
    "details",
    "dialog",
    "summary",
    "slot",
];

/// SVG element builders of `rally_view::svg` (`svg::path([d("...")], [])`): also `(attrs,
/// children)`. Names shared with HTML (`a`, `title`) are told apart by the builder itself,
/// which the template calls.
const SVG_ELEMENTS: &[&str] = &[
    "svg",
    "g",
    "defs",
    "symbol",
    "use_",
    "desc",
    "path",
    "circle",
    "ellipse",
    "line",
    "polygon",
    "polyline",
    "rect",
    "text",
    "tspan",
    "text_path",
    "image",
    "clip_path",
    "mask",
    "pattern",
    "marker",
    "linear_gradient",
    "radial_gradient",
    "stop",
    "filter",
    "foreign_object",
    "animate",
    "animate_transform",
];

/// Void element builders of `rally_view::html`: `(attrs)` only.
const VOID_ELEMENTS: &[&str] = &[
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track",
    "wbr",
];

/// Attribute builders of `rally_view::attribute` whose value depends only on their arguments:
/// called with literals only, they are evaluated once, when the template is first rendered.
const ATTRIBUTES: &[&str] = &[
    "attribute",
    "bool_attribute",
    "none",
    "value",
    "checked",
    "selected",
    "style",
    "data",
    "aria",
    "id",
    "class",
    "title",
    "lang",
    "dir",
    "role",
    "href",
    "target",
    "rel",
    "download",
    "src",
    "srcset",
    "sizes",
    "alt",
    "width",
    "height",
    "loading",
    "type_",
    "name",
    "placeholder",
    "for_",
    "form",
    "action",
    "method",
    "enctype",
    "accept",
    "autocomplete",
    "inputmode",
    "min",
    "max",
    "step",
    "pattern",
    "maxlength",
    "minlength",
    "size",
    "rows",
    "cols",
    "wrap",
    "colspan",
    "rowspan",
    "headers",
    "scope",
    "tabindex",
    "accesskey",
    "charset",
    "content",
    "http_equiv",
    "media",
    "integrity",
    "crossorigin",
    "datetime",
    "cite",
    "label",
    "list",
    "enterkeyhint",
    "draggable",
    "spellcheck",
    "translate",
    "popover",
    "view_box",
    "xmlns",
    "d",
    "fill",
    "stroke",
    "stroke_width",
    "stroke_linecap",
    "stroke_linejoin",
    "fill_rule",
    "opacity",
    "transform",
    "cx",
    "cy",
    "r",
    "rx",
    "ry",
    "x",
    "y",
    "x1",
    "y1",
    "x2",
    "y2",
    "points",
    "offset",
    "stop_color",
    "text_anchor",
    "font_size",
    "preserve_aspect_ratio",
    "disabled",
    "readonly",
    "required",
    "autofocus",
    "multiple",
    "hidden",
    "open",
    "novalidate",
    "inert",
    "controls",
    "autoplay",
    "loop_",
    "muted",
    "defer",
    "async_",
];

/// `rally_view::view!` passes `$crate ;` before the view, so the output can name rally-view
/// wherever the app reaches it from (directly or through `rally::view`).
#[proc_macro]
pub fn view(input: TokenStream) -> TokenStream {
    let mut tokens = Tokens::from(input).into_iter();
    let mut krate = Tokens::new();
    for token in tokens.by_ref() {
        if matches!(&token, TokenTree::Punct(p) if p.as_char() == ';') {
            break;
        }
        krate.extend([token]);
    }
    let body: Tokens = tokens.collect();
    match syn::parse2::<Expr>(body).and_then(|view| compile(&krate, &view)) {
        Ok(out) => out.into(),
        Err(e) => e.to_compile_error().into(),
    }
}

fn compile(krate: &Tokens, view: &Expr) -> syn::Result<Tokens> {
    let mut found = false;
    let out = branches(krate, view, &mut found);
    if !found {
        return Err(syn::Error::new_spanned(
            view,
            "`view!` found no element call to compile: it needs one at its root, such as \
             `div([class(\"card\")], [...])` with array or `vec![]` arguments, or in the \
             branches of an `if` or `match` there",
        ));
    }
    Ok(out)
}

/// A view, with each element call at its root — or at the end of a branch of a root `if` or
/// `match` — compiled to a template; anything else is left as it is.
fn branches(krate: &Tokens, view: &Expr, found: &mut bool) -> Tokens {
    match ungroup(view) {
        Expr::If(e) => {
            let (cond, then) = (&e.cond, block(krate, &e.then_branch, found));
            match &e.else_branch {
                Some((_, other)) => {
                    let other = branches(krate, other, found);
                    quote!(if #cond #then else #other)
                }
                None => quote!(#view),
            }
        }
        Expr::Match(m) => {
            let subject = &m.expr;
            let arms = m.arms.iter().map(|arm| {
                // The pattern carries its guard (`Pat::Guard`) in syn 3.
                let (attrs, pat) = (&arm.attrs, &arm.pat);
                let body = branches(krate, &arm.body, found);
                quote!(#(#attrs)* #pat => #body,)
            });
            quote!(match #subject { #(#arms)* })
        }
        Expr::Block(b) if b.attrs.is_empty() && b.label.is_none() => block(krate, &b.block, found),
        other => match ElementCall::of(other) {
            Some(root) => {
                *found = true;
                template(krate, other, &root)
            }
            None => quote!(#other),
        },
    }
}

/// A block whose final expression is compiled by [`branches`].
fn block(krate: &Tokens, block: &syn::Block, found: &mut bool) -> Tokens {
    let Some((syn::Stmt::Expr(tail, None), stmts)) = block.stmts.split_last() else {
        return quote!(#block);
    };
    let tail = branches(krate, tail, found);
    quote!({ #(#stmts)* #tail })
}

/// One element call as a template.
fn template(krate: &Tokens, view: &Expr, root: &ElementCall<'_>) -> Tokens {
    let mut template = Template::default();
    let rebuilt = template.element(root);
    let Template { holes, init } = template;
    // Made through one `Holes<Msg>`, so that every hole's message type is the template's.
    let hole_values = holes.iter().map(|(kind, expr)| match kind {
        Kind::Attr => quote!(__rally_holes.attr(#expr)),
        Kind::Child => quote!(__rally_holes.child(#expr)),
    });
    let take_holes = holes.iter().enumerate().map(|(i, (kind, _))| {
        let name = hole_name(i);
        match kind {
            Kind::Attr => quote!(let #name = #krate::compiled::Hole::into_attr(holes.next());),
            Kind::Child => quote!(let #name = #krate::compiled::Hole::into_child(holes.next());),
        }
    });
    // Where templates are not compiled (the browser without `dom-templates`), rally-view's
    // switch keeps the plain expression and drops the template unchecked.
    quote! {
        #krate::__view_template!(#view, {
            static TEMPLATE: #krate::compiled::Def = #krate::compiled::Def::new(
                |c: &mut #krate::compiled::Compiler| { #init }
            );
            let __rally_holes = #krate::compiled::Holes::new();
            #krate::compiled::template(
                &TEMPLATE,
                &__rally_holes,
                ::std::vec![#(#hole_values),*],
                |holes| {
                    let mut holes = ::std::iter::IntoIterator::into_iter(holes);
                    #(#take_holes)*
                    #rebuilt
                },
            )
        })
    }
}

fn hole_name(i: usize) -> syn::Ident {
    format_ident!("__rally_hole_{}", i)
}

#[derive(Clone, Copy)]
enum Kind {
    Attr,
    Child,
}

/// What the macro collects while walking a view: the holes in source order, and the calls
/// that describe the constant markup to a `Compiler` in the same order.
#[derive(Default)]
struct Template {
    holes: Vec<(Kind, Expr)>,
    init: Tokens,
}

impl Template {
    /// Records a hole and returns the name the rebuilt expression reads it from.
    fn hole(&mut self, kind: Kind, expr: &Expr) -> syn::Ident {
        let name = hole_name(self.holes.len());
        self.holes.push((kind, expr.clone()));
        self.init.extend(match kind {
            Kind::Attr => quote!(c.attr_hole();),
            Kind::Child => quote!(c.child_hole();),
        });
        name
    }

    /// Walks one element call; returns the same call with its holes replaced by their names.
    fn element(&mut self, element: &ElementCall<'_>) -> Tokens {
        let func = &element.call.func;
        let empty = match &element.children {
            Some(_) => quote!(#func([], [])),
            None => quote!(#func([])),
        };
        self.init.extend(quote!(c.open(#empty);));
        let mut attrs = Vec::with_capacity(element.attrs.items.len());
        for attr in &element.attrs.items {
            if is_constant_attribute(attr) {
                self.init.extend(quote!(c.attr(#attr);));
                attrs.push(quote!(#attr));
            } else {
                let name = self.hole(Kind::Attr, attr);
                attrs.push(quote!(#name));
            }
        }
        self.init.extend(quote!(c.end_attrs();));
        let attrs = element.attrs.rebuild(&attrs);
        let rebuilt = match &element.children {
            Some(children) => {
                let mut items = Vec::with_capacity(children.items.len());
                for child in &children.items {
                    if let Some(inner) = ElementCall::of(child) {
                        items.push(self.element(&inner));
                    } else if is_constant_text(child) {
                        self.init.extend(quote!(c.child(#child);));
                        items.push(quote!(#child));
                    } else {
                        let name = self.hole(Kind::Child, child);
                        items.push(quote!(#name));
                    }
                }
                let children = children.rebuild(&items);
                quote!(#func(#attrs, #children))
            }
            None => quote!(#func(#attrs)),
        };
        self.init.extend(quote!(c.close();));
        rebuilt
    }
}

/// A call of a known element builder with list arguments: `td([...], [...])`, `br([])`.
struct ElementCall<'a> {
    call: &'a ExprCall,
    attrs: List,
    /// `None` for a void element.
    children: Option<List>,
}

impl<'a> ElementCall<'a> {
    fn of(expr: &'a Expr) -> Option<Self> {
        let Expr::Call(call) = ungroup(expr) else {
            return None;
        };
        let name = last_ident(&call.func)?;
        let void = if ELEMENTS.contains(&name.as_str()) || SVG_ELEMENTS.contains(&name.as_str()) {
            false
        } else if VOID_ELEMENTS.contains(&name.as_str()) {
            true
        } else {
            return None;
        };
        let mut args = call.args.iter();
        let attrs = List::of(args.next()?)?;
        let children = if void {
            None
        } else {
            Some(List::of(args.next()?)?)
        };
        if args.next().is_some() {
            return None;
        }
        Some(ElementCall {
            call,
            attrs,
            children,
        })
    }
}

/// An argument written as a list: an array literal or `vec![...]`.
struct List {
    items: Vec<Expr>,
    /// The `vec` macro's path when written `vec![...]`, so the rebuilt call keeps its form.
    vec: Option<syn::Path>,
}

impl List {
    fn of(expr: &Expr) -> Option<Self> {
        match ungroup(expr) {
            Expr::Array(array) if array.attrs.is_empty() => Some(List {
                items: array.elems.iter().cloned().collect(),
                vec: None,
            }),
            Expr::Macro(mac) if mac.mac.path.is_ident("vec") => {
                let items = Punctuated::<Expr, Token![,]>::parse_terminated
                    .parse2(mac.mac.tokens.clone())
                    .ok()?;
                Some(List {
                    items: items.into_iter().collect(),
                    vec: Some(mac.mac.path.clone()),
                })
            }
            _ => None,
        }
    }

    fn rebuild(&self, items: &[Tokens]) -> Tokens {
        match &self.vec {
            Some(path) => quote!(#path![#(#items),*]),
            None => quote!([#(#items),*]),
        }
    }
}

/// The expression inside the invisible group that a `macro_rules!` `$x:expr` is passed on
/// as, so views forwarded by another macro compile like written ones.
fn ungroup(expr: &Expr) -> &Expr {
    match expr {
        Expr::Group(group) => ungroup(&group.expr),
        other => other,
    }
}

/// The last identifier of a plain path expression with no generic arguments.
fn last_ident(func: &Expr) -> Option<String> {
    let Expr::Path(path) = func else {
        return None;
    };
    if path.qself.is_some() {
        return None;
    }
    let segment = path.path.segments.last()?;
    segment
        .arguments
        .is_none()
        .then(|| segment.ident.to_string())
}

/// `class("card")`, `aria("hidden", "true")`, `attribute::none()`: a known attribute builder
/// called with literals only.
fn is_constant_attribute(expr: &Expr) -> bool {
    let Expr::Call(call) = ungroup(expr) else {
        return false;
    };
    last_ident(&call.func).is_some_and(|name| ATTRIBUTES.contains(&name.as_str()))
        && call.args.iter().all(is_literal)
}

/// `text("Total: ")`: a text child with a literal.
fn is_constant_text(expr: &Expr) -> bool {
    let Expr::Call(call) = ungroup(expr) else {
        return false;
    };
    last_ident(&call.func).as_deref() == Some("text")
        && call.args.len() == 1
        && call.args.iter().all(is_literal)
}

fn is_literal(expr: &Expr) -> bool {
    matches!(ungroup(expr), Expr::Lit(_))
}

#[cfg(test)]
mod tests {
    use quote::quote;
    use syn::parse_quote;

    use super::*;

    fn compiled(view: Expr) -> syn::Result<String> {
        compile(&quote!(::rally_view), &view).map(|t| t.to_string())
    }

    #[test]
    fn a_view_without_an_element_call_is_refused_with_what_to_write() {
        for view in [
            parse_quote!(row_view(row)),
            parse_quote!(if open { panel() } else { html::none() }),
            parse_quote!(td(attrs, children)),
        ] {
            let error = compiled(view).expect_err("nothing to compile");
            assert!(
                error.to_string().contains("found no element call"),
                "{error}"
            );
        }
    }

    #[test]
    fn literals_are_constant_and_everything_else_is_a_hole_in_source_order() {
        let out = compiled(parse_quote!(tr(
            [class("row"), on_click(Msg::Select(id))],
            [
                td([], [text("Name")]),
                td([aria("hidden", "true")], [text(name)])
            ],
        )))
        .expect("a template");
        // Constants go to the compiler once; holes are evaluated in order.
        assert!(out.contains("c . attr (class (\"row\"))"), "{out}");
        assert!(out.contains("c . child (text (\"Name\"))"), "{out}");
        assert!(
            out.contains("c . attr (aria (\"hidden\" , \"true\"))"),
            "{out}"
        );
        let first = out
            .find("__rally_holes . attr (on_click")
            .expect("the listener is a hole");
        let second = out
            .find("__rally_holes . child (text (name))")
            .expect("the name is a hole");
        assert!(first < second);
        // rally-view's switch picks the template or, in the browser without
        // `dom-templates`, the expression itself.
        assert!(
            out.contains(":: rally_view :: __view_template ! (tr ("),
            "{out}"
        );
    }

    #[test]
    fn each_branch_of_a_root_match_is_its_own_template() {
        let out = compiled(parse_quote!(match status {
            Status::On => span([class("on")], []),
            Status::Off if quiet => html::none(),
            _ => {
                let label = name();
                span([], [text(label)])
            }
        }))
        .expect("two templates");
        assert_eq!(out.matches("static TEMPLATE").count(), 2, "{out}");
        assert!(out.contains("html :: none ()"), "{out}");
    }

    #[test]
    fn elements_the_renderer_treats_specially_stay_plain_calls() {
        let out = compiled(parse_quote!(div(
            [],
            [pre([], [text("x")]), textarea([], [])]
        )))
        .expect("a template");
        assert!(out.contains("__rally_holes . child (pre ("), "{out}");
        assert!(out.contains("__rally_holes . child (textarea ("), "{out}");
    }
}
