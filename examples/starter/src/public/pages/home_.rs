//! `/`: a counter saved in SQLite; every open tab sees each change.

use rally::page::{LoadError, SaveError};
use rally::routes::QueryParams;
use rally::view::attribute::id;
use rally::view::event::on_click;
use rally::view::html::{button, div, h1, p, span, text};
use rally::view::{Effect, Element, view};
use serde::{Deserialize, Serialize};

use crate::broadcasts::{Event, Topic};
#[cfg(feature = "server")]
use crate::context::Context;
use crate::generated::rally::server::save_public_home;
use crate::public::SharedState;

/// The page's state. Serde, so `cargo rally dev` keeps it across a rebuild (while the page's
/// types are unchanged): edit `view` and the tab comes back as it was.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Model {
    /// The count, as last loaded, saved or pushed.
    pub count: i64,
    /// The last error.
    pub error: Option<String>,
}

/// What can happen on the page.
#[derive(Debug, Clone, PartialEq)]
pub enum Message {
    /// The count loaded.
    Loaded(Result<LoadResult, LoadError>),
    /// A save's answer.
    Saved(Result<CounterUpdate, SaveError>),
    /// The + button.
    Increment,
    /// The − button.
    Decrement,
}

/// Messages to the server: the load, and the saves (`handle_save` receives the `Change`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum ServerMsg {
    /// Load the count.
    Load,
    /// Change the count.
    Save(Change),
}

/// A change to the count.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Change {
    /// Add a step.
    Increment,
    /// Take a step away.
    Decrement,
}

/// What the load returns.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LoadResult {
    /// The stored count.
    pub count: i64,
}

/// What a save returns.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CounterUpdate {
    /// The count after the save.
    pub count: i64,
}

/// The page before its data arrives.
pub fn initial_model(_shared: &SharedState, _query: &QueryParams) -> Model {
    Model::default()
}

/// Applies a message.
pub fn update(model: &mut Model, msg: Message) -> Effect<Message> {
    match msg {
        Message::Loaded(Ok(loaded)) => model.count = loaded.count,
        Message::Saved(Ok(update)) => model.count = update.count,
        Message::Loaded(Err(e)) => model.error = Some(e.message),
        Message::Saved(Err(e)) => model.error = Some(e.message),
        Message::Increment => return save_public_home(Change::Increment, Message::Saved),
        Message::Decrement => return save_public_home(Change::Decrement, Message::Saved),
    }
    Effect::none()
}

/// Renders the page.
pub fn view(model: &Model) -> Element<Message> {
    // Inside `view!` the server writes the constant markup (tags, ids, the labels) in one copy
    // and renders only the rest; in the browser it is this expression (docs/guides/views.md).
    view! {
        div(
            [id("counter")],
            [
                h1([], [text("Counter")]),
                button([id("dec"), on_click(Message::Decrement)], [text("−")]),
                span([id("count")], [text(model.count.to_string())]),
                button([id("inc"), on_click(Message::Increment)], [text("+")]),
                match &model.error {
                    Some(e) => p([id("error")], [text(e.clone())]),
                    None => text(""),
                },
            ],
        )
    }
}

/// Listens for changes from other tabs.
pub fn broadcast_subscriptions(_model: &Model) -> Vec<Topic> {
    vec![Topic::Counter]
}

/// Another tab changed the count.
pub fn apply_broadcast(model: &mut Model, event: &Event) -> Effect<Message> {
    match event {
        Event::CountChanged(count) => model.count = *count,
    }
    Effect::none()
}

/// Reads the count. A database error is logged with its details and the page gets a message
/// that gives nothing away.
#[cfg(feature = "server")]
pub fn load(ctx: &Context) -> Result<LoadResult, LoadError> {
    use crate::generated::sql::public::pages::home__sql::get_count;
    ctx.db
        .read_sync(get_count)
        .map(|row| LoadResult {
            count: row.map_or(0, |r| r.count),
        })
        .map_err(|e| {
            rally::tracing::error!(error = %e, "reading the count");
            LoadError::new("Could not read the count.")
        })
}

/// Moves the count by the app's step.
#[cfg(feature = "server")]
pub fn handle_save(ctx: &Context, change: Change) -> Result<CounterUpdate, SaveError> {
    use crate::generated::sql::public::pages::home__sql::add_to_count;
    let delta = match change {
        Change::Increment => ctx.step,
        Change::Decrement => -ctx.step,
    };
    let row = ctx
        .db
        .write_sync(|tx| add_to_count(tx, delta))
        .map_err(|e| {
            rally::tracing::error!(error = %e, "saving the count");
            SaveError::new("Could not save the count.")
        })?;
    Ok(CounterUpdate { count: row.count })
}

/// Tells the other tabs.
#[cfg(feature = "server")]
pub fn after_save(_ctx: &Context, ok: &CounterUpdate) -> Option<crate::broadcasts::TargetedEvent> {
    Some(crate::broadcasts::TargetedEvent::new(
        [Topic::Counter],
        Event::CountChanged(ok.count),
    ))
}
