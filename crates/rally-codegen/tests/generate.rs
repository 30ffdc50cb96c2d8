//! What codegen writes for the contract's mount-level pieces: alias pages, subscriptions from
//! route params, a mount's shell, and auth gating of a non-public mount. (That the output
//! compiles is shown by `examples/scoreboard`, which uses all of them.)

mod common;

use std::path::Path;

use common::league::{HOME, app, write};

fn generated(root: &Path) -> std::collections::HashMap<String, String> {
    rally_codegen::generate(root, false)
        .unwrap_or_else(|e| panic!("generate failed: {e}"))
        .into_iter()
        .map(|f| (f.path.display().to_string(), f.contents))
        .collect()
}

/// Whitespace-insensitive `contains`, since prettyplease decides the line breaks.
fn has(text: &str, needle: &str) -> bool {
    let squash = |s: &str| s.split_whitespace().collect::<String>();
    squash(text).contains(&squash(needle))
}

#[test]
fn alias_page_loads_with_the_page_it_aliases() {
    let dir = tempfile::tempdir().unwrap();
    app(dir.path(), true);
    let files = generated(dir.path());
    let public = &files["src/generated/rally/public.rs"];
    // `/` loads through games' contract, on the wire and on the server.
    let arm = |fn_name: &str| {
        let body = public.split(&format!("fn {fn_name}(")).nth(1).unwrap();
        let body = body.split("Route::Home =>").nth(1).unwrap();
        body.split("Route::").next().unwrap().to_owned()
    };
    assert!(has(
        &arm("load"),
        r#"rally::glue::load("public/pages/games", &crate::public::pages::games::ServerMsg::Load"#
    ));
    assert!(has(
        &arm("load_data"),
        "rally::glue::Loaded::new(crate::public::pages::games::load(ctx)"
    ));
    // Its navigation messages are the aliased page's.
    assert!(has(
        public,
        "Msg::Home(crate::public::pages::games::Message::NavigateGame { id })"
    ));
    // No dispatch, contract entry or save of its own.
    let dispatch = &files["src/generated/rally/dispatch.rs"];
    assert!(!dispatch.contains("public/pages/home_"));
    assert!(!files["src/generated/rally/contract.rs"].contains("home_"));
}

#[test]
fn dynamic_pages_subscribe_from_route_params() {
    let dir = tempfile::tempdir().unwrap();
    app(dir.path(), true);
    let public = &generated(dir.path())["src/generated/rally/public.rs"];
    assert!(has(
        public,
        "(Route::GamesId { id }, Page::GamesId(m)) => { let params = crate::generated::routes::public::GamesIdParams { id: *id, }; crate::public::pages::games::id_::broadcast_subscriptions(&params, m)"
    ));
    assert!(has(
        public,
        "(_, Page::Games(m)) => { crate::public::pages::games::broadcast_subscriptions(m)"
    ));
}

#[test]
fn a_mount_shell_is_wired_and_a_missing_one_is_not() {
    let dir = tempfile::tempdir().unwrap();
    app(dir.path(), true);
    let files = generated(dir.path());
    assert!(has(
        &files["src/generated/rally/public.rs"],
        "crate::public::shell(shared, chrome, content)"
    ));
    assert!(!files["src/generated/rally/admin.rs"].contains("fn shell"));
}

#[test]
fn a_non_public_mount_is_gated_by_the_apps_auth() {
    let dir = tempfile::tempdir().unwrap();
    app(dir.path(), true);
    let files = generated(dir.path());
    let dispatch = &files["src/generated/rally/dispatch.rs"];
    let admin_arm = dispatch
        .split("\"admin/pages/games\" =>")
        .nth(1)
        .expect("an admin arm");
    let admin_arm = admin_arm.split("\"public/pages/").next().unwrap();
    assert!(has(
        admin_arm,
        r#"rally::glue::for_request(self.auth.as_deref(), "admin", &request.connection.headers,)"#
    ));
    assert!(has(admin_arm, "return Reply::error(e);"));
    // A public page that asks nothing about its caller looks up no session.
    let public_arm = dispatch.split("\"public/pages/games\" =>").nth(1).unwrap();
    assert!(!public_arm.contains("for_request"));
    let app = &files["src/generated/rally/app.rs"];
    assert!(has(app, "crate::auth::auth(app.context())"));
    assert!(has(app, ".merge(sign_in)"));
    assert!(has(app, "rally::glue::with_root("));
}

#[test]
fn a_non_public_mount_without_auth_is_an_error_naming_what_to_add() {
    let dir = tempfile::tempdir().unwrap();
    app(dir.path(), false);
    let err = rally_codegen::generate(dir.path(), false)
        .expect_err("an error")
        .to_string();
    assert!(
        err.contains("src/admin/mod.rs:1:")
            && err.contains("mount `admin` is not public, but the app has no auth")
            && err.contains("add src/auth.rs"),
        "{err}"
    );
}

#[test]
fn an_alias_of_a_page_that_does_not_exist_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    app(dir.path(), true);
    write(
        dir.path(),
        &[(
            "src/public/pages/home_.rs",
            &HOME.replace("super::games::Model", "super::scores::Model"),
        )],
    );
    let err = rally_codegen::generate(dir.path(), false)
        .expect_err("an error")
        .to_string();
    assert!(
        err.contains("src/public/pages/home_.rs:2: `Model` aliases `scores`, which is not a page of the `public` mount"),
        "{err}"
    );
}
