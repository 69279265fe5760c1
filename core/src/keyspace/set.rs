//! The set type: an `intset` (sorted integers) while every member is a
//! canonical 64-bit integer and there are at most `set-max-intset-entries`,
//! else a `hashtable`. As in Redis 7.0, a set never converts back (there is
//! no `listpack` set encoding before Redis 7.2).
//!
//! The encoding is visible to users: `OBJECT ENCODING` names it, and an
//! intset replies its members in ascending numeric order (SMEMBERS, SSCAN,
//! the set algebra), so the conversion happens exactly where Redis's
//! `setTypeAdd` does it. Members are handled as [`StrRef`]s so that an
//! intset's integers are never turned into strings just to be compared.

use super::compact::CompactBytes;
use super::dict::{self, Dict};
use super::value::StrRef;
use crate::util::number::parse_i64;
use crate::util::rng::Rng;
use alloc::vec::Vec;

/// The most entries an intset may hold whatever `set-max-intset-entries`
/// says (Redis caps it at 2^30 because of the intset's 32-bit length).
pub const INTSET_HARD_LIMIT: usize = 1 << 30;

/// A set value.
#[derive(Clone)]
pub enum Set {
    /// Sorted, distinct integers, and the bytes per integer of the encoded
    /// intset (2, 4 or 8): the widest member ever held, since Redis never
    /// narrows an intset, and `DUMP`/RDB bytes show the width.
    Intset(Vec<i64>, u8),
    /// Any members.
    Table(Dict<()>),
}

impl Default for Set {
    fn default() -> Self {
        Set::Intset(Vec::new(), 2)
    }
}

impl Set {
    /// An empty set in the encoding Redis picks for its first member
    /// (`setTypeCreate`).
    pub fn for_first_member(member: &[u8]) -> Set {
        if parse_i64(member).is_some() {
            Set::Intset(Vec::new(), 2)
        } else {
            Set::Table(Dict::new())
        }
    }

    /// `intset` or `hashtable`.
    pub fn encoding_name(&self) -> &'static str {
        match self {
            Set::Intset(..) => "intset",
            Set::Table(_) => "hashtable",
        }
    }

    /// Number of members.
    pub fn len(&self) -> usize {
        match self {
            Set::Intset(members, _) => members.len(),
            Set::Table(table) => table.len(),
        }
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether `member` is in the set.
    #[inline]
    pub fn contains(&self, member: &[u8]) -> bool {
        self.contains_member(StrRef::Bytes(member))
    }

    /// Whether `member` is in the set (`setTypeIsMember`).
    pub fn contains_member(&self, member: StrRef<'_>) -> bool {
        match self {
            Set::Intset(members, _) => member.as_i64().is_some_and(|n| members.binary_search(&n).is_ok()),
            Set::Table(table) => member.with_bytes(|bytes| table.contains_key(bytes)),
        }
    }

    /// Adds `member`; returns whether it was new. `max_intset` is
    /// `set-max-intset-entries`.
    #[inline]
    pub fn insert(&mut self, member: &[u8], max_intset: usize) -> bool {
        self.insert_member(StrRef::Bytes(member), max_intset)
    }

    /// Adds `member` (`setTypeAdd`): an intset takes it while it is an
    /// integer and the intset stays within `max_intset` entries, and
    /// converts to a hash table otherwise. Returns whether it was new.
    pub fn insert_member(&mut self, member: StrRef<'_>, max_intset: usize) -> bool {
        if let Set::Intset(members, width) = self {
            match member.as_i64() {
                Some(n) => {
                    let Err(at) = members.binary_search(&n) else {
                        return false;
                    };
                    members.insert(at, n);
                    *width = (*width).max(crate::rdb::intset::width_of(n));
                    if members.len() > max_intset.min(INTSET_HARD_LIMIT) {
                        self.convert_to_table();
                    }
                    return true;
                }
                None => self.convert_to_table(),
            }
        }
        let Set::Table(table) = self else {
            unreachable!("an intset was converted above");
        };
        member.with_bytes(|bytes| {
            if table.contains_key(bytes) {
                false
            } else {
                table.insert_new(CompactBytes::new(bytes), ());
                true
            }
        })
    }

    /// Removes `member`; returns whether it was there.
    #[inline]
    pub fn remove(&mut self, member: &[u8]) -> bool {
        self.remove_member(StrRef::Bytes(member))
    }

    /// Removes `member` (`setTypeRemove`), shrinking a hash table that
    /// became sparse. Returns whether it was there.
    pub fn remove_member(&mut self, member: StrRef<'_>) -> bool {
        match self {
            Set::Intset(members, _) => match member.as_i64().map(|n| members.binary_search(&n)) {
                Some(Ok(at)) => {
                    members.remove(at);
                    true
                }
                _ => false,
            },
            Set::Table(table) => {
                let removed = member.with_bytes(|bytes| table.remove(bytes).is_some());
                if removed {
                    table.shrink_if_needed();
                }
                removed
            }
        }
    }

    /// Switches to the hash-table encoding (`setTypeConvert`), sized for
    /// the members it holds.
    pub fn convert_to_table(&mut self) {
        if let Set::Intset(members, _) = self {
            let mut table = Dict::with_capacity(members.len());
            for n in members.iter() {
                table.insert_new(CompactBytes::from_i64(*n), ());
            }
            *self = Set::Table(table);
        }
    }

    /// Every member, in storage order: ascending for an intset, bucket
    /// order for a hash table.
    pub fn iter(&self) -> Iter<'_> {
        match self {
            Set::Intset(members, _) => Iter::Intset(members.iter()),
            Set::Table(table) => Iter::Table(table.iter()),
        }
    }

    /// Calls `f` with every member's bytes, in storage order.
    pub fn for_each(&self, mut f: impl FnMut(&[u8])) {
        for member in self.iter() {
            member.with_bytes(&mut f);
        }
    }

    /// Every member as an owned string.
    pub fn members(&self) -> Vec<CompactBytes> {
        self.iter().map(StrRef::to_compact).collect()
    }

    /// A random member, every member equally likely for an intset; a
    /// random bucket then a random node of its chain for a hash table.
    /// `None` when empty.
    pub fn random(&self, rng: &mut Rng) -> Option<StrRef<'_>> {
        match self {
            Set::Intset(members, _) => {
                let at = rng.below(members.len() as u64) as usize;
                members.get(at).map(|n| StrRef::Int(*n))
            }
            Set::Table(table) => table.random(rng).map(|(member, _)| StrRef::Bytes(member.as_bytes())),
        }
    }

    /// Removes and returns a random member (what SPOP takes).
    pub fn pop_random(&mut self, rng: &mut Rng) -> Option<CompactBytes> {
        let member = match self {
            Set::Intset(members, _) => {
                if members.is_empty() {
                    return None;
                }
                let at = rng.below(members.len() as u64) as usize;
                return Some(CompactBytes::from_i64(members.remove(at)));
            }
            Set::Table(table) => table.random(rng)?.0.clone(),
        };
        self.remove(&member);
        Some(member)
    }

    /// One step of SSCAN: emits the members of the buckets at `cursor` and
    /// returns the next cursor (see [`Dict::scan`]). An intset has no
    /// cursor: every member is emitted and 0 returned, as Redis does for
    /// its compact encodings.
    pub fn scan(&self, cursor: u64, mut emit: impl FnMut(StrRef<'_>)) -> u64 {
        match self {
            Set::Intset(members, _) => {
                for n in members {
                    emit(StrRef::Int(*n));
                }
                0
            }
            Set::Table(table) => table.scan(cursor, |member, _| emit(StrRef::Bytes(member.as_bytes()))),
        }
    }

    /// Heap bytes owned.
    pub fn heap_size(&self) -> usize {
        match self {
            Set::Intset(members, _) => members.capacity() * 8,
            Set::Table(table) => table.overhead_bytes() + table.iter().map(|(m, _)| m.heap_size()).sum::<usize>(),
        }
    }
}

/// Iterator over a [`Set`]'s members.
pub enum Iter<'a> {
    /// Over an intset.
    Intset(core::slice::Iter<'a, i64>),
    /// Over a hash table.
    Table(dict::Iter<'a, ()>),
}

impl<'a> Iterator for Iter<'a> {
    type Item = StrRef<'a>;

    #[inline]
    fn next(&mut self) -> Option<StrRef<'a>> {
        match self {
            Iter::Intset(ints) => ints.next().map(|n| StrRef::Int(*n)),
            Iter::Table(entries) => entries.next().map(|(member, _)| StrRef::Bytes(member.as_bytes())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::collections::BTreeSet;
    use alloc::format;

    fn strings(set: &Set) -> Vec<alloc::string::String> {
        set.iter()
            .map(|m| m.with_bytes(|b| alloc::string::String::from_utf8_lossy(b).into_owned()))
            .collect()
    }

    #[test]
    fn intset_until_a_string_or_too_many() {
        let mut set = Set::for_first_member(b"3");
        assert!(set.insert(b"3", 4) && !set.insert(b"3", 4));
        set.insert(b"1", 4);
        assert_eq!(
            set.members(),
            alloc::vec![CompactBytes::from("1"), CompactBytes::from("3")]
        );
        assert_eq!(set.encoding_name(), "intset");
        set.insert(b"x", 4);
        assert_eq!(set.encoding_name(), "hashtable");
        assert!(set.contains(b"1") && set.contains(b"x"));
        let mut many = Set::for_first_member(b"1");
        for i in 0..5 {
            many.insert(format!("{i}").as_bytes(), 4);
        }
        assert_eq!(many.encoding_name(), "hashtable");
        assert!(many.remove(b"4") && !many.remove(b"4"));
    }

    #[test]
    fn the_threshold_is_inclusive_and_never_converts_back() {
        let mut set = Set::default();
        for i in 0..3 {
            set.insert(format!("{i}").as_bytes(), 3);
        }
        assert_eq!(set.encoding_name(), "intset");
        assert!(set.insert(b"3", 3));
        assert_eq!(set.encoding_name(), "hashtable");
        assert!(set.remove(b"3") && set.remove(b"2"));
        assert_eq!(set.encoding_name(), "hashtable");
        // A zero threshold: the first integer already converts.
        let mut zero = Set::default();
        zero.insert(b"1", 0);
        assert_eq!(zero.encoding_name(), "hashtable");
    }

    #[test]
    fn only_canonical_integers_stay_in_an_intset() {
        for member in ["01", "+1", "-0", " 1", "1.0", "9223372036854775808", ""] {
            let mut set = Set::default();
            set.insert(member.as_bytes(), 512);
            assert_eq!(set.encoding_name(), "hashtable", "{member:?}");
            assert!(set.contains(member.as_bytes()));
        }
        let mut set = Set::default();
        for member in ["-9223372036854775808", "9223372036854775807", "0", "-1"] {
            set.insert(member.as_bytes(), 512);
        }
        assert_eq!(set.encoding_name(), "intset");
        assert_eq!(
            strings(&set),
            ["-9223372036854775808", "-1", "0", "9223372036854775807"]
        );
        // "01" is not the member 1.
        assert!(!set.contains(b"01") && !set.remove(b"01") && !set.contains(b"+0"));
    }

    #[test]
    fn members_match_across_encodings() {
        let mut ints = Set::default();
        let mut table = Set::for_first_member(b"a");
        for i in [5, -2, 7] {
            ints.insert_member(StrRef::Int(i), 512);
            table.insert_member(StrRef::Int(i), 512);
        }
        assert_eq!(table.encoding_name(), "hashtable");
        for member in ints.iter() {
            assert!(table.contains_member(member));
        }
        assert!(ints.contains_member(StrRef::Bytes(b"-2")));
        assert!(table.contains_member(StrRef::Bytes(b"-2")));
        assert!(!table.insert_member(StrRef::Bytes(b"7"), 512));
        assert!(table.remove_member(StrRef::Int(7)) && !table.contains(b"7"));
        assert_eq!(strings(&ints), ["-2", "5", "7"]);
    }

    #[test]
    fn random_and_pop_cover_every_member() {
        let mut rng = Rng::new([3; 32]);
        for first in ["1", "a"] {
            let mut set = Set::for_first_member(first.as_bytes());
            for i in 0..50 {
                set.insert(format!("{i}").as_bytes(), 512);
            }
            let mut seen = BTreeSet::new();
            for _ in 0..2000 {
                seen.insert(set.random(&mut rng).unwrap().to_compact());
            }
            assert_eq!(seen.len(), set.len());
            let mut popped = BTreeSet::new();
            while let Some(member) = set.pop_random(&mut rng) {
                assert!(!set.contains(&member));
                popped.insert(member);
            }
            assert_eq!(popped, seen);
            assert!(set.random(&mut rng).is_none());
        }
    }

    #[test]
    fn scan_returns_an_intset_whole_and_a_table_by_cursor() {
        let mut ints = Set::default();
        for i in 0..20 {
            ints.insert(format!("{i}").as_bytes(), 512);
        }
        let mut seen = Vec::new();
        assert_eq!(ints.scan(12345, |m| seen.push(m.to_compact())), 0);
        assert_eq!(seen.len(), 20);
        let mut table = Set::for_first_member(b"x");
        for i in 0..1000 {
            table.insert(format!("m{i}").as_bytes(), 512);
        }
        let mut seen = BTreeSet::new();
        let mut cursor = 0;
        loop {
            cursor = table.scan(cursor, |m| {
                seen.insert(m.to_compact());
            });
            if cursor == 0 {
                break;
            }
        }
        assert_eq!(seen.len(), 1000);
    }
}
