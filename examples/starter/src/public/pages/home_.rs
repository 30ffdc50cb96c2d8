//! `/`: a counter saved in SQLite; every open tab sees each change.

use rally::page::{LoadError, SaveError};
use rally::routes::QueryParams;
use rally::view::attribute::id;
use rally::view::event::on_click;
use rally::view::html::{button, div, h1, p, span, text};
use rally::view::{Effect, Element};
use serde::{Deserialize, Serialize};

use crate::broadcasts::{Event, Topic};
use crate::generated::rally::server::save_public_home;
use crate::public::SharedState;

/// The page's state.
#[derive(Debug, Clone, Default, PartialEq)]
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

/// Messages to the server: the load and the saves.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum ServerMsg {
    /// Load the count.
    Load,
    /// Add one.
    Increment,
    /// Take one away.
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
        Message::Increment => return save_public_home(ServerMsg::Increment, Message::Saved),
        Message::Decrement => return save_public_home(ServerMsg::Decrement, Message::Saved),
    }
    Effect::none()
}

/// Renders the page.
pub fn view(model: &Model) -> Element<Message> {
    div(
        vec![id("counter")],
        vec![
            h1(vec![], vec![text("Counter")]),
            button(
                vec![id("dec"), on_click(Message::Decrement)],
                vec![text("−")],
            ),
            span(vec![id("count")], vec![text(model.count.to_string())]),
            button(
                vec![id("inc"), on_click(Message::Increment)],
                vec![text("+")],
            ),
            match &model.error {
                Some(e) => p(vec![id("error")], vec![text(e.clone())]),
                None => text(""),
            },
        ],
    )
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

/// Reads the count.
#[cfg(feature = "server")]
pub fn load(db: &rally::db::Db) -> Result<LoadResult, LoadError> {
    use crate::generated::sql::public::pages::home__sql::get_count;
    db.read_sync(get_count)
        .map(|rows| LoadResult {
            count: rows.first().map_or(0, |r| r.count),
        })
        .map_err(|e| LoadError::new(format!("Could not read the count: {e}")))
}

/// Changes the count.
#[cfg(feature = "server")]
pub fn handle_save(db: &rally::db::Db, msg: ServerMsg) -> Result<CounterUpdate, SaveError> {
    use crate::generated::sql::public::pages::home__sql::add_to_count;
    let delta = match msg {
        ServerMsg::Increment => 1,
        ServerMsg::Decrement => -1,
        ServerMsg::Load => return Err(SaveError::new("Load is not a save.")),
    };
    let rows = db
        .write_sync(|tx| add_to_count(tx, delta))
        .map_err(|e| SaveError::new(format!("Could not save: {e}")))?;
    let count = rows
        .first()
        .map(|r| r.count)
        .ok_or_else(|| SaveError::new("The counter is missing."))?;
    Ok(CounterUpdate { count })
}

/// Tells the other tabs.
#[cfg(feature = "server")]
pub fn after_save(
    _db: &rally::db::Db,
    ok: &CounterUpdate,
) -> Option<crate::broadcasts::TargetedEvent> {
    Some(crate::broadcasts::TargetedEvent::new(
        vec![Topic::Counter],
        Event::CountChanged(ok.count),
    ))
}
