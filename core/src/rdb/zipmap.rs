//! The zipmap: how Redis before 2.6 stored small hashes (RDB type 9).
//! Redis 7.0 still loads it (converting it) but never writes it, so this
//! module only decodes.
//!
//! # Format
//! `zmlen` (1 byte: the pair count, 254 = "count it"), then the pairs, then
//! the end mark `0xFF`. Each pair is: the field's length, the field, the
//! value's length, a `free` byte, the value, then `free` unused bytes.
//! A length is 1 byte if below 254, else the byte 254 (Redis reads 255 the
//! same way for a value) followed by a u32 LE.

/// The end mark.
const END: u8 = 0xFF;
/// `zmlen` value meaning "unknown count", and the first length byte
/// announcing a 4-byte length.
const BIG: u8 = 254;

/// Validates the header (at least 2 bytes, ends with `0xFF`) and returns an
/// iterator over the (field, value) pairs; each pair's bounds are checked
/// as it is read (an `Err` ends the iteration), and at the end the pair
/// count: at least one pair (Redis never stores an empty zipmap), equal to
/// `zmlen` unless that says 254. These are the checks of Redis's deep
/// `zipmapValidateIntegrity`.
pub fn pairs(blob: &[u8]) -> Result<ZipmapPairs<'_>, &'static str> {
    if blob.len() < 2 {
        return Err("zipmap shorter than its header");
    }
    if blob.last() != Some(&END) {
        return Err("zipmap does not end with 0xFF");
    }
    Ok(ZipmapPairs {
        blob,
        at: 1,
        seen: 0,
        done: false,
    })
}

/// Iterator over a zipmap's (field, value) pairs (see [`pairs`]).
#[derive(Clone, Debug)]
pub struct ZipmapPairs<'a> {
    /// The whole zipmap.
    blob: &'a [u8],
    /// Offset of the next pair (or of the end mark).
    at: usize,
    /// Pairs read so far.
    seen: usize,
    /// Set at the end mark or after an error.
    done: bool,
}

impl<'a> ZipmapPairs<'a> {
    /// The pair count from the header, or `None` when it says "unknown".
    pub fn header_count(&self) -> Option<usize> {
        let count = *self.blob.first()?;
        (count != BIG).then_some(usize::from(count))
    }

    /// Reads the pair at `self.at`, checks it, moves past it.
    #[allow(clippy::type_complexity)]
    fn read(&mut self) -> Result<Option<(&'a [u8], &'a [u8])>, &'static str> {
        let blob = self.blob;
        let last = blob.len() - 1;
        let mut p = self.at;
        let Some(&first) = blob.get(p) else {
            return Err(PAST_END);
        };
        if first == END {
            if self.seen == 0 {
                return Err("zipmap is empty");
            }
            let count = blob[0];
            if count != BIG && usize::from(count) != self.seen {
                return Err("zipmap count does not match its header");
            }
            return Ok(None);
        }
        let field_len = length(blob, &mut p, last)?;
        let field = take(blob, &mut p, field_len, last)?;
        let value_len = length(blob, &mut p, last)?;
        let free = usize::from(*blob.get(p).ok_or(PAST_END)?);
        p += 1;
        let value = take(blob, &mut p, value_len, last)?;
        take(blob, &mut p, free, last)?;
        self.at = p;
        self.seen += 1;
        Ok(Some((field, value)))
    }
}

impl<'a> Iterator for ZipmapPairs<'a> {
    type Item = Result<(&'a [u8], &'a [u8]), &'static str>;

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
        // Every pair takes at least 3 bytes.
        (0, Some((self.blob.len() - self.at) / 3 + 1))
    }
}

/// The error for anything running past the end mark.
const PAST_END: &str = "zipmap entry past the end";

/// Reads a length at `blob[*p..]` (1 or 5 bytes), which must end before the
/// end mark at `last`.
fn length(blob: &[u8], p: &mut usize, last: usize) -> Result<usize, &'static str> {
    let first = *blob.get(*p).ok_or(PAST_END)?;
    if first < BIG {
        *p += 1;
        if *p > last {
            return Err(PAST_END);
        }
        return Ok(usize::from(first));
    }
    let bytes = blob.get(*p + 1..*p + 5).ok_or(PAST_END)?;
    *p += 5;
    if *p > last {
        return Err(PAST_END);
    }
    let len = u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
    usize::try_from(len).map_err(|_| PAST_END)
}

/// `len` bytes at `blob[*p..]`, advancing `*p`, which must stay at or
/// before the end mark at `last`.
fn take<'a>(blob: &'a [u8], p: &mut usize, len: usize, last: usize) -> Result<&'a [u8], &'static str> {
    let end = p.checked_add(len).filter(|&end| end <= last).ok_or(PAST_END)?;
    let bytes = blob.get(*p..end).ok_or(PAST_END)?;
    *p = end;
    Ok(bytes)
}

/// Builds zipmaps from the format, for tests (of this module and of the
/// RDB decoder).
#[cfg(test)]
pub(crate) mod build {
    use alloc::vec::Vec;

    /// Appends a zipmap length.
    fn push_len(out: &mut Vec<u8>, len: usize) {
        if len < 254 {
            out.push(len as u8);
        } else {
            out.push(254);
            out.extend_from_slice(&(len as u32).to_le_bytes());
        }
    }

    /// A zipmap of `pairs`, each value followed by `free` unused bytes.
    pub fn zipmap(pairs: &[(&[u8], &[u8])], free: u8) -> Vec<u8> {
        let mut out = alloc::vec![pairs.len().min(254) as u8];
        for (field, value) in pairs {
            push_len(&mut out, field.len());
            out.extend_from_slice(field);
            push_len(&mut out, value.len());
            out.push(free);
            out.extend_from_slice(value);
            out.extend(core::iter::repeat_n(b'#', usize::from(free)));
        }
        out.push(0xFF);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::build::zipmap;
    use super::*;
    use alloc::vec;
    use alloc::vec::Vec;
    use proptest::prelude::*;

    #[allow(clippy::type_complexity)]
    fn read_all(blob: &[u8]) -> Result<Vec<(&[u8], &[u8])>, &'static str> {
        pairs(blob)?.collect()
    }

    #[test]
    fn reads_pairs() {
        // {"foo" => "bar", "hello" => "world"} as Redis 2.4 wrote it, with
        // one free byte after "bar".
        let blob = [
            2, 3, b'f', b'o', b'o', 3, 1, b'b', b'a', b'r', b'!', 5, b'h', b'e', b'l', b'l', b'o', 5, 0, b'w', b'o',
            b'r', b'l', b'd', 0xFF,
        ];
        assert_eq!(
            read_all(&blob).unwrap(),
            [(&b"foo"[..], &b"bar"[..]), (b"hello", b"world")]
        );
        assert_eq!(pairs(&blob).unwrap().header_count(), Some(2));

        let long = vec![b'v'; 300];
        let built = zipmap(&[(b"", b""), (b"k", &long)], 2);
        assert_eq!(read_all(&built).unwrap(), [(&b""[..], &b""[..]), (b"k", &long[..])]);
        // 254 = count unknown.
        let mut unknown = built.clone();
        unknown[0] = 254;
        assert_eq!(read_all(&unknown).unwrap().len(), 2);
        assert_eq!(pairs(&unknown).unwrap().header_count(), None);
    }

    #[test]
    fn rejects_bad_blobs() {
        let good = zipmap(&[(b"a", b"1"), (b"bb", b"22")], 1);
        assert_eq!(read_all(&good).unwrap().len(), 2);
        assert!(read_all(&[]).is_err());
        assert!(read_all(&[0]).is_err());
        // Empty.
        assert!(read_all(&[0, 0xFF]).is_err());
        assert!(read_all(&[254, 0xFF]).is_err());
        // No end mark.
        assert!(read_all(&good[..good.len() - 1]).is_err());
        // Count mismatch.
        let mut bad = good.clone();
        bad[0] = 3;
        assert!(read_all(&bad).is_err());
        // Lengths running into the end mark.
        for (at, byte) in [(1, 9), (3, 9), (4, 9), (1, 254), (3, 254), (3, 0xFF)] {
            let mut bad = good.clone();
            bad[at] = byte;
            assert!(read_all(&bad).is_err(), "byte {at} = {byte}");
        }
        // A huge free count.
        let mut bad = good.clone();
        bad[4] = 200;
        assert!(read_all(&bad).is_err());
    }

    proptest! {
        #[test]
        fn reads_what_was_built(items in proptest::collection::vec(
            (proptest::collection::vec(any::<u8>(), 0..300), proptest::collection::vec(any::<u8>(), 0..300)), 1..20),
            free in 0u8..5) {
            let pairs_in: Vec<(&[u8], &[u8])> = items.iter().map(|(f, v)| (&f[..], &v[..])).collect();
            let blob = zipmap(&pairs_in, free);
            prop_assert_eq!(read_all(&blob).unwrap(), pairs_in);
        }

        #[test]
        fn never_panics(blob in proptest::collection::vec(any::<u8>(), 0..120)) {
            let _ = read_all(&blob);
            let mut blob = blob;
            if let Some(last) = blob.last_mut() {
                *last = END;
                let _ = read_all(&blob);
            }
        }

        #[test]
        fn damaged_blobs_never_panic(items in proptest::collection::vec(
            (proptest::collection::vec(any::<u8>(), 0..20), proptest::collection::vec(any::<u8>(), 0..300)), 1..6),
            flip in any::<usize>(), bit in 0u8..8, cut in any::<usize>()) {
            let pairs_in: Vec<(&[u8], &[u8])> = items.iter().map(|(f, v)| (&f[..], &v[..])).collect();
            let mut blob = zipmap(&pairs_in, 1);
            let _ = read_all(&blob[..cut % blob.len()]);
            let at = flip % blob.len();
            blob[at] ^= 1 << bit;
            let _ = read_all(&blob);
        }
    }
}
