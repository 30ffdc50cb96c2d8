//! `keyed_lazy_shared_class`: a shared lazy list that shows its marked row with a class it
//! puts on the row's root itself.
//!
//! Its contract is that of `html::keyed` over rows whose root gets the class when marked: the
//! same markup, the same DOM after any edit, the same number of mutations, the same listeners.
//! Beyond `keyed_lazy_shared`: the view never sees the mark, so moving it builds no row and
//! compares none; it toggles the class on two elements.
//!
//! One difference is allowed and written down: a row that lost the mark and has no class of
//! its own keeps `class=""`, as `classList` leaves it; the plain list removes the attribute.
//! [`state`] drops empty `class` attributes before comparing.

use std::cell::Cell;
use std::sync::Arc;

use proptest::prelude::*;
use proptest::sample::Index;
use rally_view::attribute::{self, class};
use rally_view::dom::Dom;
use rally_view::dom::memory::{MemoryDom, NodeId};
use rally_view::event::on_click;
use rally_view::html::{self, keyed_lazy_shared_class, li, span, text};
use rally_view::render::to_html;
use rally_view::testing::FakeEvent;
use rally_view::{Element, Key};

thread_local! {
    static VIEWS: Cell<usize> = const { Cell::new(0) };
    static COMPARISONS: Cell<usize> = const { Cell::new(0) };
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

/// A row with a class of its own, which changes with every third version: a patch of the
/// row then writes the root's `class` over.
fn item_view(item: &Item) -> Element<Msg> {
    VIEWS.with(|c| c.set(c.get() + 1));
    plain_item(item, None)
}

/// The class a row's view gives its root.
fn own_class(item: &Item) -> &'static str {
    if item.version % 3 == 2 {
        "item odd"
    } else {
        "item"
    }
}

fn plain_item(item: &Item, mark: Option<&'static str>) -> Element<Msg> {
    li(
        [
            class(own_class(item)),
            mark.map_or_else(attribute::none, class),
            on_click(Msg::Select(item.id)),
        ],
        [text(format!("item {} v{}", item.id, item.version))],
    )
}

fn class_list(items: &Arc<Vec<Item>>, mark: Option<u64>) -> Element<Msg> {
    keyed_lazy_shared_class(
        "ul",
        [class("items")],
        Arc::clone(items),
        |item: &Item| item.id,
        mark,
        "marked",
        item_view,
    )
}

/// What `class_list` must be equivalent to.
fn plain_list(items: &[Item], mark: Option<u64>) -> Element<Msg> {
    html::keyed(
        "ul",
        [class("items")],
        items.iter().map(|item| {
            let mark = (Some(item.id) == mark).then_some("marked");
            (Key::from(item.id), plain_item(item, mark))
        }),
    )
}

fn items(ids: impl IntoIterator<Item = u64>) -> Arc<Vec<Item>> {
    Arc::new(ids.into_iter().map(|id| Item { id, version: 0 }).collect())
}

fn mount<M: Clone + 'static>(view: Element<M>) -> Dom<M, MemoryDom> {
    let mut backend = MemoryDom::new();
    let root = backend.create_container();
    Dom::mount(backend, root, view)
}

/// The DOM under the root, without empty `class` attributes (see the module's comment).
fn state<M: Clone + 'static>(dom: &Dom<M, MemoryDom>) -> String {
    dom.backend()
        .inner_state(*dom.root())
        .replace(r#" class="""#, "")
}

fn views() -> usize {
    VIEWS.with(|c| c.replace(0))
}

fn comparisons() -> usize {
    COMPARISONS.with(|c| c.replace(0))
}

/// The `<li>` nodes, in order.
fn rows<M: Clone + 'static>(dom: &Dom<M, MemoryDom>) -> Vec<NodeId> {
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
fn the_server_joins_the_mark_to_the_root_class() {
    let list = items(0..5);
    assert_eq!(
        to_html(&class_list(&list, Some(3))),
        to_html(&plain_list(&list, Some(3)))
    );
    assert!(to_html(&class_list(&list, Some(3))).contains(r#"<li class="item marked">"#));
    assert_eq!(
        to_html(&class_list(&list, Some(99))),
        to_html(&plain_list(&list, None)),
        "a mark on no row shows nowhere"
    );

    // A root without a class gets one; a view that is not one element is wrapped, and the
    // wrapper is the root.
    let bare = |mark| {
        keyed_lazy_shared_class(
            "ul",
            [],
            items(1..3),
            |item: &Item| item.id,
            mark,
            "on",
            |item: &Item| -> Element<()> { li([], [text(item.id.to_string())]) },
        )
    };
    assert_eq!(
        to_html(&bare(Some(2))),
        r#"<ul><li>1</li><li class="on">2</li></ul>"#
    );
    let fragment = keyed_lazy_shared_class(
        "div",
        [],
        items(1..3),
        |item: &Item| item.id,
        Some(1),
        "on",
        |item: &Item| -> Element<()> { html::fragment([text("#"), text(item.id.to_string())]) },
    );
    assert_eq!(
        to_html(&fragment),
        r#"<div><rally-lazy class="on">#1</rally-lazy><rally-lazy>#2</rally-lazy></div>"#
    );
}

#[test]
fn a_view_macro_row_is_marked_on_the_server_too() {
    fn row(item: &Item) -> Element<()> {
        rally_view::view! {
            li([class("item")], [span([class("id")], [text(item.id.to_string())])])
        }
    }
    let list = keyed_lazy_shared_class(
        "ul",
        [],
        items(1..4),
        |item: &Item| item.id,
        Some(2),
        "marked",
        row,
    );
    assert_eq!(
        to_html(&list),
        concat!(
            r#"<ul><li class="item"><span class="id">1</span></li>"#,
            r#"<li class="item marked"><span class="id">2</span></li>"#,
            r#"<li class="item"><span class="id">3</span></li></ul>"#
        )
    );
}

#[test]
fn moving_the_mark_over_the_same_rows_builds_nothing_and_toggles_two_classes() {
    let list = items(0..1000);
    views();
    let mut dom = mount(class_list(&list, None));
    assert_eq!(views(), 1000, "the first render builds every row");
    let nodes = rows(&dom);

    comparisons();
    let before = dom.backend().mutations;
    dom.update(class_list(&list, Some(10)));
    assert_eq!(dom.backend().mutations - before, 1, "one class on");
    dom.update(class_list(&list, Some(500)));
    assert_eq!(views(), 0, "no row is built to move the mark");
    assert_eq!(
        comparisons(),
        0,
        "no row of the very same vector is compared"
    );
    assert_eq!(state(&dom), state(&mount(plain_list(&list, Some(500)))));
    assert_eq!(rows(&dom), nodes, "every row kept its DOM node");

    let before = dom.backend().mutations;
    dom.update(class_list(&list, Some(7)));
    assert_eq!(
        dom.backend().mutations - before,
        plain_cost((&list, Some(500)), (&list, Some(7))),
        "the mutations of the plain keyed list"
    );
    assert_eq!(dom.backend().mutations - before, 2, "one class off, one on");

    let before = dom.backend().mutations;
    dom.update(class_list(&list, Some(7)));
    assert_eq!(
        dom.backend().mutations - before,
        0,
        "the same mark: nothing"
    );
    dom.update(class_list(&list, Some(5000)));
    assert_eq!(state(&dom), state(&mount(plain_list(&list, None))));
    assert_eq!(views(), 0);
    check_listeners(&dom, &list).unwrap();
}

#[test]
fn edits_build_only_new_and_changed_rows_and_keep_the_mark() {
    let mut list = items(0..100);
    let mut dom = mount(class_list(&list, Some(3)));
    let nodes = rows(&dom);
    views();

    // The marked row changes twice: its text, then its own class, which the patch writes
    // over the mark's.
    for version in [1, 2] {
        Arc::make_mut(&mut list)[3].version = version;
        dom.update(class_list(&list, Some(3)));
        assert_eq!(views(), 1, "only the edited row is built");
        assert_eq!(state(&dom), state(&mount(plain_list(&list, Some(3)))));
    }
    assert_eq!(rows(&dom), nodes, "every row kept its DOM node");

    // The mark moves while rows change.
    Arc::make_mut(&mut list)[50].version = 1;
    dom.update(class_list(&list, Some(50)));
    assert_eq!(views(), 1, "the mark's move builds nothing more");
    assert_eq!(state(&dom), state(&mount(plain_list(&list, Some(50)))));

    // The marked row is removed, and a new row arrives marked.
    Arc::make_mut(&mut list).remove(50);
    Arc::make_mut(&mut list).push(Item {
        id: 5000,
        version: 0,
    });
    dom.update(class_list(&list, Some(5000)));
    assert_eq!(views(), 1, "the new row");
    assert_eq!(state(&dom), state(&mount(plain_list(&list, Some(5000)))));
    check_listeners(&dom, &list).unwrap();
}

#[test]
fn another_class_moves_over_at_once() {
    let list = items(0..10);
    let view = |mark, class: &'static str| {
        keyed_lazy_shared_class(
            "ul",
            [],
            Arc::clone(&list),
            |item: &Item| item.id,
            mark,
            class,
            |item: &Item| -> Element<()> { li([], [text(item.id.to_string())]) },
        )
    };
    let mut dom = mount(view(Some(2), "a b"));
    assert!(state(&dom).contains(r#"<li class="a b">2</li>"#));
    dom.update(view(Some(2), "c"));
    assert!(state(&dom).contains(r#"<li class="c">2</li>"#));
    dom.update(view(Some(4), "a"));
    assert_eq!(state(&dom), state(&mount(view(Some(4), "a"))));
    assert_eq!(
        dom.backend()
            .inner_state(*dom.root())
            .matches("class=")
            .count(),
        2,
        "the row that lost the mark keeps an empty class attribute"
    );
}

/// Old keys `0..n` with an old mark; new ones reordered, some dropped, some inserted, each
/// kept row's version changed or not, and a new mark.
fn edit() -> impl Strategy<Value = (Vec<Item>, Option<u64>, Vec<Item>, Option<u64>)> {
    (0..30usize)
        .prop_flat_map(|n| {
            let old: Vec<u64> = (0..n as u64).collect();
            (
                Just(old.clone()).prop_shuffle(),
                prop::bool::ANY,
                prop::collection::vec(prop::bool::weighted(0.85), n),
                prop::collection::vec(0..4u8, n),
                prop::collection::vec(any::<Index>(), 0..4),
                prop::option::of(0..n as u64 + 1004),
                prop::option::of(0..n as u64 + 4),
                Just(old),
            )
        })
        .prop_map(
            |(shuffled, shuffle, keep, versions, inserts, new_mark, old_mark, old)| {
                let order = if shuffle { shuffled } else { old.clone() };
                let mut new: Vec<Item> = order
                    .into_iter()
                    .zip(keep)
                    .zip(versions)
                    .filter(|((_, keep), _)| *keep)
                    .map(|((id, _), version)| Item { id, version })
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
/// call only for rows that are new or changed.
///
/// One mutation more than the plain list is allowed, and required, where a patch rewrites the
/// marked row's own class: the plain list writes its class with the mark at once, this list
/// writes the row's class, then puts the mark back on.
fn an_edit_matches_the_plain_keyed_list(
    (old, old_mark): (Arc<Vec<Item>>, Option<u64>),
    (new, new_mark): (Arc<Vec<Item>>, Option<u64>),
) -> Result<(), TestCaseError> {
    let rewritten = new_mark.is_some_and(|mark| {
        let find = |rows: &[Item]| rows.iter().find(|item| item.id == mark).map(own_class);
        matches!((find(&old), find(&new)), (Some(a), Some(b)) if a != b)
    });
    let cost = plain_cost((&old, old_mark), (&new, new_mark)) + usize::from(rewritten);
    let mut dom = mount(class_list(&old, old_mark));
    let kept: Vec<(u64, NodeId)> = old.iter().map(|i| i.id).zip(rows(&dom)).collect();
    views();
    let before = dom.backend().mutations;
    dom.update(class_list(&new, new_mark));
    prop_assert_eq!(dom.backend().mutations - before, cost);
    prop_assert_eq!(state(&dom), state(&mount(plain_list(&new, new_mark))));
    let built = new.iter().filter(|item| !old.contains(item)).count();
    prop_assert_eq!(views(), built, "only new and changed rows are built");
    for (item, node) in new.iter().zip(rows(&dom)) {
        if let Some((_, was)) = kept.iter().find(|(id, _)| *id == item.id) {
            prop_assert_eq!(node, *was, "row {} was recreated", item.id);
        }
    }
    check_listeners(&dom, &new)?;

    dom.update(class_list(&old, old_mark));
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
    backend.load_html(root, &to_html(&class_list(&list, Some(4))));
    views();
    let (mut dom, report) = Dom::hydrate(backend, root, class_list(&list, Some(4)));
    assert_eq!(report.mismatches, 0);
    assert_eq!(dom.backend().mutations, 0);
    assert_eq!(views(), 20);
    check_listeners(&dom, &list).unwrap();

    dom.update(class_list(&list, Some(9)));
    assert_eq!(views(), 0, "the hydrated rows are kept like rendered ones");
    assert_eq!(state(&dom), state(&mount(plain_list(&list, Some(9)))));
}

#[test]
fn hydration_puts_a_missing_mark_back() {
    let list = items(0..5);
    let mut backend = MemoryDom::new();
    let root = backend.create_container();
    backend.load_html(root, &to_html(&plain_list(&list, None)));
    let (dom, report) = Dom::hydrate(backend, root, class_list(&list, Some(2)));
    assert_eq!(report.mismatches, 1, "the marked row's class differs");
    assert_eq!(state(&dom), state(&mount(plain_list(&list, Some(2)))));
}

#[test]
fn a_mapped_list_keeps_the_mark_path() {
    #[derive(Clone, Debug, PartialEq)]
    enum Outer {
        Page(Msg),
    }
    let view = |list: &Arc<Vec<Item>>, mark| class_list(list, mark).map(Outer::Page);
    let list = items(0..50);
    let mut dom = mount(view(&list, None));
    views();
    comparisons();

    dom.update(view(&list, Some(8)));
    dom.update(view(&list, Some(9)));
    assert_eq!(views(), 0);
    assert_eq!(comparisons(), 0);
    assert_eq!(state(&dom), state(&mount(plain_list(&list, Some(9)))));
    let row = rows(&dom)[9];
    let slots = dom.backend().slots_to_root(row, *dom.root());
    let outcome = dom.resolve_event(slots, &FakeEvent::new("click"));
    assert_eq!(outcome.messages, vec![Outer::Page(Msg::Select(9))]);
}

#[test]
fn switching_between_a_view_mark_and_a_class_mark_leaves_no_stale_class() {
    let list = items(0..10);
    let by_view = |mark: Option<u64>| {
        html::keyed_lazy_shared(
            "ul",
            [class("items")],
            Arc::clone(&list),
            |item: &Item| item.id,
            mark,
            |item: &Item, marked: bool| plain_item(item, marked.then_some("marked")),
        )
    };
    let mut dom = mount(class_list(&list, Some(3)));
    dom.update(by_view(Some(5)));
    assert_eq!(state(&dom), state(&mount(plain_list(&list, Some(5)))));
    dom.update(class_list(&list, Some(7)));
    assert_eq!(state(&dom), state(&mount(plain_list(&list, Some(7)))));
}
