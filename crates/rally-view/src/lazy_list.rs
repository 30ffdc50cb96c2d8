//! Keyed lists of lazy rows: a long list whose unchanged rows cost a comparison, not a node.
//!
//! `html::keyed(tag, attrs, rows.map(|r| (key, lazy(arg, view))))` already skips the view and
//! the diff of an unchanged row, but it still makes a lazy node per row on every render, keeps
//! it in a `(Key, Element)` pair, compares it through a trait object, hands its built subtree
//! over and drops the old node: about 290 instructions per unchanged row, natively. Selecting
//! one row of a 1,000-row table was therefore ~490 k instructions where the DOM work is two
//! class changes, and the js-framework-benchmark's select stayed at 1.5–1.7× vanilla
//! (bench/README).
//!
//! [`keyed_lazy`] keeps the list as data instead: the keys in one vector, the arguments in
//! another, and one view function for all rows. The next render compares the two argument
//! vectors in one monomorphic loop; when the keys are the same in the same order (a selection,
//! an edit of some rows), the previous render's built rows are taken over as a whole and only
//! the changed rows are built and diffed. When keys move, the keyed diff runs as for
//! `html::keyed`, with each row built only when it is new or its argument changed.
//!
//! [`keyed_lazy_shared`] goes one step further for rows the model keeps in an `Arc<Vec<T>>`:
//! the list holds that vector, not a copy of each row, and makes its keys only when a diff
//! needs them. A render of the very same vector, where only which row is marked changed (a
//! selection), reads no row beyond finding the marked one (ADR 0048).
//!
//! Either list first compares its rows with the last render's (`RowDiff`): rows edited in
//! place, two rows swapped and one run removed or inserted are found without making keys or
//! running the keyed diff (ADR 0067).
//!
//! On the server and when hydrating, each row is built with its view, so the markup is exactly
//! that of `html::keyed` over `lazy` rows. As with [`lazy`](crate::lazy::lazy), a row whose
//! view does not return one element is wrapped in a `<rally-lazy>` element, and `Element::map`
//! keeps the list lazy (ADR 0029, ADR 0039).

// A browser build without the `lazy-lists` feature cannot make a lazy list
// (`html::LazyLists`), so what only diffs one is unused there, and left out of its bundle
// (docs/adr/0049, 0064).
#![cfg_attr(not(rally_lazy_lists), allow(dead_code))]

use std::any::Any;
use std::cell::{OnceCell, Ref, RefCell};
use std::marker::PhantomData;
use std::sync::Arc;

use crate::lazy::one_node;
use crate::vdom::{AnyElement, Attribute, Children, Element, Key, KeyRef, Mapper, Namespace, Str};

/// The rows of a [`keyed_lazy`] list: their keys, their arguments and view, and the rows once
/// built.
pub struct LazyList {
    rows: Box<dyn Rows>,
    /// Built rows by position; shorter than `keys` (or `None`) where a row is not built yet.
    /// Boxed, so that handing a row from one render to the next moves a pointer: rows moved
    /// in place took a quarter more script time to remove one row of 1,000 in Chromium.
    built: RefCell<Vec<Option<Box<AnyElement>>>>,
}

/// A list's keys: integers (ids, nearly always) in a vector of their own, which costs a
/// third of the `Key`s' bytes to build and compares without matching each key's kind.
pub(crate) enum Keys {
    Ints(Vec<i64>),
    Any(Vec<Key>),
}

impl Keys {
    /// The keys in order: integers in a vector of their own until the first other key.
    fn collect(mut keys: impl Iterator<Item = Key>) -> Keys {
        let mut ints = Vec::with_capacity(keys.size_hint().0);
        loop {
            let Some(key) = keys.next() else {
                return Keys::Ints(ints);
            };
            match key.into_int() {
                Ok(n) => ints.push(n),
                Err(key) => {
                    let mut all: Vec<Key> = ints.into_iter().map(Key::from).collect();
                    all.push(key);
                    all.extend(keys);
                    return Keys::Any(all);
                }
            }
        }
    }

    pub(crate) fn len(&self) -> usize {
        match self {
            Keys::Ints(ints) => ints.len(),
            Keys::Any(keys) => keys.len(),
        }
    }

    /// Key `i`, which must exist.
    pub(crate) fn get(&self, i: usize) -> KeyRef<'_> {
        match self {
            Keys::Ints(ints) => KeyRef::Int(ints[i]),
            Keys::Any(keys) => keys[i].key_ref(),
        }
    }

    /// How many keys at the start both lists share.
    pub(crate) fn common_prefix(&self, other: &Keys) -> usize {
        (0..self.len().min(other.len()))
            .take_while(|&i| self.get(i) == other.get(i))
            .count()
    }

    /// How many keys at the end both lists share, at most `max`.
    pub(crate) fn common_suffix(&self, other: &Keys, max: usize) -> usize {
        let (n, m) = (self.len(), other.len());
        (1..=max.min(n).min(m))
            .take_while(|&k| self.get(n - k) == other.get(m - k))
            .count()
    }

    /// Whether both lists have the same keys in the same order.
    pub(crate) fn same_as(&self, other: &Keys) -> bool {
        match (self, other) {
            // Without early exit, so the loop needs no branch per key (nor `memcmp`, a byte
            // loop in wasm).
            (Keys::Ints(a), Keys::Ints(b)) => {
                a.len() == b.len() && a.iter().zip(b).fold(0, |acc, (x, y)| acc | (x ^ y)) == 0
            }
            _ => self.len() == other.len() && (0..self.len()).all(|i| self.get(i) == other.get(i)),
        }
    }
}

/// A list's keys, arguments and view, behind one trait object per list (not per row).
trait Rows {
    fn len(&self) -> usize;
    fn keys(&self) -> &Keys;
    fn build(&self, i: usize) -> AnyElement;
    /// Whether row `i` shows what `old`'s row `j` showed: same view, equal arguments.
    fn same_at(&self, i: usize, old: &dyn Rows, j: usize) -> bool;
    /// For `len` rows from position `at` here matching `old`'s from `old_at` key by key: the
    /// positions (here) whose argument changed, in order; `None` when the view differs (every
    /// row changed).
    fn changed(&self, old: &dyn Rows, at: usize, old_at: usize, len: usize) -> Option<Vec<usize>>;
    /// For a render of the very rows `old` showed, with the same view: the positions whose
    /// mark changed, in order (at most two). `None` when the rows may differ.
    fn remarked(&self, _old: &dyn Rows) -> Option<Vec<usize>> {
        None
    }
    /// How these rows differ from `old`'s, found by comparing rows rather than keys, for the
    /// few shapes that settles (see [`RowDiff`]); `None` for anything else.
    fn row_diff(&self, old: &dyn Rows) -> Option<RowDiff>;
    /// The marked row's position and the class the list puts on its root, for a list that
    /// shows the mark itself ([`keyed_lazy_shared_class`]).
    fn class_mark(&self) -> Option<(usize, &Str)> {
        None
    }
    /// Whether `old` marked the same key with the same class: the DOM's mark then stays.
    fn same_class_mark(&self, _old: &dyn Rows) -> bool {
        false
    }
    /// Where `old`'s marked row is among these rows: `Some(None)` when it is not, `None`
    /// when that cannot be told (another kind of list).
    fn position_of_mark(&self, _old: &dyn Rows) -> Option<Option<usize>> {
        None
    }
    fn as_any(&self) -> &dyn Any;
}

/// How a render's rows differ from the last render's, when every row but a few is the very
/// row it was (equal, with the same mark), at the same place or shifted by one run.
///
/// A list's updates are nearly always of this shape: rows edited in place, two rows swapped,
/// one run of rows removed or inserted. Comparing the rows finds it in one loop that reads
/// no key but those of the changed rows; the keyed diff needs both lists' keys and visits
/// every row through a trait object (in the js-framework-benchmark's swap, 350 instructions
/// a row, natively).
#[derive(Debug)]
pub(crate) enum RowDiff {
    /// As many rows as before, each in its place except one pair that swapped places, `(a,
    /// b)` with `a < b`. `changed` are the rows to build and patch, as (new position, old
    /// position): those edited in place, and the swapped ones if they changed too.
    Aligned {
        changed: Vec<(usize, usize)>,
        swapped: Option<(usize, usize)>,
    },
    /// Rows removed or inserted between `prefix` unchanged rows and `suffix` unchanged rows.
    Run { prefix: usize, suffix: usize },
}

impl RowDiff {
    /// The diff of `new_len` rows against `old_len` old ones: `same(i, j)` says new row `i`
    /// shows what old row `j` showed, `same_key(i, j)` that they have the same key.
    fn find(
        (new_len, old_len): (usize, usize),
        same: impl Fn(usize, usize) -> bool,
        same_key: impl Fn(usize, usize) -> bool,
    ) -> Option<RowDiff> {
        if new_len != old_len {
            let least = new_len.min(old_len);
            let prefix = (0..least).take_while(|&i| same(i, i)).count();
            let suffix = (1..=least - prefix)
                .take_while(|&k| same(new_len - k, old_len - k))
                .count();
            return (prefix + suffix == least).then_some(RowDiff::Run { prefix, suffix });
        }
        let mut changed = Vec::new();
        let mut moved = [usize::MAX; 2];
        let mut moves = 0;
        for i in (0..new_len).filter(|&i| !same(i, i)) {
            if same_key(i, i) {
                changed.push((i, i));
            } else {
                *moved.get_mut(moves)? = i;
                moves += 1;
            }
        }
        let swapped = match moves {
            0 => None,
            2 if same_key(moved[0], moved[1]) && same_key(moved[1], moved[0]) => {
                let [a, b] = moved;
                changed.extend([(a, b), (b, a)].into_iter().filter(|&(i, j)| !same(i, j)));
                Some((a, b))
            }
            _ => return None,
        };
        Some(RowDiff::Aligned { changed, swapped })
    }
}

/// `old` as rows of the same kind `R` as the new ones, when their view is known to be the same
/// function (`same_view`): only then can a row be compared instead of built.
fn counterpart<R: 'static>(old: &dyn Rows, same_view: bool) -> Option<&R> {
    if !same_view {
        return None;
    }
    old.as_any().downcast_ref::<R>()
}

struct RowsOf<A, F, Msg> {
    keys: Keys,
    args: Vec<A>,
    view: F,
    msg: PhantomData<fn() -> Msg>,
}

impl<A, F, Msg> RowsOf<A, F, Msg> {
    /// Only a view that carries no data is known to be the same function as last time: a
    /// capturing closure's values could differ, so its rows are always rebuilt.
    fn same_view(&self) -> bool {
        std::mem::size_of::<F>() == 0
    }
}

impl<Msg: 'static, A, F> Rows for RowsOf<A, F, Msg>
where
    A: PartialEq + 'static,
    F: Fn(&A) -> Element<Msg> + 'static,
{
    fn len(&self) -> usize {
        self.args.len()
    }

    fn keys(&self) -> &Keys {
        &self.keys
    }

    fn build(&self, i: usize) -> AnyElement {
        (self.view)(&self.args[i]).into_any()
    }

    fn same_at(&self, i: usize, old: &dyn Rows, j: usize) -> bool {
        counterpart::<Self>(old, self.same_view())
            .is_some_and(|o| o.args.get(j) == self.args.get(i))
    }

    fn changed(&self, old: &dyn Rows, at: usize, old_at: usize, len: usize) -> Option<Vec<usize>> {
        let old = counterpart::<Self>(old, self.same_view())?;
        let (new, old) = (
            self.args.get(at..at + len)?,
            old.args.get(old_at..old_at + len)?,
        );
        let pairs = new.iter().zip(old).enumerate();
        Some(
            pairs
                .filter(|(_, (a, b))| a != b)
                .map(|(i, _)| at + i)
                .collect(),
        )
    }

    fn row_diff(&self, old: &dyn Rows) -> Option<RowDiff> {
        let old = counterpart::<Self>(old, self.same_view())?;
        RowDiff::find(
            (self.args.len(), old.args.len()),
            // A row's key is not made from its argument here: both must be equal.
            |i, j| self.keys.get(i) == old.keys.get(j) && self.args[i] == old.args[j],
            |i, j| self.keys.get(i) == old.keys.get(j),
        )
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// A list seen through `Element::map`.
struct MappedRows {
    inner: Box<dyn Rows>,
    f: Mapper,
}

impl MappedRows {
    /// `old` as a mapped list of the same mapping, if it is one.
    fn same_mapping<'o>(&self, old: &'o dyn Rows) -> Option<&'o Self> {
        old.as_any()
            .downcast_ref::<Self>()
            .filter(|o| self.f.same_as(&o.f))
    }
}

impl Rows for MappedRows {
    fn len(&self) -> usize {
        self.inner.len()
    }

    fn keys(&self) -> &Keys {
        self.inner.keys()
    }

    fn build(&self, i: usize) -> AnyElement {
        self.inner.build(i).map_with(&self.f)
    }

    fn same_at(&self, i: usize, old: &dyn Rows, j: usize) -> bool {
        self.same_mapping(old)
            .is_some_and(|o| self.inner.same_at(i, &*o.inner, j))
    }

    fn changed(&self, old: &dyn Rows, at: usize, old_at: usize, len: usize) -> Option<Vec<usize>> {
        self.inner
            .changed(&*self.same_mapping(old)?.inner, at, old_at, len)
    }

    fn remarked(&self, old: &dyn Rows) -> Option<Vec<usize>> {
        self.inner.remarked(&*self.same_mapping(old)?.inner)
    }

    fn row_diff(&self, old: &dyn Rows) -> Option<RowDiff> {
        self.inner.row_diff(&*self.same_mapping(old)?.inner)
    }

    fn class_mark(&self) -> Option<(usize, &Str)> {
        self.inner.class_mark()
    }

    fn same_class_mark(&self, old: &dyn Rows) -> bool {
        self.same_mapping(old)
            .is_some_and(|o| self.inner.same_class_mark(&*o.inner))
    }

    fn position_of_mark(&self, old: &dyn Rows) -> Option<Option<usize>> {
        self.inner.position_of_mark(&*self.same_mapping(old)?.inner)
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// An element `tag` whose children are `view(&arg)` for each `(key, arg)` of `rows`, built
/// and diffed only where `arg` changed since the last render.
///
/// This is `html::keyed(tag, attrs, rows.map(|(k, a)| (k.into(), lazy(a, view))))` without a
/// node per row, for long lists: an unchanged row costs a key and an argument comparison.
/// `view` should be a plain function or a closure that captures nothing (a capturing one
/// works, but rebuilds every row on every render). Keys must be unique among the rows. A row
/// whose view does not return one element is wrapped in a `<rally-lazy>` element.
///
/// ```
/// use rally_view::attribute::class;
/// use rally_view::html::{keyed_lazy, li, text};
/// use rally_view::{Element, render};
///
/// fn item(&(ref name, done): &(String, bool)) -> Element<()> {
///     li([class(if done { "done" } else { "open" })], [text(name.clone())])
/// }
/// let todos = [(1, "milk", true), (2, "bread", false)];
/// let list = keyed_lazy(
///     "ul",
///     [],
///     todos.iter().map(|&(id, name, done)| (id, (name.to_owned(), done))),
///     item,
/// );
/// assert_eq!(
///     render::to_html(&list),
///     r#"<ul><li class="done">milk</li><li class="open">bread</li></ul>"#
/// );
/// ```
///
/// In a browser build this needs the `lazy-lists` feature (see [`LazyLists`](crate::html::LazyLists)).
pub fn keyed_lazy<Msg, K, A, F>(
    tag: impl Into<Str>,
    attrs: impl IntoIterator<Item = Attribute<Msg>>,
    rows: impl IntoIterator<Item = (K, A)>,
    view: F,
) -> Element<Msg>
where
    Msg: crate::html::LazyLists + 'static,
    K: Into<Key>,
    A: PartialEq + 'static,
    F: Fn(&A) -> Element<Msg> + 'static,
{
    let rows = rows.into_iter();
    let mut args = Vec::with_capacity(rows.size_hint().0);
    let keys = Keys::collect(rows.map(|(key, arg)| {
        args.push(arg);
        key.into()
    }));
    let rows = RowsOf {
        keys,
        args,
        view,
        msg: PhantomData,
    };
    lazy_list_element(tag.into(), attrs, Box::new(rows))
}

fn lazy_list_element<Msg: 'static>(
    tag: Str,
    attrs: impl IntoIterator<Item = Attribute<Msg>>,
    rows: Box<dyn Rows>,
) -> Element<Msg> {
    let list = LazyList {
        rows,
        built: RefCell::new(Vec::new()),
    };
    Element::with_children(
        crate::html::checked_tag(tag),
        Namespace::Html,
        crate::vdom::collect_attrs(attrs),
        Children::LazyKeyed(list),
    )
}

/// How a shared list's rows show which one is marked: through the view, or by a class the
/// list puts on the marked row's root itself.
trait MarkedView<T, Msg>: 'static {
    /// Row `row`, marked or not.
    fn view(&self, row: &T, marked: bool) -> Element<Msg>;
    /// The class the list puts on the marked row's root; `None` when the view shows the mark
    /// (and a row whose mark changed must be built again).
    fn class(&self) -> Option<&Str>;
    /// Whether the view is known to be the same function as another render's: only a view
    /// that carries no data is (a capturing closure's values could differ).
    fn known_same(&self) -> bool;
}

/// `view(row, marked)`: [`keyed_lazy_shared`].
struct ViewShowsMark<F>(F);

impl<T, Msg, F> MarkedView<T, Msg> for ViewShowsMark<F>
where
    F: Fn(&T, bool) -> Element<Msg> + 'static,
{
    fn view(&self, row: &T, marked: bool) -> Element<Msg> {
        (self.0)(row, marked)
    }
    fn class(&self) -> Option<&Str> {
        None
    }
    fn known_same(&self) -> bool {
        std::mem::size_of::<F>() == 0
    }
}

/// `view(row)`, and `class` on the marked row's root: [`keyed_lazy_shared_class`].
struct ClassShowsMark<F> {
    view: F,
    class: Str,
}

impl<T, Msg, F> MarkedView<T, Msg> for ClassShowsMark<F>
where
    F: Fn(&T) -> Element<Msg> + 'static,
{
    fn view(&self, row: &T, _marked: bool) -> Element<Msg> {
        (self.view)(row)
    }
    fn class(&self) -> Option<&Str> {
        Some(&self.class)
    }
    fn known_same(&self) -> bool {
        std::mem::size_of::<F>() == 0
    }
}

/// The rows of a [`keyed_lazy_shared`] list: the model's own vector, shared, and the key of
/// the one row shown marked.
struct SharedRows<T, K, KF, V, Msg> {
    rows: Arc<Vec<T>>,
    key: KF,
    /// Compared with each row's key as the key type itself: a scan for an integer id is a
    /// comparison per row, not a `Key` made per row.
    mark: Option<K>,
    /// Made when a diff needs them: never while the rows stay the very same.
    keys: OnceCell<Keys>,
    /// Where the marked row is; found once.
    mark_at: OnceCell<Option<usize>>,
    view: V,
    msg: PhantomData<fn() -> Msg>,
}

impl<T, K, KF, V, Msg> SharedRows<T, K, KF, V, Msg>
where
    K: PartialEq + Into<Key>,
    KF: Fn(&T) -> K,
    V: MarkedView<T, Msg>,
{
    fn mark_at(&self) -> Option<usize> {
        *self.mark_at.get_or_init(|| {
            let mark = self.mark.as_ref()?;
            self.rows.iter().position(|row| (self.key)(row) == *mark)
        })
    }

    fn marked(&self, i: usize) -> bool {
        self.mark_at() == Some(i)
    }

    /// Whether a row's mark is part of what its view shows.
    fn view_shows_mark(&self) -> bool {
        self.view.class().is_none()
    }
}

impl<Msg: 'static, T, K, KF, V> Rows for SharedRows<T, K, KF, V, Msg>
where
    T: PartialEq + 'static,
    K: PartialEq + Into<Key> + 'static,
    KF: Fn(&T) -> K + 'static,
    V: MarkedView<T, Msg>,
{
    fn len(&self) -> usize {
        self.rows.len()
    }

    fn keys(&self) -> &Keys {
        self.keys
            .get_or_init(|| Keys::collect(self.rows.iter().map(|row| (self.key)(row).into())))
    }

    fn build(&self, i: usize) -> AnyElement {
        self.view.view(&self.rows[i], self.marked(i)).into_any()
    }

    fn same_at(&self, i: usize, old: &dyn Rows, j: usize) -> bool {
        counterpart::<Self>(old, self.view.known_same()).is_some_and(|o| {
            o.rows.get(j) == self.rows.get(i)
                && (!self.view_shows_mark() || o.marked(j) == self.marked(i))
        })
    }

    fn changed(&self, old: &dyn Rows, at: usize, old_at: usize, len: usize) -> Option<Vec<usize>> {
        let old = counterpart::<Self>(old, self.view.known_same())?;
        let (new_rows, old_rows) = (
            self.rows.get(at..at + len)?,
            old.rows.get(old_at..old_at + len)?,
        );
        let (mark, old_mark) = if self.view_shows_mark() {
            (self.mark_at(), old.mark_at())
        } else {
            (None, None)
        };
        let pairs = new_rows.iter().zip(old_rows).enumerate();
        Some(
            pairs
                .filter(|&(k, (a, b))| {
                    a != b || (mark == Some(at + k)) != (old_mark == Some(old_at + k))
                })
                .map(|(k, _)| at + k)
                .collect(),
        )
    }

    fn remarked(&self, old: &dyn Rows) -> Option<Vec<usize>> {
        let old = counterpart::<Self>(old, self.view.known_same())?;
        if !Arc::ptr_eq(&self.rows, &old.rows) {
            return None;
        }
        if !self.view_shows_mark() {
            // The list moves its class itself; no row shows anything else.
            return Some(Vec::new());
        }
        Some(match (old.mark_at(), self.mark_at()) {
            (Some(a), Some(b)) if a == b => Vec::new(),
            (Some(a), Some(b)) => vec![a.min(b), a.max(b)],
            (Some(a), None) | (None, Some(a)) => vec![a],
            (None, None) => Vec::new(),
        })
    }

    fn row_diff(&self, old: &dyn Rows) -> Option<RowDiff> {
        let old = counterpart::<Self>(old, self.view.known_same())?;
        let (new_rows, old_rows) = (&self.rows[..], &old.rows[..]);
        let (mark, old_mark) = if self.view_shows_mark() {
            (self.mark_at(), old.mark_at())
        } else {
            (None, None)
        };
        let same_key = |i: usize, j: usize| (self.key)(&new_rows[i]) == (old.key)(&old_rows[j]);
        // A key function that captures nothing gives equal rows equal keys; one that
        // captures may not, so its keys are compared too.
        let keyed_by_row = std::mem::size_of::<KF>() == 0;
        RowDiff::find(
            (new_rows.len(), old_rows.len()),
            |i, j| {
                new_rows[i] == old_rows[j]
                    && (mark == Some(i)) == (old_mark == Some(j))
                    && (keyed_by_row || same_key(i, j))
            },
            same_key,
        )
    }

    fn class_mark(&self) -> Option<(usize, &Str)> {
        let class = self.view.class()?;
        Some((self.mark_at()?, class))
    }

    fn same_class_mark(&self, old: &dyn Rows) -> bool {
        old.as_any()
            .downcast_ref::<Self>()
            .is_some_and(|o| o.mark == self.mark && o.view.class() == self.view.class())
    }

    fn position_of_mark(&self, old: &dyn Rows) -> Option<Option<usize>> {
        let old = old.as_any().downcast_ref::<Self>()?;
        if Arc::ptr_eq(&self.rows, &old.rows) {
            return Some(old.mark_at());
        }
        let Some(mark) = &old.mark else {
            return Some(None);
        };
        Some(self.rows.iter().position(|row| (self.key)(row) == *mark))
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// A [`keyed_lazy`] list over rows the model keeps in an `Arc<Vec<T>>`, with at most one row
/// marked (the selected one, the one under the cursor): `view(row, marked)` for each row.
///
/// A render of the very same vector (`Arc::ptr_eq`) costs nothing per row: marking another
/// row rebuilds and patches the two rows whose mark changed, and reads no other row. This is
/// what Elm's reference-equality `lazy` gives a list that did not change, and what Solid's
/// `createSelector` gives a selection. When the vector is another one (the model changed it,
/// with `Arc::make_mut` for instance), rows are compared as `keyed_lazy` compares arguments:
/// only new rows, changed rows and rows whose mark changed are built.
///
/// `key` gives each row's key; keys must be unique among the rows. `view` should be a plain
/// function or a closure that captures nothing (a capturing one works, but rebuilds every row
/// on every render). When the mark only adds a class to the row, [`keyed_lazy_shared_class`]
/// moves it without building any row.
///
/// ```
/// use std::sync::Arc;
/// use rally_view::attribute::{self, class};
/// use rally_view::html::{keyed_lazy_shared, li, text};
/// use rally_view::{Element, render};
///
/// struct Todo { id: u32, name: &'static str }
/// # impl PartialEq for Todo { fn eq(&self, o: &Self) -> bool { self.id == o.id } }
/// fn item(todo: &Todo, selected: bool) -> Element<()> {
///     li([if selected { class("selected") } else { attribute::none() }], [text(todo.name)])
/// }
/// let todos = Arc::new(vec![Todo { id: 1, name: "milk" }, Todo { id: 2, name: "bread" }]);
/// let list = keyed_lazy_shared("ul", [], todos, |t: &Todo| t.id, Some(2), item);
/// assert_eq!(
///     render::to_html(&list),
///     r#"<ul><li>milk</li><li class="selected">bread</li></ul>"#
/// );
/// ```
///
/// In a browser build this needs the `lazy-lists` feature (see [`LazyLists`](crate::html::LazyLists)).
pub fn keyed_lazy_shared<Msg, T, K, KF, F>(
    tag: impl Into<Str>,
    attrs: impl IntoIterator<Item = Attribute<Msg>>,
    rows: Arc<Vec<T>>,
    key: KF,
    marked: Option<K>,
    view: F,
) -> Element<Msg>
where
    Msg: crate::html::LazyLists + 'static,
    T: PartialEq + 'static,
    K: PartialEq + Into<Key> + 'static,
    KF: Fn(&T) -> K + 'static,
    F: Fn(&T, bool) -> Element<Msg> + 'static,
{
    shared_list(tag.into(), attrs, rows, key, marked, ViewShowsMark(view))
}

/// A [`keyed_lazy_shared`] list whose marked row is shown by `class` on its root element,
/// which the list adds and removes itself: `view(row)` for each row.
///
/// The view does not see the mark, so moving it builds, compares and patches no row: it
/// takes the class off one element and puts it on another (`classList.toggle`), as
/// hand-written JavaScript does. Selecting a row of a long table costs two class changes
/// (ADR 0069). The server writes the class into the marked row's markup (joined to the
/// root's own `class`, if any), and hydration expects it there.
///
/// The root is the element the view returns, or the `<rally-lazy>` wrapper of a view that does
/// not return one element. The view should not put the mark's class on the root itself: it
/// would be taken off both. A row that lost the mark keeps an empty `class` attribute if it
/// had no other class, as `classList` leaves it; a patch that changes the marked row's own
/// `class` writes it, then puts the mark back on.
///
/// ```
/// use std::sync::Arc;
/// use rally_view::html::{keyed_lazy_shared_class, li, text};
/// use rally_view::{Element, render};
///
/// struct Todo { id: u32, name: &'static str }
/// # impl PartialEq for Todo { fn eq(&self, o: &Self) -> bool { self.id == o.id } }
/// fn item(todo: &Todo) -> Element<()> {
///     li([], [text(todo.name)])
/// }
/// let todos = Arc::new(vec![Todo { id: 1, name: "milk" }, Todo { id: 2, name: "bread" }]);
/// let list = keyed_lazy_shared_class("ul", [], todos, |t: &Todo| t.id, Some(2), "selected", item);
/// assert_eq!(
///     render::to_html(&list),
///     r#"<ul><li>milk</li><li class="selected">bread</li></ul>"#
/// );
/// ```
///
/// In a browser build this needs the `lazy-lists` feature (see [`LazyLists`](crate::html::LazyLists)).
pub fn keyed_lazy_shared_class<Msg, T, K, KF, F>(
    tag: impl Into<Str>,
    attrs: impl IntoIterator<Item = Attribute<Msg>>,
    rows: Arc<Vec<T>>,
    key: KF,
    marked: Option<K>,
    class: impl Into<Str>,
    view: F,
) -> Element<Msg>
where
    Msg: crate::html::LazyLists + 'static,
    T: PartialEq + 'static,
    K: PartialEq + Into<Key> + 'static,
    KF: Fn(&T) -> K + 'static,
    F: Fn(&T) -> Element<Msg> + 'static,
{
    let view = ClassShowsMark {
        view,
        class: class.into(),
    };
    shared_list(tag.into(), attrs, rows, key, marked, view)
}

fn shared_list<Msg, T, K, KF, V>(
    tag: Str,
    attrs: impl IntoIterator<Item = Attribute<Msg>>,
    rows: Arc<Vec<T>>,
    key: KF,
    marked: Option<K>,
    view: V,
) -> Element<Msg>
where
    Msg: 'static,
    T: PartialEq + 'static,
    K: PartialEq + Into<Key> + 'static,
    KF: Fn(&T) -> K + 'static,
    V: MarkedView<T, Msg>,
{
    let rows = SharedRows {
        rows,
        key,
        mark: marked,
        keys: OnceCell::new(),
        mark_at: OnceCell::new(),
        view,
        msg: PhantomData,
    };
    lazy_list_element(tag, attrs, Box::new(rows))
}

impl LazyList {
    /// The number of rows.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// Whether the list has no rows.
    pub fn is_empty(&self) -> bool {
        self.rows.len() == 0
    }

    /// The rows' keys, in order.
    pub(crate) fn keys(&self) -> &Keys {
        self.rows.keys()
    }

    /// Every row, built where it was not yet (rendering, hydrating, creating the list).
    pub(crate) fn force_all(&self) -> Ref<'_, [Option<Box<AnyElement>>]> {
        {
            let mut built = self.built.borrow_mut();
            built.resize_with(self.len(), || None);
            for (i, row) in built.iter_mut().enumerate() {
                if row.is_none() {
                    *row = Some(Box::new(one_node(self.rows.build(i))));
                }
            }
        }
        Ref::map(self.built.borrow(), |b| b.as_slice())
    }

    /// Whether row `i` shows what `old`'s row `j` showed.
    pub(crate) fn same_at(&self, i: usize, old: &LazyList, j: usize) -> bool {
        self.rows.same_at(i, &*old.rows, j)
    }

    /// For a render of the very rows `old` showed: the positions whose mark changed, in
    /// order. `None` unless both are [`keyed_lazy_shared`] lists of the same rows and view.
    pub(crate) fn remarked_since(&self, old: &LazyList) -> Option<Vec<usize>> {
        self.rows.remarked(&*old.rows)
    }

    /// The marked row's position and the class the list itself puts on its root
    /// ([`keyed_lazy_shared_class`]).
    pub(crate) fn class_mark(&self) -> Option<(usize, &Str)> {
        self.rows.class_mark()
    }

    /// Whether `old` marked the same key with the same class.
    pub(crate) fn same_class_mark(&self, old: &LazyList) -> bool {
        self.rows.same_class_mark(&*old.rows)
    }

    /// Where `old`'s marked row is in this list: `Some(None)` when it is not, `None` when
    /// that cannot be told.
    pub(crate) fn position_of_mark(&self, old: &LazyList) -> Option<Option<usize>> {
        self.rows.position_of_mark(&*old.rows)
    }

    /// How this list's rows differ from `old`'s, when comparing rows settles it.
    pub(crate) fn row_diff_since(&self, old: &LazyList) -> Option<RowDiff> {
        self.rows.row_diff(&*old.rows)
    }

    /// For two lists with the same keys in the same order: the positions whose argument
    /// changed, all of them when the view differs.
    pub(crate) fn changed_since(&self, old: &LazyList) -> Vec<usize> {
        self.changed_between(old, 0, 0, self.len())
    }

    /// For `len` rows from `at` here whose keys match `old`'s from `old_at`: the positions
    /// (here) whose argument changed, all of them when the view differs.
    pub(crate) fn changed_between(
        &self,
        old: &LazyList,
        at: usize,
        old_at: usize,
        len: usize,
    ) -> Vec<usize> {
        self.rows
            .changed(&*old.rows, at, old_at, len)
            .unwrap_or_else(|| (at..at + len).collect())
    }

    /// The built rows, taken out of the list (to hand them to the next render), one slot per
    /// row.
    pub(crate) fn take_rows(&self) -> Vec<Option<Box<AnyElement>>> {
        let mut rows = std::mem::take(&mut *self.built.borrow_mut());
        rows.resize_with(self.len(), || None);
        rows
    }

    /// Keeps `rows` as this list's built rows.
    pub(crate) fn keep_rows(&self, rows: Vec<Option<Box<AnyElement>>>) {
        *self.built.borrow_mut() = rows;
    }

    /// Builds row `i` without keeping it.
    pub(crate) fn build(&self, i: usize) -> Box<AnyElement> {
        Box::new(one_node(self.rows.build(i)))
    }

    /// The same list with its messages mapped by `f`: still lazy, and unchanged from a
    /// previous render's mapped list where both the rows and `f` are.
    ///
    /// Rows built already are dropped, to be built again through `f` if needed: a list is
    /// mapped as its view is made, before anything builds it, so there are none in practice.
    pub(crate) fn map(self, f: &Mapper) -> LazyList {
        LazyList {
            rows: Box::new(MappedRows {
                inner: self.rows,
                f: f.clone(),
            }),
            built: RefCell::new(Vec::new()),
        }
    }
}
