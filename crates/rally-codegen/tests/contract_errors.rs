//! The page contract's newer rules, each with its exact `path:line: what is wrong — what to do`
//! message, on small fixture apps in temporary directories (as `tests/errors.rs`): the app's
//! context (`src/context.rs`), the caller in server functions, per-page `ACCESS`/`authorize`,
//! `init`, `update` with the shared state, `head`, signatures checked by type shape, private
//! contract functions, `Navigate…` messages, `ServerMsg::Save(T)`, one-line alias pages and the
//! `src/server.rs` hook; and that nothing is written while one of them is broken.

mod common;

use std::fs;

use common::*;
use rally_codegen::Error;

/// `src/context.rs` as the contract wants it.
const CONTEXT: &str = r#"pub struct Context {
    pub db: rally::db::Db,
}

#[cfg(feature = "server")]
pub fn context(db: rally::db::Db, env: &rally::env::Env) -> Result<Context, ConfigError> {
    Ok(Context { db })
}
"#;

/// `src/auth.rs`.
const AUTH: &str = "#[cfg(feature = \"server\")]\npub fn auth(ctx: &Context) -> Result<Auth<App>, Error> {\n    todo!()\n}\n";

const LOAD_SIG_DB: &str = "its signature is `#[cfg(feature = \"server\")] pub fn load(ctx: &Db, [caller: &Caller,] <Load's fields in order>) -> Result<LoadResult, LoadError>`";
const LOAD_SIG_CONTEXT: &str = "its signature is `#[cfg(feature = \"server\")] pub fn load(ctx: &Context, [caller: &Caller,] <Load's fields in order>) -> Result<LoadResult, LoadError>`";
const SAVE_SIG_DB: &str = "its signature is `#[cfg(feature = \"server\")] pub fn handle_save(ctx: &Db, [caller: &Caller,] msg: ServerMsg) -> Result<SaveOk, SaveError>`";
const SAVE_SIG_CONTEXT: &str = "its signature is `#[cfg(feature = \"server\")] pub fn handle_save(ctx: &Context, [caller: &Caller,] msg: ServerMsg) -> Result<SaveOk, SaveError>`";
const AFTER_SAVE_SIG_DB: &str = "its signature is `#[cfg(feature = \"server\")] pub fn after_save(ctx: &Db, [caller: &Caller,] ok: &SaveOk) -> Option<TargetedEvent>`";
const AFTER_SAVE_SIG_CONTEXT: &str = "its signature is `#[cfg(feature = \"server\")] pub fn after_save(ctx: &Context, [caller: &Caller,] ok: &SaveOk) -> Option<TargetedEvent>`";
const AUTHORIZE_SIG_DB: &str = "its signature is `#[cfg(feature = \"server\")] pub fn authorize(ctx: &Db, user: &Identity) -> bool`, or on a dynamic route `pub fn authorize(ctx: &Db, user: &Identity, params: &…Params) -> bool`";
const AUTHORIZE_SIG_CONTEXT: &str = "its signature is `#[cfg(feature = \"server\")] pub fn authorize(ctx: &Context, user: &Identity) -> bool`, or on a dynamic route `pub fn authorize(ctx: &Context, user: &Identity, params: &…Params) -> bool`";
const UPDATE_SIG: &str = "its signature is `pub fn update(model: &mut Model, msg: Message) -> Effect<Message>`, or with the shared state `pub fn update(shared: &SharedState, model: &mut Model, msg: Message) -> Effect<Message>`";
const INIT_SIG: &str = "pub fn init(shared: &SharedState, query: &QueryParams) -> (Model, Effect<Message>)`, with `params` second on a dynamic route, as `initial_model";
const HEAD_SIG: &str = "its signature is `pub fn head(model: &Model) -> rally::page::Head`";
const NO_AUTH_FIX: &str = "add src/auth.rs with `pub fn auth(ctx: &Context) -> Result<rally::auth_http::Auth<…>, …>` (see docs/auth.md), or remove `ACCESS`/`authorize`";

#[test]
fn the_fixtures_generate() {
    App::new().generates();
    App::new().file(HOME, SAVES).generates();
    App::new().with_game(GAME).generates();
    App::new()
        .file("src/context.rs", CONTEXT)
        .file(HOME, &SAVES.replace("db: &Db", "ctx: &Context"))
        .generates();
}

// 1. The app's context.

#[test]
fn src_context_rs_must_define_context_and_fn_context() {
    let app = App::new();
    app.file("src/context.rs", "//! Nothing here yet.\n");
    assert_eq!(
        app.errors(),
        [
            whole(
                "src/context.rs",
                "src/context.rs defines no `pub struct Context`",
                "define the app's context: `pub struct Context { pub db: rally::db::Db, … }` (see docs/pages.md)"
            ),
            whole(
                "src/context.rs",
                "src/context.rs defines no `pub fn context`",
                "add `#[cfg(feature = \"server\")] pub fn context(db: rally::db::Db, env: &rally::env::Env) -> Result<Context, E>`, which the server calls once at startup"
            ),
        ]
    );
    // Private ones are not the app's context either.
    app.file(
        "src/context.rs",
        &CONTEXT
            .replace("pub struct Context", "struct Context")
            .replace("pub fn context", "fn context"),
    );
    assert_eq!(app.errors().len(), 2, "{:?}", app.errors());
    // Only the function missing.
    app.file(
        "src/context.rs",
        &CONTEXT.replace("pub fn context", "pub fn build"),
    );
    assert_eq!(
        app.errors(),
        [whole(
            "src/context.rs",
            "src/context.rs defines no `pub fn context`",
            "add `#[cfg(feature = \"server\")] pub fn context(db: rally::db::Db, env: &rally::env::Env) -> Result<Context, E>`, which the server calls once at startup"
        )]
    );
    // An enum or a type alias is a `Context` too.
    app.file(
        "src/context.rs",
        &CONTEXT.replace(
            "pub struct Context {\n    pub db: rally::db::Db,\n}",
            "pub type Context = rally::db::Db;",
        ),
    );
    app.generates();
}

#[test]
fn with_an_app_context_server_functions_take_it_first() {
    let app = App::new();
    app.file("src/context.rs", CONTEXT).file(HOME, SAVES);
    assert_eq!(
        app.errors(),
        [
            at(
                HOME,
                line(SAVES, "pub fn load"),
                "`load`'s first argument is `& Db`, which does not fit the contract",
                LOAD_SIG_CONTEXT
            ),
            at(
                HOME,
                line(SAVES, "pub fn handle_save"),
                "`handle_save`'s first argument is `& Db`, which does not fit the contract",
                SAVE_SIG_CONTEXT
            ),
            at(
                HOME,
                line(SAVES, "pub fn after_save"),
                "`after_save`'s first argument is `& Db`, which does not fit the contract",
                AFTER_SAVE_SIG_CONTEXT
            ),
        ]
    );
    // The context by any path, as long as it ends in `Context`.
    app.file(
        HOME,
        &SAVES.replace("db: &Db", "ctx: &crate::context::Context"),
    )
    .generates();
    // Owned, it does not fit.
    let page = edit(
        &SAVES.replace("db: &Db", "ctx: &Context"),
        "load(ctx: &Context)",
        "load(ctx: Context)",
    );
    app.file(HOME, &page);
    assert_eq!(
        app.errors(),
        [at(
            HOME,
            line(&page, "pub fn load"),
            "`load`'s first argument is `Context`, which does not fit the contract",
            LOAD_SIG_CONTEXT
        )]
    );
    // `authorize` takes the context too.
    let page = format!(
        "{PAGE}\n#[cfg(feature = \"server\")]\npub fn authorize(db: &Db, user: &Identity) -> bool {{\n    true\n}}\n"
    );
    app.file(HOME, &page).file("src/auth.rs", AUTH);
    assert_eq!(
        app.errors(),
        [at(
            HOME,
            line(&page, "pub fn authorize"),
            "`authorize`'s first argument is `& Db`, which does not fit the contract",
            AUTHORIZE_SIG_CONTEXT
        )]
    );
}

#[test]
fn without_an_app_context_server_functions_take_the_database() {
    let app = App::new();
    let page = SAVES.replace("db: &Db", "ctx: &Context");
    app.file(HOME, &page);
    assert_eq!(
        app.errors(),
        [
            at(
                HOME,
                line(&page, "pub fn load"),
                "`load`'s first argument is `& Context`, which does not fit the contract",
                LOAD_SIG_DB
            ),
            at(
                HOME,
                line(&page, "pub fn handle_save"),
                "`handle_save`'s first argument is `& Context`, which does not fit the contract",
                SAVE_SIG_DB
            ),
            at(
                HOME,
                line(&page, "pub fn after_save"),
                "`after_save`'s first argument is `& Context`, which does not fit the contract",
                AFTER_SAVE_SIG_DB
            ),
        ]
    );
    app.file(HOME, &SAVES.replace("db: &Db", "db: &rally::db::Db"))
        .generates();
}

// 2. The caller.

#[test]
fn the_caller_is_the_second_argument_by_reference() {
    let app = App::new();
    // After the context, by any path: accepted in all three.
    let page = edit(SAVES, "load(db: &Db)", "load(db: &Db, caller: &Caller)");
    let page = edit(
        &page,
        "handle_save(db: &Db, msg",
        "handle_save(db: &Db, caller: &rally::server::Caller<'_>, msg",
    );
    let page = edit(
        &page,
        "after_save(db: &Db, ok",
        "after_save(db: &Db, caller: &Caller, ok",
    );
    app.file(HOME, &page).generates();
    // Anywhere else it is one argument too many.
    let page = edit(
        GAME,
        "load(db: &Db, id: i64)",
        "load(db: &Db, id: i64, caller: &Caller)",
    );
    app.with_game(&page);
    assert_eq!(
        app.errors(),
        [at(
            GAME_FILE,
            line(&page, "pub fn load"),
            "`load` takes 3 arguments, expected 2",
            LOAD_SIG_DB
        )]
    );
    // Owned, it is not the caller.
    let app = App::new();
    let page = edit(
        SAVES,
        "handle_save(db: &Db, msg",
        "handle_save(db: &Db, caller: Caller, msg",
    );
    let page = edit(
        &page,
        "after_save(db: &Db, ok: &Count)",
        "after_save(db: &Db, ok: &Count, caller: &Caller)",
    );
    app.file(HOME, &page);
    assert_eq!(
        app.errors(),
        [
            at(
                HOME,
                line(&page, "pub fn handle_save"),
                "`handle_save` takes 3 arguments, expected 2",
                SAVE_SIG_DB
            ),
            at(
                HOME,
                line(&page, "pub fn after_save"),
                "`after_save` takes 3 arguments, expected 2",
                AFTER_SAVE_SIG_DB
            ),
        ]
    );
    // With the caller, the message and the result must still fit.
    let page = edit(
        SAVES,
        "after_save(db: &Db, ok: &Count)",
        "after_save(db: &Db, caller: &Caller, ok: Count)",
    );
    app.file(HOME, &page);
    assert_eq!(
        app.errors(),
        [at(
            HOME,
            line(&page, "pub fn after_save"),
            "`after_save`'s third argument is `Count`, which does not fit the contract",
            AFTER_SAVE_SIG_DB
        )]
    );
}

// 3. Per-page access.

#[test]
fn a_restricted_page_needs_the_apps_auth() {
    let app = App::new();
    let page = format!("{PAGE}\npub const ACCESS: Access = Access::SignedIn;\n");
    app.file(HOME, &page);
    assert_eq!(
        app.errors(),
        [at(
            HOME,
            line(&page, "pub const ACCESS"),
            "the page needs a signed-in user, but the app has no auth",
            NO_AUTH_FIX
        )]
    );
    // `authorize` alone restricts the page too; beside `ACCESS` it is reported at `authorize`.
    let authorize = "\n#[cfg(feature = \"server\")]\npub fn authorize(db: &Db, user: &Identity) -> bool {\n    true\n}\n";
    for page in [format!("{PAGE}{authorize}"), format!("{page}{authorize}")] {
        app.file(HOME, &page);
        assert_eq!(
            app.errors(),
            [at(
                HOME,
                line(&page, "pub fn authorize"),
                "the page needs a signed-in user, but the app has no auth",
                NO_AUTH_FIX
            )]
        );
    }
    app.file("src/auth.rs", AUTH).generates();
    // An alias page of a restricted page is reported once, on the page that has the rule.
    let app = App::new();
    let games = format!("{PAGE}\npub const ACCESS: Access = Access::SignedIn;\n");
    app.page("games", &games)
        .file(HOME, "pub use super::games::*;\n");
    assert_eq!(
        app.errors(),
        [at(
            "src/public/pages/games.rs",
            line(&games, "pub const ACCESS"),
            "the page needs a signed-in user, but the app has no auth",
            NO_AUTH_FIX
        )]
    );
}

#[test]
fn authorize_with_params_needs_a_dynamic_route_whose_load_carries_them() {
    let authorize = "\n#[cfg(feature = \"server\")]\npub fn authorize(db: &Db, user: &Identity, params: &GamesIdParams) -> bool {\n    true\n}\n";
    // A static route has no params.
    let app = App::new();
    let page = format!("{PAGE}{authorize}");
    app.file(HOME, &page).file("src/auth.rs", AUTH);
    assert_eq!(
        app.errors(),
        [at(
            HOME,
            line(&page, "pub fn authorize"),
            "`authorize` takes params but the route has none",
            "take `(ctx, user: &Identity)`"
        )]
    );
    // A dynamic route: a load over the socket carries the params only in `Load`'s fields.
    let what = "`authorize` takes the route's params, but `ServerMsg::Load` does not carry them all, so a load over the socket could not be checked";
    let fix = "give `Load` every route parameter (id), or take `(ctx, user)` only";
    let no_load = format!(
        "{}{authorize}",
        PAGE.replace(
            "initial_model(shared: &SharedState, query",
            "initial_model(shared: &SharedState, params: &GamesIdParams, query"
        )
    );
    app.file(HOME, PAGE).with_game(&no_load);
    assert_eq!(
        app.errors(),
        [at(GAME_FILE, line(&no_load, "pub fn authorize"), what, fix)]
    );
    // …nor does a unit `Load` (the route's params then take the default type).
    let unit_load = format!(
        "{}{authorize}",
        GAME.replace("Load { id: i64 }", "Load")
            .replace("load(db: &Db, id: i64)", "load(db: &Db)")
    );
    app.file(GAME_FILE, &unit_load);
    assert_eq!(
        app.errors(),
        [at(
            GAME_FILE,
            line(&unit_load, "pub fn authorize"),
            what,
            fix
        )]
    );
    app.file(GAME_FILE, &format!("{GAME}{authorize}"))
        .generates();
    // Without params the rule needs no load at all.
    app.file(
        GAME_FILE,
        &no_load.replace(", params: &GamesIdParams) -> bool", ") -> bool"),
    )
    .generates();
}

#[test]
fn owns_topic_hands_topics_to_a_rule_that_fits_it() {
    const SIG: &str = "its signature is `#[cfg(feature = \"server\")] pub fn owns_topic(topic: &str) -> bool`, or when `authorize` takes the route's params `pub fn owns_topic(topic: &str) -> Option<…Params>`";
    let owns_bool = "\n#[cfg(feature = \"server\")]\npub fn owns_topic(topic: &str) -> bool {\n    topic == \"mine\"\n}\n";
    let owns_params = "\n#[cfg(feature = \"server\")]\npub fn owns_topic(topic: &str) -> Option<GamesIdParams> {\n    None\n}\n";
    let signed_in = "\npub const ACCESS: Access = Access::SignedIn;\n";
    let by_params = "\n#[cfg(feature = \"server\")]\npub fn authorize(db: &Db, user: &Identity, params: &GamesIdParams) -> bool {\n    true\n}\n";
    let app = App::new();
    app.file("src/auth.rs", AUTH);
    // On a public page there is no rule to hand the topics to.
    let page = format!("{PAGE}{owns_bool}");
    app.file(HOME, &page);
    assert_eq!(
        app.errors(),
        [at(
            HOME,
            line(&page, "pub fn owns_topic"),
            "`owns_topic` hands topics to the page's rule, but the page is public, so it guards nothing",
            "give the page `pub const ACCESS` or `authorize`, or check the topic in `src/broadcasts.rs` `authorize_topic`"
        )]
    );
    app.file(HOME, &format!("{PAGE}{signed_in}{owns_bool}"))
        .generates();
    // Params without a route to take them from, or without an `authorize` to judge them.
    let page = format!("{PAGE}{signed_in}{owns_params}");
    app.file(HOME, &page);
    assert_eq!(
        app.errors(),
        [at(
            HOME,
            line(&page, "pub fn owns_topic"),
            "`owns_topic` returns params but the route has none",
            "return `bool`: `pub fn owns_topic(topic: &str) -> bool`"
        )]
    );
    let game = format!("{GAME}{signed_in}{owns_params}");
    app.file(HOME, PAGE).with_game(&game);
    assert_eq!(
        app.errors(),
        [at(
            GAME_FILE,
            line(&game, "pub fn owns_topic"),
            "`owns_topic` returns params, but `authorize` does not take them, so nothing would judge them",
            "return `bool`, or take them in `authorize(ctx, user, params: &GamesIdParams)`"
        )]
    );
    // `authorize` over params needs the topic to name them.
    let game = format!("{GAME}{by_params}{owns_bool}");
    app.file(GAME_FILE, &game);
    assert_eq!(
        app.errors(),
        [at(
            GAME_FILE,
            line(&game, "pub fn owns_topic"),
            "`owns_topic` returns `bool`, but `authorize` judges the route's params, which a topic must then name",
            "return the params the topic stands for: `pub fn owns_topic(topic: &str) -> Option<GamesIdParams>`"
        )]
    );
    let game = format!(
        "{GAME}{by_params}{}",
        owns_params.replace("GamesIdParams", "HomeParams")
    );
    app.file(GAME_FILE, &game);
    assert_eq!(
        app.errors(),
        [at(
            GAME_FILE,
            line(&game, "pub fn owns_topic"),
            "`owns_topic` returns `Option<HomeParams>`, but the route's params are `GamesIdParams`",
            "return `Option<GamesIdParams>`"
        )]
    );
    app.file(GAME_FILE, &format!("{GAME}{by_params}{owns_params}"))
        .generates();
    // Its shape: one `&str`, a `bool` or an `Option`, on the server only.
    let game = format!(
        "{GAME}{by_params}{}",
        owns_params.replace("topic: &str", "topic: String")
    );
    app.file(GAME_FILE, &game);
    assert_eq!(
        app.errors(),
        [at(
            GAME_FILE,
            line(&game, "pub fn owns_topic"),
            "`owns_topic`'s first argument is `String`, which does not fit the contract",
            SIG
        )]
    );
    let page = format!(
        "{PAGE}{signed_in}{}",
        owns_bool.replace("-> bool", "-> usize")
    );
    app.file(GAME_FILE, GAME).file(HOME, &page);
    assert_eq!(
        app.errors(),
        [at(
            HOME,
            line(&page, "-> usize"),
            "`owns_topic` returns `usize`, expected `bool`",
            SIG
        )]
    );
    let page = format!(
        "{PAGE}{signed_in}{}",
        owns_bool.replace("#[cfg(feature = \"server\")]\n", "")
    );
    app.file(HOME, &page);
    assert_eq!(
        app.errors(),
        [at(
            HOME,
            line(&page, "pub fn owns_topic"),
            "`owns_topic` is compiled into the browser bundle",
            "put `#[cfg(feature = \"server\")]` on it: it runs on the server only"
        )]
    );
}

#[test]
fn authorize_must_have_the_contract_signature() {
    let app = App::new();
    app.file("src/auth.rs", AUTH);
    let with = |f: &str| format!("{PAGE}\n{f}\n");
    let page = with(
        "#[cfg(feature = \"server\")]\npub fn authorize(user: &Identity) -> bool {\n    true\n}",
    );
    app.file(HOME, &page);
    assert_eq!(
        app.errors(),
        [at(
            HOME,
            line(&page, "pub fn authorize"),
            "`authorize` takes 1 arguments",
            AUTHORIZE_SIG_DB
        )]
    );
    let page = with(
        "#[cfg(feature = \"server\")]\npub fn authorize(db: &Db, user: &Identity, params: &HomeParams, query: &QueryParams) -> bool {\n    true\n}",
    );
    app.file(HOME, &page);
    assert_eq!(
        app.errors(),
        [at(
            HOME,
            line(&page, "pub fn authorize"),
            "`authorize` takes 4 arguments",
            AUTHORIZE_SIG_DB
        )]
    );
    let page = with(
        "#[cfg(feature = \"server\")]\npub fn authorize(db: &Db, user: Identity) -> bool {\n    true\n}",
    );
    app.file(HOME, &page);
    assert_eq!(
        app.errors(),
        [at(
            HOME,
            line(&page, "pub fn authorize"),
            "`authorize`'s second argument is `Identity`, which does not fit the contract",
            AUTHORIZE_SIG_DB
        )]
    );
    let page = with(
        "#[cfg(feature = \"server\")]\npub fn authorize(db: &Db, user: &Caller) -> bool {\n    true\n}",
    );
    app.file(HOME, &page);
    assert_eq!(
        app.errors(),
        [at(
            HOME,
            line(&page, "pub fn authorize"),
            "`authorize`'s second argument is `& Caller`, which does not fit the contract",
            AUTHORIZE_SIG_DB
        )]
    );
    let page = with(
        "#[cfg(feature = \"server\")]\npub fn authorize(db: &Db, user: &Identity) -> Result<(), Denied> {\n    Ok(())\n}",
    );
    app.file(HOME, &page);
    assert_eq!(
        app.errors(),
        [at(
            HOME,
            line(&page, "pub fn authorize"),
            "`authorize` returns `Result < () , Denied >`, expected `bool`",
            AUTHORIZE_SIG_DB
        )]
    );
}

#[test]
fn authorize_runs_on_the_server_only() {
    let app = App::new();
    let page = format!(
        "{PAGE}\npub fn authorize(db: &Db, user: &rally::session::Identity) -> bool {{\n    true\n}}\n"
    );
    app.file(HOME, &page).file("src/auth.rs", AUTH);
    assert_eq!(
        app.errors(),
        [at(
            HOME,
            line(&page, "pub fn authorize"),
            "`authorize` is compiled into the browser bundle",
            "put `#[cfg(feature = \"server\")]` on it: it runs on the server only"
        )]
    );
    app.file(
        HOME,
        &page.replace(
            "pub fn authorize",
            "#[cfg(feature = \"server\")]\npub fn authorize",
        ),
    )
    .generates();
}

// 4. `init`.

#[test]
fn init_takes_initial_models_arguments_and_returns_the_model_and_an_effect() {
    let app = App::new();
    let init = |f: &str| format!("{PAGE}\n{f}\n");
    app.file(
        HOME,
        &init("pub fn init(shared: &SharedState, query: &QueryParams) -> (Model, Effect<Message>) {\n    todo!()\n}"),
    )
    .generates();
    let page = init(
        "pub fn init(shared: &SharedState, params: &HomeParams, query: &QueryParams) -> (Model, Effect<Message>) {\n    todo!()\n}",
    );
    app.file(HOME, &page);
    assert_eq!(
        app.errors(),
        [at(
            HOME,
            line(&page, "pub fn init("),
            "`init` takes 3 arguments but `initial_model` takes 2",
            &format!("take the same arguments as `initial_model`: `{INIT_SIG}`")
        )]
    );
    let page =
        init("pub fn init(shared: &SharedState, query: &QueryParams) -> Model {\n    todo!()\n}");
    app.file(HOME, &page);
    assert_eq!(
        app.errors(),
        [at(
            HOME,
            line(&page, "pub fn init("),
            "`init` returns `Model`, expected `(Model, Effect<Message>)`",
            &format!("its signature is `{INIT_SIG}`")
        )]
    );
    let page = init(
        "pub fn init(shared: SharedState, query: &QueryParams) -> (Model, Effect<Message>) {\n    todo!()\n}",
    );
    app.file(HOME, &page);
    assert_eq!(
        app.errors(),
        [at(
            HOME,
            line(&page, "pub fn init("),
            "`init`'s first argument is `SharedState`, which does not fit the contract",
            &format!("its signature is `{INIT_SIG}`")
        )]
    );
    // On a dynamic route `init` takes the params as `initial_model` does.
    let app = App::new();
    app.with_game(&format!(
        "{GAME}\npub fn init(shared: &SharedState, params: &GamesIdParams, query: &QueryParams) -> (Model, Effect<Message>) {{\n    todo!()\n}}\n"
    ))
    .generates();
}

// 5. `update` with the shared state.

#[test]
fn update_may_take_the_shared_state_first() {
    let app = App::new();
    app.file(
        HOME,
        &edit(
            PAGE,
            "update(model: &mut Model",
            "update(shared: &SharedState, model: &mut Model",
        ),
    )
    .generates();
    // In that order only.
    let page = edit(
        PAGE,
        "update(model: &mut Model, msg: Message)",
        "update(model: &mut Model, shared: &SharedState, msg: Message)",
    );
    app.file(HOME, &page);
    assert_eq!(
        app.errors(),
        [at(
            HOME,
            line(&page, "pub fn update"),
            "`update`'s first argument is `& mut Model`, which does not fit the contract",
            UPDATE_SIG
        )]
    );
    let page = edit(
        PAGE,
        "update(model: &mut Model, msg: Message)",
        "update(shared: &SharedState, model: &Model, msg: Message)",
    );
    app.file(HOME, &page);
    assert_eq!(
        app.errors(),
        [at(
            HOME,
            line(&page, "pub fn update"),
            "`update`'s second argument is `& Model`, which does not fit the contract",
            UPDATE_SIG
        )]
    );
    let page = edit(
        PAGE,
        "update(model: &mut Model, msg: Message)",
        "update(shared: &SharedState, model: &mut Model, msg: Message, now: u64)",
    );
    app.file(HOME, &page);
    assert_eq!(
        app.errors(),
        [at(
            HOME,
            line(&page, "pub fn update"),
            "`update` takes 4 arguments, expected 2",
            UPDATE_SIG
        )]
    );
}

// 6. `head`.

#[test]
fn head_takes_the_model_and_returns_a_head() {
    let app = App::new();
    let with = |f: &str| format!("{PAGE}\n{f}\n");
    app.file(
        HOME,
        &with("pub fn head(model: &Model) -> rally::page::Head {\n    Head::default()\n}"),
    )
    .generates();
    let page = with("pub fn head(model: &Model) -> String {\n    String::new()\n}");
    app.file(HOME, &page);
    assert_eq!(
        app.errors(),
        [at(
            HOME,
            line(&page, "pub fn head"),
            "`head` returns `String`, expected `Head`",
            HEAD_SIG
        )]
    );
    let page = with("pub fn head(model: Model) -> Head {\n    Head::default()\n}");
    app.file(HOME, &page);
    assert_eq!(
        app.errors(),
        [at(
            HOME,
            line(&page, "pub fn head"),
            "`head`'s first argument is `Model`, which does not fit the contract",
            HEAD_SIG
        )]
    );
    let page =
        with("pub fn head(shared: &SharedState, model: &Model) -> Head {\n    Head::default()\n}");
    app.file(HOME, &page);
    assert_eq!(
        app.errors(),
        [at(
            HOME,
            line(&page, "pub fn head"),
            "`head` takes 2 arguments, expected 1",
            HEAD_SIG
        )]
    );
}

// 7. Signatures by type shape; private contract functions.

#[test]
fn signatures_are_checked_by_the_shape_of_their_types() {
    let app = App::new();
    let page = edit(
        PAGE,
        "initial_model(shared: &SharedState, query: &QueryParams)",
        "initial_model(query: &QueryParams, shared: &SharedState)",
    );
    let page = edit(
        &page,
        "update(model: &mut Model, msg: Message)",
        "update(model: Model, msg: Message)",
    );
    let page = edit(&page, "view(model: &Model)", "view(model: &mut Model)");
    let page = edit(&page, "-> Element<Message>", "-> String");
    app.file(HOME, &page);
    assert_eq!(
        app.errors(),
        [
            at(
                HOME,
                line(&page, "pub fn initial_model"),
                "`initial_model`'s first argument is `& QueryParams`, which does not fit the contract",
                "its signature is `pub fn initial_model(shared: &SharedState, query: &QueryParams) -> Model`, or on a dynamic route `pub fn initial_model(shared: &SharedState, params: &…Params, query: &QueryParams) -> Model`"
            ),
            at(
                HOME,
                line(&page, "pub fn update"),
                "`update`'s first argument is `Model`, which does not fit the contract",
                UPDATE_SIG
            ),
            at(
                HOME,
                line(&page, "pub fn view"),
                "`view`'s first argument is `& mut Model`, which does not fit the contract",
                "its signature is `pub fn view(model: &Model) -> Element<Message>`"
            ),
            at(
                HOME,
                line(&page, "pub fn view"),
                "`view` returns `String`, expected `Element`",
                "its signature is `pub fn view(model: &Model) -> Element<Message>`"
            ),
        ]
    );
    // `update` that returns nothing, `initial_model` that returns something else.
    let page = edit(
        PAGE,
        "update(model: &mut Model, msg: Message) -> Effect<Message>",
        "update(model: &mut Model, msg: Message)",
    );
    let page = edit(
        &page,
        "query: &QueryParams) -> Model",
        "query: &QueryParams) -> Option<Model>",
    );
    app.file(HOME, &page);
    assert_eq!(
        app.errors(),
        [
            at(
                HOME,
                line(&page, "pub fn initial_model"),
                "`initial_model` returns `Option < Model >`, expected `Model`",
                "its signature is `pub fn initial_model(shared: &SharedState, query: &QueryParams) -> Model`, or on a dynamic route `pub fn initial_model(shared: &SharedState, params: &…Params, query: &QueryParams) -> Model`"
            ),
            at(
                HOME,
                line(&page, "pub fn update"),
                "`update` returns nothing, expected `Effect`",
                UPDATE_SIG
            ),
        ]
    );
    // Paths are compared by their last segment.
    app.file(
        HOME,
        &PAGE
            .replace("&SharedState", "&crate::public::SharedState")
            .replace("-> Effect<Message>", "-> rally::view::Effect<Message>"),
    )
    .generates();
}

#[test]
fn a_private_contract_function_is_reported_once() {
    let app = App::new();
    let page = edit(SAVES, "pub fn view(", "fn view(");
    let page = edit(&page, "pub fn load(", "fn load(");
    let page = edit(&page, "pub fn after_save(", "pub(crate) fn after_save(");
    app.file(HOME, &page);
    let private = |name: &str, needle: &str| {
        at(
            HOME,
            line(&page, needle),
            &format!("`{name}` is private, so the generated code cannot call it"),
            &format!("make it `pub fn {name}`"),
        )
    };
    // No "missing" error follows.
    assert_eq!(
        app.errors(),
        [
            private("view", "fn view("),
            private("load", "fn load("),
            private("after_save", "fn after_save("),
        ]
    );
    // Every contract function, the optional ones included; other private functions are fine.
    let page = format!(
        "{PAGE}\nfn init(shared: &SharedState, query: &QueryParams) -> (Model, Effect<Message>) {{\n    todo!()\n}}\n\nfn head(model: &Model) -> Head {{\n    todo!()\n}}\n\nfn helper() {{}}\n"
    );
    app.file(HOME, &page);
    assert_eq!(
        app.errors(),
        [
            at(
                HOME,
                line(&page, "fn init("),
                "`init` is private, so the generated code cannot call it",
                "make it `pub fn init`"
            ),
            at(
                HOME,
                line(&page, "fn head("),
                "`head` is private, so the generated code cannot call it",
                "make it `pub fn head`"
            ),
        ]
    );
}

// 8. `Navigate…` messages.

#[test]
fn a_navigate_message_must_lead_to_a_dynamic_route() {
    let app = App::new();
    let page = edit(
        PAGE,
        "    Clicked,",
        "    Clicked,\n    NavigateTeam { id: i64 },",
    );
    app.with_game(GAME).file(HOME, &page);
    assert_eq!(
        app.errors(),
        [at(
            HOME,
            line(&page, "pub enum Message"),
            "`Message::NavigateTeam` leads to no page: no dynamic route of the mount is named `Team`",
            "use one of NavigateGames, NavigateGame, or rename the variant so it does not start with `Navigate`"
        )]
    );
    // The segment as written and its singular both lead to `games/id_`.
    for variant in ["NavigateGame { id: i64 }", "NavigateGames { id: i64 }"] {
        app.file(
            HOME,
            &edit(
                PAGE,
                "    Clicked,",
                &format!("    Clicked,\n    {variant},"),
            ),
        )
        .generates();
    }
    // `Navigate` itself is an ordinary message.
    app.file(
        HOME,
        &edit(PAGE, "    Clicked,", "    Clicked,\n    Navigate(String),"),
    )
    .generates();
    // A mount without dynamic routes has nowhere to navigate to.
    let app = App::new();
    app.file(HOME, &page);
    assert_eq!(
        app.errors(),
        [at(
            HOME,
            line(&page, "pub enum Message"),
            "`Message::NavigateTeam` leads to no page: no dynamic route of the mount is named `Team`",
            "rename the variant (a `Navigate…` message navigates instead of reaching `update`); this mount has no dynamic route to navigate to"
        )]
    );
}

#[test]
fn a_navigate_message_names_every_route_param() {
    let app = App::new();
    let page = edit(
        PAGE,
        "    Clicked,",
        "    Clicked,\n    NavigateGame { game: i64 },",
    );
    app.with_game(GAME).file(HOME, &page);
    assert_eq!(
        app.errors(),
        [at(
            HOME,
            line(&page, "pub enum Message"),
            "`Message::NavigateGame` has no field `id`, a parameter of the route it leads to",
            "name its fields after the route's parameters: `NavigateGame { id: i64 }`"
        )]
    );
    // A tuple variant names none.
    let page = edit(PAGE, "    Clicked,", "    Clicked,\n    NavigateGame(i64),");
    app.file(HOME, &page);
    assert_eq!(
        app.errors(),
        [at(
            HOME,
            line(&page, "pub enum Message"),
            "`Message::NavigateGame` has no field `id`, a parameter of the route it leads to",
            "name its fields after the route's parameters: `NavigateGame { id: i64 }`"
        )]
    );
}

#[test]
fn navigate_names_are_the_segment_as_written_and_a_safe_singular() {
    let dynamic = |dir: &str| {
        let app = App::new();
        app.declare("src/public/pages/mod.rs", dir)
            .file(&format!("src/public/pages/{dir}/mod.rs"), "pub mod id_;\n")
            .file(
                &format!("src/public/pages/{dir}/id_.rs"),
                &GAME.replace("GamesId", "Id"),
            );
        app
    };
    let navigate = |variant: &str| {
        edit(
            PAGE,
            "    Clicked,",
            &format!("    Clicked,\n    {variant} {{ id: i64 }},"),
        )
    };
    // `categories` → `Category`.
    let app = dynamic("categories");
    for variant in ["NavigateCategories", "NavigateCategory"] {
        app.file(HOME, &navigate(variant)).generates();
    }
    // `status` has no singular codegen can be sure of: only the written form.
    let app = dynamic("status");
    app.file(HOME, &navigate("NavigateStatus")).generates();
    let page = navigate("NavigateStatu");
    app.file(HOME, &page);
    assert_eq!(
        app.errors(),
        [at(
            HOME,
            line(&page, "pub enum Message"),
            "`Message::NavigateStatu` leads to no page: no dynamic route of the mount is named `Statu`",
            "use one of NavigateStatus, or rename the variant so it does not start with `Navigate`"
        )]
    );
    // `boxes` → `Box`, `match_days` → `MatchDay`.
    let app = dynamic("boxes");
    app.file(HOME, &navigate("NavigateBox")).generates();
    let app = dynamic("match_days");
    for variant in ["NavigateMatchDays", "NavigateMatchDay"] {
        app.file(HOME, &navigate(variant)).generates();
    }
}

// 9. `ServerMsg::Save(T)`.

#[test]
fn with_server_msg_save_t_handle_save_takes_the_t() {
    let app = App::new();
    let page = edit(
        SAVES,
        "    Bump { by: i64 },\n}",
        "    Save(Change),\n}\n\n#[derive(Serialize, Deserialize)]\npub enum Change {\n    Up,\n    Down,\n}",
    );
    app.file(HOME, &page);
    assert_eq!(
        app.errors(),
        [at(
            HOME,
            line(&page, "pub fn handle_save"),
            "`handle_save` takes `ServerMsg`, but `ServerMsg::Save` carries `Change`",
            "its signature is `#[cfg(feature = \"server\")] pub fn handle_save(ctx: &Db, [caller: &Caller,] save: Change) -> Result<SaveOk, SaveError>`: Rally unwraps `ServerMsg::Save` for it"
        )]
    );
    app.file(
        HOME,
        &page.replace("msg: ServerMsg) -> Result", "change: Change) -> Result"),
    )
    .generates();
    // With the caller, the `T` comes third.
    app.file(
        HOME,
        &page.replace(
            "msg: ServerMsg) -> Result",
            "caller: &Caller, change: Change) -> Result",
        ),
    )
    .generates();
    // Missing, the hint names the `T`.
    let page = edit(
        &page,
        "#[cfg(feature = \"server\")]\npub fn handle_save(db: &Db, msg: ServerMsg) -> Result<Count, SaveError> {\n    todo!()\n}\n",
        "",
    );
    app.file(HOME, &page);
    assert_eq!(
        app.errors(),
        [at(
            HOME,
            line(&page, "pub enum ServerMsg"),
            "missing `handle_save`",
            "add `#[cfg(feature = \"server\")] pub fn handle_save(ctx: &Db, [caller: &Caller,] save: Change) -> Result<SaveOk, SaveError>`"
        )]
    );
    // `Save(T)` beside another save is an ordinary save: `handle_save` takes the `ServerMsg`.
    let page = edit(
        SAVES,
        "    Bump { by: i64 },\n}",
        "    Bump { by: i64 },\n    Save(i64),\n}",
    );
    app.file(HOME, &page).generates();
}

// 10. One-line alias pages.

#[test]
fn a_one_line_alias_page_re_exports_a_page_of_its_mount() {
    let app = App::new();
    app.page("games", SAVES)
        .file(HOME, "pub use super::games::*;\n")
        .generates();
    // Spelled from the crate root.
    app.file(HOME, "pub use crate::public::pages::games::*;\n")
        .generates();
    // A module of the mount that is not a page.
    app.file(HOME, "pub use super::scores::*;\n");
    assert_eq!(
        app.errors(),
        [at(
            HOME,
            1,
            "`pub use` shows `scores`, which is not a page of the `public` mount",
            "name a page of the same mount: `pub use super::games::*;`"
        )]
    );
    // A module outside the mount's pages.
    let text = "//! The games, again.\n\npub use crate::widgets::*;\n";
    app.file(HOME, text);
    assert_eq!(
        app.errors(),
        [at(
            HOME,
            line(text, "pub use"),
            "`pub use …::*` re-exports a module codegen cannot follow to a page of this mount",
            "name the page this one shows from here: `pub use super::games::*;` (or `crate::<mount>::pages::games::*`)"
        )]
    );
    // Another mount's page.
    app.file(HOME, "pub use crate::admin::pages::games::*;\n");
    assert_eq!(
        app.errors(),
        [at(
            HOME,
            1,
            "`pub use …::*` re-exports a module codegen cannot follow to a page of this mount",
            "name the page this one shows from here: `pub use super::games::*;` (or `crate::<mount>::pages::games::*`)"
        )]
    );
    // An alias of an alias.
    app.file(HOME, "pub use super::games::*;\n")
        .page("start", "pub use super::home_::*;\n");
    assert_eq!(
        app.errors(),
        [at(
            "src/public/pages/start.rs",
            1,
            "`Model` aliases `home_`, which is itself an alias page",
            "alias the page that defines `Model`"
        )]
    );
}

#[test]
fn a_glob_import_in_a_page_with_its_own_model_is_not_an_alias() {
    // A private glob, or a page that defines `Model`, reads as an ordinary page.
    let app = App::new();
    app.page("games", SAVES)
        .file(
            HOME,
            &format!("pub use super::games::LoadResult;\nuse super::games::*;\n{PAGE}"),
        )
        .generates();
    let app = App::new();
    app.page("games", SAVES)
        .file(HOME, "use super::games::*;\n");
    assert_eq!(
        app.errors(),
        [
            whole(
                HOME,
                "missing `pub struct Model` or `pub enum Model` (the page's state)",
                "define `Model` in this page module"
            ),
            whole(
                HOME,
                "missing `pub struct Message` or `pub enum Message` (the page's messages)",
                "define `Message` in this page module"
            ),
            whole(
                HOME,
                "missing `pub fn initial_model`",
                "add `pub fn initial_model(shared: &SharedState, query: &QueryParams) -> Model` (dynamic routes take `params` second)"
            ),
            whole(
                HOME,
                "missing `pub fn update`",
                "add `pub fn update(model: &mut Model, msg: Message) -> Effect<Message>`"
            ),
            whole(
                HOME,
                "missing `pub fn view`",
                "add `pub fn view(model: &Model) -> Element<Message>`"
            ),
        ]
    );
}

#[test]
fn a_one_line_alias_page_is_static_and_shows_a_static_page() {
    let app = App::new();
    // A dynamic page re-exported at a dynamic path would get the other route's params.
    app.with_game(GAME)
        .declare("src/public/pages/mod.rs", "matches")
        .file("src/public/pages/matches/mod.rs", "pub mod id_;\n")
        .file(
            "src/public/pages/matches/id_.rs",
            "pub use super::super::games::id_::*;\n",
        );
    assert_eq!(
        app.errors(),
        [at(
            "src/public/pages/matches/id_.rs",
            1,
            "a one-line alias page (`pub use …::*;`) is at a route with parameters, or shows a page that has them",
            "alias a page at a static path from a static path, or write the page's functions and forward them (docs/pages.md, Alias pages)"
        )]
    );
}

#[test]
fn a_private_access_or_app_function_is_an_error_not_a_silently_open_door() {
    let app = App::new();
    let page = PAGE.replacen(
        "pub fn initial_model",
        "const ACCESS: rally::page::Access = rally::page::Access::SignedIn;\n\npub fn initial_model",
        1,
    );
    app.file(HOME, &page);
    assert_eq!(
        app.errors(),
        [at(
            HOME,
            line(&page, "const ACCESS"),
            "`ACCESS` is not `pub`, so Rally cannot see it and the page would be open to everyone",
            "make it `pub const ACCESS: Access = …;`"
        )]
    );
    let app = App::new();
    app.file(
        "src/broadcasts.rs",
        "fn authorize_topic(db: &Db, caller: &Caller, topic: &str) -> bool {\n    true\n}\n",
    );
    assert_eq!(
        app.errors(),
        [at(
            "src/broadcasts.rs",
            1,
            "`authorize_topic` is not `pub`, so Rally cannot call it",
            "make it `pub fn authorize_topic`"
        )]
    );
}

// 11. `src/server.rs`.

#[test]
fn src_server_rs_must_define_configure() {
    let app = App::new();
    let fix = "add `pub fn configure(app: rally::server::app::AppBuilder<Context>) -> rally::server::app::AppBuilder<Context>`, which the generated server calls before serving";
    app.file("src/server.rs", "pub fn start() {}\n");
    assert_eq!(
        app.errors(),
        [whole(
            "src/server.rs",
            "src/server.rs defines no `pub fn configure`",
            fix
        )]
    );
    // A private `configure` is named as such, at its line.
    app.file(
        "src/server.rs",
        "fn configure(app: AppBuilder<Db>) -> AppBuilder<Db> {\n    app\n}\n",
    );
    assert_eq!(
        app.errors(),
        [at(
            "src/server.rs",
            1,
            "`configure` is not `pub`, so Rally cannot call it",
            "make it `pub fn configure`"
        )]
    );
    app.file(
        "src/server.rs",
        "pub fn configure(app: AppBuilder<Db>) -> AppBuilder<Db> {\n    app\n}\n",
    )
    .generates();
}

// Nothing is written while there is a problem (as `errors.rs` checks for a page), also when
// the problem is one of the app-level files.

#[test]
fn nothing_is_written_while_an_app_file_breaks_the_contract() {
    let app = App::new();
    app.file("src/context.rs", CONTEXT)
        .file(HOME, &SAVES.replace("db: &Db", "ctx: &Context"));
    let files = rally_codegen::generate(app.root(), false).unwrap();
    rally_codegen::write(app.root(), &files).unwrap();
    assert!(rally_codegen::check(app.root(), &files).is_empty());
    for (path, text) in [
        ("src/server.rs", "pub fn start() {}\n"),
        ("src/context.rs", "pub struct Context;\n"),
    ] {
        let before_text = fs::read_to_string(app.root().join(path)).ok();
        app.file(path, text);
        let before = tree(app.root());
        assert!(matches!(
            rally_codegen::generate(app.root(), false),
            Err(Error::Contract(_))
        ));
        assert_eq!(tree(app.root()), before, "{path}");
        assert!(rally_codegen::check(app.root(), &files).is_empty());
        match before_text {
            Some(t) => app.file(path, &t),
            None => app.remove(path),
        };
    }
    // Removing `src/context.rs` makes the context the database again: every page's `&Context`
    // is then wrong, and still nothing is written.
    app.remove("src/context.rs");
    let before = tree(app.root());
    assert_eq!(app.errors().len(), 3, "{:?}", app.errors());
    assert_eq!(tree(app.root()), before);
}

#[test]
fn every_problem_has_a_line() {
    // Something missing from a file, a file that is missing, an undeclared page, a mount
    // without auth: each problem still points at a line an editor can jump to.
    let app = App::new();
    app.file(HOME, &edit(PAGE, "pub fn view(", "pub fn render("))
        .file("src/public/pages/orphan.rs", PAGE)
        .file("src/context.rs", "pub struct Nothing;\n")
        .file("src/server.rs", "pub fn start() {}\n")
        .file(
            "src/admin/pages/mod.rs",
            "pub mod home_;\npub mod not_found_;\n",
        )
        .file("src/admin/pages/home_.rs", PAGE)
        .file("src/admin/pages/not_found_.rs", PAGE);
    let problems = match rally_codegen::generate(app.root(), false) {
        Err(Error::Contract(problems)) => problems,
        other => panic!("expected contract problems, got {other:?}"),
    };
    assert!(problems.len() >= 5, "{problems:#?}");
    for problem in &problems {
        assert!(problem.line >= 1, "no line: {problem}");
        assert!(
            problem.to_string().starts_with(&format!(
                "{}:{}: ",
                problem.file.display(),
                problem.line
            )),
            "{problem}"
        );
    }
}
