//! The ziplist, the listpack's predecessor: how Redis before 7.0 stored small
//! lists, hashes and sorted sets (RDB types 10, 12, 13 and quicklist nodes of
//! type 14). Redis 7.0 still loads it (converting to listpacks) but never
//! writes it, so this module only decodes.
//!
//! # Format
//! `zlbytes` (u32 LE, the blob's size), `zltail` (u32 LE, offset of the last
//! entry), `zllen` (u16 LE, entry count, 65535 = "count it"), the entries,
//! then the end mark `0xFF`. Each entry is:
//! - `prevlen`: the previous entry's size, 1 byte if below 254, else `0xFE`
//!   then u32 LE;
//! - the encoding: strings `00pppppp` (6-bit length), `01pppppp qqqqqqqq`
//!   (14-bit, big-endian), `10000000` + u32 big-endian (Redis ignores the
//!   low 6 bits of that byte); integers `0xC0` i16,
//!   `0xD0` i32, `0xE0` i64, `0xF0` i24, `0xFE` i8 (all LE), and
//!   `0xF1..=0xFD` for the values 0..=12 with no data byte;
//! - the data.

use super::listpack::Element;

/// Bytes of the header: zlbytes, zltail, zllen.
const HEADER_SIZE: usize = 10;
/// The end mark.
const END: u8 = 0xFF;
/// `prevlen` first byte announcing a 4-byte length.
const BIG_PREVLEN: u8 = 0xFE;
/// Header count meaning "unknown".
const COUNT_UNKNOWN: u16 = u16::MAX;

/// Validates the header (zlbytes == `blob.len()`, ends with `0xFF`, zltail
/// inside the blob) and returns an iterator over the entries; each entry's
/// encoding, bounds and `prevlen` are checked as it is read (an `Err` ends
/// the iteration), and at the end the end mark's position, `zltail` and the
/// header count (unless 65535). These are the checks of Redis's deep
/// `ziplistValidateIntegrity`.
pub fn elements(blob: &[u8]) -> Result<ZipElements<'_>, &'static str> {
    if blob.len() < HEADER_SIZE + 1 {
        return Err("ziplist shorter than its header");
    }
    let (Some(total), Some(tail), Some(count)) = (read_u32_le(blob, 0), read_u32_le(blob, 4), read_u16_le(blob, 8))
    else {
        return Err("ziplist shorter than its header");
    };
    if u64::from(total) != blob.len() as u64 {
        return Err("ziplist size does not match its header");
    }
    if blob.last() != Some(&END) {
        return Err("ziplist does not end with 0xFF");
    }
    if u64::from(tail) > (blob.len() - 1) as u64 {
        return Err("ziplist tail offset past the end");
    }
    Ok(ZipElements {
        blob,
        at: HEADER_SIZE,
        tail: tail as usize,
        header_count: count,
        previous: None,
        previous_size: 0,
        seen: 0,
        done: false,
    })
}

/// Iterator over a ziplist's entries (see [`elements`]).
#[derive(Clone, Debug)]
pub struct ZipElements<'a> {
    /// The whole ziplist.
    blob: &'a [u8],
    /// Offset of the next entry (or of the end mark).
    at: usize,
    /// Offset of the last entry, from the header.
    tail: usize,
    /// The count the header claims.
    header_count: u16,
    /// Offset of the entry read last.
    previous: Option<usize>,
    /// Size of the entry read last (what the next `prevlen` must say).
    previous_size: usize,
    /// Entries read so far.
    seen: usize,
    /// Set at the end mark or after an error.
    done: bool,
}

impl<'a> ZipElements<'a> {
    /// The entry count from the header, or `None` when it says "unknown".
    pub fn header_count(&self) -> Option<usize> {
        (self.header_count != COUNT_UNKNOWN).then_some(usize::from(self.header_count))
    }

    /// Reads the entry at `self.at`, checks it, moves past it.
    fn read(&mut self) -> Result<Option<Element<'a>>, &'static str> {
        const PAST_END: &str = "ziplist entry past the end";
        let blob = self.blob;
        let at = self.at;
        let last = blob.len() - 1;
        let Some(&first) = blob.get(at) else {
            return Err(PAST_END);
        };
        if first == END {
            if at != last {
                return Err("ziplist end mark before its last byte");
            }
            if self.previous.is_some_and(|previous| previous != self.tail) {
                return Err("ziplist tail offset is not the last entry");
            }
            if self.header_count != COUNT_UNKNOWN && usize::from(self.header_count) != self.seen {
                return Err("ziplist count does not match its header");
            }
            return Ok(None);
        }
        // prevlen
        let (prevlen, mut p) = if first < BIG_PREVLEN {
            (first as usize, at + 1)
        } else {
            let len = read_u32_le(blob, at + 1).ok_or(PAST_END)?;
            (usize::try_from(len).map_err(|_| PAST_END)?, at + 5)
        };
        if prevlen != self.previous_size {
            return Err("ziplist prevlen does not match the previous entry");
        }
        let encoding = *blob.get(p).ok_or(PAST_END)?;
        p += 1;
        let element = match encoding >> 6 {
            0 => {
                let len = usize::from(encoding & 0x3F);
                Element::Str(take(blob, &mut p, len)?)
            }
            1 => {
                let low = *blob.get(p).ok_or(PAST_END)?;
                p += 1;
                let len = (usize::from(encoding & 0x3F) << 8) | usize::from(low);
                Element::Str(take(blob, &mut p, len)?)
            }
            2 => {
                // Redis reads any `10xxxxxx` as the 32-bit length form.
                let bytes = take(blob, &mut p, 4)?;
                let len = u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
                Element::Str(take(blob, &mut p, usize::try_from(len).map_err(|_| PAST_END)?)?)
            }
            _ => Element::Int(match encoding {
                0xC0 => int_le::<2>(take(blob, &mut p, 2)?),
                0xD0 => int_le::<4>(take(blob, &mut p, 4)?),
                0xE0 => int_le::<8>(take(blob, &mut p, 8)?),
                0xF0 => int_le::<3>(take(blob, &mut p, 3)?),
                0xFE => int_le::<1>(take(blob, &mut p, 1)?),
                0xF1..=0xFD => i64::from(encoding & 0x0F) - 1,
                _ => return Err("ziplist entry has an unknown encoding"),
            }),
        };
        // The entry must end before the end mark (Redis: not past zllast).
        if p > last {
            return Err(PAST_END);
        }
        self.previous = Some(at);
        self.previous_size = p - at;
        self.at = p;
        self.seen += 1;
        Ok(Some(element))
    }
}

impl<'a> Iterator for ZipElements<'a> {
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
        // Every entry takes at least 2 bytes.
        (0, Some((self.blob.len() - self.at) / 2 + 1))
    }
}

/// `len` bytes at `blob[*at..]`, advancing `*at` past them.
fn take<'a>(blob: &'a [u8], at: &mut usize, len: usize) -> Result<&'a [u8], &'static str> {
    let end = at.checked_add(len).ok_or("ziplist entry past the end")?;
    let bytes = blob.get(*at..end).ok_or("ziplist entry past the end")?;
    *at = end;
    Ok(bytes)
}

/// The `N`-byte little-endian two's complement integer in `bytes`.
fn int_le<const N: usize>(bytes: &[u8]) -> i64 {
    let mut wide = [0u8; 8];
    for (to, from) in wide.iter_mut().zip(bytes) {
        *to = *from;
    }
    let shift = 64 - 8 * N as u32;
    (i64::from_le_bytes(wide) << shift) >> shift
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

/// Builds ziplists from the format, for tests (of this module and of the
/// RDB decoder): Redis 7.0 cannot produce them any more.
#[cfg(test)]
pub(crate) mod build {
    use alloc::vec::Vec;

    /// An entry to put in a test ziplist.
    #[derive(Clone, Copy, Debug)]
    pub enum Entry<'a> {
        /// A string, in the narrowest string encoding.
        Str(&'a [u8]),
        /// An integer, in the narrowest integer encoding.
        Int(i64),
    }

    /// The encoding and data of `entry`, as Redis's `zipStoreEntryEncoding`
    /// and `zipSaveInteger` write them.
    fn body(entry: Entry<'_>) -> Vec<u8> {
        let mut out = Vec::new();
        match entry {
            Entry::Str(bytes) => {
                let len = bytes.len();
                if len < 64 {
                    out.push(len as u8);
                } else if len < 16384 {
                    out.push(0x40 | (len >> 8) as u8);
                    out.push(len as u8);
                } else {
                    out.push(0x80);
                    out.extend_from_slice(&(len as u32).to_be_bytes());
                }
                out.extend_from_slice(bytes);
            }
            Entry::Int(value) => match value {
                0..=12 => out.push(0xF1 + value as u8),
                -128..=127 => out.extend_from_slice(&[0xFE, value as u8]),
                -32_768..=32_767 => {
                    out.push(0xC0);
                    out.extend_from_slice(&(value as i16).to_le_bytes());
                }
                -8_388_608..=8_388_607 => {
                    out.push(0xF0);
                    out.extend_from_slice(&(value as i32).to_le_bytes()[..3]);
                }
                -2_147_483_648..=2_147_483_647 => {
                    out.push(0xD0);
                    out.extend_from_slice(&(value as i32).to_le_bytes());
                }
                _ => {
                    out.push(0xE0);
                    out.extend_from_slice(&value.to_le_bytes());
                }
            },
        }
        out
    }

    /// A ziplist of `entries`.
    pub fn ziplist(entries: &[Entry<'_>]) -> Vec<u8> {
        let mut out = alloc::vec![0u8; 10];
        let mut previous = 0usize;
        let mut tail = 10usize;
        for &entry in entries {
            tail = out.len();
            let start = out.len();
            if previous < 254 {
                out.push(previous as u8);
            } else {
                out.push(0xFE);
                out.extend_from_slice(&(previous as u32).to_le_bytes());
            }
            out.extend_from_slice(&body(entry));
            previous = out.len() - start;
        }
        out.push(0xFF);
        let total = out.len() as u32;
        out[..4].copy_from_slice(&total.to_le_bytes());
        out[4..8].copy_from_slice(&(tail as u32).to_le_bytes());
        let count = u16::try_from(entries.len()).unwrap_or(u16::MAX);
        out[8..10].copy_from_slice(&count.to_le_bytes());
        out
    }
}

#[cfg(test)]
mod tests {
    use super::build::{ziplist, Entry};
    use super::*;
    use alloc::vec;
    use alloc::vec::Vec;
    use proptest::prelude::*;

    fn read_all(blob: &[u8]) -> Result<Vec<Element<'_>>, &'static str> {
        elements(blob)?.collect()
    }

    #[test]
    fn every_encoding() {
        let long = vec![b'q'; 300];
        let huge = vec![b'h'; 16_384];
        let entries = [
            Entry::Str(b""),
            Entry::Str(b"abc"),
            Entry::Str(&long),
            Entry::Str(&huge),
            Entry::Int(0),
            Entry::Int(12),
            Entry::Int(13),
            Entry::Int(-128),
            Entry::Int(-129),
            Entry::Int(32_767),
            Entry::Int(-8_388_608),
            Entry::Int(8_388_607),
            Entry::Int(i32::MIN.into()),
            Entry::Int(i64::MIN),
            Entry::Int(i64::MAX),
            Entry::Str(b"after the big prevlen"),
        ];
        let blob = ziplist(&entries);
        let read = read_all(&blob).unwrap();
        assert_eq!(read.len(), entries.len());
        for (element, entry) in read.iter().zip(entries) {
            match (element, entry) {
                (Element::Str(got), Entry::Str(want)) => assert_eq!(*got, want),
                (Element::Int(got), Entry::Int(want)) => assert_eq!(*got, want),
                _ => panic!("{element:?} vs {entry:?}"),
            }
        }
        assert_eq!(elements(&blob).unwrap().header_count(), Some(entries.len()));
    }

    #[test]
    fn exact_bytes() {
        // "a", 5, -2 written out by hand from the format.
        #[rustfmt::skip]
        let blob = [
            22, 0, 0, 0, 17, 0, 0, 0, 3, 0,
            0x00, 0x01, b'a',
            0x03, 0xF6,
            0x02, 0xFE, 0xFE,
            0x03, 0xC0, 0x00, 0x01,
            0xFF,
        ];
        let mut blob = blob.to_vec();
        // Fix up: four entries, the last at offset 18.
        blob[8] = 4;
        blob[4] = 18;
        blob[0] = blob.len() as u8;
        assert_eq!(
            read_all(&blob).unwrap(),
            [Element::Str(b"a"), Element::Int(5), Element::Int(-2), Element::Int(256)]
        );
        assert_eq!(
            blob,
            ziplist(&[Entry::Str(b"a"), Entry::Int(5), Entry::Int(-2), Entry::Int(256)])
        );
    }

    #[test]
    fn rejects_bad_blobs() {
        let good = ziplist(&[Entry::Str(b"abc"), Entry::Int(1000), Entry::Int(3)]);
        assert_eq!(read_all(&good).unwrap().len(), 3);
        assert!(read_all(&[]).is_err());
        assert!(read_all(&good[..good.len() - 1]).is_err());
        // zlbytes, end mark, zltail.
        let mut bad = good.clone();
        bad[0] += 1;
        assert!(read_all(&bad).is_err());
        let mut bad = good.clone();
        *bad.last_mut().unwrap() = 0;
        assert!(read_all(&bad).is_err());
        let mut bad = good.clone();
        bad[4] = 10;
        assert!(read_all(&bad).is_err());
        bad[4] = 200;
        assert!(read_all(&bad).is_err());
        // Count.
        let mut bad = good.clone();
        bad[8] = 2;
        assert!(read_all(&bad).is_err());
        bad[8] = 0xFF;
        bad[9] = 0xFF;
        assert_eq!(read_all(&bad).unwrap().len(), 3);
        // prevlen.
        let mut bad = good.clone();
        bad[10] = 1;
        assert!(read_all(&bad).is_err());
        let mut bad = good.clone();
        bad[15] = 4;
        assert!(read_all(&bad).is_err());
        // Unknown encodings.
        for encoding in [0xC1, 0xD5, 0xEF, 0xFF] {
            let mut bad = good.clone();
            bad[11] = encoding;
            assert!(read_all(&bad).is_err());
        }
        // A string running past the end.
        let mut bad = good.clone();
        bad[11] = 0x3F;
        assert!(read_all(&bad).is_err());
        let empty = ziplist(&[]);
        assert_eq!(empty, [11, 0, 0, 0, 10, 0, 0, 0, 0, 0, 0xFF]);
        assert_eq!(read_all(&empty).unwrap(), []);
    }

    fn entry_strategy() -> impl Strategy<Value = (Option<i64>, Vec<u8>)> {
        prop_oneof![
            any::<i64>().prop_map(|v| (Some(v), Vec::new())),
            (-200i64..200).prop_map(|v| (Some(v), Vec::new())),
            proptest::collection::vec(any::<u8>(), 0..300).prop_map(|s| (None, s)),
        ]
    }

    fn entries_of(items: &[(Option<i64>, Vec<u8>)]) -> Vec<Entry<'_>> {
        items
            .iter()
            .map(|(int, bytes)| match int {
                Some(value) => Entry::Int(*value),
                None => Entry::Str(bytes),
            })
            .collect()
    }

    proptest! {
        #[test]
        fn reads_what_was_built(items in proptest::collection::vec(entry_strategy(), 0..30)) {
            let entries = entries_of(&items);
            let blob = ziplist(&entries);
            let read = read_all(&blob).unwrap();
            prop_assert_eq!(read.len(), items.len());
            for (element, (int, bytes)) in read.into_iter().zip(&items) {
                match (element, int) {
                    (Element::Int(got), Some(want)) => prop_assert_eq!(got, *want),
                    (Element::Str(got), None) => prop_assert_eq!(got, &bytes[..]),
                    _ => prop_assert!(false),
                }
            }
        }

        #[test]
        fn never_panics(blob in proptest::collection::vec(any::<u8>(), 0..120)) {
            let _ = read_all(&blob);
            let mut blob = blob;
            if blob.len() >= 11 {
                let len = blob.len() as u32;
                blob[..4].copy_from_slice(&len.to_le_bytes());
                *blob.last_mut().unwrap() = END;
                let _ = read_all(&blob);
            }
        }

        #[test]
        fn damaged_blobs_never_panic(items in proptest::collection::vec(entry_strategy(), 1..10),
                                     flip in any::<usize>(), bit in 0u8..8, cut in any::<usize>()) {
            let mut blob = ziplist(&entries_of(&items));
            let _ = read_all(&blob[..cut % blob.len()]);
            let at = flip % blob.len();
            blob[at] ^= 1 << bit;
            let _ = read_all(&blob);
        }
    }
}
