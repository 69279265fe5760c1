//! Random elements with a count — HRANDFIELD, SRANDMEMBER, ZRANDMEMBER —
//! drawn with Redis 7.0's four strategies (`*RandomWithCountCommand`):
//!
//! 1. a negative count (repeats allowed) or 1: independent draws;
//! 2. at least the whole collection: every element, in reply order;
//! 3. most of it (`count * 3 > size`): all elements, random ones dropped
//!    until `count` remain;
//! 4. a few: a compact encoding (listpack) is sampled in one pass; a hash
//!    table is drawn from until `count` distinct elements came out.

use crate::engine::client::{client_flag, ClientState};
use crate::keyspace::hash::Hash;
use crate::keyspace::set::Set;
use crate::keyspace::zset::ZSet;
use crate::keyspace::{CompactBytes, StrRef};
use crate::resp::reply::Reply;
use crate::util::rng::Rng;
use alloc::collections::BTreeSet;
use alloc::vec::Vec;

/// A reply of repeated draws that grew past this many bytes stops and
/// its client is closed: a count near 2^63 would otherwise grow the
/// output buffer until memory runs out (Redis has no such guard, as
/// normal clients have no output limit by default).
pub const REPLY_LIMIT: usize = 512 * 1024 * 1024;

/// A collection random elements are drawn from.
pub trait Draw {
    /// An element: a reference, or a rank.
    type Item: Copy + Ord;
    /// Number of elements.
    fn size(&self) -> usize;
    /// One element at random.
    fn random(&self, rng: &mut Rng) -> Option<Self::Item>;
    /// Every element, in the order a whole-collection reply lists them.
    fn each(&self, f: impl FnMut(Self::Item));
    /// Whether the encoding is compact (a listpack), sampled in one pass.
    fn is_compact(&self) -> bool;
}

/// Draws `count` elements (negative: repeats allowed) from `source`:
/// `header` gets the number of elements that follow, `emit` each one.
/// Repeated draws stop at [`REPLY_LIMIT`] bytes of `reply` and close the
/// client.
pub fn draw<D: Draw>(
    source: &D,
    count: i64,
    rng: &mut Rng,
    client: &mut ClientState,
    reply: &mut Reply,
    header: impl FnOnce(&mut Reply, usize),
    mut emit: impl FnMut(&mut Reply, D::Item),
) {
    let size = source.size();
    let unique = count >= 0;
    let count = count.unsigned_abs();
    if !unique || count == 1 {
        header(reply, count as usize);
        for _ in 0..count {
            if let Some(item) = source.random(rng) {
                emit(reply, item);
            }
            if reply.len() > REPLY_LIMIT {
                client.flags |= client_flag::CLOSE_ASAP;
                break;
            }
        }
        return;
    }
    let count = count.min(size as u64) as usize;
    header(reply, count);
    if count == size {
        source.each(|item| emit(reply, item));
    } else if count * 3 > size {
        let mut items = Vec::with_capacity(size);
        source.each(|item| items.push(item));
        while items.len() > count {
            let at = rng.below(items.len() as u64) as usize;
            items.swap_remove(at);
        }
        for item in items {
            emit(reply, item);
        }
    } else if source.is_compact() {
        // Selection sampling: each element is kept with probability
        // needed / remaining (`lpRandomPairsUnique`).
        let (mut needed, mut seen) = (count, 0);
        source.each(|item| {
            if needed > 0 && rng.below((size - seen) as u64) < needed as u64 {
                emit(reply, item);
                needed -= 1;
            }
            seen += 1;
        });
    } else {
        let mut picked = BTreeSet::new();
        while picked.len() < count {
            let Some(item) = source.random(rng) else {
                break;
            };
            if picked.insert(item) {
                emit(reply, item);
            }
        }
    }
}

impl<'a> Draw for &'a Hash {
    type Item = (&'a CompactBytes, &'a CompactBytes);

    fn size(&self) -> usize {
        self.len()
    }

    fn random(&self, rng: &mut Rng) -> Option<Self::Item> {
        Hash::random(self, rng)
    }

    fn each(&self, f: impl FnMut(Self::Item)) {
        self.iter().for_each(f);
    }

    fn is_compact(&self) -> bool {
        matches!(self, Hash::Listpack(_))
    }
}

impl<'a> Draw for &'a Set {
    type Item = StrRef<'a>;

    fn size(&self) -> usize {
        self.len()
    }

    fn random(&self, rng: &mut Rng) -> Option<Self::Item> {
        Set::random(self, rng)
    }

    fn each(&self, f: impl FnMut(Self::Item)) {
        self.iter().for_each(f);
    }

    /// Redis 7.0 has no listpack sets: an intset is drawn from too.
    fn is_compact(&self) -> bool {
        false
    }
}

/// Sorted-set elements are drawn as ranks.
impl Draw for &ZSet {
    type Item = usize;

    fn size(&self) -> usize {
        self.len()
    }

    fn random(&self, rng: &mut Rng) -> Option<usize> {
        let size = self.len();
        (size > 0).then(|| rng.below(size as u64) as usize)
    }

    /// Highest first: Redis's iterator walks a sorted set from the tail.
    fn each(&self, f: impl FnMut(usize)) {
        (0..self.len()).rev().for_each(f);
    }

    fn is_compact(&self) -> bool {
        matches!(self, ZSet::Listpack(_))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    /// A compact or table collection of the numbers below `size`.
    struct Numbers {
        size: usize,
        compact: bool,
    }

    impl Draw for Numbers {
        type Item = usize;
        fn size(&self) -> usize {
            self.size
        }
        fn random(&self, rng: &mut Rng) -> Option<usize> {
            (self.size > 0).then(|| rng.below(self.size as u64) as usize)
        }
        fn each(&self, f: impl FnMut(usize)) {
            (0..self.size).for_each(f);
        }
        fn is_compact(&self) -> bool {
            self.compact
        }
    }

    fn run(source: &Numbers, count: i64) -> (usize, Vec<usize>) {
        let mut rng = Rng::new([3; 32]);
        let mut client = ClientState::new(1, Default::default(), 0, true);
        let mut reply = Reply::new();
        let mut announced = 0;
        let mut got = vec![];
        draw(
            source,
            count,
            &mut rng,
            &mut client,
            &mut reply,
            |_, n| announced = n,
            |_, item| got.push(item),
        );
        (announced, got)
    }

    #[test]
    fn every_strategy_announces_and_emits_the_right_elements() {
        for compact in [false, true] {
            let source = Numbers { size: 30, compact };
            for count in [1, 2, 9, 10, 11, 29, 30, 31, 1000] {
                let (announced, got) = run(&source, count);
                let expected = (count as usize).min(30);
                assert_eq!((announced, got.len()), (expected, expected), "count {count}");
                let distinct: BTreeSet<usize> = got.iter().copied().collect();
                assert_eq!(distinct.len(), expected, "count {count}: repeats");
            }
            let (announced, got) = run(&source, -100);
            assert_eq!((announced, got.len()), (100, 100));
            assert!(got.iter().all(|&n| n < 30));
        }
        // The whole collection comes in order.
        assert_eq!(
            run(
                &Numbers {
                    size: 5,
                    compact: false
                },
                5
            )
            .1,
            vec![0, 1, 2, 3, 4]
        );
    }
}
