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
//! On the server and when hydrating, each row is built with its view, so the markup is exactly
//! that of `html::keyed` over `lazy` rows. As with [`lazy`](crate::lazy::lazy), a row whose
//! view does not return one element is wrapped in a `<rally-lazy>` element, and `Element::map`
//! keeps the list lazy (ADR 0029, ADR 0039).

use std::any::Any;
use std::cell::{Ref, RefCell};

use crate::lazy::one_node;
use crate::vdom::{Attribute, Children, Element, Key, KeyRef, Mapper, Namespace, Str};

/// The rows of a [`keyed_lazy`] list: their keys, their arguments and view, and the rows once
/// built.
pub struct LazyList<Msg> {
    pub(crate) keys: Keys,
    rows: Box<dyn Rows<Msg>>,
    /// Built rows by position; shorter than `keys` (or `None`) where a row is not built yet.
    /// Boxed, so that handing a row from one render to the next moves a pointer: rows moved
    /// in place took a quarter more script time to remove one row of 1,000 in Chromium.
    built: RefCell<Vec<Option<Box<Element<Msg>>>>>,
}

/// A list's keys: integers (ids, nearly always) in a vector of their own, which costs a
/// third of the `Key`s' bytes to build and compares without matching each key's kind.
pub(crate) enum Keys {
    Ints(Vec<i64>),
    Any(Vec<Key>),
}

impl Keys {
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

/// A list's arguments and view, behind one trait object per list (not per row).
trait Rows<Msg> {
    fn build(&self, i: usize) -> Element<Msg>;
    /// Whether row `i` shows what `old`'s row `j` showed: same view, equal arguments.
    fn same_at(&self, i: usize, old: &dyn Rows<Msg>, j: usize) -> bool;
    /// For `len` rows from position `at` here matching `old`'s from `old_at` key by key: the
    /// positions (here) whose argument changed, in order; `None` when the view differs (every
    /// row changed).
    fn changed(
        &self,
        old: &dyn Rows<Msg>,
        at: usize,
        old_at: usize,
        len: usize,
    ) -> Option<Vec<usize>>;
    fn as_any(&self) -> &dyn Any;
}

struct RowsOf<A, F> {
    args: Vec<A>,
    view: F,
}

impl<A, F> RowsOf<A, F> {
    /// Only a view that carries no data is known to be the same function as last time: a
    /// capturing closure's values could differ, so its rows are always rebuilt.
    fn same_view(&self) -> bool {
        std::mem::size_of::<F>() == 0
    }
}

impl<Msg, A, F> Rows<Msg> for RowsOf<A, F>
where
    A: PartialEq + 'static,
    F: Fn(&A) -> Element<Msg> + 'static,
{
    fn build(&self, i: usize) -> Element<Msg> {
        (self.view)(&self.args[i])
    }

    fn same_at(&self, i: usize, old: &dyn Rows<Msg>, j: usize) -> bool {
        self.same_view()
            && old
                .as_any()
                .downcast_ref::<Self>()
                .is_some_and(|o| o.args.get(j) == self.args.get(i))
    }

    fn changed(
        &self,
        old: &dyn Rows<Msg>,
        at: usize,
        old_at: usize,
        len: usize,
    ) -> Option<Vec<usize>> {
        let old = old.as_any().downcast_ref::<Self>()?;
        if !self.same_view() {
            return None;
        }
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

    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// A list seen through `Element::map`.
struct MappedRows<A, B> {
    inner: Box<dyn Rows<A>>,
    f: Mapper<A, B>,
}

impl<A: 'static, B: 'static> MappedRows<A, B> {
    /// `old` as a mapped list of the same mapping, if it is one.
    fn same_mapping<'o>(&self, old: &'o dyn Rows<B>) -> Option<&'o Self> {
        old.as_any()
            .downcast_ref::<Self>()
            .filter(|o| self.f.same_as(&o.f))
    }
}

impl<A: 'static, B: 'static> Rows<B> for MappedRows<A, B> {
    fn build(&self, i: usize) -> Element<B> {
        self.inner.build(i).map_with(&self.f)
    }

    fn same_at(&self, i: usize, old: &dyn Rows<B>, j: usize) -> bool {
        self.same_mapping(old)
            .is_some_and(|o| self.inner.same_at(i, &*o.inner, j))
    }

    fn changed(
        &self,
        old: &dyn Rows<B>,
        at: usize,
        old_at: usize,
        len: usize,
    ) -> Option<Vec<usize>> {
        self.inner
            .changed(&*self.same_mapping(old)?.inner, at, old_at, len)
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
pub fn keyed_lazy<Msg, K, A, F>(
    tag: impl Into<Str>,
    attrs: impl IntoIterator<Item = Attribute<Msg>>,
    rows: impl IntoIterator<Item = (K, A)>,
    view: F,
) -> Element<Msg>
where
    Msg: 'static,
    K: Into<Key>,
    A: PartialEq + 'static,
    F: Fn(&A) -> Element<Msg> + 'static,
{
    let mut rows = rows.into_iter();
    let mut args = Vec::with_capacity(rows.size_hint().0);
    let mut ints = Vec::with_capacity(rows.size_hint().0);
    // Integer keys in a loop of their own; the first other key turns the list general.
    let keys = loop {
        let Some((key, arg)) = rows.next() else {
            break Keys::Ints(ints);
        };
        args.push(arg);
        match key.into().into_int() {
            Ok(n) => ints.push(n),
            Err(key) => {
                let mut keys: Vec<Key> = ints.into_iter().map(Key::from).collect();
                keys.push(key);
                for (key, arg) in rows {
                    keys.push(key.into());
                    args.push(arg);
                }
                break Keys::Any(keys);
            }
        }
    };
    let list = LazyList {
        keys,
        rows: Box::new(RowsOf { args, view }),
        built: RefCell::new(Vec::new()),
    };
    Element::with_children(
        crate::html::checked_tag(tag.into()),
        Namespace::Html,
        crate::vdom::collect_attrs(attrs),
        Children::LazyKeyed(list),
    )
}

impl<Msg> LazyList<Msg> {
    /// The number of rows.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether the list has no rows.
    pub fn is_empty(&self) -> bool {
        self.keys.len() == 0
    }

    /// Every row, built where it was not yet (rendering, hydrating, creating the list).
    pub(crate) fn force_all(&self) -> Ref<'_, [Option<Box<Element<Msg>>>]> {
        {
            let mut built = self.built.borrow_mut();
            built.resize_with(self.keys.len(), || None);
            for (i, row) in built.iter_mut().enumerate() {
                if row.is_none() {
                    *row = Some(Box::new(one_node(self.rows.build(i))));
                }
            }
        }
        Ref::map(self.built.borrow(), |b| b.as_slice())
    }

    /// Whether row `i` shows what `old`'s row `j` showed.
    pub(crate) fn same_at(&self, i: usize, old: &LazyList<Msg>, j: usize) -> bool {
        self.rows.same_at(i, &*old.rows, j)
    }

    /// For two lists with the same keys in the same order: the positions whose argument
    /// changed, all of them when the view differs.
    pub(crate) fn changed_since(&self, old: &LazyList<Msg>) -> Vec<usize> {
        self.changed_between(old, 0, 0, self.len())
    }

    /// For `len` rows from `at` here whose keys match `old`'s from `old_at`: the positions
    /// (here) whose argument changed, all of them when the view differs.
    pub(crate) fn changed_between(
        &self,
        old: &LazyList<Msg>,
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
    pub(crate) fn take_rows(&self) -> Vec<Option<Box<Element<Msg>>>> {
        let mut rows = std::mem::take(&mut *self.built.borrow_mut());
        rows.resize_with(self.keys.len(), || None);
        rows
    }

    /// Keeps `rows` as this list's built rows.
    pub(crate) fn keep_rows(&self, rows: Vec<Option<Box<Element<Msg>>>>) {
        *self.built.borrow_mut() = rows;
    }

    /// Builds row `i` without keeping it.
    pub(crate) fn build(&self, i: usize) -> Box<Element<Msg>> {
        Box::new(one_node(self.rows.build(i)))
    }

    /// The same list with its messages mapped by `f`: still lazy, and unchanged from a
    /// previous render's mapped list where both the rows and `f` are.
    ///
    /// Rows built already are dropped, to be built again through `f` if needed: a list is
    /// mapped as its view is made, before anything builds it, and mapping built rows here
    /// cost every bundle an iterator pipeline per pair of message types.
    pub(crate) fn map<B: 'static>(self, f: &Mapper<Msg, B>) -> LazyList<B>
    where
        Msg: 'static,
    {
        LazyList {
            keys: self.keys,
            rows: Box::new(MappedRows {
                inner: self.rows,
                f: f.clone(),
            }),
            built: RefCell::new(Vec::new()),
        }
    }
}
