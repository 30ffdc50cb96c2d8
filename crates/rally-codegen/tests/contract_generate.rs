//! What codegen writes for the page contract's newer parts, on small fixture apps: the app's
//! context type, the caller passed only where a page asks for it (and looked up only then),
//! per-page `ACCESS`/`authorize` on SSR and on the socket, `init`, `update` with the shared
//! state, `head`, `ServerMsg::Save(T)`, one-line alias pages, the `src/server.rs` and
//! `authorize_topic` hooks, and imported save result types. (`tests/snapshots.rs` shows whole
//! files for an app with all of them.)

mod common;

use common::App;

/// A page with no server side.
const PAGE: &str = r#"
#[derive(Clone)] pub struct Model;
#[derive(Clone)] pub enum Message { Clicked }
pub fn initial_model(shared: &SharedState, query: &QueryParams) -> Model { Model }
pub fn update(model: &mut Model, msg: Message) -> Effect<Message> { todo!() }
pub fn view(model: &Model) -> Element<Message> { todo!() }
"#;

/// A page with a load and saves, on `Db`.
const SAVES: &str = r#"
use serde::{Deserialize, Serialize};
#[derive(Clone)] pub struct Model;
#[derive(Clone)] pub enum Message { Loaded(Result<LoadResult, LoadError>), Saved(Result<Count, SaveError>) }
#[derive(Serialize, Deserialize)] pub enum ServerMsg { Load, Bump { by: i64 } }
#[derive(Serialize, Deserialize)] pub struct LoadResult { pub count: i64 }
#[derive(Serialize, Deserialize)] pub struct Count { pub count: i64 }
pub fn initial_model(shared: &SharedState, query: &QueryParams) -> Model { Model }
pub fn update(model: &mut Model, msg: Message) -> Effect<Message> { todo!() }
pub fn view(model: &Model) -> Element<Message> { todo!() }
#[cfg(feature = "server")]
pub fn load(db: &Db) -> Result<LoadResult, LoadError> { todo!() }
#[cfg(feature = "server")]
pub fn handle_save(db: &Db, msg: ServerMsg) -> Result<Count, SaveError> { todo!() }
#[cfg(feature = "server")]
pub fn after_save(db: &Db, ok: &Count) -> Option<TargetedEvent> { None }
"#;

/// `games/id_.rs`, loading by the route's `id`.
const GAME: &str = r#"
use serde::{Deserialize, Serialize};
#[derive(Clone)] pub struct Model;
#[derive(Clone)] pub enum Message { Loaded(Result<LoadResult, LoadError>) }
#[derive(Serialize, Deserialize)] pub enum ServerMsg { Load { id: i64 } }
#[derive(Serialize, Deserialize)] pub struct LoadResult { pub id: i64 }
pub fn initial_model(shared: &SharedState, params: &GamesIdParams, query: &QueryParams) -> Model { Model }
pub fn update(model: &mut Model, msg: Message) -> Effect<Message> { todo!() }
pub fn view(model: &Model) -> Element<Message> { todo!() }
#[cfg(feature = "server")]
pub fn load(db: &Db, id: i64) -> Result<LoadResult, LoadError> { todo!() }
"#;

const CONTEXT: &str = "pub struct Context { pub db: rally::db::Db }\npub fn context(db: rally::db::Db, env: &rally::env::Env) -> Result<Context, ConfigError> { todo!() }\n";
const AUTH: &str =
    "#[cfg(feature = \"server\")]\npub fn auth(db: &Db) -> Result<Auth<App>, Error> { todo!() }\n";

const HOME: &str = "src/public/pages/home_.rs";
const PUBLIC: &str = "src/generated/rally/public.rs";
const DISPATCH: &str = "src/generated/rally/dispatch.rs";
const SERVER: &str = "src/generated/rally/server.rs";
const APP: &str = "src/generated/rally/app.rs";

/// `contains`, insensitive to whitespace and to trailing commas, since prettyplease decides
/// the line breaks (and with them the commas).
fn has(text: &str, needle: &str) -> bool {
    let squash = |s: &str| {
        s.split_whitespace()
            .collect::<String>()
            .replace(",)", ")")
            .replace(",}", "}")
            .replace(",]", "]")
            .replace(",>", ">")
    };
    squash(text).contains(&squash(needle))
}

#[track_caller]
fn assert_has(text: &str, needle: &str) {
    assert!(has(text, needle), "`{needle}` is not in:\n{text}");
}

#[track_caller]
fn assert_has_not(text: &str, needle: &str) {
    assert!(!has(text, needle), "`{needle}` is in:\n{text}");
}

/// The dispatch arm of page `wire` (up to the next page's arm).
fn arm<'a>(dispatch: &'a str, wire: &str) -> &'a str {
    let rest = dispatch
        .split(&format!("\"{wire}\" =>"))
        .nth(1)
        .unwrap_or_else(|| panic!("no dispatch arm for {wire}:\n{dispatch}"));
    rest.split("\"public/pages/")
        .next()
        .unwrap()
        .split("other =>")
        .next()
        .unwrap()
}

#[test]
fn pages_receive_the_apps_context_or_the_database() {
    let app = App::new();
    app.file(HOME, SAVES);
    let files = app.generates();
    assert_has(
        &files[DISPATCH],
        "pub context: std::sync::Arc<rally::glue::Db>,",
    );
    assert_has(&files[PUBLIC], "type Context = rally::glue::Db;");
    assert_has(&files[PUBLIC], "fn load_data(ctx: &rally::glue::Db,");
    assert_has(&files[APP], "let context = app.db.clone();");
    assert_has(&files[APP], "AppBuilder<rally::glue::Db>");
    assert_has_not(&files[APP], "crate::context::");

    app.file("src/context.rs", CONTEXT)
        .file(HOME, &SAVES.replace("db: &Db", "ctx: &Context"));
    let files = app.generates();
    assert_has(
        &files[DISPATCH],
        "pub context: std::sync::Arc<crate::context::Context>,",
    );
    assert_has(&files[PUBLIC], "type Context = crate::context::Context;");
    assert_has(
        &files[PUBLIC],
        "fn load_data(ctx: &crate::context::Context,",
    );
    assert_has(
        &files[APP],
        "let context = crate::context::context(app.db.clone(), &app.env)",
    );
    assert_has(&files[APP], "AppBuilder<crate::context::Context>");
    // Handlers get it as `ctx`, first.
    assert_has(&files[DISPATCH], "let ctx = &*self.context;");
    assert_has(
        &files[DISPATCH],
        "crate::public::pages::home_::load(ctx).map_err(ApiError::from)",
    );
    assert_has(
        &files[DISPATCH],
        "crate::public::pages::home_::handle_save(ctx, msg)",
    );
    assert_has(
        &files[DISPATCH],
        "crate::public::pages::home_::after_save(ctx, &ok)",
    );
}

#[test]
fn the_caller_is_passed_and_looked_up_only_where_a_page_asks_for_it() {
    // No page asks: a public page's request looks up no session.
    let app = App::new();
    app.file(HOME, SAVES);
    let files = app.generates();
    assert_has_not(&files[DISPATCH], "for_request");
    assert_has(
        &files[PUBLIC],
        "Some(rally::glue::Loaded::new(crate::public::pages::home_::load(ctx),",
    );

    // Each function that takes the caller gets it; the others do not.
    for (edit_from, edit_to, passed, not_passed) in [
        (
            "load(db: &Db)",
            "load(db: &Db, caller: &Caller)",
            "crate::public::pages::home_::load(ctx, &caller)",
            "handle_save(ctx, &caller",
        ),
        (
            "handle_save(db: &Db, msg",
            "handle_save(db: &Db, caller: &rally::glue::Caller<'_>, msg",
            "crate::public::pages::home_::handle_save(ctx, &caller, msg)",
            "load(ctx, &caller)",
        ),
        (
            "after_save(db: &Db, ok",
            "after_save(db: &Db, caller: &Caller, ok",
            "crate::public::pages::home_::after_save(ctx, &caller, &ok)",
            "handle_save(ctx, &caller",
        ),
    ] {
        app.file(HOME, &SAVES.replace(edit_from, edit_to));
        let files = app.generates();
        let dispatch = arm(&files[DISPATCH], "public/pages/home_");
        assert_has(
            dispatch,
            r#"let caller = match rally::glue::for_request(self.auth.as_deref(), "public", &request.connection.headers) { Ok(caller) => caller, Err(e) => return Reply::error(e), };"#,
        );
        assert_has(dispatch, passed);
        assert_has_not(dispatch, not_passed);
    }

    // On the server's render, `load` gets the render's caller.
    app.file(
        HOME,
        &SAVES.replace("load(db: &Db)", "load(db: &Db, caller: &Caller)"),
    );
    assert_has(
        &app.generates()[PUBLIC],
        "crate::public::pages::home_::load(ctx, caller)",
    );
    // With route params, after the caller.
    let app = App::new();
    app.with_games(
        SAVES,
        &GAME.replace(
            "load(db: &Db, id: i64)",
            "load(db: &Db, caller: &Caller, id: i64)",
        ),
    );
    let files = app.generates();
    assert_has(
        &files[PUBLIC],
        "crate::public::pages::games::id_::load(ctx, caller, *id)",
    );
    assert_has(
        arm(&files[DISPATCH], "public/pages/games/id_"),
        "crate::public::pages::games::id_::load(ctx, &caller, id)",
    );
    assert_has_not(arm(&files[DISPATCH], "public/pages/games"), "for_request");
}

#[test]
fn access_and_authorize_guard_the_servers_render_and_the_socket() {
    let app = App::new();
    app.file("src/auth.rs", AUTH);
    // `ACCESS` and an `authorize` over the route's params.
    let game = format!(
        "{GAME}\npub const ACCESS: rally::page::Access = rally::page::Access::SignedIn;\n#[cfg(feature = \"server\")]\npub fn authorize(db: &Db, user: &Identity, params: &GamesIdParams) -> bool {{ true }}\n"
    );
    // `authorize` alone, without params, on a page that saves.
    let me = format!(
        "{SAVES}\n#[cfg(feature = \"server\")]\npub fn authorize(db: &Db, user: &Identity) -> bool {{ true }}\n"
    );
    // `ACCESS` alone.
    let desk = format!(
        "{SAVES}\npub const ACCESS: rally::page::Access = rally::page::Access::SignedIn;\n"
    );
    app.with_games(PAGE, &game)
        .page("me", &me)
        .page("desk", &desk);
    let files = app.generates();
    let public = &files[PUBLIC];
    // The server's render (`ServerMount::authorize`): the page's rule per route.
    assert_has(
        public,
        "fn authorize(ctx: &rally::glue::Db, caller: &rally::glue::Caller<'_>, route: &Route) -> Result<(), rally::glue::Denied>",
    );
    assert_has(
        public,
        "Route::GamesId { id } => { let params = crate::generated::routes::public::GamesIdParams { id: *id, }; rally::glue::allow(crate::public::pages::games::id_::ACCESS, caller, Some(&|user| crate::public::pages::games::id_::authorize(ctx, user, &params),),) }",
    );
    assert_has(
        public,
        "Route::Me => { rally::glue::allow(rally::glue::Access::Public, caller, Some(&|user| crate::public::pages::me::authorize(ctx, user)),) }",
    );
    assert_has(
        public,
        "Route::Desk => { rally::glue::allow(crate::public::pages::desk::ACCESS, caller, None) }",
    );
    assert_has(public, "Route::Games => Ok(()),");
    assert_has(public, "Route::Home => Ok(()),");

    // The socket: every load is checked with the same rule, the params from `Load`'s fields.
    let dispatch = &files[DISPATCH];
    let game_arm = arm(dispatch, "public/pages/games/id_");
    assert_has(game_arm, "let caller = match rally::glue::for_request(");
    assert_has(
        game_arm,
        "crate::public::pages::games::id_::ServerMsg::Load { id } => { if rally::glue::allow(crate::public::pages::games::id_::ACCESS, &caller, Some(&|user| crate::public::pages::games::id_::authorize(ctx, user, &crate::generated::routes::public::GamesIdParams",
    );
    assert_has(
        game_arm,
        ").is_err() { return Reply::error(ApiError::Unauthorized); } Reply::encode(crate::public::pages::games::id_::load(ctx, id)",
    );
    // Saves carry no route params: a params rule needs a signed-in caller for them.
    let me_arm = arm(dispatch, "public/pages/me");
    assert_eq!(me_arm.matches("rally::glue::allow(").count(), 2);
    assert_has(
        me_arm,
        "if rally::glue::allow(rally::glue::Access::Public, &caller, Some(&|user| crate::public::pages::me::authorize(ctx, user)),).is_err() { return Reply::error(ApiError::Unauthorized); } match crate::public::pages::me::handle_save(ctx, msg)",
    );
    let desk_arm = arm(dispatch, "public/pages/desk");
    assert_has(
        desk_arm,
        "if rally::glue::allow(crate::public::pages::desk::ACCESS, &caller, None).is_err() { return Reply::error(ApiError::Unauthorized); } match crate::public::pages::desk::handle_save(ctx, msg)",
    );
    // A restricted page's save with a params rule: signed in, `handle_save` checks the rest.
    let app = App::new();
    app.file("src/auth.rs", AUTH).with_games(
        PAGE,
        &game
            .replace("Load { id: i64 } }", "Load { id: i64 }, Save(i64) }")
            .replace(
                "pub fn load(",
                "pub fn handle_save(db: &Db, save: i64) -> Result<i64, SaveError> { todo!() }\n#[cfg(feature = \"server\")]\npub fn load(",
            ),
    );
    let dispatch = &app.generates()[DISPATCH];
    assert_has(
        arm(dispatch, "public/pages/games/id_"),
        "crate::public::pages::games::id_::ServerMsg::Save(msg) => { if rally::glue::allow(crate::public::pages::games::id_::ACCESS, &caller, Some(&|_| true)).is_err() { return Reply::error(ApiError::Unauthorized); }",
    );
    // Without rules, the mount has no `authorize` (everyone may open every route).
    let app = App::new();
    app.file(HOME, SAVES);
    assert_has_not(&app.generates()[PUBLIC], "fn authorize");
}

#[test]
fn init_head_and_update_with_the_shared_state_are_wired_into_the_mount() {
    let app = App::new();
    let public = &app.generates()[PUBLIC];
    // None of them: the runtime's defaults.
    assert_has_not(public, "fn init(");
    assert_has_not(public, "fn head(");
    assert_has(
        public,
        "fn update(_shared: &Self::Shared, page: &mut Page, msg: Msg)",
    );

    let home = PAGE
        .replace(
            "pub fn update(model: &mut Model",
            "pub fn update(shared: &SharedState, model: &mut Model",
        )
        .replace(
            "pub fn view(",
            "pub fn init(shared: &SharedState, query: &QueryParams) -> (Model, Effect<Message>) { todo!() }\npub fn head(model: &Model) -> rally::glue::Head { todo!() }\npub fn view(",
        );
    app.file(HOME, &home).with_games(
        PAGE,
        &GAME.replace(
            "pub fn view(",
            "pub fn init(shared: &SharedState, params: &GamesIdParams, query: &QueryParams) -> (Model, Effect<Message>) { todo!() }\npub fn view(",
        ),
    );
    let public = &app.generates()[PUBLIC];
    assert_has(
        public,
        "fn init(shared: &Self::Shared, route: &Route, query: &QueryParams) -> (Page, Effect<Msg>)",
    );
    assert_has(
        public,
        "Route::Home => { let (model, effect) = crate::public::pages::home_::init(shared, query); (Page::Home(model), effect.map(Msg::Home)) }",
    );
    assert_has(
        public,
        "Route::GamesId { id } => { let (model, effect) = crate::public::pages::games::id_::init(shared, &crate::generated::routes::public::GamesIdParams { id: *id, }, query); (Page::GamesId(model), effect.map(Msg::GamesId)) }",
    );
    // A page without `init` starts from `initial_model` with no effect.
    assert_has(
        public,
        "(Page::Games(crate::public::pages::games::initial_model(shared, query)), Effect::none())",
    );
    assert_has(
        public,
        "fn update(shared: &Self::Shared, page: &mut Page, msg: Msg)",
    );
    assert_has(
        public,
        "(Page::Home(m), Msg::Home(msg)) => { crate::public::pages::home_::update(shared, m, msg).map(Msg::Home) }",
    );
    assert_has(
        public,
        "(Page::Games(m), Msg::Games(msg)) => { crate::public::pages::games::update(m, msg).map(Msg::Games) }",
    );
    assert_has(
        public,
        "fn head(page: &Page) -> rally::glue::Head { match page { Page::Home(m) => crate::public::pages::home_::head(m), Page::Games(_) => rally::glue::Head::default(),",
    );
}

#[test]
fn server_msg_save_t_is_unwrapped_for_handle_save_and_wrapped_by_the_save_helper() {
    let app = App::new();
    let page = SAVES
        .replace(
            "Bump { by: i64 } }",
            "Save(Change) }\n#[derive(Serialize, Deserialize)] pub enum Change { Up, Down }",
        )
        .replace("msg: ServerMsg)", "change: Change)");
    app.file(HOME, &page);
    let files = app.generates();
    let dispatch = arm(&files[DISPATCH], "public/pages/home_");
    assert_has(
        dispatch,
        "crate::public::pages::home_::ServerMsg::Save(msg) => { match crate::public::pages::home_::handle_save(ctx, msg) {",
    );
    // `Load` and `Save` are the whole enum: no catch-all arm.
    assert_has_not(dispatch, "unreachable_patterns");
    assert_has_not(dispatch, "has no saves");
    assert_has(
        &files[SERVER],
        "pub fn save_public_home(message: crate::public::pages::home_::Change, to_msg: impl FnOnce(Result<crate::public::pages::home_::Count, SaveError>) -> crate::public::pages::home_::Message + 'static,) -> Effect<crate::public::pages::home_::Message> { rally::glue::save(\"public/pages/home_\", &crate::public::pages::home_::ServerMsg::Save(message),",
    );
    // A payload imported with `use` is named by its path, a primitive as written.
    app.file(
        HOME,
        &format!(
            "use crate::wire::Change;\n{}",
            SAVES
                .replace("Bump { by: i64 } }", "Save(Change) }")
                .replace("msg: ServerMsg)", "change: Change)")
        ),
    )
    .file(
        "src/wire.rs",
        "#[derive(Serialize, Deserialize)] pub enum Change { Up, Down }\n",
    );
    assert_has(
        &app.generates()[SERVER],
        "pub fn save_public_home(message: crate::wire::Change,",
    );
    app.file(
        HOME,
        &SAVES
            .replace("Bump { by: i64 } }", "Save(i64) }")
            .replace("msg: ServerMsg)", "by: i64)"),
    );
    assert_has(
        &app.generates()[SERVER],
        "pub fn save_public_home(message: i64,",
    );
    // Other saves: the helper takes the `ServerMsg`, `handle_save` every variant but `Load`.
    app.file(HOME, SAVES);
    let files = app.generates();
    assert_has(
        &files[SERVER],
        "pub fn save_public_home(message: crate::public::pages::home_::ServerMsg,",
    );
    assert_has(&files[SERVER], "&message,");
    assert_has(
        arm(&files[DISPATCH], "public/pages/home_"),
        "#[allow(unreachable_patterns)] msg => { match crate::public::pages::home_::handle_save(ctx, msg) {",
    );
}

#[test]
fn a_one_line_alias_page_follows_the_whole_contract_of_the_page_it_shows() {
    let app = App::new();
    app.file("src/auth.rs", AUTH)
        .page(
            "games",
            &SAVES
                .replace("Saved(Result<Count, SaveError>)", "Saved(Result<Count, SaveError>), NavigateGame { id: i64 }")
                .replace("load(db: &Db)", "load(db: &Db, caller: &Caller)")
                .replace(
                    "pub fn update(model: &mut Model",
                    "pub fn update(shared: &SharedState, model: &mut Model",
                )
                .replace(
                    "pub fn view(",
                    "pub const ACCESS: rally::page::Access = rally::page::Access::SignedIn;\npub fn init(shared: &SharedState, query: &QueryParams) -> (Model, Effect<Message>) { todo!() }\npub fn head(model: &Model) -> rally::glue::Head { todo!() }\npub fn broadcast_subscriptions(model: &Model) -> Vec<Topic> { todo!() }\npub fn apply_broadcast(model: &mut Model, event: &Event) -> Effect<Message> { todo!() }\npub fn view(",
                )
                .replacen("pub fn initial_model", "pub mod id_;\npub fn initial_model", 1),
        )
        .file("src/public/pages/games/id_.rs", GAME)
        .file(HOME, "pub use super::games::*;\n");
    let files = app.generates();
    let public = &files[PUBLIC];
    // Its state, messages and functions are its own module's (re-exported)…
    assert_has(public, "Home(crate::public::pages::home_::Model),");
    assert_has(public, "Home(crate::public::pages::home_::Message),");
    assert_has(
        public,
        "Route::Home => { let (model, effect) = crate::public::pages::home_::init(shared, query);",
    );
    assert_has(
        public,
        "crate::public::pages::home_::update(shared, m, msg).map(Msg::Home)",
    );
    assert_has(
        public,
        "Page::Home(m) => crate::public::pages::home_::head(m),",
    );
    assert_has(
        public,
        "(_, Page::Home(m)) => { crate::public::pages::home_::broadcast_subscriptions(m)",
    );
    assert_has(
        public,
        "Page::Home(m) => { crate::public::pages::home_::apply_broadcast(m, &event).map(Msg::Home) }",
    );
    // …its load, access rule and navigation the page it shows.
    assert_has(
        public,
        "Route::Home => { Some(rally::glue::Loaded::new(crate::public::pages::games::load(ctx, caller), |r| Msg::Home(crate::public::pages::games::Message::Loaded(r)),),) }",
    );
    assert_has(
        public,
        r#"Route::Home => { Some(rally::glue::load("public/pages/games", &crate::public::pages::games::ServerMsg::Load,"#,
    );
    assert_has(
        public,
        "Route::Home => { rally::glue::allow(crate::public::pages::games::ACCESS, caller, None) }",
    );
    assert_has(
        public,
        "Msg::Home(crate::public::pages::games::Message::NavigateGame { id }) => { Some(crate::generated::routes::public::games_id_path(*id)) }",
    );
    // No wire name, dispatch, contract entry or save helper of its own.
    assert_has_not(&files[DISPATCH], "public/pages/home_");
    assert_has_not(&files["src/generated/rally/contract.rs"], "home_");
    assert_has_not(&files[SERVER], "save_public_home");
    assert_has(&files[SERVER], "pub fn save_public_games(");
}

#[test]
fn the_server_hook_and_the_topic_rule_are_called_when_the_app_defines_them() {
    let app = App::new();
    app.file(HOME, SAVES);
    let files = app.generates();
    assert_has_not(&files[APP], "crate::server::configure");
    assert_has_not(&files[DISPATCH], "fn authorize_topics");
    assert_has_not(&files[DISPATCH], "fn authorizes_topics");

    app.file(
        "src/server.rs",
        "pub fn configure(app: AppBuilder<Db>) -> AppBuilder<Db> { app }\n",
    )
    .file(
        "src/broadcasts.rs",
        "#[cfg(feature = \"server\")]\npub fn authorize_topic(db: &Db, caller: &Caller, topic: &str) -> bool { true }\n",
    );
    let files = app.generates();
    // After the app's builder is made, before sign-in and the endpoint use it.
    assert_has(
        &files[APP],
        r#"let app = AppBuilder::new(app, context, "Fixture"); let mut app = crate::server::configure(app);"#,
    );
    let app_rs = &files[APP];
    assert!(
        app_rs.find("crate::server::configure(app)").unwrap() < app_rs.find(".endpoint(").unwrap()
    );
    // Every topic of a set is put to the app's rule with the caller read now.
    assert_has(
        &files[DISPATCH],
        r#"let caller = rally::glue::for_request(auth, "public", headers)?; if !topics.iter().all(|topic| crate::broadcasts::authorize_topic(ctx, &caller, topic)) { return Err(ApiError::Unauthorized); } Ok(()) }"#,
    );
    assert_has(
        &files[DISPATCH],
        "fn authorizes_topics(&self) -> bool { true }",
    );
}

#[test]
fn topics_a_page_owns_follow_the_pages_rule() {
    let app = App::new();
    app.file("src/auth.rs", AUTH);
    let game = format!(
        "{GAME}\npub const ACCESS: rally::page::Access = rally::page::Access::SignedIn;\n#[cfg(feature = \"server\")]\npub fn authorize(db: &Db, user: &Identity, params: &GamesIdParams) -> bool {{ true }}\n#[cfg(feature = \"server\")]\npub fn owns_topic(topic: &str) -> Option<GamesIdParams> {{ None }}\n"
    );
    let desk = format!(
        "{SAVES}\npub const ACCESS: rally::page::Access = rally::page::Access::SignedIn;\n#[cfg(feature = \"server\")]\npub fn owns_topic(topic: &str) -> bool {{ topic == \"desk\" }}\n"
    );
    app.with_games(PAGE, &game).page("desk", &desk);
    let dispatch = &app.generates()[DISPATCH];
    // The params a topic names are judged by `authorize`, with the caller looked up once.
    assert_has(
        dispatch,
        r#"let owned: Vec<_> = topics.iter().filter_map(|topic| crate::public::pages::games::id_::owns_topic(topic)).collect(); if !owned.is_empty() { let caller = rally::glue::for_request(auth, "public", headers)?; for params in &owned { rally::glue::allow(crate::public::pages::games::id_::ACCESS, &caller, Some(&|user| crate::public::pages::games::id_::authorize(ctx, user, params)),).map_err(|_| ApiError::Unauthorized)?; } }"#,
    );
    assert_has(
        dispatch,
        r#"if topics.iter().any(|topic| crate::public::pages::desk::owns_topic(topic)) { let caller = rally::glue::for_request(auth, "public", headers)?; rally::glue::allow(crate::public::pages::desk::ACCESS, &caller, None).map_err(|_| ApiError::Unauthorized)?; }"#,
    );
    assert_has(dispatch, "fn authorizes_topics(&self) -> bool { true }");
    // Without owners or an app rule, topic sets are not checked at all.
    app.file(common::GAME_FILE, GAME).page("desk", SAVES);
    assert_has_not(&app.generates()[DISPATCH], "fn authorize_topics");
}

#[test]
fn a_saving_page_takes_form_posts_through_its_dispatch() {
    let app = App::new();
    let page = SAVES
        .replace(
            "Bump { by: i64 } }",
            "Save(Change) }\n#[derive(Serialize, Deserialize)] pub enum Change { Up, Down }",
        )
        .replace("msg: ServerMsg)", "change: Change)");
    app.file(HOME, &page);
    let files = app.generates();
    // The typed form helper wraps `Save(T)` as the save helper does.
    assert_has(
        &files[SERVER],
        "pub fn save_form_public_home(message: crate::public::pages::home_::Change, submitted: crate::public::pages::home_::Message, attrs: impl IntoIterator<Item = rally::glue::Attribute<crate::public::pages::home_::Message>>, children: impl IntoIterator<Item = rally::glue::Element<crate::public::pages::home_::Message>>,) -> rally::glue::Element<crate::public::pages::home_::Message> { rally::glue::save_form(&crate::public::pages::home_::ServerMsg::Save(message), submitted, attrs, children) }",
    );
    // The dispatch reads a post as the page's `ServerMsg`; the mount knows the route's page.
    let forms = &files[DISPATCH][files[DISPATCH].find("fn decode_form").expect("decode_form")..];
    assert_has(
        forms,
        "fn decode_form(&self, page: &str, form: &[(String, String)],) -> Option<Result<Vec<u8>, rally::glue::FormError>> { match page { \"public/pages/home_\" => { Some(rally::glue::form_message::<crate::public::pages::home_::ServerMsg",
    );
    assert_has(
        &files[PUBLIC],
        r#"fn save_page(route: &Route) -> Option<&'static str> { match route { Route::Home => Some("public/pages/home_"), _ => None, } }"#,
    );
    // An app whose pages do not save takes no posts.
    app.file(HOME, PAGE);
    let files = app.generates();
    assert_has_not(&files[DISPATCH], "fn decode_form");
    assert_has_not(&files[PUBLIC], "fn save_page");
}

#[test]
fn an_imported_save_result_is_named_by_its_real_path() {
    let wire = "#[derive(Serialize, Deserialize)] pub struct Tally { pub count: i64 }\n";
    let saves_with = |import: &str, ty: &str| {
        format!(
            "{import}\n{}",
            SAVES
                .replace(
                    "Result<Count, SaveError>",
                    &format!("Result<{ty}, SaveError>")
                )
                .replace("ok: &Count", &format!("ok: &{ty}"))
        )
    };
    let app = App::new();
    app.file("src/broadcasts.rs", &wire.replace("Tally", "GameUpdate"))
        .file("src/wire.rs", wire);
    for (import, ty, path) in [
        // The case that was an E0603 (a private import named through the page).
        (
            "use crate::broadcasts::GameUpdate;",
            "GameUpdate",
            "crate::broadcasts::GameUpdate",
        ),
        ("use crate::wire::Tally;", "Tally", "crate::wire::Tally"),
        (
            "use crate::wire::{self, Tally as Score};",
            "Score",
            "crate::wire::Tally",
        ),
        // Declared in the page: its own path.
        ("", "Count", "crate::public::pages::home_::Count"),
        // Written as a path: as written.
        ("", "crate::wire::Tally", "crate::wire::Tally"),
    ] {
        app.file(HOME, &saves_with(import, ty));
        let server = &app.generates()[SERVER];
        assert_has(
            server,
            &format!(
                "to_msg: impl FnOnce(Result<{path}, SaveError>) -> crate::public::pages::home_::Message + 'static"
            ),
        );
    }
    // From a page below another: `super::` is the parent module.
    let app = App::new();
    let game = format!(
        "use super::Tally;\n{}",
        GAME.replace("Load { id: i64 } }", "Load { id: i64 }, Add { by: i64 } }")
            .replace(
                "pub fn load(",
                "pub fn handle_save(db: &Db, msg: ServerMsg) -> Result<Tally, SaveError> { todo!() }\n#[cfg(feature = \"server\")]\npub fn load(",
            )
    );
    app.with_games(&format!("{PAGE}{wire}"), &game);
    assert_has(
        &app.generates()[SERVER],
        "to_msg: impl FnOnce(Result<crate::public::pages::games::Tally, SaveError>) -> crate::public::pages::games::id_::Message + 'static",
    );
}

/// The dev-state key of `page` in the generated mount (`public/pages/<page>@<fingerprint>`).
fn state_key(public: &str, page: &str) -> Option<String> {
    let at = public.find(&format!("\"public/pages/{page}@"))?;
    let key: String = public[at + 1..].chars().take_while(|c| *c != '"').collect();
    Some(key)
}

#[test]
fn a_serde_model_is_kept_by_cargo_rally_dev_while_the_page_types_are_unchanged() {
    const SERDE_PAGE: &str = r#"
use serde::{Deserialize, Serialize};
#[derive(Clone, Serialize, Deserialize)] pub struct Model { pub draft: String }
#[derive(Clone)] pub enum Message { Typed(String) }
pub fn initial_model(shared: &SharedState, query: &QueryParams) -> Model { todo!() }
pub fn update(model: &mut Model, msg: Message) -> Effect<Message> { todo!() }
pub fn view(model: &Model) -> Element<Message> { todo!() }
"#;
    let app = App::new();
    app.page("notes", SERDE_PAGE);
    let public = app.generates()["src/generated/rally/public.rs"].clone();
    let key = state_key(&public, "notes").expect("a state key for the serde page");
    assert_has(
        &public,
        &format!("Some(({key:?}.to_owned(), rally::glue::encode(m)))"),
    );
    assert_has(&public, &format!("Route::Notes if key == {key:?} =>"));
    assert_has(
        &public,
        "rally::glue::decode_from_server(bytes).ok().map(Page::Notes)",
    );
    // The home page's model is not serde: it has no state, and nothing names it.
    assert_eq!(state_key(&public, "home_"), None);

    // A changed `view` or `update` keeps the key; a changed field or message does what it must.
    let notes = "src/public/pages/notes.rs";
    app.file(
        notes,
        &SERDE_PAGE.replace(
            "view(model: &Model) -> Element<Message> { todo!() }",
            "view(model: &Model) -> Element<Message> { text(&model.draft) }",
        ),
    );
    let edited = app.generates()["src/generated/rally/public.rs"].clone();
    assert_eq!(state_key(&edited, "notes").as_ref(), Some(&key));
    app.file(
        notes,
        &SERDE_PAGE.replace(
            "enum Message { Typed(String) }",
            "enum Message { Typed(String), Cleared }",
        ),
    );
    let new_message = app.generates()["src/generated/rally/public.rs"].clone();
    assert_eq!(state_key(&new_message, "notes").as_ref(), Some(&key));
    app.file(
        notes,
        &SERDE_PAGE.replace("pub draft: String", "pub draft: String, pub saved: bool"),
    );
    let new_field = app.generates()["src/generated/rally/public.rs"].clone();
    let changed = state_key(&new_field, "notes").unwrap();
    assert_ne!(changed, key, "a new field must not restore an old model");
}
