//! A test-support RDB writer for every format Redis 2.6–7.0 wrote (and the
//! older ones 7.0 still loads), written from the format descriptions in
//! Redis's rdb.c, ziplist.c, zipmap.c, intset.c, listpack.c and lzf_d.c.
//!
//! Redis 7.0 itself only writes version 10, with listpacks; this writer also
//! produces the older containers (linked lists, zipmaps, ziplists,
//! quicklists of ziplists), the old opcodes (expire in seconds) and both
//! checksum conventions, so that a loader can be checked against files it
//! will meet in the wild. Every file is first proven valid by loading it
//! into a real `redis-server`.
//!
//! It records, as it writes, the logical dataset a loader must end up
//! with (`Dataset::normalized` form), so tests compare against it.

use super::dataset::{Data, Dataset, Entry};
use std::sync::OnceLock;
use vitrine_core::util::number::double_to_vec;

// ---------------------------------------------------------------------------
// CRC-64 (Jones polynomial, reflected, as Redis's crc64.c)
// ---------------------------------------------------------------------------

/// The reflected form of the polynomial 0xad93d23594c935a9.
const CRC64_REFLECTED_POLY: u64 = 0x95ac_9329_ac4b_c9b5;

fn crc64_table() -> &'static [u64; 256] {
    static TABLE: OnceLock<[u64; 256]> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut table = [0u64; 256];
        for (byte, slot) in table.iter_mut().enumerate() {
            let mut crc = byte as u64;
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ CRC64_REFLECTED_POLY
                } else {
                    crc >> 1
                };
            }
            *slot = crc;
        }
        table
    })
}

/// Continues a CRC-64 over `data` (start with 0).
pub fn crc64(crc: u64, data: &[u8]) -> u64 {
    let table = crc64_table();
    data.iter().fold(crc, |crc, &byte| {
        table[((crc ^ byte as u64) & 0xff) as usize] ^ (crc >> 8)
    })
}

// ---------------------------------------------------------------------------
// LZF
// ---------------------------------------------------------------------------

/// Longest back reference: 2 + 7 + 255.
const LZF_MAX_MATCH: usize = 264;
/// Farthest back reference: a 13-bit offset, plus one.
const LZF_MAX_DISTANCE: usize = 8192;

/// A greedy LZF compressor (literal runs of up to 32 bytes, back
/// references of 3..=264 bytes up to 8 KB back, overlapping allowed).
/// Its output differs from liblzf's but any LZF decoder accepts it.
pub fn lzf_compress(input: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(input.len() / 2 + 16);
    let mut last_seen: std::collections::HashMap<[u8; 3], usize> = Default::default();
    let mut literal_start = 0;
    let mut at = 0;
    while at < input.len() {
        let mut found = None;
        if at + 3 <= input.len() {
            let prefix = [input[at], input[at + 1], input[at + 2]];
            if let Some(&candidate) = last_seen.get(&prefix) {
                let distance = at - candidate;
                if distance <= LZF_MAX_DISTANCE {
                    let limit = (input.len() - at).min(LZF_MAX_MATCH);
                    let len = (0..limit)
                        .take_while(|&i| input[candidate + i] == input[at + i])
                        .count();
                    if len >= 3 {
                        found = Some((distance, len));
                    }
                }
            }
            last_seen.insert(prefix, at);
        }
        match found {
            Some((distance, len)) => {
                lzf_literals(&mut out, &input[literal_start..at]);
                let offset = distance - 1;
                let stored = len - 2;
                if stored < 7 {
                    out.push(((stored as u8) << 5) | (offset >> 8) as u8);
                } else {
                    out.push((7 << 5) | (offset >> 8) as u8);
                    out.push((stored - 7) as u8);
                }
                out.push((offset & 0xff) as u8);
                at += len;
                literal_start = at;
            }
            None => at += 1,
        }
    }
    lzf_literals(&mut out, &input[literal_start..]);
    out
}

/// An LZF stream of literal runs only (valid, never shorter than the input).
pub fn lzf_literal_only(input: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(input.len() + input.len() / 32 + 1);
    lzf_literals(&mut out, input);
    out
}

fn lzf_literals(out: &mut Vec<u8>, literals: &[u8]) {
    for run in literals.chunks(32) {
        out.push((run.len() - 1) as u8);
        out.extend_from_slice(run);
    }
}

/// Decompresses an LZF stream that must expand to exactly `len` bytes
/// (for the writer's own tests).
pub fn lzf_decompress(input: &[u8], len: usize) -> Option<Vec<u8>> {
    let mut out: Vec<u8> = Vec::with_capacity(len);
    let mut at = 0;
    while at < input.len() {
        let control = input[at] as usize;
        at += 1;
        if control < 32 {
            let run = input.get(at..at + control + 1)?;
            out.extend_from_slice(run);
            at += control + 1;
        } else {
            let mut count = control >> 5;
            if count == 7 {
                count += *input.get(at)? as usize;
                at += 1;
            }
            count += 2;
            let distance = ((control & 0x1f) << 8) + *input.get(at)? as usize + 1;
            at += 1;
            let start = out.len().checked_sub(distance)?;
            for i in 0..count {
                let byte = out[start + i];
                out.push(byte);
            }
        }
        if out.len() > len {
            return None;
        }
    }
    (out.len() == len).then_some(out)
}

// ---------------------------------------------------------------------------
// Small containers: ziplist, zipmap, intset, listpack
// ---------------------------------------------------------------------------

/// The integer a string stands for when Redis would store it as one:
/// canonical decimal (no sign on 0, no leading zeros, no '+'), in i64.
pub fn canonical_integer(bytes: &[u8]) -> Option<i64> {
    if bytes.is_empty() || bytes.len() > 20 {
        return None;
    }
    let text = std::str::from_utf8(bytes).ok()?;
    let value: i64 = text.parse().ok()?;
    (value.to_string().as_bytes() == bytes).then_some(value)
}

/// A ziplist of `entries` (integers stored as Redis stores them). With
/// `wide_prevlen`, every prevlen uses the 5-byte form, as Redis leaves
/// it after a cascade update shrinks an entry.
pub fn ziplist(entries: &[Vec<u8>], wide_prevlen: bool) -> Vec<u8> {
    const HEADER: usize = 10;
    let mut body = Vec::new();
    let mut previous_len = 0usize;
    let mut tail = HEADER;
    for entry in entries {
        let start = body.len();
        tail = HEADER + start;
        if previous_len < 254 && !wide_prevlen {
            body.push(previous_len as u8);
        } else {
            body.push(0xfe);
            body.extend_from_slice(&(previous_len as u32).to_le_bytes());
        }
        match canonical_integer(entry) {
            Some(value @ 0..=12) => body.push(0xf1 + value as u8),
            Some(value) if i8::try_from(value).is_ok() => {
                body.push(0xfe);
                body.push(value as i8 as u8);
            }
            Some(value) if i16::try_from(value).is_ok() => {
                body.push(0xc0);
                body.extend_from_slice(&(value as i16).to_le_bytes());
            }
            Some(value) if (-(1 << 23)..(1 << 23)).contains(&value) => {
                body.push(0xf0);
                body.extend_from_slice(&(value as i32).to_le_bytes()[..3]);
            }
            Some(value) if i32::try_from(value).is_ok() => {
                body.push(0xd0);
                body.extend_from_slice(&(value as i32).to_le_bytes());
            }
            Some(value) => {
                body.push(0xe0);
                body.extend_from_slice(&value.to_le_bytes());
            }
            None => {
                let len = entry.len();
                if len <= 0x3f {
                    body.push(len as u8);
                } else if len <= 0x3fff {
                    body.push(0x40 | (len >> 8) as u8);
                    body.push((len & 0xff) as u8);
                } else {
                    body.push(0x80);
                    body.extend_from_slice(&(len as u32).to_be_bytes());
                }
                body.extend_from_slice(entry);
            }
        }
        previous_len = body.len() - start;
    }
    let total = HEADER + body.len() + 1;
    let mut out = Vec::with_capacity(total);
    out.extend_from_slice(&(total as u32).to_le_bytes());
    out.extend_from_slice(&(tail as u32).to_le_bytes());
    out.extend_from_slice(&(entries.len().min(0xffff) as u16).to_le_bytes());
    out.extend_from_slice(&body);
    out.push(0xff);
    out
}

/// A zipmap (Redis 2.0–2.4 small hashes). Each value is followed by
/// `free` unused bytes, as zipmap left them after an update.
pub fn zipmap(pairs: &[(Vec<u8>, Vec<u8>)], free: u8) -> Vec<u8> {
    fn length(out: &mut Vec<u8>, len: usize) {
        if len < 254 {
            out.push(len as u8);
        } else {
            out.push(254);
            out.extend_from_slice(&(len as u32).to_le_bytes());
        }
    }
    let mut out = vec![pairs.len().min(254) as u8];
    for (field, value) in pairs {
        length(&mut out, field.len());
        out.extend_from_slice(field);
        length(&mut out, value.len());
        out.push(free);
        out.extend_from_slice(value);
        out.extend(std::iter::repeat_n(b'#', free as usize));
    }
    out.push(0xff);
    out
}

/// An intset of `members` (sorted here) with `width` bytes per member
/// (2, 4 or 8; Redis never narrows an intset, so wider than needed is real).
pub fn intset(members: &[i64], width: usize) -> Vec<u8> {
    let mut sorted = members.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    let mut out = Vec::with_capacity(8 + sorted.len() * width);
    out.extend_from_slice(&(width as u32).to_le_bytes());
    out.extend_from_slice(&(sorted.len() as u32).to_le_bytes());
    for member in sorted {
        match width {
            2 => out.extend_from_slice(&i16::try_from(member).expect("fits").to_le_bytes()),
            4 => out.extend_from_slice(&i32::try_from(member).expect("fits").to_le_bytes()),
            8 => out.extend_from_slice(&member.to_le_bytes()),
            _ => panic!("intset width {width}"),
        }
    }
    out
}

/// The smallest intset width holding every member.
pub fn intset_width(members: &[i64]) -> usize {
    let fits = |bits: u32| {
        members
            .iter()
            .all(|&m| (-(1i64 << (bits - 1))..(1i64 << (bits - 1))).contains(&m))
    };
    if fits(16) {
        2
    } else if fits(32) {
        4
    } else {
        8
    }
}

/// A listpack of `entries` (integers stored as Redis stores them).
pub fn listpack(entries: &[Vec<u8>]) -> Vec<u8> {
    let mut body = Vec::new();
    for entry in entries {
        let start = body.len();
        match canonical_integer(entry) {
            Some(value @ 0..=127) => body.push(value as u8),
            Some(value) if (-4096..4096).contains(&value) => {
                let bits = (value as u64) & 0x1fff;
                body.push(0xc0 | (bits >> 8) as u8);
                body.push((bits & 0xff) as u8);
            }
            Some(value) if i16::try_from(value).is_ok() => {
                body.push(0xf1);
                body.extend_from_slice(&(value as i16).to_le_bytes());
            }
            Some(value) if (-(1 << 23)..(1 << 23)).contains(&value) => {
                body.push(0xf2);
                body.extend_from_slice(&(value as i32).to_le_bytes()[..3]);
            }
            Some(value) if i32::try_from(value).is_ok() => {
                body.push(0xf3);
                body.extend_from_slice(&(value as i32).to_le_bytes());
            }
            Some(value) => {
                body.push(0xf4);
                body.extend_from_slice(&value.to_le_bytes());
            }
            None => {
                let len = entry.len();
                if len < 64 {
                    body.push(0x80 | len as u8);
                } else if len < 4096 {
                    body.push(0xe0 | (len >> 8) as u8);
                    body.push((len & 0xff) as u8);
                } else {
                    body.push(0xf0);
                    body.extend_from_slice(&(len as u32).to_le_bytes());
                }
                body.extend_from_slice(entry);
            }
        }
        let encoded = (body.len() - start) as u64;
        body.extend_from_slice(&listpack_backlen(encoded));
    }
    let total = 6 + body.len() + 1;
    let mut out = Vec::with_capacity(total);
    out.extend_from_slice(&(total as u32).to_le_bytes());
    out.extend_from_slice(&(entries.len().min(0xffff) as u16).to_le_bytes());
    out.extend_from_slice(&body);
    out.push(0xff);
    out
}

/// The back-length of an entry whose encoding + data take `len` bytes:
/// 7 bits per byte, most significant first, every byte but the first
/// flagged with 0x80 so that it reads backwards from the entry's end.
fn listpack_backlen(len: u64) -> Vec<u8> {
    let mut groups = vec![len & 0x7f];
    let mut rest = len >> 7;
    while rest > 0 {
        groups.push(rest & 0x7f);
        rest >>= 7;
    }
    groups.reverse();
    groups
        .iter()
        .enumerate()
        .map(|(i, &g)| if i == 0 { g as u8 } else { g as u8 | 0x80 })
        .collect()
}

// ---------------------------------------------------------------------------
// Values
// ---------------------------------------------------------------------------

/// How a top-level string value is stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StrEnc {
    /// As Redis writes it: integer encoding when the text is a canonical
    /// 32-bit integer, LZF when compression is on and it pays, raw else.
    Auto,
    /// Length-prefixed bytes, even for integers.
    Raw,
    /// LZF with back references (whether or not that is shorter).
    Lzf,
    /// LZF made of literal runs only.
    LzfLiteral,
}

/// One quicklist (type 18) node.
#[derive(Clone, Debug)]
pub enum Node {
    /// A listpack of several elements.
    Packed(Vec<Vec<u8>>),
    /// One large element, stored as is.
    Plain(Vec<u8>),
}

/// A value with the RDB representation it is written in.
#[derive(Clone, Debug)]
pub enum Encoded {
    /// Type 0.
    String(Vec<u8>, StrEnc),
    /// Type 1: a linked list, one string per element.
    LinkedList(Vec<Vec<u8>>),
    /// Type 2: a set, one string per member.
    Set(Vec<Vec<u8>>),
    /// Type 3: a sorted set with scores as text (`inf`/`-inf` as the
    /// one-byte codes 254/255, or as the text "inf"/"-inf" when
    /// `infinity_as_text`).
    ZSetText {
        /// Member and score pairs, in file order.
        pairs: Vec<(Vec<u8>, f64)>,
        /// Write infinities as text rather than as codes.
        infinity_as_text: bool,
    },
    /// Type 4: a hash, field and value strings.
    Hash(Vec<(Vec<u8>, Vec<u8>)>),
    /// Type 5: a sorted set with binary little-endian doubles.
    ZSet2(Vec<(Vec<u8>, f64)>),
    /// Type 9: a zipmap hash with `free` spare bytes after each value.
    HashZipmap(Vec<(Vec<u8>, Vec<u8>)>, u8),
    /// Type 10: a list in one ziplist (`true`: 5-byte prevlens).
    ListZiplist(Vec<Vec<u8>>, bool),
    /// Type 11: an intset with `width` bytes per member.
    Intset(Vec<i64>, usize),
    /// Type 12: a sorted set in a ziplist (written in score order).
    ZSetZiplist(Vec<(Vec<u8>, f64)>),
    /// Type 13: a hash in a ziplist.
    HashZiplist(Vec<(Vec<u8>, Vec<u8>)>),
    /// Type 14: a quicklist of ziplists.
    Quicklist(Vec<Vec<Vec<u8>>>),
    /// Type 16: a hash in a listpack.
    HashListpack(Vec<(Vec<u8>, Vec<u8>)>),
    /// Type 17: a sorted set in a listpack (written in score order).
    ZSetListpack(Vec<(Vec<u8>, f64)>),
    /// Type 18: a quicklist of listpack and plain nodes.
    Quicklist2(Vec<Node>),
}

impl Encoded {
    /// The RDB type byte.
    pub fn type_byte(&self) -> u8 {
        match self {
            Encoded::String(..) => 0,
            Encoded::LinkedList(_) => 1,
            Encoded::Set(_) => 2,
            Encoded::ZSetText { .. } => 3,
            Encoded::Hash(_) => 4,
            Encoded::ZSet2(_) => 5,
            Encoded::HashZipmap(..) => 9,
            Encoded::ListZiplist(..) => 10,
            Encoded::Intset(..) => 11,
            Encoded::ZSetZiplist(_) => 12,
            Encoded::HashZiplist(_) => 13,
            Encoded::Quicklist(_) => 14,
            Encoded::HashListpack(_) => 16,
            Encoded::ZSetListpack(_) => 17,
            Encoded::Quicklist2(_) => 18,
        }
    }

    /// The type name and canonical (sorted) value a loader must produce,
    /// or None for an empty aggregate, which loaders skip.
    pub fn logical(&self) -> Option<(&'static str, Data)> {
        fn list(items: Vec<Vec<u8>>) -> Option<(&'static str, Data)> {
            (!items.is_empty()).then_some(("list", Data::List(items)))
        }
        fn hash(pairs: &[(Vec<u8>, Vec<u8>)]) -> Option<(&'static str, Data)> {
            let mut pairs = pairs.to_vec();
            pairs.sort();
            (!pairs.is_empty()).then_some(("hash", Data::Hash(pairs)))
        }
        fn set(mut members: Vec<Vec<u8>>) -> Option<(&'static str, Data)> {
            members.sort();
            members.dedup();
            (!members.is_empty()).then_some(("set", Data::Set(members)))
        }
        fn zset(pairs: &[(Vec<u8>, f64)]) -> Option<(&'static str, Data)> {
            let pairs = sorted_by_score(pairs)
                .into_iter()
                .map(|(member, score)| (member, double_to_vec(score)))
                .collect::<Vec<_>>();
            (!pairs.is_empty()).then_some(("zset", Data::ZSet(pairs)))
        }
        match self {
            Encoded::String(bytes, _) => Some(("string", Data::String(bytes.clone()))),
            Encoded::LinkedList(items) | Encoded::ListZiplist(items, _) => list(items.clone()),
            Encoded::Quicklist(nodes) => list(nodes.concat()),
            Encoded::Quicklist2(nodes) => list(
                nodes
                    .iter()
                    .flat_map(|node| match node {
                        Node::Packed(items) => items.clone(),
                        Node::Plain(item) => vec![item.clone()],
                    })
                    .collect(),
            ),
            Encoded::Set(members) => set(members.clone()),
            Encoded::Intset(members, _) => set(members.iter().map(|m| m.to_string().into_bytes()).collect()),
            Encoded::Hash(pairs)
            | Encoded::HashZipmap(pairs, _)
            | Encoded::HashZiplist(pairs)
            | Encoded::HashListpack(pairs) => hash(pairs),
            Encoded::ZSetText { pairs, .. }
            | Encoded::ZSet2(pairs)
            | Encoded::ZSetZiplist(pairs)
            | Encoded::ZSetListpack(pairs) => zset(pairs),
        }
    }
}

/// Pairs in sorted-set order: by score, then member bytes.
pub fn sorted_by_score(pairs: &[(Vec<u8>, f64)]) -> Vec<(Vec<u8>, f64)> {
    let mut pairs = pairs.to_vec();
    pairs.sort_by(|a, b| {
        a.1.partial_cmp(&b.1)
            .unwrap_or(std::cmp::Ordering::Equal)
            .then_with(|| a.0.cmp(&b.0))
    });
    pairs
}

/// Serializes values into RDB bytes (the part after the type byte and key).
pub struct ValueWriter<'a> {
    /// Where the bytes go.
    pub out: &'a mut Vec<u8>,
    /// Whether `StrEnc::Auto` strings are LZF-compressed when it pays
    /// (Redis's `rdbcompression`).
    pub compress: bool,
}

impl ValueWriter<'_> {
    /// An RDB length (6, 14, 32 or 64 bits).
    pub fn length(&mut self, len: u64) {
        if len < 1 << 6 {
            self.out.push(len as u8);
        } else if len < 1 << 14 {
            self.out.push(0x40 | (len >> 8) as u8);
            self.out.push((len & 0xff) as u8);
        } else if len <= u32::MAX as u64 {
            self.out.push(0x80);
            self.out.extend_from_slice(&(len as u32).to_be_bytes());
        } else {
            self.out.push(0x81);
            self.out.extend_from_slice(&len.to_be_bytes());
        }
    }

    /// A string in the given representation.
    pub fn string(&mut self, bytes: &[u8], encoding: StrEnc) {
        match encoding {
            StrEnc::Auto => {
                if let Some(value) = canonical_integer(bytes) {
                    if let Ok(value) = i32::try_from(value) {
                        self.integer(value);
                        return;
                    }
                }
                if self.compress && bytes.len() > 20 {
                    let compressed = lzf_compress(bytes);
                    if compressed.len() + 4 <= bytes.len() {
                        self.lzf_blob(&compressed, bytes.len());
                        return;
                    }
                }
                self.raw_string(bytes);
            }
            StrEnc::Raw => self.raw_string(bytes),
            StrEnc::Lzf => self.lzf_blob(&lzf_compress(bytes), bytes.len()),
            StrEnc::LzfLiteral => self.lzf_blob(&lzf_literal_only(bytes), bytes.len()),
        }
    }

    /// Length-prefixed bytes.
    pub fn raw_string(&mut self, bytes: &[u8]) {
        self.length(bytes.len() as u64);
        self.out.extend_from_slice(bytes);
    }

    /// An integer-encoded string: 8, 16 or 32 bits, the smallest that fits.
    pub fn integer(&mut self, value: i32) {
        if let Ok(small) = i8::try_from(value) {
            self.out.push(0xc0);
            self.out.push(small as u8);
        } else if let Ok(medium) = i16::try_from(value) {
            self.out.push(0xc1);
            self.out.extend_from_slice(&medium.to_le_bytes());
        } else {
            self.out.push(0xc2);
            self.out.extend_from_slice(&value.to_le_bytes());
        }
    }

    fn lzf_blob(&mut self, compressed: &[u8], original_len: usize) {
        self.out.push(0xc3);
        self.length(compressed.len() as u64);
        self.length(original_len as u64);
        self.out.extend_from_slice(compressed);
    }

    /// A score as text (type 3): codes 253/254/255 for NaN/+inf/-inf.
    fn text_score(&mut self, score: f64, infinity_as_text: bool) {
        if score.is_nan() {
            self.out.push(253);
        } else if score.is_infinite() && !infinity_as_text {
            self.out.push(if score > 0.0 { 254 } else { 255 });
        } else {
            let text = double_to_vec(score);
            self.out.push(text.len() as u8);
            self.out.extend_from_slice(&text);
        }
    }

    /// The whole value (without its type byte).
    pub fn value(&mut self, value: &Encoded) {
        let auto = StrEnc::Auto;
        match value {
            Encoded::String(bytes, encoding) => self.string(bytes, *encoding),
            Encoded::LinkedList(items) | Encoded::Set(items) => {
                self.length(items.len() as u64);
                for item in items {
                    self.string(item, auto);
                }
            }
            Encoded::ZSetText {
                pairs,
                infinity_as_text,
            } => {
                self.length(pairs.len() as u64);
                for (member, score) in pairs {
                    self.string(member, auto);
                    self.text_score(*score, *infinity_as_text);
                }
            }
            Encoded::Hash(pairs) => {
                self.length(pairs.len() as u64);
                for (field, value) in pairs {
                    self.string(field, auto);
                    self.string(value, auto);
                }
            }
            Encoded::ZSet2(pairs) => {
                self.length(pairs.len() as u64);
                for (member, score) in pairs {
                    self.string(member, auto);
                    self.out.extend_from_slice(&score.to_le_bytes());
                }
            }
            Encoded::HashZipmap(pairs, free) => self.string(&zipmap(pairs, *free), auto),
            Encoded::ListZiplist(items, wide) => self.string(&ziplist(items, *wide), auto),
            Encoded::Intset(members, width) => self.string(&intset(members, *width), auto),
            Encoded::ZSetZiplist(pairs) => self.string(&ziplist(&score_entries(pairs), false), auto),
            Encoded::HashZiplist(pairs) => self.string(&ziplist(&pair_entries(pairs), false), auto),
            Encoded::Quicklist(nodes) => {
                self.length(nodes.len() as u64);
                for node in nodes {
                    self.string(&ziplist(node, false), auto);
                }
            }
            Encoded::HashListpack(pairs) => self.string(&listpack(&pair_entries(pairs)), auto),
            Encoded::ZSetListpack(pairs) => self.string(&listpack(&score_entries(pairs)), auto),
            Encoded::Quicklist2(nodes) => {
                self.length(nodes.len() as u64);
                for node in nodes {
                    match node {
                        Node::Plain(item) => {
                            self.length(1);
                            self.string(item, auto);
                        }
                        Node::Packed(items) => {
                            self.length(2);
                            self.string(&listpack(items), auto);
                        }
                    }
                }
            }
        }
    }
}

fn pair_entries(pairs: &[(Vec<u8>, Vec<u8>)]) -> Vec<Vec<u8>> {
    pairs
        .iter()
        .flat_map(|(field, value)| [field.clone(), value.clone()])
        .collect()
}

/// Member, score, member, score... in score order, scores as Redis's
/// d2string prints them (integers as integers, which the containers then
/// store in integer form).
fn score_entries(pairs: &[(Vec<u8>, f64)]) -> Vec<Vec<u8>> {
    sorted_by_score(pairs)
        .into_iter()
        .flat_map(|(member, score)| [member, double_to_vec(score)])
        .collect()
}

/// A DUMP payload (as `RESTORE` takes it) for `value` claiming RDB
/// `version`: type byte, value, version (2 bytes LE), CRC-64 (8 bytes LE).
pub fn dump_payload(value: &Encoded, version: u16, compress: bool) -> Vec<u8> {
    let mut out = vec![value.type_byte()];
    ValueWriter {
        out: &mut out,
        compress,
    }
    .value(value);
    out.extend_from_slice(&version.to_le_bytes());
    let crc = crc64(0, &out);
    out.extend_from_slice(&crc.to_le_bytes());
    out
}

// ---------------------------------------------------------------------------
// Whole files
// ---------------------------------------------------------------------------

/// What follows the EOF opcode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Checksum {
    /// Nothing (versions 1–4).
    Absent,
    /// Eight zero bytes: saved with `rdbchecksum no`.
    Zero,
    /// The CRC-64 of everything before it.
    Valid,
    /// The CRC-64 with one bit flipped.
    Wrong,
}

/// Builds an RDB file opcode by opcode, recording the dataset it holds.
pub struct RdbBuilder {
    out: Vec<u8>,
    version: u32,
    compress: bool,
    db: u8,
    expire_at_ms: i64,
    expected: Dataset,
}

impl RdbBuilder {
    /// A file of format `version` (1..=10), LZF compression on.
    pub fn new(version: u32) -> RdbBuilder {
        RdbBuilder {
            out: format!("REDIS{version:04}").into_bytes(),
            version,
            compress: true,
            db: 0,
            expire_at_ms: -1,
            expected: Dataset::default(),
        }
    }

    /// Whether automatic strings may be LZF-compressed.
    pub fn compress(mut self, on: bool) -> RdbBuilder {
        self.compress = on;
        self
    }

    /// Opcode 254: the following keys go to database `db`.
    pub fn select_db(&mut self, db: u8) -> &mut Self {
        self.out.push(254);
        self.writer().length(db as u64);
        self.db = db;
        self
    }

    /// Opcode 251: sizing hints for the current database.
    pub fn resize_db(&mut self, keys: u64, expires: u64) -> &mut Self {
        self.out.push(251);
        self.writer().length(keys);
        self.writer().length(expires);
        self
    }

    /// Opcode 250: an auxiliary field.
    pub fn aux(&mut self, key: &str, value: &str) -> &mut Self {
        self.out.push(250);
        self.writer().string(key.as_bytes(), StrEnc::Auto);
        self.writer().string(value.as_bytes(), StrEnc::Auto);
        self
    }

    /// Opcode 253: the next key expires at `seconds` (Unix time, 32 bits).
    pub fn expire_seconds(&mut self, seconds: i32) -> &mut Self {
        self.out.push(253);
        self.out.extend_from_slice(&seconds.to_le_bytes());
        self.expire_at_ms = seconds as i64 * 1000;
        self
    }

    /// Opcode 252: the next key expires at `ms` (Unix time in ms).
    pub fn expire_ms(&mut self, ms: i64) -> &mut Self {
        self.out.push(252);
        self.out.extend_from_slice(&ms.to_le_bytes());
        self.expire_at_ms = ms;
        self
    }

    /// Opcode 248: the next key's LRU idle time in seconds.
    pub fn idle(&mut self, seconds: u64) -> &mut Self {
        self.out.push(248);
        self.writer().length(seconds);
        self
    }

    /// Opcode 249: the next key's LFU counter.
    pub fn freq(&mut self, counter: u8) -> &mut Self {
        self.out.push(249);
        self.out.push(counter);
        self
    }

    /// A key and its value (recorded as expected unless it is an empty
    /// aggregate, which loaders skip).
    pub fn key(&mut self, key: &[u8], value: &Encoded) -> &mut Self {
        self.out.push(value.type_byte());
        self.writer().string(key, StrEnc::Auto);
        self.writer().value(value);
        if let Some((type_name, data)) = value.logical() {
            let entry = Entry {
                type_name: type_name.to_string(),
                encoding: String::new(),
                expire_at_ms: self.expire_at_ms,
                data,
            };
            let previous = self.expected.keys.insert((self.db, key.to_vec()), entry);
            assert!(previous.is_none(), "key written twice");
        }
        self.expire_at_ms = -1;
        self
    }

    /// Arbitrary bytes (for deliberately broken files).
    pub fn raw(&mut self, bytes: &[u8]) -> &mut Self {
        self.out.extend_from_slice(bytes);
        self
    }

    /// The EOF opcode and the checksum; the file and its dataset.
    pub fn finish(mut self, checksum: Checksum) -> (Vec<u8>, Dataset) {
        assert_eq!(
            checksum == Checksum::Absent,
            self.version < 5,
            "versions 1-4 have no checksum, 5 and later always have the field"
        );
        self.out.push(255);
        match checksum {
            Checksum::Absent => {}
            Checksum::Zero => self.out.extend_from_slice(&[0; 8]),
            Checksum::Valid => {
                let crc = crc64(0, &self.out);
                self.out.extend_from_slice(&crc.to_le_bytes());
            }
            Checksum::Wrong => {
                let crc = crc64(0, &self.out) ^ 1;
                self.out.extend_from_slice(&crc.to_le_bytes());
            }
        }
        (self.out, self.expected)
    }

    fn writer(&mut self) -> ValueWriter<'_> {
        ValueWriter {
            out: &mut self.out,
            compress: self.compress,
        }
    }
}
