//! What the template tests share: DOMs reached through an update, the server's markup parsed
//! for comparison, and clicks resolved to messages.

use rally_view::Element;
use rally_view::dom::Dom;
use rally_view::dom::memory::{MemoryDom, NodeId};
use rally_view::render::to_html;
use rally_view::testing::FakeEvent;

/// A DOM holding `view`, reached through an update from `empty`, so that list items are
/// created as list items, not as part of the first render.
pub fn created<Msg: Clone + 'static>(
    empty: Element<Msg>,
    view: Element<Msg>,
) -> Dom<Msg, MemoryDom> {
    let mut backend = MemoryDom::new();
    let root = backend.create_container();
    let mut dom = Dom::mount(backend, root, empty);
    dom.update(view);
    dom
}

/// What parsing the server's HTML of `view` gives: independent of how the DOM was built.
pub fn parsed<Msg>(view: &Element<Msg>) -> String {
    let mut backend = MemoryDom::new();
    let root = backend.create_container();
    backend.load_html(root, &to_html(view));
    backend.inner_state(root)
}

/// The container's children as the browser would serialise them.
pub fn state<Msg: Clone + 'static>(dom: &Dom<Msg, MemoryDom>) -> String {
    dom.backend().inner_state(*dom.root())
}

/// The messages a click on `node` produces.
pub fn click<Msg: Clone + 'static>(dom: &Dom<Msg, MemoryDom>, node: NodeId) -> Vec<Msg> {
    let slots = dom.backend().slots_to_root(node, *dom.root());
    dom.resolve_event(slots, &FakeEvent::new("click")).messages
}

/// The `a` elements of table row `i`: the label link and the remove link.
pub fn links<Msg: Clone + 'static>(dom: &Dom<Msg, MemoryDom>, i: usize) -> (NodeId, NodeId) {
    let b = dom.backend();
    let tbody = b.children(*dom.root())[0];
    let row = b.children(tbody)[i];
    let cells = b.children(row);
    (b.children(cells[1])[0], b.children(cells[2])[0])
}

/// A js-framework-benchmark row's data.
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    pub id: u32,
    pub label: String,
    pub selected: bool,
}

/// Rows with these ids: seven labels, every tenth row selected (from the fourth).
pub fn rows(ids: std::ops::Range<u32>) -> Vec<Row> {
    ids.map(|id| Row {
        id,
        label: format!("label {}", id % 7),
        selected: id % 10 == 3,
    })
    .collect()
}
