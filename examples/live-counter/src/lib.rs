//! A counter shared by every open tab. The page loads the count, saves increments over the
//! WebSocket, and receives the other tabs' increments as pushes. After the connection drops and
//! comes back it re-loads, so it catches up with what it missed.
//!
//! This page is written by hand against the runtime; codegen writes the same wiring for an
//! app's pages (route, dispatch, boot).

/// The browser bundle's allocator (the `rally/allocator` feature): smaller than the default.
#[cfg(target_arch = "wasm32")]
#[global_allocator]
static ALLOCATOR: rally::browser::Allocator = rally::browser::Allocator::new();

use rally::remote;
use rally::wire::{ApiError, Fingerprint};
use rally_view::attribute::{class, id};
use rally_view::event::on_click;
use rally_view::html::{button, div, p, span, text};
use rally_view::{App, Effect, Element};
use serde::{Deserialize, Serialize};

/// The page's name on the wire.
pub const PAGE: &str = "live/pages/counter";
/// The topic count changes are published to.
pub const TOPIC: &str = "counter";
/// The wire contract's fingerprint (a test checks it against [`contract`]).
pub const CONTRACT: Fingerprint =
    Fingerprint::from_hex("806b6d03399f6b88707ac3d694297bcd1946cc7752660a4d2ecf82026cb36469");

/// Messages to the server.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum ServerMsg {
    /// The current count.
    Load,
    /// Adds to the count and answers the new count.
    Add(i64),
}

/// The broadcast event.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Event {
    /// The count is now this.
    Count(i64),
}

/// The page state.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Model {
    /// The last count the server confirmed.
    pub count: i64,
    /// Saves sent and not yet answered.
    pub saving: u32,
    /// The last error, for the user.
    pub error: Option<String>,
    /// Loads completed, including the first one from the page's payload.
    pub loads: u32,
}

/// What can happen on the page.
#[derive(Clone, Debug, PartialEq)]
pub enum Message {
    /// A load's result.
    Loaded(Result<i64, Vec<ApiError>>),
    /// A save's result.
    Saved(Result<i64, Vec<ApiError>>),
    /// Add one.
    Increment,
    /// Take one away.
    Decrement,
    /// Another tab changed the count.
    Pushed(Event),
    /// The connection came back: catch up.
    Reconnected,
}

/// The model before anything is loaded.
pub fn initial_model() -> Model {
    Model::default()
}

/// Applies a message.
pub fn update(model: &mut Model, msg: Message) -> Effect<Message> {
    match msg {
        Message::Loaded(result) => {
            match result {
                Ok(count) => {
                    model.count = count;
                    model.loads += 1;
                    model.error = None;
                }
                Err(errors) => model.error = Some(describe(&errors)),
            }
            Effect::none()
        }
        Message::Saved(result) => {
            model.saving = model.saving.saturating_sub(1);
            match result {
                Ok(count) => model.count = count,
                Err(errors) => model.error = Some(describe(&errors)),
            }
            Effect::none()
        }
        Message::Increment => add(model, 1),
        Message::Decrement => add(model, -1),
        Message::Pushed(Event::Count(count)) => {
            model.count = count;
            Effect::none()
        }
        Message::Reconnected => remote::load(PAGE, &ServerMsg::Load, Message::Loaded),
    }
}

fn add(model: &mut Model, n: i64) -> Effect<Message> {
    model.saving += 1;
    remote::save(PAGE, &ServerMsg::Add(n), Message::Saved)
}

fn describe(errors: &[ApiError]) -> String {
    errors
        .first()
        .map_or_else(|| "Something went wrong.".to_owned(), ApiError::to_string)
}

/// The topics the page listens to.
pub fn subscriptions(_model: &Model) -> Vec<String> {
    vec![TOPIC.to_owned()]
}

/// Renders the page.
pub fn view(model: &Model) -> Element<Message> {
    let status = if model.saving > 0 {
        "saving…"
    } else {
        "saved"
    };
    div(
        [id("live")],
        [
            button([id("dec"), on_click(Message::Decrement)], [text("−")]),
            span([id("count")], [text(model.count.to_string())]),
            button([id("inc"), on_click(Message::Increment)], [text("+")]),
            p([id("status")], [text(status)]),
            p([id("loads")], [text(format!("loads: {}", model.loads))]),
            match &model.error {
                Some(e) => p([id("error"), class("error")], [text(e.clone())]),
                None => text(""),
            },
        ],
    )
}

/// The page as a TEA app.
pub fn app() -> App<Model, Message> {
    App::new(update, view)
}

/// The wire contract: what codegen derives from the page modules.
#[cfg(not(target_arch = "wasm32"))]
pub fn contract() -> rally::wire::contract::Contract {
    use rally::wire::contract::{Contract, Fields, Ty, TypeDef};
    let mut c = Contract::new();
    c.page(
        PAGE,
        Ty::named("live_counter::ServerMsg"),
        vec![Ty::Int("i64")],
    );
    c.push(Ty::named("live_counter::Event"));
    let server_msg = TypeDef::Enum(vec![
        ("Load".into(), Fields::Unit),
        ("Add".into(), Fields::Tuple(vec![Ty::Int("i64")])),
    ]);
    let event = TypeDef::Enum(vec![("Count".into(), Fields::Tuple(vec![Ty::Int("i64")]))]);
    // Both definitions are fresh, so neither can conflict.
    let _ = c.define("live_counter::ServerMsg", server_msg);
    let _ = c.define("live_counter::Event", event);
    c
}

/// Browser entry: hydrate with the loaded count the server embedded, then go live.
#[cfg(target_arch = "wasm32")]
#[wasm_bindgen::prelude::wasm_bindgen(start)]
pub fn start() {
    use rally::browser;

    let booted = browser::read_payload::<i64>().and_then(|count| {
        let mut model = initial_model();
        // Replaying the load result through update: the first render needs no request.
        let _ = update(&mut model, Message::Loaded(Ok(count)));
        browser::hydrate(app(), model)
    });
    let program = match booted {
        Ok((program, _report)) => program,
        Err(e) => return browser::report_error(&e),
    };
    browser::connect(CONTRACT);
    let weak = program.downgrade();
    browser::on_push(move |_topic, event| {
        if let (Some(program), Ok(event)) = (weak.upgrade(), rally::wire::decode::<Event>(event)) {
            program.dispatch(Message::Pushed(event));
        }
    });
    let weak = program.downgrade();
    browser::on_reconnect(move || {
        if let Some(program) = weak.upgrade() {
            program.dispatch(Message::Reconnected);
        }
    });
    program.with_model(|model| browser::set_topics(subscriptions(model)));
    program.on_render(|model| browser::set_topics(subscriptions(model)));
    // The program lives as long as the page.
    std::mem::forget(program);
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;

    #[test]
    fn the_compiled_fingerprint_matches_the_contract() {
        assert_eq!(contract().fingerprint().unwrap(), CONTRACT);
    }

    #[test]
    fn increments_wait_for_the_save_and_pushes_set_the_count() {
        let mut model = initial_model();
        let effect = update(&mut model, Message::Increment);
        assert_eq!((model.count, model.saving), (0, 1));
        assert!(effect.is_none(), "on the server, saves are dropped effects");
        let _ = update(&mut model, Message::Saved(Ok(1)));
        assert_eq!((model.count, model.saving), (1, 0));
        let _ = update(&mut model, Message::Pushed(Event::Count(7)));
        assert_eq!(model.count, 7);
        let _ = update(
            &mut model,
            Message::Saved(Err(vec![ApiError::Disconnected])),
        );
        assert_eq!(
            model.error.as_deref(),
            Some("The connection to the server dropped before it answered.")
        );
    }
}
