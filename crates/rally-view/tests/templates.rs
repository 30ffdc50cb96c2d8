//! New items of a keyed list are cloned from an earlier item of the same shape
//! (`dom/template.rs`). A clone must end up exactly as if the item had been created node by
//! node: the same attributes and texts, live listeners, properties set, and a mounted tree
//! that later patches can use.

mod support;

use rally_view::attribute::{class, disabled, id, type_, value};
use rally_view::event::{on_click, on_input};
use rally_view::html::{self, a, input, li, span, td, text, tr};
use rally_view::testing::FakeEvent;
use rally_view::{Element, Key, lazy};
use support::{Row, click, created, links, parsed, rows, state};

#[derive(Clone, Debug, PartialEq)]
enum Msg {
    Select(u32),
    Remove(u32),
    Typed(u32, String),
}

/// A js-framework-benchmark row: the selected one has an extra attribute, so another shape.
fn row_view(row: &Row) -> Element<Msg> {
    tr(
        [if row.selected {
            class("danger")
        } else {
            rally_view::attribute::none()
        }],
        [
            td([class("col-md-1")], [text(row.id)]),
            td(
                [class("col-md-4")],
                [a(
                    [class("lbl"), on_click(Msg::Select(row.id))],
                    [text(&row.label)],
                )],
            ),
            td(
                [class("col-md-1")],
                [a(
                    [class("remove"), on_click(Msg::Remove(row.id))],
                    [span([class("glyphicon glyphicon-remove")], [])],
                )],
            ),
            td([class("col-md-6")], []),
        ],
    )
}

fn table(rows: &[Row], lazily: bool) -> Element<Msg> {
    html::keyed(
        "tbody",
        [id("tbody")],
        rows.iter().map(|r| {
            let row = if lazily {
                lazy(r.clone(), row_view)
            } else {
                row_view(r)
            };
            (Key::from(r.id), row)
        }),
    )
}

#[test]
fn cloned_rows_match_rows_created_node_by_node() {
    for lazily in [false, true] {
        let data = rows(0..200);
        let dom = created(table(&[], lazily), table(&data, lazily));
        assert_eq!(
            state(&dom),
            parsed(&table(&data, false)),
            "lazily: {lazily}"
        );
        // Two shapes (plain and selected rows); each is created twice before it is cloned,
        // and each clone copies one template.
        let selected = data.iter().filter(|r| r.selected).count();
        assert_eq!(
            dom.backend().clones,
            (data.len() - selected - 2) + (selected - 2) + 2,
            "lazily: {lazily}"
        );
    }
}

#[test]
fn cloned_rows_carry_their_own_listeners() {
    let data = rows(0..50);
    let dom = created(table(&[], true), table(&data, true));
    for (i, row) in data.iter().enumerate() {
        let (label, remove) = links(&dom, i);
        assert_eq!(click(&dom, label), vec![Msg::Select(row.id)], "row {i}");
        assert_eq!(click(&dom, remove), vec![Msg::Remove(row.id)], "row {i}");
    }
}

#[test]
fn cloned_rows_patch_like_any_other() {
    let mut data = rows(0..100);
    let mut dom = created(table(&[], false), table(&data, false));
    data[40].label = "changed".into();
    data[41].selected = true;
    data[3].selected = false;
    data.swap(10, 90);
    data.retain(|r| r.id != 55);
    data.extend(rows(100..140));
    dom.update(table(&data, false));
    assert_eq!(state(&dom), parsed(&table(&data, false)));
    let (label, _) = links(&dom, 89);
    assert_eq!(click(&dom, label), vec![Msg::Select(10)]);
}

/// Values equal to the template's are not written again; different ones are, including
/// attributes and texts deep in the item and properties (which a clone does not carry).
#[test]
fn only_values_that_differ_from_the_template_are_written() {
    let item = |n: u32, v: &str| -> (Key, Element<Msg>) {
        (
            Key::from(n),
            li(
                [class(if n.is_multiple_of(2) { "even" } else { "odd" })],
                [
                    span([], [text("same text")]),
                    input([
                        type_("text"),
                        value(v.to_owned()),
                        disabled(true),
                        on_input(move |s| Msg::Typed(n, s)),
                    ]),
                    span([], [text(n)]),
                ],
            ),
        )
    };
    let list = |items: Vec<(Key, Element<Msg>)>| html::keyed("ul", [], items);
    let mut dom = created(list(vec![]), list(vec![item(0, "a"), item(1, "b")]));
    let before = dom.backend().mutations;
    dom.update(list(vec![
        item(0, "a"),
        item(1, "b"),
        item(2, "c"),
        item(3, "b"),
    ]));
    assert_eq!(dom.backend().clones, 3, "the template, then items 2 and 3");
    let view = list(vec![item(0, "a"), item(1, "b"), item(2, "c"), item(3, "b")]);
    assert_eq!(state(&dom), parsed(&view));
    // Each clone differs from the template (item 1) in its number; item 2 also in its class.
    // Two appends, plus those writes on detached nodes, which an observer does not see.
    assert_eq!(dom.backend().mutations - before, 2);
    let b = dom.backend();
    let ul = b.children(*dom.root())[0];
    let input_of = |i: usize| b.children(b.children(ul)[i])[1];
    let typed = FakeEvent {
        value: Some("typed".into()),
        ..FakeEvent::new("input")
    };
    let slots = b.slots_to_root(input_of(3), *dom.root());
    assert_eq!(
        dom.resolve_event(slots, &typed).messages,
        vec![Msg::Typed(3, "typed".into())]
    );
}

/// A clone's nodes are found with one handle read each: none for a leaf's first child or a
/// last child's next sibling, which are not there.
#[test]
fn a_clone_reads_one_handle_per_node() {
    let mut dom = created(table(&[], false), table(&rows(0..2), false));
    let reads = dom.backend().handle_reads.get();
    dom.update(table(&rows(0..3), false));
    assert_eq!(dom.backend().clones, 2, "the template, then row 3");
    // tr, 4 × td, the id text, 2 × a, the label text, the span: the clone is the tr.
    assert_eq!(dom.backend().handle_reads.get() - reads, 9);
    assert_eq!(state(&dom), parsed(&table(&rows(0..3), false)));
}

/// Items with lists inside: creating an item creates the inner list's items, whose shapes
/// join the outer one's; more shapes than are kept evict the oldest.
#[test]
fn nested_lists_and_many_shapes_stay_correct() {
    let item = |n: u32| -> (Key, Element<Msg>) {
        let inner = (0..n % 5).map(|k| {
            (
                Key::from(k),
                li([class("inner")], [span([], [text(k)]), span([], [text(n)])]),
            )
        });
        // Ten outer shapes: the attribute list grows with n % 10.
        const NAMES: [&str; 10] = ["d", "e", "f", "g", "h", "i", "j", "k", "l", "m"];
        let attrs = NAMES[..(n % 10) as usize]
            .iter()
            .map(|&name| rally_view::attribute::attribute(name, "x"));
        (
            Key::from(n),
            li(
                attrs.collect::<Vec<_>>(),
                [
                    span([], [text(n)]),
                    html::keyed("ol", [], inner),
                    span([], []),
                ],
            ),
        )
    };
    let list = |ns: &[u32]| html::keyed("ul", [], ns.iter().map(|&n| item(n)));
    let all: Vec<u32> = (0..300).collect();
    let mut dom = created(list(&[]), list(&all));
    assert_eq!(state(&dom), parsed(&list(&all)));
    let some: Vec<u32> = (0..300).rev().filter(|n| n % 3 != 0).collect();
    dom.update(list(&some));
    assert_eq!(state(&dom), parsed(&list(&some)));
    let more: Vec<u32> = (300..600).chain(some.iter().copied()).collect();
    dom.update(list(&more));
    assert_eq!(state(&dom), parsed(&list(&more)));
}

/// Small items, raw HTML and script text are created directly.
#[test]
fn small_and_raw_items_are_not_cloned() {
    let small = |ns: &[u32]| -> Element<Msg> {
        html::keyed(
            "ul",
            [],
            ns.iter().map(|&n| (Key::from(n), li([], [text(n)]))),
        )
    };
    let ns: Vec<u32> = (0..20).collect();
    let dom = created(small(&[]), small(&ns));
    assert_eq!(dom.backend().clones, 0);
    let raw = |ns: &[u32]| -> Element<Msg> {
        html::keyed(
            "ul",
            [],
            ns.iter().map(|&n| {
                (
                    Key::from(n),
                    li(
                        [],
                        [
                            span([], [text(n)]),
                            html::unsafe_raw_html("div", [], "<b>raw</b>"),
                            span([], [text("x")]),
                        ],
                    ),
                )
            }),
        )
    };
    let dom = created(raw(&[]), raw(&ns));
    assert_eq!(dom.backend().clones, 0);
    assert_eq!(state(&dom), parsed(&raw(&ns)));
}
