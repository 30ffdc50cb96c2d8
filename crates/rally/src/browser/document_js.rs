//! The document-level reads and writes of a Rally page — its title, its theme, its cookies — as
//! a few JS functions.
//!
//! Through web-sys each was an import with glue of its own: exception wrappers (`cookie`,
//! `matchMedia`, `querySelector` and `setAttribute` are marked as throwing, and never do as
//! Rally calls them), `instanceof` checks to reach `HtmlDocument`, and string marshalling both
//! ways. rally-build pastes these functions into the glue.

use wasm_bindgen::prelude::wasm_bindgen;

#[wasm_bindgen(inline_js = "export function rallyAppName() {
  const meta = document.querySelector('meta[name=\"application-name\"]');
  return meta === null ? document.title : meta.getAttribute('content') ?? document.title;
}
export function rallySetTitle(title) {
  if (document.title !== title) document.title = title;
}
export function rallyTheme() {
  return document.documentElement.getAttribute('data-theme');
}
export function rallySetTheme(name) {
  document.documentElement.setAttribute('data-theme', name);
}
export function rallyCookies() {
  return document.cookie;
}
export function rallySetCookie(cookie) {
  document.cookie = cookie;
}
export function rallyPrefersDark() {
  return matchMedia('(prefers-color-scheme: dark)').matches;
}")]
extern "C" {
    /// The server's `<meta name="application-name">`, else the title it rendered.
    #[wasm_bindgen(js_name = rallyAppName)]
    pub(crate) fn app_name() -> String;
    /// Sets `document.title` if it differs (setting it is not free: the browser updates the
    /// tab and the history entry).
    #[wasm_bindgen(js_name = rallySetTitle)]
    pub(crate) fn set_title(title: &str);
    /// `<html data-theme>`, if set.
    #[wasm_bindgen(js_name = rallyTheme)]
    pub(crate) fn theme() -> Option<String>;
    /// Sets `<html data-theme>`.
    #[wasm_bindgen(js_name = rallySetTheme)]
    pub(crate) fn set_theme(name: &str);
    /// `document.cookie`.
    #[wasm_bindgen(js_name = rallyCookies)]
    pub(crate) fn cookies() -> String;
    /// Writes one cookie (`document.cookie = …`).
    #[wasm_bindgen(js_name = rallySetCookie)]
    pub(crate) fn set_cookie(cookie: &str);
    /// Whether the system asks for a dark theme.
    #[wasm_bindgen(js_name = rallyPrefersDark)]
    pub(crate) fn prefers_dark() -> bool;
}
