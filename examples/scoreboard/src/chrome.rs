//! The pieces both mounts' shells share: the brand, nav links, the session link and the theme
//! switch.

use rally::shell::Chrome;
use rally::view::attribute::{
    aria, attribute, checked, class, cx, cy, d, data, fill, href, r, role, stroke, stroke_linecap,
    stroke_width, title, type_, view_box,
};
use rally::view::event::on_check;
use rally::view::html::{a, div, fragment, input, label, p, span, strong, text};
use rally::view::svg;
use rally::view::{Element, view};

use crate::identity::{AuthenticationContext, display_label};

/// `span.brand-mark "S"` and the app's name over `subtitle`.
pub fn brand<Msg: 'static>(subtitle: &str) -> Element<Msg> {
    view! {
        div(
            [class("brand")],
            [
                span([class("brand-mark"), aria("hidden", "true")], [text("S")]),
                div(
                    [],
                    [
                        strong([], [text("Scoreboard")]),
                        p([class("muted")], [text(subtitle.to_owned())]),
                    ],
                ),
            ],
        )
    }
}

/// How a nav link is followed.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Nav {
    /// A page of this mount: the runtime navigates without reloading.
    Spa,
    /// A server route or another mount: the browser loads the document.
    Document,
}

/// A nav link, `class="active"` when `active` (else `class=""`, as upstream renders it).
pub fn nav_link<Msg: 'static>(
    label_text: &str,
    path: &str,
    nav: Nav,
    active: bool,
) -> Element<Msg> {
    let how = match nav {
        Nav::Spa => data("rally-spa-nav", "1"),
        Nav::Document => data("rally-document-nav", "1"),
    };
    view! {
        a(
            [
                href(path.to_owned()),
                class(if active { "active" } else { "" }),
                how,
                if active { aria("current", "page") } else { rally::view::attribute::none() },
            ],
            [text(label_text.to_owned())],
        )
    }
}

/// "Sign Out" for a signed-in user (titled with who they are), else "Sign In".
pub fn session_link<Msg: 'static>(
    user: Option<&AuthenticationContext>,
    chrome: &Chrome<Msg>,
) -> Element<Msg> {
    match user {
        Some(user) => view! {
            a(
                [
                    href("/sign_out?return_to=/games"),
                    class(""),
                    data("rally-document-nav", "1"),
                    title(format!("Signed in as {}", display_label(user))),
                ],
                [text("Sign Out")],
            )
        },
        None => nav_link(
            "Sign In",
            "/sign_in",
            Nav::Document,
            chrome.path == "/sign_in",
        ),
    }
}

/// `label.theme-switch`: a sun, the checkbox switch, a moon.
pub fn theme_switch<Msg: Clone + 'static>(chrome: &Chrome<Msg>) -> Element<Msg> {
    view! {
        label(
            [class("theme-switch"), title("Dark mode")],
            [
                icon("Light mode", sun()),
                input([
                    type_("checkbox"),
                    role("switch"),
                    aria("label", "Dark mode"),
                    checked(chrome.dark_mode),
                    on_check(chrome.on_dark_mode),
                ]),
                icon("Dark mode", moon()),
            ],
        )
    }
}

fn icon<Msg: 'static>(label_text: &'static str, shapes: Element<Msg>) -> Element<Msg> {
    view! {
        svg::svg(
            [
                attribute("xmlns", "http://www.w3.org/2000/svg"),
                view_box("0 0 24 24"),
                attribute("width", "18"),
                attribute("height", "18"),
                fill("none"),
                stroke("currentColor"),
                stroke_width("2"),
                stroke_linecap("round"),
                role("img"),
                aria("label", label_text),
            ],
            [shapes],
        )
    }
}

fn sun<Msg: 'static>() -> Element<Msg> {
    fragment([
        view! { svg::circle([cx("12"), cy("12"), r("4")], []) },
        view! {
            svg::path(
                [d(
                    "M12 2v2M12 20v2M4.9 4.9l1.4 1.4M17.7 17.7l1.4 1.4M2 12h2M20 12h2M4.9 19.1l1.4-1.4M17.7 6.3l1.4-1.4",
                )],
                [],
            )
        },
    ])
}

fn moon<Msg: 'static>() -> Element<Msg> {
    view! {
        svg::path(
            [d("M20.5 14.5A8.5 8.5 0 0 1 9.5 3.5a8.5 8.5 0 1 0 11 11z")],
            [],
        )
    }
}
