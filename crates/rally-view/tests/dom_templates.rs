//! `view!` templates in the DOM (`dom/compiled.rs`, docs/adr/0046): a keyed list's items that
//! are template instances are cloned from one DOM copy of the template and filled in, and two
//! renders of one template are diffed hole by hole, without building either tree.
//!
//! Whatever path an item takes, the DOM must end up as the server's markup of the same view
//! parses, its listeners must send the item's own messages, and the other path must be able to
//! take over at the next render. Natively `view!` always compiles templates, so these tests run
//! the path the browser runs with the `dom-templates` feature.

mod support;

use rally_view::attribute::{self, attribute, class, id};
use rally_view::event::on_click;
use rally_view::html::{self, a, b, span, td, text, tr};
use rally_view::{Element, Key, view};
use support::{Row, click, created, links, parsed, rows, state};

#[derive(Clone, Debug, PartialEq)]
enum Msg {
    Select(u32),
    Remove(u32),
}

/// The js-framework-benchmark row, as `view!`: holes for the class, the id, both listeners
/// and the label.
fn row_view(row: &Row) -> Element<Msg> {
    view! {
        tr(
            [if row.selected { class("danger") } else { attribute::none() }],
            [
                td([class("col-md-1")], [text(row.id)]),
                td(
                    [class("col-md-4")],
                    [a([class("lbl"), on_click(Msg::Select(row.id))], [text(&row.label)])],
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
}

/// The same rows in a `keyed_lazy` list (as the benchmark has them) or a `keyed` one.
fn table(rows: &[Row], lazily: bool) -> Element<Msg> {
    if lazily {
        html::keyed_lazy(
            "tbody",
            [id("tbody")],
            rows.iter().map(|r| (r.id, r.clone())),
            row_view,
        )
    } else {
        html::keyed(
            "tbody",
            [id("tbody")],
            rows.iter().map(|r| (Key::from(r.id), row_view(r))),
        )
    }
}

#[test]
fn every_row_is_a_clone_of_one_copy_and_matches_the_server_markup() {
    for lazily in [false, true] {
        let data = rows(0..200);
        let dom = created(table(&[], lazily), table(&data, lazily));
        assert_eq!(
            state(&dom),
            parsed(&table(&data, false)),
            "lazily: {lazily}"
        );
        // Selected rows included: the class is a hole, not part of the copy. (Trees would
        // create the first two rows of each of the two shapes node by node.)
        assert_eq!(dom.backend().clones, data.len(), "lazily: {lazily}");
    }
}

#[test]
fn a_clone_is_filled_in_one_batch_without_reading_a_handle() {
    let mut dom = created(table(&[], true), table(&rows(0..2), true));
    let (reads, mutations) = (dom.backend().handle_reads.get(), dom.backend().mutations);
    let (clones, batches) = (dom.backend().clones, dom.backend().batches);
    dom.update(table(&rows(0..3), true));
    // Its two texts and two listener tags in one batch, addressed by number: no handle of
    // the tr's nine descendants is read.
    assert_eq!(dom.backend().clones - clones, 1);
    assert_eq!(dom.backend().batches - batches, 1);
    assert_eq!(dom.backend().handle_reads.get() - reads, 0);
    // The clone is filled in while detached: the only mutation an observer sees is its
    // insertion.
    assert_eq!(dom.backend().mutations - mutations, 1);
    assert_eq!(state(&dom), parsed(&table(&rows(0..3), false)));
}

#[test]
fn listeners_in_holes_send_their_own_rows_messages() {
    let data = rows(0..50);
    let dom = created(table(&[], true), table(&data, true));
    for (i, row) in data.iter().enumerate() {
        let (label, remove) = links(&dom, i);
        assert_eq!(click(&dom, label), vec![Msg::Select(row.id)], "row {i}");
        assert_eq!(click(&dom, remove), vec![Msg::Remove(row.id)], "row {i}");
    }
}

#[test]
fn two_renders_of_a_row_differ_only_where_their_holes_do() {
    for lazily in [false, true] {
        let mut data = rows(0..100);
        let mut dom = created(table(&[], lazily), table(&data, lazily));
        let before = dom.backend().mutations;
        for row in data.iter_mut().step_by(10) {
            row.label.push_str(" !!!");
        }
        data[3].selected = false;
        data[41].selected = true;
        dom.update(table(&data, lazily));
        assert_eq!(
            state(&dom),
            parsed(&table(&data, false)),
            "lazily: {lazily}"
        );
        // Ten labels and two classes; ids, listeners and constants are not written.
        assert_eq!(dom.backend().mutations - before, 12, "lazily: {lazily}");
    }
}

/// Holes whose values would not give the template's one node per child (an empty text, a
/// text next to a text, nothing at all) or that merge with a constant attribute: those items
/// are built as trees, and either path takes over from the other at the next render.
#[test]
fn holes_that_do_not_fit_the_template_are_built_as_trees() {
    fn item(n: u32, variant: u32) -> Element<Msg> {
        let label = match variant % 4 {
            0 => format!("item {n}"),
            1 => String::new(),
            _ => format!("#{n}"),
        };
        let extra = match variant % 3 {
            0 => Element::none(),
            1 => b([], [text("bold")]),
            _ => text("plain"),
        };
        let tone = match variant % 5 {
            0 => class("loud"),
            1 => attribute("title", format!("t{n}")),
            _ => attribute::none(),
        };
        // Two holes side by side: two texts there are one node.
        let either = |k: u32| match k % 3 {
            0 => text(format!("{k}")),
            1 => b([], [text("b")]),
            _ => Element::none(),
        };
        view! {
            html::li(
                [class("item"), tone],
                [
                    span([], [text("Item "), text(label)]),
                    span([], [extra]),
                    span([], [either(variant), either(variant / 3)]),
                    a([on_click(Msg::Select(n))], [text("select")]),
                ],
            )
        }
    }
    let list = |step: u32, ns: &[u32]| {
        html::keyed(
            "ul",
            [],
            ns.iter().map(|&n| (Key::from(n), item(n, n + step))),
        )
    };
    let ns: Vec<u32> = (0..60).collect();
    let mut dom = created(list(0, &[]), list(0, &ns));
    assert_eq!(state(&dom), parsed(&list(0, &ns)));
    for step in 1..8 {
        dom.update(list(step, &ns));
        assert_eq!(state(&dom), parsed(&list(step, &ns)), "step {step}");
        let b = dom.backend();
        let ul = b.children(*dom.root())[0];
        for (i, &n) in ns.iter().enumerate() {
            let link = *b.children(b.children(ul)[i]).last().expect("the link");
            assert_eq!(
                click(&dom, link),
                vec![Msg::Select(n)],
                "step {step}, item {n}"
            );
        }
    }
}

/// An attribute can move from one hole to another of the same element between renders: it
/// must end up set, whichever hole had it before. A listener that changed is rebound.
#[test]
fn attributes_and_listeners_in_holes_are_patched_in_place() {
    fn item(n: u32, first: bool) -> Element<Msg> {
        let title = || attribute("title", format!("t{n}"));
        let message = if first {
            Msg::Select(n)
        } else {
            Msg::Remove(n)
        };
        view! {
            html::li(
                [
                    if first { title() } else { attribute::none() },
                    if first { attribute::none() } else { title() },
                    attribute("data-n", n.to_string()),
                ],
                [span([], [text("x")]), a([on_click(message)], [text("go")]), span([], [text("z")])],
            )
        }
    }
    let list = |first: bool| html::keyed("ul", [], (0..5).map(|n| (Key::from(n), item(n, first))));
    let mut dom = created(html::keyed("ul", [], []), list(true));
    for first in [false, true, false] {
        let before = dom.backend().clones;
        dom.update(list(first));
        assert_eq!(state(&dom), parsed(&list(first)), "first: {first}");
        assert_eq!(dom.backend().clones, before, "patched, not re-created");
        let b = dom.backend();
        let ul = b.children(*dom.root())[0];
        for n in 0..5 {
            let link = b.children(b.children(ul)[n as usize])[1];
            let expected = if first {
                Msg::Select(n)
            } else {
                Msg::Remove(n)
            };
            assert_eq!(click(&dom, link), vec![expected], "first: {first}");
        }
    }
}

/// Properties are not copied by a clone: each clone sets its own, and a diff compares them
/// with the live DOM, as for a tree (the user may have changed them).
#[test]
fn properties_in_holes_are_set_on_clones_and_follow_the_model() {
    fn item(n: u32, done: bool) -> Element<Msg> {
        view! {
            html::li(
                [class("todo")],
                [
                    html::input([attribute::type_("checkbox"), attribute::checked(done), on_click(Msg::Select(n))]),
                    span([], [text(n)]),
                    span([], [text("todo")]),
                ],
            )
        }
    }
    let list = |done: &dyn Fn(u32) -> bool| {
        html::keyed("ul", [], (0..6).map(|n| (Key::from(n), item(n, done(n)))))
    };
    let mut dom = created(html::keyed("ul", [], []), list(&|n| n.is_multiple_of(2)));
    assert_eq!(dom.backend().clones, 6, "every item cloned");
    assert_eq!(state(&dom), parsed(&list(&|n| n.is_multiple_of(2))));
    assert!(state(&dom).contains(".checked"), "{}", state(&dom));
    for done in [|n: u32| n.is_multiple_of(3), |_| false, |_| true] {
        dom.update(list(&done));
        assert_eq!(state(&dom), parsed(&list(&done)));
    }
}

/// Random edits of a table of `view!` rows — moves, inserts, removals, new labels and
/// selections — leave the DOM as the server would render the same rows, every time.
#[test]
fn random_edits_keep_the_dom_equal_to_the_server_markup() {
    let mut seed = 0x2545_f491_u32;
    let mut random = |max: u32| {
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;
        seed % max
    };
    for lazily in [false, true] {
        let mut data = rows(0..40);
        let mut next = 40;
        let mut dom = created(table(&[], lazily), table(&data, lazily));
        for step in 0..60 {
            match random(5) {
                0 if data.len() > 1 => {
                    let (i, j) = (random(data.len() as u32), random(data.len() as u32));
                    data.swap(i as usize, j as usize);
                }
                1 if !data.is_empty() => {
                    data.remove(random(data.len() as u32) as usize);
                }
                2 => {
                    let at = random(data.len() as u32 + 1) as usize;
                    data.insert(at, rows(next..next + 1).remove(0));
                    next += 1;
                }
                3 => {
                    for row in data.iter_mut() {
                        if random(4) == 0 {
                            row.label = format!("label {}", random(9));
                        }
                    }
                }
                _ => {
                    let chosen = random(50);
                    for row in &mut data {
                        row.selected = row.id == chosen;
                    }
                }
            }
            dom.update(table(&data, lazily));
            assert_eq!(
                state(&dom),
                parsed(&table(&data, false)),
                "lazily: {lazily}, step {step}"
            );
        }
        for (i, row) in data.iter().enumerate() {
            let (label, remove) = links(&dom, i);
            assert_eq!(click(&dom, label), vec![Msg::Select(row.id)]);
            assert_eq!(click(&dom, remove), vec![Msg::Remove(row.id)]);
        }
    }
}

/// An item whose holes only write (texts, attributes, listeners) is mounted without its
/// descendants' handles; when its holes stop fitting that, or stop fitting the template, it is
/// mounted from the DOM and diffed as before. Its listener slots go with it: the link keeps
/// its slot on every path, and removed items' slots are reused, not leaked.
#[test]
fn listener_slots_survive_every_path_and_are_freed_with_their_items() {
    fn item(n: u32, variant: u32) -> Element<Msg> {
        let label = match variant {
            // Does not fit the template: an empty text has no node.
            2 => String::new(),
            _ => format!("item {n}"),
        };
        // An element in a child hole needs handles to be created.
        let extra = match variant {
            1 => b([], [text("new")]),
            _ => text("plain"),
        };
        view! {
            html::li(
                [class("item")],
                [a([on_click(Msg::Select(n))], [text(label)]), span([], [extra])],
            )
        }
    }
    let list = |variant: u32, ns: &[u32]| {
        html::keyed(
            "ul",
            [],
            ns.iter().map(|&n| (Key::from(n), item(n, variant))),
        )
    };
    let link_slots = |dom: &rally_view::dom::Dom<Msg, rally_view::dom::memory::MemoryDom>| {
        let b = dom.backend();
        let ul = b.children(*dom.root())[0];
        let links: Vec<_> = b.children(ul).iter().map(|&li| b.children(li)[0]).collect();
        links.iter().map(|&a| b.slot(a)).collect::<Vec<_>>()
    };
    let sorted = |mut slots: Vec<Option<u32>>| {
        slots.sort();
        slots
    };
    let mut dom = created(list(0, &[]), list(0, &[10, 11, 12, 13, 14]));
    let first = link_slots(&dom);
    assert!(first.iter().all(Option::is_some));
    // Removed, then created again: the new items take the freed slots.
    dom.update(list(0, &[]));
    let ns: Vec<u32> = (0..5).collect();
    dom.update(list(0, &ns));
    assert_eq!(sorted(link_slots(&dom)), sorted(first));
    let first = link_slots(&dom);
    for variant in [1, 0, 2, 0, 2, 1, 0] {
        dom.update(list(variant, &ns));
        assert_eq!(
            state(&dom),
            parsed(&list(variant, &ns)),
            "variant {variant}"
        );
        assert_eq!(
            link_slots(&dom),
            first,
            "variant {variant}: slots rewritten in place"
        );
        let b = dom.backend();
        let ul = b.children(*dom.root())[0];
        for (i, &n) in ns.iter().enumerate() {
            let link = b.children(b.children(ul)[i])[0];
            assert_eq!(click(&dom, link), vec![Msg::Select(n)], "variant {variant}");
        }
    }
    // Mounted as trees by now: their slots are freed as a tree's are.
    dom.update(list(0, &[]));
    dom.update(list(0, &[10, 11, 12, 13, 14]));
    assert_eq!(sorted(link_slots(&dom)), sorted(first));
}
