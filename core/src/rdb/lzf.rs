//! LZF, the compression Redis applies to RDB strings longer than 20 bytes
//! (`rdbcompression yes`), compatible with liblzf 3.6 as Redis builds it.
//!
//! # Format
//! A sequence of commands, each opening with a control byte `c`:
//! - `c < 32`: a literal run; the next `c + 1` bytes are copied as they are.
//! - otherwise a back-reference: length `l = c >> 5` (if `l == 7`, one more
//!   byte is added to it), then one byte `o`; it copies `l + 2` bytes starting
//!   `((c & 31) << 8) + o + 1` bytes back in the output, possibly overlapping
//!   what it writes (runs).
//!
//! # The compressor
//! [`Compressor`] produces the same bytes as liblzf with Redis's settings
//! (a 2^16-slot hash of the next three bytes, "very fast" mode: after a match
//! only its last two positions are hashed; offsets below 8192, matches of
//! 3..=264 bytes, never a reference to the input's first byte) and gives up
//! at the same point when the output would not fit in `input.len() - 4`
//! bytes, so a snapshot or `DUMP` payload has Redis's bytes (checked
//! against liblzf on fixtures). It is written by hand rather than taken from
//! a crate (`lzf` 1.0 is deprecated, `lzf-rust` 0.1 has had one release):
//! neither promises liblzf's exact output nor a decompressed allocation
//! bounded by the input's size, and LZF is small. (Redis leaves liblzf's
//! table uninitialised between calls; a stale slot could only change its
//! output where a 3-byte sequence repeats one skipped inside an earlier
//! match, and 20 000 varied inputs compressed in a row by Redis's lzf_c.c
//! came out byte for byte as here.)
//!
//! The hash table (256 KiB) is reused across calls without clearing:
//! every slot holds `base + position`, and each call moves `base` past the
//! positions of the previous one, so old slots read as empty. The free
//! function [`compress`] allocates one table per call; an encoder that
//! compresses many strings keeps a [`Compressor`].
//!
//! # The decompressor
//! [`decompress`] is total: any input gives the expected bytes or an error,
//! and it refuses before allocating when `expected_len` could not come out
//! of an input that short (a 3-byte back-reference yields at most 264 bytes:
//! at most 88 output bytes per input byte).

use alloc::boxed::Box;
use alloc::vec;
use alloc::vec::Vec;

/// log2 of the hash table's slot count (liblzf's `HLOG`, as Redis sets it).
const HASH_LOG: u32 = 16;
/// Slots in the hash table.
const HASH_SIZE: usize = 1 << HASH_LOG;
/// Longest literal run one control byte announces.
const MAX_LITERAL: usize = 1 << 5;
/// Back-references reach at most this many bytes back.
const MAX_OFFSET: usize = 1 << 13;
/// Longest back-reference: 7 + 255 from the length fields, plus 2.
const MAX_MATCH: usize = (1 << 8) + (1 << 3);
/// Most output bytes one input byte can stand for (a 3-byte reference
/// copying [`MAX_MATCH`] bytes).
pub const MAX_EXPANSION: usize = MAX_MATCH / 3;

/// An LZF compressor owning its hash table, for compressing many strings
/// without allocating per string.
pub struct Compressor {
    /// `base + position` of the last input position seen with each hash.
    table: Box<[u32]>,
    /// Slots holding `base` or less belong to earlier calls.
    base: u32,
}

impl Default for Compressor {
    fn default() -> Self {
        Self::new()
    }
}

impl core::fmt::Debug for Compressor {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Compressor")
            .field("base", &self.base)
            .finish_non_exhaustive()
    }
}

impl Compressor {
    /// A compressor with an empty table (allocates 256 KiB of zeroes).
    pub fn new() -> Self {
        Compressor {
            table: vec![0u32; HASH_SIZE].into_boxed_slice(),
            base: 0,
        }
    }

    /// Appends the compressed form of `input` to `out` and returns true, or
    /// returns false and leaves `out` as it was when that form would not fit
    /// in `input.len() - 4` bytes (Redis then stores the string raw: see
    /// `rdbSaveLzfStringObject`). Inputs of 4 bytes or less, and of 4 GiB or
    /// more, are never compressed.
    pub fn compress(&mut self, input: &[u8], out: &mut Vec<u8>) -> bool {
        let n = input.len();
        if n <= 4 || n >= u32::MAX as usize {
            return false;
        }
        if (u32::MAX - self.base) as usize <= n {
            self.table.fill(0);
            self.base = 0;
        }
        let base = self.base;
        // Positions of this call are stored as base + 0 ..= base + n - 3;
        // the next call must see all of them as stale.
        self.base = base + n as u32;
        let Ok(table) = <&mut [u32; HASH_SIZE]>::try_from(&mut self.table[..]) else {
            return false;
        };
        let start = out.len();
        if compress_block(table, base, input, out) {
            true
        } else {
            out.truncate(start);
            false
        }
    }
}

/// Hash-table slot for the three bytes in the low 24 bits of `window`.
#[inline(always)]
fn slot_of(window: u32) -> usize {
    ((window >> (24 - HASH_LOG)).wrapping_sub(window.wrapping_mul(5)) as usize) & (HASH_SIZE - 1)
}

/// Number of equal bytes at `input[earlier..]` and `input[later..]`,
/// counting from index 3 up to `cap` (the first three are known equal).
#[inline(always)]
fn match_length(input: &[u8], earlier: usize, later: usize, cap: usize) -> usize {
    let mut len = 3;
    while len + 8 <= cap {
        let (Some(a), Some(b)) = (
            input.get(earlier + len..earlier + len + 8),
            input.get(later + len..later + len + 8),
        ) else {
            return len;
        };
        let (Ok(a), Ok(b)) = (<[u8; 8]>::try_from(a), <[u8; 8]>::try_from(b)) else {
            return len;
        };
        let diff = u64::from_le_bytes(a) ^ u64::from_le_bytes(b);
        if diff != 0 {
            return len + (diff.trailing_zeros() / 8) as usize;
        }
        len += 8;
    }
    while len < cap && input.get(earlier + len) == input.get(later + len) {
        len += 1;
    }
    len
}

/// The literal run being written: the index in `out` of its control
/// byte, reserved before its length is known, and the bytes so far.
struct LiteralRun {
    control: usize,
    len: usize,
}

impl LiteralRun {
    /// Starts a run at the end of `out`.
    fn open(out: &mut Vec<u8>) -> Self {
        out.push(0);
        LiteralRun {
            control: out.len() - 1,
            len: 0,
        }
    }

    /// Appends `byte`, starting a new run when this one is full.
    fn push(&mut self, out: &mut Vec<u8>, byte: u8) {
        out.push(byte);
        self.len += 1;
        if self.len == MAX_LITERAL {
            out[self.control] = (MAX_LITERAL - 1) as u8;
            *self = LiteralRun::open(out);
        }
    }

    /// Ends the run: writes its control byte, or drops it when unused.
    fn close(&self, out: &mut Vec<u8>) {
        if self.len > 0 {
            out[self.control] = (self.len - 1) as u8;
        } else {
            out.pop();
        }
    }
}

/// Compresses `input` (more than 4 bytes) onto `out`; false when the
/// result would not fit in `input.len() - 4` bytes (`out` then holds
/// garbage past its old length, which the caller cuts).
fn compress_block(table: &mut [u32; HASH_SIZE], base: u32, input: &[u8], out: &mut Vec<u8>) -> bool {
    let n = input.len();
    let limit = n - 4;
    let start = out.len();
    out.reserve(limit);
    let mut literal = LiteralRun::open(out);
    let mut ip = 0usize;
    let (Some(&b0), Some(&b1)) = (input.first(), input.get(1)) else {
        return false;
    };
    let mut window = (u32::from(b0) << 8) | u32::from(b1);

    while ip + 2 < n {
        let Some(&next) = input.get(ip + 2) else {
            return false;
        };
        window = (window << 8) | u32::from(next);
        let slot = &mut table[slot_of(window)];
        let stored = *slot;
        *slot = base + ip as u32;

        // A candidate from this call (not position 0, which liblzf cannot
        // tell from an empty slot), close enough, with the same 3 bytes.
        let candidate = if stored > base {
            Some((stored - base) as usize)
        } else {
            None
        };
        let found = candidate.filter(|&earlier| {
            earlier < ip && ip - earlier - 1 < MAX_OFFSET && input.get(earlier..earlier + 3) == input.get(ip..ip + 3)
        });

        if let Some(earlier) = found {
            let written = out.len() - start;
            if written - usize::from(literal.len == 0) + 4 >= limit {
                return false;
            }
            literal.close(out);
            let max_len = (n - ip - 2).min(MAX_MATCH);
            // liblzf's unrolled first 16 comparisons may run up to 19 bytes.
            let cap = if max_len > 16 { max_len.max(19) } else { max_len.max(3) };
            let len = match_length(input, earlier, ip, cap);
            let offset = ip - earlier - 1;
            let code = len - 2;
            if code < 7 {
                out.push(((offset >> 8) + (code << 5)) as u8);
            } else {
                out.push(((offset >> 8) + (7 << 5)) as u8);
                out.push((code - 7) as u8);
            }
            out.push(offset as u8);
            literal = LiteralRun::open(out);

            ip += len;
            if ip + 2 >= n {
                break;
            }
            // Hash the match's last two positions only ("very fast").
            let (Some(&p0), Some(&p1), Some(&p2), Some(&p3)) =
                (input.get(ip - 2), input.get(ip - 1), input.get(ip), input.get(ip + 1))
            else {
                return false;
            };
            window = (u32::from(p0) << 16) | (u32::from(p1) << 8) | u32::from(p2);
            table[slot_of(window)] = base + (ip - 2) as u32;
            window = (window << 8) | u32::from(p3);
            table[slot_of(window)] = base + (ip - 1) as u32;
        } else {
            if out.len() - start >= limit {
                return false;
            }
            literal.push(out, input[ip]);
            ip += 1;
        }
    }

    // The last one or two bytes go as literals.
    if out.len() - start + 3 > limit {
        return false;
    }
    for &byte in &input[ip.min(n)..] {
        literal.push(out, byte);
    }
    literal.close(out);
    true
}

/// Appends the compressed form of `input` to `out` and returns true, or
/// returns false and leaves `out` unchanged when the compressed form would
/// not fit in `input.len() - 4` bytes (Redis then stores the string raw; see
/// `rdbSaveLzfStringObject`: it gives lzf_compress an output buffer of
/// `len - 4` bytes). Allocates a 256 KiB table: use a [`Compressor`] for
/// many strings.
pub fn compress(input: &[u8], out: &mut Vec<u8>) -> bool {
    if input.len() <= 4 {
        return false;
    }
    Compressor::new().compress(input, out)
}

/// Decompresses `input`, which must expand to exactly `expected_len` bytes.
/// Rejects (Err) before allocating if `expected_len` is impossible for
/// `input.len()` (LZF expands at most 88 times).
pub fn decompress(input: &[u8], expected_len: usize) -> Result<Vec<u8>, &'static str> {
    let mut out = Vec::new();
    decompress_into(input, expected_len, &mut out)?;
    Ok(out)
}

/// Fails when `input` cannot expand to `expected_len` bytes.
fn check_expansion(input: &[u8], expected_len: usize) -> Result<(), &'static str> {
    if expected_len > input.len().saturating_mul(MAX_EXPANSION) {
        return Err("LZF length larger than the compressed data can expand to");
    }
    if expected_len > 0 && input.is_empty() {
        return Err("LZF data is empty");
    }
    Ok(())
}

/// Like [`decompress`], appending to `out` (whose earlier bytes are never
/// referenced); on error `out` keeps its old length.
pub fn decompress_into(input: &[u8], expected_len: usize, out: &mut Vec<u8>) -> Result<(), &'static str> {
    check_expansion(input, expected_len)?;
    let start = out.len();
    // Zero-filled once (a memset), then written in place: cheaper than
    // growing per command.
    out.resize(start + expected_len, 0);
    let result = expand(input, &mut out[start..]);
    if result.is_err() {
        out.truncate(start);
    }
    result
}

/// The decoding loop of [`decompress_into`]: fills `dst` exactly.
///
/// Short copies move a fixed 16 or 32 bytes when both sides have room: the
/// bytes past the command's end are scratch that later commands overwrite
/// (and a back-reference at least as far back as it is long only reads
/// final bytes for the part it keeps).
fn expand(input: &[u8], dst: &mut [u8]) -> Result<(), &'static str> {
    const OVERFLOW: &str = "LZF data expands past the expected length";
    const TRUNCATED: &str = "LZF data ends inside a command";
    let end = dst.len();
    let mut ip = 0usize;
    let mut op = 0usize;
    while let Some(&control) = input.get(ip) {
        ip += 1;
        let control = usize::from(control);
        if control < MAX_LITERAL {
            let run = control + 1;
            if op + run > end {
                return Err(OVERFLOW);
            }
            if let (Some(src), Some(to)) = (input.get(ip..ip + 32), dst.get_mut(op..op + 32)) {
                to.copy_from_slice(src);
            } else {
                let src = input.get(ip..ip + run).ok_or(TRUNCATED)?;
                dst[op..op + run].copy_from_slice(src);
            }
            ip += run;
            op += run;
        } else {
            let mut len = control >> 5;
            if len == 7 {
                len += usize::from(*input.get(ip).ok_or(TRUNCATED)?);
                ip += 1;
            }
            let low = usize::from(*input.get(ip).ok_or(TRUNCATED)?);
            ip += 1;
            let offset = ((control & 0x1f) << 8) + low + 1;
            let count = len + 2;
            if op + count > end {
                return Err(OVERFLOW);
            }
            if offset > op {
                return Err("LZF back-reference before the start of the data");
            }
            let from = op - offset;
            if offset >= count {
                if count <= 16 && op + 16 <= end {
                    let mut block = [0u8; 16];
                    block.copy_from_slice(&dst[from..from + 16]);
                    dst[op..op + 16].copy_from_slice(&block);
                } else {
                    dst.copy_within(from..from + count, op);
                }
            } else if offset == 1 {
                let byte = dst[from];
                dst[op..op + count].fill(byte);
            } else {
                // Overlapping: copy whole periods of the pattern, doubling.
                let mut done = 0;
                while done < count {
                    let chunk = (count - done).min(op + done - from);
                    dst.copy_within(from..from + chunk, op + done);
                    done += chunk;
                }
            }
            op += count;
        }
    }
    if op != end {
        return Err("LZF data shorter than the expected length");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The bytes Redis's `DUMP` stores for a string it compressed: after the
    /// type byte (0) comes `0xc3` (LZF), the compressed and the plain length
    /// as 1-byte RDB lengths (0..63) or 2-byte ones (`0x40 | hi, lo`).
    fn lzf_from_dump(dump: &[u8]) -> (usize, usize, &[u8]) {
        assert_eq!(&dump[..2], &[0, 0xc3]);
        let mut at = 2;
        let mut read_len = || {
            let first = dump[at];
            if first < 0x40 {
                at += 1;
                usize::from(first)
            } else {
                assert_eq!(first >> 6, 1);
                at += 2;
                (usize::from(first & 0x3f) << 8) | usize::from(dump[at - 1])
            }
        };
        let clen = read_len();
        let len = read_len();
        (clen, len, &dump[at..at + clen])
    }

    fn text_value() -> Vec<u8> {
        let mut unit = Vec::new();
        for _ in 0..3 {
            unit.extend_from_slice(b"The quick brown fox jumps over the lazy dog. ");
        }
        unit.extend_from_slice(b"vitrine redis listpack ziplist intset zipmap 0123456789 ");
        unit.repeat(20)
    }

    #[test]
    fn compresses_as_redis_does() {
        let cases: [(&[u8], Vec<u8>); 2] = [
            (include_bytes!("testdata/short.dump"), vec![b'a'; 31]),
            (include_bytes!("testdata/text.dump"), text_value()),
        ];
        for (dump, plain) in cases {
            let (clen, len, compressed) = lzf_from_dump(dump);
            assert_eq!(len, plain.len());
            let mut out = vec![9];
            assert!(compress(&plain, &mut out));
            assert_eq!(&out[1..], compressed);
            assert_eq!(out.len() - 1, clen);
            assert_eq!(decompress(compressed, len).unwrap(), plain);
        }
    }

    #[test]
    fn fixed_vectors() {
        // Produced by Redis 7.0.15's lzf_compress (output buffer len - 4).
        // Position 0 is never referenced, so "abc..." and "aaa..." start
        // with more literals than needed.
        let cases: [(&[u8], &[u8]); 4] = [
            (
                b"abcabcabcabcabcabcabcabc",
                &[3, b'a', b'b', b'c', b'a', 0xe0, 10, 2, 0, b'c'],
            ),
            (&[b'a'; 40], &[1, b'a', b'a', 0xe0, 27, 0, 1, b'a', b'a']),
            (b"hello hello hello hello world", b"\x06hello h\xe0\x08\x05\x04world"),
            (b"012345678901234567890123456789x", b"\x0a01234567890\xe0\x0a\x09\x00x"),
        ];
        for (plain, compressed) in cases {
            let mut out = Vec::new();
            assert!(compress(plain, &mut out));
            assert_eq!(out, compressed);
            assert_eq!(decompress(compressed, plain.len()).unwrap(), plain);
        }
    }

    /// 30 000 bytes mixing random literals, runs and copies from up to
    /// 9000 bytes back: every command shape (32-byte literal runs, 264-byte
    /// matches, offsets past 8192 that must not be used).
    fn mixed_input() -> Vec<u8> {
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let mut data: Vec<u8> = Vec::new();
        while data.len() < 30_000 {
            match next() % 4 {
                0 => {
                    for _ in 0..next() % 40 {
                        data.push(next() as u8);
                    }
                }
                1 => {
                    let byte = next() as u8;
                    let len = (next() % 600) as usize;
                    data.extend(core::iter::repeat_n(byte, len));
                }
                _ if !data.is_empty() => {
                    let distance = 1 + (next() as usize) % data.len().min(9000);
                    for _ in 0..next() % 300 {
                        data.push(data[data.len() - distance]);
                    }
                }
                _ => data.push(0),
            }
        }
        data
    }

    #[test]
    fn mixed_input_as_liblzf() {
        // testdata/lzf_mixed.lzf: Redis 7.0.15's lzf_compress of
        // mixed_input() with an output buffer of len - 4.
        let input = mixed_input();
        if std::env::var_os("VITRINE_WRITE_LZF_INPUT").is_some() {
            std::fs::write("/tmp/lzf_mixed.input", &input).unwrap();
        }
        let expected = include_bytes!("testdata/lzf_mixed.lzf");
        let mut out = Vec::new();
        assert!(Compressor::new().compress(&input, &mut out));
        assert!(out == expected, "compressed bytes differ from liblzf's");
        assert_eq!(decompress(expected, input.len()).unwrap(), input);
    }

    #[test]
    fn refuses_when_not_worth_it() {
        let mut out = vec![1, 2, 3];
        assert!(!compress(b"", &mut out));
        assert!(!compress(b"aaaa", &mut out));
        let random: Vec<u8> = (0..200u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 7) as u8)
            .collect();
        assert!(!compress(&random, &mut out));
        assert_eq!(out, [1, 2, 3]);
    }

    #[test]
    fn compressor_reuse_gives_fresh_results() {
        let text = text_value();
        let mut fresh = Vec::new();
        assert!(compress(&text, &mut fresh));
        let mut compressor = Compressor::new();
        for _ in 0..3 {
            let mut again = Vec::new();
            assert!(compressor.compress(&text, &mut again));
            assert_eq!(again, fresh);
            let mut other = Vec::new();
            compressor.compress(&text[7..300], &mut other);
        }
        // Wrapping the base clears the table.
        compressor.base = u32::MAX - 10;
        let mut again = Vec::new();
        assert!(compressor.compress(&text, &mut again));
        assert_eq!(again, fresh);
    }

    #[test]
    fn decompress_rejects_bad_input() {
        assert_eq!(decompress(&[], 0).unwrap(), b"");
        assert!(decompress(&[], 1).is_err());
        assert!(decompress(&[0, b'a'], 89 * 2).is_err());
        assert!(decompress(&[0, b'a'], usize::MAX).is_err());
        // Literal run past the end of the input.
        assert!(decompress(&[3, b'a'], 4).is_err());
        // Literal run longer than expected.
        assert!(decompress(&[1, b'a', b'b'], 1).is_err());
        // Shorter than expected.
        assert!(decompress(&[1, b'a', b'b'], 3).is_err());
        // Reference before the start.
        assert!(decompress(&[0, b'a', 0x20, 0x01], 4).is_err());
        // Reference cut short.
        assert!(decompress(&[0, b'a', 0xe0], 20).is_err());
        assert!(decompress(&[0, b'a', 0xe0, 0x00], 20).is_err());
        // Reference past the expected length.
        assert!(decompress(&[0, b'a', 0x20, 0x00], 3).is_err());
        assert_eq!(decompress(&[0, b'a', 0x20, 0x00], 4).unwrap(), b"aaaa");
        let mut out = b"keep".to_vec();
        assert!(decompress_into(&[1, b'a'], 2, &mut out).is_err());
        assert_eq!(out, b"keep");
        assert!(decompress_into(&[0, b'z', 0x20, 0x00], 4, &mut out).is_ok());
        assert_eq!(out, b"keepzzzz");
    }

    fn text_like() -> impl Strategy<Value = Vec<u8>> {
        let words = proptest::sample::select(vec![
            &b"redis "[..],
            b"vitrine ",
            b"key:",
            b"0",
            b"1234",
            b"\x00\xff",
            b"aaaaaaaa",
            b", ",
            b"listpack",
        ]);
        prop_oneof![
            proptest::collection::vec(words, 0..400).prop_map(|w| w.concat()),
            proptest::collection::vec(any::<u8>(), 0..600),
            proptest::collection::vec(0u8..3, 0..2000),
        ]
    }

    proptest! {
        #[test]
        fn round_trips(data in text_like()) {
            let mut out = Vec::new();
            if compress(&data, &mut out) {
                prop_assert!(out.len() <= data.len() - 4);
                prop_assert_eq!(decompress(&out, data.len()).unwrap(), data);
            } else {
                prop_assert!(out.is_empty());
            }
        }

        #[test]
        fn decompress_never_panics(data in proptest::collection::vec(any::<u8>(), 0..300), len in 0usize..3000) {
            if let Ok(out) = decompress(&data, len) {
                prop_assert_eq!(out.len(), len);
            }
        }

        #[test]
        fn damaged_streams_never_panic(data in text_like(), flip in any::<usize>(), bit in 0u8..8, cut in any::<usize>()) {
            let mut out = Vec::new();
            if compress(&data, &mut out) {
                let mut bad = out.clone();
                let at = flip % bad.len();
                bad[at] ^= 1 << bit;
                let _ = decompress(&bad, data.len());
                let _ = decompress(&out[..cut % out.len()], data.len());
            }
        }
    }
}
