//! Reading RDB primitives from bytes that may stop anywhere.
//!
//! A [`Cursor`] reads from the bytes received so far. When they end
//! before the element does, it answers [`Stop::More`] and the decoder
//! retries the whole step once more bytes have come: a step is always
//! small (a length, one string, a key's opcode), so nothing is parsed
//! twice but the element the chunk boundary cut.

use super::lzf;
use alloc::string::String;
use alloc::vec::Vec;

/// Why a read stopped.
#[derive(Debug)]
pub(crate) enum Stop {
    /// The bytes end before the element: feed more and retry.
    More,
    /// The element is malformed; the reason, and the cursor position (from
    /// the step's start) where it was found.
    Bad(String, usize),
}

/// A read's result.
pub(crate) type Read<T> = Result<T, Stop>;

/// Shorthand for a malformed-element stop at `at`.
pub(crate) fn bad<T>(reason: impl Into<String>, at: usize) -> Read<T> {
    Err(Stop::Bad(reason.into(), at))
}

/// A length as stored (`rdbLoadLen`): a count, or the marker of an
/// encoded string.
pub(crate) enum Length {
    /// A plain length.
    Plain(u64),
    /// `RDB_ENCVAL`: a string stored as an integer or compressed.
    Encoded(u8),
}

/// A string as read: borrowed from the input when stored raw.
pub(crate) enum Str<'a> {
    /// Raw bytes.
    Bytes(&'a [u8]),
    /// LZF-compressed, decompressed here.
    Owned(Vec<u8>),
    /// Integer-encoded (`RDB_ENC_INT8/16/32`).
    Int(i64),
}

impl Str<'_> {
    /// Calls `f` with the bytes (integers as their decimal text).
    // On every snapshot key's path: see `rdb::decoder`.
    #[inline(always)]
    pub(crate) fn with_bytes<R>(&self, f: impl FnOnce(&[u8]) -> R) -> R {
        match self {
            Str::Bytes(bytes) => f(bytes),
            Str::Owned(bytes) => f(bytes),
            Str::Int(n) => f(itoa::Buffer::new().format(*n).as_bytes()),
        }
    }

    /// The bytes as a new vector.
    pub(crate) fn to_vec(&self) -> Vec<u8> {
        self.with_bytes(<[u8]>::to_vec)
    }
}

/// A position in the bytes received so far.
pub(crate) struct Cursor<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    pub(crate) fn new(bytes: &'a [u8]) -> Self {
        Cursor { bytes, pos: 0 }
    }

    /// Bytes read so far.
    pub(crate) fn pos(&self) -> usize {
        self.pos
    }

    /// Bytes received and not read yet.
    pub(crate) fn remaining(&self) -> usize {
        self.bytes.len() - self.pos
    }

    /// The next `n` bytes.
    pub(crate) fn take(&mut self, n: usize) -> Read<&'a [u8]> {
        let end = self.pos.checked_add(n).ok_or(Stop::More)?;
        let slice = self.bytes.get(self.pos..end).ok_or(Stop::More)?;
        self.pos = end;
        Ok(slice)
    }

    pub(crate) fn u8(&mut self) -> Read<u8> {
        Ok(self.take(1)?[0])
    }

    fn array<const N: usize>(&mut self) -> Read<[u8; N]> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N)?);
        Ok(out)
    }

    pub(crate) fn u32_le(&mut self) -> Read<u32> {
        Ok(u32::from_le_bytes(self.array()?))
    }

    pub(crate) fn i64_le(&mut self) -> Read<i64> {
        Ok(i64::from_le_bytes(self.array()?))
    }

    pub(crate) fn u64_le(&mut self) -> Read<u64> {
        Ok(u64::from_le_bytes(self.array()?))
    }

    /// A binary double (`rdbLoadBinaryDoubleValue`).
    pub(crate) fn f64_le(&mut self) -> Read<f64> {
        Ok(f64::from_le_bytes(self.array()?))
    }

    /// A length or an encoded-string marker (`rdbLoadLenByRef`).
    pub(crate) fn length_or_encoding(&mut self) -> Read<Length> {
        let at = self.pos;
        let first = self.u8()?;
        Ok(match first >> 6 {
            0 => Length::Plain(u64::from(first & 0x3f)),
            1 => Length::Plain((u64::from(first & 0x3f) << 8) | u64::from(self.u8()?)),
            3 => Length::Encoded(first & 0x3f),
            _ => match first {
                0x80 => Length::Plain(u64::from(u32::from_be_bytes(self.array()?))),
                0x81 => Length::Plain(u64::from_be_bytes(self.array()?)),
                _ => return bad(alloc::format!("Unknown length encoding {} in rdbLoadLen()", first), at),
            },
        })
    }

    /// A plain length (`rdbLoadLen`).
    pub(crate) fn length(&mut self) -> Read<u64> {
        let at = self.pos;
        match self.length_or_encoding()? {
            Length::Plain(n) => Ok(n),
            Length::Encoded(_) => bad("Unexpected encoded length", at),
        }
    }

    /// A length that must fit in memory (a string's byte count).
    fn size(&mut self) -> Read<usize> {
        let at = self.pos;
        let n = self.length()?;
        usize::try_from(n).or_else(|_| bad(alloc::format!("String length {} too large", n), at))
    }

    /// A string (`rdbGenericLoadStringObject`).
    pub(crate) fn string(&mut self) -> Read<Str<'a>> {
        let at = self.pos;
        match self.length_or_encoding()? {
            Length::Plain(n) => {
                let n = usize::try_from(n).or_else(|_| bad(alloc::format!("String length {} too large", n), at))?;
                Ok(Str::Bytes(self.take(n)?))
            }
            Length::Encoded(0) => Ok(Str::Int(i64::from(self.u8()? as i8))),
            Length::Encoded(1) => Ok(Str::Int(i64::from(i16::from_le_bytes(self.array()?)))),
            Length::Encoded(2) => Ok(Str::Int(i64::from(i32::from_le_bytes(self.array()?)))),
            Length::Encoded(3) => {
                let compressed_len = self.size()?;
                let len = self.size()?;
                let compressed = self.take(compressed_len)?;
                match lzf::decompress(compressed, len) {
                    Ok(bytes) => Ok(Str::Owned(bytes)),
                    Err(reason) => bad(alloc::format!("Invalid LZF compressed string: {}", reason), at),
                }
            }
            Length::Encoded(other) => bad(alloc::format!("Unknown RDB string encoding type {}", other), at),
        }
    }

    /// [`Cursor::string`] made for the load loop, which inlines it: a raw
    /// string whose length takes one or two bytes (a snapshot's keys and
    /// most of its values) is read here; any other form goes the general
    /// way.
    // On every snapshot key's path: see `rdb::decoder`.
    #[inline(always)]
    pub(crate) fn short_string(&mut self) -> Read<Str<'a>> {
        let (len, header) = match self.bytes.get(self.pos) {
            Some(&first) if first < 0x40 => (usize::from(first), 1),
            Some(&first) if first < 0x80 => match self.bytes.get(self.pos + 1) {
                Some(&second) => ((usize::from(first & 0x3f) << 8) | usize::from(second), 2),
                None => return Err(Stop::More),
            },
            _ => return self.string(),
        };
        let start = self.pos + header;
        let bytes = self.bytes.get(start..start + len).ok_or(Stop::More)?;
        self.pos = start + len;
        Ok(Str::Bytes(bytes))
    }

    /// A score stored as text (`rdbLoadDoubleValue`, sorted sets before
    /// RDB 8): a length byte, with 253, 254 and 255 for NaN, +inf and -inf.
    pub(crate) fn text_double(&mut self) -> Read<f64> {
        let at = self.pos;
        let len = self.u8()?;
        match len {
            253 => Ok(f64::NAN),
            254 => Ok(f64::INFINITY),
            255 => Ok(f64::NEG_INFINITY),
            _ => {
                let text = self.take(usize::from(len))?;
                match core::str::from_utf8(text).ok().and_then(|t| t.parse::<f64>().ok()) {
                    Some(value) => Ok(value),
                    None => bad("Invalid double value", at),
                }
            }
        }
    }
}
