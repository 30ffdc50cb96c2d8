//! The chrome around a mount's pages: what a mount's `shell` function receives (the current
//! path, the theme) and the `dark` cookie that keeps the theme across reloads.
//!
//! A mount module may define
//! `pub fn shell<Msg: Clone + 'static>(shared: &SharedState, chrome: &Chrome<Msg>, content: Element<Msg>) -> Element<Msg>`;
//! the server renders it around the page and the browser hydrates and re-renders it, so both
//! see the same markup. The runtime owns the chrome's state: it sets `path` on every
//! navigation and handles `on_dark_mode` (cookie, `<html data-theme>`), so pages never see it.

/// The cookie that keeps the theme: `dark=1` is dark, anything else light.
pub const DARK_MODE_COOKIE: &str = "dark";

/// How long the theme cookie lives: one year.
pub const DARK_MODE_MAX_AGE_SECONDS: u32 = 365 * 24 * 60 * 60;

/// The shell's view of the mount: where the user is and the theme.
pub struct Chrome<Msg> {
    /// The canonical path of the current route (`/games`, `/admin/not_found`).
    pub path: String,
    /// Whether the dark theme is on.
    pub dark_mode: bool,
    /// The message a theme switch sends (`on_check(chrome.on_dark_mode)`).
    pub on_dark_mode: fn(bool) -> Msg,
}

impl<Msg> Chrome<Msg> {
    /// Whether `path` is the current path or below it (`/games` is active on `/games/1`).
    pub fn is_under(&self, path: &str) -> bool {
        let path = path.trim_end_matches('/');
        path.is_empty()
            || self.path == path
            || self
                .path
                .strip_prefix(path)
                .is_some_and(|rest| rest.starts_with('/'))
    }
}

/// The theme in a `Cookie` header value (`a=1; dark=1`): `dark=1` only.
pub fn dark_mode_from_cookies(cookie_header: &str) -> bool {
    theme_choice_from_cookies(cookie_header) == Some(true)
}

/// The theme the user chose with the switch, if they did: `Some(true)` for `dark=1`,
/// `Some(false)` for any other `dark` value, `None` without the cookie (then the system's
/// preference decides).
pub fn theme_choice_from_cookies(cookie_header: &str) -> Option<bool> {
    cookie_header.split(';').find_map(|pair| {
        let (k, v) = pair.trim().split_once('=')?;
        (k.trim() == DARK_MODE_COOKIE).then(|| v.trim() == "1")
    })
}

/// The client hint a browser sends with its colour-scheme preference once the server asked
/// for it (`Accept-CH`): `Sec-CH-Prefers-Color-Scheme: "dark"`.
pub const PREFERS_COLOR_SCHEME_HINT: &str = "sec-ch-prefers-color-scheme";

/// The theme a page renders with: the user's choice (the `dark` cookie) wins; without one, the
/// system's preference from the client hint; without that, light (the browser corrects it
/// after hydration from `prefers-color-scheme`).
pub fn dark_mode_for_request<'a>(
    cookie_headers: impl IntoIterator<Item = &'a str>,
    color_scheme_hint: Option<&str>,
) -> bool {
    cookie_headers
        .into_iter()
        .find_map(theme_choice_from_cookies)
        .unwrap_or_else(|| color_scheme_hint.is_some_and(|h| h.trim().trim_matches('"') == "dark"))
}

/// The `Set-Cookie`-style string the browser writes to `document.cookie` for a theme.
pub fn dark_mode_cookie(dark: bool) -> String {
    format!(
        "{DARK_MODE_COOKIE}={}; Path=/; Max-Age={DARK_MODE_MAX_AGE_SECONDS}; SameSite=Lax",
        if dark { "1" } else { "0" }
    )
}

/// The value of `<html data-theme>`.
pub fn theme_name(dark: bool) -> &'static str {
    if dark { "dark" } else { "light" }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cookie_wins_over_the_system_preference() {
        assert!(dark_mode_for_request(["dark=1"], Some("\"light\"")));
        assert!(!dark_mode_for_request(["a=b; dark=0"], Some("\"dark\"")));
        assert!(dark_mode_for_request(["a=b"], Some("\"dark\"")));
        assert!(dark_mode_for_request([], Some("dark")));
        assert!(!dark_mode_for_request([], Some("\"light\"")));
        assert!(!dark_mode_for_request([], None));
        assert_eq!(theme_choice_from_cookies("x=1; dark=0"), Some(false));
        assert_eq!(theme_choice_from_cookies("notdark=1"), None);
    }

    #[test]
    fn only_dark_1_is_dark() {
        assert!(dark_mode_from_cookies("dark=1"));
        assert!(dark_mode_from_cookies("a=b; dark=1; c=d"));
        assert!(!dark_mode_from_cookies("dark=0"));
        assert!(!dark_mode_from_cookies("dark=true"));
        assert!(!dark_mode_from_cookies("notdark=1"));
        assert!(!dark_mode_from_cookies(""));
    }

    #[test]
    fn cookie_round_trips() {
        assert!(dark_mode_from_cookies(&dark_mode_cookie(true)));
        assert!(!dark_mode_from_cookies(&dark_mode_cookie(false)));
    }

    #[test]
    fn active_sections() {
        let chrome = Chrome {
            path: "/games/1".into(),
            dark_mode: false,
            on_dark_mode: |_| (),
        };
        assert!(chrome.is_under("/games"));
        assert!(!chrome.is_under("/gam"));
        assert!(!chrome.is_under("/standings"));
        assert!(chrome.is_under("/"));
    }
}
