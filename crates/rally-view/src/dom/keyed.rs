//! Keyed children: match by key, keep the longest run already in order, move only the rest.

use super::{Backend, Dom, Mounted};
use crate::vdom::{Element, Key};

impl<Msg: Clone + 'static, B: Backend> Dom<Msg, B> {
    pub(super) fn patch_keyed(
        &mut self,
        parent: &B::Node,
        parent_tag: &str,
        old: &[(Key, Element<Msg>)],
        mounted: &mut Vec<Mounted<B::Node>>,
        new: &[(Key, Element<Msg>)],
    ) {
        if new.is_empty() {
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
        while start < old.len() && start < new.len() && old[start].0 == new[start].0 {
            start += 1;
        }
        for ((old, new), m) in old[..start].iter().zip(new).zip(mounted.iter_mut()) {
            self.patch(parent, parent_tag, &old.1, m, &new.1);
        }
        if start == old.len() && start == new.len() {
            return;
        }
        let mut old_m: Vec<Option<Mounted<B::Node>>> =
            std::mem::take(mounted).into_iter().map(Some).collect();
        let mut result: Vec<Option<Mounted<B::Node>>> = Vec::with_capacity(new.len());
        result.resize_with(new.len(), || None);
        for (slot, m) in result[..start].iter_mut().zip(old_m.iter_mut()) {
            *slot = m.take();
        }

        // The common suffix is patched in place too.
        let (mut old_end, mut new_end) = (old.len(), new.len());
        while old_end > start && new_end > start && old[old_end - 1].0 == new[new_end - 1].0 {
            let mut m = old_m[old_end - 1]
                .take()
                .expect("each old child is taken once");
            self.patch(
                parent,
                parent_tag,
                &old[old_end - 1].1,
                &mut m,
                &new[new_end - 1].1,
            );
            result[new_end - 1] = Some(m);
            old_end -= 1;
            new_end -= 1;
        }

        if start == old_end {
            // Only insertions: before the first node of the suffix, or at the end.
            let before = result
                .get(new_end)
                .and_then(|m| m.as_ref())
                .map(|m| m.node.clone());
            for i in start..new_end {
                let m = self.create_item(parent_tag, &new[i].1);
                self.backend.insert_before(parent, &m.node, before.as_ref());
                result[i] = Some(m);
            }
        } else if start == new_end {
            // Only removals.
            for m in old_m[start..old_end].iter_mut().filter_map(Option::take) {
                self.remove(parent, m);
            }
        } else if start == 0
            && old_end == old.len()
            && new_end == new.len()
            && no_shared_keys(old, new)
        {
            // Nothing survives (a table replaced wholesale): one clear beats n removals.
            let mut all: Vec<Mounted<B::Node>> =
                old_m.iter_mut().filter_map(Option::take).collect();
            self.clear(parent, &mut all);
            for (i, (_, child)) in new.iter().enumerate() {
                let m = self.create_item(parent_tag, child);
                self.backend.insert_before(parent, &m.node, None);
                result[i] = Some(m);
            }
        } else {
            self.patch_middle(
                parent,
                parent_tag,
                old,
                &mut old_m,
                new,
                &mut result,
                start,
                old_end,
                new_end,
            );
        }

        *mounted = result
            .into_iter()
            .map(|m| m.expect("every new child is mounted"))
            .collect();
    }

    #[allow(clippy::too_many_arguments)]
    fn patch_middle(
        &mut self,
        parent: &B::Node,
        parent_tag: &str,
        old: &[(Key, Element<Msg>)],
        old_m: &mut [Option<Mounted<B::Node>>],
        new: &[(Key, Element<Msg>)],
        result: &mut [Option<Mounted<B::Node>>],
        start: usize,
        old_end: usize,
        new_end: usize,
    ) {
        let old_index = KeyIndex::new((start..old_end).map(|i| (&old[i].0, i)));
        // For each new child in the middle, the old position it came from, if any.
        let mut sources: Vec<Option<usize>> = vec![None; new_end - start];
        let mut in_order = true;
        let mut last = 0;
        for i in start..new_end {
            let Some(j) = old_index.get(&new[i].0) else {
                continue;
            };
            // A duplicated key keeps only its first match; later ones are created fresh.
            let Some(mut m) = old_m[j].take() else {
                continue;
            };
            self.patch(parent, parent_tag, &old[j].1, &mut m, &new[i].1);
            result[i] = Some(m);
            sources[i - start] = Some(j);
            in_order &= j >= last;
            last = j;
        }
        for m in old_m[start..old_end].iter_mut().filter_map(Option::take) {
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
        let mut before = result
            .get(new_end)
            .and_then(|m| m.as_ref())
            .map(|m| m.node.clone());
        for i in (start..new_end).rev() {
            let k = i - start;
            match &result[i] {
                None => {
                    let m = self.create_item(parent_tag, &new[i].1);
                    self.backend.insert_before(parent, &m.node, before.as_ref());
                    result[i] = Some(m);
                }
                Some(m) => {
                    if stay.peek() == Some(&k) {
                        stay.next();
                    } else {
                        self.backend.insert_before(parent, &m.node, before.as_ref());
                    }
                }
            }
            before = result[i].as_ref().map(|m| m.node.clone());
        }
    }
}

fn no_shared_keys<Msg>(old: &[(Key, Element<Msg>)], new: &[(Key, Element<Msg>)]) -> bool {
    let keys = KeyIndex::new(old.iter().enumerate().map(|(i, (k, _))| (k, i)));
    !new.iter().any(|(k, _)| keys.get(k).is_some())
}

/// Old children's keys and positions, sorted by key and found by binary search.
///
/// A hash map did the same, but brought hashbrown and SipHash into every browser bundle
/// (~3 KB of wasm, ~1 KiB gzip, for a path only reorders take); sorting integer keys is as
/// quick as hashing them (`--example select … swap`, callgrind).
struct KeyIndex<'k> {
    sorted: Vec<(&'k Key, usize)>,
}

impl<'k> KeyIndex<'k> {
    fn new(keys: impl Iterator<Item = (&'k Key, usize)>) -> Self {
        let mut sorted: Vec<(&Key, usize)> = keys.collect();
        sorted.sort_unstable();
        KeyIndex { sorted }
    }

    /// The position of `key`; for a key given twice, the later one (as a map built in order
    /// would keep).
    fn get(&self, key: &Key) -> Option<usize> {
        let end = self.sorted.partition_point(|(k, _)| *k <= key);
        match end.checked_sub(1).map(|i| self.sorted[i]) {
            Some((k, i)) if k == key => Some(i),
            _ => None,
        }
    }
}

/// Indices into `seq` of a longest strictly increasing subsequence of its `Some` values,
/// in increasing order (patience sorting with predecessor links, O(n log n)).
pub(crate) fn longest_increasing_subsequence(seq: &[Option<usize>]) -> Vec<usize> {
    let mut tails: Vec<usize> = Vec::new(); // indices into seq
    let mut prev: Vec<Option<usize>> = vec![None; seq.len()];
    for (i, v) in seq.iter().enumerate() {
        let Some(v) = *v else { continue };
        let pos = tails.partition_point(|&t| seq[t].is_some_and(|tv| tv < v));
        if pos > 0 {
            prev[i] = Some(tails[pos - 1]);
        }
        if pos == tails.len() {
            tails.push(i);
        } else {
            tails[pos] = i;
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
        let index = KeyIndex::new(keys.iter().enumerate().map(|(i, k)| (k, i)));
        assert_eq!(index.get(&Key::from(3)), Some(2));
        assert_eq!(index.get(&Key::from("a")), Some(4));
        assert_eq!(index.get(&Key::from("b")), Some(1));
        assert_eq!(index.get(&Key::from(7)), Some(3));
        assert_eq!(index.get(&Key::from(5)), None);
        assert_eq!(index.get(&Key::from("7")), None);
        assert_eq!(KeyIndex::new(std::iter::empty()).get(&Key::from(1)), None);
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
