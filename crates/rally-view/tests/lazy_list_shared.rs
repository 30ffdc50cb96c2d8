//! `keyed_lazy_shared`: a lazy keyed list over the model's own `Arc<Vec<T>>`, one row marked.
//!
//! Its contract is that of `html::keyed` over rows drawn with their mark: the same markup, the
//! same DOM after any edit, the same mutations, the same listeners. Beyond `keyed_lazy`: a
//! render of the very same vector reads no row at all except to find the mark, and moving the
//! mark builds the two rows whose mark changed.

use std::cell::Cell;
use std::sync::Arc;

use proptest::prelude::*;
use proptest::sample::Index;
use rally_view::attribute::{self, class};
use rally_view::dom::Dom;
use rally_view::dom::memory::{MemoryDom, NodeId};
use rally_view::event::on_click;
use rally_view::html::{self, keyed_lazy_shared, li, text};
use rally_view::render::to_html;
use rally_view::testing::FakeEvent;
use rally_view::{Element, Key};

thread_local! {
    static VIEWS: Cell<usize> = const { Cell::new(0) };
    static COMPARISONS: Cell<usize> = const { Cell::new(0) };
    static KEYS: Cell<usize> = const { Cell::new(0) };
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Msg {
    Select(u64),
}

/// One row: its key, and a version that changes what it shows. Comparisons are counted.
#[derive(Clone, Debug)]
struct Item {
    id: u64,
    version: u8,
}

impl PartialEq for Item {
    fn eq(&self, other: &Self) -> bool {
        COMPARISONS.with(|c| c.set(c.get() + 1));
        self.id == other.id && self.version == other.version
    }
}

fn item_view(item: &Item, marked: bool) -> Element<Msg> {
    VIEWS.with(|c| c.set(c.get() + 1));
    plain_item(item, marked)
}

fn plain_item(item: &Item, marked: bool) -> Element<Msg> {
    li(
        [
            if marked {
                class("marked")
            } else {
                attribute::none()
            },
            on_click(Msg::Select(item.id)),
        ],
        [text(format!("item {} v{}", item.id, item.version))],
    )
}

fn shared_list(items: &Arc<Vec<Item>>, mark: Option<u64>) -> Element<Msg> {
    keyed_lazy_shared(
        "ul",
        [class("items")],
        Arc::clone(items),
        item_key,
        mark,
        item_view,
    )
}

/// A row's key; keys made are counted.
fn item_key(item: &Item) -> u64 {
    KEYS.with(|c| c.set(c.get() + 1));
    item.id
}

/// What `shared_list` must be equivalent to.
fn plain_list(items: &[Item], mark: Option<u64>) -> Element<Msg> {
    html::keyed(
        "ul",
        [class("items")],
        items
            .iter()
            .map(|item| (Key::from(item.id), plain_item(item, Some(item.id) == mark))),
    )
}

fn items(ids: impl IntoIterator<Item = u64>) -> Arc<Vec<Item>> {
    Arc::new(ids.into_iter().map(|id| Item { id, version: 0 }).collect())
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

fn comparisons() -> usize {
    COMPARISONS.with(|c| c.replace(0))
}

fn keys() -> usize {
    KEYS.with(|c| c.replace(0))
}

/// The `<li>` nodes, in order.
fn rows(dom: &Dom<Msg, MemoryDom>) -> Vec<NodeId> {
    let ul = dom.backend().children(*dom.root())[0];
    dom.backend().children(ul).to_vec()
}

/// Every row sends its own message.
fn check_listeners(dom: &Dom<Msg, MemoryDom>, items: &[Item]) -> Result<(), TestCaseError> {
    for (row, item) in rows(dom).into_iter().zip(items) {
        let slots = dom.backend().slots_to_root(row, *dom.root());
        let messages = dom.resolve_event(slots, &FakeEvent::new("click")).messages;
        prop_assert_eq!(messages, vec![Msg::Select(item.id)]);
    }
    Ok(())
}

/// Mutations `update` takes from `old` to `new` on the plain keyed list.
fn plain_cost(old: (&[Item], Option<u64>), new: (&[Item], Option<u64>)) -> usize {
    let mut plain = mount(plain_list(old.0, old.1));
    let before = plain.backend().mutations;
    plain.update(plain_list(new.0, new.1));
    plain.backend().mutations - before
}

#[test]
fn the_server_renders_what_keyed_rows_render() {
    let list = items(0..5);
    assert_eq!(
        to_html(&shared_list(&list, Some(3))),
        to_html(&plain_list(&list, Some(3)))
    );
    assert_eq!(
        to_html(&shared_list(&items([]), Some(3))),
        r#"<ul class="items"></ul>"#,
        "no rows, no children"
    );
}

#[test]
fn moving_the_mark_over_the_same_rows_builds_two_rows_and_compares_none() {
    let list = items(0..1000);
    views();
    let mut dom = mount(shared_list(&list, None));
    assert_eq!(views(), 1000, "the first render builds every row");
    let nodes = rows(&dom);

    comparisons();
    dom.update(shared_list(&list, Some(10)));
    assert_eq!(views(), 1, "marking a row builds that row");
    dom.update(shared_list(&list, Some(500)));
    assert_eq!(
        views(),
        2,
        "moving the mark builds the two rows whose mark changed"
    );
    assert_eq!(
        comparisons(),
        0,
        "no row of the very same vector is compared"
    );
    assert_eq!(state(&dom), state(&mount(plain_list(&list, Some(500)))));
    assert_eq!(rows(&dom), nodes, "every row kept its DOM node");

    let before = dom.backend().mutations;
    dom.update(shared_list(&list, Some(7)));
    assert_eq!(
        dom.backend().mutations - before,
        plain_cost((&list, Some(500)), (&list, Some(7))),
        "the mutations of the plain keyed list"
    );
    assert_eq!(dom.backend().mutations - before, 2, "one class off, one on");
    views();

    dom.update(shared_list(&list, Some(7)));
    dom.update(shared_list(&list, Some(5000)));
    dom.update(shared_list(&list, Some(6000)));
    assert_eq!(
        views(),
        1,
        "only the row that lost the mark to an absent key is built"
    );
    assert_eq!(comparisons(), 0);
    assert_eq!(state(&dom), state(&mount(plain_list(&list, None))));
    check_listeners(&dom, &list).unwrap();
}

#[test]
fn another_vector_of_equal_rows_builds_nothing_but_the_marks() {
    let list = items(0..100);
    let mut dom = mount(shared_list(&list, Some(1)));
    views();
    comparisons();

    let copy = Arc::new(list.as_ref().clone());
    dom.update(shared_list(&copy, Some(1)));
    assert_eq!(views(), 0, "equal rows are not built");
    assert_eq!(comparisons(), 100, "each row is compared once");

    dom.update(shared_list(&list, Some(2)));
    assert_eq!(views(), 2);
    assert_eq!(state(&dom), state(&mount(plain_list(&list, Some(2)))));
}

#[test]
fn edits_through_make_mut_build_only_new_changed_and_remarked_rows() {
    let mut list = items(0..1000);
    let mut dom = mount(shared_list(&list, Some(3)));
    let nodes = rows(&dom);
    views();

    // As an app updates its model: the last render still holds the vector, so it is copied.
    let held = Arc::clone(&list);
    let rows_mut = Arc::make_mut(&mut list);
    rows_mut[10].version = 1;
    rows_mut[900].version = 1;
    assert!(!Arc::ptr_eq(&held, &list));
    dom.update(shared_list(&list, Some(4)));
    assert_eq!(views(), 4, "two edited rows, and the two whose mark moved");
    assert_eq!(state(&dom), state(&mount(plain_list(&list, Some(4)))));
    assert_eq!(rows(&dom), nodes, "every row kept its DOM node");

    Arc::make_mut(&mut list).remove(500);
    Arc::make_mut(&mut list).push(Item {
        id: 5000,
        version: 0,
    });
    dom.update(shared_list(&list, Some(5000)));
    assert_eq!(
        views(),
        2,
        "the new row, marked, and the row that lost the mark"
    );
    assert_eq!(state(&dom), state(&mount(plain_list(&list, Some(5000)))));
    check_listeners(&dom, &list).unwrap();
}

/// `list` mounted unmarked, its row nodes, and the counters at zero.
fn mount_counted(list: &Arc<Vec<Item>>) -> (Dom<Msg, MemoryDom>, Vec<NodeId>) {
    let dom = mount(shared_list(list, None));
    let nodes = rows(&dom);
    views();
    comparisons();
    keys();
    (dom, nodes)
}

#[test]
fn a_swap_moves_two_rows_and_makes_the_keys_of_those_two_only() {
    let mut list = items(0..1000);
    let (mut dom, nodes) = mount_counted(&list);

    Arc::make_mut(&mut list).swap(1, 998);
    let before = dom.backend().mutations;
    dom.update(shared_list(&list, None));
    assert_eq!(dom.backend().mutations - before, 2, "two moves");
    assert_eq!(views(), 0, "the swapped rows did not change");
    assert_eq!(
        comparisons(),
        1000 + 2,
        "each row once, then the swapped pair"
    );
    assert_eq!(
        keys(),
        8,
        "the keys of the two rows that differ, twice each"
    );
    let mut swapped = nodes.clone();
    swapped.swap(1, 998);
    assert_eq!(rows(&dom), swapped, "the two rows' nodes traded places");
    assert_eq!(state(&dom), state(&mount(plain_list(&list, None))));
    check_listeners(&dom, &list).unwrap();

    // Neighbours swap with one move, as the keyed diff moves them.
    Arc::make_mut(&mut list).swap(500, 501);
    let before = dom.backend().mutations;
    dom.update(shared_list(&list, None));
    assert_eq!(dom.backend().mutations - before, 1, "one move");
    assert_eq!(state(&dom), state(&mount(plain_list(&list, None))));
}

#[test]
fn removing_a_row_compares_rows_and_makes_no_key() {
    let mut list = items(0..1000);
    let (mut dom, nodes) = mount_counted(&list);

    Arc::make_mut(&mut list).remove(3);
    let before = dom.backend().mutations;
    dom.update(shared_list(&list, None));
    assert_eq!(dom.backend().mutations - before, 1, "one removal");
    assert_eq!((views(), keys()), (0, 0), "no row built, no key made");
    assert_eq!(
        comparisons(),
        1000,
        "each remaining row once, and the first that differs"
    );
    let mut kept = nodes.clone();
    kept.remove(3);
    assert_eq!(rows(&dom), kept);
    check_listeners(&dom, &list).unwrap();

    // The next diff by keys still has them: make them for the old rows when needed.
    let reversed = Arc::new(list.iter().rev().cloned().collect::<Vec<_>>());
    dom.update(shared_list(&reversed, None));
    assert_eq!(state(&dom), state(&mount(plain_list(&reversed, None))));
}

/// Edits of the shapes compared row by row: some rows changed in place, two rows swapped,
/// one run of rows removed or inserted; each with any move of the mark.
fn small_edit() -> impl Strategy<Value = (Vec<Item>, Option<u64>, Vec<Item>, Option<u64>)> {
    (1..30usize)
        .prop_flat_map(|n| {
            (
                Just(n),
                0..3u8,
                prop::collection::vec(prop::bool::weighted(0.2), n),
                (0..n, 0..n),
                (0..=n, 0..4usize),
                prop::option::of(0..n as u64 + 4),
                prop::option::of(0..n as u64 + 4),
            )
        })
        .prop_map(|(n, shape, bump, (a, b), (at, len), old_mark, new_mark)| {
            let old: Vec<Item> = (0..n as u64).map(|id| Item { id, version: 0 }).collect();
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
                1 => {
                    let end = (at + len).min(n);
                    new.drain(at..end);
                }
                _ => {
                    let fresh = (0..len as u64).map(|k| Item {
                        id: 1000 + k,
                        version: 0,
                    });
                    new.splice(at..at, fresh);
                }
            }
            (old, old_mark, new, new_mark)
        })
}

/// Old keys `0..n` with an old mark; new ones reordered, some dropped, some inserted, each
/// kept row's version changed or not, and a new mark; in a new vector or the very same one.
fn edit() -> impl Strategy<Value = (Vec<Item>, Option<u64>, Vec<Item>, Option<u64>)> {
    (0..30usize)
        .prop_flat_map(|n| {
            let old: Vec<u64> = (0..n as u64).collect();
            (
                Just(old.clone()).prop_shuffle(),
                prop::bool::ANY,
                prop::collection::vec(prop::bool::weighted(0.85), n),
                prop::collection::vec(prop::bool::weighted(0.2), n),
                prop::collection::vec(any::<Index>(), 0..4),
                prop::option::of(0..n as u64 + 4),
                prop::option::of(0..n as u64 + 4),
                Just(old),
            )
        })
        .prop_map(
            |(shuffled, shuffle, keep, bump, inserts, old_mark, new_mark, old)| {
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
                let old = old.into_iter().map(|id| Item { id, version: 0 }).collect();
                (old, old_mark, new, new_mark)
            },
        )
}

/// `new` after `old` gives the DOM a fresh render gives, with the mutations of the plain
/// keyed list, rows kept on their nodes, listeners that send each row's messages, and a view
/// call only for rows that are new, changed or whose mark changed.
fn an_edit_matches_the_plain_keyed_list(
    (old, old_mark): (Arc<Vec<Item>>, Option<u64>),
    (new, new_mark): (Arc<Vec<Item>>, Option<u64>),
) -> Result<(), TestCaseError> {
    let cost = plain_cost((&old, old_mark), (&new, new_mark));
    let mut dom = mount(shared_list(&old, old_mark));
    let kept: Vec<(u64, NodeId)> = old.iter().map(|i| i.id).zip(rows(&dom)).collect();
    views();
    let before = dom.backend().mutations;
    dom.update(shared_list(&new, new_mark));
    prop_assert_eq!(dom.backend().mutations - before, cost);
    prop_assert_eq!(state(&dom), state(&mount(plain_list(&new, new_mark))));
    let marked = |mark: Option<u64>, item: &Item| Some(item.id) == mark;
    let built = new
        .iter()
        .filter(|item| {
            !old.iter()
                .any(|o| o == *item && marked(old_mark, o) == marked(new_mark, item))
        })
        .count();
    prop_assert_eq!(
        views(),
        built,
        "only new, changed and remarked rows are built"
    );
    for (item, node) in new.iter().zip(rows(&dom)) {
        if let Some((_, was)) = kept.iter().find(|(id, _)| *id == item.id) {
            prop_assert_eq!(node, *was, "row {} was recreated", item.id);
        }
    }
    check_listeners(&dom, &new)?;

    dom.update(shared_list(&old, old_mark));
    prop_assert_eq!(state(&dom), state(&mount(plain_list(&old, old_mark))));
    check_listeners(&dom, &old)?;
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// Any edit and any move of the mark, in a new vector: as the plain keyed list.
    #[test]
    fn any_edit_matches_a_plain_keyed_list((old, old_mark, new, new_mark) in edit()) {
        an_edit_matches_the_plain_keyed_list((Arc::new(old), old_mark), (Arc::new(new), new_mark))?;
    }

    /// Edits in place, swaps and runs, found by comparing rows: as the plain keyed list.
    #[test]
    fn any_small_edit_matches_a_plain_keyed_list((old, old_mark, new, new_mark) in small_edit()) {
        an_edit_matches_the_plain_keyed_list((Arc::new(old), old_mark), (Arc::new(new), new_mark))?;
    }

    /// Any move of the mark over the very same vector: as the plain keyed list.
    #[test]
    fn any_move_of_the_mark_matches_a_plain_keyed_list((old, old_mark, _, new_mark) in edit()) {
        let rows = Arc::new(old);
        an_edit_matches_the_plain_keyed_list((Arc::clone(&rows), old_mark), (rows, new_mark))?;
    }
}

#[test]
fn a_list_hydrates_the_server_markup_without_mutations() {
    let list = items(0..20);
    let mut backend = MemoryDom::new();
    let root = backend.create_container();
    backend.load_html(root, &to_html(&plain_list(&list, Some(4))));
    views();
    let (mut dom, report) = Dom::hydrate(backend, root, shared_list(&list, Some(4)));
    assert_eq!(report.mismatches, 0);
    assert_eq!(dom.backend().mutations, 0);
    assert_eq!(views(), 20);
    check_listeners(&dom, &list).unwrap();

    dom.update(shared_list(&list, Some(9)));
    assert_eq!(views(), 2, "the hydrated rows are kept like rendered ones");
    assert_eq!(state(&dom), state(&mount(plain_list(&list, Some(9)))));
}

#[test]
fn a_mapped_list_keeps_the_mark_path() {
    #[derive(Clone, Debug, PartialEq)]
    enum Outer {
        Page(Msg),
    }
    let view = |list: &Arc<Vec<Item>>, mark| shared_list(list, mark).map(Outer::Page);
    let list = items(0..50);
    let mut backend = MemoryDom::new();
    let root = backend.create_container();
    let mut dom = Dom::mount(backend, root, view(&list, None));
    views();
    comparisons();

    dom.update(view(&list, Some(8)));
    dom.update(view(&list, Some(9)));
    assert_eq!(views(), 3);
    assert_eq!(comparisons(), 0);
    assert_eq!(
        dom.backend().inner_state(root),
        state(&mount(plain_list(&list, Some(9))))
    );
    let ul = dom.backend().children(root)[0];
    let row = dom.backend().children(ul)[9];
    let slots = dom.backend().slots_to_root(row, root);
    let outcome = dom.resolve_event(slots, &FakeEvent::new("click"));
    assert_eq!(outcome.messages, vec![Outer::Page(Msg::Select(9))]);
}

#[test]
fn a_capturing_view_rebuilds_every_row() {
    let prefix = String::from("#");
    let view = |list: &Arc<Vec<Item>>, mark: Option<u64>| -> Element<()> {
        let prefix = prefix.clone();
        keyed_lazy_shared(
            "ul",
            [],
            Arc::clone(list),
            |item: &Item| item.id,
            mark,
            move |item: &Item, marked: bool| {
                VIEWS.with(|c| c.set(c.get() + 1));
                li([], [text(format!("{prefix}{} {marked}", item.id))])
            },
        )
    };
    let list = items(0..10);
    let mut backend = MemoryDom::new();
    let root = backend.create_container();
    let mut dom = Dom::mount(backend, root, view(&list, None));
    views();
    dom.update(view(&list, Some(3)));
    assert_eq!(views(), 10, "a capturing view is never taken as unchanged");
    assert_eq!(
        dom.backend().inner_state(root),
        to_html(&view(&list, Some(3)))
    );
}
