//! `CompactBytes`: the byte string every key, field and small value is made of.
//!
//! Redis keeps keys as sds strings, each its own allocation. Most keys and
//! values are short, so here up to [`INLINE_CAPACITY`] bytes live inline in
//! the value itself (24 bytes, 20 where pointers have 32 bits) and cost no
//! allocation at all; longer strings get one exact-size heap block. The
//! type never grows in place: strings that are appended to live in
//! `Value::Raw` instead.

use alloc::boxed::Box;
use core::borrow::Borrow;
use core::fmt;
use core::hash::{Hash, Hasher};
use core::ops::Deref;

/// Bytes stored inline before a heap block is needed: 22 on 64 bits (the
/// size of the heap form and one more word), 18 in the browser's wasm32,
/// where a hash field's node (field, value, link: 44 bytes) then fits a
/// 48-byte block of memory instead of 56.
pub const INLINE_CAPACITY: usize = if cfg!(target_pointer_width = "64") { 22 } else { 18 };

/// An immutable byte string, inline when short. Ordered bytewise (memcmp),
/// as Redis compares members and keys.
#[derive(Clone)]
pub enum CompactBytes {
    /// Up to 22 bytes, no allocation.
    Inline {
        /// Number of bytes used in `bytes`.
        len: u8,
        /// The bytes; only `bytes[..len]` is meaningful.
        bytes: [u8; INLINE_CAPACITY],
    },
    /// Longer strings: one exact-size allocation.
    Heap(Box<[u8]>),
}

impl CompactBytes {
    /// The empty string.
    pub const EMPTY: CompactBytes = CompactBytes::Inline {
        len: 0,
        bytes: [0; INLINE_CAPACITY],
    };

    /// Copies `bytes` into a new string.
    // On every snapshot key's path: see `rdb::decoder`.
    #[inline(always)]
    pub fn new(bytes: &[u8]) -> Self {
        if bytes.len() <= INLINE_CAPACITY {
            let mut inline = [0u8; INLINE_CAPACITY];
            inline[..bytes.len()].copy_from_slice(bytes);
            CompactBytes::Inline {
                len: bytes.len() as u8,
                bytes: inline,
            }
        } else {
            CompactBytes::Heap(Box::from(bytes))
        }
    }

    /// The decimal form of `value`, as Redis prints integers.
    pub fn from_i64(value: i64) -> Self {
        let mut buffer = itoa::Buffer::new();
        Self::new(buffer.format(value).as_bytes())
    }

    /// The bytes.
    // On every snapshot key's path (a table lookup compares keys with it):
    // see `rdb::decoder`.
    #[inline(always)]
    pub fn as_bytes(&self) -> &[u8] {
        match self {
            CompactBytes::Inline { len, bytes } => &bytes[..*len as usize],
            CompactBytes::Heap(heap) => heap,
        }
    }

    /// Heap bytes owned beyond the 24 bytes of the value itself.
    pub fn heap_size(&self) -> usize {
        match self {
            CompactBytes::Inline { .. } => 0,
            CompactBytes::Heap(heap) => heap.len(),
        }
    }
}

impl Default for CompactBytes {
    fn default() -> Self {
        Self::EMPTY
    }
}

impl Deref for CompactBytes {
    type Target = [u8];
    #[inline]
    fn deref(&self) -> &[u8] {
        self.as_bytes()
    }
}

impl Borrow<[u8]> for CompactBytes {
    fn borrow(&self) -> &[u8] {
        self.as_bytes()
    }
}

impl AsRef<[u8]> for CompactBytes {
    fn as_ref(&self) -> &[u8] {
        self.as_bytes()
    }
}

impl From<&[u8]> for CompactBytes {
    fn from(bytes: &[u8]) -> Self {
        Self::new(bytes)
    }
}

impl From<&str> for CompactBytes {
    fn from(text: &str) -> Self {
        Self::new(text.as_bytes())
    }
}

impl PartialEq for CompactBytes {
    #[inline]
    fn eq(&self, other: &Self) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl Eq for CompactBytes {}

impl PartialEq<[u8]> for CompactBytes {
    fn eq(&self, other: &[u8]) -> bool {
        self.as_bytes() == other
    }
}

impl PartialOrd for CompactBytes {
    fn partial_cmp(&self, other: &Self) -> Option<core::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for CompactBytes {
    fn cmp(&self, other: &Self) -> core::cmp::Ordering {
        self.as_bytes().cmp(other.as_bytes())
    }
}

impl Hash for CompactBytes {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_bytes().hash(state)
    }
}

impl fmt::Debug for CompactBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "b\"{}\"", self.as_bytes().escape_ascii())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn is_its_capacity_and_two_bytes() {
        assert_eq!(core::mem::size_of::<CompactBytes>(), INLINE_CAPACITY + 2);
    }

    #[test]
    fn inline_and_heap_hold_the_same_bytes() {
        for len in [0, 1, INLINE_CAPACITY - 1, INLINE_CAPACITY, INLINE_CAPACITY + 1, 100] {
            let bytes: alloc::vec::Vec<u8> = (0..len as u8).collect();
            let s = CompactBytes::new(&bytes);
            assert_eq!(s.as_bytes(), &bytes[..]);
            assert_eq!(s.heap_size(), if len > INLINE_CAPACITY { len } else { 0 });
        }
    }

    #[test]
    fn orders_bytewise() {
        let a = CompactBytes::from("a");
        let ab = CompactBytes::from("ab");
        let b = CompactBytes::new(&[0xff]);
        assert!(a < ab && ab < b);
    }
}
