//! The document-level reads and writes of a Rally page — its title, theme, cookies, session
//! storage, focus, and which link a click follows — as a few JS functions.
//!
//! Through web-sys each was an import with glue of its own: exception wrappers (`matchMedia`,
//! `querySelector` and `setAttribute` are marked as throwing, and never do as Rally calls them;
//! `cookie` and `sessionStorage` do throw in a sandboxed frame, and are caught here, as Rally
//! ignored those errors before), `instanceof` checks to reach `HtmlDocument`, and string
//! marshalling both ways. rally-build pastes these functions into the glue.

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
  try {
    return document.cookie;
  } catch (e) {
    return '';
  }
}
export function rallySetCookie(cookie) {
  try {
    document.cookie = cookie;
  } catch (e) {}
}
export function rallyPrefersDark() {
  return matchMedia('(prefers-color-scheme: dark)').matches;
}
export function rallySessionGet(key) {
  try {
    return sessionStorage.getItem(key);
  } catch (e) {
    return null;
  }
}
export function rallySessionSet(key, value) {
  try {
    sessionStorage.setItem(key, value);
  } catch (e) {}
}
export function rallyFocus(selector) {
  let element = null;
  try {
    element = document.querySelector(selector);
  } catch (e) {
    console.warn('rally: focus: not a CSS selector: ' + selector);
  }
  if (element instanceof HTMLElement) element.focus();
}
export function rallyLinkTarget(event) {
  if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey
    || event.shiftKey || event.altKey) return undefined;
  const target = event.target;
  const a = target instanceof Element ? target.closest('a[href]') : null;
  if (!(a instanceof HTMLAnchorElement) || a.target !== '' || a.hasAttribute('download')
    || a.hasAttribute('data-rally-document-nav') || a.origin !== location.origin) return undefined;
  const path = a.pathname + a.search;
  if (a.hash !== '' && path === location.pathname + location.search) return undefined;
  return path;
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
    /// `document.cookie`; empty where cookies are refused (a sandboxed frame).
    #[wasm_bindgen(js_name = rallyCookies)]
    pub(crate) fn cookies() -> String;
    /// Writes one cookie (`document.cookie = …`); nothing where cookies are refused.
    #[wasm_bindgen(js_name = rallySetCookie)]
    pub(crate) fn set_cookie(cookie: &str);
    /// Whether the system asks for a dark theme.
    #[wasm_bindgen(js_name = rallyPrefersDark)]
    pub(crate) fn prefers_dark() -> bool;
    /// `sessionStorage.getItem(key)`; `None` also where storage is unavailable.
    #[wasm_bindgen(js_name = rallySessionGet)]
    pub(crate) fn session_get(key: &str) -> Option<String>;
    /// `sessionStorage.setItem(key, value)`; nothing where storage is unavailable or full.
    #[wasm_bindgen(js_name = rallySessionSet)]
    pub(crate) fn session_set(key: &str, value: &str);
    /// Focuses the first element matching `selector`, if it can take focus; an invalid
    /// selector is a console warning.
    #[wasm_bindgen(js_name = rallyFocus)]
    pub(crate) fn focus(selector: &str);
    /// The path and query a click on a same-origin link asks to go to, when the page may route
    /// it itself: a plain left click, not on a link with a `target`, `download` or
    /// `data-rally-document-nav`, nor on an anchor within the current page.
    #[wasm_bindgen(js_name = rallyLinkTarget)]
    pub(crate) fn link_target(event: &web_sys::Event) -> Option<String>;
}
