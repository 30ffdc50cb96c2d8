//! `keyed_lazy`: a keyed list of rows built by one view, only where a row's argument changed.
//!
//! Its contract is that of `html::keyed` over `lazy` rows: the same markup, the same DOM after
//! any edit, the same mutations, the same listeners; and no view call for a row whose key and
//! argument were there before.

use std::cell::Cell;

use proptest::prelude::*;
use proptest::sample::Index;
use rally_view::attribute::class;
use rally_view::dom::Dom;
use rally_view::dom::memory::{MemoryDom, NodeId};
use rally_view::event::on_click;
use rally_view::html::{self, button, keyed_lazy, li, text};
use rally_view::render::to_html;
use rally_view::testing::FakeEvent;
use rally_view::{Element, Key};

thread_local! {
    static VIEWS: Cell<usize> = const { Cell::new(0) };
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Msg {
    Select(u64),
    Remove(u64),
}

/// One row: its key, and a version that changes what it shows.
#[derive(Clone, Debug, PartialEq)]
struct Item {
    id: u64,
    version: u8,
}

fn item_view(item: &Item) -> Element<Msg> {
    VIEWS.with(|c| c.set(c.get() + 1));
    plain_item(item)
}

fn plain_item(item: &Item) -> Element<Msg> {
    li(
        [
            class(format!("v{}", item.version)),
            on_click(Msg::Select(item.id)),
        ],
        [
            text(format!("item {} v{}", item.id, item.version)),
            button([on_click(Msg::Remove(item.id))], [text("x")]),
        ],
    )
}

fn lazy_list(items: &[Item]) -> Element<Msg> {
    keyed_lazy(
        "ul",
        [class("items")],
        items.iter().map(|item| (item.id, item.clone())),
        item_view,
    )
}

/// What `lazy_list` must be equivalent to.
fn plain_list(items: &[Item]) -> Element<Msg> {
    html::keyed(
        "ul",
        [class("items")],
        items
            .iter()
            .map(|item| (Key::from(item.id), plain_item(item))),
    )
}

fn items(ids: impl IntoIterator<Item = u64>) -> Vec<Item> {
    ids.into_iter().map(|id| Item { id, version: 0 }).collect()
}

fn mount(view: Element<Msg>) -> Dom<Msg, MemoryDom> {
    let mut backend = MemoryDom::new();
    let root = backend.create_container();
    Dom::mount(backend, root, view)
}

fn state(dom: &Dom<Msg, MemoryDom>) -> String {
    dom.backend().inner_state(*dom.root())
}

fn views() -> usize {
    VIEWS.with(|c| c.replace(0))
}

/// The `<li>` nodes, in order.
fn rows(dom: &Dom<Msg, MemoryDom>) -> Vec<NodeId> {
    let ul = dom.backend().children(*dom.root())[0];
    dom.backend().children(ul).to_vec()
}

/// The messages a click on `node` produces.
fn click(dom: &Dom<Msg, MemoryDom>, node: NodeId) -> Vec<Msg> {
    let slots = dom.backend().slots_to_root(node, *dom.root());
    dom.resolve_event(slots, &FakeEvent::new("click")).messages
}

/// Every row's link and button send that row's messages.
fn check_listeners(dom: &Dom<Msg, MemoryDom>, items: &[Item]) -> Result<(), TestCaseError> {
    for (row, item) in rows(dom).into_iter().zip(items) {
        prop_assert_eq!(click(dom, row), vec![Msg::Select(item.id)]);
        let remove = dom.backend().children(row)[1];
        prop_assert_eq!(
            click(dom, remove),
            vec![Msg::Remove(item.id), Msg::Select(item.id)]
        );
    }
    Ok(())
}

#[test]
fn the_server_renders_what_keyed_rows_render() {
    let list = items(0..5);
    assert_eq!(to_html(&lazy_list(&list)), to_html(&plain_list(&list)));
    assert_eq!(
        to_html(&lazy_list(&[])),
        r#"<ul class="items"></ul>"#,
        "no rows, no children"
    );
}

#[test]
fn selecting_a_row_builds_and_patches_only_the_rows_that_changed() {
    let mut list = items(0..1000);
    views();
    let mut dom = mount(lazy_list(&list));
    assert_eq!(views(), 1000, "the first render builds every row");
    let nodes = rows(&dom);

    list[10].version = 1;
    list[500].version = 1;
    let before = dom.backend().mutations;
    dom.update(lazy_list(&list));
    assert_eq!(views(), 2, "only the two changed rows are built");
    assert_eq!(
        dom.backend().mutations - before,
        4,
        "a class and a text in each of the two rows"
    );
    assert_eq!(state(&dom), state(&mount(plain_list(&list))));
    assert_eq!(rows(&dom), nodes, "every row kept its DOM node");

    dom.update(lazy_list(&list));
    assert_eq!(views(), 0, "nothing changed: no view ran");
    check_listeners(&dom, &list).unwrap();
}

/// One run of rows inserted or removed between ends that stay (appending rows, removing one,
/// as the js-framework-benchmark does): the same DOM and mutations as the plain keyed list,
/// every other row kept on its node, and only new and changed rows built.
#[test]
fn a_run_inserted_or_removed_keeps_both_ends() {
    let bumped = |mut list: Vec<Item>, ids: &[u64]| {
        for item in list.iter_mut().filter(|i| ids.contains(&i.id)) {
            item.version = 1;
        }
        list
    };
    let old = items(0..20);
    let without = |gone: std::ops::Range<u64>| items((0..20).filter(|i| !gone.contains(i)));
    let cases = [
        without(5..6),
        without(0..1),
        without(19..20),
        without(3..9),
        items(0..25),
        items((100..103).chain(0..20)),
        items((0..7).chain(100..102).chain(7..20)),
        bumped(without(10..12), &[2, 15]),
        bumped(items(0..23), &[0, 19]),
        items(0..0).into_iter().chain(items(100..104)).collect(),
    ];
    for new in cases {
        let ids: Vec<u64> = new.iter().map(|i| i.id).collect();
        if let Err(e) = an_edit_matches_the_plain_keyed_list(&old, &new) {
            panic!("{ids:?}: {e}");
        }
    }
}

/// Old keys `0..n`; new ones reordered, some dropped, some inserted; each kept row's version
/// changed or not.
fn edit() -> impl Strategy<Value = (Vec<Item>, Vec<Item>)> {
    (0..30usize)
        .prop_flat_map(|n| {
            let old: Vec<u64> = (0..n as u64).collect();
            (
                Just(old.clone()).prop_shuffle(),
                prop::bool::ANY,
                prop::collection::vec(prop::bool::weighted(0.85), n),
                prop::collection::vec(prop::bool::weighted(0.2), n),
                prop::collection::vec(any::<Index>(), 0..4),
                Just(old),
            )
        })
        .prop_map(|(shuffled, shuffle, keep, bump, inserts, old)| {
            let order = if shuffle { shuffled } else { old.clone() };
            let mut new: Vec<Item> = order
                .into_iter()
                .zip(keep)
                .zip(bump)
                .filter(|((_, keep), _)| *keep)
                .map(|((id, _), bump)| Item {
                    id,
                    version: u8::from(bump),
                })
                .collect();
            for (j, at) in inserts.into_iter().enumerate() {
                let at = at.index(new.len() + 1);
                new.insert(
                    at,
                    Item {
                        id: 1000 + j as u64,
                        version: 0,
                    },
                );
            }
            (items(old), new)
        })
}

/// Edits of the shapes the list finds by comparing rows: some rows changed in place, then two
/// rows swapped, or one run of rows removed or inserted.
fn small_edit() -> impl Strategy<Value = (Vec<Item>, Vec<Item>)> {
    (1..30usize)
        .prop_flat_map(|n| {
            (
                Just(n),
                0..3u8,
                prop::collection::vec(prop::bool::weighted(0.2), n),
                (0..n, 0..n),
                (0..=n, 0..4usize),
            )
        })
        .prop_map(|(n, shape, bump, (a, b), (at, len))| {
            let old = items(0..n as u64);
            let mut new: Vec<Item> = old
                .iter()
                .zip(bump)
                .map(|(item, bump)| Item {
                    id: item.id,
                    version: u8::from(bump),
                })
                .collect();
            match shape {
                0 => new.swap(a, b),
                1 => drop(new.drain(at..(at + len).min(n))),
                _ => drop(new.splice(at..at, items(1000..1000 + len as u64))),
            }
            (old, new)
        })
}

/// `new` after `old` gives the DOM a fresh render gives, with the mutations the plain keyed
/// list takes, rows kept on their nodes, listeners that send each row's messages, and a view
/// call only for the rows that are new or changed; and back again.
fn an_edit_matches_the_plain_keyed_list(old: &[Item], new: &[Item]) -> Result<(), TestCaseError> {
    let mut plain = mount(plain_list(old));
    let before = plain.backend().mutations;
    plain.update(plain_list(new));
    let plain_cost = plain.backend().mutations - before;

    let mut dom = mount(lazy_list(old));
    let kept: Vec<(u64, NodeId)> = old.iter().map(|i| i.id).zip(rows(&dom)).collect();
    views();
    let before = dom.backend().mutations;
    dom.update(lazy_list(new));
    prop_assert_eq!(dom.backend().mutations - before, plain_cost);
    prop_assert_eq!(state(&dom), state(&mount(plain_list(new))));
    let built = new.iter().filter(|item| !old.contains(item)).count();
    prop_assert_eq!(views(), built, "only new and changed rows are built");
    for (item, node) in new.iter().zip(rows(&dom)) {
        if let Some((_, was)) = kept.iter().find(|(id, _)| *id == item.id) {
            prop_assert_eq!(node, *was, "row {} was recreated", item.id);
        }
    }
    check_listeners(&dom, new)?;

    // And back: the rows built in the update are kept for the next one.
    dom.update(lazy_list(old));
    prop_assert_eq!(state(&dom), state(&mount(plain_list(old))));
    check_listeners(&dom, old)?;
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// Any edit gives the DOM a fresh render gives, with the mutations the plain keyed list
    /// takes, rows kept on their nodes, listeners that send each row's messages, and a view
    /// call only for the rows that are new or changed.
    #[test]
    fn any_edit_matches_a_plain_keyed_list((old, new) in edit()) {
        an_edit_matches_the_plain_keyed_list(&old, &new)?;
    }

    /// Edits in place, swaps and runs, found without the keyed diff: the same.
    #[test]
    fn any_small_edit_matches_a_plain_keyed_list((old, new) in small_edit()) {
        an_edit_matches_the_plain_keyed_list(&old, &new)?;
    }
}

#[test]
fn a_list_hydrates_the_server_markup_without_mutations() {
    let list = items(0..20);
    let mut backend = MemoryDom::new();
    let root = backend.create_container();
    backend.load_html(root, &to_html(&plain_list(&list)));
    views();
    let (mut dom, report) = Dom::hydrate(backend, root, lazy_list(&list));
    assert_eq!(report.mismatches, 0);
    assert_eq!(dom.backend().mutations, 0);
    assert_eq!(views(), 20);
    check_listeners(&dom, &list).unwrap();

    let mut next = list.clone();
    next[7].version = 3;
    dom.update(lazy_list(&next));
    assert_eq!(views(), 1, "the hydrated rows are kept like rendered ones");
    assert_eq!(state(&dom), state(&mount(plain_list(&next))));
}

/// A page's view is mapped into its mount's messages on every render: the list stays lazy,
/// its rows send mapped messages, and a mapping that carries data rebuilds every row.
#[test]
fn a_mapped_list_stays_lazy() {
    #[derive(Clone, Debug, PartialEq)]
    enum Outer {
        Page(Msg),
    }
    let view = |list: &[Item]| lazy_list(list).map(Outer::Page);
    let mut list = items(0..50);
    let mut backend = MemoryDom::new();
    let root = backend.create_container();
    let mut dom = Dom::mount(backend, root, view(&list));
    assert_eq!(to_html(&view(&list)), to_html(&plain_list(&list)));
    views();

    list[4].version = 1;
    list.swap(10, 40);
    dom.update(view(&list));
    assert_eq!(views(), 1, "only the changed row is built");
    assert_eq!(
        dom.backend().inner_state(root),
        state(&mount(plain_list(&list)))
    );
    // The same keys in the same order: the mapped lists are compared in one pass.
    list[20].version = 2;
    dom.update(view(&list));
    assert_eq!(views(), 1, "only the changed row is built, keys unchanged");
    assert_eq!(
        dom.backend().inner_state(root),
        state(&mount(plain_list(&list)))
    );
    let ul = dom.backend().children(root)[0];
    let row = dom.backend().children(ul)[10];
    let slots = dom.backend().slots_to_root(row, root);
    let outcome = dom.resolve_event(slots, &FakeEvent::new("click"));
    assert_eq!(outcome.messages, vec![Outer::Page(Msg::Select(40))]);

    let offset = 7;
    let capturing = move |list: &[Item]| {
        lazy_list(list).map(move |m| match m {
            Msg::Select(id) => Msg::Select(id + offset),
            other => other,
        })
    };
    let mut dom = mount(capturing(&list));
    views();
    dom.update(capturing(&list));
    assert_eq!(
        views(),
        50,
        "a capturing mapping is never taken as unchanged"
    );
}

#[test]
fn capturing_views_rebuild_and_rows_that_are_not_one_element_are_wrapped() {
    let suffix = String::from("!");
    let view = |n: u32| -> Element<()> {
        let suffix = suffix.clone();
        html::div(
            [],
            [
                keyed_lazy("p", [], [(1, n)], move |n: &u32| {
                    text(format!("{n}{suffix}"))
                }),
                keyed_lazy("p", [], [(1, n), (2, n + 1)], |n: &u32| text(n.to_string())),
            ],
        )
    };
    let expected = |n: u32| {
        format!(
            "<div><p><rally-lazy>{n}!</rally-lazy></p><p><rally-lazy>{n}</rally-lazy><rally-lazy>{}</rally-lazy></p></div>",
            n + 1
        )
    };
    assert_eq!(to_html(&view(1)), expected(1));
    let mut backend = MemoryDom::new();
    let root = backend.create_container();
    let mut dom = Dom::mount(backend, root, view(1));
    dom.update(view(2));
    assert_eq!(dom.backend().inner_state(root), expected(2));
}

#[test]
fn a_view_may_switch_between_plain_and_lazy_keyed_lists() {
    let list = items(0..10);
    let mut dom = mount(plain_list(&list));
    dom.update(lazy_list(&list));
    assert_eq!(state(&dom), state(&mount(plain_list(&list))));
    check_listeners(&dom, &list).unwrap();
    let mut next = list.clone();
    next.remove(3);
    dom.update(plain_list(&next));
    assert_eq!(state(&dom), state(&mount(plain_list(&next))));
}

#[test]
fn repeated_keys_still_render_every_row() {
    let list = vec![
        Item { id: 1, version: 0 },
        Item { id: 1, version: 1 },
        Item { id: 2, version: 0 },
    ];
    let mut dom = mount(lazy_list(&list[..1]));
    dom.update(lazy_list(&list));
    assert_eq!(state(&dom), state(&mount(plain_list(&list))));
    dom.update(lazy_list(&list[1..]));
    assert_eq!(state(&dom), state(&mount(plain_list(&list[1..]))));
}

/// Integer keys are kept in a vector of their own; a text key turns the list into one of
/// general keys. Either way, and across renders of different kinds, the list diffs as
/// `html::keyed` does, and an integer key never matches the text of its digits.
#[test]
fn text_keys_and_mixed_kinds_diff_like_keyed_rows() {
    let key = |id: u64| -> Key {
        if id.is_multiple_of(3) {
            Key::from(format!("{id}"))
        } else {
            Key::from(id)
        }
    };
    let lazy = |ids: &[u64], mixed: bool| {
        keyed_lazy(
            "ul",
            [class("items")],
            ids.iter().map(move |&id| {
                let k = if mixed { key(id) } else { Key::from(id) };
                (k, Item { id, version: 0 })
            }),
            item_view,
        )
    };
    let plain = |ids: &[u64], mixed: bool| {
        html::keyed(
            "ul",
            [class("items")],
            ids.iter().map(move |&id| {
                let k = if mixed { key(id) } else { Key::from(id) };
                (k, plain_item(&Item { id, version: 0 }))
            }),
        )
    };
    let steps: [(&[u64], bool); 6] = [
        (&[1, 2, 3, 4, 5, 6], false),
        (&[1, 2, 3, 4, 5, 6], true),
        (&[6, 5, 4, 3, 2, 1], true),
        (&[6, 4, 2, 9], true),
        (&[6, 4, 2, 9], false),
        (&[2, 6], false),
    ];
    let mut dom = mount(lazy(steps[0].0, steps[0].1));
    let mut plain_dom = mount(plain(steps[0].0, steps[0].1));
    for (ids, mixed) in &steps[1..] {
        let (lazy_before, plain_before) = (dom.backend().mutations, plain_dom.backend().mutations);
        dom.update(lazy(ids, *mixed));
        plain_dom.update(plain(ids, *mixed));
        assert_eq!(state(&dom), state(&mount(plain(ids, *mixed))), "{ids:?}");
        assert_eq!(
            dom.backend().mutations - lazy_before,
            plain_dom.backend().mutations - plain_before,
            "{ids:?}, mixed {mixed}: the same mutations as keyed rows"
        );
        let items: Vec<Item> = ids.iter().map(|&id| Item { id, version: 0 }).collect();
        check_listeners(&dom, &items).unwrap();
    }
}
