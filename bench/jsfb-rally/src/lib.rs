//! The js-framework-benchmark app ("keyed") written with rally-view.
//!
//! The model, messages, `update` and `view` are plain Rust and build on any target; the SSR
//! benchmark (`bench/ssr`) renders this very view natively. On wasm32 `start` mounts the app
//! into `#main` with rally-view's web backend.

use rally_view::attribute::{self, class, id, type_};
use rally_view::event::on_click;
use rally_view::html::{self, a, button, div, h1, span, table, td, text, tr};
use std::sync::Arc;

use rally_view::{App, Effect, Element};

/// One table row. The label is shared, so handing a row to `lazy` copies a pointer.
#[derive(Clone, Debug, Eq)]
pub struct Row {
    pub id: usize,
    pub label: Arc<str>,
}

/// Equal ids and labels, as derived, but a label still shared with the model is equal
/// without comparing its bytes (std's `Arc<str>` compares the text): every render compares
/// each row with the previous one's (`keyed_lazy`), and a label is replaced, not edited.
impl PartialEq for Row {
    fn eq(&self, other: &Self) -> bool {
        self.id == other.id && (Arc::ptr_eq(&self.label, &other.label) || self.label == other.label)
    }
}

/// The benchmark app's state.
#[derive(Clone, Debug)]
pub struct Model {
    /// Shared with the last render, as an Elm model's list is: a render of the very same
    /// rows (a selection) reads none of them, and changing them copies the vector once
    /// (`Arc::make_mut`), as the view's row arguments were copied on every render before.
    pub rows: Arc<Vec<Row>>,
    pub selected: Option<usize>,
    pub next_id: usize,
    /// xorshift32 state; the vanilla implementation uses the same generator and seed, so both
    /// apps show exactly the same labels.
    pub seed: u32,
}

/// The seed both implementations start from.
pub const SEED: u32 = 0x2545_f491;

impl Default for Model {
    fn default() -> Self {
        Model {
            rows: Arc::default(),
            selected: None,
            next_id: 1,
            seed: SEED,
        }
    }
}

/// What the buttons and row links send.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Msg {
    Run,
    RunLots,
    Add,
    Update,
    Clear,
    SwapRows,
    Select(usize),
    Remove(usize),
}

const ADJECTIVES: &[&str] = &[
    "pretty",
    "large",
    "big",
    "small",
    "tall",
    "short",
    "long",
    "handsome",
    "plain",
    "quaint",
    "clean",
    "elegant",
    "easy",
    "angry",
    "crazy",
    "helpful",
    "mushy",
    "odd",
    "unsightly",
    "adorable",
    "important",
    "inexpensive",
    "cheap",
    "expensive",
    "fancy",
];
const COLOURS: &[&str] = &[
    "red", "yellow", "blue", "green", "pink", "brown", "purple", "brown", "white", "black",
    "orange",
];
const NOUNS: &[&str] = &[
    "table", "chair", "house", "bbq", "desk", "car", "pony", "cookie", "sandwich", "burger",
    "pizza", "mouse", "keyboard",
];

impl Model {
    fn random(&mut self, max: usize) -> usize {
        let mut x = self.seed;
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        self.seed = x;
        x as usize % max
    }

    /// `count` fresh rows with the next ids.
    pub fn build_rows(&mut self, count: usize) -> Vec<Row> {
        (0..count)
            .map(|_| {
                let adjective = ADJECTIVES[self.random(ADJECTIVES.len())];
                let colour = COLOURS[self.random(COLOURS.len())];
                let noun = NOUNS[self.random(NOUNS.len())];
                let id = self.next_id;
                self.next_id += 1;
                Row {
                    id,
                    label: format!("{adjective} {colour} {noun}").into(),
                }
            })
            .collect()
    }
}

/// Applies a message.
pub fn update(model: &mut Model, msg: Msg) -> Effect<Msg> {
    match msg {
        Msg::Run => {
            model.rows = Arc::new(model.build_rows(1_000));
            model.selected = None;
        }
        Msg::RunLots => {
            model.rows = Arc::new(model.build_rows(10_000));
            model.selected = None;
        }
        Msg::Add => {
            let more = model.build_rows(1_000);
            Arc::make_mut(&mut model.rows).extend(more);
        }
        Msg::Update => {
            for row in Arc::make_mut(&mut model.rows).iter_mut().step_by(10) {
                row.label = format!("{} !!!", row.label).into();
            }
        }
        Msg::Clear => {
            model.rows = Arc::default();
            model.selected = None;
        }
        Msg::SwapRows => {
            if model.rows.len() > 998 {
                Arc::make_mut(&mut model.rows).swap(1, 998);
            }
        }
        Msg::Select(id) => model.selected = Some(id),
        Msg::Remove(id) => {
            if let Some(i) = model.rows.iter().position(|r| r.id == id) {
                Arc::make_mut(&mut model.rows).remove(i);
            }
        }
    }
    Effect::none()
}

/// One `<tr>`: id, label link (select), remove link, spacer.
///
/// Inside `view!`, so the server writes the row's constant markup in one copy per run of it;
/// in the browser it is the plain expression.
pub fn row_view(row: &Row) -> Element<Msg> {
    rally_view::view! {
        tr(
            [],
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
                        [span(
                            [
                                class("remove glyphicon glyphicon-remove"),
                                attribute::aria("hidden", "true"),
                            ],
                            [],
                        )],
                    )],
                ),
                td([class("col-md-6")], []),
            ],
        )
    }
}

/// The `<table>` with one keyed row per model row.
pub fn table_view(rows: &Arc<Vec<Row>>, selected: Option<usize>) -> Element<Msg> {
    table(
        vec![class("table table-hover table-striped test-data")],
        vec![html::keyed_lazy_shared_class(
            "tbody",
            [id("tbody")],
            // Like Elm's `lazy viewRow` over a keyed list of the model's rows: a row whose
            // data did not change is neither rebuilt nor diffed. The list puts the selected
            // row's class on it itself, so a selection toggles two classes and builds no row.
            Arc::clone(rows),
            |r: &Row| r.id,
            selected,
            "danger",
            row_view,
        )],
    )
}

fn action(id_: &'static str, label: &'static str, msg: Msg) -> Element<Msg> {
    div(
        vec![class("col-sm-6 smallpad")],
        vec![button(
            vec![
                type_("button"),
                class("btn btn-primary btn-block"),
                id(id_),
                on_click(msg),
            ],
            vec![text(label)],
        )],
    )
}

/// The whole page body: title, the six buttons and the table.
pub fn view(model: &Model) -> Element<Msg> {
    div(
        vec![class("container")],
        vec![
            // Like Elm's `lazy`: the header never changes, so it is built once.
            rally_view::lazy(0, |_: &u8| header()),
            table_view(&model.rows, model.selected),
            span(
                vec![
                    class("preloadicon glyphicon glyphicon-remove"),
                    attribute::aria("hidden", "true"),
                ],
                vec![],
            ),
        ],
    )
}

/// The title and the six buttons.
fn header() -> Element<Msg> {
    div(
        vec![class("jumbotron")],
        vec![div(
            vec![class("row")],
            vec![
                div(
                    vec![class("col-md-6")],
                    vec![h1(vec![], vec![text("Rally-keyed")])],
                ),
                div(
                    vec![class("col-md-6")],
                    vec![div(
                        vec![class("row")],
                        vec![
                            action("run", "Create 1,000 rows", Msg::Run),
                            action("runlots", "Create 10,000 rows", Msg::RunLots),
                            action("add", "Append 1,000 rows", Msg::Add),
                            action("update", "Update every 10th row", Msg::Update),
                            action("clear", "Clear", Msg::Clear),
                            action("swaprows", "Swap Rows", Msg::SwapRows),
                        ],
                    )],
                ),
            ],
        )],
    )
}

/// The app for `rally_view::web::mount`.
pub fn app() -> App<Model, Msg> {
    App::new(update, view)
}

#[cfg(target_arch = "wasm32")]
mod wasm {
    use wasm_bindgen::prelude::*;

    /// Mounts the app into `#main` and keeps it running for the page's lifetime.
    #[wasm_bindgen(start)]
    pub fn start() {
        let document = rally_view::web::window()
            .and_then(|w| w.document())
            .expect("a document");
        let root = document
            .get_element_by_id("main")
            .expect("an element with id `main`");
        let program = rally_view::web::mount(root, super::app(), super::Model::default());
        // The page never unmounts the benchmark app.
        std::mem::forget(program);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rally_view::render::to_html;

    #[test]
    fn update_follows_the_benchmark_rules() {
        let mut m = Model::default();
        let _ = update(&mut m, Msg::Run);
        assert_eq!(m.rows.len(), 1_000);
        assert_eq!((m.rows[0].id, m.rows[999].id), (1, 1_000));
        let _ = update(&mut m, Msg::Add);
        assert_eq!(m.rows.len(), 2_000);
        let before = m.rows[10].label.clone();
        let _ = update(&mut m, Msg::Update);
        assert_eq!(*m.rows[10].label, format!("{before} !!!"));
        let _ = update(&mut m, Msg::SwapRows);
        assert_eq!((m.rows[1].id, m.rows[998].id), (999, 2));
        let _ = update(&mut m, Msg::Remove(999));
        assert_eq!(m.rows.len(), 1_999);
        let _ = update(&mut m, Msg::Select(5));
        assert_eq!(m.selected, Some(5));
        let _ = update(&mut m, Msg::Clear);
        assert!(m.rows.is_empty() && m.selected.is_none());
    }

    #[test]
    fn labels_match_the_vanilla_generator() {
        // The first labels of the shared xorshift32 sequence; `bench/jsfb/vanilla/main.js`
        // checks the same strings.
        let mut m = Model::default();
        let rows = m.build_rows(3);
        let labels: Vec<&str> = rows.iter().map(|r| &*r.label).collect();
        assert_eq!(labels, FIRST_LABELS);
    }

    const FIRST_LABELS: [&str; 3] = [
        "inexpensive pink pizza",
        "elegant brown keyboard",
        "odd green cookie",
    ];

    #[test]
    fn the_table_marks_the_selected_row_only() {
        let mut m = Model::default();
        let _ = update(&mut m, Msg::Run);
        let _ = update(&mut m, Msg::Select(2));
        let html = to_html(&table_view(&m.rows, m.selected));
        assert_eq!(
            html.matches("<tr class=\"danger\"><td class=\"col-md-1\">2<")
                .count(),
            1
        );
        assert_eq!(html.matches("danger").count(), 1);
    }

    #[test]
    fn row_markup_matches_the_official_benchmark() {
        let row = Row {
            id: 7,
            label: "odd red pony".into(),
        };
        assert_eq!(
            to_html(&row_view(&row)),
            "<tr><td class=\"col-md-1\">7</td><td class=\"col-md-4\"><a class=\"lbl\">odd red pony</a></td><td class=\"col-md-1\"><a class=\"remove\"><span class=\"remove glyphicon glyphicon-remove\" aria-hidden=\"true\"></span></a></td><td class=\"col-md-6\"></td></tr>"
        );
    }
}
