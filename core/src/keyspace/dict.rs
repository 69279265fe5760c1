//! `Dict`: the chained hash table behind the keyspace and every big hash, set
//! and sorted set.
//!
//! It is Redis's `dict.c` design, written again here because no crate offers
//! the two properties Redis users rely on:
//! - **incremental rehashing**: growing a table of a million entries moves a
//!   few buckets per operation (and per [`Dict::rehash_steps`] call from the
//!   server's cron), so no single command pays for the whole resize;
//! - **the reverse-binary SCAN cursor**: [`Dict::scan`] returns every entry
//!   present for the whole scan at least once, even while the table grows or
//!   shrinks between calls.
//!
//! Buckets are `Option<Box<Node>>` chains, 8 bytes each. A node holds the key
//! inline ([`CompactBytes`]), so a lookup touches the bucket array and then
//! one node per chain step.
//!
//! It never allocates for a lookup and never hashes with an unseeded function:
//! the seed is set once by the host from its random bytes ([`set_hash_seed`]).

use super::compact::CompactBytes;
use crate::util::rng::Rng;
use alloc::boxed::Box;
use alloc::vec::Vec;
use core::hash::BuildHasher;
use core::sync::atomic::{AtomicU64, Ordering};

/// Until a host seeds it: any value, replaced by the first seed.
const UNSEEDED: u64 = 0x9e37_79b9_7f4a_7c15;
static HASH_SEED: AtomicU64 = AtomicU64::new(UNSEEDED);

/// Seeds every `Dict`'s hash function, once per process: call it at
/// start-up, before any table is filled, with random bytes from the host
/// (Redis does the same with `dictSetHashFunctionSeed`); a seed an attacker
/// cannot guess keeps crafted keys from landing in one chain. Later calls
/// change nothing: tables other engines of the same process (tests) have
/// filled must keep finding their keys.
pub fn set_hash_seed(seed: u64) {
    let _ = HASH_SEED.compare_exchange(UNSEEDED, seed, Ordering::Relaxed, Ordering::Relaxed);
}

/// The seeded hash of a key.
#[inline]
pub fn hash_bytes(key: &[u8]) -> u64 {
    foldhash::fast::FixedState::with_seed(HASH_SEED.load(Ordering::Relaxed)).hash_one(key)
}

const INITIAL_SIZE: usize = 4;
/// A table is shrunk when fewer than 1 in 10 buckets would be used (Redis's
/// `HASHTABLE_MIN_FILL`).
const MIN_FILL_PERCENT: usize = 10;
/// Empty buckets a rehash step may skip before it gives up for this call.
const EMPTY_VISITS_PER_STEP: usize = 10;
/// Keys [`Dict::prefetch`] looks up at once: enough cache misses in flight
/// to keep a core's line-fill buffers busy, few enough that one round's
/// loads fit its reorder window.
const PREFETCH_ROUND: usize = 16;
/// Nodes [`Iter`] and [`Dict::free_some`] gather before they use them: as
/// for [`PREFETCH_ROUND`], enough misses in flight to keep the line-fill
/// buffers busy.
const NODE_BATCH: usize = 16;

type Link<V> = Option<Box<Node<V>>>;

struct Node<V> {
    key: CompactBytes,
    value: V,
    next: Link<V>,
}

struct Table<V> {
    buckets: Vec<Link<V>>,
    used: usize,
}

impl<V> Table<V> {
    const fn empty() -> Self {
        Table {
            buckets: Vec::new(),
            used: 0,
        }
    }

    fn with_size(size: usize) -> Self {
        let mut buckets = Vec::with_capacity(size);
        buckets.resize_with(size, || None);
        Table { buckets, used: 0 }
    }

    #[inline]
    fn mask(&self) -> usize {
        self.buckets.len().wrapping_sub(1)
    }

    // On every snapshot key's path: see `rdb::decoder`.
    #[inline(always)]
    fn find(&self, hash: u64, key: &[u8]) -> Option<&Node<V>> {
        if self.buckets.is_empty() {
            return None;
        }
        let mut link = self.buckets[hash as usize & self.mask()].as_deref();
        while let Some(node) = link {
            if node.key.as_bytes() == key {
                return Some(node);
            }
            link = node.next.as_deref();
        }
        None
    }

    fn find_mut(&mut self, hash: u64, key: &[u8]) -> Option<&mut Node<V>> {
        if self.buckets.is_empty() {
            return None;
        }
        let mask = self.mask();
        let mut link = self.buckets[hash as usize & mask].as_deref_mut();
        while let Some(node) = link {
            if node.key.as_bytes() == key {
                return Some(node);
            }
            link = node.next.as_deref_mut();
        }
        None
    }

    // On every snapshot key's path: see `rdb::decoder`.
    #[inline(always)]
    fn push_front(&mut self, hash: u64, mut node: Box<Node<V>>) {
        let index = hash as usize & self.mask();
        node.next = self.buckets[index].take();
        self.buckets[index] = Some(node);
        self.used += 1;
    }

    fn unlink(&mut self, hash: u64, key: &[u8]) -> Option<Box<Node<V>>> {
        if self.buckets.is_empty() {
            return None;
        }
        let index = hash as usize & self.mask();
        let mut link = &mut self.buckets[index];
        loop {
            match link {
                None => return None,
                Some(node) if node.key.as_bytes() == key => {
                    let mut node = link.take()?;
                    *link = node.next.take();
                    self.used -= 1;
                    return Some(node);
                }
                Some(node) => link = &mut node.next,
            }
        }
    }
}

/// A hash table from byte-string keys to `V`, with Redis's incremental
/// rehashing and SCAN cursor. See the module documentation.
pub struct Dict<V> {
    tables: [Table<V>; 2],
    /// While rehashing, the next bucket of `tables[0]` to move into
    /// `tables[1]`; buckets below it are empty.
    rehash_index: Option<usize>,
}

impl<V> Default for Dict<V> {
    fn default() -> Self {
        Self::new()
    }
}

impl<V> Dict<V> {
    /// An empty table; it allocates on first insert.
    pub const fn new() -> Self {
        Dict {
            tables: [Table::empty(), Table::empty()],
            rehash_index: None,
        }
    }

    /// An empty table sized for `capacity` entries.
    pub fn with_capacity(capacity: usize) -> Self {
        let mut dict = Self::new();
        if capacity > 0 {
            dict.tables[0] = Table::with_size(bucket_count_for(capacity));
        }
        dict
    }

    /// Number of entries.
    #[inline]
    pub fn len(&self) -> usize {
        self.tables[0].used + self.tables[1].used
    }

    /// Whether the table holds no entry.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Frees up to `budget` entries, last bucket first; returns how many.
    /// Only for a table on its way out (a database emptied lazily): the
    /// buckets it empties are removed, so it can no longer be searched.
    ///
    /// Nodes are taken [`NODE_BATCH`] at a time, then freed together: as
    /// in [`Iter`], taking one reads only its link, so the batch's cache
    /// misses overlap instead of each free waiting on its own.
    pub fn free_some(&mut self, budget: usize) -> usize {
        let mut freed = 0;
        for table in &mut self.tables {
            while freed < budget && !table.buckets.is_empty() {
                let mut batch: [Link<V>; NODE_BATCH] = [const { None }; NODE_BATCH];
                let mut taken = 0;
                while taken < NODE_BATCH && freed + taken < budget {
                    let Some(slot) = table.buckets.last_mut() else {
                        break;
                    };
                    match slot.take() {
                        Some(mut node) => {
                            *slot = node.next.take();
                            batch[taken] = Some(node);
                            taken += 1;
                        }
                        None => {
                            table.buckets.pop();
                        }
                    }
                }
                table.used -= taken;
                freed += taken;
                drop(batch);
            }
        }
        freed
    }

    /// Total number of buckets (both tables while rehashing).
    pub fn bucket_count(&self) -> usize {
        self.tables[0].buckets.len() + self.tables[1].buckets.len()
    }

    /// Whether a resize is in progress.
    pub fn is_rehashing(&self) -> bool {
        self.rehash_index.is_some()
    }

    /// Bytes of bucket arrays and nodes, excluding what keys and values own
    /// on the heap.
    pub fn overhead_bytes(&self) -> usize {
        self.bucket_count() * core::mem::size_of::<Link<V>>() + self.len() * core::mem::size_of::<Node<V>>()
    }

    /// The value stored under `key`.
    #[inline]
    pub fn get(&self, key: &[u8]) -> Option<&V> {
        self.get_key_value(key).map(|(_, v)| v)
    }

    /// The stored key and value under `key`.
    pub fn get_key_value(&self, key: &[u8]) -> Option<(&CompactBytes, &V)> {
        if self.is_empty() {
            return None;
        }
        let node = self.find_node(hash_bytes(key), key)?;
        Some((&node.key, &node.value))
    }

    /// The node of `key` (its `hash`), in either table while rehashing.
    // On every snapshot key's path: see `rdb::decoder`.
    #[inline(always)]
    fn find_node(&self, hash: u64, key: &[u8]) -> Option<&Node<V>> {
        match self.tables[0].find(hash, key) {
            Some(node) => Some(node),
            None if self.is_rehashing() => self.tables[1].find(hash, key),
            None => None,
        }
    }

    /// Brings into cache the bucket and the first chain node of each key
    /// (given by its [`hash_bytes`]), a round of keys at a time, before
    /// they are inserted one by one.
    ///
    /// In a table much larger than the cache each key costs two misses (its
    /// bucket, then its chain's first node), and a load does little else:
    /// inserting keys one at a time leaves the core waiting on one miss
    /// after another. Here the bucket reads of a round do not depend on
    /// each other, nor do the node reads, so the core has all of them in
    /// flight together. Plain reads rather than prefetch instructions,
    /// which a WebAssembly build does not have. While a rehash runs, keys
    /// may be in either table, and nothing is done.
    pub fn prefetch(&self, hashes: &[u64]) {
        let table = &self.tables[0];
        if self.is_rehashing() || table.buckets.is_empty() {
            return;
        }
        let mask = table.mask();
        for round in hashes.chunks(PREFETCH_ROUND) {
            let mut heads: [Option<&Node<V>>; PREFETCH_ROUND] = [None; PREFETCH_ROUND];
            for (head, hash) in heads.iter_mut().zip(round) {
                *head = table.buckets[*hash as usize & mask].as_deref();
            }
            // Reading each head's key length touches the node's first
            // line; the sum only keeps the reads from being optimised out.
            let lengths = heads.iter().flatten().fold(0usize, |sum, node| sum ^ node.key.len());
            core::hint::black_box(lengths);
        }
    }

    /// Whether `key` is present.
    pub fn contains_key(&self, key: &[u8]) -> bool {
        self.get(key).is_some()
    }

    /// The value under `key`, mutable.
    #[inline]
    pub fn get_mut(&mut self, key: &[u8]) -> Option<&mut V> {
        if self.is_empty() {
            return None;
        }
        self.rehash_step();
        let hash = hash_bytes(key);
        let rehashing = self.is_rehashing();
        let [first, second] = &mut self.tables;
        match first.find_mut(hash, key) {
            Some(node) => Some(&mut node.value),
            None if rehashing => second.find_mut(hash, key).map(|node| &mut node.value),
            None => None,
        }
    }

    /// Inserts or replaces; returns the previous value.
    pub fn insert(&mut self, key: CompactBytes, value: V) -> Option<V> {
        match self.get_mut(key.as_bytes()) {
            Some(slot) => Some(core::mem::replace(slot, value)),
            None => {
                self.insert_new(key, value);
                None
            }
        }
    }

    /// Inserts `key` unless it is present (a load checks every key of a
    /// snapshot for a duplicate); a present key gets key and value back.
    /// `hash` is the key's [`hash_bytes`], computed once by a loader that
    /// also [prefetches](Dict::prefetch) with it.
    pub fn insert_absent(&mut self, hash: u64, key: CompactBytes, value: V) -> Result<(), (CompactBytes, V)> {
        debug_assert_eq!(hash, hash_bytes(key.as_bytes()));
        self.expand_if_needed();
        self.rehash_step();
        if self.find_node(hash, key.as_bytes()).is_some() {
            return Err((key, value));
        }
        self.push_new(hash, key, value);
        Ok(())
    }

    /// Inserts a key the caller knows is absent, and returns its value.
    pub fn insert_new(&mut self, key: CompactBytes, value: V) -> &mut V {
        self.expand_if_needed();
        self.rehash_step();
        let hash = hash_bytes(key.as_bytes());
        self.push_new(hash, key, value)
    }

    /// Adds an absent `key` (its `hash`) to the table that takes new
    /// entries (the new one while rehashing); its value.
    // On every snapshot key's path: see `rdb::decoder`.
    #[inline(always)]
    fn push_new(&mut self, hash: u64, key: CompactBytes, value: V) -> &mut V {
        let table = &mut self.tables[usize::from(self.is_rehashing())];
        table.push_front(hash, Box::new(Node { key, value, next: None }));
        let index = hash as usize & table.mask();
        // The node just pushed is at the head of its bucket.
        match table.buckets[index].as_deref_mut() {
            Some(node) => &mut node.value,
            None => unreachable!("bucket emptied right after a push"),
        }
    }

    /// The value under `key`, inserting `make()` first when absent. The flag
    /// says whether it was inserted.
    pub fn get_or_insert_with(&mut self, key: &[u8], make: impl FnOnce() -> V) -> (&mut V, bool) {
        // Two lookups when absent; a single-lookup entry API would need the
        // bucket borrow to outlive the miss, which safe Rust rejects here.
        if self.contains_key(key) {
            match self.get_mut(key) {
                Some(value) => (value, false),
                None => unreachable!("key vanished between two lookups"),
            }
        } else {
            (self.insert_new(CompactBytes::new(key), make()), true)
        }
    }

    /// Removes `key`, returning the stored key and value.
    pub fn remove(&mut self, key: &[u8]) -> Option<(CompactBytes, V)> {
        if self.is_empty() {
            return None;
        }
        self.rehash_step();
        let hash = hash_bytes(key);
        let node = match self.tables[0].unlink(hash, key) {
            Some(node) => Some(node),
            None if self.is_rehashing() => self.tables[1].unlink(hash, key),
            None => None,
        }?;
        let node = *node;
        Some((node.key, node.value))
    }

    /// Drops every entry and frees the buckets.
    pub fn clear(&mut self) {
        *self = Self::new();
    }

    /// Shrinks the buckets when fewer than 10% are in use, as Redis does
    /// after deletions (`htNeedsResize`). Returns whether a resize started.
    pub fn shrink_if_needed(&mut self) -> bool {
        let size = self.bucket_count();
        if self.is_rehashing() || size <= INITIAL_SIZE {
            return false;
        }
        if self.len() * 100 / size >= MIN_FILL_PERCENT {
            return false;
        }
        self.resize(bucket_count_for(self.len().max(INITIAL_SIZE)));
        true
    }

    /// Moves up to `buckets` non-empty buckets of a resize in progress.
    /// Returns whether rehashing is still in progress afterwards.
    pub fn rehash_steps(&mut self, buckets: usize) -> bool {
        let Some(mut index) = self.rehash_index else {
            return false;
        };
        let mut empty_visits = buckets.max(1) * EMPTY_VISITS_PER_STEP;
        let mut moved = 0;
        while moved < buckets && self.tables[0].used > 0 {
            while self.tables[0].buckets[index].is_none() {
                index += 1;
                empty_visits -= 1;
                if empty_visits == 0 {
                    self.rehash_index = Some(index);
                    return true;
                }
            }
            let mut link = self.tables[0].buckets[index].take();
            while let Some(mut node) = link {
                link = node.next.take();
                let hash = hash_bytes(node.key.as_bytes());
                self.tables[0].used -= 1;
                self.tables[1].push_front(hash, node);
            }
            index += 1;
            moved += 1;
        }
        if self.tables[0].used == 0 {
            self.tables[0] = core::mem::replace(&mut self.tables[1], Table::empty());
            self.rehash_index = None;
            false
        } else {
            self.rehash_index = Some(index);
            true
        }
    }

    #[inline]
    fn rehash_step(&mut self) {
        if self.rehash_index.is_some() {
            self.rehash_steps(1);
        }
    }

    fn expand_if_needed(&mut self) {
        if self.is_rehashing() {
            return;
        }
        let size = self.tables[0].buckets.len();
        if size == 0 {
            self.tables[0] = Table::with_size(INITIAL_SIZE);
        } else if self.tables[0].used >= size {
            self.resize(bucket_count_for(self.tables[0].used + 1));
        }
    }

    fn resize(&mut self, size: usize) {
        if size == self.tables[0].buckets.len() {
            return;
        }
        self.tables[1] = Table::with_size(size);
        self.rehash_index = Some(0);
        if self.tables[0].used == 0 {
            self.rehash_steps(1);
        }
    }

    /// Every entry, in bucket order.
    pub fn iter(&self) -> Iter<'_, V> {
        Iter {
            dict: self,
            table: 0,
            bucket: 0,
            node: None,
            ahead: [None; NODE_BATCH],
            taken: 0,
            gathered: 0,
        }
    }

    /// Calls `emit` for the entries of the buckets at `cursor` and returns
    /// the next cursor, 0 when the scan is complete. Start with 0.
    ///
    /// The cursor counts in bit-reversed order over the bucket indices, so a
    /// resize between two calls never makes the scan skip a bucket it has
    /// not visited: an entry present for the whole scan is emitted at least
    /// once (possibly more than once if the table shrank).
    pub fn scan(&self, cursor: u64, mut emit: impl FnMut(&CompactBytes, &V)) -> u64 {
        if self.is_empty() {
            return 0;
        }
        let mut cursor = cursor as usize;
        let emit_bucket = |table: &Table<V>, index: usize, emit: &mut dyn FnMut(&CompactBytes, &V)| {
            let mut link = table.buckets[index].as_deref();
            while let Some(node) = link {
                emit(&node.key, &node.value);
                link = node.next.as_deref();
            }
        };
        if !self.is_rehashing() {
            let table = &self.tables[0];
            let mask = table.mask();
            emit_bucket(table, cursor & mask, &mut emit);
            cursor = next_reverse_cursor(cursor, mask);
        } else {
            let (small, big) = if self.tables[0].buckets.len() <= self.tables[1].buckets.len() {
                (&self.tables[0], &self.tables[1])
            } else {
                (&self.tables[1], &self.tables[0])
            };
            let (small_mask, big_mask) = (small.mask(), big.mask());
            emit_bucket(small, cursor & small_mask, &mut emit);
            loop {
                emit_bucket(big, cursor & big_mask, &mut emit);
                cursor = next_reverse_cursor(cursor, big_mask);
                if cursor & (small_mask ^ big_mask) == 0 {
                    break;
                }
            }
        }
        cursor as u64
    }

    /// A random entry: a random non-empty bucket, then a random node of its
    /// chain (Redis's `dictGetRandomKey`).
    pub fn random(&self, rng: &mut Rng) -> Option<(&CompactBytes, &V)> {
        if self.is_empty() {
            return None;
        }
        let first_len = self.tables[0].buckets.len();
        let start = self.rehash_index.unwrap_or(0);
        let head = loop {
            let slots = if self.is_rehashing() {
                self.bucket_count() - start
            } else {
                first_len
            };
            let index = start + rng.below(slots as u64) as usize;
            let bucket = if index >= first_len {
                &self.tables[1].buckets[index - first_len]
            } else {
                &self.tables[0].buckets[index]
            };
            if let Some(node) = bucket.as_deref() {
                break node;
            }
        };
        let mut chain_len = 0;
        let mut link = Some(head);
        while let Some(node) = link {
            chain_len += 1;
            link = node.next.as_deref();
        }
        let mut node = head;
        for _ in 0..rng.below(chain_len) {
            node = node.next.as_deref()?;
        }
        Some((&node.key, &node.value))
    }
}

impl<V: Clone> Clone for Dict<V> {
    fn clone(&self) -> Self {
        let mut copy = Dict::with_capacity(self.len());
        for (key, value) in self.iter() {
            copy.insert_new(key.clone(), value.clone());
        }
        copy
    }
}

/// The bucket count Redis picks for `entries`: the next power of two.
fn bucket_count_for(entries: usize) -> usize {
    entries.max(INITIAL_SIZE).next_power_of_two()
}

/// Increments the bit-reversed cursor over the bits of `mask`.
#[inline]
fn next_reverse_cursor(cursor: usize, mask: usize) -> usize {
    let mut v = cursor | !mask;
    v = v.reverse_bits();
    v = v.wrapping_add(1);
    v.reverse_bits()
}

/// Iterator over a [`Dict`]'s entries.
///
/// It gathers the next [`NODE_BATCH`] nodes before it yields the first of
/// them. In a table larger than the cache every node is a miss, and one
/// node at a time the core waits on each before it can even find the next
/// (a snapshot child spent 97% of its walk on that wait); gathering reads
/// only each node's link, so the misses of a batch are in flight together
/// and its nodes are in cache by the time the caller reads them.
pub struct Iter<'a, V> {
    dict: &'a Dict<V>,
    table: usize,
    bucket: usize,
    /// The rest of the chain the last gathered node belongs to.
    node: Option<&'a Node<V>>,
    ahead: [Option<&'a Node<V>>; NODE_BATCH],
    /// How many of the gathered nodes were yielded.
    taken: usize,
    gathered: usize,
}

impl<'a, V> Iter<'a, V> {
    /// Fills `ahead` with the next nodes in bucket order; fewer at the end.
    fn gather(&mut self) {
        self.taken = 0;
        self.gathered = 0;
        while self.gathered < NODE_BATCH {
            if let Some(node) = self.node {
                self.ahead[self.gathered] = Some(node);
                self.gathered += 1;
                self.node = node.next.as_deref();
                continue;
            }
            let Some(table) = self.dict.tables.get(self.table) else {
                return;
            };
            match table.buckets.get(self.bucket) {
                Some(head) => {
                    self.node = head.as_deref();
                    self.bucket += 1;
                }
                None => {
                    self.table += 1;
                    self.bucket = 0;
                }
            }
        }
    }
}

impl<'a, V> Iterator for Iter<'a, V> {
    type Item = (&'a CompactBytes, &'a V);

    fn next(&mut self) -> Option<Self::Item> {
        if self.taken == self.gathered {
            self.gather();
        }
        let node = self.ahead[..self.gathered].get(self.taken).copied().flatten()?;
        self.taken += 1;
        Some((&node.key, &node.value))
    }
}

impl<V> Drop for Dict<V> {
    /// Frees the nodes a batch at a time ([`Dict::free_some`]), chains
    /// iteratively: a long chain dropped recursively could exhaust the
    /// stack.
    fn drop(&mut self) {
        self.free_some(usize::MAX);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::collections::BTreeSet;
    use alloc::format;

    fn key(i: usize) -> CompactBytes {
        CompactBytes::new(format!("key:{i}").as_bytes())
    }

    #[test]
    fn insert_get_remove_through_resizes() {
        let mut dict = Dict::new();
        for i in 0..10_000 {
            assert!(dict.insert(key(i), i).is_none());
        }
        assert_eq!(dict.len(), 10_000);
        for i in 0..10_000 {
            assert_eq!(dict.get(&key(i)), Some(&i));
        }
        assert_eq!(dict.insert(key(5), 50), Some(5));
        for i in 0..9_990 {
            assert_eq!(dict.remove(&key(i)).map(|(_, v)| v), Some(if i == 5 { 50 } else { i }));
            dict.shrink_if_needed();
        }
        assert_eq!(dict.len(), 10);
        assert!(dict.get(&key(3)).is_none());
        assert_eq!(dict.iter().count(), 10);
    }

    #[test]
    fn iter_yields_each_entry_once_along_chains_and_mid_rehash() {
        let mut dict = Dict::new();
        assert_eq!(dict.iter().count(), 0);
        let mut added = 0;
        // Full tables (chains) until one doubles: its entries are then in
        // both tables.
        while added < 5000 || !dict.is_rehashing() {
            dict.insert(key(added), added);
            added += 1;
        }
        let mut iter = dict.iter();
        let mut seen: Vec<usize> = iter.by_ref().map(|(_, value)| *value).collect();
        assert!(iter.next().is_none(), "an ended iterator stays ended");
        seen.sort_unstable();
        assert_eq!(seen, (0..added).collect::<Vec<_>>());
    }

    #[test]
    fn scan_returns_every_stable_entry_across_growth_and_shrink() {
        let mut dict = Dict::new();
        for i in 0..1000 {
            dict.insert(key(i), ());
        }
        let mut seen = BTreeSet::new();
        let mut cursor = 0;
        let mut round = 0;
        loop {
            cursor = dict.scan(cursor, |k, _| {
                seen.insert(k.clone());
            });
            // Grow, then shrink, while the scan is under way.
            round += 1;
            if round < 50 {
                for i in 0..40 {
                    dict.insert(key(100_000 + round * 40 + i), ());
                }
            } else {
                for i in 0..40 {
                    dict.remove(&key(100_000 + (round - 49) * 40 + i));
                }
                dict.shrink_if_needed();
            }
            if cursor == 0 {
                break;
            }
        }
        for i in 0..1000 {
            assert!(seen.contains(&key(i)), "missed key:{i}");
        }
    }

    #[test]
    fn random_finds_entries() {
        let mut dict = Dict::new();
        let mut rng = Rng::new([7; 32]);
        assert!(dict.random(&mut rng).is_none());
        for i in 0..100 {
            dict.insert(key(i), i);
        }
        let mut seen = BTreeSet::new();
        for _ in 0..2000 {
            let (_, v) = dict.random(&mut rng).unwrap();
            seen.insert(*v);
        }
        assert!(seen.len() > 90);
    }
}
