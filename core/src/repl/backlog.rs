//! The replication backlog: the last `repl-backlog-size` bytes of the
//! replication stream, so a replica that lost its link can continue with a
//! partial resync instead of a full one.
//!
//! Offsets follow Redis: `master_repl_offset` is the offset of the last
//! byte ever fed (0 before any); the backlog holds `histlen` bytes, the
//! first of which is at `first_byte_offset = master_repl_offset - histlen +
//! 1` (`repl_backlog_first_byte_offset`). Example: a new backlog at offset
//! 100 fed `"abc"` holds offsets 101..=103, first byte 101, histlen 3; a
//! replica that has read up to 101 asks for 102 and gets `"bc"`.
//!
//! Memory: a ring buffer that grows as bytes arrive (doubling, capped at the
//! configured size), so a 1 GB `repl-backlog-size` costs nothing until the
//! stream brings the bytes; Redis 7.0 likewise allocates its replication
//! buffer blocks only as they are fed. Once full, new bytes overwrite the
//! oldest. [`Backlog::resize`] (`CONFIG SET repl-backlog-size`) keeps the
//! newest bytes that fit. Sizes below 16 KB are raised to 16 KB
//! (`CONFIG_REPL_BACKLOG_MIN_SIZE`).
//!
//! Never: it does not decide PSYNCs (see [`super::psync`]), and it does not
//! hold the per-replica output buffers.

use alloc::vec::Vec;

/// Smallest backlog Redis accepts (`CONFIG_REPL_BACKLOG_MIN_SIZE`).
pub const MIN_BACKLOG_SIZE: usize = 16 * 1024;

/// The backlog ring.
#[derive(Clone, Debug)]
pub struct Backlog {
    /// The stored bytes. While `buf.len() < size` they are in order from
    /// index 0 and `head` is 0; once `buf.len() == size` the oldest byte is
    /// at `head` and the ring wraps there.
    buf: Vec<u8>,
    head: usize,
    /// `repl-backlog-size`.
    size: usize,
    /// Offset of the last byte fed.
    master_repl_offset: i64,
}

impl Backlog {
    /// An empty backlog whose next byte will have offset
    /// `master_repl_offset + 1` (`createReplicationBacklog`). Allocates
    /// nothing.
    pub fn new(size: usize, master_repl_offset: i64) -> Self {
        Backlog {
            buf: Vec::new(),
            head: 0,
            size: size.max(MIN_BACKLOG_SIZE),
            master_repl_offset,
        }
    }

    /// `repl-backlog-size`.
    pub fn size(&self) -> usize {
        self.size
    }

    /// Offset of the last byte fed (`master_repl_offset`).
    pub fn master_repl_offset(&self) -> i64 {
        self.master_repl_offset
    }

    /// Bytes held (`repl_backlog_histlen`).
    pub fn histlen(&self) -> usize {
        self.buf.len()
    }

    /// Offset of the oldest byte held (`repl_backlog_first_byte_offset`);
    /// `master_repl_offset + 1` when empty.
    pub fn first_byte_offset(&self) -> i64 {
        self.master_repl_offset - self.buf.len() as i64 + 1
    }

    /// Bytes of memory reserved for the ring.
    pub fn allocated(&self) -> usize {
        self.buf.capacity()
    }

    /// Forgets the history and continues at `master_repl_offset` (a replica
    /// that finished a full sync takes its master's offset). Keeps the
    /// allocation.
    pub fn reset(&mut self, master_repl_offset: i64) {
        self.buf.clear();
        self.head = 0;
        self.master_repl_offset = master_repl_offset;
    }

    /// Appends bytes of the replication stream (`feedReplicationBuffer`).
    pub fn feed(&mut self, mut bytes: &[u8]) {
        self.master_repl_offset = self.master_repl_offset.saturating_add(bytes.len() as i64);
        if bytes.len() >= self.size {
            // Only the newest `size` bytes can stay.
            bytes = &bytes[bytes.len() - self.size..];
            self.buf.clear();
            self.head = 0;
            self.reserve_to(self.size);
            self.buf.extend_from_slice(bytes);
            return;
        }
        if self.buf.len() < self.size {
            let room = self.size - self.buf.len();
            let now = bytes.len().min(room);
            self.reserve_to(self.buf.len() + now);
            self.buf.extend_from_slice(&bytes[..now]);
            bytes = &bytes[now..];
        }
        // Full: overwrite the oldest bytes, wrapping at the end.
        while !bytes.is_empty() {
            let run = bytes.len().min(self.size - self.head);
            self.buf[self.head..self.head + run].copy_from_slice(&bytes[..run]);
            self.head = (self.head + run) % self.size;
            bytes = &bytes[run..];
        }
    }

    /// Grows the allocation to hold `needed` bytes: at least double, never
    /// past `size`.
    fn reserve_to(&mut self, needed: usize) {
        if needed > self.buf.capacity() {
            let target = needed.max(self.buf.capacity() * 2).min(self.size);
            self.buf.reserve_exact(target - self.buf.len());
        }
    }

    /// Changes `repl-backlog-size` (`resizeReplicationBacklog`): keeps the
    /// newest bytes that fit, offsets unchanged.
    pub fn resize(&mut self, size: usize) {
        let size = size.max(MIN_BACKLOG_SIZE);
        if size == self.size {
            return;
        }
        let keep = self.buf.len().min(size);
        let mut kept = Vec::with_capacity(keep);
        let (a, b) = self.tail(keep);
        kept.extend_from_slice(a);
        kept.extend_from_slice(b);
        self.buf = kept;
        self.head = 0;
        self.size = size;
    }

    /// The newest `n` bytes (`n <= histlen`) as up to two slices, oldest
    /// first.
    fn tail(&self, n: usize) -> (&[u8], &[u8]) {
        let (old, new) = self.buf.split_at(self.head);
        // In order: `new` (from head to the end) then `old`.
        if n <= old.len() {
            (&old[old.len() - n..], &[])
        } else {
            (&new[new.len() - (n - old.len())..], old)
        }
    }

    /// The bytes from offset `offset` to the end, as two slices to send in
    /// order (the second may be empty), or `None` when the backlog does not
    /// cover `offset`. `offset == master_repl_offset + 1` is covered: nothing
    /// to send.
    pub fn range_from(&self, offset: i64) -> Option<(&[u8], &[u8])> {
        let first = self.first_byte_offset();
        if offset < first || offset > self.master_repl_offset.saturating_add(1) {
            return None;
        }
        let n = usize::try_from(self.master_repl_offset - offset + 1).ok()?;
        Some(self.tail(n))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::vec;

    fn from(backlog: &Backlog, offset: i64) -> Option<Vec<u8>> {
        backlog.range_from(offset).map(|(a, b)| [a, b].concat())
    }

    #[test]
    fn empty_backlog_allocates_nothing() {
        let backlog = Backlog::new(1 << 30, 0);
        assert_eq!(backlog.allocated(), 0);
        assert_eq!(backlog.histlen(), 0);
        assert_eq!(backlog.first_byte_offset(), 1);
        assert_eq!(from(&backlog, 1), Some(vec![]));
        assert_eq!(from(&backlog, 0), None);
        assert_eq!(from(&backlog, 2), None);
    }

    #[test]
    fn huge_config_grows_with_data_only() {
        let mut backlog = Backlog::new(1 << 30, 0);
        backlog.feed(&[7; 1000]);
        assert!(backlog.allocated() < 4096, "{}", backlog.allocated());
        for _ in 0..100 {
            backlog.feed(&[7; 1000]);
        }
        assert!(backlog.allocated() <= 2 * 101_000);
        assert_eq!(backlog.histlen(), 101_000);
    }

    #[test]
    fn offsets_follow_redis() {
        let mut backlog = Backlog::new(0, 100);
        assert_eq!(backlog.size(), MIN_BACKLOG_SIZE);
        backlog.feed(b"abc");
        assert_eq!(backlog.master_repl_offset(), 103);
        assert_eq!(backlog.first_byte_offset(), 101);
        assert_eq!(backlog.histlen(), 3);
        assert_eq!(from(&backlog, 102).unwrap(), b"bc");
        assert_eq!(from(&backlog, 104).unwrap(), b"");
        assert_eq!(from(&backlog, 105), None);
        assert_eq!(from(&backlog, 100), None);
    }

    #[test]
    fn wraps_around_and_answers_in_two_slices() {
        let size = MIN_BACKLOG_SIZE;
        let mut backlog = Backlog::new(size, 0);
        let data: Vec<u8> = (0..size + 10).map(|i| (i % 251) as u8).collect();
        backlog.feed(&data[..size - 5]);
        backlog.feed(&data[size - 5..]);
        assert_eq!(backlog.histlen(), size);
        assert_eq!(backlog.allocated(), size);
        assert_eq!(backlog.first_byte_offset(), 11);
        let (a, b) = backlog.range_from(11).unwrap();
        assert_eq!(b.len(), 10);
        assert_eq!([a, b].concat(), &data[10..]);
        let (a, b) = backlog.range_from(size as i64 + 5).unwrap();
        assert_eq!(a, &data[size + 4..]);
        assert!(b.is_empty());
        assert_eq!(from(&backlog, 10), None);
    }

    #[test]
    fn a_feed_larger_than_the_ring_keeps_its_tail() {
        let mut backlog = Backlog::new(MIN_BACKLOG_SIZE, 0);
        backlog.feed(b"xyz");
        let big: Vec<u8> = (0..3 * MIN_BACKLOG_SIZE).map(|i| i as u8).collect();
        backlog.feed(&big);
        assert_eq!(backlog.master_repl_offset(), 3 + big.len() as i64);
        assert_eq!(
            from(&backlog, backlog.first_byte_offset()).unwrap(),
            &big[big.len() - MIN_BACKLOG_SIZE..]
        );
    }

    #[test]
    fn resize_keeps_newest_bytes() {
        let mut backlog = Backlog::new(4 * MIN_BACKLOG_SIZE, 0);
        let data: Vec<u8> = (0..5 * MIN_BACKLOG_SIZE).map(|i| (i * 7) as u8).collect();
        backlog.feed(&data);
        backlog.resize(MIN_BACKLOG_SIZE);
        assert_eq!(backlog.histlen(), MIN_BACKLOG_SIZE);
        assert_eq!(backlog.master_repl_offset(), data.len() as i64);
        assert_eq!(
            from(&backlog, backlog.first_byte_offset()).unwrap(),
            &data[data.len() - MIN_BACKLOG_SIZE..]
        );
        // Growing keeps everything and lets the ring fill further.
        backlog.resize(2 * MIN_BACKLOG_SIZE);
        backlog.feed(b"more");
        assert_eq!(backlog.histlen(), MIN_BACKLOG_SIZE + 4);
        assert!(from(&backlog, backlog.first_byte_offset()).unwrap().ends_with(b"more"));
        backlog.resize(1);
        assert_eq!(backlog.size(), MIN_BACKLOG_SIZE);
    }

    #[test]
    fn reset_moves_the_offset() {
        let mut backlog = Backlog::new(MIN_BACKLOG_SIZE, 0);
        backlog.feed(b"abc");
        backlog.reset(500);
        assert_eq!(backlog.histlen(), 0);
        assert_eq!(backlog.first_byte_offset(), 501);
        backlog.feed(b"d");
        assert_eq!(from(&backlog, 501).unwrap(), b"d");
    }

    #[derive(Debug, Clone)]
    enum Op {
        Feed(Vec<u8>),
        Resize(usize),
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            8 => (0usize..20_000, any::<u8>()).prop_map(|(n, seed)| Op::Feed((0..n).map(|i| seed.wrapping_add(i as u8)).collect())),
            1 => (0usize..70_000).prop_map(Op::Resize),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn slices_equal_the_tail_of_everything_fed(start in 0i64..1000, size in 0usize..50_000, ops in proptest::collection::vec(op(), 1..40)) {
            let mut backlog = Backlog::new(size, start);
            let mut all: Vec<u8> = Vec::new();
            for op in ops {
                match op {
                    Op::Feed(bytes) => { all.extend_from_slice(&bytes); backlog.feed(&bytes); }
                    Op::Resize(size) => backlog.resize(size),
                }
                prop_assert!(backlog.histlen() <= backlog.size());
                prop_assert!(backlog.histlen() <= all.len());
                prop_assert!(backlog.allocated() <= backlog.size().max(all.len() * 2));
                prop_assert_eq!(backlog.master_repl_offset(), start + all.len() as i64);
                let first = backlog.first_byte_offset();
                for offset in [first, first + backlog.histlen() as i64 / 2, backlog.master_repl_offset() + 1] {
                    let got = from(&backlog, offset).unwrap();
                    let skip = (offset - start - 1) as usize;
                    prop_assert_eq!(&got[..], &all[skip..]);
                }
                prop_assert!(backlog.range_from(first - 1).is_none());
                prop_assert!(backlog.range_from(backlog.master_repl_offset() + 2).is_none());
            }
        }
    }
}
