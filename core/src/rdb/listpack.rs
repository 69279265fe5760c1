//! Redis 7.0's listpack: the byte layout of small hashes and sorted sets
//! (RDB types 16 and 17) and of quicklist nodes (type 18).
//!
//! # Format
//! A 6-byte header — total bytes (u32 LE) and element count (u16 LE,
//! 65535 = "count it") — then the elements, then the end mark `0xFF`.
//! Each element is an encoding byte (with the length or value in it), its
//! data, and its back-length: the size of encoding + data, written so it
//! can be read from its last byte backwards (7 bits a byte, the high bit
//! set on every byte but the first).
//!
//! | first byte | element |
//! |---|---|
//! | `0xxxxxxx` | integer 0..=127 |
//! | `10xxxxxx` | string of 0..=63 bytes |
//! | `110xxxxx` + 1 byte | 13-bit signed integer |
//! | `1110xxxx` + 1 byte | string of up to 4095 bytes (length big-endian in 12 bits) |
//! | `0xF0` + u32 LE | string of any length |
//! | `0xF1` / `0xF2` / `0xF3` / `0xF4` | 16 / 24 / 32 / 64-bit signed integer, LE |
//!
//! Redis stores a string that is a canonical decimal integer ("12", not
//! "012", "+12" or "-0") as that integer, in the smallest encoding; the
//! [`Writer`] makes that choice exactly as `lpAppend` does, so the blobs it
//! builds are byte-identical to Redis's.

use crate::util::number::parse_i64;
use alloc::vec::Vec;

/// Bytes of the header: total bytes and element count.
pub const HEADER_SIZE: usize = 6;
/// The end mark, also the listpack's last byte.
pub const END: u8 = 0xFF;
/// Header count meaning "too many to count here: walk the elements".
pub const COUNT_UNKNOWN: u16 = u16::MAX;
/// Bytes of an empty listpack (header and end mark).
pub const EMPTY_SIZE: usize = HEADER_SIZE + 1;

/// One listpack (or ziplist) element as stored: an integer, or a string
/// borrowed from the blob.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Element<'a> {
    /// Stored as an integer; Redis shows it as its decimal string.
    Int(i64),
    /// Stored as bytes.
    Str(&'a [u8]),
}

/// Validates the header (total bytes == `blob.len()`, ends with `0xFF`) and
/// returns an iterator over the elements; each element's encoding and
/// back-length are checked as it is read (an `Err` ends the iteration), as
/// are, at the end, the position of the end mark and the header count
/// (unless it is 65535 = unknown). These are the checks of Redis's deep
/// `lpValidateIntegrity`.
pub fn elements(blob: &[u8]) -> Result<Elements<'_>, &'static str> {
    let (Some(total), Some(count)) = (read_u32_le(blob, 0), read_u16_le(blob, 4)) else {
        return Err("listpack shorter than its header");
    };
    if blob.len() < EMPTY_SIZE {
        return Err("listpack shorter than its header");
    }
    if u64::from(total) != blob.len() as u64 {
        return Err("listpack size does not match its header");
    }
    if blob.last() != Some(&END) {
        return Err("listpack does not end with 0xFF");
    }
    Ok(Elements {
        blob,
        at: HEADER_SIZE,
        header_count: count,
        seen: 0,
        done: false,
    })
}

/// Iterator over a listpack's elements (see [`elements`]).
#[derive(Clone, Debug)]
pub struct Elements<'a> {
    /// The whole listpack.
    blob: &'a [u8],
    /// Offset of the next element (or of the end mark).
    at: usize,
    /// The count the header claims.
    header_count: u16,
    /// Elements read so far.
    seen: usize,
    /// Set at the end mark or after an error.
    done: bool,
}

impl<'a> Elements<'a> {
    /// The element count from the header, or `None` when it says
    /// "unknown" (65535 or more elements).
    pub fn header_count(&self) -> Option<usize> {
        (self.header_count != COUNT_UNKNOWN).then_some(usize::from(self.header_count))
    }

    /// Reads the element at `self.at`, checks it, moves past it.
    fn read(&mut self) -> Result<Option<Element<'a>>, &'static str> {
        let blob = self.blob;
        let at = self.at;
        let last = blob.len() - 1;
        let Some(&first) = blob.get(at) else {
            return Err("listpack element past the end");
        };
        if first == END {
            if at != last {
                return Err("listpack end mark before its last byte");
            }
            if self.header_count != COUNT_UNKNOWN && usize::from(self.header_count) != self.seen {
                return Err("listpack count does not match its header");
            }
            return Ok(None);
        }
        let byte = |offset: usize| blob.get(at + offset).copied().ok_or("listpack element past the end");
        let (element, encoded) = match first {
            0x00..=0x7F => (Element::Int(i64::from(first)), 1),
            0x80..=0xBF => {
                let len = usize::from(first & 0x3F);
                (Element::Str(string(blob, at + 1, len)?), 1 + len)
            }
            0xC0..=0xDF => {
                let raw = (i64::from(first & 0x1F) << 8) | i64::from(byte(1)?);
                (Element::Int(if raw >= 1 << 12 { raw - (1 << 13) } else { raw }), 2)
            }
            0xE0..=0xEF => {
                let len = (usize::from(first & 0x0F) << 8) | usize::from(byte(1)?);
                (Element::Str(string(blob, at + 2, len)?), 2 + len)
            }
            0xF0 => {
                let len = read_u32_le(blob, at + 1).ok_or("listpack element past the end")?;
                let len = usize::try_from(len).map_err(|_| "listpack string too long")?;
                (Element::Str(string(blob, at + 5, len)?), 5 + len)
            }
            0xF1 => (Element::Int(int_le::<2>(blob, at + 1)?), 3),
            0xF2 => (Element::Int(int_le::<3>(blob, at + 1)?), 4),
            0xF3 => (Element::Int(int_le::<4>(blob, at + 1)?), 5),
            0xF4 => (Element::Int(int_le::<8>(blob, at + 1)?), 9),
            _ => return Err("listpack element has an unknown encoding"),
        };
        let next = at
            .checked_add(encoded + backlen_size(encoded))
            .filter(|&next| next <= last)
            .ok_or("listpack element past the end")?;
        if decode_backlen(blob, next - 1) != Some(encoded as u64) {
            return Err("listpack element back-length does not match");
        }
        self.at = next;
        self.seen += 1;
        Ok(Some(element))
    }
}

impl<'a> Iterator for Elements<'a> {
    type Item = Result<Element<'a>, &'static str>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        // The end and the first error both end the iteration.
        let item = self.read().transpose();
        self.done = !matches!(item, Some(Ok(_)));
        item
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        if self.done {
            return (0, Some(0));
        }
        // Every element takes at least 2 bytes; one more item for an error.
        (0, Some((self.blob.len() - self.at) / 2 + 1))
    }
}

/// `len` bytes at `blob[from..]`, or an error if they run past the end.
fn string(blob: &[u8], from: usize, len: usize) -> Result<&[u8], &'static str> {
    from.checked_add(len)
        .and_then(|to| blob.get(from..to))
        .ok_or("listpack element past the end")
}

/// The `N`-byte little-endian two's complement integer at `blob[from..]`.
fn int_le<const N: usize>(blob: &[u8], from: usize) -> Result<i64, &'static str> {
    let bytes = blob.get(from..from + N).ok_or("listpack element past the end")?;
    let mut wide = [0u8; 8];
    wide[..N].copy_from_slice(bytes);
    // Shift the value to the top and back to extend its sign.
    let shift = 64 - 8 * N as u32;
    Ok((i64::from_le_bytes(wide) << shift) >> shift)
}

/// Reads a back-length ending at `blob[last]`, backwards, as Redis's
/// `lpDecodeBacklen` does: at most 5 bytes; `None` if longer.
fn decode_backlen(blob: &[u8], last: usize) -> Option<u64> {
    let mut value = 0u64;
    let mut shift = 0;
    let mut at = last;
    loop {
        let byte = *blob.get(at)?;
        value |= u64::from(byte & 0x7F) << shift;
        if byte & 0x80 == 0 {
            return Some(value);
        }
        shift += 7;
        if shift > 28 {
            return None;
        }
        at = at.checked_sub(1)?;
    }
}

/// Bytes of the back-length of an element whose encoding and data take
/// `encoded` bytes (`lpEncodeBacklen`).
pub fn backlen_size(encoded: usize) -> usize {
    match encoded {
        0..=127 => 1,
        128..=16_382 => 2,
        16_383..=2_097_150 => 3,
        2_097_151..=268_435_454 => 4,
        _ => 5,
    }
}

/// Appends the back-length of `encoded` bytes: the most significant 7 bits
/// first, every byte after the first with its high bit set.
fn push_backlen(out: &mut Vec<u8>, encoded: usize) {
    let size = backlen_size(encoded);
    let value = encoded as u64;
    for index in (0..size).rev() {
        let bits = ((value >> (7 * index)) & 0x7F) as u8;
        out.push(if index + 1 == size { bits } else { bits | 0x80 });
    }
}

/// Bytes of an integer's encoding and data, in the smallest encoding that
/// holds it (`lpEncodeIntegerGetType`).
pub fn int_encoded_size(value: i64) -> usize {
    match value {
        0..=127 => 1,
        -4096..=4095 => 2,
        -32_768..=32_767 => 3,
        -8_388_608..=8_388_607 => 4,
        -2_147_483_648..=2_147_483_647 => 5,
        _ => 9,
    }
}

/// Bytes of a string's encoding and data (`lpEncodeGetType` for strings).
fn str_encoded_size(len: usize) -> usize {
    match len {
        0..=63 => 1 + len,
        64..=4095 => 2 + len,
        _ => 5 + len,
    }
}

/// Bytes one element takes in a listpack (encoding + data + back-length),
/// stored as Redis's `lpAppend` stores it: canonical integers as integers.
/// For size limits such as the 1 GiB safety size.
pub fn element_size(element: &[u8]) -> usize {
    let encoded = match parse_i64(element) {
        Some(value) => int_encoded_size(value),
        None => str_encoded_size(element.len()),
    };
    encoded + backlen_size(encoded)
}

/// Builds a listpack byte-identical to what Redis 7.0 produces by
/// `lpNew` then `lpAppend` (or `lpAppendInteger`) for the same elements.
///
/// The caller keeps the result under Redis's 1 GiB safety size; past
/// 4 GiB the header cannot hold the size (it then says 0xFFFFFFFF and the
/// blob will not load).
#[derive(Clone, Debug)]
pub struct Writer {
    /// Header placeholder then the elements; the end mark comes in
    /// [`Writer::finish`].
    buf: Vec<u8>,
    /// Elements pushed.
    count: usize,
}

impl Default for Writer {
    fn default() -> Self {
        Self::new()
    }
}

impl Writer {
    /// An empty listpack.
    pub fn new() -> Self {
        Self::with_capacity(EMPTY_SIZE)
    }

    /// An empty listpack with room for `bytes` bytes in total (e.g. the sum
    /// of [`element_size`] plus [`EMPTY_SIZE`]).
    pub fn with_capacity(bytes: usize) -> Self {
        let mut buf = Vec::with_capacity(bytes.max(EMPTY_SIZE));
        buf.extend_from_slice(&[0; HEADER_SIZE]);
        Writer { buf, count: 0 }
    }

    /// Appends an element: a canonical decimal integer is stored as an
    /// integer, anything else as a string (`lpAppend`).
    pub fn push(&mut self, element: &[u8]) {
        match parse_i64(element) {
            Some(value) => self.push_int(value),
            None => self.push_str(element),
        }
    }

    /// Appends an integer in its smallest encoding (`lpAppendInteger`).
    pub fn push_int(&mut self, value: i64) {
        let encoded = int_encoded_size(value);
        let bytes = value.to_le_bytes();
        match encoded {
            1 => self.buf.push(value as u8),
            2 => {
                // 13 bits, two's complement, high 5 bits in the first byte.
                let raw = (value as u64) & 0x1FFF;
                self.buf.push(0xC0 | (raw >> 8) as u8);
                self.buf.push(raw as u8);
            }
            3 => {
                self.buf.push(0xF1);
                self.buf.extend_from_slice(&bytes[..2]);
            }
            4 => {
                self.buf.push(0xF2);
                self.buf.extend_from_slice(&bytes[..3]);
            }
            5 => {
                self.buf.push(0xF3);
                self.buf.extend_from_slice(&bytes[..4]);
            }
            _ => {
                self.buf.push(0xF4);
                self.buf.extend_from_slice(&bytes);
            }
        }
        push_backlen(&mut self.buf, encoded);
        self.count += 1;
    }

    /// Appends `bytes` as a string element even if it reads as an integer
    /// (Redis never does this through `lpAppend`; for tests and streams).
    pub fn push_str(&mut self, bytes: &[u8]) {
        let len = bytes.len();
        let encoded = str_encoded_size(len);
        self.buf.reserve(encoded + 5);
        match len {
            0..=63 => self.buf.push(0x80 | len as u8),
            64..=4095 => {
                self.buf.push(0xE0 | (len >> 8) as u8);
                self.buf.push(len as u8);
            }
            _ => {
                self.buf.push(0xF0);
                self.buf.extend_from_slice(&(len as u32).to_le_bytes());
            }
        }
        self.buf.extend_from_slice(bytes);
        push_backlen(&mut self.buf, encoded);
        self.count += 1;
    }

    /// Number of elements pushed.
    pub fn len(&self) -> usize {
        self.count
    }

    /// Whether no element was pushed.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Size the finished listpack will have, in bytes.
    pub fn bytes(&self) -> usize {
        self.buf.len() + 1
    }

    /// The finished listpack: header filled in, end mark appended.
    pub fn finish(self) -> Vec<u8> {
        let mut buf = self.buf;
        buf.push(END);
        let total = u32::try_from(buf.len()).unwrap_or(u32::MAX);
        let count = u16::try_from(self.count).unwrap_or(COUNT_UNKNOWN);
        buf[..4].copy_from_slice(&total.to_le_bytes());
        buf[4..6].copy_from_slice(&count.to_le_bytes());
        buf
    }
}

/// The little-endian u32 at `blob[at..at + 4]`, if there.
fn read_u32_le(blob: &[u8], at: usize) -> Option<u32> {
    let bytes = blob.get(at..at.checked_add(4)?)?;
    Some(u32::from_le_bytes(bytes.try_into().ok()?))
}

/// The little-endian u16 at `blob[at..at + 2]`, if there.
fn read_u16_le(blob: &[u8], at: usize) -> Option<u16> {
    let bytes = blob.get(at..at.checked_add(2)?)?;
    Some(u16::from_le_bytes(bytes.try_into().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;
    use alloc::vec::Vec;
    use proptest::prelude::*;

    /// The same deterministic filler as `testdata/make_fixtures.py`.
    fn pattern(n: usize, seed: usize) -> Vec<u8> {
        (0..n).map(|i| ((i * 31 + seed * 7 + (i >> 5)) % 251) as u8).collect()
    }

    /// The values `make_fixtures.py` put in hash `h`, one per field.
    fn fixture_values() -> Vec<Vec<u8>> {
        let mut values: Vec<Vec<u8>> = [
            &b"0"[..],
            b"1",
            b"127",
            b"a",
            b"bb",
            b"",
            b"128",
            b"300",
            b"-1",
            b"-5",
            b"4095",
            b"-4096",
            b"4096",
            b"-4097",
            b"32767",
            b"-32768",
            b"32768",
            b"-32769",
            b"8388607",
            b"-8388608",
            b"8388608",
            b"-8388609",
            b"2147483647",
            b"-2147483648",
            b"2147483648",
            b"-2147483649",
            b"123456789012",
            b"9223372036854775807",
            b"-9223372036854775808",
            b"9223372036854775808",
            b"-9223372036854775809",
            b"007",
            b"-0",
            b"+1",
            b" 1",
            b"1 ",
            b"1.5",
            b"-",
            b"99999999999999999999",
            b"\x00\xff\x01",
        ]
        .iter()
        .map(|v| v.to_vec())
        .collect();
        values.push(vec![b'x'; 63]);
        values.push(vec![b'y'; 64]);
        values.push(vec![b'z'; 70]);
        values.push(vec![b'w'; 126]);
        values.push(vec![b'v'; 125]);
        values.push(pattern(4095, 1));
        values.push(pattern(4096, 2));
        values.push(pattern(16377, 4));
        values.push(pattern(16378, 5));
        values
    }

    /// The listpack inside a Redis `DUMP` of a listpack hash (type 16, a
    /// 32-bit RDB string length `0x80` + BE u32, then version and CRC).
    fn listpack_of(dump: &[u8]) -> &[u8] {
        assert_eq!(dump[..2], [16, 0x80]);
        let len = u32::from_be_bytes(dump[2..6].try_into().unwrap()) as usize;
        assert_eq!(dump.len(), 6 + len + 10);
        &dump[6..6 + len]
    }

    /// The decimal string of an element, as Redis replies it.
    fn text(element: Element<'_>) -> Vec<u8> {
        match element {
            Element::Int(value) => alloc::format!("{value}").into_bytes(),
            Element::Str(bytes) => bytes.to_vec(),
        }
    }

    #[test]
    fn writes_what_redis_writes() {
        let blob = listpack_of(include_bytes!("testdata/hash_listpack.dump"));
        let values = fixture_values();
        let mut writer = Writer::new();
        let mut size = EMPTY_SIZE;
        for (index, value) in values.iter().enumerate() {
            let field = alloc::format!("f{index}").into_bytes();
            writer.push(&field);
            writer.push(value);
            size += element_size(&field) + element_size(value);
        }
        assert_eq!(writer.len(), values.len() * 2);
        assert_eq!(writer.bytes(), blob.len());
        assert_eq!(size, blob.len());
        let built = writer.finish();
        assert_eq!(built.len(), blob.len());
        assert!(built == blob, "listpack differs from Redis's");

        let read: Vec<Element<'_>> = elements(blob).unwrap().collect::<Result<_, _>>().unwrap();
        assert_eq!(read.len(), values.len() * 2);
        for (index, value) in values.iter().enumerate() {
            assert_eq!(text(read[2 * index]), alloc::format!("f{index}").into_bytes());
            assert_eq!(&text(read[2 * index + 1]), value);
        }
        // Canonical integers come back as integers, the rest as strings.
        assert_eq!(read[1], Element::Int(0));
        assert_eq!(read[2 * 28 + 1], Element::Int(i64::MIN));
        assert_eq!(read[2 * 29 + 1], Element::Str(b"9223372036854775808"));
        assert_eq!(read[2 * 32 + 1], Element::Str(b"-0"));
    }

    #[test]
    fn every_encoding_by_hand() {
        let mut writer = Writer::new();
        writer.push(b"5"); // 7-bit
        writer.push(b"-1"); // 13-bit
        writer.push(b"-4096");
        writer.push(b"4095");
        writer.push_int(-32768); // 16-bit
        writer.push_int(8_388_607); // 24-bit
        writer.push_int(-2_147_483_648); // 32-bit
        writer.push_int(i64::MAX); // 64-bit
        writer.push(b"hi"); // 6-bit string
        writer.push_str(b"12"); // a number kept as a string
        let lp = writer.finish();
        #[rustfmt::skip]
        let expected: &[u8] = &[
            51, 0, 0, 0, 10, 0,
            0x05, 1,
            0xDF, 0xFF, 2,
            0xD0, 0x00, 2,
            0xCF, 0xFF, 2,
            0xF1, 0x00, 0x80, 3,
            0xF2, 0xFF, 0xFF, 0x7F, 4,
            0xF3, 0x00, 0x00, 0x00, 0x80, 5,
            0xF4, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F, 9,
            0x82, b'h', b'i', 3,
            0x82, b'1', b'2', 3,
            0xFF,
        ];
        assert_eq!(lp, expected);
        let read: Vec<Element<'_>> = elements(&lp).unwrap().collect::<Result<_, _>>().unwrap();
        assert_eq!(
            read,
            [
                Element::Int(5),
                Element::Int(-1),
                Element::Int(-4096),
                Element::Int(4095),
                Element::Int(-32768),
                Element::Int(8_388_607),
                Element::Int(-2_147_483_648),
                Element::Int(i64::MAX),
                Element::Str(b"hi"),
                Element::Str(b"12"),
            ]
        );
    }

    #[test]
    fn back_lengths_of_every_size() {
        let mut out = Vec::new();
        for (encoded, expected) in [
            (1usize, &[1u8][..]),
            (127, &[127]),
            (128, &[0x01, 0x80]),
            (16_382, &[0x7F, 0xFE]),
            (16_383, &[0x00, 0xFF, 0xFF]),
            (2_097_150, &[0x7F, 0xFF, 0xFE]),
            (2_097_151, &[0x00, 0xFF, 0xFF, 0xFF]),
            (268_435_454, &[0x7F, 0xFF, 0xFF, 0xFE]),
            (268_435_455, &[0x00, 0xFF, 0xFF, 0xFF, 0xFF]),
            (u32::MAX as usize, &[0x0F, 0xFF, 0xFF, 0xFF, 0xFF]),
        ] {
            out.clear();
            push_backlen(&mut out, encoded);
            assert_eq!(out, expected, "back-length of {encoded}");
            assert_eq!(backlen_size(encoded), expected.len());
            assert_eq!(decode_backlen(&out, out.len() - 1), Some(encoded as u64));
        }
        assert_eq!(decode_backlen(&[0x80, 0x80, 0x80, 0x80, 0x80, 0x80], 5), None);
    }

    #[test]
    fn big_strings_round_trip() {
        // 4- and 5-byte back-lengths (strings of 2 MiB and 256 MiB would
        // be needed for them; 2 MiB is enough for the 4-byte one).
        let big = pattern(2_097_146, 9);
        let mut writer = Writer::new();
        writer.push(&big);
        writer.push(b"after");
        assert_eq!(element_size(&big), 5 + big.len() + 4);
        let lp = writer.finish();
        let read: Vec<Element<'_>> = elements(&lp).unwrap().collect::<Result<_, _>>().unwrap();
        assert_eq!(read, [Element::Str(&big), Element::Str(b"after")]);
        assert_eq!(backlen_size(str_encoded_size(268_435_450)), 5);
    }

    #[test]
    fn element_sizes() {
        assert_eq!(element_size(b"0"), 2);
        assert_eq!(element_size(b"127"), 2);
        assert_eq!(element_size(b"128"), 3);
        assert_eq!(element_size(b"-4096"), 3);
        assert_eq!(element_size(b"32767"), 4);
        assert_eq!(element_size(b"8388607"), 5);
        assert_eq!(element_size(b"2147483647"), 6);
        assert_eq!(element_size(b"2147483648"), 10);
        assert_eq!(element_size(b"007"), 5);
        assert_eq!(element_size(&[b'x'; 63]), 65);
        assert_eq!(element_size(&[b'x'; 64]), 67);
        assert_eq!(element_size(&[b'x'; 125]), 128);
        assert_eq!(element_size(&[b'x'; 126]), 130);
        assert_eq!(element_size(&[b'x'; 4096]), 4101 + 2);
        assert_eq!(element_size(&[b'x'; 16_377]), 16_382 + 2);
        assert_eq!(element_size(&[b'x'; 16_378]), 16_383 + 3);
    }

    #[test]
    fn count_header() {
        let mut writer = Writer::new();
        for i in 0..70_000i64 {
            writer.push_int(i % 100);
        }
        let lp = writer.finish();
        assert_eq!(lp[4..6], [0xFF, 0xFF]);
        let iter = elements(&lp).unwrap();
        assert_eq!(iter.header_count(), None);
        assert_eq!(iter.count(), 70_000);
        let empty = Writer::new().finish();
        assert_eq!(empty, [7, 0, 0, 0, 0, 0, 0xFF]);
        assert_eq!(elements(&empty).unwrap().header_count(), Some(0));
        assert_eq!(elements(&empty).unwrap().next(), None);
    }

    #[test]
    fn rejects_bad_blobs() {
        let good = {
            let mut writer = Writer::new();
            writer.push(b"abc");
            writer.push(b"1000");
            writer.finish()
        };
        let all = |blob: &[u8]| -> Result<usize, &'static str> {
            let mut n = 0;
            for element in elements(blob)? {
                element?;
                n += 1;
            }
            Ok(n)
        };
        assert_eq!(all(&good), Ok(2));
        // Header problems.
        assert!(all(&[]).is_err());
        assert!(all(&[6, 0, 0, 0, 0, 0]).is_err());
        assert!(all(&good[..good.len() - 1]).is_err());
        let mut bad = good.clone();
        *bad.last_mut().unwrap() = 0;
        assert!(all(&bad).is_err());
        // Count mismatch.
        let mut bad = good.clone();
        bad[4] = 3;
        assert!(all(&bad).is_err());
        bad[4] = 0xFF;
        bad[5] = 0xFF;
        assert_eq!(all(&bad), Ok(2));
        // Back-length mismatch.
        let mut bad = good.clone();
        bad[6 + 4] = 5;
        assert!(all(&bad).is_err());
        // Unknown encoding.
        let mut bad = good.clone();
        bad[6] = 0xF5;
        assert!(all(&bad).is_err());
        // An end mark in the middle.
        let mut bad = good.clone();
        bad[6 + 5] = 0xFF;
        assert!(all(&bad).is_err());
        // A string running into the end mark.
        let mut bad = good.clone();
        bad[6] = 0x85;
        assert!(all(&bad).is_err());
        // A 32-bit string length near 4 GiB.
        let mut lp = vec![0, 0, 0, 0, 1, 0, 0xF0, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF];
        lp[0] = lp.len() as u8;
        assert!(all(&lp).is_err());
    }

    fn element_strategy() -> impl Strategy<Value = Vec<u8>> {
        prop_oneof![
            any::<i64>().prop_map(|v| alloc::format!("{v}").into_bytes()),
            (-5000i64..5000).prop_map(|v| alloc::format!("{v}").into_bytes()),
            proptest::collection::vec(any::<u8>(), 0..80),
            proptest::collection::vec(any::<u8>(), 4000..4200),
        ]
    }

    proptest! {
        #[test]
        fn round_trips(items in proptest::collection::vec(element_strategy(), 0..40)) {
            let mut writer = Writer::new();
            let mut size = EMPTY_SIZE;
            for item in &items {
                writer.push(item);
                size += element_size(item);
            }
            prop_assert_eq!(writer.bytes(), size);
            let lp = writer.finish();
            prop_assert_eq!(lp.len(), size);
            let read: Vec<Element<'_>> = elements(&lp).unwrap().collect::<Result<_, _>>().unwrap();
            prop_assert_eq!(read.len(), items.len());
            for (element, item) in read.into_iter().zip(&items) {
                prop_assert_eq!(&text(element), item);
            }
        }

        #[test]
        fn never_panics(blob in proptest::collection::vec(any::<u8>(), 0..120)) {
            if let Ok(iter) = elements(&blob) {
                for _ in iter {}
            }
            // Also with a header that matches, to reach the elements.
            let mut blob = blob;
            if blob.len() >= EMPTY_SIZE {
                let len = blob.len() as u32;
                blob[..4].copy_from_slice(&len.to_le_bytes());
                *blob.last_mut().unwrap() = END;
                for _ in elements(&blob).unwrap() {}
            }
        }

        #[test]
        fn damaged_blobs_never_panic(items in proptest::collection::vec(element_strategy(), 1..10),
                                     flip in any::<usize>(), bit in 0u8..8, cut in any::<usize>()) {
            let mut writer = Writer::new();
            for item in &items {
                writer.push(item);
            }
            let mut lp = writer.finish();
            if let Ok(iter) = elements(&lp[..cut % lp.len()]) {
                for _ in iter {}
            }
            let at = flip % lp.len();
            lp[at] ^= 1 << bit;
            if let Ok(iter) = elements(&lp) {
                for _ in iter {}
            }
        }
    }
}
