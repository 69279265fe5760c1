//! The sorted-set type. A small sorted set is a `listpack`: `(score, member)`
//! pairs kept in order, searched linearly. A big one is a `skiplist` in
//! Redis; here it is a member → score table ([`Dict`]) plus a
//! [`SortedIndex`], which answers the same questions (rank, element at a
//! rank, first element in a score or lex range) in logarithmic time.
//! Conversion happens where Redis 7.0 does it: past
//! `zset-max-listpack-entries` members or a member longer than
//! `zset-max-listpack-value`; results of the store commands are built in
//! whichever encoding their size calls for (`zsetConvertToListpackIfNeeded`).
//!
//! A listpack stores each score as text or as an integer, so a `-0` score
//! reads back as `0` there, as in Redis; the skiplist keeps `-0`.
//!
//! This module never parses arguments or writes replies: `cmd::zset` does.

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

/// The score a listpack gives back for `score`: integers are stored as
/// integers there, so `-0` becomes `0` (Redis's `zzlInsertAt`).
#[inline]
pub fn listpack_score(score: f64) -> f64 {
    if score == 0.0 {
        0.0
    } else {
        score
    }
}

/// A range of a sorted set, by score or by member: which elements are past
/// its lower end and which are before its upper end (Redis's
/// `zslValueGteMin`/`zslValueLteMax` and their lex twins).
pub trait RangeSpec {
    /// Whether no element can be in the range whatever the set holds.
    fn is_empty(&self) -> bool;
    /// Whether `(score, member)` is at or past the lower end.
    fn gte_min(&self, score: f64, member: &[u8]) -> bool;
    /// Whether `(score, member)` is at or before the upper end.
    fn lte_max(&self, score: f64, member: &[u8]) -> bool;
}

/// A score interval; each end inclusive or exclusive (`(1.5`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ScoreRange {
    /// Lower end.
    pub min: f64,
    /// Upper end.
    pub max: f64,
    /// The lower end is excluded.
    pub min_exclusive: bool,
    /// The upper end is excluded.
    pub max_exclusive: bool,
}

impl RangeSpec for ScoreRange {
    fn is_empty(&self) -> bool {
        self.min > self.max || (self.min == self.max && (self.min_exclusive || self.max_exclusive))
    }

    #[inline]
    fn gte_min(&self, score: f64, _: &[u8]) -> bool {
        if self.min_exclusive {
            score > self.min
        } else {
            score >= self.min
        }
    }

    #[inline]
    fn lte_max(&self, score: f64, _: &[u8]) -> bool {
        if self.max_exclusive {
            score < self.max
        } else {
            score <= self.max
        }
    }
}

/// One end of a lex range (`-`, `+`, `[member`, `(member`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LexBound<'a> {
    /// `-`: before every string.
    Min,
    /// `+`: after every string.
    Max,
    /// `[member`: the member itself included.
    Inclusive(&'a [u8]),
    /// `(member`: the member itself excluded.
    Exclusive(&'a [u8]),
}

impl LexBound<'_> {
    /// How `value` compares with this bound (`sdscmplex` with a real string
    /// on the left).
    #[inline]
    fn compare_value(&self, value: &[u8]) -> Ordering {
        match self {
            LexBound::Min => Ordering::Greater,
            LexBound::Max => Ordering::Less,
            LexBound::Inclusive(bound) | LexBound::Exclusive(bound) => value.cmp(bound),
        }
    }

    fn exclusive(&self) -> bool {
        !matches!(self, LexBound::Inclusive(_))
    }
}

/// A member interval, for sets whose members all have the same score.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LexRange<'a> {
    /// Lower end.
    pub min: LexBound<'a>,
    /// Upper end.
    pub max: LexBound<'a>,
}

impl RangeSpec for LexRange<'_> {
    fn is_empty(&self) -> bool {
        // sdscmplex(min, max): the shared `-`/`+` objects equal themselves.
        let order = match (self.min, self.max) {
            (LexBound::Min, LexBound::Min) | (LexBound::Max, LexBound::Max) => Ordering::Equal,
            (LexBound::Min, _) | (_, LexBound::Max) => Ordering::Less,
            (LexBound::Max, _) | (_, LexBound::Min) => Ordering::Greater,
            (LexBound::Inclusive(a) | LexBound::Exclusive(a), LexBound::Inclusive(b) | LexBound::Exclusive(b)) => {
                a.cmp(b)
            }
        };
        order == Ordering::Greater || (order == Ordering::Equal && (self.min.exclusive() || self.max.exclusive()))
    }

    #[inline]
    fn gte_min(&self, _: f64, member: &[u8]) -> bool {
        match self.min.compare_value(member) {
            Ordering::Greater => true,
            Ordering::Equal => !self.min.exclusive(),
            Ordering::Less => false,
        }
    }

    #[inline]
    fn lte_max(&self, _: f64, member: &[u8]) -> bool {
        match self.max.compare_value(member) {
            Ordering::Less => true,
            Ordering::Equal => !self.max.exclusive(),
            Ordering::Greater => false,
        }
    }
}

/// Most entries a chunk holds; a full chunk splits in two before it grows.
const CHUNK_MAX: usize = 512;
/// Entries per chunk when an index is built from sorted entries, leaving
/// room for inserts.
const CHUNK_BUILD: usize = 384;
/// A chunk smaller than this merges with a neighbour when both fit in one.
const CHUNK_MIN: usize = 64;

/// An ordered sequence of `(score, member)` in Redis's order, stored as
/// sorted chunks of at most [`CHUNK_MAX`] entries, with a Fenwick tree of
/// the chunk lengths.
///
/// Finding an entry is a binary search over the chunks' last entries, then
/// within one chunk; inserting or removing moves at most one chunk's
/// entries. Ranks come from the Fenwick tree: the rank of an entry, or the
/// entry at a rank, costs `O(log chunks)` additions, never a scan, so a
/// million-member set answers `ZRANK` or `ZRANGE key 500000 500010` as
/// fast as a small one. Splitting or merging chunks (once per hundreds of
/// changes at least) rebuilds the tree in `O(chunks)`.
///
/// Invariant: no chunk is empty.
#[derive(Clone, Default, Debug)]
pub struct SortedIndex {
    chunks: Vec<Vec<ScoredMember>>,
    /// Fenwick tree: `sizes[i]` sums the lengths of chunks
    /// `(i + 1 - lowbit(i + 1)) ..= i`.
    sizes: Vec<usize>,
    len: usize,
}

impl SortedIndex {
    /// An empty index.
    pub fn new() -> Self {
        Self::default()
    }

    /// An index of `entries`, which must be sorted in Redis's order without
    /// duplicate members.
    pub fn from_sorted(entries: Vec<ScoredMember>) -> Self {
        let len = entries.len();
        let mut chunks = Vec::new();
        if len <= CHUNK_MAX {
            if len > 0 {
                chunks.push(entries);
            }
        } else {
            let mut entries = entries.into_iter();
            loop {
                let mut chunk = Vec::with_capacity(CHUNK_MAX);
                chunk.extend(entries.by_ref().take(CHUNK_BUILD));
                if chunk.is_empty() {
                    break;
                }
                chunks.push(chunk);
            }
        }
        let mut index = SortedIndex {
            chunks,
            sizes: Vec::new(),
            len,
        };
        index.rebuild_sizes();
        index
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether empty.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Recomputes the Fenwick tree after chunks were added or removed.
    fn rebuild_sizes(&mut self) {
        let n = self.chunks.len();
        self.sizes.clear();
        self.sizes.extend(self.chunks.iter().map(Vec::len));
        for i in 1..=n {
            let parent = i + (i & i.wrapping_neg());
            if parent <= n {
                self.sizes[parent - 1] += self.sizes[i - 1];
            }
        }
    }

    /// Chunk `chunk` got one entry more.
    fn grew(&mut self, chunk: usize) {
        let mut i = chunk + 1;
        while i <= self.sizes.len() {
            self.sizes[i - 1] += 1;
            i += i & i.wrapping_neg();
        }
    }

    /// Chunk `chunk` got one entry less.
    fn shrank(&mut self, chunk: usize) {
        let mut i = chunk + 1;
        while i <= self.sizes.len() {
            self.sizes[i - 1] -= 1;
            i += i & i.wrapping_neg();
        }
    }

    /// Number of entries in the chunks before `chunk`.
    fn entries_before_chunk(&self, chunk: usize) -> usize {
        let mut sum = 0;
        let mut i = chunk.min(self.sizes.len());
        while i > 0 {
            sum += self.sizes[i - 1];
            i -= i & i.wrapping_neg();
        }
        sum
    }

    /// `(chunk, offset)` of the entry at `rank` (`rank < len`).
    fn locate(&self, rank: usize) -> (usize, usize) {
        let n = self.sizes.len();
        let mut position = 0;
        let mut remaining = rank;
        let mut step = if n == 0 {
            0
        } else {
            1 << (usize::BITS - 1 - n.leading_zeros())
        };
        while step > 0 {
            let next = position + step;
            if next <= n && self.sizes[next - 1] <= remaining {
                position = next;
                remaining -= self.sizes[next - 1];
            }
            step >>= 1;
        }
        (position, remaining)
    }

    /// The chunk that holds, or would hold, the entry `(score, member)`.
    fn chunk_for(&self, score: f64, member: &[u8]) -> usize {
        // First chunk whose last entry is >= the target.
        let found = self.chunks.partition_point(|chunk| match chunk.last() {
            Some((s, m)) => compare(*s, m, score, member) == Ordering::Less,
            None => true,
        });
        found.min(self.chunks.len().saturating_sub(1))
    }

    /// `(chunk, offset)` of `(score, member)`, if present.
    fn find(&self, score: f64, member: &[u8]) -> Option<(usize, usize)> {
        if self.chunks.is_empty() {
            return None;
        }
        let c = self.chunk_for(score, member);
        let chunk = &self.chunks[c];
        let at = chunk.partition_point(|(s, m)| compare(*s, m, score, member) == Ordering::Less);
        match chunk.get(at) {
            Some((s, m)) if compare(*s, m, score, member) == Ordering::Equal => Some((c, at)),
            _ => None,
        }
    }

    /// Inserts an entry the caller knows is absent.
    pub fn insert(&mut self, score: f64, member: CompactBytes) {
        self.len += 1;
        if self.chunks.is_empty() {
            self.chunks.push(alloc::vec![(score, member)]);
            self.rebuild_sizes();
            return;
        }
        let mut c = self.chunk_for(score, &member);
        let mut split = false;
        if self.chunks[c].len() >= CHUNK_MAX {
            // Split before growing, so a chunk's buffer never doubles past
            // CHUNK_MAX entries.
            let half = self.chunks[c].len() / 2;
            let mut tail = Vec::with_capacity(CHUNK_MAX);
            tail.extend(self.chunks[c].drain(half..));
            self.chunks.insert(c + 1, tail);
            if let Some((s, m)) = self.chunks[c].last() {
                if compare(*s, m, score, &member) == Ordering::Less {
                    c += 1;
                }
            }
            split = true;
        }
        let chunk = &mut self.chunks[c];
        let at = chunk.partition_point(|(s, m)| compare(*s, m, score, &member) == Ordering::Less);
        chunk.insert(at, (score, member));
        if split {
            self.rebuild_sizes();
        } else {
            self.grew(c);
        }
    }

    /// Removes `(score, member)`; returns the stored member if it was there.
    pub fn remove(&mut self, score: f64, member: &[u8]) -> Option<CompactBytes> {
        let (c, at) = self.find(score, member)?;
        let (_, removed) = self.chunks[c].remove(at);
        self.after_removal(c);
        Some(removed)
    }

    /// Removes the entry at `rank`.
    pub fn remove_at(&mut self, rank: usize) -> Option<ScoredMember> {
        if rank >= self.len {
            return None;
        }
        let (c, at) = self.locate(rank);
        let removed = self.chunks[c].remove(at);
        self.after_removal(c);
        Some(removed)
    }

    /// Bookkeeping after one entry left chunk `c`: drop it if empty, merge
    /// it with a neighbour if small.
    fn after_removal(&mut self, c: usize) {
        self.len -= 1;
        let len = self.chunks[c].len();
        if len == 0 {
            self.chunks.remove(c);
            self.rebuild_sizes();
        } else if len < CHUNK_MIN && self.merge_around(c) {
            self.rebuild_sizes();
        } else {
            self.shrank(c);
        }
    }

    /// Merges the small chunk `c` into a neighbour when they fit together
    /// comfortably. Returns whether it merged (the tree must be rebuilt).
    fn merge_around(&mut self, c: usize) -> bool {
        let fits = |a: usize, b: usize| a + b <= CHUNK_BUILD;
        if c + 1 < self.chunks.len() && fits(self.chunks[c].len(), self.chunks[c + 1].len()) {
            let next = self.chunks.remove(c + 1);
            self.chunks[c].extend(next);
            true
        } else if c > 0 && fits(self.chunks[c - 1].len(), self.chunks[c].len()) {
            let current = self.chunks.remove(c);
            self.chunks[c - 1].extend(current);
            true
        } else {
            false
        }
    }

    /// Removes the entries of ranks `start..=end` (`start <= end < len`),
    /// passing each to `removed` in order.
    pub fn remove_range(&mut self, start: usize, end: usize, mut removed: impl FnMut(ScoredMember)) {
        if start > end || end >= self.len {
            return;
        }
        let (first_chunk, first_at) = self.locate(start);
        let (last_chunk, last_at) = self.locate(end);
        if first_chunk == last_chunk {
            self.chunks[first_chunk]
                .drain(first_at..=last_at)
                .for_each(&mut removed);
        } else {
            self.chunks[first_chunk].drain(first_at..).for_each(&mut removed);
            for chunk in self.chunks.drain(first_chunk + 1..last_chunk) {
                chunk.into_iter().for_each(&mut removed);
            }
            self.chunks[first_chunk + 1].drain(..=last_at).for_each(&mut removed);
        }
        self.len -= end - start + 1;
        self.chunks.retain(|chunk| !chunk.is_empty());
        // The cut leaves at most two partial chunks, now side by side
        // around `first_chunk`: merge them with neighbours if small.
        let mut c = first_chunk.saturating_sub(1);
        while c < self.chunks.len() && c <= first_chunk + 1 {
            if !(self.chunks[c].len() < CHUNK_MIN && self.merge_around(c)) {
                c += 1;
            }
        }
        self.rebuild_sizes();
    }

    /// 0-based rank of `(score, member)`, if present.
    pub fn rank(&self, score: f64, member: &[u8]) -> Option<usize> {
        let (c, at) = self.find(score, member)?;
        Some(self.entries_before_chunk(c) + at)
    }

    /// Number of entries before the first one for which `is_after` holds
    /// (`is_after` must be false then true along the order).
    pub fn count_before(&self, mut is_after: impl FnMut(f64, &[u8]) -> bool) -> usize {
        let c = self.chunks.partition_point(|chunk| match chunk.last() {
            Some((s, m)) => !is_after(*s, m),
            None => true,
        });
        let before = self.entries_before_chunk(c);
        match self.chunks.get(c) {
            Some(chunk) => before + chunk.partition_point(|(s, m)| !is_after(*s, m)),
            None => before,
        }
    }

    /// The entry at `rank`.
    pub fn get(&self, rank: usize) -> Option<&ScoredMember> {
        if rank >= self.len {
            return None;
        }
        let (c, at) = self.locate(rank);
        self.chunks.get(c)?.get(at)
    }

    /// The entries of ranks `start..=end`, in order (empty if the ranks are
    /// out of bounds); reversible.
    pub fn range(&self, start: usize, end: usize) -> Iter<'_> {
        if start > end || end >= self.len {
            return Iter {
                chunks: &self.chunks,
                front: (0, 0),
                back: (0, 0),
                remaining: 0,
            };
        }
        Iter {
            chunks: &self.chunks,
            front: self.locate(start),
            back: self.locate(end),
            remaining: end - start + 1,
        }
    }

    /// Every entry, in order.
    pub fn iter(&self) -> Iter<'_> {
        self.range(0, self.len.saturating_sub(1))
    }

    /// Heap bytes owned.
    pub fn heap_size(&self) -> usize {
        self.sizes.capacity() * core::mem::size_of::<usize>()
            + self.chunks.capacity() * core::mem::size_of::<Vec<ScoredMember>>()
            + self
                .chunks
                .iter()
                .map(|c| {
                    c.capacity() * core::mem::size_of::<ScoredMember>()
                        + c.iter().map(|(_, m)| m.heap_size()).sum::<usize>()
                })
                .sum::<usize>()
    }
}

/// Iterator over a rank range of a [`SortedIndex`], from both ends.
#[derive(Clone, Debug)]
pub struct Iter<'a> {
    chunks: &'a [Vec<ScoredMember>],
    /// `(chunk, offset)` of the next entry from the front.
    front: (usize, usize),
    /// `(chunk, offset)` of the next entry from the back.
    back: (usize, usize),
    remaining: usize,
}

impl<'a> Iterator for Iter<'a> {
    type Item = &'a ScoredMember;

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        if self.remaining == 0 {
            return None;
        }
        let (c, at) = self.front;
        let chunk = self.chunks.get(c)?;
        let item = chunk.get(at)?;
        self.front = if at + 1 < chunk.len() { (c, at + 1) } else { (c + 1, 0) };
        self.remaining -= 1;
        Some(item)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.remaining, Some(self.remaining))
    }
}

impl DoubleEndedIterator for Iter<'_> {
    #[inline]
    fn next_back(&mut self) -> Option<Self::Item> {
        if self.remaining == 0 {
            return None;
        }
        let (c, at) = self.back;
        let item = self.chunks.get(c)?.get(at)?;
        self.remaining -= 1;
        if at > 0 {
            self.back = (c, at - 1);
        } else if c > 0 {
            self.back = (c - 1, self.chunks[c - 1].len().saturating_sub(1));
        }
        Some(item)
    }
}

impl ExactSizeIterator for Iter<'_> {}

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

/// Iterator over a rank range of a [`ZSet`], from both ends.
#[derive(Clone, Debug)]
pub enum ZIter<'a> {
    /// Over a listpack.
    Listpack(core::slice::Iter<'a, ScoredMember>),
    /// Over a skiplist's index.
    Skiplist(Iter<'a>),
}

impl<'a> Iterator for ZIter<'a> {
    type Item = &'a ScoredMember;

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        match self {
            ZIter::Listpack(iter) => iter.next(),
            ZIter::Skiplist(iter) => iter.next(),
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        match self {
            ZIter::Listpack(iter) => iter.size_hint(),
            ZIter::Skiplist(iter) => iter.size_hint(),
        }
    }
}

impl DoubleEndedIterator for ZIter<'_> {
    #[inline]
    fn next_back(&mut self) -> Option<Self::Item> {
        match self {
            ZIter::Listpack(iter) => iter.next_back(),
            ZIter::Skiplist(iter) => iter.next_back(),
        }
    }
}

impl ExactSizeIterator for ZIter<'_> {}

impl ZSet {
    /// An empty sorted set in the encoding Redis picks when its first
    /// member is `member_len` bytes long and `expected` members will follow.
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

    /// A sorted set of `entries` (sorted in Redis's order, no duplicate
    /// member), a listpack if it fits the limits, else a skiplist: how the
    /// store commands build their results (`zsetConvertToListpackIfNeeded`).
    pub fn from_sorted(entries: Vec<ScoredMember>, limits: &ListpackLimits) -> ZSet {
        let longest = entries.iter().map(|(_, m)| m.len()).max().unwrap_or(0);
        if entries.len() <= limits.max_entries && longest <= limits.max_value {
            ZSet::listpack_from_sorted(entries)
        } else {
            ZSet::skiplist_from_sorted(entries)
        }
    }

    /// A listpack of `entries` (sorted, distinct members), whatever the
    /// limits.
    pub fn listpack_from_sorted(mut entries: Vec<ScoredMember>) -> ZSet {
        for entry in &mut entries {
            entry.0 = listpack_score(entry.0);
        }
        ZSet::Listpack(entries)
    }

    /// A skiplist of `entries` (sorted, distinct members), whatever the
    /// limits.
    pub fn skiplist_from_sorted(entries: Vec<ScoredMember>) -> ZSet {
        let mut scores = Dict::with_capacity(entries.len());
        for (score, member) in &entries {
            scores.insert_new(member.clone(), *score);
        }
        ZSet::Skiplist {
            scores,
            index: SortedIndex::from_sorted(entries),
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
            ZSet::Skiplist { index, .. } => index.len(),
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

    /// Adds `member`, which the caller knows is absent, converting to a
    /// skiplist first when the listpack would pass its limits (`zsetAdd`).
    pub fn insert_new(&mut self, member: &[u8], score: f64, limits: &ListpackLimits) {
        if let ZSet::Listpack(entries) = self {
            if entries.len() + 1 > limits.max_entries || member.len() > limits.max_value {
                self.convert_to_skiplist();
            }
        }
        match self {
            ZSet::Listpack(entries) => {
                let score = listpack_score(score);
                let at = entries.partition_point(|(s, m)| compare(*s, m, score, member) == Ordering::Less);
                entries.insert(at, (score, CompactBytes::new(member)));
            }
            ZSet::Skiplist { scores, index } => {
                let member = CompactBytes::new(member);
                scores.insert_new(member.clone(), score);
                index.insert(score, member);
            }
        }
    }

    /// Moves `member` (present, with score `old`) to score `new`.
    pub fn update_score(&mut self, member: &[u8], old: f64, new: f64) {
        match self {
            ZSet::Listpack(entries) => {
                let Some(from) = entries.iter().position(|(_, m)| m.as_bytes() == member) else {
                    return;
                };
                let new = listpack_score(new);
                let (_, stored) = entries.remove(from);
                let at = entries.partition_point(|(s, m)| compare(*s, m, new, member) == Ordering::Less);
                entries.insert(at, (new, stored));
            }
            ZSet::Skiplist { scores, index } => {
                let Some(slot) = scores.get_mut(member) else {
                    return;
                };
                *slot = new;
                let stored = index.remove(old, member).unwrap_or_else(|| CompactBytes::new(member));
                index.insert(new, stored);
            }
        }
    }

    /// Sets `member`'s score, inserting it if absent; returns whether it was
    /// new. Converts to a skiplist when the listpack limits are passed.
    pub fn set_score(&mut self, member: &[u8], score: f64, limits: &ListpackLimits) -> bool {
        match self.score(member) {
            Some(old) => {
                if old != score {
                    self.update_score(member, old, score);
                }
                false
            }
            None => {
                self.insert_new(member, score, limits);
                true
            }
        }
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

    /// The entries of ranks `start..=end` in ascending order (empty when out
    /// of bounds); `.rev()` walks them descending.
    pub fn range(&self, start: usize, end: usize) -> ZIter<'_> {
        match self {
            ZSet::Listpack(entries) => {
                let slice = if start <= end && end < entries.len() {
                    &entries[start..=end]
                } else {
                    &entries[..0]
                };
                ZIter::Listpack(slice.iter())
            }
            ZSet::Skiplist { index, .. } => ZIter::Skiplist(index.range(start, end)),
        }
    }

    /// Every entry in ascending order.
    pub fn iter(&self) -> ZIter<'_> {
        self.range(0, self.len().saturating_sub(1))
    }

    /// Whether some entry may be in `range`: it is not empty and reaches
    /// between the first and last entries (`zslIsInRange`).
    fn overlaps(&self, range: &impl RangeSpec) -> bool {
        let len = self.len();
        if range.is_empty() || len == 0 {
            return false;
        }
        match (self.get(0), self.get(len - 1)) {
            (Some((first_score, first)), Some((last_score, last))) => {
                range.gte_min(last_score, last) && range.lte_max(first_score, first)
            }
            _ => false,
        }
    }

    /// Rank of the first entry in `range` (`zslFirstInRange` and its
    /// listpack and lex twins). A listpack is scanned from the start, as
    /// Redis does; a skiplist is searched, assuming the range is ordered
    /// like the set (always true by score; by member when scores are equal).
    pub fn first_in_range(&self, range: &impl RangeSpec) -> Option<usize> {
        if !self.overlaps(range) {
            return None;
        }
        let at = match self {
            ZSet::Listpack(entries) => entries.iter().position(|(s, m)| range.gte_min(*s, m))?,
            ZSet::Skiplist { index, .. } => index.count_before(|s, m| range.gte_min(s, m)),
        };
        let (score, member) = self.get(at)?;
        range.lte_max(score, member).then_some(at)
    }

    /// Rank of the last entry in `range` (`zslLastInRange` and twins).
    pub fn last_in_range(&self, range: &impl RangeSpec) -> Option<usize> {
        if !self.overlaps(range) {
            return None;
        }
        let at = match self {
            ZSet::Listpack(entries) => entries.iter().rposition(|(s, m)| range.lte_max(*s, m))?,
            ZSet::Skiplist { index, .. } => index.count_before(|s, m| !range.lte_max(s, m)).checked_sub(1)?,
        };
        let (score, member) = self.get(at)?;
        range.gte_min(score, member).then_some(at)
    }

    /// Number of entries from rank `start` on, at most `limit`, for which
    /// `keep` holds before the first that fails it (`forward`), or from rank
    /// `start` down when not `forward`.
    pub fn run_length(
        &self,
        start: usize,
        forward: bool,
        limit: usize,
        mut keep: impl FnMut(f64, &[u8]) -> bool,
    ) -> usize {
        let len = self.len();
        if start >= len || limit == 0 {
            return 0;
        }
        let within = |entry: &&ScoredMember| keep(entry.0, &entry.1);
        if forward {
            self.range(start, len - 1).take(limit).take_while(within).count()
        } else {
            self.range(0, start).rev().take(limit).take_while(within).count()
        }
    }

    /// Removes the entries of ranks `start..=end`; returns how many.
    pub fn remove_range(&mut self, start: usize, end: usize) -> usize {
        if start > end || end >= self.len() {
            return 0;
        }
        match self {
            ZSet::Listpack(entries) => {
                entries.drain(start..=end);
            }
            ZSet::Skiplist { scores, index } => {
                index.remove_range(start, end, |(_, member)| {
                    scores.remove(&member);
                });
                scores.shrink_if_needed();
            }
        }
        end - start + 1
    }

    /// Removes and returns the lowest (or, with `max`, the highest) entry.
    pub fn pop(&mut self, max: bool) -> Option<ScoredMember> {
        let len = self.len();
        if len == 0 {
            return None;
        }
        let rank = if max { len - 1 } else { 0 };
        match self {
            ZSet::Listpack(entries) => Some(entries.remove(rank)),
            ZSet::Skiplist { scores, index } => {
                let entry = index.remove_at(rank)?;
                scores.remove(&entry.1);
                scores.shrink_if_needed();
                Some(entry)
            }
        }
    }

    /// Removes and returns up to `count` of the lowest (or, with `max`, the
    /// highest) entries, in the order they are popped: lowest first, or
    /// highest first. One range removal, not `count` single ones.
    pub fn pop_many(&mut self, max: bool, count: usize) -> Vec<ScoredMember> {
        let len = self.len();
        let count = count.min(len);
        if count == 0 {
            return Vec::new();
        }
        let (start, end) = if max { (len - count, len - 1) } else { (0, count - 1) };
        let mut popped = match self {
            ZSet::Listpack(entries) => entries.drain(start..=end).collect(),
            ZSet::Skiplist { scores, index } => {
                let mut popped = Vec::with_capacity(count);
                index.remove_range(start, end, |entry| {
                    scores.remove(&entry.1);
                    popped.push(entry);
                });
                scores.shrink_if_needed();
                popped
            }
        };
        if max {
            popped.reverse();
        }
        popped
    }

    /// One step of a SCAN over a skiplist's members (see [`Dict::scan`]);
    /// a listpack is returned whole by ZSCAN and never gets here.
    pub fn scan(&self, cursor: u64, mut emit: impl FnMut(&CompactBytes, f64)) -> u64 {
        match self {
            ZSet::Listpack(entries) => {
                for (score, member) in entries {
                    emit(member, *score);
                }
                0
            }
            ZSet::Skiplist { scores, .. } => scores.scan(cursor, |member, score| emit(member, *score)),
        }
    }

    /// Switches to the skiplist encoding.
    pub fn convert_to_skiplist(&mut self) {
        if let ZSet::Listpack(entries) = self {
            let entries = core::mem::take(entries);
            *self = ZSet::skiplist_from_sorted(entries);
        }
    }

    /// Heap bytes owned.
    pub fn heap_size(&self) -> usize {
        match self {
            ZSet::Listpack(entries) => {
                entries.capacity() * core::mem::size_of::<ScoredMember>()
                    + entries.iter().map(|(_, m)| m.heap_size()).sum::<usize>()
            }
            ZSet::Skiplist { scores, index } => {
                scores.overhead_bytes() + scores.iter().map(|(m, _)| m.heap_size()).sum::<usize>() + index.heap_size()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::format;

    fn member(i: usize) -> CompactBytes {
        CompactBytes::new(format!("m{i:07}").as_bytes())
    }

    /// Checks order, ranks, lookups and the Fenwick tree against a plain
    /// vector of the expected entries.
    fn check(index: &SortedIndex, expected: &[ScoredMember]) {
        assert_eq!(index.len(), expected.len());
        let all: Vec<&ScoredMember> = index.iter().collect();
        assert_eq!(all.len(), expected.len());
        for (got, want) in all.iter().zip(expected) {
            assert_eq!(got.1, want.1);
        }
        assert!(index.chunks.iter().all(|c| !c.is_empty() && c.len() <= CHUNK_MAX));
        let step = (expected.len() / 50).max(1);
        for rank in (0..expected.len()).step_by(step) {
            let (score, m) = &expected[rank];
            assert_eq!(index.rank(*score, m), Some(rank));
            assert_eq!(index.get(rank).map(|e| &e.1), Some(m));
        }
    }

    #[test]
    fn index_keeps_order_and_ranks_through_splits_and_merges() {
        let mut index = SortedIndex::new();
        let mut expected = Vec::new();
        for i in (0..5000).rev() {
            index.insert((i % 100) as f64, member(i));
            expected.push(((i % 100) as f64, member(i)));
        }
        expected.sort_by(|a, b| compare(a.0, &a.1, b.0, &b.1));
        check(&index, &expected);
        for pair in expected.windows(2) {
            assert_eq!(compare(pair[0].0, &pair[0].1, pair[1].0, &pair[1].1), Ordering::Less);
        }
        assert_eq!(index.count_before(|s, _| s >= 50.0), 2500);
        for i in 0..4990 {
            assert!(index.remove((i % 100) as f64, member(i).as_bytes()).is_some());
        }
        assert!(index.remove(3.0, b"nope").is_none());
        expected.retain(|(s, m)| !(0..4990).any(|i| (i % 100) as f64 == *s && member(i) == *m));
        check(&index, &expected);
        assert_eq!(index.iter().rev().count(), 10);
    }

    #[test]
    fn index_ranges_iterate_both_ways_and_remove() {
        let entries: Vec<ScoredMember> = (0..10_000).map(|i| (i as f64, member(i))).collect();
        let mut index = SortedIndex::from_sorted(entries.clone());
        check(&index, &entries);
        let forward: Vec<_> = index.range(1000, 2999).map(|e| e.0).collect();
        assert_eq!(forward, (1000..3000).map(|i| i as f64).collect::<Vec<_>>());
        let backward: Vec<_> = index.range(5, 1500).rev().map(|e| e.0).collect();
        assert_eq!(backward, (5..=1500).rev().map(|i| i as f64).collect::<Vec<_>>());
        assert_eq!(index.range(3, 2).count(), 0);
        assert_eq!(index.range(0, 10_000).count(), 0);
        let mut removed = Vec::new();
        index.remove_range(700, 8200, |e| removed.push(e.0));
        assert_eq!(removed, (700..=8200).map(|i| i as f64).collect::<Vec<_>>());
        let mut rest = entries[..700].to_vec();
        rest.extend_from_slice(&entries[8201..]);
        check(&index, &rest);
        index.remove_range(10, 10, |_| {});
        rest.remove(10);
        check(&index, &rest);
        assert_eq!(index.remove_at(0).map(|e| e.0), Some(0.0));
        rest.remove(0);
        check(&index, &rest);
        index.remove_range(0, index.len() - 1, |_| {});
        assert!(index.is_empty() && index.chunks.is_empty());
    }

    #[test]
    fn index_random_operations_match_a_sorted_vector() {
        let mut rng = crate::util::rng::Rng::new([3; 32]);
        let mut index = SortedIndex::new();
        let mut expected: Vec<ScoredMember> = Vec::new();
        for round in 0..20_000 {
            let i = rng.below(3000) as usize;
            let score = rng.below(40) as f64;
            let m = member(i);
            match expected.iter().position(|(_, e)| *e == m) {
                Some(at) => {
                    let (old, _) = expected.remove(at);
                    assert!(index.remove(old, &m).is_some());
                }
                None => {
                    index.insert(score, m.clone());
                    let at = expected.partition_point(|(s, e)| compare(*s, e, score, &m) == Ordering::Less);
                    expected.insert(at, (score, m));
                }
            }
            if round % 2500 == 0 && !expected.is_empty() {
                let start = rng.below(expected.len() as u64) as usize;
                let end = (start + rng.below(600) as usize).min(expected.len() - 1);
                index.remove_range(start, end, |_| {});
                expected.drain(start..=end);
            }
            if round % 997 == 0 {
                check(&index, &expected);
            }
        }
        check(&index, &expected);
    }

    fn limits(max_entries: usize, max_value: usize) -> ListpackLimits {
        ListpackLimits { max_entries, max_value }
    }

    #[test]
    fn zset_converts_past_limits() {
        let limits = limits(2, 8);
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
        let mut long = ZSet::default();
        long.insert_new(b"123456789", 1.0, &limits);
        assert_eq!(long.encoding_name(), "skiplist");
    }

    #[test]
    fn store_results_pick_their_encoding_and_listpack_drops_negative_zero() {
        let small = ZSet::from_sorted(alloc::vec![(-0.0, CompactBytes::from("a"))], &limits(2, 8));
        assert_eq!(small.encoding_name(), "listpack");
        assert!(small.score(b"a").unwrap().is_sign_positive());
        let big = ZSet::from_sorted(alloc::vec![(-0.0, CompactBytes::from("a"))], &limits(0, 8));
        assert_eq!(big.encoding_name(), "skiplist");
        assert!(big.score(b"a").unwrap().is_sign_negative());
        let long = ZSet::from_sorted(alloc::vec![(1.0, CompactBytes::from("abcdefghij"))], &limits(5, 8));
        assert_eq!(long.encoding_name(), "skiplist");
    }

    #[test]
    fn ranges_by_score_and_lex_in_both_encodings() {
        for max_entries in [128, 0] {
            let limits = limits(max_entries, 64);
            let mut zset = ZSet::default();
            for (i, name) in ["a", "b", "c", "d", "e"].iter().enumerate() {
                zset.insert_new(name.as_bytes(), i as f64, &limits);
            }
            let score = ScoreRange {
                min: 1.0,
                max: 3.0,
                min_exclusive: true,
                max_exclusive: false,
            };
            assert_eq!(zset.first_in_range(&score), Some(2));
            assert_eq!(zset.last_in_range(&score), Some(3));
            let empty = ScoreRange {
                min: 2.0,
                max: 2.0,
                min_exclusive: true,
                max_exclusive: false,
            };
            assert_eq!(zset.first_in_range(&empty), None);
            let lex = LexRange {
                min: LexBound::Inclusive(b"b"),
                max: LexBound::Max,
            };
            assert_eq!(zset.first_in_range(&lex), Some(1));
            assert_eq!(zset.last_in_range(&lex), Some(4));
            let none = LexRange {
                min: LexBound::Max,
                max: LexBound::Min,
            };
            assert_eq!(zset.first_in_range(&none), None);
            assert_eq!(zset.run_length(1, true, usize::MAX, |s, _| s < 3.5), 3);
            assert_eq!(zset.run_length(3, false, 2, |_, _| true), 2);
            assert_eq!(zset.remove_range(1, 2), 2);
            assert_eq!(
                zset.iter().map(|(_, m)| m.clone()).collect::<Vec<_>>(),
                ["a", "d", "e"].map(CompactBytes::from)
            );
            let mut copy = zset.clone();
            let popped: Vec<_> = copy.pop_many(true, 2).into_iter().map(|e| e.1).collect();
            assert_eq!(popped, ["e", "d"].map(CompactBytes::from));
            assert_eq!(copy.pop_many(false, 9).len(), 1);
            assert!(copy.is_empty());
            assert_eq!(zset.pop(true).map(|e| e.1), Some(CompactBytes::from("e")));
            assert_eq!(zset.pop(false).map(|e| e.1), Some(CompactBytes::from("a")));
            assert_eq!(zset.score(b"d"), Some(3.0));
            assert_eq!(zset.len(), 1);
        }
    }

    #[test]
    fn both_encodings_answer_alike() {
        let mut rng = crate::util::rng::Rng::new([9; 32]);
        let mut small = ZSet::default();
        let mut big = ZSet::default();
        let roomy = limits(usize::MAX, usize::MAX);
        let none = limits(0, 0);
        for _ in 0..6000 {
            let m = member(rng.below(700) as usize);
            let score = rng.below(30) as f64 - 10.0;
            match rng.below(5) {
                0 => {
                    assert_eq!(small.remove(&m), big.remove(&m));
                }
                1 => {
                    let max = rng.below(2) == 1;
                    assert_eq!(small.pop(max), big.pop(max));
                }
                _ => {
                    assert_eq!(small.set_score(&m, score, &roomy), big.set_score(&m, score, &none));
                }
            }
        }
        assert_eq!(small.encoding_name(), "listpack");
        assert_eq!(big.encoding_name(), "skiplist");
        assert!(small.iter().eq(big.iter()));
        assert!(small.iter().rev().eq(big.iter().rev()));
        for rank in 0..small.len() {
            let (_, m) = small.get(rank).unwrap();
            assert_eq!(big.rank(m), Some(rank));
            assert_eq!(small.score(m), big.score(m));
        }
        for low in -12..20 {
            for high in [low, low + 1, low + 7] {
                for (min_exclusive, max_exclusive) in [(false, false), (true, false), (false, true)] {
                    let range = ScoreRange {
                        min: low as f64,
                        max: high as f64,
                        min_exclusive,
                        max_exclusive,
                    };
                    assert_eq!(small.first_in_range(&range), big.first_in_range(&range));
                    assert_eq!(small.last_in_range(&range), big.last_in_range(&range));
                }
            }
        }
        let len = small.len();
        assert_eq!(small.remove_range(len / 4, len / 2), big.remove_range(len / 4, len / 2));
        assert!(small.iter().eq(big.iter()));
    }

    #[test]
    fn lex_range_emptiness_follows_sdscmplex() {
        let range = |min, max| LexRange { min, max };
        assert!(range(LexBound::Min, LexBound::Min).is_empty());
        assert!(range(LexBound::Max, LexBound::Max).is_empty());
        assert!(!range(LexBound::Min, LexBound::Max).is_empty());
        assert!(range(LexBound::Max, LexBound::Inclusive(b"a")).is_empty());
        assert!(!range(LexBound::Inclusive(b"a"), LexBound::Inclusive(b"a")).is_empty());
        assert!(range(LexBound::Inclusive(b"a"), LexBound::Exclusive(b"a")).is_empty());
        assert!(range(LexBound::Inclusive(b"b"), LexBound::Inclusive(b"a")).is_empty());
    }
}
