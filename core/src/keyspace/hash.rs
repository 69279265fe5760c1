//! The hash type: a small hash is a `listpack` (fields in insertion order,
//! searched linearly), a big one a `hashtable` ([`Dict`]). The conversion
//! happens where Redis 7.0 does it: when the field count passes
//! `hash-max-listpack-entries` or a field or value passes
//! `hash-max-listpack-value`, or when the listpack would pass Redis's 1 GiB
//! safety size; a hash never converts back.
//!
//! The listpack here is a vector of pairs, not Redis's byte layout, but it
//! answers everything in the same order, and [`Hash::listpack_bytes`] tells
//! the size Redis's listpack would have, for the safety limit.

use super::compact::CompactBytes;
use super::dict::Dict;
use crate::rdb::listpack::element_size;
use crate::util::rng::Rng;
use alloc::vec::Vec;

/// Largest listpack Redis builds (`LISTPACK_MAX_SAFETY_SIZE`); a hash that
/// would grow past it becomes a table.
pub const LISTPACK_MAX_SAFETY_SIZE: usize = 1 << 30;

/// Bytes of a listpack's header (total bytes, element count) and end mark.
const LISTPACK_OVERHEAD: usize = crate::rdb::listpack::EMPTY_SIZE;

/// The thresholds for compact encodings, from the config.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ListpackLimits {
    /// Most entries a listpack may hold.
    pub max_entries: usize,
    /// Longest element a listpack may hold.
    pub max_value: usize,
}

/// A hash value.
#[derive(Clone)]
pub enum Hash {
    /// Small: `(field, value)` pairs in insertion order.
    Listpack(Vec<(CompactBytes, CompactBytes)>),
    /// Big: a hash table.
    Table(Dict<CompactBytes>),
}

impl Default for Hash {
    fn default() -> Self {
        Hash::Listpack(Vec::new())
    }
}

impl Hash {
    /// `listpack` or `hashtable`.
    pub fn encoding_name(&self) -> &'static str {
        match self {
            Hash::Listpack(_) => "listpack",
            Hash::Table(_) => "hashtable",
        }
    }

    /// Number of fields.
    pub fn len(&self) -> usize {
        match self {
            Hash::Listpack(pairs) => pairs.len(),
            Hash::Table(table) => table.len(),
        }
    }

    /// Whether there is no field.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The value of `field`.
    pub fn get(&self, field: &[u8]) -> Option<&CompactBytes> {
        match self {
            Hash::Listpack(pairs) => pairs.iter().find(|(f, _)| f.as_bytes() == field).map(|(_, v)| v),
            Hash::Table(table) => table.get(field),
        }
    }

    /// Whether `field` is present.
    pub fn contains(&self, field: &[u8]) -> bool {
        self.get(field).is_some()
    }

    /// Converts to a table before strings of the lengths `incoming` are
    /// added, when one of them is longer than `max_value` or the listpack
    /// would pass its safety size (`hashTypeTryConversion`). The field
    /// count is checked as fields arrive, by [`Hash::set`].
    pub fn prepare_for(&mut self, incoming: impl Iterator<Item = usize>, limits: &ListpackLimits) {
        let Hash::Listpack(pairs) = self else {
            return;
        };
        let len = pairs.len();
        let mut sum = 0usize;
        for item_len in incoming {
            if item_len > limits.max_value {
                self.convert_to_table();
                return;
            }
            sum = sum.saturating_add(item_len);
        }
        // Each pair takes at most its bytes plus 2 × 10 bytes of encoding
        // and back-length in a listpack: skip the exact count when even
        // that bound is safe.
        let bound = len
            .saturating_mul(limits.max_value.saturating_add(10).saturating_mul(2))
            .saturating_add(LISTPACK_OVERHEAD);
        if bound.saturating_add(sum) > LISTPACK_MAX_SAFETY_SIZE
            && self.listpack_bytes().saturating_add(sum) > LISTPACK_MAX_SAFETY_SIZE
        {
            self.convert_to_table();
        }
    }

    /// Sets `field` to `value`; returns whether the field is new
    /// (`hashTypeSet`). A field or value longer than `max_value` converts
    /// the listpack first; a field count past `max_entries` after the
    /// insertion converts it then.
    pub fn set(&mut self, field: &[u8], value: &[u8], limits: &ListpackLimits) -> bool {
        if let Hash::Listpack(pairs) = self {
            if field.len() > limits.max_value || value.len() > limits.max_value {
                self.convert_to_table();
            } else if let Some(slot) = pairs.iter_mut().find(|(f, _)| f.as_bytes() == field) {
                slot.1 = CompactBytes::new(value);
                return false;
            } else if pairs.len() < limits.max_entries {
                pairs.push((CompactBytes::new(field), CompactBytes::new(value)));
                return true;
            } else {
                self.convert_to_table();
            }
        }
        let Hash::Table(table) = self else {
            return false; // not reached: converted above
        };
        match table.get_mut(field) {
            Some(slot) => {
                *slot = CompactBytes::new(value);
                false
            }
            None => {
                table.insert_new(CompactBytes::new(field), CompactBytes::new(value));
                true
            }
        }
    }

    /// Removes `field`; returns whether it was there.
    pub fn remove(&mut self, field: &[u8]) -> bool {
        match self {
            Hash::Listpack(pairs) => match pairs.iter().position(|(f, _)| f.as_bytes() == field) {
                Some(i) => {
                    pairs.remove(i);
                    true
                }
                None => false,
            },
            Hash::Table(table) => {
                let removed = table.remove(field).is_some();
                if removed {
                    table.shrink_if_needed();
                }
                removed
            }
        }
    }

    /// Every `(field, value)`, in storage order.
    pub fn iter(&self) -> HashIter<'_> {
        match self {
            Hash::Listpack(pairs) => HashIter::Listpack(pairs.iter()),
            Hash::Table(table) => HashIter::Table(table.iter()),
        }
    }

    /// A random pair, every field equally likely in a listpack
    /// (`lpRandomPair`), a random bucket then a random chain node in a
    /// table (`dictGetFairRandomKey`).
    pub fn random(&self, rng: &mut Rng) -> Option<(&CompactBytes, &CompactBytes)> {
        match self {
            Hash::Listpack(pairs) => pairs.get(rng.below(pairs.len() as u64) as usize).map(|(f, v)| (f, v)),
            Hash::Table(table) => table.random(rng),
        }
    }

    /// One step of a SCAN: a listpack emits everything and returns cursor
    /// 0 whatever the cursor (Redis does not keep state for small
    /// encodings); a table emits the buckets at `cursor` ([`Dict::scan`])
    /// and returns the next cursor.
    pub fn scan(&self, cursor: u64, mut emit: impl FnMut(&CompactBytes, &CompactBytes)) -> u64 {
        match self {
            Hash::Listpack(pairs) => {
                for (field, value) in pairs {
                    emit(field, value);
                }
                0
            }
            Hash::Table(table) => table.scan(cursor, emit),
        }
    }

    /// Switches to the hash-table encoding.
    pub fn convert_to_table(&mut self) {
        if let Hash::Listpack(pairs) = self {
            let mut table = Dict::with_capacity(pairs.len());
            for (field, value) in pairs.drain(..) {
                table.insert_new(field, value);
            }
            *self = Hash::Table(table);
        }
    }

    /// The size in bytes Redis's listpack of these pairs would have
    /// (header, each entry's encoding, data and back-length, end mark);
    /// 0 for a table.
    pub fn listpack_bytes(&self) -> usize {
        match self {
            Hash::Listpack(pairs) => pairs.iter().fold(LISTPACK_OVERHEAD, |total, (field, value)| {
                total + element_size(field) + element_size(value)
            }),
            Hash::Table(_) => 0,
        }
    }

    /// Heap bytes owned.
    pub fn heap_size(&self) -> usize {
        match self {
            Hash::Listpack(pairs) => {
                pairs.capacity() * 48 + pairs.iter().map(|(f, v)| f.heap_size() + v.heap_size()).sum::<usize>()
            }
            Hash::Table(table) => {
                table.overhead_bytes() + table.iter().map(|(f, v)| f.heap_size() + v.heap_size()).sum::<usize>()
            }
        }
    }
}

/// Iterator over a hash's fields and values.
pub enum HashIter<'a> {
    /// Over a listpack.
    Listpack(core::slice::Iter<'a, (CompactBytes, CompactBytes)>),
    /// Over a table.
    Table(super::dict::Iter<'a, CompactBytes>),
}

impl<'a> Iterator for HashIter<'a> {
    type Item = (&'a CompactBytes, &'a CompactBytes);

    fn next(&mut self) -> Option<Self::Item> {
        match self {
            HashIter::Listpack(iter) => iter.next().map(|(f, v)| (f, v)),
            HashIter::Table(iter) => iter.next(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(max_entries: usize, max_value: usize) -> ListpackLimits {
        ListpackLimits { max_entries, max_value }
    }

    #[test]
    fn converts_past_limits_and_keeps_fields() {
        let limits = limits(2, 4);
        let mut hash = Hash::default();
        assert!(hash.set(b"a", b"1", &limits));
        assert!(!hash.set(b"a", b"2", &limits));
        assert!(hash.set(b"b", b"3", &limits));
        assert_eq!(hash.encoding_name(), "listpack");
        assert!(hash.set(b"c", b"4", &limits));
        assert_eq!(hash.encoding_name(), "hashtable");
        assert_eq!(hash.get(b"a").map(|v| v.as_bytes()), Some(&b"2"[..]));
        assert!(!hash.set(b"c", b"5", &limits));
        assert_eq!(hash.get(b"c").map(|v| v.as_bytes()), Some(&b"5"[..]));
        let mut long = Hash::default();
        long.set(b"a", b"12345", &limits);
        assert_eq!(long.encoding_name(), "hashtable");
        let mut long_field = Hash::default();
        long_field.set(b"12345", b"a", &limits);
        assert_eq!(long_field.encoding_name(), "hashtable");
        assert!(hash.remove(b"a") && !hash.remove(b"a"));
        assert_eq!(hash.len(), 2);
    }

    #[test]
    fn exactly_at_the_limits_stays_a_listpack() {
        let limits = limits(3, 4);
        let mut hash = Hash::default();
        for field in [&b"f1"[..], b"f2", b"1234"] {
            hash.prepare_for([field.len(), 4].into_iter(), &limits);
            hash.set(field, b"abcd", &limits);
        }
        assert_eq!(hash.encoding_name(), "listpack");
        let fields: Vec<&[u8]> = hash.iter().map(|(f, _)| f.as_bytes()).collect();
        assert_eq!(fields, [&b"f1"[..], b"f2", b"1234"]);
        hash.prepare_for([2, 5].into_iter(), &limits);
        assert_eq!(hash.encoding_name(), "hashtable");
        // Never back, even when emptied.
        for field in [&b"f1"[..], b"f2", b"1234"] {
            hash.remove(field);
        }
        hash.set(b"x", b"y", &limits);
        assert_eq!(hash.encoding_name(), "hashtable");
    }

    #[test]
    fn zero_entries_converts_on_first_insert() {
        let mut hash = Hash::default();
        assert!(hash.set(b"a", b"b", &limits(0, 64)));
        assert_eq!(hash.encoding_name(), "hashtable");
    }

    #[test]
    fn listpack_sizes_follow_the_encoding() {
        let mut hash = Hash::default();
        hash.set(b"a", b"1", &limits(8, 64));
        assert_eq!(hash.listpack_bytes(), 7 + 3 + 2);
    }

    #[test]
    fn safety_size_converts_big_listpacks() {
        let limits = limits(512, usize::MAX);
        let mut hash = Hash::default();
        let big = alloc::vec![b'x'; 1 << 20];
        hash.set(b"a", &big, &limits);
        let stored = hash.listpack_bytes();
        assert_eq!(stored, 7 + 3 + (5 + (1 << 20) + 3));
        hash.prepare_for([1, LISTPACK_MAX_SAFETY_SIZE - stored - 1].into_iter(), &limits);
        assert_eq!(hash.encoding_name(), "listpack");
        hash.prepare_for([1, LISTPACK_MAX_SAFETY_SIZE - stored].into_iter(), &limits);
        assert_eq!(hash.encoding_name(), "hashtable");
    }

    #[test]
    fn scan_and_random_cover_both_encodings() {
        let mut rng = Rng::new([3; 32]);
        let mut hash = Hash::default();
        assert!(hash.random(&mut rng).is_none());
        for i in 0..5u8 {
            hash.set(&[b'f', b'0' + i], &[i], &limits(8, 64));
        }
        let mut seen = Vec::new();
        assert_eq!(hash.scan(12345, |f, _| seen.push(f.clone())), 0);
        assert_eq!(seen.len(), 5);
        assert!(hash.random(&mut rng).is_some());
        hash.convert_to_table();
        let mut cursor = 0;
        let mut count = 0;
        loop {
            cursor = hash.scan(cursor, |_, _| count += 1);
            if cursor == 0 {
                break;
            }
        }
        assert_eq!(count, 5);
        let (field, value) = hash.random(&mut rng).expect("non-empty");
        assert_eq!(hash.get(field), Some(value));
    }
}
