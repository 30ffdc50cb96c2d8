//! The view-layer demo: one model, one `update`, one `view`, rendered by the server and
//! hydrated by the browser from the same code.

/// The browser bundle's allocator (the `rally/allocator` feature): smaller than the default.
#[cfg(target_arch = "wasm32")]
#[global_allocator]
static ALLOCATOR: rally::browser::Allocator = rally::browser::Allocator::new();

use rally_view::attribute::{self as attr, class, id};
use rally_view::event::{on_check, on_click, on_input, on_submit};
use rally_view::html::{self, button, form, h1, h2, input, li, main, p, section, span, text};
use rally_view::{App, Effect, Element, Key};
use serde::{Deserialize, Serialize};

/// The whole state of the demo page.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Model {
    pub count: i64,
    pub draft: String,
    pub todos: Vec<Todo>,
    pub next_id: u64,
}

/// One todo item.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Todo {
    pub id: u64,
    pub title: String,
    pub done: bool,
}

/// Everything that can happen on the page.
#[derive(Clone, Debug, PartialEq)]
pub enum Msg {
    Increment,
    Decrement,
    SetDraft(String),
    /// The form was submitted with this title (read from the form's fields, as a form
    /// without a model for its inputs would).
    Add(String),
    Toggle(u64, bool),
    Remove(u64),
    MoveUp(u64),
    MoveDown(u64),
    Reverse,
    /// Marks every todo done, or every one open when all are done.
    ToggleAll,
}

/// The model the server starts from.
pub fn initial_model() -> Model {
    let todos = [
        "Render on the server",
        "Hydrate without touching the DOM",
        "Diff by key",
    ]
    .iter()
    .enumerate()
    .map(|(i, t)| Todo {
        id: i as u64 + 1,
        title: t.to_string(),
        done: i == 0,
    })
    .collect();
    Model {
        count: 0,
        draft: String::new(),
        todos,
        next_id: 4,
    }
}

/// Applies a message.
pub fn update(model: &mut Model, msg: Msg) -> Effect<Msg> {
    match msg {
        Msg::Increment => model.count += 1,
        Msg::Decrement => model.count -= 1,
        Msg::SetDraft(s) => model.draft = s,
        Msg::Add(title) => {
            let title = title.trim().to_string();
            if !title.is_empty() {
                model.todos.push(Todo {
                    id: model.next_id,
                    title,
                    done: false,
                });
                model.next_id += 1;
                model.draft.clear();
            }
        }
        Msg::Toggle(id, done) => {
            if let Some(t) = model.todos.iter_mut().find(|t| t.id == id) {
                t.done = done;
            }
        }
        Msg::Remove(id) => model.todos.retain(|t| t.id != id),
        Msg::MoveUp(id) => {
            if let Some(i) = model
                .todos
                .iter()
                .position(|t| t.id == id)
                .filter(|&i| i > 0)
            {
                model.todos.swap(i, i - 1);
            }
        }
        Msg::MoveDown(id) => {
            if let Some(i) = model
                .todos
                .iter()
                .position(|t| t.id == id)
                .filter(|&i| i + 1 < model.todos.len())
            {
                model.todos.swap(i, i + 1);
            }
        }
        Msg::Reverse => model.todos.reverse(),
        Msg::ToggleAll => {
            let done = !model.todos.iter().all(|t| t.done);
            for todo in &mut model.todos {
                todo.done = done;
            }
        }
    }
    Effect::none()
}

/// Renders the page.
pub fn view(model: &Model) -> Element<Msg> {
    let done = model.todos.iter().filter(|t| t.done).count();
    main(
        [class("demo")],
        [
            h1([], [text("Rally view demo")]),
            section(
                [class("counter")],
                [
                    h2([], [text("Counter")]),
                    button([id("dec"), on_click(Msg::Decrement)], [text("−")]),
                    span([id("count")], [text(model.count.to_string())]),
                    button([id("inc"), on_click(Msg::Increment)], [text("+")]),
                ],
            ),
            section(
                [class("todos")],
                [
                    h2([], [text("Todos")]),
                    form(
                        [
                            id("add"),
                            on_submit(|form| {
                                Msg::Add(form.get("title").unwrap_or_default().to_owned())
                            }),
                        ],
                        [
                            input([
                                id("draft"),
                                attr::name("title"),
                                attr::placeholder("What needs doing?"),
                                attr::autocomplete("off"),
                                attr::value(model.draft.clone()),
                                on_input(Msg::SetDraft),
                            ]),
                            button([attr::type_("submit")], [text("Add")]),
                        ],
                    ),
                    p([id("echo")], [text("Draft: "), text(model.draft.clone())]),
                    html::keyed("ul", [id("todos")], model.todos.iter().map(todo_item)),
                    p(
                        [id("summary")],
                        [text(format!("{} todos, {done} done", model.todos.len()))],
                    ),
                    button([id("reverse"), on_click(Msg::Reverse)], [text("Reverse")]),
                    button(
                        [id("toggle-all"), on_click(Msg::ToggleAll)],
                        [text("All done")],
                    ),
                ],
            ),
        ],
    )
}

/// One todo's list item, keyed by its id. A `view!` template: with rally-view's `dom-templates` feature (on in this demo's browser
/// bundle), new items are cloned from one DOM copy and re-renders compare only the values
/// that can change (docs/adr/0046).
fn todo_item(todo: &Todo) -> (Key, Element<Msg>) {
    let id = todo.id;
    let item = rally_view::view! {
        li(
            [
                attr::data("id", id.to_string()),
                attr::classes(&[("done", todo.done)]),
            ],
            [
                input([
                    attr::type_("checkbox"),
                    attr::checked(todo.done),
                    on_check(move |on| Msg::Toggle(id, on)),
                ]),
                span([class("title")], [text(todo.title.clone())]),
                button([class("up"), on_click(Msg::MoveUp(id))], [text("↑")]),
                button([class("down"), on_click(Msg::MoveDown(id))], [text("↓")]),
                button([class("remove"), on_click(Msg::Remove(id))], [text("×")]),
            ],
        )
    };
    (Key::from(id), item)
}

/// The demo as a TEA app.
pub fn app() -> App<Model, Msg> {
    App::new(update, view)
}

/// Browser entry: hydrate the server-rendered page with the model it embedded.
#[cfg(target_arch = "wasm32")]
#[wasm_bindgen::prelude::wasm_bindgen(start)]
pub fn start() {
    rally::browser::boot(app());
}
