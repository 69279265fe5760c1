//! The RDB encoder: writes version 10 as Redis 7.0 does.
//!
//! Each value is written in the encoding Redis 7.0 would write for it:
//! listpacks for small hashes and sorted sets, intsets, quicklists of
//! listpacks split where Redis's `RPUSH` would split them, integer-encoded
//! short strings, LZF for strings over 20 bytes when `rdbcompression` is
//! on, and the CRC-64 trailer when `rdbchecksum` is on. Output goes to a
//! [`Sink`] in chunks of about [`CHUNK`] bytes: the file is never built in
//! memory.

use super::crc64::{crc64, Crc64};
use super::{kind, listpack, lzf, opcode, RDB_VERSION};
use crate::config::{Config, Id};
use crate::keyspace::access::Access;
use crate::keyspace::db::Entry;
use crate::keyspace::hash::Hash;
use crate::keyspace::list::List;
use crate::keyspace::set::Set;
use crate::keyspace::value::{StrRef, Value};
use crate::keyspace::zset::ZSet;
use crate::keyspace::Keyspace;
use crate::util::number::{parse_i64, write_double};
use alloc::boxed::Box;
use alloc::vec::Vec;
use core::convert::Infallible;

/// Bytes gathered before they are handed to the sink.
pub const CHUNK: usize = 64 * 1024;

/// Where encoded bytes go.
pub trait Sink {
    /// Why writing failed.
    type Error;
    /// Writes all of `bytes`.
    fn write_all(&mut self, bytes: &[u8]) -> Result<(), Self::Error>;
}

impl Sink for Vec<u8> {
    type Error = Infallible;
    fn write_all(&mut self, bytes: &[u8]) -> Result<(), Infallible> {
        self.extend_from_slice(bytes);
        Ok(())
    }
}

/// The settings that shape the output.
#[derive(Clone, Copy, Debug)]
pub struct SaveOptions {
    /// `rdbcompression`: LZF for strings over 20 bytes.
    pub compression: bool,
    /// `rdbchecksum`: a CRC-64 trailer (else eight zero bytes).
    pub checksum: bool,
    /// `list-max-listpack-size`: how lists split into quicklist nodes.
    pub list_fill: i64,
    /// An LRU `maxmemory-policy`: each key's idle time is saved.
    pub save_idle: bool,
    /// An LFU `maxmemory-policy`: each key's counter is saved.
    pub save_freq: bool,
}

impl SaveOptions {
    /// The options of `config`.
    pub fn from_config(config: &Config) -> Self {
        let hot = config.hot();
        SaveOptions {
            compression: config.bool(Id::Rdbcompression),
            checksum: config.bool(Id::Rdbchecksum),
            list_fill: config.int(Id::ListMaxListpackSize),
            save_idle: hot.lru_policy,
            save_freq: hot.lfu_policy,
        }
    }
}

/// The auxiliary fields at the head of the file.
#[derive(Clone, Debug)]
pub struct Aux<'a> {
    /// `redis-ver`.
    pub redis_ver: &'a str,
    /// `ctime`: Unix seconds.
    pub ctime: i64,
    /// `used-mem`.
    pub used_mem: u64,
    /// `repl-stream-db`, `repl-id`, `repl-offset`, when saved for replication.
    pub replication: Option<ReplicationAux<'a>>,
    /// `aof-base`: the file is the base of an AOF.
    pub aof_base: bool,
}

/// The replication fields of [`Aux`].
#[derive(Clone, Debug)]
pub struct ReplicationAux<'a> {
    /// `repl-stream-db`.
    pub stream_db: usize,
    /// `repl-id`.
    pub id: &'a str,
    /// `repl-offset`.
    pub offset: i64,
}

/// Writes an RDB stream to a sink. See the module documentation.
pub struct Encoder<S: Sink> {
    sink: S,
    buf: Vec<u8>,
    crc: Crc64,
    values: ValueWriter,
}

impl<S: Sink> Encoder<S> {
    /// An encoder writing to `sink`.
    pub fn new(sink: S, options: SaveOptions) -> Self {
        Encoder {
            sink,
            buf: Vec::with_capacity(CHUNK + 1024),
            crc: Crc64::new(),
            values: ValueWriter::new(options),
        }
    }

    /// The magic, the version and the auxiliary fields.
    pub fn header(&mut self, aux: &Aux<'_>) -> Result<(), S::Error> {
        self.buf.extend_from_slice(b"REDIS0010");
        let mut digits = itoa::Buffer::new();
        self.aux(b"redis-ver", aux.redis_ver.as_bytes());
        self.aux(b"redis-bits", digits.format(usize::BITS).as_bytes());
        self.aux(b"ctime", digits.format(aux.ctime).as_bytes());
        self.aux(b"used-mem", digits.format(aux.used_mem).as_bytes());
        if let Some(replication) = &aux.replication {
            self.aux(b"repl-stream-db", digits.format(replication.stream_db).as_bytes());
            self.aux(b"repl-id", replication.id.as_bytes());
            self.aux(b"repl-offset", digits.format(replication.offset).as_bytes());
        }
        self.aux(b"aof-base", if aux.aof_base { b"1" } else { b"0" });
        self.flush_if_full()
    }

    fn aux(&mut self, key: &[u8], value: &[u8]) {
        self.buf.push(opcode::AUX);
        self.values.string(&mut self.buf, key);
        self.values.string(&mut self.buf, value);
    }

    /// Starts database `db`, which holds `keys` keys, `expires` of them
    /// with an expiry.
    pub fn select_db(&mut self, db: usize, keys: usize, expires: usize) -> Result<(), S::Error> {
        self.buf.push(opcode::SELECTDB);
        write_length(&mut self.buf, db as u64);
        self.buf.push(opcode::RESIZEDB);
        write_length(&mut self.buf, keys as u64);
        write_length(&mut self.buf, expires as u64);
        self.flush_if_full()
    }

    /// One key (`rdbSaveKeyValuePair`): its expiry, its idle time or
    /// counter if the eviction policy keeps them, its type, name and value.
    pub fn key(&mut self, key: &[u8], entry: &Entry, expire_at: Option<i64>, access: &Access) -> Result<(), S::Error> {
        if let Some(at) = expire_at {
            self.buf.push(opcode::EXPIRETIME_MS);
            self.buf.extend_from_slice(&at.to_le_bytes());
        }
        let options = self.values.options;
        if options.save_idle {
            self.buf.push(opcode::IDLE);
            write_length(&mut self.buf, access.idle_ms(entry.lru) / 1000);
        }
        if options.save_freq {
            self.buf.push(opcode::FREQ);
            self.buf.push(access.frequency(entry.lru).min(255) as u8);
        }
        self.buf.push(value_kind(&entry.value));
        self.values.string(&mut self.buf, key);
        self.values.value(&mut self.buf, &entry.value);
        self.flush_if_full()
    }

    /// The `EOF` opcode and the checksum; returns the sink.
    pub fn finish(mut self) -> Result<S, S::Error> {
        self.buf.push(opcode::EOF);
        self.flush()?;
        let checksum = if self.values.options.checksum {
            self.crc.value()
        } else {
            0
        };
        self.sink.write_all(&checksum.to_le_bytes())?;
        Ok(self.sink)
    }

    fn flush_if_full(&mut self) -> Result<(), S::Error> {
        if self.buf.len() >= CHUNK {
            self.flush()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<(), S::Error> {
        if self.values.options.checksum {
            self.crc.update(&self.buf);
        }
        self.sink.write_all(&self.buf)?;
        self.buf.clear();
        Ok(())
    }
}

/// Writes every database of `keyspace` as an RDB file to `sink`, calling
/// `after_key` after each key (the host's hook for `rdb-key-save-delay`).
pub fn write_keyspace<S: Sink>(
    keyspace: &Keyspace,
    aux: &Aux<'_>,
    options: SaveOptions,
    sink: S,
    mut after_key: impl FnMut(),
) -> Result<S, S::Error> {
    let mut encoder = Encoder::new(sink, options);
    encoder.header(aux)?;
    for (index, db) in keyspace.dbs().iter().enumerate() {
        if db.is_empty() {
            continue;
        }
        encoder.select_db(index, db.len(), db.expires_len())?;
        for (key, entry) in db.iter() {
            encoder.key(key, entry, db.expire_at(key), keyspace.access())?;
            after_key();
        }
    }
    encoder.finish()
}

/// The `DUMP` payload of `value`: its type and encoding as in an RDB file,
/// then the RDB version (two bytes, little-endian) and the CRC-64 of all
/// that (eight bytes, little-endian).
pub fn dump_payload(value: &Value, options: &SaveOptions) -> Vec<u8> {
    let mut out = Vec::new();
    out.push(value_kind(value));
    ValueWriter::new(*options).value(&mut out, value);
    out.extend_from_slice(&RDB_VERSION.to_le_bytes());
    let checksum = crc64(&out);
    out.extend_from_slice(&checksum.to_le_bytes());
    out
}

/// The type byte Redis 7.0 writes for `value` (`rdbSaveObjectType`).
fn value_kind(value: &Value) -> u8 {
    match value {
        Value::List(_) => kind::LIST_QUICKLIST_2,
        Value::Set(set) => match **set {
            Set::Intset(..) => kind::SET_INTSET,
            Set::Table(_) => kind::SET,
        },
        Value::ZSet(zset) => match **zset {
            ZSet::Listpack(_) => kind::ZSET_LISTPACK,
            ZSet::Skiplist { .. } => kind::ZSET_2,
        },
        Value::Hash(hash) => match **hash {
            Hash::Listpack(_) => kind::HASH_LISTPACK,
            Hash::Table(_) => kind::HASH,
        },
        _ => kind::STRING,
    }
}

/// Writes values and strings with the save options, keeping one LZF
/// table for all of them (made on the first string worth compressing).
struct ValueWriter {
    options: SaveOptions,
    compressor: Option<Box<lzf::Compressor>>,
}

impl ValueWriter {
    fn new(options: SaveOptions) -> Self {
        ValueWriter {
            options,
            compressor: None,
        }
    }

    /// A value's encoding (`rdbSaveObject`), without its type byte.
    fn value(&mut self, out: &mut Vec<u8>, value: &Value) {
        match value {
            Value::List(list) => self.quicklist(out, list),
            Value::Set(set) => match &**set {
                Set::Intset(members, width) => {
                    let mut blob = Vec::new();
                    super::intset::encode_at_least(members, usize::from(*width), &mut blob);
                    self.string(out, &blob);
                }
                Set::Table(table) => {
                    write_length(out, table.len() as u64);
                    for (member, ()) in table.iter() {
                        self.string(out, member);
                    }
                }
            },
            Value::ZSet(zset) => match &**zset {
                ZSet::Listpack(entries) => {
                    let mut writer = listpack::Writer::new();
                    let mut score_text = Vec::with_capacity(32);
                    for (score, member) in entries {
                        writer.push(member);
                        score_text.clear();
                        write_double(&mut score_text, *score);
                        writer.push(&score_text);
                    }
                    self.string(out, &writer.finish());
                }
                ZSet::Skiplist { index, .. } => {
                    // Highest score first, as Redis walks its skiplist from
                    // the tail: loading then always inserts at the head.
                    write_length(out, index.len() as u64);
                    for (score, member) in index.iter().rev() {
                        self.string(out, member);
                        out.extend_from_slice(&score.to_le_bytes());
                    }
                }
            },
            Value::Hash(hash) => match &**hash {
                Hash::Listpack(pairs) => {
                    let mut writer = listpack::Writer::new();
                    for (field, value) in pairs {
                        writer.push(field);
                        writer.push(value);
                    }
                    self.string(out, &writer.finish());
                }
                Hash::Table(table) => {
                    write_length(out, table.len() as u64);
                    for (field, value) in table.iter() {
                        self.string(out, field);
                        self.string(out, value);
                    }
                }
            },
            other => match other.as_str() {
                Some(StrRef::Int(n)) => write_integer_string(out, n),
                Some(StrRef::Bytes(bytes)) => self.string(out, bytes),
                None => {}
            },
        }
    }

    /// A list as Redis 7.0's quicklist of listpacks would hold it had it
    /// been built by `RPUSH`es: a node takes elements while it stays within
    /// `list-max-listpack-size` (`_quicklistNodeAllowInsert`); elements of
    /// 1 GiB or more get a plain node of their own.
    fn quicklist(&mut self, out: &mut Vec<u8>, list: &List) {
        let fill = self.options.list_fill.clamp(-5, (1 << 15) - 1);
        let mut nodes: Vec<(u64, Vec<u8>)> = Vec::new();
        let mut node: Option<listpack::Writer> = None;
        for element in &list.items {
            let len = element.len();
            if len >= PLAIN_THRESHOLD {
                if let Some(packed) = node.take() {
                    nodes.push((CONTAINER_PACKED, packed.finish()));
                }
                nodes.push((CONTAINER_PLAIN, element.to_vec()));
                continue;
            }
            let fits = node
                .as_ref()
                .is_some_and(|packed| node_allows_insert(packed.bytes(), packed.len(), len, fill));
            if !fits {
                if let Some(packed) = node.take() {
                    nodes.push((CONTAINER_PACKED, packed.finish()));
                }
            }
            node.get_or_insert_with(listpack::Writer::new).push(element);
        }
        if let Some(packed) = node {
            nodes.push((CONTAINER_PACKED, packed.finish()));
        }
        write_length(out, nodes.len() as u64);
        for (container, bytes) in nodes {
            write_length(out, container);
            self.string(out, &bytes);
        }
    }

    /// A string (`rdbSaveRawString`): a canonical integer of at most 11
    /// characters in short form, else LZF when compression is on, the
    /// string is over 20 bytes and it gains at least 4 bytes, else raw.
    fn string(&mut self, out: &mut Vec<u8>, bytes: &[u8]) {
        if bytes.len() <= 11 {
            if let Some(value) = parse_i64(bytes) {
                if write_encoded_integer(out, value) {
                    return;
                }
            }
        }
        if self.options.compression && bytes.len() > 20 {
            let compressor = self.compressor.get_or_insert_with(|| Box::new(lzf::Compressor::new()));
            if write_compressed(out, bytes, compressor) {
                return;
            }
        }
        write_length(out, bytes.len() as u64);
        out.extend_from_slice(bytes);
    }
}

/// Elements at least this long get a node of their own, stored plain
/// (`packed_threshold`).
const PLAIN_THRESHOLD: usize = 1 << 30;

/// Container markers of quicklist nodes.
const CONTAINER_PLAIN: u64 = 1;
const CONTAINER_PACKED: u64 = 2;

/// Whether a node of `bytes` bytes and `count` elements takes one more of
/// `len` bytes under `fill` (Redis's size estimate adds 8 bytes).
fn node_allows_insert(bytes: usize, count: usize, len: usize, fill: i64) -> bool {
    const SIZE_SAFETY_LIMIT: usize = 8192;
    let new_size = bytes + len + 8;
    if fill < 0 {
        // -1 … -5: 4, 8, 16, 32 or 64 KiB per node.
        return new_size <= 4096 << (-fill - 1);
    }
    new_size <= SIZE_SAFETY_LIMIT && (count as i64) < fill
}

/// A length (`rdbSaveLen`).
pub(crate) fn write_length(out: &mut Vec<u8>, len: u64) {
    let (bytes, used) = length_bytes(len);
    out.extend_from_slice(&bytes[..used]);
}

/// The bytes of a length: 1, 2, 5 or 9 of them.
fn length_bytes(len: u64) -> ([u8; 9], usize) {
    let mut bytes = [0u8; 9];
    if len < 1 << 6 {
        bytes[0] = len as u8;
        (bytes, 1)
    } else if len < 1 << 14 {
        bytes[0] = 0x40 | (len >> 8) as u8;
        bytes[1] = len as u8;
        (bytes, 2)
    } else if len <= u64::from(u32::MAX) {
        bytes[0] = 0x80;
        bytes[1..5].copy_from_slice(&(len as u32).to_be_bytes());
        (bytes, 5)
    } else {
        bytes[0] = 0x81;
        bytes[1..].copy_from_slice(&len.to_be_bytes());
        (bytes, 9)
    }
}

/// An integer in the short `RDB_ENC_INT*` form if it fits 32 bits.
fn write_encoded_integer(out: &mut Vec<u8>, value: i64) -> bool {
    const ENCODED: u8 = 0xC0;
    if let Ok(byte) = i8::try_from(value) {
        out.push(ENCODED);
        out.push(byte as u8);
    } else if let Ok(short) = i16::try_from(value) {
        out.push(ENCODED | 1);
        out.extend_from_slice(&short.to_le_bytes());
    } else if let Ok(int) = i32::try_from(value) {
        out.push(ENCODED | 2);
        out.extend_from_slice(&int.to_le_bytes());
    } else {
        return false;
    }
    true
}

/// An integer-encoded string value (`rdbSaveLongLongAsStringObject`):
/// short form, else its decimal digits, never compressed.
fn write_integer_string(out: &mut Vec<u8>, value: i64) {
    if !write_encoded_integer(out, value) {
        let mut digits = itoa::Buffer::new();
        let text = digits.format(value).as_bytes();
        write_length(out, text.len() as u64);
        out.extend_from_slice(text);
    }
}

/// `bytes` LZF-compressed (`rdbSaveLzfStringObject`): the marker, the
/// compressed and original lengths, the data. Compresses straight into
/// `out` past room for the longest header, then closes the gap, so no
/// buffer is allocated per string. False, and `out` unchanged, when
/// compression gains less than 4 bytes.
fn write_compressed(out: &mut Vec<u8>, bytes: &[u8], compressor: &mut lzf::Compressor) -> bool {
    const MAX_HEADER: usize = 1 + 9 + 9;
    let start = out.len();
    out.resize(start + MAX_HEADER, 0);
    if !compressor.compress(bytes, out) {
        out.truncate(start);
        return false;
    }
    let data_len = out.len() - start - MAX_HEADER;
    let (compressed_len, a) = length_bytes(data_len as u64);
    let (original_len, b) = length_bytes(bytes.len() as u64);
    let header_len = 1 + a + b;
    out[start] = 0xC3;
    out[start + 1..start + 1 + a].copy_from_slice(&compressed_len[..a]);
    out[start + 1 + a..start + header_len].copy_from_slice(&original_len[..b]);
    out.copy_within(start + MAX_HEADER.., start + header_len);
    out.truncate(start + header_len + data_len);
    true
}
