//! Pages that repeat are rendered once.
//!
//! Hydration already asks that a page's HTML be a function of what the browser is given: it
//! rebuilds the page from the URL, the payload (the shared state and the load result) and the
//! theme, and adopts the server's DOM as its own. So a request whose path, theme and payload
//! equal an earlier one's gets that request's HTML, and `initial_model`, `update`, `view` and
//! `head` are skipped. The load still runs every time: its result is the key, and it is what
//! changes when data does. On the Scoreboard's `/games` the view's build, render and drop were
//! about half of a request's instructions (issue 19).
//!
//! Only anonymous visitors' pages are kept (a signed-in user's page may hold what only they
//! may see, as in the gzip cache, ADR 0036). A path is kept from its second sighting, so a
//! flood of URLs seen once costs each a short string in a ring and cannot push the popular
//! pages out. When the entries are full, the oldest one that was not served since it was
//! last passed over goes (a second chance, as in a CLOCK cache): a stream of URLs each
//! requested twice pushes out only each other, not a page that visitors keep asking for.
//! Entries are few and bounded in size.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use axum::http::StatusCode;

use crate::page::Head;

/// Pages kept: a mount's popular paths in both themes.
const ENTRIES: usize = 32;
/// Paths seen once, waiting for a second sighting.
const SEEN: usize = 64;
/// Larger paths, payloads or pages (body and head) are rendered per request.
const MAX_PATH_BYTES: usize = 2 * 1024;
const MAX_PAYLOAD_BYTES: usize = 256 * 1024;
const MAX_BODY_BYTES: usize = 256 * 1024;

/// What a page's HTML is a function of.
#[derive(Clone, Copy)]
pub(crate) struct Key<'a> {
    /// The requested path with its query (the route and the query parameters).
    pub path: &'a str,
    pub dark_mode: bool,
    /// The hydration payload: the shared state and the load result, encoded.
    pub payload: &'a str,
}

/// A page as its render made it, before the document wraps it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Page {
    pub status: StatusCode,
    /// The view inside the mount's shell.
    pub body: String,
    /// The route's canonical path.
    pub canonical: String,
    pub head: Head,
}

impl Page {
    /// The bytes it holds: the body, the canonical path and the head's texts.
    fn size(&self) -> usize {
        let text = |t: &Option<String>| t.as_ref().map_or(0, String::len);
        self.body.len()
            + self.canonical.len()
            + text(&self.head.title)
            + text(&self.head.description)
    }
}

/// Rendered pages by their inputs, for one mount.
#[derive(Default)]
pub(crate) struct RenderMemo {
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    entries: Vec<Arc<Entry>>,
    seen: Vec<Box<str>>,
    next_seen: usize,
}

struct Entry {
    path: Box<str>,
    dark_mode: bool,
    payload: Box<str>,
    page: Page,
    /// Served since eviction last passed over it: it gets a second chance.
    served: AtomicBool,
}

impl RenderMemo {
    /// The page rendered before for `key`, if it is kept.
    pub(crate) fn get(&self, key: Key<'_>) -> Option<Page> {
        let entry = self.lock().find(key)?;
        // Compared outside the lock: a payload may be up to `MAX_PAYLOAD_BYTES`.
        if *entry.payload != *key.payload {
            return None;
        }
        entry.served.store(true, Ordering::Relaxed);
        Some(entry.page.clone())
    }

    /// Keeps `page` as the render for `key` if its path was seen before (or is kept with
    /// another payload, which `page` replaces).
    pub(crate) fn keep(&self, key: Key<'_>, page: &Page) {
        if key.path.len() > MAX_PATH_BYTES
            || key.payload.len() > MAX_PAYLOAD_BYTES
            || page.size() > MAX_BODY_BYTES
        {
            return;
        }
        {
            let mut state = self.lock();
            if state.position(key).is_none() && !state.seen_before(key.path) {
                return;
            }
        }
        // Copied outside the lock: a page and its payload may be hundreds of kilobytes.
        let entry = Arc::new(Entry {
            path: key.path.into(),
            dark_mode: key.dark_mode,
            payload: key.payload.into(),
            page: page.clone(),
            served: AtomicBool::new(false),
        });
        let replaced = {
            let mut state = self.lock();
            // Looked up again: another thread may have kept or evicted the path meanwhile.
            match state.position(key) {
                Some(at) => Some(std::mem::replace(&mut state.entries[at], entry)),
                None => {
                    let evicted = (state.entries.len() == ENTRIES).then(|| state.evict());
                    state.entries.push(entry);
                    evicted
                }
            }
        };
        // The old entry is freed after the lock is released.
        drop(replaced);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // A panic elsewhere while holding the lock leaves a consistent list.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl State {
    fn position(&self, key: Key<'_>) -> Option<usize> {
        self.entries
            .iter()
            .position(|e| e.dark_mode == key.dark_mode && *e.path == *key.path)
    }

    fn find(&self, key: Key<'_>) -> Option<Arc<Entry>> {
        self.position(key).map(|at| Arc::clone(&self.entries[at]))
    }

    /// Removes the oldest entry not served since it was last passed over; the served ones it
    /// passes go to the back with their mark cleared. At most one round: when every entry was
    /// served, the oldest goes after all.
    fn evict(&mut self) -> Arc<Entry> {
        for _ in 0..self.entries.len() {
            if !self.entries[0].served.swap(false, Ordering::Relaxed) {
                break;
            }
            self.entries.rotate_left(1);
        }
        self.entries.remove(0)
    }

    /// Whether `path` was seen before; records it otherwise.
    fn seen_before(&mut self, path: &str) -> bool {
        if self.seen.iter().any(|p| **p == *path) {
            return true;
        }
        if self.seen.len() < SEEN {
            self.seen.push(path.into());
        } else {
            self.seen[self.next_seen] = path.into();
            self.next_seen = (self.next_seen + 1) % SEEN;
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(body: &str) -> Page {
        Page {
            status: StatusCode::OK,
            body: body.into(),
            canonical: "/games".into(),
            head: Head::default(),
        }
    }

    /// Keeps `page` for `key` from its second sighting, as a popular page is.
    fn kept(memo: &RenderMemo, key: Key<'_>, page: &Page) {
        memo.keep(key, page);
        memo.keep(key, page);
    }

    fn key<'a>(path: &'a str, dark_mode: bool, payload: &'a str) -> Key<'a> {
        Key {
            path,
            dark_mode,
            payload,
        }
    }

    #[test]
    fn a_page_is_kept_from_its_paths_second_sighting() {
        let memo = RenderMemo::default();
        let games = key("/games", false, "AAA");
        memo.keep(games, &page("first"));
        assert_eq!(memo.get(games), None, "seen once: not kept");
        memo.keep(games, &page("second"));
        assert_eq!(memo.get(games), Some(page("second")));
    }

    #[test]
    fn another_payload_theme_or_path_is_not_served_the_kept_page() {
        let memo = RenderMemo::default();
        let games = key("/games", false, "AAA");
        kept(&memo, games, &page("light"));
        assert_eq!(memo.get(key("/games", false, "AAB")), None, "new data");
        assert_eq!(memo.get(key("/games", true, "AAA")), None, "dark theme");
        assert_eq!(memo.get(key("/games?team=x", false, "AAA")), None);
        assert_eq!(memo.get(games), Some(page("light")));
    }

    #[test]
    fn new_data_replaces_the_kept_page_of_its_path() {
        let memo = RenderMemo::default();
        kept(&memo, key("/games", false, "old"), &page("old"));
        memo.keep(key("/games", false, "new"), &page("new"));
        assert_eq!(memo.get(key("/games", false, "old")), None);
        assert_eq!(memo.get(key("/games", false, "new")), Some(page("new")));
        assert_eq!(memo.lock().entries.len(), 1);
    }

    #[test]
    fn a_flood_of_distinct_paths_keeps_the_popular_page() {
        let memo = RenderMemo::default();
        let games = key("/games", false, "AAA");
        kept(&memo, games, &page("games"));
        for i in 0..10_000 {
            let path = format!("/games?x={i}");
            memo.keep(key(&path, false, "AAA"), &page("flood"));
        }
        assert_eq!(memo.get(games), Some(page("games")));
        let state = memo.lock();
        assert_eq!(state.entries.len(), 1);
        assert_eq!(state.seen.len(), SEEN);
    }

    #[test]
    fn entries_are_bounded_and_the_oldest_goes_first() {
        let memo = RenderMemo::default();
        let paths: Vec<String> = (0..=ENTRIES).map(|i| format!("/p{i}")).collect();
        for path in &paths {
            kept(&memo, key(path, false, "x"), &page(path));
        }
        assert_eq!(memo.lock().entries.len(), ENTRIES);
        assert_eq!(memo.get(key(&paths[0], false, "x")), None);
        let last = &paths[ENTRIES];
        assert_eq!(memo.get(key(last, false, "x")), Some(page(last)));
    }

    #[test]
    fn a_page_served_again_outlives_a_stream_of_pages_each_requested_twice() {
        let memo = RenderMemo::default();
        let games = key("/games", false, "AAA");
        kept(&memo, games, &page("games"));
        for i in 0..10 * ENTRIES {
            let path = format!("/team/{i}");
            kept(&memo, key(&path, false, "x"), &page(&path));
            if i % ENTRIES == 0 {
                assert_eq!(memo.get(games), Some(page("games")), "after {i} others");
            }
        }
        assert_eq!(memo.get(games), Some(page("games")));
        assert_eq!(memo.lock().entries.len(), ENTRIES);

        // Once it is no longer asked for, it goes like the others.
        for i in 0..2 * ENTRIES {
            let path = format!("/player/{i}");
            kept(&memo, key(&path, false, "x"), &page(&path));
        }
        assert_eq!(memo.get(games), None);
    }

    #[test]
    fn oversized_pages_are_not_kept() {
        let memo = RenderMemo::default();
        let big = "x".repeat(MAX_BODY_BYTES + 1);
        let games = key("/games", false, "AAA");
        kept(&memo, games, &page(&big));
        assert_eq!(memo.get(games), None);
        let mut long_title = page("small body");
        long_title.head.title = Some("t".repeat(MAX_BODY_BYTES));
        kept(&memo, games, &long_title);
        assert_eq!(memo.get(games), None, "the head counts too");
        let long_path = format!("/games?{}", "q".repeat(MAX_PATH_BYTES));
        kept(&memo, key(&long_path, false, "A"), &page("a"));
        assert_eq!(memo.get(key(&long_path, false, "A")), None);
    }
}
