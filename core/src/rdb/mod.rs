//! The RDB format of Redis 7.0: a streaming decoder of every version
//! Redis 2.6–7.0 writes (1 to 10), and an encoder of version 10.
//!
//! The RDB file is the unit of the full sync and of persistence. It lives
//! in core because the browser replica decodes its full sync with the same
//! code as the native server loads its dump.
//!
//! - [`decoder`]: push bytes in chunks of any size, take entries out as
//!   soon as each is complete; memory held is bounded by the largest
//!   single value, never by the file.
//! - [`encoder`]: writes a keyspace (or one value, for `DUMP`) to a sink
//!   in chunks, with the encodings Redis 7.0 would pick.
//! - Byte-level formats: [`crc64`] (Redis's CRC-64/Jones), [`lzf`],
//!   [`intset`], [`listpack`], and the decode-only legacy [`ziplist`] and
//!   [`zipmap`].

pub mod crc64;
mod cursor;
pub mod decoder;
pub mod encoder;
pub mod intset;
pub mod listpack;
pub mod load;
pub mod lzf;
#[cfg(test)]
mod tests;
mod values;
pub mod ziplist;
pub mod zipmap;

use crate::config::Config;
use crate::keyspace::hash::ListpackLimits;
use alloc::string::String;
use core::fmt;

/// The version this encoder writes (`RDB_VERSION`).
pub const RDB_VERSION: u16 = 10;

/// Value types (`RDB_TYPE_*`).
pub mod kind {
    /// A string.
    pub const STRING: u8 = 0;
    /// A list as a sequence of strings (before 3.2).
    pub const LIST: u8 = 1;
    /// A set as a sequence of strings.
    pub const SET: u8 = 2;
    /// A sorted set with scores as text (before 3.0).
    pub const ZSET: u8 = 3;
    /// A hash as a sequence of field/value strings.
    pub const HASH: u8 = 4;
    /// A sorted set with binary double scores.
    pub const ZSET_2: u8 = 5;
    /// A module value (version 1).
    pub const MODULE: u8 = 6;
    /// A module value (version 2).
    pub const MODULE_2: u8 = 7;
    /// A small hash as a zipmap (before 2.6).
    pub const HASH_ZIPMAP: u8 = 9;
    /// A small list as a ziplist (before 3.2).
    pub const LIST_ZIPLIST: u8 = 10;
    /// A set of integers as an intset.
    pub const SET_INTSET: u8 = 11;
    /// A small sorted set as a ziplist (before 7.0).
    pub const ZSET_ZIPLIST: u8 = 12;
    /// A small hash as a ziplist (before 7.0).
    pub const HASH_ZIPLIST: u8 = 13;
    /// A quicklist of ziplists (3.2 to 6.2).
    pub const LIST_QUICKLIST: u8 = 14;
    /// A stream (before 7.0).
    pub const STREAM_LISTPACKS: u8 = 15;
    /// A small hash as a listpack.
    pub const HASH_LISTPACK: u8 = 16;
    /// A small sorted set as a listpack.
    pub const ZSET_LISTPACK: u8 = 17;
    /// A quicklist of listpacks or plain nodes (7.0).
    pub const LIST_QUICKLIST_2: u8 = 18;
    /// A stream (7.0).
    pub const STREAM_LISTPACKS_2: u8 = 19;
}

/// Opcodes that are not value types (`RDB_OPCODE_*`).
pub mod opcode {
    /// A function library (7.0).
    pub const FUNCTION2: u8 = 245;
    /// A function library in the format of 7.0's release candidates.
    pub const FUNCTION: u8 = 246;
    /// Module auxiliary data.
    pub const MODULE_AUX: u8 = 247;
    /// The next key's LRU idle time in seconds.
    pub const IDLE: u8 = 248;
    /// The next key's LFU counter.
    pub const FREQ: u8 = 249;
    /// An auxiliary field: two strings.
    pub const AUX: u8 = 250;
    /// The size of the database that follows.
    pub const RESIZEDB: u8 = 251;
    /// The next key's expiry, Unix milliseconds.
    pub const EXPIRETIME_MS: u8 = 252;
    /// The next key's expiry, Unix seconds (before 3.0).
    pub const EXPIRETIME: u8 = 253;
    /// The database of the keys that follow.
    pub const SELECTDB: u8 = 254;
    /// The end of the data; the checksum follows from version 5.
    pub const EOF: u8 = 255;
}

/// Why an RDB could not be decoded, and where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DecodeError {
    /// Offset in the RDB stream (from its first byte) of the element that
    /// is wrong, or of the end of the data when it is cut short.
    pub offset: u64,
    /// What is wrong.
    pub reason: String,
}

impl DecodeError {
    /// Whether the data ended before the RDB did (Redis's "Short read").
    pub fn is_truncation(&self) -> bool {
        self.reason == TRUNCATED
    }
}

/// The reason given when the stream ends inside the RDB.
pub const TRUNCATED: &str = "Unexpected EOF reading RDB file";

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (at offset {})", self.reason, self.offset)
    }
}

/// How to load: the settings that decide how loaded values are stored
/// (as Redis, a value is converted on load to the encoding the running
/// configuration calls for), and whether to verify the checksum.
#[derive(Clone, Copy, Debug)]
pub struct LoadOptions {
    /// `databases`: a `SELECTDB` past it is an error.
    pub databases: usize,
    /// `hash-max-listpack-*`.
    pub hash: ListpackLimits,
    /// `zset-max-listpack-*`.
    pub zset: ListpackLimits,
    /// `set-max-intset-entries`.
    pub set_max_intset_entries: usize,
    /// Whether small integers become shared values (`OBJ_SHARED_INTEGERS`).
    pub share_integers: bool,
    /// Whether to check the trailing CRC-64 (`rdbchecksum`).
    pub verify_checksum: bool,
}

impl LoadOptions {
    /// The limits of `config`.
    pub fn from_config(config: &Config) -> Self {
        let hot = config.hot();
        LoadOptions {
            databases: hot.databases,
            hash: hot.hash_listpack,
            zset: hot.zset_listpack,
            set_max_intset_entries: hot.set_max_intset_entries,
            share_integers: crate::cmd::object::shared_integers(config),
            verify_checksum: config.bool(crate::config::Id::Rdbchecksum),
        }
    }
}
