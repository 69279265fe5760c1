//! Redis's intset blob, how a set of integers is stored (RDB type 11,
//! `RDB_TYPE_SET_INTSET`).
//!
//! # Format
//! `encoding` (u32 LE: 2, 4 or 8, the byte width of every value), `length`
//! (u32 LE), then `length` values of that width, little-endian two's
//! complement, strictly ascending. Redis widens the encoding when a value
//! needs it and never narrows it again, so a loaded blob may use a wider
//! encoding than its values need; [`encode`] always picks the narrowest,
//! as a freshly built intset has.

use alloc::vec::Vec;

/// Bytes before the values.
const HEADER: usize = 8;

/// The values of an intset blob, ascending.
///
/// Checks what Redis's `intsetValidateIntegrity` checks on load: a known
/// encoding, a size of exactly `8 + length × encoding`, at least one value
/// (Redis never stores an empty set), and strictly ascending values.
pub fn decode(blob: &[u8]) -> Result<Vec<i64>, &'static str> {
    let mut values = Vec::new();
    for value in values_of(blob)? {
        values.push(value?);
    }
    Ok(values)
}

/// Like [`decode`] but yields the values one by one without allocating;
/// the header and size are checked before the first value, the order as
/// values are read (an `Err` ends the iteration).
pub fn values_of(blob: &[u8]) -> Result<Values<'_>, &'static str> {
    let (Some(encoding), Some(length)) = (read_u32(blob, 0), read_u32(blob, 4)) else {
        return Err("intset shorter than its header");
    };
    let width = match encoding {
        2 | 4 | 8 => encoding as usize,
        _ => return Err("intset encoding is not 2, 4 or 8"),
    };
    let body = &blob[HEADER..];
    if (length as u64).checked_mul(width as u64) != Some(body.len() as u64) {
        return Err("intset size does not match its length");
    }
    if length == 0 {
        return Err("intset is empty");
    }
    Ok(Values {
        body,
        width,
        previous: None,
        failed: false,
    })
}

/// Iterator over an intset's values (see [`values_of`]).
#[derive(Clone, Debug)]
pub struct Values<'a> {
    /// Values not read yet.
    body: &'a [u8],
    /// Bytes per value.
    width: usize,
    /// The last value read, to check the order.
    previous: Option<i64>,
    /// Set after an error: the iteration is over.
    failed: bool,
}

impl Iterator for Values<'_> {
    type Item = Result<i64, &'static str>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        let (bytes, rest) = self.body.split_at_checked(self.width)?;
        self.body = rest;
        let value = match *bytes {
            [a, b] => i64::from(i16::from_le_bytes([a, b])),
            [a, b, c, d] => i64::from(i32::from_le_bytes([a, b, c, d])),
            [a, b, c, d, e, f, g, h] => i64::from_le_bytes([a, b, c, d, e, f, g, h]),
            _ => return None,
        };
        if self.previous.is_some_and(|previous| value <= previous) {
            self.failed = true;
            return Some(Err("intset values are not strictly ascending"));
        }
        self.previous = Some(value);
        Some(Ok(value))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = if self.failed { 0 } else { self.body.len() / self.width };
        (0, Some(left))
    }
}

/// Appends the intset blob of `sorted` (ascending, without duplicates: the
/// caller's set order) to `out`, with the narrowest encoding that holds
/// every value, as Redis's `intsetAdd` chooses.
pub fn encode(sorted: &[i64], out: &mut Vec<u8>) {
    encode_at_least(sorted, 2, out);
}

/// Like [`encode`], with at least `min_width` bytes per integer: Redis
/// keeps an intset as wide as the widest member it ever held.
pub fn encode_at_least(sorted: &[i64], min_width: usize, out: &mut Vec<u8>) {
    let needed = match (sorted.first(), sorted.last()) {
        (Some(&low), Some(&high)) => width_of(low).max(width_of(high)),
        _ => 2,
    };
    let width = usize::from(needed).max(min_width.min(8));
    out.reserve(HEADER + sorted.len() * width);
    out.extend_from_slice(&(width as u32).to_le_bytes());
    out.extend_from_slice(&(sorted.len() as u32).to_le_bytes());
    for &value in sorted {
        match width {
            2 => out.extend_from_slice(&(value as i16).to_le_bytes()),
            4 => out.extend_from_slice(&(value as i32).to_le_bytes()),
            _ => out.extend_from_slice(&value.to_le_bytes()),
        }
    }
}

/// Bytes Redis's intset needs for `value` (`_intsetValueEncoding`).
pub fn width_of(value: i64) -> u8 {
    if i16::try_from(value).is_ok() {
        2
    } else if i32::try_from(value).is_ok() {
        4
    } else {
        8
    }
}

/// The little-endian u32 at `blob[at..at + 4]`, if there.
fn read_u32(blob: &[u8], at: usize) -> Option<u32> {
    let bytes = blob.get(at..at + 4)?;
    Some(u32::from_le_bytes(bytes.try_into().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;
    use proptest::prelude::*;

    /// The intset inside a Redis `DUMP` of a set: type 11, a 1-byte RDB
    /// string length, the blob, then version and checksum (10 bytes).
    fn blob_of(dump: &[u8]) -> &[u8] {
        assert_eq!(dump[0], 11);
        let len = usize::from(dump[1]);
        assert!(len < 64);
        assert_eq!(dump.len(), 2 + len + 10);
        &dump[2..2 + len]
    }

    #[test]
    fn matches_redis_blobs() {
        let cases: [(&[u8], Vec<i64>); 3] = [
            (include_bytes!("testdata/s16.dump"), vec![-32768, -5, 1, 2, 3, 32767]),
            (
                include_bytes!("testdata/s32.dump"),
                vec![-2_147_483_648, -5, 1, 100_000],
            ),
            (
                include_bytes!("testdata/s64.dump"),
                vec![i64::MIN, -5, 1, 100_000, 1 << 40, i64::MAX],
            ),
        ];
        for (dump, values) in cases {
            let blob = blob_of(dump);
            assert_eq!(decode(blob).unwrap(), values);
            let mut out = vec![7];
            encode(&values, &mut out);
            assert_eq!(&out[1..], blob);
        }
    }

    #[test]
    fn rejects_bad_blobs() {
        assert!(decode(b"").is_err());
        assert!(decode(&[2, 0, 0, 0, 1, 0, 0]).is_err());
        // Empty.
        assert!(decode(&[2, 0, 0, 0, 0, 0, 0, 0]).is_err());
        // Unknown encoding.
        assert!(decode(&[3, 0, 0, 0, 1, 0, 0, 0, 1, 2, 3]).is_err());
        // Size mismatch, either way.
        assert!(decode(&[2, 0, 0, 0, 2, 0, 0, 0, 1, 0]).is_err());
        assert!(decode(&[2, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0]).is_err());
        // A huge length does not overflow.
        assert!(decode(&[8, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 1]).is_err());
        // Duplicates and descending values.
        assert!(decode(&[2, 0, 0, 0, 2, 0, 0, 0, 1, 0, 1, 0]).is_err());
        assert!(decode(&[2, 0, 0, 0, 2, 0, 0, 0, 2, 0, 1, 0]).is_err());
        // A wider encoding than needed is fine (Redis never narrows).
        assert_eq!(decode(&[4, 0, 0, 0, 1, 0, 0, 0, 7, 0, 0, 0]).unwrap(), [7]);
        let mut values = values_of(&[2, 0, 0, 0, 3, 0, 0, 0, 1, 0, 0, 0, 9, 0]).unwrap();
        assert_eq!(values.next(), Some(Ok(1)));
        assert!(matches!(values.next(), Some(Err(_))));
        assert_eq!(values.next(), None);
    }

    #[test]
    fn encodes_the_narrowest_width() {
        let mut out = Vec::new();
        encode(&[], &mut out);
        assert_eq!(out, [2, 0, 0, 0, 0, 0, 0, 0]);
        out.clear();
        encode(&[-32769, 0], &mut out);
        assert_eq!(out[0], 4);
        out.clear();
        encode(&[0, 2_147_483_648], &mut out);
        assert_eq!(out[0], 8);
    }

    proptest! {
        #[test]
        fn round_trips(values in proptest::collection::btree_set(
            prop_oneof![any::<i16>().prop_map(i64::from), any::<i32>().prop_map(i64::from), any::<i64>()], 1..50)) {
            let values: Vec<i64> = values.into_iter().collect();
            let mut out = Vec::new();
            encode(&values, &mut out);
            prop_assert_eq!(decode(&out).unwrap(), values);
        }

        #[test]
        fn never_panics(blob in proptest::collection::vec(any::<u8>(), 0..80)) {
            let _ = decode(&blob);
        }

        #[test]
        fn damaged_blobs_never_panic(values in proptest::collection::btree_set(any::<i32>(), 1..20),
                                     flip in any::<usize>(), bit in 0u8..8, cut in any::<usize>()) {
            let values: Vec<i64> = values.into_iter().map(i64::from).collect();
            let mut out = Vec::new();
            encode(&values, &mut out);
            let _ = decode(&out[..cut % out.len()]);
            let at = flip % out.len();
            out[at] ^= 1 << bit;
            let _ = decode(&out);
        }
    }
}
