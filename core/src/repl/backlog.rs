//! The replication buffer: the stream's recent bytes, kept once and read
//! by the backlog (partial resyncs) and by every replica at its own
//! position (Redis 7.0's shared replication buffer, DESIGN principle 7:
//! a thousand replicas must not mean a thousand copies).
//!
//! Offsets follow Redis: `master_repl_offset` is the offset of the last
//! byte ever fed (0 before any); the buffer holds `histlen` bytes, the
//! first of which is at `first_byte_offset = master_repl_offset - histlen +
//! 1` (`repl_backlog_first_byte_offset`). Example: a new backlog at offset
//! 100 fed `"abc"` holds offsets 101..=103, first byte 101, histlen 3; a
//! replica that has read up to 101 asks for 102 and gets `"bc"`.
//!
//! Memory: bytes live in blocks of [`BLOCK_SIZE`] (bigger when one feed
//! is bigger), allocated as the stream brings them, so a 1 GB
//! `repl-backlog-size` costs nothing until used. [`Backlog::trim`] frees
//! whole blocks from the front once the rest still holds
//! `repl-backlog-size` bytes, unless a replica has not sent them yet: as in
//! Redis 7.0, `histlen` may then exceed the size, and a replica that falls
//! too far behind is cut off by its output limit, which releases them.
//! Sizes below 16 KB are raised to 16 KB (`CONFIG_REPL_BACKLOG_MIN_SIZE`).
//!
//! Never: it does not decide PSYNCs (see [`super::psync`]) and does not
//! know the replicas; callers pass the oldest offset still needed.

use alloc::collections::VecDeque;
use alloc::vec::Vec;

/// Smallest backlog Redis accepts (`CONFIG_REPL_BACKLOG_MIN_SIZE`).
pub const MIN_BACKLOG_SIZE: usize = 16 * 1024;

/// Bytes per block (Redis's `PROTO_REPLY_CHUNK_BYTES`).
pub const BLOCK_SIZE: usize = 16 * 1024;

/// One block: the offset of its first byte and its bytes. Its capacity is
/// fixed when made, so appending never moves it.
#[derive(Clone, Debug)]
struct Block {
    start: i64,
    bytes: Vec<u8>,
}

/// The shared replication buffer.
#[derive(Clone, Debug)]
pub struct Backlog {
    blocks: VecDeque<Block>,
    /// Bytes held in `blocks`.
    histlen: usize,
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
            blocks: VecDeque::new(),
            histlen: 0,
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
        self.histlen
    }

    /// Offset of the oldest byte held (`repl_backlog_first_byte_offset`);
    /// `master_repl_offset + 1` when empty.
    pub fn first_byte_offset(&self) -> i64 {
        self.master_repl_offset - self.histlen as i64 + 1
    }

    /// Bytes of memory reserved for the blocks.
    pub fn allocated(&self) -> usize {
        self.blocks.iter().map(|b| b.bytes.capacity()).sum()
    }

    /// Forgets the history and continues at `master_repl_offset` (a replica
    /// that finished a full sync takes its master's offset).
    pub fn reset(&mut self, master_repl_offset: i64) {
        self.blocks.clear();
        self.histlen = 0;
        self.master_repl_offset = master_repl_offset;
    }

    /// Appends bytes of the replication stream (`feedReplicationBuffer`).
    /// Returns whether a new block was started: the moment to
    /// [`Backlog::trim`].
    pub fn feed(&mut self, bytes: &[u8]) -> bool {
        let mut rest = bytes;
        if let Some(last) = self.blocks.back_mut() {
            let room = last.bytes.capacity() - last.bytes.len();
            let now = room.min(rest.len());
            last.bytes.extend_from_slice(&rest[..now]);
            rest = &rest[now..];
        }
        let started = !rest.is_empty();
        if started {
            let start = self.master_repl_offset + 1 + (bytes.len() - rest.len()) as i64;
            let mut block = Vec::with_capacity(rest.len().max(BLOCK_SIZE));
            block.extend_from_slice(rest);
            self.blocks.push_back(Block { start, bytes: block });
        }
        self.histlen += bytes.len();
        self.master_repl_offset = self.master_repl_offset.saturating_add(bytes.len() as i64);
        started
    }

    /// Trims whole blocks from the front while the rest still holds
    /// `repl-backlog-size` bytes and no replica needs them: `needed_from`
    /// is the oldest offset a replica has not sent yet.
    pub fn trim(&mut self, needed_from: Option<i64>) {
        while let Some(front) = self.blocks.front() {
            let len = front.bytes.len();
            let end = front.start + len as i64;
            let needed = needed_from.is_some_and(|offset| offset < end);
            if self.blocks.len() == 1 || self.histlen - len < self.size || needed {
                break;
            }
            self.histlen -= len;
            self.blocks.pop_front();
        }
    }

    /// Changes `repl-backlog-size` (`resizeReplicationBacklog`); the next
    /// [`Backlog::trim`] applies it.
    pub fn resize(&mut self, size: usize) {
        self.size = size.max(MIN_BACKLOG_SIZE);
    }

    /// Whether the bytes from `offset` to the end are held (a partial
    /// resync can start there). `master_repl_offset + 1` is covered:
    /// nothing to send.
    pub fn covers(&self, offset: i64) -> bool {
        offset >= self.first_byte_offset() && offset <= self.master_repl_offset.saturating_add(1)
    }

    /// The held bytes from `offset` to the end of its block (empty at the
    /// end of the stream or outside the history): what a replica at
    /// `offset` sends next.
    pub fn chunk_from(&self, offset: i64) -> &[u8] {
        if !self.covers(offset) {
            return &[];
        }
        let index = self.blocks.partition_point(|b| b.start <= offset);
        let Some(block) = index.checked_sub(1).and_then(|i| self.blocks.get(i)) else {
            return &[];
        };
        let at = (offset - block.start) as usize;
        block.bytes.get(at..).unwrap_or(&[])
    }
}
#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::vec;

    /// Everything from `offset` to the end, read chunk by chunk as a
    /// replica does.
    fn from(backlog: &Backlog, mut offset: i64) -> Option<Vec<u8>> {
        if !backlog.covers(offset) {
            return None;
        }
        let mut out = Vec::new();
        loop {
            let chunk = backlog.chunk_from(offset);
            if chunk.is_empty() {
                return Some(out);
            }
            out.extend_from_slice(chunk);
            offset += chunk.len() as i64;
        }
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
        assert!(backlog.allocated() <= BLOCK_SIZE, "{}", backlog.allocated());
        for _ in 0..100 {
            backlog.feed(&[7; 1000]);
        }
        assert!(backlog.allocated() <= 101_000 + BLOCK_SIZE);
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
    fn blocks_are_freed_once_the_rest_holds_the_size() {
        let mut backlog = Backlog::new(MIN_BACKLOG_SIZE, 0);
        let data: Vec<u8> = (0..4 * BLOCK_SIZE).map(|i| (i % 251) as u8).collect();
        for piece in data.chunks(1000) {
            if backlog.feed(piece) {
                backlog.trim(None);
            }
        }
        // Whole blocks go when a new one starts: what stays holds at least
        // the size and at most two blocks more.
        assert!(backlog.histlen() >= MIN_BACKLOG_SIZE);
        assert!(backlog.histlen() <= MIN_BACKLOG_SIZE + 2 * BLOCK_SIZE);
        let first = backlog.first_byte_offset();
        assert_eq!(from(&backlog, first).unwrap(), &data[(first - 1) as usize..]);
        assert_eq!(from(&backlog, first - 1), None);
    }

    #[test]
    fn a_replica_behind_keeps_its_bytes() {
        let mut backlog = Backlog::new(MIN_BACKLOG_SIZE, 0);
        let data: Vec<u8> = (0..6 * BLOCK_SIZE).map(|i| (i % 13) as u8).collect();
        for piece in data.chunks(BLOCK_SIZE) {
            backlog.feed(piece);
            backlog.trim(Some(10));
        }
        assert_eq!(backlog.histlen(), data.len());
        assert_eq!(from(&backlog, 10).unwrap(), &data[9..]);
        // Once it moved on, the next trim applies the size.
        backlog.trim(Some(backlog.master_repl_offset() + 1));
        assert!(backlog.histlen() <= MIN_BACKLOG_SIZE + BLOCK_SIZE);
    }

    #[test]
    fn a_feed_larger_than_a_block_is_one_block() {
        let mut backlog = Backlog::new(MIN_BACKLOG_SIZE, 0);
        backlog.feed(b"xyz");
        let big: Vec<u8> = (0..3 * MIN_BACKLOG_SIZE).map(|i| i as u8).collect();
        assert!(backlog.feed(&big));
        backlog.trim(None);
        assert_eq!(backlog.master_repl_offset(), 3 + big.len() as i64);
        // The first block holds "xyz" and the big feed's head.
        let first = backlog.first_byte_offset();
        let all = [&b"xyz"[..], &big].concat();
        assert_eq!(from(&backlog, first).unwrap(), &all[(first - 1) as usize..]);
    }

    #[test]
    fn resize_applies_at_the_next_trim() {
        let mut backlog = Backlog::new(4 * MIN_BACKLOG_SIZE, 0);
        let data: Vec<u8> = (0..5 * MIN_BACKLOG_SIZE).map(|i| (i * 7) as u8).collect();
        for piece in data.chunks(BLOCK_SIZE) {
            backlog.feed(piece);
            backlog.trim(None);
        }
        assert_eq!(backlog.histlen(), 4 * MIN_BACKLOG_SIZE);
        backlog.resize(MIN_BACKLOG_SIZE);
        backlog.trim(None);
        assert_eq!(backlog.histlen(), MIN_BACKLOG_SIZE);
        assert_eq!(backlog.master_repl_offset(), data.len() as i64);
        assert_eq!(
            from(&backlog, backlog.first_byte_offset()).unwrap(),
            &data[data.len() - MIN_BACKLOG_SIZE..]
        );
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
        /// A replica pins this far behind the end.
        Pin(usize),
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            8 => (0usize..40_000, any::<u8>()).prop_map(|(n, seed)| Op::Feed((0..n).map(|i| seed.wrapping_add(i as u8)).collect())),
            1 => (0usize..70_000).prop_map(Op::Resize),
            1 => (0usize..100_000).prop_map(Op::Pin),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn chunks_equal_the_tail_of_everything_fed(start in 0i64..1000, size in 0usize..50_000, ops in proptest::collection::vec(op(), 1..40)) {
            let mut backlog = Backlog::new(size, start);
            let mut all: Vec<u8> = Vec::new();
            let mut pin = None;
            for op in ops {
                match op {
                    Op::Feed(bytes) => {
                        all.extend_from_slice(&bytes);
                        if backlog.feed(&bytes) {
                            backlog.trim(pin);
                        }
                    }
                    Op::Resize(size) => { backlog.resize(size); backlog.trim(pin); }
                    Op::Pin(behind) => {
                        let offset = (backlog.master_repl_offset() + 1 - behind as i64).max(backlog.first_byte_offset());
                        pin = Some(offset);
                    }
                }
                prop_assert!(backlog.histlen() <= all.len());
                prop_assert_eq!(backlog.master_repl_offset(), start + all.len() as i64);
                if let Some(pin) = pin {
                    prop_assert!(backlog.covers(pin));
                }
                let first = backlog.first_byte_offset();
                for offset in [first, first + backlog.histlen() as i64 / 2, backlog.master_repl_offset() + 1] {
                    let got = from(&backlog, offset).unwrap();
                    let skip = (offset - start - 1) as usize;
                    prop_assert_eq!(&got[..], &all[skip..]);
                }
                prop_assert!(!backlog.covers(first - 1));
                prop_assert!(!backlog.covers(backlog.master_repl_offset() + 2));
            }
        }
    }
}
