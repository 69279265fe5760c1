//! The streaming RDB decoder: bytes in, keys out.
//!
//! Push-based, so that a replica can apply a full sync while it arrives
//! and a browser never holds the whole file: [`Decoder::feed`] takes a
//! chunk of any size (down to one byte), [`Decoder::next_item`] returns
//! each item as soon as its last byte is in. The decoder keeps only the
//! bytes of the element being read and the value being built, so its
//! memory is bounded by the largest single value.
//!
//! Values come out as keyspace [`Value`]s in the encoding the running
//! configuration calls for (see [`super::values`]), as Redis converts
//! while it loads.
//!
//! Nothing in the input sizes an allocation before its bytes have
//! arrived: a string's bytes are sliced from what was received, a count
//! only bounds a loop, and presized tables are capped by the bytes in hand.
//!
//! The functions every key goes through (reading a record, its key and a
//! string value, making them, inserting into the table) are
//! `#[inline(always)]`: the browser's build optimises for size
//! (`opt-level = "z"`), which would make each a call, and inlined they
//! load a million keys into a tab about a fifth faster for 3 KB of
//! download. Native builds inline them anyway.

use super::crc64::Crc64;
use super::cursor::{bad, Cursor, Read, Stop};
use super::values::{self, Begun, Partial};
use super::{opcode, DecodeError, LoadOptions, TRUNCATED};
use crate::keyspace::compact::CompactBytes;
use crate::keyspace::value::Value;
use alloc::boxed::Box;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

/// One decoded key with its value and metadata.
///
/// Every key of a snapshot is moved from the decoder to the loader's batch
/// and on to the table, so the metadata is kept as Redis's loader keeps
/// it, -1 for "not given" ([`NOT_GIVEN`]), rather than as three `Option`s
/// that would make the entry a quarter larger.
#[derive(Clone)]
pub struct Entry {
    /// Database index.
    pub db: usize,
    /// The key.
    pub key: CompactBytes,
    /// The value, in the encoding the load options call for.
    pub value: Value,
    meta: KeyMeta,
}

/// The metadata fields of an [`Entry`] (and of the opcodes before a key)
/// that were not in the file.
pub const NOT_GIVEN: i64 = -1;

impl Entry {
    /// Absolute expiry in Unix milliseconds (`EXPIRETIME_MS`). As in
    /// Redis's loader, an expiry of -1 is no expiry.
    pub fn expire_at(&self) -> Option<i64> {
        (self.meta.expire_at != NOT_GIVEN).then_some(self.meta.expire_at)
    }

    /// LRU idle time in seconds (`IDLE`). As in Redis, which keeps it in a
    /// signed integer, a time of 2^63 seconds or more counts as not given.
    pub fn idle_seconds(&self) -> Option<u64> {
        u64::try_from(self.meta.idle_seconds).ok()
    }

    /// LFU counter (`FREQ`).
    pub fn freq(&self) -> Option<u8> {
        u8::try_from(self.meta.freq).ok()
    }
}

/// How the trailing checksum was found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Checksum {
    /// It matched.
    Verified,
    /// The file was written with `rdbchecksum no` (a zero checksum).
    Disabled,
    /// The load options said not to verify it.
    Skipped,
    /// RDB versions before 5 have none.
    Absent,
}

/// What the decoder yields.
pub enum Item {
    /// An auxiliary field (`redis-ver`, `repl-id`, …).
    Aux {
        /// Field name.
        key: Vec<u8>,
        /// Field value.
        value: Vec<u8>,
    },
    /// The size hint of a database (`RESIZEDB`).
    ResizeDb {
        /// Database index.
        db: usize,
        /// Keys that follow.
        keys: u64,
        /// Of which with an expiry.
        expires: u64,
    },
    /// A function library, skipped: vitrine has no scripting.
    FunctionSkipped,
    /// A key.
    Entry(Entry),
    /// A key whose value is empty, skipped as Redis does (`rdbLoadObject
    /// skipping empty key`).
    EmptyKey {
        /// Database index.
        db: usize,
        /// The key.
        key: CompactBytes,
    },
    /// The end of the RDB; bytes fed past it are in [`Decoder::trailing`].
    End(Checksum),
}

/// What the decoder expects next.
enum Phase {
    /// `REDIS` and the version.
    Header,
    /// An opcode or a key.
    Body,
    /// The elements of an aggregate value.
    Value(PartialEntry),
    /// The eight checksum bytes after `EOF`.
    Checksum,
    /// Past the end.
    Done,
    /// An error was returned; it is returned again.
    Failed(DecodeError),
}

/// A key whose value is still arriving.
struct PartialEntry {
    key: CompactBytes,
    meta: KeyMeta,
    partial: Box<Partial>,
}

/// What opcodes before a key said about it: [`NOT_GIVEN`] (-1) when
/// nothing.
#[derive(Clone, Copy)]
struct KeyMeta {
    expire_at: i64,
    idle_seconds: i64,
    freq: i16,
}

impl Default for KeyMeta {
    fn default() -> Self {
        KeyMeta {
            expire_at: NOT_GIVEN,
            idle_seconds: NOT_GIVEN,
            freq: NOT_GIVEN as i16,
        }
    }
}

/// Keep at most this many consumed bytes before moving the rest down.
const COMPACT_AT: usize = 64 * 1024;

/// The streaming decoder. See the module documentation.
pub struct Decoder {
    options: LoadOptions,
    /// Received bytes not yet consumed start at `pos`.
    buf: Vec<u8>,
    pos: usize,
    /// Stream offset of `buf[0]`.
    base: u64,
    /// Checksum of the stream up to `buf[crc_pos]`, when one is verified.
    crc: Crc64,
    crc_pos: usize,
    verify: bool,
    version: u32,
    phase: Phase,
    db: usize,
    meta: KeyMeta,
}

impl Decoder {
    /// A decoder at the start of an RDB stream.
    pub fn new(options: LoadOptions) -> Self {
        Decoder {
            options,
            buf: Vec::new(),
            pos: 0,
            base: 0,
            crc: Crc64::new(),
            crc_pos: 0,
            verify: options.verify_checksum,
            version: 0,
            phase: Phase::Header,
            db: 0,
            meta: KeyMeta::default(),
        }
    }

    /// The RDB version from the header (0 before it is read).
    pub fn version(&self) -> u32 {
        self.version
    }

    /// Bytes of the stream consumed so far.
    pub fn offset(&self) -> u64 {
        self.base + self.pos as u64
    }

    /// Whether the end of the RDB was reached.
    pub fn is_done(&self) -> bool {
        matches!(self.phase, Phase::Done)
    }

    /// Adds received bytes.
    pub fn feed(&mut self, bytes: &[u8]) {
        if self.pos >= COMPACT_AT || (self.pos > 0 && self.pos == self.buf.len()) {
            self.sync_crc();
            self.buf.drain(..self.pos);
            self.base += self.pos as u64;
            self.pos = 0;
            self.crc_pos = 0;
        }
        self.buf.extend_from_slice(bytes);
    }

    /// Bytes fed after the end of the RDB (a replication stream that
    /// follows it, for instance).
    pub fn trailing(&self) -> &[u8] {
        match self.phase {
            Phase::Done => &self.buf[self.pos..],
            _ => &[],
        }
    }

    /// Says that no more bytes will come: an error if the RDB is not
    /// complete.
    pub fn finish(&self) -> Result<(), DecodeError> {
        match &self.phase {
            Phase::Done => Ok(()),
            Phase::Failed(error) => Err(error.clone()),
            _ => Err(DecodeError {
                offset: self.base + self.buf.len() as u64,
                reason: String::from(TRUNCATED),
            }),
        }
    }

    /// The next complete item, `Ok(None)` when more bytes are needed (or
    /// after the end). After an error, every call returns it again.
    pub fn next_item(&mut self) -> Result<Option<Item>, DecodeError> {
        let result = self.advance();
        if let Err(error) = &result {
            self.phase = Phase::Failed(error.clone());
        }
        result
    }

    fn advance(&mut self) -> Result<Option<Item>, DecodeError> {
        loop {
            match &mut self.phase {
                Phase::Header => {
                    let Some(version) = self.step(read_header)? else {
                        return Ok(None);
                    };
                    self.version = version;
                    self.verify &= version >= 5;
                    self.phase = Phase::Body;
                }
                Phase::Body => {
                    let options = self.options;
                    let Some(record) = self.step(|c| read_record(c, options))? else {
                        return Ok(None);
                    };
                    if let Some(item) = self.apply(record) {
                        return Ok(Some(item));
                    }
                }
                Phase::Value(entry) => {
                    let options = self.options;
                    loop {
                        if entry.partial.remaining() == 0 {
                            break;
                        }
                        let mut cursor = Cursor::new(&self.buf[self.pos..]);
                        match entry.partial.step(&mut cursor, &options) {
                            Ok(()) => self.pos += cursor.pos(),
                            Err(Stop::More) => return Ok(None),
                            Err(Stop::Bad(reason, at)) => return Err(self.error_at(at, reason)),
                        }
                    }
                    let Phase::Value(entry) = core::mem::replace(&mut self.phase, Phase::Body) else {
                        unreachable!("matched above");
                    };
                    let PartialEntry { key, meta, partial } = entry;
                    let value = partial.finish(&options).map_err(|reason| self.error_at(0, reason))?;
                    return Ok(Some(self.entry(key, meta, value)));
                }
                Phase::Checksum => {
                    let Some(stored) = self.step(|c| c.u64_le())? else {
                        return Ok(None);
                    };
                    let status = if !self.options.verify_checksum {
                        Checksum::Skipped
                    } else if stored == 0 {
                        Checksum::Disabled
                    } else if stored == self.crc.value() {
                        Checksum::Verified
                    } else {
                        let reason = format!(
                            "Wrong RDB checksum expected: ({:x}) but got ({:x})",
                            self.crc.value(),
                            stored
                        );
                        return Err(self.error_at(0, reason));
                    };
                    self.phase = Phase::Done;
                    return Ok(Some(Item::End(status)));
                }
                Phase::Done => return Ok(None),
                Phase::Failed(error) => return Err(error.clone()),
            }
        }
    }

    /// Acts on a record read in the body; returns the item to yield, if
    /// any.
    // On every snapshot key's path: see the module doc.
    #[inline(always)]
    fn apply(&mut self, record: Record) -> Option<Item> {
        match record {
            Record::ExpireAt(ms) => self.meta.expire_at = ms,
            // Redis reads the length into a signed integer.
            Record::Idle(seconds) => self.meta.idle_seconds = seconds as i64,
            Record::Freq(freq) => self.meta.freq = i16::from(freq),
            Record::Select(db) => self.db = db,
            Record::ResizeDb { keys, expires } => {
                return Some(Item::ResizeDb {
                    db: self.db,
                    keys,
                    expires,
                })
            }
            Record::Aux { key, value } => return Some(Item::Aux { key, value }),
            Record::Function => return Some(Item::FunctionSkipped),
            Record::Eof => {
                self.sync_crc();
                self.phase = if self.version >= 5 {
                    Phase::Checksum
                } else {
                    Phase::Done
                };
                if self.version < 5 {
                    return Some(Item::End(Checksum::Absent));
                }
            }
            Record::Key { key, begun } => {
                let meta = core::mem::take(&mut self.meta);
                match begun {
                    Begun::Value(value) => return Some(self.entry(key, meta, value)),
                    Begun::Empty => return Some(Item::EmptyKey { db: self.db, key }),
                    Begun::Partial(partial) => {
                        self.phase = Phase::Value(PartialEntry { key, meta, partial });
                    }
                }
            }
        }
        None
    }

    // On every snapshot key's path: see the module doc.
    #[inline(always)]
    fn entry(&mut self, key: CompactBytes, meta: KeyMeta, value: Value) -> Item {
        if value_is_empty(&value) {
            return Item::EmptyKey { db: self.db, key };
        }
        Item::Entry(Entry {
            db: self.db,
            key,
            value,
            meta,
        })
    }

    /// Runs one atomic read on the unconsumed bytes: consumes them on
    /// success, nothing when more are needed.
    // On every snapshot key's path: see the module doc.
    #[inline(always)]
    fn step<T>(&mut self, read: impl FnOnce(&mut Cursor<'_>) -> Read<T>) -> Result<Option<T>, DecodeError> {
        let mut cursor = Cursor::new(&self.buf[self.pos..]);
        match read(&mut cursor) {
            Ok(value) => {
                self.pos += cursor.pos();
                Ok(Some(value))
            }
            Err(Stop::More) => Ok(None),
            Err(Stop::Bad(reason, at)) => Err(self.error_at(at, reason)),
        }
    }

    fn error_at(&self, at: usize, reason: String) -> DecodeError {
        DecodeError {
            offset: self.base + (self.pos + at) as u64,
            reason,
        }
    }

    /// Brings the checksum up to the consumed bytes.
    fn sync_crc(&mut self) {
        if self.verify && self.crc_pos < self.pos {
            self.crc.update(&self.buf[self.crc_pos..self.pos]);
        }
        self.crc_pos = self.pos;
    }
}

fn value_is_empty(value: &Value) -> bool {
    match value {
        Value::List(list) => list.is_empty(),
        Value::Hash(hash) => hash.is_empty(),
        Value::Set(set) => set.is_empty(),
        Value::ZSet(zset) => zset.is_empty(),
        _ => false,
    }
}

/// `REDIS` and a four-digit version (`rdbLoadRio`).
fn read_header(cursor: &mut Cursor<'_>) -> Read<u32> {
    let header = cursor.take(9)?;
    if &header[..5] != b"REDIS" {
        return bad("Wrong signature trying to load DB from file", 0);
    }
    let version = header[5..]
        .iter()
        .try_fold(0u32, |n, &c| c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0')));
    match version {
        Some(version @ 1..=10) => Ok(version),
        _ => bad(
            format!(
                "Can't handle RDB format version {}",
                String::from_utf8_lossy(&header[5..])
            ),
            5,
        ),
    }
}

/// One unit of the body.
enum Record {
    ExpireAt(i64),
    Idle(u64),
    Freq(u8),
    Select(usize),
    ResizeDb { keys: u64, expires: u64 },
    Aux { key: Vec<u8>, value: Vec<u8> },
    Function,
    Eof,
    Key { key: CompactBytes, begun: Begun },
}

/// Reads an opcode with its operands, or a key with as much of its value
/// as one step takes (all of it for strings and encoded blobs, the length
/// for aggregates).
// On every snapshot key's path: see the module doc.
#[inline(always)]
fn read_record(cursor: &mut Cursor<'_>, options: LoadOptions) -> Read<Record> {
    let kind = cursor.u8()?;
    Ok(match kind {
        opcode::EXPIRETIME => Record::ExpireAt(i64::from(cursor.u32_le()? as i32) * 1000),
        opcode::EXPIRETIME_MS => Record::ExpireAt(cursor.i64_le()?),
        opcode::FREQ => Record::Freq(cursor.u8()?),
        opcode::IDLE => Record::Idle(cursor.length()?),
        opcode::EOF => Record::Eof,
        opcode::SELECTDB => {
            let at = cursor.pos();
            let index = cursor.length()?;
            match usize::try_from(index) {
                Ok(index) if index < options.databases => Record::Select(index),
                _ => {
                    return bad(
                        format!(
                            "Data file was created with a Redis server configured to handle more than {} databases",
                            options.databases
                        ),
                        at,
                    )
                }
            }
        }
        opcode::RESIZEDB => Record::ResizeDb {
            keys: cursor.length()?,
            expires: cursor.length()?,
        },
        opcode::AUX => Record::Aux {
            key: cursor.string()?.to_vec(),
            value: cursor.string()?.to_vec(),
        },
        opcode::MODULE_AUX => return bad("The RDB file contains AUX module data I can't load", 0),
        opcode::FUNCTION => {
            // 7.0 release candidates: name, engine, optional description, code.
            cursor.string()?;
            cursor.string()?;
            if cursor.length()? != 0 {
                cursor.string()?;
            }
            cursor.string()?;
            Record::Function
        }
        opcode::FUNCTION2 => {
            cursor.string()?;
            Record::Function
        }
        _ => {
            let key = cursor.short_string()?.with_bytes(CompactBytes::new);
            let begun = values::begin(kind, cursor, &options)?;
            Record::Key { key, begun }
        }
    })
}

/// Why a `DUMP` payload was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PayloadError {
    /// The footer's version is newer than 10, or its checksum is wrong
    /// (`ERR DUMP payload version or checksum are wrong`).
    Footer,
    /// The value does not decode (`ERR Bad data format`).
    Value(String),
}

/// Decodes a `DUMP` payload (`verifyDumpPayload`, then `rdbLoadObject`):
/// a type byte and a value, then the RDB version (two bytes,
/// little-endian) and the CRC-64 of everything before it (eight bytes).
/// With `verify_checksum` off the CRC is not checked. Bytes after the
/// value are ignored, and a value is read as far as the payload goes,
/// footer included, as Redis's `rdbLoadObject` reads the whole buffer.
pub fn decode_payload(payload: &[u8], options: &LoadOptions) -> Result<Value, PayloadError> {
    let Some(body_len) = payload.len().checked_sub(10) else {
        return Err(PayloadError::Footer);
    };
    let footer = &payload[body_len..];
    let version = u16::from_le_bytes([footer[0], footer[1]]);
    if version > super::RDB_VERSION {
        return Err(PayloadError::Footer);
    }
    if options.verify_checksum {
        let mut stored = [0u8; 8];
        stored.copy_from_slice(&footer[2..]);
        if u64::from_le_bytes(stored) != super::crc64::crc64(&payload[..body_len + 2]) {
            return Err(PayloadError::Footer);
        }
    }
    // As Redis reads the value from the whole argument, a value that runs
    // past its end into the footer takes the footer's bytes.
    let mut cursor = Cursor::new(payload);
    let read = cursor.u8().and_then(|kind| values::begin(kind, &mut cursor, options));
    let value = match read {
        Ok(Begun::Value(value)) => value,
        Ok(Begun::Partial(mut partial)) => {
            while partial.remaining() > 0 {
                partial.step(&mut cursor, options).map_err(payload_error)?;
            }
            partial.finish(options).map_err(PayloadError::Value)?
        }
        Ok(Begun::Empty) => return Err(PayloadError::Value(String::from("empty value"))),
        Err(stop) => return Err(payload_error(stop)),
    };
    if value_is_empty(&value) {
        return Err(PayloadError::Value(String::from("empty value")));
    }
    Ok(value)
}

fn payload_error(stop: Stop) -> PayloadError {
    match stop {
        Stop::More => PayloadError::Value(String::from(TRUNCATED)),
        Stop::Bad(reason, _) => PayloadError::Value(reason),
    }
}
