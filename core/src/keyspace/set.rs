//! The set type: an `intset` (sorted integers) while every member is a
//! canonical 64-bit integer and there are at most `set-max-intset-entries`,
//! else a `hashtable`. As in Redis 7.0, a set never converts back.

use super::compact::CompactBytes;
use super::dict::Dict;
use crate::util::number::parse_i64;
use alloc::vec::Vec;

/// A set value.
#[derive(Clone)]
pub enum Set {
    /// Sorted, distinct integers.
    Intset(Vec<i64>),
    /// Any members.
    Table(Dict<()>),
}

impl Default for Set {
    fn default() -> Self {
        Set::Intset(Vec::new())
    }
}

impl Set {
    /// An empty set in the encoding Redis picks for its first member
    /// (`setTypeCreate`).
    pub fn for_first_member(member: &[u8]) -> Set {
        if parse_i64(member).is_some() {
            Set::Intset(Vec::new())
        } else {
            Set::Table(Dict::new())
        }
    }

    /// `intset` or `hashtable`.
    pub fn encoding_name(&self) -> &'static str {
        match self {
            Set::Intset(_) => "intset",
            Set::Table(_) => "hashtable",
        }
    }

    /// Number of members.
    pub fn len(&self) -> usize {
        match self {
            Set::Intset(members) => members.len(),
            Set::Table(table) => table.len(),
        }
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether `member` is in the set.
    pub fn contains(&self, member: &[u8]) -> bool {
        match self {
            Set::Intset(members) => parse_i64(member).is_some_and(|n| members.binary_search(&n).is_ok()),
            Set::Table(table) => table.contains_key(member),
        }
    }

    /// Adds `member`; returns whether it was new. `max_intset` is
    /// `set-max-intset-entries`.
    pub fn insert(&mut self, member: &[u8], max_intset: usize) -> bool {
        if let Set::Intset(members) = self {
            match parse_i64(member) {
                Some(n) => match members.binary_search(&n) {
                    Ok(_) => return false,
                    Err(at) => {
                        members.insert(at, n);
                        if members.len() > max_intset {
                            self.convert_to_table();
                        }
                        return true;
                    }
                },
                None => self.convert_to_table(),
            }
        }
        match self {
            Set::Table(table) => {
                if table.contains_key(member) {
                    false
                } else {
                    table.insert_new(CompactBytes::new(member), ());
                    true
                }
            }
            Set::Intset(_) => unreachable!("converted above"),
        }
    }

    /// Removes `member`; returns whether it was there.
    pub fn remove(&mut self, member: &[u8]) -> bool {
        match self {
            Set::Intset(members) => match parse_i64(member).map(|n| members.binary_search(&n)) {
                Some(Ok(at)) => {
                    members.remove(at);
                    true
                }
                _ => false,
            },
            Set::Table(table) => {
                let removed = table.remove(member).is_some();
                if removed {
                    table.shrink_if_needed();
                }
                removed
            }
        }
    }

    /// Switches to the hash-table encoding.
    pub fn convert_to_table(&mut self) {
        if let Set::Intset(members) = self {
            let mut table = Dict::with_capacity(members.len());
            for n in members.iter() {
                table.insert_new(CompactBytes::from_i64(*n), ());
            }
            *self = Set::Table(table);
        }
    }

    /// Calls `f` with every member's bytes, in storage order.
    pub fn for_each(&self, mut f: impl FnMut(&[u8])) {
        match self {
            Set::Intset(members) => {
                let mut buffer = itoa::Buffer::new();
                for n in members {
                    f(buffer.format(*n).as_bytes());
                }
            }
            Set::Table(table) => {
                for (member, _) in table.iter() {
                    f(member);
                }
            }
        }
    }

    /// Every member as an owned string.
    pub fn members(&self) -> Vec<CompactBytes> {
        let mut out = Vec::with_capacity(self.len());
        self.for_each(|m| out.push(CompactBytes::new(m)));
        out
    }

    /// Heap bytes owned.
    pub fn heap_size(&self) -> usize {
        match self {
            Set::Intset(members) => members.capacity() * 8,
            Set::Table(table) => table.overhead_bytes() + table.iter().map(|(m, _)| m.heap_size()).sum::<usize>(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
            many.insert(alloc::format!("{i}").as_bytes(), 4);
        }
        assert_eq!(many.encoding_name(), "hashtable");
        assert!(many.remove(b"4") && !many.remove(b"4"));
    }
}
