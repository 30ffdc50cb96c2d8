//! What a render removes is freed after the browser's paint (ADR 0042): not during the render,
//! never twice, and never later than the next render; its listener slots serve new nodes at
//! once.
//!
//! Each row's view holds a clone of one `Rc`, so `Rc::strong_count` says how many rows (built
//! views and the trees a render removed) are still alive.

use std::rc::Rc;

use rally_view::dom::Dom;
use rally_view::dom::memory::{MemoryDom, NodeId};
use rally_view::event::on_click;
use rally_view::html::{self, button, div, keyed_lazy, li, span, text, ul};
use rally_view::testing::FakeEvent;
use rally_view::{Element, Key, lazy};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Msg {
    Pick(u32),
}

/// A row's argument: its id, and the shared count.
#[derive(Clone, PartialEq)]
struct Row {
    id: u32,
    version: u8,
    alive: Rc<()>,
}

fn row_view(row: &Row) -> Element<Msg> {
    // The view keeps a clone of the count too: built rows are counted as well.
    let alive = Rc::clone(&row.alive);
    li(
        [],
        [button(
            [on_click(Msg::Pick(row.id))],
            [
                text(format!("row {}", row.id)),
                lazy(alive, |_| span([], [])),
            ],
        )],
    )
}

fn rows(ids: impl IntoIterator<Item = u32>, alive: &Rc<()>) -> Vec<Row> {
    ids.into_iter()
        .map(|id| Row {
            id,
            version: 0,
            alive: Rc::clone(alive),
        })
        .collect()
}

/// A keyed list of lazy rows (the js-framework-benchmark's table).
fn lazy_table(rows: &[Row]) -> Element<Msg> {
    div(
        [],
        [keyed_lazy(
            "ul",
            [],
            rows.iter().map(|r| (r.id, r.clone())),
            row_view,
        )],
    )
}

/// A keyed list of plain rows.
fn keyed_table(rows: &[Row]) -> Element<Msg> {
    div(
        [],
        [html::keyed(
            "ul",
            [],
            rows.iter().map(|r| (Key::from(r.id), row_view(r))),
        )],
    )
}

/// Plain children, patched by position.
fn plain_table(rows: &[Row]) -> Element<Msg> {
    div([], [ul([], rows.iter().map(row_view))])
}

fn mount(view: Element<Msg>) -> Dom<Msg, MemoryDom> {
    let mut backend = MemoryDom::new();
    let root = backend.create_container();
    Dom::mount(backend, root, view)
}

/// Runs what waits for a paint, as the browser does once it has painted.
fn paint(dom: &mut Dom<Msg, MemoryDom>) {
    for task in dom.backend_mut().paint() {
        task();
    }
}

fn click_row(dom: &Dom<Msg, MemoryDom>, index: usize) -> Vec<Msg> {
    let list = dom.backend().find(*dom.root(), "ul").expect("a list");
    let row: NodeId = dom.backend().children(list)[index];
    let button = dom.backend().find(row, "button").expect("a button");
    let slots = dom.backend().slots_to_root(button, *dom.root());
    dom.resolve_event(slots, &FakeEvent::new("click")).messages
}

type Table = fn(&[Row]) -> Element<Msg>;

/// Every way a list can be rendered, so that each removal path is covered.
const TABLES: [(&str, Table); 3] = [
    ("keyed_lazy", lazy_table),
    ("keyed", keyed_table),
    ("plain", plain_table),
];

#[test]
fn removed_rows_live_until_the_paint_and_no_longer() {
    for (name, table) in TABLES {
        let alive = Rc::new(());
        let shown = rows(0..40, &alive);
        let mut dom = mount(table(&shown));

        // Remove half the rows, then all of them: each render leaves its removals in the bin
        // and one task waiting for the paint.
        for keep in [20, 0] {
            let kept = shown[..keep].to_vec();
            dom.update(table(&kept));
            drop(kept);
            assert!(dom.has_retired(), "{name}: the render removed rows");
            assert_eq!(dom.backend().waiting_for_paint(), 1, "{name}");
            let pending = Rc::strong_count(&alive);
            paint(&mut dom);
            assert!(!dom.has_retired(), "{name}");
            assert!(
                Rc::strong_count(&alive) < pending,
                "{name}: the removed rows lived until the paint"
            );
        }
        drop(shown);
        assert_eq!(
            Rc::strong_count(&alive),
            1,
            "{name}: after the paint every row is freed"
        );
    }
}

#[test]
fn the_next_render_frees_what_no_paint_freed() {
    // In a hidden tab frames stop: the paint task never runs, and each render frees what the
    // one before it removed, so at most one render's removals are alive.
    for (name, table) in TABLES {
        let alive = Rc::new(());
        let mut dom = mount(table(&[]));
        for round in 0..20u32 {
            let shown = rows(round * 20..round * 20 + 20, &alive);
            dom.update(table(&shown));
            drop(shown);
            let with_rows = Rc::strong_count(&alive);
            dom.update(table(&[]));
            assert!(
                Rc::strong_count(&alive) <= with_rows,
                "{name}, round {round}: the last render's rows wait, the earlier ones are gone"
            );
        }
        assert_eq!(
            dom.backend().waiting_for_paint(),
            1,
            "{name}: one task, not one per render"
        );
        dom.update(table(&[]));
        assert_eq!(Rc::strong_count(&alive), 1, "{name}");
        assert!(!dom.has_retired(), "{name}");
        // The late paint finds nothing left, and frees nothing twice.
        paint(&mut dom);
        assert_eq!(Rc::strong_count(&alive), 1, "{name}");
    }
}

#[test]
fn listener_slots_of_removed_rows_serve_new_rows_at_once() {
    for (name, table) in TABLES {
        let alive = Rc::new(());
        let mut dom = mount(table(&rows(0..20, &alive)));
        let highest = |dom: &Dom<Msg, MemoryDom>| {
            let list = dom.backend().find(*dom.root(), "ul").expect("a list");
            dom.backend()
                .children(list)
                .iter()
                .filter_map(|&row| dom.backend().find(row, "button"))
                .filter_map(|b| dom.backend().slot(b))
                .max()
        };
        let first = highest(&dom);
        // Replace the rows many times without a paint: the old rows wait to be freed, but
        // their slots are reused, and clicks reach the new rows' listeners.
        for round in 1..=10u32 {
            dom.update(table(&rows(round * 100..round * 100 + 20, &alive)));
            // A plain list patches its rows in place: nothing is removed there.
            assert_eq!(dom.has_retired(), name != "plain", "{name}");
            assert_eq!(
                click_row(&dom, 2),
                vec![Msg::Pick(round * 100 + 2)],
                "{name}"
            );
            assert!(
                highest(&dom) <= first.map(|s| s + 20),
                "{name}, round {round}: the listener table does not grow"
            );
        }
    }
}

#[test]
fn a_render_that_removes_nothing_waits_for_no_paint() {
    for (name, table) in TABLES {
        let alive = Rc::new(());
        let mut shown = rows(0..10, &alive);
        let mut dom = mount(table(&shown));
        // An edit of one row and an appended row: nothing removed, nothing to wait for.
        shown[3].version = 1;
        shown.push(Row {
            id: 10,
            version: 0,
            alive: Rc::clone(&alive),
        });
        dom.update(table(&shown));
        assert!(!dom.has_retired(), "{name}");
        assert_eq!(dom.backend().waiting_for_paint(), 0, "{name}");
    }
}

#[test]
fn a_task_that_outlives_its_renderer_still_frees_once() {
    let alive = Rc::new(());
    let mut dom = mount(lazy_table(&rows(0..20, &alive)));
    dom.update(lazy_table(&[]));
    let tasks = dom.backend_mut().paint();
    drop(dom);
    assert!(
        Rc::strong_count(&alive) > 1,
        "the waiting task holds the removed rows"
    );
    for task in tasks {
        task();
    }
    assert_eq!(Rc::strong_count(&alive), 1);
}

#[test]
fn a_replaced_subtree_is_freed_after_the_paint() {
    let alive = Rc::new(());
    let mut dom = mount(div([], [plain_table(&rows(0..20, &alive))]));
    dom.update(div([], [text("gone")]));
    assert!(dom.has_retired());
    assert!(Rc::strong_count(&alive) > 1);
    paint(&mut dom);
    assert_eq!(Rc::strong_count(&alive), 1);
}

#[test]
fn a_few_removed_nodes_are_freed_at_once() {
    // Scheduling the task costs more than freeing a row or two.
    for (name, table) in TABLES {
        let alive = Rc::new(());
        let mut shown = rows(0..20, &alive);
        let mut dom = mount(table(&shown));
        shown.remove(3);
        dom.update(table(&shown));
        drop(shown);
        assert!(!dom.has_retired(), "{name}");
        assert_eq!(dom.backend().waiting_for_paint(), 0, "{name}");
        drop(dom);
        assert_eq!(Rc::strong_count(&alive), 1, "{name}");
    }
}
