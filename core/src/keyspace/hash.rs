//! The hash type: a small hash is a `listpack` (fields in insertion order,
//! searched linearly), a big one a `hashtable` ([`Dict`]). The conversion
//! happens where Redis 7.0 does it: when the field count passes
//! `hash-max-listpack-entries` or a field or value passes
//! `hash-max-listpack-value`; a hash never converts back.

use super::compact::CompactBytes;
use super::dict::Dict;
use alloc::vec::Vec;

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

    /// Sets `field` to `value`; returns whether the field is new. Converts
    /// to a table first when the listpack limits would be exceeded.
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
        match self {
            Hash::Table(table) => table
                .insert(CompactBytes::new(field), CompactBytes::new(value))
                .is_none(),
            Hash::Listpack(_) => unreachable!("converted above"),
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

    #[test]
    fn converts_past_limits_and_keeps_fields() {
        let limits = ListpackLimits {
            max_entries: 2,
            max_value: 4,
        };
        let mut hash = Hash::default();
        assert!(hash.set(b"a", b"1", &limits));
        assert!(!hash.set(b"a", b"2", &limits));
        assert!(hash.set(b"b", b"3", &limits));
        assert_eq!(hash.encoding_name(), "listpack");
        assert!(hash.set(b"c", b"4", &limits));
        assert_eq!(hash.encoding_name(), "hashtable");
        assert_eq!(hash.get(b"a").map(|v| v.as_bytes()), Some(&b"2"[..]));
        let mut long = Hash::default();
        long.set(b"a", b"12345", &limits);
        assert_eq!(long.encoding_name(), "hashtable");
        assert!(hash.remove(b"a") && !hash.remove(b"a"));
        assert_eq!(hash.len(), 2);
    }
}
