//! Every contract, routing and wire-boundary error `cargo rally gen` reports, with its exact
//! `path:line: what is wrong — what to do` message, on small fixture apps in temporary
//! directories; that nothing is written while there is one; and that generation is
//! deterministic. (Route-rule messages themselves are tested in `rally-routes`; here they are
//! checked as they reach the app, with the pages' real paths.)

mod common;

use std::fs;
use std::path::{Path, PathBuf};

use common::*;
use rally_codegen::Error;

#[test]
fn the_fixtures_generate() {
    App::new().generates();
    App::new().file(HOME, SAVES).generates();
    App::new().with_game(GAME).generates();
}

#[test]
fn the_package_name_is_read_as_toml() {
    let app = App::new();
    app.file(
        "Cargo.toml",
        "[package] # the app\nname = \"fixture\" # a comment\nversion = \"0.1.0\"\n\n[dependencies]\nname = { path = \"x\" }\n",
    );
    assert_eq!(rally_codegen::package_name(app.root()).unwrap(), "fixture");
    app.file(
        "Cargo.toml",
        "[package]\nversion = \"0.1.0\"\n[lib]\nname = \"fixture\"\n",
    );
    assert_eq!(
        rally_codegen::package_name(app.root())
            .unwrap_err()
            .to_string(),
        whole(
            "Cargo.toml",
            "no `[package] name`",
            "run codegen in the app's directory (the one with its Cargo.toml)"
        )
    );
    app.file(
        "Cargo.toml",
        "[package]\nname = \"fixture\"\nversion = 0.1.0\"\n",
    );
    let err = rally_codegen::package_name(app.root())
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with("Cargo.toml:3: Cargo.toml is not valid TOML"),
        "{err}"
    );
}

#[test]
fn a_missing_model_or_message() {
    let app = App::new();
    app.file(
        HOME,
        &edit(PAGE, "#[derive(Clone)]\npub struct Model;\n", ""),
    );
    assert_eq!(
        app.errors(),
        [whole(
            HOME,
            "missing `pub struct Model` or `pub enum Model` (the page's state)",
            "define `Model` in this page module"
        )]
    );
    // A private one is not part of the contract either.
    app.file(HOME, &edit(PAGE, "pub enum Message", "enum Message"));
    assert_eq!(
        app.errors(),
        [whole(
            HOME,
            "missing `pub struct Message` or `pub enum Message` (the page's messages)",
            "define `Message` in this page module"
        )]
    );
}

#[test]
fn a_missing_initial_model_update_or_view() {
    let app = App::new();
    let page = edit(PAGE, "pub fn initial_model", "pub fn first_model");
    let page = edit(&page, "pub fn update(", "pub fn apply(");
    let page = edit(&page, "pub fn view(", "pub fn render(");
    app.file(HOME, &page);
    assert_eq!(
        app.errors(),
        [
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
fn wrong_arity() {
    let app = App::new();
    let page = edit(
        PAGE,
        "initial_model(shared: &SharedState, query: &QueryParams)",
        "initial_model(shared: &SharedState)",
    );
    let page = edit(
        &page,
        "update(model: &mut Model, msg: Message)",
        "update(msg: Message)",
    );
    let page = edit(
        &page,
        "view(model: &Model)",
        "view(model: &Model, theme: Theme)",
    );
    app.file(HOME, &page);
    assert_eq!(
        app.errors(),
        [
            at(
                HOME,
                line(&page, "pub fn initial_model"),
                "`initial_model` takes 1 arguments",
                "take `(shared, query)`, or `(shared, params, query)` on a dynamic route"
            ),
            at(
                HOME,
                line(&page, "pub fn update"),
                "`update` takes 1 arguments, expected 2",
                "its signature is `pub fn update(model: &mut Model, msg: Message) -> Effect<Message>`, or with the shared state `pub fn update(shared: &SharedState, model: &mut Model, msg: Message) -> Effect<Message>`"
            ),
            at(
                HOME,
                line(&page, "pub fn view"),
                "`view` takes 2 arguments, expected 1",
                "its signature is `pub fn view(model: &Model) -> Element<Message>`"
            ),
        ]
    );
}

#[test]
fn initial_model_must_match_the_route() {
    // A dynamic route's page takes the params…
    let app = App::new();
    let game = edit(
        GAME,
        "shared: &SharedState, params: &GamesIdParams, query: &QueryParams",
        "shared: &SharedState, query: &QueryParams",
    );
    app.with_game(&game);
    assert_eq!(
        app.errors(),
        [at(
            "src/public/pages/games/id_.rs",
            line(&game, "pub fn initial_model"),
            "`initial_model` on a dynamic route does not take the route's params",
            "take `(shared: &SharedState, params: &GamesIdParams, query: &QueryParams)`"
        )]
    );
    // …and a static one does not.
    let app = App::new();
    let page = edit(
        PAGE,
        "shared: &SharedState, query: &QueryParams",
        "shared: &SharedState, params: &HomeParams, query: &QueryParams",
    );
    app.file(HOME, &page);
    assert_eq!(
        app.errors(),
        [at(
            HOME,
            line(&page, "pub fn initial_model"),
            "`initial_model` takes params but the route has none",
            "take `(shared: &SharedState, query: &QueryParams)`"
        )]
    );
}

#[test]
fn server_functions_with_the_wrong_arity_or_compiled_for_the_browser() {
    let app = App::new();
    let page = edit(SAVES, "load(db: &Db)", "load(db: &Db, id: i64)");
    let page = edit(
        &page,
        "#[cfg(feature = \"server\")]\npub fn handle_save",
        "pub fn handle_save",
    );
    app.file(HOME, &page);
    assert_eq!(
        app.errors(),
        [
            at(
                HOME,
                line(&page, "pub fn load"),
                "`load` takes 2 arguments, expected 1",
                "its signature is `#[cfg(feature = \"server\")] pub fn load(ctx: &Db, [caller: &Caller,] <Load's fields in order>) -> Result<LoadResult, LoadError>`"
            ),
            at(
                HOME,
                line(&page, "pub fn handle_save"),
                "`handle_save` is compiled into the browser bundle",
                "put `#[cfg(feature = \"server\")]` on it: it runs on the server only"
            ),
        ]
    );
}

#[test]
fn message_must_be_clone() {
    let app = App::new();
    let page = edit(
        PAGE,
        "#[derive(Clone)]\npub enum Message",
        "#[derive(Debug)]\npub enum Message",
    );
    app.file(HOME, &page);
    assert_eq!(
        app.errors(),
        [at(
            HOME,
            line(&page, "pub enum Message"),
            "`Message` does not derive `Clone`",
            "add `#[derive(Clone)]` to `Message`"
        )]
    );
}

#[test]
fn server_msg_must_be_a_serde_enum() {
    let app = App::new();
    let page = edit(
        SAVES,
        "pub enum ServerMsg {\n    Load,\n    Bump { by: i64 },\n}",
        "pub struct ServerMsg {\n    pub by: i64,\n}",
    );
    app.file(HOME, &page);
    assert_eq!(
        app.errors(),
        [at(
            HOME,
            line(&page, "pub struct ServerMsg"),
            "`ServerMsg` is not an enum",
            "make it `pub enum ServerMsg { Load, … }`"
        )]
    );
    let page = edit(
        SAVES,
        "#[derive(Serialize, Deserialize)]\npub enum ServerMsg",
        "#[derive(Serialize)]\npub enum ServerMsg",
    );
    app.file(HOME, &page);
    assert_eq!(
        app.errors(),
        [at(
            HOME,
            line(&page, "pub enum ServerMsg"),
            "`ServerMsg` does not derive `Serialize` and `Deserialize`",
            "add `#[derive(Serialize, Deserialize)]` (serde) to `ServerMsg`"
        )]
    );
}

#[test]
fn a_load_needs_load_result_and_a_loaded_message() {
    let app = App::new();
    let page = edit(SAVES, "pub struct LoadResult {", "pub struct Loaded {");
    let page = edit(&page, "    Loaded(Result<LoadResult, LoadError>),\n", "");
    app.file(HOME, &page);
    assert_eq!(
        app.errors(),
        [
            at(
                HOME,
                line(&page, "    Load,"),
                "`ServerMsg::Load` but no `LoadResult`",
                "define `pub struct LoadResult` (or `pub type LoadResult = …`), the data `load` returns"
            ),
            at(
                HOME,
                line(&page, "pub enum Message"),
                "`Message` has no `Loaded` variant",
                "add `Loaded(Result<LoadResult, LoadError>)`: Rally delivers the load's result with it"
            ),
        ]
    );
    let page = edit(SAVES, "    Load,\n", "    Load(i64),\n");
    app.file(HOME, &page);
    assert_eq!(
        app.errors(),
        [at(
            HOME,
            line(&page, "Load(i64)"),
            "`ServerMsg::Load` has unnamed fields",
            "name them after the route's parameters: `Load { id: i64 }`"
        )]
    );
}

#[test]
fn saves_need_handle_save_returning_a_result() {
    let app = App::new();
    let page = edit(
        SAVES,
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
            "add `#[cfg(feature = \"server\")] pub fn handle_save(ctx: &Db, [caller: &Caller,] msg: ServerMsg) -> Result<SaveOk, SaveError>`"
        )]
    );
    let page = edit(SAVES, "-> Result<Count, SaveError>", "-> Count");
    app.file(HOME, &page);
    assert_eq!(
        app.errors(),
        [at(
            HOME,
            line(&page, "-> Count"),
            "`handle_save` does not return `Result<…, SaveError>`",
            "return `Result<YourSaveResult, SaveError>`"
        )]
    );
}

#[test]
fn a_load_field_must_be_a_route_param() {
    let app = App::new();
    let game = edit(GAME, "Load { id: i64 }", "Load { game: i64 }");
    let game = edit(&game, "load(db: &Db, id: i64)", "load(db: &Db, game: i64)");
    app.with_game(&game);
    assert_eq!(
        app.errors(),
        [at(
            "src/public/pages/games/id_.rs",
            line(&game, "Load { game: i64 }"),
            "`ServerMsg::Load` field `game` is not a parameter of the route",
            "name the load's fields after the route's parameters (id)"
        )]
    );
}

#[test]
fn load_takes_the_types_of_the_load_fields() {
    let app = App::new();
    let game = edit(GAME, "load(db: &Db, id: i64)", "load(db: &Db, id: String)");
    app.with_game(&game);
    assert_eq!(
        app.errors(),
        [at(
            "src/public/pages/games/id_.rs",
            line(&game, "load(db: &Db, id: String)"),
            "`load` takes `String` where `ServerMsg::Load` has `id: i64`",
            "give both the same type: `id: i64` (the route parameter's type comes from `Load`)"
        )]
    );
}

#[test]
fn two_dynamic_siblings() {
    let app = App::new();
    app.with_game(GAME)
        .file(
            "src/public/pages/games/slug_.rs",
            &GAME
                .replace("id: i64", "slug: String")
                .replace("GamesId", "GamesSlug"),
        )
        .declare("src/public/pages/games/mod.rs", "slug_");
    assert_eq!(
        app.errors(),
        [
            "src/public/pages/games/slug_.rs: the dynamic segment `slug_` is beside `id_` of src/public/pages/games/id_.rs — a directory can hold only one dynamic segment, so give both the same name or move one under a static segment"
        ]
    );
}

#[test]
fn a_file_and_a_directory_index_for_one_route() {
    let app = App::new();
    app.declare("src/public/pages/mod.rs", "games")
        .file(
            "src/public/pages/games.rs",
            &format!("pub mod home_;\n{PAGE}"),
        )
        .file("src/public/pages/games/home_.rs", PAGE);
    assert_eq!(
        app.errors(),
        [
            "src/public/pages/games.rs: its route `/games` is also the route of src/public/pages/games/home_.rs — keep one of the two files (a directory's `home_.rs` is the same route as the file named after the directory)"
        ]
    );
}

#[test]
fn a_page_not_declared_in_its_module() {
    let app = App::new();
    app.file("src/public/pages/about.rs", PAGE);
    // At the module's last line, where the declaration goes.
    let declared = fs::read_to_string(app.root().join("src/public/pages/mod.rs")).unwrap();
    assert_eq!(
        app.errors(),
        [at(
            "src/public/pages/mod.rs",
            declared.lines().count(),
            "page `about` is not declared",
            "add `pub mod about;` to src/public/pages/mod.rs"
        )]
    );
    // Nested: neither games/mod.rs nor games.rs declares it.
    let app = App::new();
    app.declare("src/public/pages/mod.rs", "games")
        .file("src/public/pages/games/id_.rs", GAME);
    assert_eq!(
        app.errors(),
        [whole(
            "src/public/pages/games/mod.rs",
            "page `id_` is not declared",
            "add `pub mod id_;` to src/public/pages/games/mod.rs"
        )]
    );
}

const OUTSIDE: &str = "wire types may come from the page itself, src/wire/**, src/broadcasts.rs, primitives and standard containers; move the type or convert it into a page-local one";

#[test]
fn a_sql_row_in_server_msg_is_outside_the_wire_boundary() {
    let app = App::new();
    let page = edit(
        SAVES,
        "    Bump { by: i64 },",
        "    Bump { by: i64 },\n    Put { row: GetCountRow },",
    );
    let page = format!("use crate::generated::sql::public::pages::home__sql::GetCountRow;\n{page}");
    app.file(HOME, &page);
    assert_eq!(
        app.errors(),
        [at(
            HOME,
            line(&page, "Put { row"),
            "`public::pages::home_::ServerMsg::Put.row` references `generated::sql::public::pages::home__sql::GetCountRow`, outside the wire boundary",
            OUTSIDE
        )]
    );
}

#[test]
fn a_type_from_another_module_is_outside_the_wire_boundary_even_through_a_wire_type() {
    // Directly in the load result…
    let app = App::new();
    let page = edit(
        SAVES,
        "    pub count: i64,\n}\n\n#[derive(Serialize, Deserialize)]\npub struct Count",
        "    pub count: i64,\n    pub team: crate::models::Team,\n}\n\n#[derive(Serialize, Deserialize)]\npub struct Count",
    );
    app.file(HOME, &page).file(
        "src/models.rs",
        "pub struct Team {\n    pub name: String,\n}\n",
    );
    assert_eq!(
        app.errors(),
        [at(
            HOME,
            line(&page, "pub team"),
            "`public::pages::home_::LoadResult.team` references `models::Team`, outside the wire boundary",
            OUTSIDE
        )]
    );
    // …and through a type of src/wire.rs, reported where the boundary is crossed.
    let wire = "use serde::{Deserialize, Serialize};\n\n#[derive(Serialize, Deserialize)]\npub struct Team {\n    pub name: String,\n    pub owner: crate::models::User,\n}\n";
    let page = edit(
        SAVES,
        "    Bump { by: i64 },",
        "    Bump { by: i64 },\n    Rename { team: crate::wire::Team },",
    );
    app.file(HOME, &page)
        .file("src/wire.rs", wire)
        .file("src/models.rs", "pub struct User;\n");
    assert_eq!(
        app.errors(),
        [at(
            "src/wire.rs",
            line(wire, "pub owner"),
            "`wire::Team.owner` references `models::User`, outside the wire boundary",
            OUTSIDE
        )]
    );
    // A save result of the wrong kind is reported on the page.
    let page = edit(
        SAVES,
        "-> Result<Count, SaveError>",
        "-> Result<crate::models::User, SaveError>",
    );
    app.file(HOME, &page);
    assert_eq!(
        app.errors(),
        [at(
            HOME,
            line(&page, "pub fn handle_save"),
            "`handle_save's result` references `models::User`, outside the wire boundary",
            OUTSIDE
        )]
    );
}

#[test]
fn borrowed_and_unknown_types_cannot_cross_the_wire() {
    let app = App::new();
    let page = edit(
        SAVES,
        "    Bump { by: i64 },",
        "    Bump { by: i64 },\n    Name { name: &'static str },\n    Pick { pick: Missing },",
    );
    app.file(HOME, &page);
    assert_eq!(
        app.errors(),
        [
            at(
                HOME,
                line(&page, "Name { name"),
                "`public::pages::home_::ServerMsg::Name.name` has type `& 'static str`, which cannot cross the wire",
                "use owned data: primitives, String, Vec, Option, maps, tuples, or a struct/enum from the page, src/wire or src/broadcasts.rs"
            ),
            at(
                HOME,
                line(&page, "Pick { pick"),
                "`public::pages::home_::ServerMsg::Pick.pick` references `Missing`, which Rally cannot find",
                "define the type in this page, in src/wire/**, or in src/broadcasts.rs and import it with `use crate::…`"
            ),
        ]
    );
}

#[test]
fn alias_pages_must_alias_a_page_of_the_mount() {
    let app = App::new();
    let alias = edit(
        PAGE,
        "#[derive(Clone)]\npub struct Model;",
        "pub type Model = super::nope::Model;",
    );
    app.file(HOME, &alias);
    assert_eq!(
        app.errors(),
        [at(
            HOME,
            line(&alias, "pub type Model"),
            "`Model` aliases `nope`, which is not a page of the `public` mount",
            "alias a page of the same mount (`pub type Model = super::games::Model;`)"
        )]
    );
    let outside = edit(
        PAGE,
        "#[derive(Clone)]\npub struct Model;",
        "pub type Model = super::super::Model;",
    );
    app.file(HOME, &outside);
    assert_eq!(
        app.errors(),
        [at(
            HOME,
            line(&outside, "pub type Model"),
            "`Model` aliases another module's `Model` by a path codegen cannot follow to a page of this mount",
            "spell the alias from this module (`pub type Model = super::games::Model;` or `crate::<mount>::pages::games::Model`), not through a `use`; or define `pub struct Model`"
        )]
    );
    // Through a `use`: codegen cannot follow it, and says so instead of ignoring the alias.
    let used = edit(
        PAGE,
        "#[derive(Clone)]\npub struct Model;",
        "use super::games;\npub type Model = games::Model;",
    );
    app.file(HOME, &used);
    assert_eq!(
        app.errors(),
        [at(
            HOME,
            line(&used, "pub type Model"),
            "`Model` aliases another module's `Model` by a path codegen cannot follow to a page of this mount",
            "spell the alias from this module (`pub type Model = super::games::Model;` or `crate::<mount>::pages::games::Model`), not through a `use`; or define `pub struct Model`"
        )]
    );
    // An alias with a server side of its own.
    let app = App::new();
    let home = edit(
        SAVES,
        "#[derive(Clone)]\npub struct Model;",
        "pub type Model = super::not_found_::Model;",
    );
    app.file(HOME, &home);
    assert_eq!(
        app.errors(),
        [at(
            HOME,
            line(&home, "pub type Model"),
            "an alias page (its `Model` is another page's) also defines `ServerMsg`",
            "remove `ServerMsg`: an alias page loads with the page it aliases"
        )]
    );
    // An alias of an alias.
    let about = edit(
        PAGE,
        "#[derive(Clone)]\npub struct Model;",
        "pub type Model = super::home_::Model;",
    );
    app.declare("src/public/pages/mod.rs", "about")
        .file("src/public/pages/about.rs", &about)
        .file(
            HOME,
            &edit(
                PAGE,
                "#[derive(Clone)]\npub struct Model;",
                "pub type Model = super::not_found_::Model;",
            ),
        );
    assert_eq!(
        app.errors(),
        [at(
            "src/public/pages/about.rs",
            line(&about, "pub type Model"),
            "`Model` aliases `home_`, which is itself an alias page",
            "alias the page that defines `Model`"
        )]
    );
}

#[test]
fn a_non_public_mount_needs_the_apps_auth() {
    let app = App::new();
    app.file("src/admin/mod.rs", "pub mod pages;\n")
        .file(
            "src/admin/pages/mod.rs",
            "pub mod home_;\npub mod not_found_;\n",
        )
        .file("src/admin/pages/home_.rs", PAGE)
        .file("src/admin/pages/not_found_.rs", PAGE);
    assert_eq!(
        app.errors(),
        [whole(
            "src/admin/mod.rs",
            "mount `admin` is not public, but the app has no auth",
            "add src/auth.rs with `pub fn auth(ctx: &Context) -> Result<rally::auth_http::Auth<…>, …>` (`ctx: &rally::db::Db` without src/context.rs; see docs/auth.md), which gates every mount except `public`"
        )]
    );
    app.file(
        "src/auth.rs",
        "#[cfg(feature = \"server\")]\npub fn auth(db: &Db) -> Result<Auth<App>, Error> {\n    todo!()\n}\n",
    )
    .generates();
}

#[test]
fn a_file_that_does_not_parse() {
    let app = App::new();
    let page = edit(
        PAGE,
        "pub fn view(model: &Model)",
        "pub fn view(model: &Model",
    );
    app.file(HOME, &page);
    let errors = app.errors();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(
        errors[0].starts_with(&format!(
            "{HOME}:{}: does not parse: ",
            line(&page, "pub fn view")
        )) && errors[0].ends_with(" — fix the syntax error"),
        "{errors:?}"
    );
}

#[test]
fn every_problem_is_listed_at_once_in_file_order() {
    let app = App::new();
    app.declare("src/public/pages/mod.rs", "about")
        .file(
            "src/public/pages/about.rs",
            &edit(PAGE, "pub fn view(", "pub fn render("),
        )
        .file(HOME, &edit(PAGE, "pub fn update(", "pub fn apply("))
        .file("src/public/pages/orphan.rs", PAGE);
    let declared = fs::read_to_string(app.root().join("src/public/pages/mod.rs")).unwrap();
    assert_eq!(
        app.errors(),
        [
            at(
                "src/public/pages/mod.rs",
                declared.lines().count(),
                "page `orphan` is not declared",
                "add `pub mod orphan;` to src/public/pages/mod.rs"
            ),
            whole(
                "src/public/pages/about.rs",
                "missing `pub fn view`",
                "add `pub fn view(model: &Model) -> Element<Message>`"
            ),
            whole(
                HOME,
                "missing `pub fn update`",
                "add `pub fn update(model: &mut Model, msg: Message) -> Effect<Message>`"
            ),
        ]
    );
}

#[test]
fn nothing_is_written_while_there_is_a_problem() {
    let app = App::new();
    let files = rally_codegen::generate(app.root(), false).unwrap();
    rally_codegen::write(app.root(), &files).unwrap();
    // A new page that breaks the contract: generation fails as a whole, so the previous
    // generated code stays exactly as it was (the CLI only writes what `generate` returned).
    app.declare("src/public/pages/mod.rs", "about").file(
        "src/public/pages/about.rs",
        &edit(PAGE, "pub fn view(", "pub fn render("),
    );
    let before = tree(app.root());
    assert!(matches!(
        rally_codegen::generate(app.root(), false),
        Err(Error::Contract(_))
    ));
    assert_eq!(tree(app.root()), before);
    assert!(rally_codegen::check(app.root(), &files).is_empty());
}

fn starter() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/starter")
}

fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), target).unwrap();
        }
    }
}

#[test]
fn generation_is_deterministic() {
    let first = rally_codegen::generate(&starter(), true).unwrap();
    let second = rally_codegen::generate(&starter(), true).unwrap();
    assert_eq!(first, second);
    // Nor does it depend on where the app is.
    let copy = tempfile::tempdir().unwrap();
    copy_dir(&starter().join("src"), &copy.path().join("src"));
    fs::copy(starter().join("Cargo.toml"), copy.path().join("Cargo.toml")).unwrap();
    assert_eq!(rally_codegen::generate(copy.path(), true).unwrap(), first);
    let paths: Vec<_> = first.iter().map(|f| f.path.display().to_string()).collect();
    assert_eq!(
        paths,
        [
            "src/generated/routes/public.rs",
            "src/generated/mod.rs",
            "src/generated/routes/mod.rs",
            "src/generated/rally/mod.rs",
            "src/generated/rally/public.rs",
            "src/generated/rally/dispatch.rs",
            "src/generated/rally/server.rs",
            "src/generated/rally/app.rs",
            "src/generated/rally/contract.rs",
        ]
    );
}
