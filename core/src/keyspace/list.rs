//! The list type. Redis 7.0 stores every list as a `quicklist`; here a ring
//! buffer of compact strings gives the same O(1) pushes and pops at both
//! ends and O(1) indexing.

use super::compact::CompactBytes;
use alloc::collections::VecDeque;

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

    /// Resolves a Redis index (negative counts from the tail) to a position.
    pub fn resolve_index(&self, index: i64) -> Option<usize> {
        let len = self.items.len() as i64;
        let index = if index < 0 { len + index } else { index };
        (0..len).contains(&index).then_some(index as usize)
    }
}
