//! The `admin` mount, served at `/admin`: the score desk, for signed-in admins only (Rally
//! checks `crate::auth`'s `can_access` before every admin page, load and save).

use rally::shell::Chrome;
use rally::view::Element;
use rally::view::attribute::class;
use rally::view::html::{div, header, nav};
use serde::{Deserialize, Serialize};

use crate::chrome::{Nav, brand, nav_link, session_link, theme_switch};
use crate::identity::AuthenticationContext;

pub mod pages;

/// What every admin page (and the shell) knows about the request.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SharedState {
    /// The signed-in admin.
    pub authentication_context: Option<AuthenticationContext>,
}

/// The shared state of a request: its signed-in user.
#[cfg(feature = "server")]
pub fn shared_state(
    ctx: &crate::context::Context,
    request: &rally::server::PageRequest<'_>,
) -> SharedState {
    let db = &ctx.db;
    SharedState {
        authentication_context: request
            .identity
            .and_then(|identity| crate::identity::user_by_id(db, identity.user_id))
            .map(|user| user.context),
    }
}

/// The score desk's chrome: the public pages load as documents (another mount), Admin is this
/// mount.
pub fn shell<Msg: Clone + 'static>(
    shared: &SharedState,
    chrome: &Chrome<Msg>,
    content: Element<Msg>,
) -> Element<Msg> {
    let links = vec![
        nav_link("Games", "/games", Nav::Document, false),
        nav_link("Standings", "/standings", Nav::Document, false),
        nav_link("Admin", "/admin/games", Nav::Spa, chrome.is_under("/admin")),
        session_link(shared.authentication_context.as_ref(), chrome),
        theme_switch(chrome),
    ];
    div(
        vec![class("scoreboard-app admin-shell")],
        vec![
            header(
                vec![class("topbar")],
                vec![brand("Admin score desk"), nav(vec![class("nav")], links)],
            ),
            content,
        ],
    )
}
