//! `lazy`: unchanged inputs skip both the view function and the diff.

use std::cell::Cell;

use rally_view::attribute::{class, id};
use rally_view::dom::Dom;
use rally_view::dom::memory::MemoryDom;
use rally_view::event::on_click;
use rally_view::html::{self, span, td, text, tr};
use rally_view::render::to_html;
use rally_view::testing::FakeEvent;
use rally_view::{Element, Key, lazy};

thread_local! {
    static ROW_VIEWS: Cell<usize> = const { Cell::new(0) };
}

#[derive(Clone, Debug, PartialEq)]
struct Row {
    id: u32,
    label: String,
    selected: bool,
}

fn row_view(row: &Row) -> Element<u32> {
    ROW_VIEWS.with(|c| c.set(c.get() + 1));
    tr(
        vec![
            class(if row.selected { "danger" } else { "" }),
            on_click(row.id),
        ],
        vec![
            td(vec![], vec![text(row.id.to_string())]),
            td(vec![], vec![text(row.label.clone())]),
        ],
    )
}

fn table(rows: &[Row], lazily: bool) -> Element<u32> {
    html::keyed(
        "tbody",
        vec![id("rows")],
        rows.iter().map(|r| {
            (
                Key::from(r.id),
                if lazily {
                    lazy(r.clone(), row_view)
                } else {
                    row_view(r)
                },
            )
        }),
    )
}

fn rows(n: u32) -> Vec<Row> {
    (0..n)
        .map(|id| Row {
            id,
            label: format!("row {id}"),
            selected: false,
        })
        .collect()
}

fn fresh_state(view: Element<u32>) -> String {
    let mut backend = MemoryDom::new();
    let root = backend.create_container();
    let dom = Dom::mount(backend, root, view);
    dom.backend().inner_state(root)
}

fn calls() -> usize {
    ROW_VIEWS.with(|c| c.replace(0))
}

#[test]
fn server_renders_lazy_nodes_like_their_view() {
    let data = rows(3);
    assert_eq!(to_html(&table(&data, true)), to_html(&table(&data, false)));
}

#[test]
fn unchanged_rows_are_neither_rebuilt_nor_diffed() {
    let mut data = rows(1000);
    let mut backend = MemoryDom::new();
    let root = backend.create_container();
    let mut dom = Dom::mount(backend, root, table(&data, true));
    assert_eq!(calls(), 1000, "first render builds every row");

    data[10].selected = true;
    let before = dom.backend().mutations;
    dom.update(table(&data, true));
    assert_eq!(calls(), 1, "only the changed row is rebuilt");
    assert_eq!(
        dom.backend().mutations - before,
        1,
        "one class attribute changes"
    );
    assert_eq!(
        dom.backend().inner_state(root),
        fresh_state(table(&data, false))
    );
    calls();

    // Rows that move keep their built subtree; only the edited one is rebuilt.
    data.swap(1, 998);
    data[500].label.push_str(" !!!");
    dom.update(table(&data, true));
    assert_eq!(calls(), 1);
    assert_eq!(
        dom.backend().inner_state(root),
        fresh_state(table(&data, false))
    );
    calls();

    // Removing the lazy wrapper (a plain subtree next time) still diffs correctly.
    data.remove(3);
    dom.update(table(&data, false));
    assert_eq!(
        dom.backend().inner_state(root),
        fresh_state(table(&data, false))
    );
    dom.update(table(&data, true));
    assert_eq!(
        dom.backend().inner_state(root),
        fresh_state(table(&data, false))
    );
}

#[test]
fn lazy_nodes_hydrate_without_mutations_and_keep_their_listeners() {
    let data = rows(20);
    let mut backend = MemoryDom::new();
    let root = backend.create_container();
    backend.load_html(root, &to_html(&table(&data, false)));
    let (dom, report) = Dom::hydrate(backend, root, table(&data, true));
    assert_eq!(report.mismatches, 0);
    assert_eq!(dom.backend().mutations, 0);
    let tbody = dom.backend().children(root)[0];
    let row = dom.backend().children(tbody)[7];
    let cell = dom.backend().children(row)[1];
    let outcome = dom.resolve_event(
        dom.backend().slots_to_root(cell, root),
        &FakeEvent::new("click"),
    );
    assert_eq!(outcome.messages, vec![7]);
}

#[test]
fn capturing_closures_and_non_element_results_stay_correct() {
    let suffix = String::from("!");
    let view = |n: u32| -> Element<()> {
        let suffix = suffix.clone();
        html::div(
            vec![],
            vec![
                // Captures data: never taken as unchanged.
                lazy(n, move |n: &u32| {
                    span(vec![], vec![text(format!("{n}{suffix}"))])
                }),
                // Returns text: wrapped so it is still one node.
                lazy(n, |n: &u32| text(n.to_string())),
            ],
        )
    };
    let mut backend = MemoryDom::new();
    let root = backend.create_container();
    let mut dom = Dom::mount(backend, root, view(1));
    assert_eq!(
        to_html(&view(1)),
        "<div><span>1!</span><rally-lazy>1</rally-lazy></div>"
    );
    dom.update(view(2));
    assert_eq!(
        dom.backend().inner_state(root),
        "<div><span>2!</span><rally-lazy>2</rally-lazy></div>"
    );
}

/// Arguments of up to four words are stored in the lazy node itself and larger ones boxed
/// (`Row` above, with its `String`, is boxed natively): both must compare and skip alike.
#[test]
fn small_arguments_stored_in_place_skip_and_rebuild_like_boxed_ones() {
    thread_local! {
        static SMALL_VIEWS: Cell<usize> = const { Cell::new(0) };
    }
    fn small(&(id, selected): &(u32, bool)) -> Element<u32> {
        SMALL_VIEWS.with(|c| c.set(c.get() + 1));
        span(
            vec![class(if selected { "on" } else { "off" })],
            vec![text(id.to_string())],
        )
    }
    let list = |selected: u32| {
        html::keyed(
            "div",
            vec![],
            (0..50u32).map(|i| (Key::from(i), lazy((i, i == selected), small))),
        )
    };
    let views = || SMALL_VIEWS.with(Cell::get);
    let mut backend = MemoryDom::new();
    let root = backend.create_container();
    let mut dom = Dom::mount(backend, root, list(3));
    assert_eq!(views(), 50);
    dom.update(list(3));
    assert_eq!(views(), 50, "nothing changed: no view ran");
    dom.update(list(7));
    assert_eq!(views(), 52, "only the two rows whose argument changed");
    assert_eq!(dom.backend().inner_state(root), fresh_state(list(7)));
}

/// A page's view is mapped into its mount's messages (and again into the runtime's) on every
/// render. Mapped lazy nodes stay lazy: with constructors or non-capturing closures as the
/// mapping, unchanged rows are neither rebuilt nor diffed, and their listeners produce the
/// mapped messages.
#[test]
fn mapped_lazy_nodes_stay_lazy() {
    #[derive(Clone, Debug, PartialEq)]
    enum Page {
        Clicked(u32),
    }
    #[derive(Clone, Debug, PartialEq)]
    enum Runtime {
        Page(Page),
    }
    let view = |data: &[Row]| -> Element<Runtime> {
        // As the mount's `view` then the runtime would: a constructor, then a closure that
        // captures nothing.
        table(data, true)
            .map(Page::Clicked)
            .map(|Page::Clicked(id)| Runtime::Page(Page::Clicked(id)))
    };
    let mut data = rows(100);
    let mut backend = MemoryDom::new();
    let root = backend.create_container();
    let mut dom = Dom::mount(backend, root, view(&data));
    assert_eq!(calls(), 100);
    assert_eq!(to_html(&view(&data)), to_html(&table(&data, false)));
    calls();

    data[10].selected = true;
    data.swap(3, 60);
    let before = dom.backend().mutations;
    dom.update(view(&data));
    assert_eq!(calls(), 1, "only the changed row is rebuilt");
    assert_eq!(
        dom.backend().inner_state(root),
        fresh_state(table(&data, false))
    );
    assert!(
        dom.backend().mutations - before <= 3,
        "a class and two moves"
    );

    let tbody = dom.backend().children(root)[0];
    let row = dom.backend().children(tbody)[3];
    let outcome = dom.resolve_event(
        dom.backend().slots_to_root(row, root),
        &FakeEvent::new("click"),
    );
    assert_eq!(outcome.messages, vec![Runtime::Page(Page::Clicked(60))]);

    // A mapping that carries data could differ between renders: rebuilt every time.
    let offset = 1000;
    let capturing = |data: &[Row]| table(data, true).map(move |id| id + offset);
    dom_with(capturing(&data), |dom| {
        calls();
        dom.update(capturing(&data));
        assert_eq!(
            calls(),
            100,
            "a capturing mapping is never taken as unchanged"
        );
    });
}

fn dom_with(view: Element<u32>, check: impl FnOnce(&mut Dom<u32, MemoryDom>)) {
    let mut backend = MemoryDom::new();
    let root = backend.create_container();
    let mut dom = Dom::mount(backend, root, view);
    check(&mut dom);
}
