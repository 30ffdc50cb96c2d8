//! The `public` mount, served at `/`: scores, game and team pages, standings and sign-in.

use rally::shell::Chrome;
use rally::view::attribute::class;
use rally::view::html::{div, header, nav, none};
use rally::view::{Element, view};
use serde::{Deserialize, Serialize};

use crate::chrome::{Nav, brand, nav_link, session_link, theme_switch};
use crate::identity::AuthenticationContext;

pub mod pages;

/// What every public page (and the shell) knows about the request.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SharedState {
    /// The signed-in user, if any.
    pub authentication_context: Option<AuthenticationContext>,
    /// Whether they may open the score desk (the Admin link).
    pub can_access_admin: bool,
    /// The demo sign-in code, shown on the sign-in page (development only).
    pub demo_code: Option<String>,
}

/// The shared state of a request: its signed-in user and their role.
#[cfg(feature = "server")]
pub fn shared_state(
    ctx: &crate::context::Context,
    request: &rally::server::PageRequest<'_>,
) -> SharedState {
    let db = &ctx.db;
    let user = request
        .identity
        .and_then(|identity| crate::identity::user_by_id(db, identity.user_id));
    SharedState {
        can_access_admin: user.as_ref().is_some_and(|u| u.can_access_admin()),
        authentication_context: user.map(|u| u.context),
        demo_code: ctx.sign_in.demo_code.clone(),
    }
}

/// The public chrome: brand, Games / Standings / (Admin) / session link, theme switch.
pub fn shell<Msg: Clone + 'static>(
    shared: &SharedState,
    chrome: &Chrome<Msg>,
    content: Element<Msg>,
) -> Element<Msg> {
    let path = chrome.path.as_str();
    view! {
        div(
            [class("scoreboard-app")],
            [
                header(
                    [class("topbar")],
                    [
                        brand("Public scores"),
                        nav(
                            [class("nav")],
                            [
                                nav_link(
                                    "Games",
                                    "/games",
                                    Nav::Spa,
                                    path == "/" || chrome.is_under("/games"),
                                ),
                                nav_link(
                                    "Standings",
                                    "/standings",
                                    Nav::Spa,
                                    chrome.is_under("/standings"),
                                ),
                                if shared.can_access_admin {
                                    nav_link(
                                        "Admin",
                                        "/admin/games",
                                        Nav::Document,
                                        chrome.is_under("/admin"),
                                    )
                                } else {
                                    none()
                                },
                                session_link(shared.authentication_context.as_ref(), chrome),
                                theme_switch(chrome),
                            ],
                        ),
                    ],
                ),
                content,
            ],
        )
    }
}
