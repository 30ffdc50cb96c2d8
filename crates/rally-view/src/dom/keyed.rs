//! Keyed children: match by key, keep the longest run already in order, move only the rest.
//!
//! The algorithm runs over a [`KeyedPair`]: plain keyed children (`html::keyed`) or the rows
//! of a lazy list (`html::keyed_lazy`), which are built only where they are new or changed.

// Without `lazy-lists` (a browser build) no lazy list can exist: its half of this module is
// unused there, and left out of the bundle (docs/adr/0064).
#![cfg_attr(not(rally_lazy_lists), allow(dead_code))]

use super::{Backend, Dom, Mounted};
use crate::lazy_list::{Keys, LazyList, RowDiff};
use crate::vdom::{AnyElement, Key, KeyRef};

/// The old and new children of one keyed diff: their keys, and how to patch an old child into
/// a new one or create a new one.
///
/// Keys live as long as the views (`'k`), not as the pair, so an index of them can be kept
/// while the pair patches.
///
/// Used as a trait object: one copy of the keyed diff serves both kinds of list in every
/// bundle (a generic one cost every app about 2 KiB gzip, used or not); a virtual call per row
/// is small next to the patch it makes.
pub(super) trait KeyedPair<'k, Msg, B: Backend> {
    fn old_len(&self) -> usize;
    fn new_len(&self) -> usize;
    fn old_key(&self, j: usize) -> KeyRef<'k>;
    fn new_key(&self, i: usize) -> KeyRef<'k>;
    /// Patches old child `j`, mounted as `m`, into new child `i`.
    fn patch(
        &mut self,
        dom: &mut Dom<Msg, B>,
        parent: &B::Node,
        parent_tag: &str,
        j: usize,
        m: &mut Mounted<B::Node>,
        i: usize,
    );
    /// Creates new child `i`.
    fn create(&mut self, dom: &mut Dom<Msg, B>, parent_tag: &str, i: usize) -> Mounted<B::Node>;
}

/// Keyed children as `html::keyed` makes them.
pub(super) struct Plain<'a> {
    pub(super) old: &'a [(Key, AnyElement)],
    pub(super) new: &'a [(Key, AnyElement)],
}

impl<'k, Msg: Clone + 'static, B: Backend> KeyedPair<'k, Msg, B> for Plain<'k> {
    fn old_len(&self) -> usize {
        self.old.len()
    }
    fn new_len(&self) -> usize {
        self.new.len()
    }
    fn old_key(&self, j: usize) -> KeyRef<'k> {
        self.old[j].0.key_ref()
    }
    fn new_key(&self, i: usize) -> KeyRef<'k> {
        self.new[i].0.key_ref()
    }
    fn patch(
        &mut self,
        dom: &mut Dom<Msg, B>,
        parent: &B::Node,
        parent_tag: &str,
        j: usize,
        m: &mut Mounted<B::Node>,
        i: usize,
    ) {
        dom.patch(parent, parent_tag, &self.old[j].1, m, &self.new[i].1);
    }
    fn create(&mut self, dom: &mut Dom<Msg, B>, parent_tag: &str, i: usize) -> Mounted<B::Node> {
        dom.create_item(parent_tag, &self.new[i].1)
    }
}

/// The rows of two renders of a lazy list, with their built rows held for the diff (no
/// `RefCell` borrow per row): the old ones taken out of `old`, the new ones put into `new`
/// when the diff is done.
pub(super) struct Lazy<'a> {
    old: &'a LazyList,
    new: &'a LazyList,
    /// Their keys, fetched once: the diff reads them many times per row.
    keys: (&'a Keys, &'a Keys),
    old_rows: Vec<Option<Box<AnyElement>>>,
    new_rows: Vec<Option<Box<AnyElement>>>,
}

impl Lazy<'_> {
    /// Old row `j` as it was built (and mounted); rebuilt should it be missing.
    fn take_old(&mut self, j: usize) -> Box<AnyElement> {
        match self.old_rows.get_mut(j).and_then(Option::take) {
            Some(row) => row,
            None => self.old.build(j),
        }
    }
}

impl<'k, Msg: Clone + 'static, B: Backend> KeyedPair<'k, Msg, B> for Lazy<'k> {
    fn old_len(&self) -> usize {
        self.old.len()
    }
    fn new_len(&self) -> usize {
        self.new.len()
    }
    fn old_key(&self, j: usize) -> KeyRef<'k> {
        self.keys.0.get(j)
    }
    fn new_key(&self, i: usize) -> KeyRef<'k> {
        self.keys.1.get(i)
    }
    fn patch(
        &mut self,
        dom: &mut Dom<Msg, B>,
        parent: &B::Node,
        parent_tag: &str,
        j: usize,
        m: &mut Mounted<B::Node>,
        i: usize,
    ) {
        if self.new.same_at(i, self.old, j) {
            // Same view, equal argument: the DOM and the built row (or its absence: a mapped
            // list is rebuilt on demand) stay as they are.
            self.new_rows[i] = self.old_rows.get_mut(j).and_then(Option::take);
        } else {
            let old_row = self.take_old(j);
            let new_row = self.new.build(i);
            dom.patch(parent, parent_tag, &old_row, m, &new_row);
            self.new_rows[i] = Some(new_row);
        }
    }
    fn create(&mut self, dom: &mut Dom<Msg, B>, parent_tag: &str, i: usize) -> Mounted<B::Node> {
        let row = self.new.build(i);
        let mounted = dom.create_row(parent_tag, self.new, i, &row);
        self.new_rows[i] = Some(row);
        mounted
    }
}

impl<Msg: Clone + 'static, B: Backend> Dom<Msg, B> {
    /// Diffs two renders of a lazy list, then moves the class of a list that shows its mark
    /// itself ([`keyed_lazy_shared_class`](crate::html::keyed_lazy_shared_class)).
    pub(super) fn patch_lazy_list(
        &mut self,
        parent: &B::Node,
        parent_tag: &str,
        old: &LazyList,
        mounted: &mut Vec<Mounted<B::Node>>,
        new: &LazyList,
    ) {
        let same_mark = new.same_class_mark(old);
        // Where the row that had the mark will be, found before the diff moves it. When that
        // cannot be told, the class comes off while the old rows are still in their places.
        let mut unmark = None;
        if let Some((j, class)) = old.class_mark().filter(|_| !same_mark) {
            match new.position_of_mark(old) {
                Some(at) => unmark = at.map(|i| (i, class)),
                None if mounted.len() == old.len() => {
                    self.toggle_mark(&mounted[j].node, class, false)
                }
                None => {}
            }
        }
        let touched = self.patch_lazy_rows(parent, parent_tag, old, mounted, new);
        if let Some((m, class)) = unmark.and_then(|(i, class)| Some((mounted.get(i)?, class))) {
            self.toggle_mark(&m.node, class, false);
        }
        // A patched row may have had its `class` written over: the mark goes back on (no
        // mutation where it is still there).
        if let Some((i, class)) = new.class_mark().filter(|_| touched || !same_mark)
            && let Some(m) = mounted.get(i)
        {
            self.toggle_mark(&m.node, class, true);
        }
    }

    /// Creates row `i` of `new` from its built row, marked if it is the marked one.
    pub(super) fn create_row(
        &mut self,
        parent_tag: &str,
        new: &LazyList,
        i: usize,
        row: &AnyElement,
    ) -> Mounted<B::Node> {
        let m = self.create_item(parent_tag, row);
        if let Some((_, class)) = new.class_mark().filter(|&(at, _)| at == i) {
            self.toggle_mark(&m.node, class, true);
        }
        m
    }

    /// Diffs the rows of two renders of a lazy list; whether any row was built, moved, created
    /// or removed. With the same keys in the same order — a selection, an edit of some rows,
    /// most updates of a long list — the old built rows are taken over whole and only the
    /// rows whose argument changed are built and patched.
    fn patch_lazy_rows(
        &mut self,
        parent: &B::Node,
        parent_tag: &str,
        old: &LazyList,
        mounted: &mut Vec<Mounted<B::Node>>,
        new: &LazyList,
    ) -> bool {
        if mounted.len() == old.len() {
            // The very same rows, of which only the mark moved, are not read at all.
            if let Some(changed) = new.remarked_since(old) {
                if changed.is_empty() {
                    new.keep_rows(old.take_rows());
                    return false;
                }
                let changed = changed.into_iter().map(|i| (i, i));
                self.patch_aligned(parent, parent_tag, (old, new), changed, None, mounted);
                return true;
            }
            // Then the rows are compared, without keys, for the usual shapes of an update.
            match new.row_diff_since(old) {
                Some(RowDiff::Aligned { changed, swapped }) => {
                    let changed = changed.into_iter();
                    self.patch_aligned(parent, parent_tag, (old, new), changed, swapped, mounted);
                    return true;
                }
                Some(RowDiff::Run { prefix, suffix }) if !new.is_empty() => {
                    let ends = (prefix, suffix);
                    self.patch_lazy_run(parent, parent_tag, (old, new), mounted, ends, false);
                    return true;
                }
                _ => {}
            }
        }
        if mounted.len() == new.len() && old.keys().same_as(new.keys()) {
            let changed = new.changed_since(old).into_iter().map(|i| (i, i));
            self.patch_aligned(parent, parent_tag, (old, new), changed, None, mounted);
            return true;
        }
        if mounted.len() == old.len() && !new.is_empty() {
            let prefix = old.keys().common_prefix(new.keys());
            let most = old.len().min(new.len()) - prefix;
            let suffix = old.keys().common_suffix(new.keys(), most);
            if prefix + suffix == old.len().min(new.len()) {
                let ends = (prefix, suffix);
                self.patch_lazy_run(parent, parent_tag, (old, new), mounted, ends, true);
                return true;
            }
        }
        let mut new_rows = Vec::new();
        new_rows.resize_with(new.len(), || None);
        let mut pair = Lazy {
            old,
            new,
            keys: (old.keys(), new.keys()),
            old_rows: old.take_rows(),
            new_rows,
        };
        self.patch_keyed(parent, parent_tag, &mut pair, mounted);
        new.keep_rows(pair.new_rows);
        if pair.old_rows.iter().any(Option::is_some) {
            self.bin.put(Box::new(pair.old_rows));
        }
        true
    }

    /// Diffs two renders of a lazy list whose keys differ by one run of rows inserted or
    /// removed between a common `prefix` and `suffix` (appending rows, removing one): the
    /// run is created or removed, and the rows at both ends are compared in two monomorphic
    /// loops and taken over, without the keyed diff's bookkeeping of every row.
    ///
    /// `compare`: whether the rows at both ends may have changed (found by their keys), or
    /// are known to be the same (found by comparing them).
    fn patch_lazy_run(
        &mut self,
        parent: &B::Node,
        parent_tag: &str,
        (old, new): (&LazyList, &LazyList),
        mounted: &mut Vec<Mounted<B::Node>>,
        (prefix, suffix): (usize, usize),
        compare: bool,
    ) {
        let (old_end, new_end) = (old.len() - suffix, new.len() - suffix);
        // One pass over the old rows: the prefix stays, the old run goes, the new run goes
        // in before the suffix. (`splice` and `split_off` cost every bundle 1-2 KiB.)
        let mut old_rows = old.take_rows();
        let mut rows = Vec::with_capacity(new.len());
        let mut gone = Vec::new();
        let old_mounted = std::mem::replace(mounted, Vec::with_capacity(new.len()));
        for (j, m) in old_mounted.into_iter().enumerate() {
            if j == old_end {
                self.create_run(
                    parent,
                    parent_tag,
                    new,
                    prefix..new_end,
                    Some(&m.node),
                    mounted,
                    &mut rows,
                );
            }
            if (prefix..old_end).contains(&j) {
                self.remove(parent, m);
                gone.push(old_rows[j].take());
            } else {
                mounted.push(m);
                rows.push(old_rows[j].take());
            }
        }
        if old_end == old.len() {
            self.create_run(
                parent,
                parent_tag,
                new,
                prefix..new_end,
                None,
                mounted,
                &mut rows,
            );
        }
        if gone.iter().any(Option::is_some) {
            self.bin.put(Box::new(gone));
        }
        // Both ends now sit at their new positions; patch the rows whose argument changed.
        if compare {
            let changed = new
                .changed_between(old, 0, 0, prefix)
                .into_iter()
                .chain(new.changed_between(old, new_end, old_end, suffix));
            let changed = changed.map(|i| (i, if i < prefix { i } else { i - new_end + old_end }));
            self.patch_rows(parent, parent_tag, (old, new), changed, &mut rows, mounted);
        }
        new.keep_rows(rows);
    }

    /// Diffs two renders of a lazy list of the same length whose rows stay in place, except
    /// for one `swapped` pair: the pair's nodes trade places (two moves, or one when they are
    /// neighbours, as the keyed diff would make), then the `changed` rows (new position, old
    /// position) are built and patched.
    fn patch_aligned(
        &mut self,
        parent: &B::Node,
        parent_tag: &str,
        (old, new): (&LazyList, &LazyList),
        changed: impl Iterator<Item = (usize, usize)>,
        swapped: Option<(usize, usize)>,
        mounted: &mut [Mounted<B::Node>],
    ) {
        let mut rows = old.take_rows();
        if let Some((a, b)) = swapped {
            mounted.swap(a, b);
            rows.swap(a, b);
            // The later one first, before what follows it; then the earlier one before what
            // follows it, unless that is the later one, which is then in place already.
            let anchor = mounted.get(b + 1).map(|m| &m.node);
            self.backend.insert_before(parent, &mounted[b].node, anchor);
            if b > a + 1 {
                self.backend
                    .insert_before(parent, &mounted[a].node, Some(&mounted[a + 1].node));
            }
        }
        self.patch_rows(parent, parent_tag, (old, new), changed, &mut rows, mounted);
        new.keep_rows(rows);
    }

    /// Patches the rows whose argument changed: new position `i`, old position `j`. Their old
    /// built rows (if any) and mounted nodes sit at the new positions in `rows` and `mounted`.
    fn patch_rows(
        &mut self,
        parent: &B::Node,
        parent_tag: &str,
        (old, new): (&LazyList, &LazyList),
        changed: impl Iterator<Item = (usize, usize)>,
        rows: &mut [Option<Box<AnyElement>>],
        mounted: &mut [Mounted<B::Node>],
    ) {
        for (i, j) in changed {
            let old_row = rows[i].take().unwrap_or_else(|| old.build(j));
            let new_row = new.build(i);
            self.patch(parent, parent_tag, &old_row, &mut mounted[i], &new_row);
            rows[i] = Some(new_row);
        }
    }

    /// Creates rows `run` of `new` before `anchor`, appending them to `mounted` and `rows`.
    #[allow(clippy::too_many_arguments)]
    fn create_run(
        &mut self,
        parent: &B::Node,
        parent_tag: &str,
        new: &LazyList,
        run: std::ops::Range<usize>,
        anchor: Option<&B::Node>,
        mounted: &mut Vec<Mounted<B::Node>>,
        rows: &mut Vec<Option<Box<AnyElement>>>,
    ) {
        for i in run {
            let row = new.build(i);
            let m = self.create_row(parent_tag, new, i, &row);
            self.backend.insert_before(parent, &m.node, anchor);
            mounted.push(m);
            rows.push(Some(row));
        }
    }

    pub(super) fn patch_keyed<'k>(
        &mut self,
        parent: &B::Node,
        parent_tag: &str,
        pair: &mut dyn KeyedPair<'k, Msg, B>,
        mounted: &mut Vec<Mounted<B::Node>>,
    ) {
        let (old_len, new_len) = (pair.old_len(), pair.new_len());
        if new_len == 0 {
            if !mounted.is_empty() {
                self.clear(parent, mounted);
            }
            return;
        }
        // The common prefix is patched where it is mounted. When it is everything — the same
        // keys in the same order, as after a selection or an edit of some rows, which is most
        // updates of a long list — nothing else is needed: none of the bookkeeping below,
        // whose two vectors of every child cost more than the patches.
        let mut start = 0;
        while start < old_len && start < new_len && pair.old_key(start) == pair.new_key(start) {
            start += 1;
        }
        for (i, m) in mounted.iter_mut().enumerate().take(start) {
            pair.patch(self, parent, parent_tag, i, m, i);
        }
        if start == old_len && start == new_len {
            return;
        }
        let mut old_m: Vec<Option<Mounted<B::Node>>> =
            std::mem::take(mounted).into_iter().map(Some).collect();
        let mut result: Vec<Option<Mounted<B::Node>>> = Vec::with_capacity(new_len);
        result.resize_with(new_len, || None);
        for (slot, m) in result[..start].iter_mut().zip(old_m.iter_mut()) {
            *slot = m.take();
        }

        // Then the ends are matched from both sides (old and new positions part here): equal
        // keys at either end are patched in place, and when the first and last children
        // swapped places both are moved — a swap of two rows of a thousand is two moves and
        // no search.
        let (mut os, mut ns, mut oe, mut ne) = (start, start, old_len, new_len);
        loop {
            while os < oe && ns < ne && pair.old_key(os) == pair.new_key(ns) {
                let Some(mut m) = old_m[os].take() else {
                    break;
                };
                pair.patch(self, parent, parent_tag, os, &mut m, ns);
                result[ns] = Some(m);
                os += 1;
                ns += 1;
            }
            while os < oe && ns < ne && pair.old_key(oe - 1) == pair.new_key(ne - 1) {
                let Some(mut m) = old_m[oe - 1].take() else {
                    break;
                };
                pair.patch(self, parent, parent_tag, oe - 1, &mut m, ne - 1);
                result[ne - 1] = Some(m);
                oe -= 1;
                ne -= 1;
            }
            // The two ends swapped, around a child that stays on: no order keeps either end
            // in place, so moving both is part of every fewest-moves patch. (Without a child
            // kept between them, keeping one end can be a move fewer: [0, 1, 2] -> [2, 0].)
            let swapped = os + 2 < oe
                && ns + 2 < ne
                && old_m[os].is_some()
                && old_m[oe - 1].is_some()
                && pair.old_key(os) == pair.new_key(ne - 1)
                && pair.old_key(oe - 1) == pair.new_key(ns)
                && (pair.old_key(os + 1) == pair.new_key(ns + 1)
                    || pair.old_key(oe - 2) == pair.new_key(ne - 2));
            if !swapped {
                break;
            }
            for (from, to) in [(os, ne - 1), (oe - 1, ns)] {
                if let Some(mut m) = old_m[from].take() {
                    pair.patch(self, parent, parent_tag, from, &mut m, to);
                    result[to] = Some(m);
                }
            }
            // The old first goes before what follows it in the new order, all of which is in
            // place; the old last before the first old child left.
            if let Some(m) = &result[ne - 1] {
                let anchor = result.get(ne).and_then(Option::as_ref).map(|r| &r.node);
                self.backend.insert_before(parent, &m.node, anchor);
            }
            if let (Some(m), Some(next)) = (&result[ns], &old_m[os + 1]) {
                self.backend
                    .insert_before(parent, &m.node, Some(&next.node));
            }
            os += 1;
            oe -= 1;
            ns += 1;
            ne -= 1;
        }

        if os == oe {
            // Only insertions: before the first node of the suffix, or at the end.
            for i in ns..ne {
                let m = pair.create(self, parent_tag, i);
                let anchor = result.get(ne).and_then(Option::as_ref).map(|r| &r.node);
                self.backend.insert_before(parent, &m.node, anchor);
                result[i] = Some(m);
            }
        } else if ns == ne {
            // Only removals.
            for m in old_m[os..oe].iter_mut().filter_map(Option::take) {
                self.remove(parent, m);
            }
        } else if os == 0 && ns == 0 && oe == old_len && ne == new_len && no_shared_keys(pair) {
            // Nothing survives (a table replaced wholesale): one clear beats n removals.
            let mut all: Vec<Mounted<B::Node>> =
                old_m.iter_mut().filter_map(Option::take).collect();
            self.clear(parent, &mut all);
            for (i, slot) in result.iter_mut().enumerate() {
                let m = pair.create(self, parent_tag, i);
                self.backend.insert_before(parent, &m.node, None);
                *slot = Some(m);
            }
        } else {
            self.patch_middle(
                parent,
                parent_tag,
                pair,
                &mut old_m,
                &mut result,
                (os, oe),
                (ns, ne),
            );
        }

        *mounted = result
            .into_iter()
            .map(|m| m.expect("every new child is mounted"))
            .collect();
    }

    #[allow(clippy::too_many_arguments)]
    fn patch_middle<'k>(
        &mut self,
        parent: &B::Node,
        parent_tag: &str,
        pair: &mut dyn KeyedPair<'k, Msg, B>,
        old_m: &mut [Option<Mounted<B::Node>>],
        result: &mut [Option<Mounted<B::Node>>],
        (old_start, old_end): (usize, usize),
        (start, new_end): (usize, usize),
    ) {
        let mut finder = OldPositions::new(old_start, old_end);
        // For each new child in the middle, the old position it came from, if any.
        let mut sources: Vec<Option<usize>> = vec![None; new_end - start];
        let mut in_order = true;
        let mut last = 0;
        for i in start..new_end {
            let Some(j) = finder.find(&*pair, pair.new_key(i), old_m) else {
                continue;
            };
            // A duplicated key keeps only its first match; later ones are created fresh.
            let Some(mut m) = old_m[j].take() else {
                continue;
            };
            pair.patch(self, parent, parent_tag, j, &mut m, i);
            result[i] = Some(m);
            sources[i - start] = Some(j);
            in_order &= j >= last;
            last = j;
        }
        for m in old_m[old_start..old_end]
            .iter_mut()
            .filter_map(Option::take)
        {
            self.remove(parent, m);
        }
        let stay = if in_order {
            (0..sources.len())
                .filter(|&k| sources[k].is_some())
                .collect()
        } else {
            longest_increasing_subsequence(&sources)
        };
        let mut stay = stay.into_iter().rev().peekable();
        // The node to insert before, as a position in `result`: a node handle is a JS
        // reference in the browser, and cloning one per row cost a table slot each.
        let mut before = Some(new_end).filter(|&b| result.get(b).is_some_and(Option::is_some));
        for i in (start..new_end).rev() {
            let k = i - start;
            if result[i].is_none() {
                let m = pair.create(self, parent_tag, i);
                let anchor = before.and_then(|b| result[b].as_ref()).map(|b| &b.node);
                self.backend.insert_before(parent, &m.node, anchor);
                result[i] = Some(m);
            } else if stay.peek() == Some(&k) {
                stay.next();
            } else if let Some(m) = &result[i] {
                let anchor = before.and_then(|b| result[b].as_ref()).map(|b| &b.node);
                self.backend.insert_before(parent, &m.node, anchor);
            }
            before = Some(i);
        }
    }
}

/// Finds where a new child's key was among the old children of a keyed diff's middle.
///
/// Reorders mostly keep runs (a swap of two rows of a thousand, a row moved): the old child
/// after the last one found is tried first, then, for the first few misses, a scan of the old
/// keys; only past [`OldPositions::SCANS`] misses are the old keys sorted into a [`KeyIndex`].
/// Sorting and searching a thousand keys for a swap was a third of its instructions.
struct OldPositions<'k> {
    start: usize,
    end: usize,
    next: Option<usize>,
    misses: usize,
    index: Option<KeyIndex<'k>>,
}

impl<'k> OldPositions<'k> {
    /// Misses answered by scanning before the keys are indexed.
    const SCANS: usize = 16;

    fn new(start: usize, end: usize) -> Self {
        OldPositions {
            start,
            end,
            next: None,
            misses: 0,
            index: None,
        }
    }

    /// The old position of `key` whose child is still unclaimed in `old_m`, if any. Of
    /// repeated keys, the guess may pick another one than the index would (the last); either
    /// is patched into the new child.
    fn find<Msg, B: Backend, T>(
        &mut self,
        pair: &dyn KeyedPair<'k, Msg, B>,
        key: KeyRef<'_>,
        old_m: &[Option<T>],
    ) -> Option<usize> {
        let guess = self
            .next
            .filter(|&j| j < self.end && old_m[j].is_some() && pair.old_key(j) == key);
        let found = guess.or_else(|| {
            self.misses += 1;
            if self.index.is_none() && self.misses > Self::SCANS {
                let keys = (self.start..self.end).map(|j| (pair.old_key(j), j));
                self.index = Some(KeyIndex::new(keys));
            }
            match &self.index {
                Some(index) => index.get(key),
                None => (self.start..self.end)
                    .rev()
                    .find(|&j| pair.old_key(j) == key),
            }
        });
        if let Some(j) = found {
            self.next = Some(j + 1);
        }
        found
    }
}

fn no_shared_keys<'k, Msg, B: Backend>(pair: &dyn KeyedPair<'k, Msg, B>) -> bool {
    // New rows nearly always get new, larger ids: when every new key is above the old keys'
    // largest, one pass over each list says so, without sorting the old keys (a sixth of a
    // 1,000-row replace's instructions, natively). Keys below the smallest, which ids rarely
    // take, are left to the sort: checking them too cost every bundle 54 bytes more.
    if let Some(max) = (0..pair.old_len()).map(|j| pair.old_key(j)).max()
        && (0..pair.new_len()).all(|i| pair.new_key(i) > max)
    {
        return true;
    }
    let keys = KeyIndex::new((0..pair.old_len()).map(|j| (pair.old_key(j), j)));
    !(0..pair.new_len()).any(|i| keys.get(pair.new_key(i)).is_some())
}

/// Old children's keys and positions, sorted by key and found by binary search.
///
/// A hash map did the same, but brought hashbrown and SipHash into every browser bundle
/// (~3 KB of wasm, ~1 KiB gzip, for a path only reorders take); sorting integer keys is as
/// quick as hashing them (`--example select … swap`, callgrind).
struct KeyIndex<'k> {
    sorted: Vec<(KeyRef<'k>, usize)>,
}

impl<'k> KeyIndex<'k> {
    fn new(keys: impl Iterator<Item = (KeyRef<'k>, usize)>) -> Self {
        let mut sorted: Vec<(KeyRef<'k>, usize)> = keys.collect();
        heapsort(&mut sorted);
        KeyIndex { sorted }
    }

    /// The position of `key`; for a key given twice, the later one (as a map built in order
    /// would keep).
    fn get(&self, key: KeyRef<'_>) -> Option<usize> {
        let end = self.sorted.partition_point(|(k, _)| *k <= key);
        match end.checked_sub(1).map(|i| self.sorted[i]) {
            Some((k, i)) if k == key => Some(i),
            _ => None,
        }
    }
}

/// Sorts `items` in place, in O(n log n) without allocating.
///
/// std's `sort_unstable` is faster on large inputs, but each instance brings ~3.5 KB of wasm
/// (quicksort, partitions, small sorts, heapsort fallback) to every browser bundle, where
/// this one is a few hundred bytes; the key index is sorted only when a reorder misses more
/// than a handful of guesses (ADR 0040).
fn heapsort<T: Ord + Copy>(items: &mut [T]) {
    // Moves `items[root]` down until both children are smaller, within `items[..end]`.
    fn sift_down<T: Ord + Copy>(items: &mut [T], mut root: usize, end: usize) {
        loop {
            let mut child = 2 * root + 1;
            if child >= end {
                return;
            }
            if child + 1 < end && items[child] < items[child + 1] {
                child += 1;
            }
            if items[root] >= items[child] {
                return;
            }
            items.swap(root, child);
            root = child;
        }
    }
    let len = items.len();
    for root in (0..len / 2).rev() {
        sift_down(items, root, len);
    }
    for end in (1..len).rev() {
        items.swap(0, end);
        sift_down(items, 0, end);
    }
}

/// Indices into `seq` of a longest strictly increasing subsequence of its `Some` values,
/// in increasing order (patience sorting with predecessor links, O(n log n)).
pub(crate) fn longest_increasing_subsequence(seq: &[Option<usize>]) -> Vec<usize> {
    let mut tails: Vec<usize> = Vec::new(); // indices into seq
    // The values at `tails`, searched directly rather than through `seq`.
    let mut tail_values: Vec<usize> = Vec::new();
    let mut prev: Vec<Option<usize>> = vec![None; seq.len()];
    for (i, v) in seq.iter().enumerate() {
        let Some(v) = *v else { continue };
        // Mostly increasing (a few rows moved): extending the longest run needs no search.
        let pos = match tail_values.last() {
            Some(&t) if t >= v => tail_values.partition_point(|&tv| tv < v),
            _ => tail_values.len(),
        };
        if pos > 0 {
            prev[i] = Some(tails[pos - 1]);
        }
        if pos == tails.len() {
            tails.push(i);
            tail_values.push(v);
        } else {
            tails[pos] = i;
            tail_values[pos] = v;
        }
    }
    let mut out = Vec::with_capacity(tails.len());
    let mut cur = tails.last().copied();
    while let Some(i) = cur {
        out.push(i);
        cur = prev[i];
    }
    out.reverse();
    out
}

#[cfg(test)]
mod tests {
    use super::longest_increasing_subsequence as lis;
    use super::{Key, KeyIndex};

    #[test]
    fn the_key_index_finds_each_key_and_the_last_of_a_repeated_one() {
        let keys = [
            Key::from(7),
            Key::from("b"),
            Key::from(3),
            Key::from(7),
            Key::from("a"),
        ];
        let index = KeyIndex::new(keys.iter().enumerate().map(|(i, k)| (k.key_ref(), i)));
        let get = |k: Key| index.get(k.key_ref());
        assert_eq!(get(Key::from(3)), Some(2));
        assert_eq!(get(Key::from("a")), Some(4));
        assert_eq!(get(Key::from("b")), Some(1));
        assert_eq!(get(Key::from(7)), Some(3));
        assert_eq!(get(Key::from(5)), None);
        assert_eq!(get(Key::from("7")), None);
        let empty = KeyIndex::new(std::iter::empty());
        assert_eq!(empty.get(Key::from(1).key_ref()), None);
    }

    proptest::proptest! {
        #[test]
        fn heapsort_sorts_as_std_does(mut items in proptest::collection::vec(0u8..16, 0..200)) {
            let mut want = items.clone();
            want.sort_unstable();
            super::heapsort(&mut items);
            proptest::prop_assert_eq!(items, want);
        }
    }

    #[test]
    fn lis_finds_a_longest_run() {
        assert_eq!(lis(&[]), Vec::<usize>::new());
        assert_eq!(lis(&[Some(0), Some(1), Some(2)]), vec![0, 1, 2]);
        let s = [Some(4), Some(1), None, Some(2), Some(9), Some(3)];
        let r = lis(&s);
        assert_eq!(r.len(), 3);
        assert!(r.windows(2).all(|w| s[w[0]] < s[w[1]]));
        // swap of two rows in a long list keeps everything else in place
        let mut swap: Vec<Option<usize>> = (0..10).map(Some).collect();
        swap.swap(1, 8);
        assert_eq!(lis(&swap).len(), 8);
    }
}
