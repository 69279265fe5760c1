//! The list type. Redis 7.0 stores every list as a `quicklist`; here a ring
//! buffer of compact strings gives the same O(1) pushes and pops at both
//! ends, and O(1) indexing besides. It never holds an empty list for long:
//! commands delete the key when the last element leaves.

use super::compact::CompactBytes;
use alloc::collections::VecDeque;

/// An end of a list (Redis's `LIST_HEAD` / `LIST_TAIL`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum End {
    /// The first element (`LEFT`).
    Head,
    /// The last element (`RIGHT`).
    Tail,
}

/// A list value.
#[derive(Clone, Default, Debug)]
pub struct List {
    /// The elements, head first.
    pub items: VecDeque<CompactBytes>,
}

impl List {
    /// An empty list.
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether the list is empty (an empty list never stays in the keyspace).
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Heap bytes owned.
    pub fn heap_size(&self) -> usize {
        self.items.capacity() * core::mem::size_of::<CompactBytes>()
            + self.items.iter().map(CompactBytes::heap_size).sum::<usize>()
    }

    /// Adds `element` at `end`.
    #[inline]
    pub fn push(&mut self, end: End, element: CompactBytes) {
        match end {
            End::Head => self.items.push_front(element),
            End::Tail => self.items.push_back(element),
        }
    }

    /// Removes the element at `end`.
    #[inline]
    pub fn pop(&mut self, end: End) -> Option<CompactBytes> {
        match end {
            End::Head => self.items.pop_front(),
            End::Tail => self.items.pop_back(),
        }
    }

    /// Resolves a Redis index (negative counts from the tail) to a position.
    pub fn resolve_index(&self, index: i64) -> Option<usize> {
        let len = self.items.len() as i64;
        let index = if index < 0 { len + index } else { index };
        (0..len).contains(&index).then_some(index as usize)
    }

    /// Removes elements equal to `target` (LREM): the first `limit` from
    /// the head when `from` is [`End::Head`], the last `limit` when it is
    /// [`End::Tail`]; `None` removes every match. In place, one pass plus
    /// one backward scan; returns how many were removed.
    pub fn remove_matches(&mut self, target: &[u8], limit: Option<usize>, from: End) -> usize {
        // Elements before `first` are kept whatever they are.
        let mut first = 0;
        let mut limit = limit.unwrap_or(usize::MAX);
        if from == End::Tail && limit != usize::MAX {
            let mut found = 0;
            for (at, element) in self.items.iter().enumerate().rev() {
                if element.as_bytes() == target {
                    found += 1;
                    if found == limit {
                        first = at;
                        break;
                    }
                }
            }
            limit = found;
        }
        let mut removed = 0;
        let mut at = 0;
        self.items.retain(|element| {
            let remove = at >= first && removed < limit && element.as_bytes() == target;
            at += 1;
            removed += usize::from(remove);
            !remove
        });
        removed
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec::Vec;

    fn list(items: &[&str]) -> List {
        let mut list = List::new();
        for item in items {
            list.push(End::Tail, CompactBytes::new(item.as_bytes()));
        }
        list
    }

    fn words(list: &List) -> Vec<&str> {
        list.items
            .iter()
            .map(|e| core::str::from_utf8(e.as_bytes()).unwrap())
            .collect()
    }

    #[test]
    fn push_and_pop_at_both_ends() {
        let mut l = list(&["b"]);
        l.push(End::Head, CompactBytes::new(b"a"));
        l.push(End::Tail, CompactBytes::new(b"c"));
        assert_eq!(words(&l), ["a", "b", "c"]);
        assert_eq!(l.pop(End::Tail).unwrap().as_bytes(), b"c");
        assert_eq!(l.pop(End::Head).unwrap().as_bytes(), b"a");
        assert_eq!(l.len(), 1);
        l.pop(End::Head);
        assert!(l.pop(End::Tail).is_none());
        assert!(l.is_empty());
    }

    #[test]
    fn indexes_count_from_either_end() {
        let l = list(&["a", "b", "c"]);
        assert_eq!(l.resolve_index(0), Some(0));
        assert_eq!(l.resolve_index(-1), Some(2));
        assert_eq!(l.resolve_index(-3), Some(0));
        assert_eq!(l.resolve_index(-4), None);
        assert_eq!(l.resolve_index(3), None);
        assert_eq!(l.resolve_index(i64::MIN), None);
        assert_eq!(l.resolve_index(i64::MAX), None);
    }

    #[test]
    fn remove_matches_from_head_tail_or_all() {
        let mut l = list(&["x", "a", "x", "b", "x", "c", "x"]);
        assert_eq!(l.remove_matches(b"x", Some(2), End::Head), 2);
        assert_eq!(words(&l), ["a", "b", "x", "c", "x"]);

        let mut l = list(&["x", "a", "x", "b", "x", "c", "x"]);
        assert_eq!(l.remove_matches(b"x", Some(2), End::Tail), 2);
        assert_eq!(words(&l), ["x", "a", "x", "b", "c"]);

        let mut l = list(&["x", "a", "x"]);
        assert_eq!(l.remove_matches(b"x", Some(10), End::Tail), 2);
        assert_eq!(words(&l), ["a"]);

        let mut l = list(&["x", "a", "x"]);
        assert_eq!(l.remove_matches(b"x", None, End::Head), 2);
        assert_eq!(l.remove_matches(b"zz", None, End::Head), 0);
        assert_eq!(words(&l), ["a"]);
    }
}
