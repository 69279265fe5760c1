//! The sorted-set type. A small sorted set is a `listpack`: `(score, member)`
//! pairs kept in order, searched linearly. A big one is a `skiplist` in
//! Redis; here it is a member → score table plus a [`SortedIndex`], which
//! answers the same questions (rank, range by rank, range by score or lex)
//! in logarithmic-ish time. Conversion happens where Redis 7.0 does it:
//! past `zset-max-listpack-entries` members or a member longer than
//! `zset-max-listpack-value`.

use super::compact::CompactBytes;
use super::dict::Dict;
use super::hash::ListpackLimits;
use alloc::vec::Vec;
use core::cmp::Ordering;

/// One member with its score.
pub type ScoredMember = (f64, CompactBytes);

/// Redis's order: by score, then by member bytes.
#[inline]
pub fn compare(a_score: f64, a_member: &[u8], b_score: f64, b_member: &[u8]) -> Ordering {
    match a_score.partial_cmp(&b_score) {
        Some(Ordering::Equal) | None => a_member.cmp(b_member),
        Some(order) => order,
    }
}

/// Elements per chunk before a split.
const CHUNK_MAX: usize = 512;

/// An ordered sequence of `(score, member)` in Redis's order, stored as
/// sorted chunks of at most [`CHUNK_MAX`] entries. Finding a position is a
/// binary search over chunk boundaries then within one chunk; inserting or
/// removing moves at most one chunk's entries. Ranks are found by summing
/// chunk lengths (one integer per 512 entries).
#[derive(Clone, Default, Debug)]
pub struct SortedIndex {
    chunks: Vec<Vec<ScoredMember>>,
    len: usize,
}

impl SortedIndex {
    /// An empty index.
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether empty.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The chunk that holds, or would hold, the entry `(score, member)`.
    fn chunk_for(&self, score: f64, member: &[u8]) -> usize {
        // First chunk whose last entry is >= the target.
        let found = self.chunks.partition_point(|chunk| {
            let (s, m) = &chunk[chunk.len() - 1];
            compare(*s, m, score, member) == Ordering::Less
        });
        found.min(self.chunks.len().saturating_sub(1))
    }

    /// Inserts an entry the caller knows is absent.
    pub fn insert(&mut self, score: f64, member: CompactBytes) {
        self.len += 1;
        if self.chunks.is_empty() {
            self.chunks.push(alloc::vec![(score, member)]);
            return;
        }
        let c = self.chunk_for(score, &member);
        let chunk = &mut self.chunks[c];
        let at = chunk.partition_point(|(s, m)| compare(*s, m, score, &member) == Ordering::Less);
        chunk.insert(at, (score, member));
        if chunk.len() > CHUNK_MAX {
            let tail = chunk.split_off(CHUNK_MAX / 2);
            self.chunks.insert(c + 1, tail);
        }
    }

    /// Removes `(score, member)`; returns whether it was there.
    pub fn remove(&mut self, score: f64, member: &[u8]) -> bool {
        if self.chunks.is_empty() {
            return false;
        }
        let c = self.chunk_for(score, member);
        let chunk = &mut self.chunks[c];
        let at = chunk.partition_point(|(s, m)| compare(*s, m, score, member) == Ordering::Less);
        if at >= chunk.len() || compare(chunk[at].0, &chunk[at].1, score, member) != Ordering::Equal {
            return false;
        }
        chunk.remove(at);
        self.len -= 1;
        if chunk.is_empty() {
            self.chunks.remove(c);
        } else if chunk.len() < CHUNK_MAX / 8 && c + 1 < self.chunks.len() && self.chunks[c + 1].len() < CHUNK_MAX / 2 {
            let next = self.chunks.remove(c + 1);
            self.chunks[c].extend(next);
        }
        true
    }

    /// 0-based rank of `(score, member)`, if present.
    pub fn rank(&self, score: f64, member: &[u8]) -> Option<usize> {
        if self.chunks.is_empty() {
            return None;
        }
        let c = self.chunk_for(score, member);
        let chunk = &self.chunks[c];
        let at = chunk.partition_point(|(s, m)| compare(*s, m, score, member) == Ordering::Less);
        if at >= chunk.len() || compare(chunk[at].0, &chunk[at].1, score, member) != Ordering::Equal {
            return None;
        }
        Some(self.chunks[..c].iter().map(Vec::len).sum::<usize>() + at)
    }

    /// Number of entries before the first one for which `is_after` holds
    /// (`is_after` must be false then true along the order).
    pub fn count_before(&self, mut is_after: impl FnMut(f64, &[u8]) -> bool) -> usize {
        let c = self.chunks.partition_point(|chunk| {
            let (s, m) = &chunk[chunk.len() - 1];
            !is_after(*s, m)
        });
        let before: usize = self.chunks[..c].iter().map(Vec::len).sum();
        match self.chunks.get(c) {
            Some(chunk) => before + chunk.partition_point(|(s, m)| !is_after(*s, m)),
            None => before,
        }
    }

    /// Entries from rank `start` on, in order.
    pub fn iter_from(&self, start: usize) -> impl Iterator<Item = &ScoredMember> + '_ {
        let mut skip = start;
        let mut first = self.chunks.len();
        for (i, chunk) in self.chunks.iter().enumerate() {
            if skip < chunk.len() {
                first = i;
                break;
            }
            skip -= chunk.len();
        }
        let skip = if first == self.chunks.len() { 0 } else { skip };
        self.chunks[first..].iter().flatten().skip(skip)
    }

    /// Entries up to and including rank `end`, last first.
    pub fn iter_rev_from(&self, end: usize) -> impl Iterator<Item = &ScoredMember> + '_ {
        let total = self.len;
        self.chunks.iter().flatten().rev().skip(total.saturating_sub(end + 1))
    }

    /// The entry at `rank`.
    pub fn get(&self, rank: usize) -> Option<&ScoredMember> {
        self.iter_from(rank).next()
    }

    /// Heap bytes owned.
    pub fn heap_size(&self) -> usize {
        self.chunks
            .iter()
            .map(|c| {
                c.capacity() * core::mem::size_of::<ScoredMember>()
                    + c.iter().map(|(_, m)| m.heap_size()).sum::<usize>()
            })
            .sum()
    }
}

/// A sorted-set value.
#[derive(Clone)]
pub enum ZSet {
    /// Small: entries in order.
    Listpack(Vec<ScoredMember>),
    /// Big: member → score, and the order.
    Skiplist {
        /// Each member's score.
        scores: Dict<f64>,
        /// The members in order.
        index: SortedIndex,
    },
}

impl Default for ZSet {
    fn default() -> Self {
        ZSet::Listpack(Vec::new())
    }
}

impl ZSet {
    /// An empty sorted set in the encoding Redis picks when its first
    /// member is `member` and `expected` members will follow (`zsetTypeCreate`).
    pub fn with_first(member_len: usize, expected: usize, limits: &ListpackLimits) -> ZSet {
        if expected > limits.max_entries || member_len > limits.max_value {
            ZSet::Skiplist {
                scores: Dict::with_capacity(expected),
                index: SortedIndex::new(),
            }
        } else {
            ZSet::Listpack(Vec::new())
        }
    }

    /// `listpack` or `skiplist`.
    pub fn encoding_name(&self) -> &'static str {
        match self {
            ZSet::Listpack(_) => "listpack",
            ZSet::Skiplist { .. } => "skiplist",
        }
    }

    /// Number of members.
    pub fn len(&self) -> usize {
        match self {
            ZSet::Listpack(entries) => entries.len(),
            ZSet::Skiplist { scores, .. } => scores.len(),
        }
    }

    /// Whether empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The score of `member`.
    pub fn score(&self, member: &[u8]) -> Option<f64> {
        match self {
            ZSet::Listpack(entries) => entries.iter().find(|(_, m)| m.as_bytes() == member).map(|(s, _)| *s),
            ZSet::Skiplist { scores, .. } => scores.get(member).copied(),
        }
    }

    /// Sets `member`'s score, inserting it if absent; returns whether it was
    /// new. Converts to a skiplist when the listpack limits are passed.
    pub fn set_score(&mut self, member: &[u8], score: f64, limits: &ListpackLimits) -> bool {
        let existed = self.remove(member);
        if let ZSet::Listpack(entries) = self {
            if entries.len() + 1 > limits.max_entries || member.len() > limits.max_value {
                self.convert_to_skiplist();
            }
        }
        match self {
            ZSet::Listpack(entries) => {
                let at = entries.partition_point(|(s, m)| compare(*s, m, score, member) == Ordering::Less);
                entries.insert(at, (score, CompactBytes::new(member)));
            }
            ZSet::Skiplist { scores, index } => {
                let member = CompactBytes::new(member);
                scores.insert_new(member.clone(), score);
                index.insert(score, member);
            }
        }
        !existed
    }

    /// Removes `member`; returns whether it was there.
    pub fn remove(&mut self, member: &[u8]) -> bool {
        match self {
            ZSet::Listpack(entries) => match entries.iter().position(|(_, m)| m.as_bytes() == member) {
                Some(at) => {
                    entries.remove(at);
                    true
                }
                None => false,
            },
            ZSet::Skiplist { scores, index } => match scores.remove(member) {
                Some((_, score)) => {
                    index.remove(score, member);
                    scores.shrink_if_needed();
                    true
                }
                None => false,
            },
        }
    }

    /// 0-based rank of `member` in ascending order.
    pub fn rank(&self, member: &[u8]) -> Option<usize> {
        match self {
            ZSet::Listpack(entries) => entries.iter().position(|(_, m)| m.as_bytes() == member),
            ZSet::Skiplist { scores, index } => index.rank(*scores.get(member)?, member),
        }
    }

    /// The entry at `rank` in ascending order.
    pub fn get(&self, rank: usize) -> Option<(f64, &CompactBytes)> {
        match self {
            ZSet::Listpack(entries) => entries.get(rank).map(|(s, m)| (*s, m)),
            ZSet::Skiplist { index, .. } => index.get(rank).map(|(s, m)| (*s, m)),
        }
    }

    /// Entries from rank `start` on, ascending.
    pub fn iter_from(&self, start: usize) -> alloc::boxed::Box<dyn Iterator<Item = (f64, &CompactBytes)> + '_> {
        match self {
            ZSet::Listpack(entries) => alloc::boxed::Box::new(entries.iter().skip(start).map(|(s, m)| (*s, m))),
            ZSet::Skiplist { index, .. } => alloc::boxed::Box::new(index.iter_from(start).map(|(s, m)| (*s, m))),
        }
    }

    /// Entries from rank `end` down to rank 0, descending.
    pub fn iter_rev_from(&self, end: usize) -> alloc::boxed::Box<dyn Iterator<Item = (f64, &CompactBytes)> + '_> {
        match self {
            ZSet::Listpack(entries) => {
                let stop = (end + 1).min(entries.len());
                alloc::boxed::Box::new(entries[..stop].iter().rev().map(|(s, m)| (*s, m)))
            }
            ZSet::Skiplist { index, .. } => alloc::boxed::Box::new(index.iter_rev_from(end).map(|(s, m)| (*s, m))),
        }
    }

    /// Number of entries before the first for which `is_after` holds.
    pub fn count_before(&self, mut is_after: impl FnMut(f64, &[u8]) -> bool) -> usize {
        match self {
            ZSet::Listpack(entries) => entries.partition_point(|(s, m)| !is_after(*s, m)),
            ZSet::Skiplist { index, .. } => index.count_before(is_after),
        }
    }

    /// Switches to the skiplist encoding.
    pub fn convert_to_skiplist(&mut self) {
        if let ZSet::Listpack(entries) = self {
            let mut scores = Dict::with_capacity(entries.len());
            let mut index = SortedIndex::new();
            for (score, member) in entries.drain(..) {
                scores.insert_new(member.clone(), score);
                index.insert(score, member);
            }
            *self = ZSet::Skiplist { scores, index };
        }
    }

    /// Heap bytes owned.
    pub fn heap_size(&self) -> usize {
        match self {
            ZSet::Listpack(entries) => {
                entries.capacity() * core::mem::size_of::<ScoredMember>()
                    + entries.iter().map(|(_, m)| m.heap_size()).sum::<usize>()
            }
            ZSet::Skiplist { scores, index } => scores.overhead_bytes() + 2 * index.heap_size(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::format;

    #[test]
    fn index_keeps_order_and_ranks_through_splits() {
        let mut index = SortedIndex::new();
        for i in (0..5000).rev() {
            index.insert((i % 100) as f64, CompactBytes::new(format!("m{i:05}").as_bytes()));
        }
        assert_eq!(index.len(), 5000);
        let all: Vec<_> = index.iter_from(0).collect();
        for pair in all.windows(2) {
            assert_eq!(compare(pair[0].0, &pair[0].1, pair[1].0, &pair[1].1), Ordering::Less);
        }
        for (rank, (score, member)) in all.iter().enumerate().step_by(97) {
            assert_eq!(index.rank(*score, member), Some(rank));
            assert_eq!(index.get(rank).map(|(_, m)| m.clone()), Some(member.clone()));
        }
        assert_eq!(index.count_before(|s, _| s >= 50.0), 2500);
        for i in 0..4990 {
            assert!(index.remove((i % 100) as f64, format!("m{i:05}").as_bytes()));
        }
        assert_eq!(index.len(), 10);
        assert_eq!(index.iter_rev_from(9).count(), 10);
    }

    #[test]
    fn zset_converts_past_limits() {
        let limits = ListpackLimits {
            max_entries: 2,
            max_value: 8,
        };
        let mut zset = ZSet::default();
        assert!(zset.set_score(b"b", 2.0, &limits));
        assert!(zset.set_score(b"a", 1.0, &limits));
        assert!(!zset.set_score(b"a", 3.0, &limits));
        assert_eq!(zset.encoding_name(), "listpack");
        assert_eq!(zset.rank(b"a"), Some(1));
        zset.set_score(b"c", 0.5, &limits);
        assert_eq!(zset.encoding_name(), "skiplist");
        assert_eq!(zset.rank(b"c"), Some(0));
        assert_eq!(
            zset.get(2).map(|(s, m)| (s, m.clone())),
            Some((3.0, CompactBytes::from("a")))
        );
    }
}
