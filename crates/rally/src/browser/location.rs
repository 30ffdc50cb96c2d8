//! The page's URL, read by one JS function, and its history.
//!
//! web-sys's `Location` getters are one import each, with exception glue (they throw for a
//! cross-origin location, which a page's own never is) and a string return of their own. Rally
//! reads five of them and calls `reload`; one function reading any part, and one reloading,
//! are what every routing bundle needs instead. rally-build pastes them into the glue.

use wasm_bindgen::prelude::wasm_bindgen;

#[wasm_bindgen(inline_js = "export function rallyLocation(part) {
  return String(location[part]);
}
export function rallyReload() {
  location.reload();
}
export function rallyPushState(path) {
  try {
    history.pushState(null, '', path);
  } catch (e) {
    console.warn('rally: cannot push ' + path + ' to the history', e);
  }
}")]
extern "C" {
    /// `String(location[part])`.
    #[wasm_bindgen(js_name = rallyLocation)]
    fn part(name: &str) -> String;
    /// `location.reload()`.
    #[wasm_bindgen(js_name = rallyReload)]
    pub(crate) fn reload();
    /// `history.pushState(null, '', path)`; a failure (a path of another origin) is a warning
    /// on the console.
    #[wasm_bindgen(js_name = rallyPushState)]
    pub(crate) fn push(path: &str);
}

/// The path and query of the page's URL (`location.pathname + location.search`).
pub(crate) fn path_and_query() -> String {
    let mut path = part("pathname");
    path.push_str(&part("search"));
    path
}

/// `location.href`.
pub(crate) fn href() -> String {
    part("href")
}

/// `location.protocol` (`https:`).
pub(crate) fn protocol() -> String {
    part("protocol")
}

/// `location.host` (name and port).
pub(crate) fn host() -> String {
    part("host")
}
