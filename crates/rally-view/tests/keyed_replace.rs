//! A keyed list whose rows are all replaced (the js-framework-benchmark's "replace all rows")
//! is cleared in one mutation and refilled, whether the new keys lie beyond the old ones (new
//! ids, the common case, found without sorting) or among them; a list that keeps one key
//! keeps that row's node.

use rally_view::dom::Dom;
use rally_view::dom::memory::MemoryDom;
use rally_view::html::{self, li, text};
use rally_view::{Element, Key};

fn list(keys: &[i64]) -> Element<()> {
    html::keyed(
        "ul",
        [],
        keys.iter()
            .map(|&k| (Key::from(k), li([], [text(k.to_string())]))),
    )
}

/// The mutations an update from `old` to `new` makes, the state after it, and whether the
/// first old row's node is still the first row's.
fn replace(old: &[i64], new: &[i64]) -> (usize, String, bool) {
    let mut backend = MemoryDom::new();
    let root = backend.create_container();
    let mut dom = Dom::mount(backend, root, list(old));
    let ul = dom.backend().children(root)[0];
    let first = dom.backend().children(ul)[0];
    let before = dom.backend().mutations;
    dom.update(list(new));
    let b = dom.backend();
    let kept = b.children(ul).first() == Some(&first);
    (b.mutations - before, b.inner_state(root), kept)
}

fn expected(keys: &[i64]) -> String {
    let mut backend = MemoryDom::new();
    let root = backend.create_container();
    Dom::mount(backend, root, list(keys))
        .backend()
        .inner_state(root)
}

#[test]
fn new_keys_beyond_the_old_ones_clear_the_list_at_once() {
    let old: Vec<i64> = (1..=10).collect();
    let new: Vec<i64> = (11..=20).collect();
    let (mutations, state, kept) = replace(&old, &new);
    // One clear, ten inserts: no row removed one by one.
    assert_eq!(mutations, 1 + 10);
    assert_eq!(state, expected(&new));
    assert!(!kept);
}

#[test]
fn new_keys_below_the_old_ones_clear_the_list_too() {
    let (mutations, state, _) = replace(&[50, 60, 70], &[1, 2, 3, 4]);
    assert_eq!(mutations, 1 + 4);
    assert_eq!(state, expected(&[1, 2, 3, 4]));
}

#[test]
fn new_keys_among_the_old_ones_but_none_shared_clear_the_list_too() {
    let old = [2, 4, 6, 8, 10];
    let new = [1, 3, 5, 7, 9, 11];
    let (mutations, state, _) = replace(&old, &new);
    assert_eq!(mutations, 1 + 6);
    assert_eq!(state, expected(&new));
}

#[test]
fn one_shared_key_keeps_its_row_instead_of_clearing() {
    let old = [1, 2, 3, 4];
    // Key 1 stays, first in both; the rest is new and inside the old range's reach.
    let new = [1, 5, 6, 7];
    let (_, state, kept) = replace(&old, &new);
    assert_eq!(state, expected(&new));
    assert!(kept, "the row keyed 1 keeps its node");
}

#[test]
fn a_shared_key_in_the_middle_is_found_whatever_the_range() {
    let old = [10, 20, 30];
    let new = [5, 20, 40];
    let (mutations, state, _) = replace(&old, &new);
    assert_eq!(state, expected(&new));
    // Not cleared: the row keyed 20 stays, so two removals and two inserts.
    assert_eq!(mutations, 4);
}
