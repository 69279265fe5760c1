//! `Value`: what a key holds, in 16 bytes.
//!
//! Strings follow Redis's three encodings so that `OBJECT ENCODING` answers
//! as Redis does: `int` (a canonical decimal that fits an i64), `embstr`
//! (up to 44 bytes, created whole by `SET` and friends) and `raw` (longer,
//! or modified in place by `APPEND`/`SETRANGE`). Strings up to 14 bytes live
//! inline in the value; longer ones in one heap vector. Aggregates are boxed
//! so the common case, a short string, costs no extra allocation.

use super::compact::CompactBytes;
use super::hash::Hash;
use super::list::List;
use super::set::Set;
use super::zset::ZSet;
use alloc::boxed::Box;
use alloc::vec::Vec;

/// Longest string stored inside the value itself.
pub const INLINE_STRING_CAPACITY: usize = 14;
/// Longest string Redis stores as `embstr` (`OBJ_ENCODING_EMBSTR_SIZE_LIMIT`).
pub const EMBSTR_SIZE_LIMIT: usize = 44;
/// Integers Redis shares (refcount `INT_MAX`) when no LRU/LFU policy is set.
pub const SHARED_INTEGERS: i64 = 10_000;

/// A key's value.
#[derive(Clone)]
pub enum Value {
    /// A string that is a canonical i64 (`int`).
    Int(i64),
    /// An `int` from 0 to 9999 that Redis would share between keys
    /// (`OBJ_SHARED_INTEGERS`): OBJECT REFCOUNT reports `INT_MAX`. Whether
    /// a value is shared is decided when it is created, by the config then.
    SharedInt(i64),
    /// A short `embstr`, stored inline.
    Inline {
        /// Bytes used.
        len: u8,
        /// The bytes; `bytes[..len]` is meaningful.
        bytes: [u8; INLINE_STRING_CAPACITY],
    },
    /// An `embstr` of 15 to 44 bytes.
    Embstr(Box<Vec<u8>>),
    /// A `raw` string: longer than 44 bytes, or grown in place.
    Raw(Box<Vec<u8>>),
    /// A list (`quicklist` in Redis 7.0).
    List(Box<List>),
    /// A hash (`listpack` or `hashtable`).
    Hash(Box<Hash>),
    /// A set (`intset` or `hashtable`).
    Set(Box<Set>),
    /// A sorted set (`listpack` or `skiplist`).
    ZSet(Box<ZSet>),
}

/// The type of a value, as `TYPE` names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ValueType {
    /// `string`
    String,
    /// `list`
    List,
    /// `hash`
    Hash,
    /// `set`
    Set,
    /// `zset`
    ZSet,
}

impl ValueType {
    /// The name `TYPE` replies with.
    pub fn name(self) -> &'static str {
        match self {
            ValueType::String => "string",
            ValueType::List => "list",
            ValueType::Hash => "hash",
            ValueType::Set => "set",
            ValueType::ZSet => "zset",
        }
    }

    /// Parses a `TYPE` name (SCAN's TYPE filter), case-insensitively.
    pub fn from_name(name: &[u8]) -> Option<ValueType> {
        [
            ValueType::String,
            ValueType::List,
            ValueType::Hash,
            ValueType::Set,
            ValueType::ZSet,
        ]
        .into_iter()
        .find(|t| t.name().as_bytes().eq_ignore_ascii_case(name))
    }
}

/// A string's content without copying: bytes, or an integer to be
/// formatted where needed (an `int`-encoded value, an intset member).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum StrRef<'a> {
    /// Byte content.
    Bytes(&'a [u8]),
    /// An `int`-encoded string.
    Int(i64),
}

impl StrRef<'_> {
    /// Calls `f` with the string's bytes (formatting an integer on the stack).
    pub fn with_bytes<R>(self, f: impl FnOnce(&[u8]) -> R) -> R {
        match self {
            StrRef::Bytes(bytes) => f(bytes),
            StrRef::Int(n) => f(itoa::Buffer::new().format(n).as_bytes()),
        }
    }

    /// Length in bytes.
    pub fn len(self) -> usize {
        match self {
            StrRef::Bytes(bytes) => bytes.len(),
            StrRef::Int(n) => itoa::Buffer::new().format(n).len(),
        }
    }

    /// Whether the string is empty.
    pub fn is_empty(self) -> bool {
        self.len() == 0
    }

    /// An owned copy of the bytes.
    pub fn to_vec(self) -> Vec<u8> {
        self.with_bytes(|b| b.to_vec())
    }

    /// An owned compact copy.
    pub fn to_compact(self) -> CompactBytes {
        match self {
            StrRef::Int(n) => CompactBytes::from_i64(n),
            StrRef::Bytes(bytes) => CompactBytes::new(bytes),
        }
    }

    /// The integer the string spells, if it is a canonical i64.
    #[inline]
    pub fn as_i64(self) -> Option<i64> {
        match self {
            StrRef::Int(n) => Some(n),
            StrRef::Bytes(bytes) => crate::util::number::parse_i64(bytes),
        }
    }
}

impl Value {
    /// A string value encoded as Redis's `tryObjectEncoding` would: `int`
    /// when it is a canonical integer of at most 20 bytes, else `embstr` up
    /// to 44 bytes, else `raw`.
    // On every snapshot key's path: see `rdb::decoder`.
    #[inline(always)]
    pub fn string(bytes: &[u8]) -> Value {
        if bytes.len() <= 20 {
            if let Some(n) = crate::util::number::parse_i64(bytes) {
                return Value::Int(n);
            }
        }
        Self::string_no_int(bytes)
    }

    /// A string value that keeps its bytes even when they spell an integer
    /// (Redis's `createStringObject` without `tryObjectEncoding`).
    // On every snapshot key's path: see `rdb::decoder`.
    #[inline(always)]
    pub fn string_no_int(bytes: &[u8]) -> Value {
        if bytes.len() <= INLINE_STRING_CAPACITY {
            let mut inline = [0u8; INLINE_STRING_CAPACITY];
            inline[..bytes.len()].copy_from_slice(bytes);
            Value::Inline {
                len: bytes.len() as u8,
                bytes: inline,
            }
        } else if bytes.len() <= EMBSTR_SIZE_LIMIT {
            Value::Embstr(Box::new(bytes.to_vec()))
        } else {
            Value::Raw(Box::new(bytes.to_vec()))
        }
    }

    /// The shared object for a small integer when `allowed` (Redis's
    /// `tryObjectEncoding` and `createStringObjectFromLongLongForValue`
    /// share 0..9999 unless maxmemory runs an LRU/LFU policy).
    pub fn shared(self, allowed: bool) -> Value {
        match self {
            Value::Int(n) if allowed && (0..SHARED_INTEGERS).contains(&n) => Value::SharedInt(n),
            value => value,
        }
    }

    /// A private copy (`dupStringObject`): never a shared integer.
    pub fn duplicate(&self) -> Value {
        match self {
            Value::SharedInt(n) => Value::Int(*n),
            value => value.clone(),
        }
    }

    /// A `raw` string owning `bytes` (results of APPEND, SETRANGE, …).
    pub fn raw(bytes: Vec<u8>) -> Value {
        Value::Raw(Box::new(bytes))
    }

    /// The type `TYPE` reports.
    pub fn value_type(&self) -> ValueType {
        match self {
            Value::Int(_) | Value::SharedInt(_) | Value::Inline { .. } | Value::Embstr(_) | Value::Raw(_) => {
                ValueType::String
            }
            Value::List(_) => ValueType::List,
            Value::Hash(_) => ValueType::Hash,
            Value::Set(_) => ValueType::Set,
            Value::ZSet(_) => ValueType::ZSet,
        }
    }

    /// The encoding `OBJECT ENCODING` reports.
    pub fn encoding_name(&self) -> &'static str {
        match self {
            Value::Int(_) | Value::SharedInt(_) => "int",
            Value::Inline { .. } | Value::Embstr(_) => "embstr",
            Value::Raw(_) => "raw",
            Value::List(_) => "quicklist",
            Value::Hash(hash) => hash.encoding_name(),
            Value::Set(set) => set.encoding_name(),
            Value::ZSet(zset) => zset.encoding_name(),
        }
    }

    /// The string content, if this is a string.
    #[inline]
    pub fn as_str(&self) -> Option<StrRef<'_>> {
        match self {
            Value::Int(n) | Value::SharedInt(n) => Some(StrRef::Int(*n)),
            Value::Inline { len, bytes } => Some(StrRef::Bytes(&bytes[..*len as usize])),
            Value::Embstr(bytes) | Value::Raw(bytes) => Some(StrRef::Bytes(bytes)),
            _ => None,
        }
    }

    /// Turns a string value into a growable `raw` buffer, for in-place edits
    /// (APPEND, SETRANGE). `None` if not a string.
    pub fn make_raw(&mut self) -> Option<&mut Vec<u8>> {
        if !matches!(self, Value::Raw(_)) {
            let bytes = self.as_str()?.to_vec();
            *self = Value::raw(bytes);
        }
        match self {
            Value::Raw(bytes) => Some(bytes),
            _ => None,
        }
    }

    /// Heap bytes this value owns beyond its 16 bytes (an estimate for
    /// aggregates; used by `MEMORY USAGE`-like reports and DEBUG OBJECT).
    pub fn heap_size(&self) -> usize {
        match self {
            Value::Int(_) | Value::SharedInt(_) | Value::Inline { .. } => 0,
            Value::Embstr(bytes) | Value::Raw(bytes) => 24 + bytes.capacity(),
            Value::List(list) => list.heap_size(),
            Value::Hash(hash) => hash.heap_size(),
            Value::Set(set) => set.heap_size(),
            Value::ZSet(zset) => zset.heap_size(),
        }
    }
}

/// An aggregate type a value may hold, for lookups that check the type
/// (Redis's `checkType`).
pub trait Aggregate {
    /// The aggregate inside `value`, if it holds this type.
    fn of(value: &Value) -> Option<&Self>;
    /// The same, mutable.
    fn of_mut(value: &mut Value) -> Option<&mut Self>;
}

macro_rules! aggregate {
    ($type:ty, $variant:ident) => {
        impl Aggregate for $type {
            #[inline]
            fn of(value: &Value) -> Option<&Self> {
                match value {
                    Value::$variant(inner) => Some(inner),
                    _ => None,
                }
            }

            #[inline]
            fn of_mut(value: &mut Value) -> Option<&mut Self> {
                match value {
                    Value::$variant(inner) => Some(inner),
                    _ => None,
                }
            }
        }
    };
}

/// An aggregate whose members are removed by name (HDEL, SREM, ZREM).
pub trait Members: Aggregate {
    /// Removes `member`; returns whether it was there.
    fn remove_member(&mut self, member: &[u8]) -> bool;
    /// Whether no member is left.
    fn is_empty(&self) -> bool;
}

macro_rules! members {
    ($type:ty) => {
        impl Members for $type {
            #[inline]
            fn remove_member(&mut self, member: &[u8]) -> bool {
                self.remove(member)
            }

            #[inline]
            fn is_empty(&self) -> bool {
                <$type>::is_empty(self)
            }
        }
    };
}

members!(Hash);
members!(Set);
members!(ZSet);

aggregate!(List, List);
aggregate!(Hash, Hash);
aggregate!(Set, Set);
aggregate!(ZSet, ZSet);

impl core::fmt::Debug for Value {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self.as_str() {
            Some(s) => s.with_bytes(|b| write!(f, "{}(\"{}\")", self.encoding_name(), b.escape_ascii())),
            None => write!(f, "{}", self.value_type().name()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn value_is_16_bytes() {
        assert_eq!(core::mem::size_of::<Value>(), 16);
    }

    #[test]
    fn string_encodings_follow_try_object_encoding() {
        assert_eq!(Value::string(b"123").encoding_name(), "int");
        assert_eq!(Value::string(b"-9223372036854775808").encoding_name(), "int");
        assert_eq!(Value::string(b"0123").encoding_name(), "embstr");
        assert_eq!(Value::string(b"12345678901234567890").encoding_name(), "embstr");
        assert_eq!(Value::string(&[b'a'; 44]).encoding_name(), "embstr");
        assert_eq!(Value::string(&[b'a'; 45]).encoding_name(), "raw");
        let mut v = Value::string(b"ab");
        v.make_raw().unwrap().push(b'c');
        assert_eq!(v.encoding_name(), "raw");
        assert_eq!(v.as_str(), Some(StrRef::Bytes(b"abc")));
    }
}
