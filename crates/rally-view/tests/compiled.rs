//! `view!`: a view inside the macro renders the same HTML, builds the same DOM, hydrates the
//! same markup and sends the same messages as the expression without it.
//!
//! Each view below is written once and compiled twice by `both!`: `plain` is the expression,
//! `compiled` the same tokens inside `view!`. The tests compare the two on every input.

use rally_view::attribute::{
    self, aria, attribute, checked, class, disabled, hidden, href, id, src, style, type_, value,
};
use rally_view::dom::Dom;
use rally_view::dom::memory::MemoryDom;
use rally_view::event::on_click;
use rally_view::html::{
    self, a, br, button, div, fragment, img, input, li, p, pre, span, strong, td, text, tr, ul,
};
use rally_view::render::to_html;
use rally_view::testing::FakeEvent;
use rally_view::{Attribute, Element, Key, lazy, svg, view};

#[derive(Clone, Debug, PartialEq)]
enum Msg {
    Select(u32),
    Remove(u32),
}

#[derive(Clone, PartialEq)]
struct Row {
    id: u32,
    label: String,
    selected: bool,
}

/// Defines `mod $name { fn plain(..) ; fn compiled(..) }` from one view expression.
macro_rules! both {
    ($name:ident ($($arg:ident : $ty:ty),*) -> $msg:ty { $($body:tt)* }) => {
        /// The view written plainly and inside `view!`.
        pub mod $name {
            #[allow(unused_imports)]
            use super::*;
            pub(crate) fn plain($($arg: $ty),*) -> Element<$msg> {
                $($body)*
            }
            pub(crate) fn compiled($($arg: $ty),*) -> Element<$msg> {
                view! { $($body)* }
            }
        }
    };
}

// The js-framework-benchmark row: constant classes, a conditional class, listeners, an id and
// a label with characters to escape.
both!(row(r: &Row) -> Msg {
    tr(
        [if r.selected { class("danger") } else { attribute::none() }],
        [
            td([class("col-md-1")], [text(r.id)]),
            td(
                [class("col-md-4")],
                [a([class("lbl"), on_click(Msg::Select(r.id))], [text(r.label.clone())])],
            ),
            td(
                [class("col-md-1")],
                [a(
                    [class("remove"), on_click(Msg::Remove(r.id))],
                    [span([class("remove glyphicon glyphicon-remove"), aria("hidden", "true")], [])],
                )],
            ),
            td([class("col-md-6")], []),
        ],
    )
});

// Holes that merge with constants or with each other: the tree's merge rules must win.
both!(merging(extra: &str, second_id: bool) -> Msg {
    div(
        [class("card"), class(extra.to_owned()), id("first"), if second_id { id("second") } else { attribute::none() }],
        [span([style("color", "red"), style("margin", "0")], [text("styled")])],
    )
});

// Void elements, boolean attributes, properties (constant and not), literal and dynamic text
// side by side, `vec![]` arguments and constant attribute values that need escaping.
both!(form(name: &str, on: bool) -> Msg {
    div(vec![attribute("data-note", "a \"quoted\" <note> & more")], vec![
        p([], [text("Hello, "), text(name.to_owned()), text("!")]),
        input([type_("text"), value(name.to_owned()), checked(on)]),
        input([type_("checkbox"), checked(true), disabled(on), hidden(false)]),
        br([]),
        img([src("/a.png"), attribute("alt", "")]),
        button([type_("button"), disabled(!on)], [text("Go")]),
    ])
});

// Children the macro cannot see into: conditionals, fragments, nothing, lazy nodes, keyed
// lists, elements it leaves alone (`pre`), and another template.
both!(holes(rows: &[Row], open: bool) -> Msg {
    div([class("holes")], [
        if open { span([], [text("open")]) } else { html::none() },
        fragment([text("a"), text(""), text("b")]),
        pre([], [text("\nkept")]),
        lazy(rows.len(), |n: &usize| p([], [text(*n)])),
        html::keyed("tbody", [id("rows")], rows.iter().map(|r| (Key::from(r.id), row::compiled(r)))),
        ul([], rows.iter().map(|r| li([], [text(r.label.clone())]))),
        a([href(format!("/rows/{}", rows.len()))], [text("all")]),
    ])
});

// SVG elements, with a dynamic label and a title element of SVG's own.
both!(icon(label: &str) -> Msg {
    svg::svg(
        [attribute("viewBox", "0 0 24 24"), aria("label", label.to_owned())],
        [
            svg::title([], [text(label.to_owned())]),
            svg::circle([attribute("cx", "12"), attribute("r", "4")], []),
            svg::path([attribute("d", "M12 2v2")], []),
        ],
    )
});

// A root `if` or `match`: each branch that ends in an element call is a template of its own.
both!(badge(status: u8, live: bool) -> Msg {
    match status {
        0 => span([class("badge")], [text("Scheduled")]),
        1 if live => {
            let period = format!("P{}", status + 1);
            span([class("badge live")], [text(period)])
        }
        2 => if live { strong([], [text("Final")]) } else { span([class("badge final")], [text("Final")]) },
        _ => html::none(),
    }
});

fn rows(n: u32) -> Vec<Row> {
    (1..=n)
        .map(|id| Row {
            id,
            label: format!("row {id} <&\">"),
            selected: id == 2,
        })
        .collect()
}

fn state(view: Element<Msg>) -> String {
    let mut backend = MemoryDom::new();
    let root = backend.create_container();
    let dom = Dom::mount(backend, root, view);
    dom.backend().inner_state(root)
}

/// Asserts that two views render, mount and hydrate alike.
fn assert_same(plain: impl Fn() -> Element<Msg>, compiled: impl Fn() -> Element<Msg>) {
    let html = to_html(&plain());
    assert_eq!(to_html(&compiled()), html, "server HTML");
    assert_eq!(state(compiled()), state(plain()), "DOM built from the tree");
    let mut backend = MemoryDom::new();
    let root = backend.create_container();
    backend.load_html(root, &html);
    let (dom, report) = Dom::hydrate(backend, root, compiled());
    assert_eq!(report.mismatches, 0, "hydrating the plain view's HTML");
    assert_eq!(dom.backend().mutations, 0);
}

#[test]
fn a_row_renders_and_mounts_like_its_expression() {
    for r in rows(3) {
        assert_same(|| row::plain(&r), || row::compiled(&r));
    }
    assert_eq!(
        to_html(&row::compiled(&rows(2)[1])),
        "<tr class=\"danger\"><td class=\"col-md-1\">2</td><td class=\"col-md-4\"><a class=\"lbl\">\
         row 2 &lt;&amp;\"&gt;</a></td><td class=\"col-md-1\"><a class=\"remove\"><span class=\
         \"remove glyphicon glyphicon-remove\" aria-hidden=\"true\"></span></a></td>\
         <td class=\"col-md-6\"></td></tr>"
    );
}

#[test]
fn attributes_that_merge_are_merged_as_the_tree_merges_them() {
    for (extra, second) in [("wide", false), ("", true), ("a b", true)] {
        assert_same(
            || merging::plain(extra, second),
            || merging::compiled(extra, second),
        );
    }
    assert_eq!(
        to_html(&merging::compiled("wide", true)),
        "<div class=\"card wide\" id=\"second\"><span style=\"color:red;margin:0\">styled</span></div>"
    );
}

#[test]
fn voids_properties_and_mixed_text_render_like_the_expression() {
    for (name, on) in [("Ada", true), ("<b>\"x\"</b>", false), ("", true)] {
        assert_same(|| form::plain(name, on), || form::compiled(name, on));
    }
}

#[test]
fn each_branch_of_a_root_if_or_match_is_compiled() {
    for status in 0..4 {
        for live in [false, true] {
            let plain = to_html(&badge::plain(status, live));
            assert_eq!(to_html(&badge::compiled(status, live)), plain);
            if status < 3 {
                assert_same(
                    || badge::plain(status, live),
                    || badge::compiled(status, live),
                );
            }
        }
    }
}

#[test]
fn svg_elements_render_and_mount_in_their_namespace() {
    for label in ["Light mode", "<dark>"] {
        assert_same(|| icon::plain(label), || icon::compiled(label));
    }
    assert_eq!(
        to_html(&icon::compiled("Sun")),
        "<svg viewBox=\"0 0 24 24\" aria-label=\"Sun\"><title>Sun</title><circle cx=\"12\" r=\"4\">\
         </circle><path d=\"M12 2v2\"></path></svg>"
    );
}

#[test]
fn children_the_macro_cannot_see_into_render_in_place() {
    for (n, open) in [(0, false), (3, true)] {
        let data = rows(n);
        assert_same(
            || holes::plain(&data, open),
            || holes::compiled(&data, open),
        );
    }
}

#[test]
fn lazy_rows_around_templates_render_without_a_wrapper() {
    let data = rows(4);
    let table = |compiled: bool| {
        html::keyed(
            "tbody",
            [],
            data.iter().map(move |r| {
                let row = if compiled {
                    lazy(r.clone(), |r: &Row| row::compiled(r))
                } else {
                    lazy(r.clone(), |r: &Row| row::plain(r))
                };
                (Key::from(r.id), row)
            }),
        )
    };
    assert_same(|| table(false), || table(true));
    assert!(!to_html(&table(true)).contains("rally-lazy"));
}

#[test]
fn listeners_in_holes_send_their_messages() {
    let data = rows(5);
    let mut backend = MemoryDom::new();
    let root = backend.create_container();
    backend.load_html(root, &to_html(&holes::compiled(&data, true)));
    let (dom, report) = Dom::hydrate(backend, root, holes::compiled(&data, true));
    assert_eq!(report.mismatches, 0);
    let b = dom.backend();
    let tbody = b.find(root, "tbody").expect("the keyed rows");
    let row = b.children(tbody)[3];
    let remove = b.children(b.children(row)[2])[0];
    let outcome = dom.resolve_event(b.slots_to_root(remove, root), &FakeEvent::new("click"));
    assert_eq!(outcome.messages, vec![Msg::Remove(4)]);
}

#[test]
fn compiled_views_diff_like_plain_ones() {
    let mut data = rows(6);
    let mut backend = MemoryDom::new();
    let root = backend.create_container();
    let mut dom = Dom::mount(backend, root, holes::plain(&data, false));
    for step in 0..4 {
        data.rotate_left(1);
        data[0].label.push('!');
        data[1].selected = step % 2 == 0;
        let open = step % 2 == 1;
        dom.update(holes::compiled(&data, open));
        assert_eq!(
            dom.backend().inner_state(root),
            state(holes::plain(&data, open))
        );
    }
}

#[test]
fn a_mapped_template_renders_and_maps_its_messages() {
    #[derive(Clone, Debug, PartialEq)]
    struct Outer(Msg);
    let r = &rows(1)[0];
    let plain = row::plain(r).map(Outer);
    let compiled = row::compiled(r).map(Outer);
    assert_eq!(to_html(&compiled), to_html(&plain));
    let mut backend = MemoryDom::new();
    let root = backend.create_container();
    let dom = Dom::mount(backend, root, compiled);
    let b = dom.backend();
    let link = b.children(b.children(b.children(root)[0])[1])[0];
    let outcome = dom.resolve_event(b.slots_to_root(link, root), &FakeEvent::new("click"));
    assert_eq!(outcome.messages, vec![Outer(Msg::Select(1))]);
}

/// An app function with a builder's name and signature that adds an attribute: the macro
/// cannot tell it from the builder, so the template notices when it first renders and builds
/// trees instead.
mod shadowed {
    use super::*;

    pub fn td<Msg>(
        attrs: impl IntoIterator<Item = Attribute<Msg>>,
        children: impl IntoIterator<Item = Element<Msg>>,
    ) -> Element<Msg> {
        html::td(attrs.into_iter().chain([class("cell")]), children)
    }

    both!(cell(n: u32) -> Msg { tr([], [td([id("n")], [text(n)])]) });
}

#[test]
fn an_app_function_named_like_a_builder_is_still_called() {
    assert_same(|| shadowed::cell::plain(4), || shadowed::cell::compiled(4));
    assert_eq!(
        to_html(&shadowed::cell::compiled(4)),
        "<tr><td id=\"n\" class=\"cell\">4</td></tr>"
    );
}

/// A builder that counts its calls and builds what `html::td` builds.
mod counting {
    use super::*;
    use std::cell::Cell;

    thread_local! {
        pub static CALLS: Cell<usize> = const { Cell::new(0) };
    }

    pub fn td<Msg>(
        attrs: impl IntoIterator<Item = Attribute<Msg>>,
        children: impl IntoIterator<Item = Element<Msg>>,
    ) -> Element<Msg> {
        CALLS.with(|c| c.set(c.get() + 1));
        html::td(attrs, children)
    }

    both!(cells(n: u32) -> Msg { tr([], [td([class("a")], [text(n)]), td([], [text("b")])]) });

    both!(branches(n: u32) -> Msg {
        if n.is_multiple_of(2) { tr([], [td([], [text(n)])]) } else { tr([], [td([class("odd")], [text(n)])]) }
    });
}

#[test]
fn the_server_renders_a_template_without_building_its_tree() {
    let calls = || counting::CALLS.with(|c| c.replace(0));
    calls();
    for n in 0..10 {
        to_html(&counting::cells::plain(n));
    }
    assert_eq!(
        calls(),
        20,
        "the plain view calls both builders on every render"
    );
    for n in 0..10 {
        to_html(&counting::cells::compiled(n));
    }
    // The first render compiles the template (each builder once, with no arguments).
    assert!(calls() <= 2, "the template's builders ran on a render");
    // Anything that needs the tree still gets it.
    state(counting::cells::compiled(3));
    assert_eq!(calls(), 2);

    // Both branches of a root `if` are templates.
    calls();
    for n in 0..10 {
        assert_eq!(
            to_html(&counting::branches::compiled(n)),
            to_html(&counting::branches::plain(n))
        );
    }
    assert!(
        calls() <= 10 + 2,
        "the plain views' 10 calls and one per branch's compilation"
    );
}
