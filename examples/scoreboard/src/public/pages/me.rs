//! `/me`: the signed-in user's account — who they are, their role, and how many games they
//! were the last to change on the score desk. A private page on the public mount: anonymous
//! visitors are sent to sign in, and over the socket its load answers `Unauthorized`.

use rally::page::{Access, Head, LoadError};
use rally::routes::QueryParams;
use rally::view::attribute::{class, data, href};
use rally::view::html::{a, dd, dl, dt, h1, main, p, section, text};
use rally::view::{Effect, Element};
use serde::{Deserialize, Serialize};

use crate::public::SharedState;

/// Signed-in users only.
pub const ACCESS: Access = Access::SignedIn;

/// The account as the server knows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoadResult {
    /// Their email.
    pub email: String,
    /// Their display name, if they have one.
    pub display_name: Option<String>,
    /// `admin` or `fan`.
    pub role: String,
    /// Games they were the last to change on the score desk.
    pub games_changed: i64,
}

/// Messages to the server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ServerMsg {
    /// Load the caller's account.
    Load,
}

/// The page's state.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Model {
    /// The account, once loaded.
    pub account: Option<LoadResult>,
    /// Why it could not be loaded.
    pub error: Option<String>,
}

/// What can happen on the page.
#[derive(Debug, Clone, PartialEq)]
pub enum Message {
    /// The account loaded.
    Loaded(Result<LoadResult, LoadError>),
}

/// Nothing loaded yet.
pub fn initial_model(_shared: &SharedState, _query: &QueryParams) -> Model {
    Model::default()
}

/// Keeps the loaded account.
pub fn update(model: &mut Model, msg: Message) -> Effect<Message> {
    match msg {
        Message::Loaded(Ok(account)) => model.account = Some(account),
        Message::Loaded(Err(e)) => model.error = Some(e.message),
    }
    Effect::none()
}

/// The tab's title.
pub fn head(_model: &Model) -> Head {
    Head::title("Your account · Scoreboard")
        .description("Your Rally Scoreboard account: who you are and what you changed.")
}

/// `main > section.panel.account`: the account, or why it is missing.
pub fn view(model: &Model) -> Element<Message> {
    let mut children = vec![h1(vec![], vec![text("Your account")])];
    match (&model.account, &model.error) {
        (Some(account), _) => {
            let name = account.display_name.clone().unwrap_or_else(|| "—".into());
            children.push(dl(
                [class("account")],
                [
                    dt([], [text("Email")]),
                    dd([class("account-email")], [text(account.email.clone())]),
                    dt([], [text("Name")]),
                    dd([], [text(name)]),
                    dt([], [text("Role")]),
                    dd([class("account-role")], [text(account.role.clone())]),
                    dt([], [text("Games you changed last")]),
                    dd(
                        [class("account-changes")],
                        [text(account.games_changed.to_string())],
                    ),
                ],
            ));
        }
        (None, Some(error)) => children.push(p([class("auth-error")], [text(error.clone())])),
        (None, None) => children.push(p([class("muted")], [text("Loading...")])),
    }
    children.push(p(
        [],
        [a(
            [
                href("/sign_out?return_to=/games"),
                data("rally-document-nav", "1"),
            ],
            [text("Sign out")],
        )],
    ));
    main([], [section([class("panel")], children)])
}

/// The caller's account. `ACCESS` guarantees a signed-in caller; a session whose user is gone
/// is not found.
#[cfg(feature = "server")]
pub fn load(
    ctx: &crate::context::Context,
    caller: &rally::server::Caller,
) -> Result<LoadResult, LoadError> {
    let db = &ctx.db;
    use crate::generated::sql::public::pages::me_sql::count_changes_by_user;
    let user = caller
        .user_id()
        .and_then(|id| crate::identity::user_by_id(db, id))
        .ok_or_else(|| LoadError::not_found("No such account."))?;
    let user_id = user.context.user_id;
    let games_changed = db
        .read_sync(|c| count_changes_by_user(c, user_id))
        .map_err(|e| {
            tracing::error!(error = %e, "count_changes_by_user");
            LoadError::new("Could not load your account.")
        })?
        .changed;
    Ok(LoadResult {
        email: user.context.email,
        display_name: user.context.display_name,
        role: user.role,
        games_changed,
    })
}

#[cfg(all(test, feature = "server"))]
mod tests {
    use super::*;
    use rally::server::Caller;

    #[test]
    fn the_account_is_the_callers_own() {
        let ctx = crate::context::Context::development(crate::test_support::seeded_db());
        let fan = load(&ctx, &Caller::user(2)).unwrap();
        assert_eq!(fan.email, "fan@example.com");
        assert_eq!(fan.display_name.as_deref(), Some("Fan"));
        assert_eq!((fan.role.as_str(), fan.games_changed), ("fan", 0));
        let admin = load(&ctx, &Caller::user(1)).unwrap();
        assert_eq!(admin.role, "admin");
        assert_eq!(
            load(&ctx, &Caller::user(99)).unwrap_err(),
            LoadError::not_found("No such account.")
        );
    }
}
