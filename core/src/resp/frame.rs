//! Decoding any RESP2 or RESP3 value: what a replica reads from its master
//! during the handshake, and what tests read from a server.
//!
//! Decoding is two steps, as in mini-redis: [`check`] finds whether a whole
//! frame is buffered and how long it is (`Incomplete` is a normal outcome),
//! then [`parse`] builds it. Lengths from the wire are checked against
//! [`FrameLimits`] before anything is reserved.

use alloc::boxed::Box;
use alloc::vec::Vec;

/// A RESP value.
#[derive(Clone, Debug, PartialEq)]
pub enum Frame {
    /// `+text`.
    Simple(Vec<u8>),
    /// `-text`.
    Error(Vec<u8>),
    /// `:n`.
    Integer(i64),
    /// `$n` bulk string.
    Bulk(Vec<u8>),
    /// `$-1` or `*-1` (RESP2) or `_` (RESP3).
    Null,
    /// `*n`.
    Array(Vec<Frame>),
    /// `,value` (kept as text: its exact digits matter).
    Double(Vec<u8>),
    /// `#t` / `#f`.
    Boolean(bool),
    /// `(digits`.
    BigNumber(Vec<u8>),
    /// `=n` with its 3-byte format.
    Verbatim([u8; 3], Vec<u8>),
    /// `%n` pairs.
    Map(Vec<(Frame, Frame)>),
    /// `~n`.
    Set(Vec<Frame>),
    /// `>n`.
    Push(Vec<Frame>),
    /// `|n` attribute pairs followed by the value they describe.
    Attribute(Vec<(Frame, Frame)>, Box<Frame>),
}

/// Bounds on what a peer may declare.
#[derive(Clone, Copy, Debug)]
pub struct FrameLimits {
    /// Largest bulk string.
    pub max_bulk_len: usize,
    /// Largest aggregate element count.
    pub max_elements: usize,
    /// Deepest nesting.
    pub max_depth: usize,
}

impl Default for FrameLimits {
    fn default() -> Self {
        FrameLimits {
            max_bulk_len: 512 * 1024 * 1024,
            max_elements: 1 << 31,
            max_depth: 128,
        }
    }
}

/// Why a frame could not be decoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum FrameError {
    /// More bytes are needed.
    Incomplete,
    /// The bytes can never form a valid frame; the offset of the problem.
    Invalid(usize),
    /// A declared length or nesting exceeds the limits.
    TooLarge(usize),
}

/// Length of the complete frame at the start of `buffer`.
pub fn check(buffer: &[u8], limits: &FrameLimits) -> Result<usize, FrameError> {
    let mut pos = 0;
    skip(buffer, &mut pos, limits, 0)?;
    Ok(pos)
}

/// Decodes the frame at the start of `buffer`, returning it and its length.
pub fn parse(buffer: &[u8], limits: &FrameLimits) -> Result<(Frame, usize), FrameError> {
    check(buffer, limits)?;
    let mut pos = 0;
    let frame = build(buffer, &mut pos)?;
    Ok((frame, pos))
}

fn line<'a>(buffer: &'a [u8], pos: &mut usize) -> Result<&'a [u8], FrameError> {
    let rest = &buffer[*pos..];
    let end = rest
        .windows(2)
        .position(|w| w == b"\r\n")
        .ok_or(FrameError::Incomplete)?;
    *pos += end + 2;
    Ok(&rest[..end])
}

fn number(text: &[u8], at: usize) -> Result<i64, FrameError> {
    core::str::from_utf8(text)
        .ok()
        .and_then(|t| t.parse().ok())
        .ok_or(FrameError::Invalid(at))
}

fn count(text: &[u8], at: usize, max: usize) -> Result<Option<usize>, FrameError> {
    let n = number(text, at)?;
    if n < 0 {
        return if n == -1 {
            Ok(None)
        } else {
            Err(FrameError::Invalid(at))
        };
    }
    let n = usize::try_from(n).map_err(|_| FrameError::TooLarge(at))?;
    if n > max {
        return Err(FrameError::TooLarge(at));
    }
    Ok(Some(n))
}

fn skip(buffer: &[u8], pos: &mut usize, limits: &FrameLimits, depth: usize) -> Result<(), FrameError> {
    if depth > limits.max_depth {
        return Err(FrameError::TooLarge(*pos));
    }
    let at = *pos;
    let kind = *buffer.get(*pos).ok_or(FrameError::Incomplete)?;
    *pos += 1;
    let header = line(buffer, pos)?;
    match kind {
        b'+' | b'-' | b'(' | b',' => Ok(()),
        b':' => number(header, at).map(|_| ()),
        b'_' => (header.is_empty()).then_some(()).ok_or(FrameError::Invalid(at)),
        b'#' => matches!(header, b"t" | b"f")
            .then_some(())
            .ok_or(FrameError::Invalid(at)),
        b'$' | b'=' | b'!' => {
            let Some(len) = count(header, at, limits.max_bulk_len)? else {
                return Ok(());
            };
            if buffer.len() - *pos < len + 2 {
                return Err(FrameError::Incomplete);
            }
            if &buffer[*pos + len..*pos + len + 2] != b"\r\n" {
                return Err(FrameError::Invalid(*pos + len));
            }
            *pos += len + 2;
            Ok(())
        }
        b'*' | b'~' | b'>' | b'%' | b'|' => {
            let Some(n) = count(header, at, limits.max_elements)? else {
                return Ok(());
            };
            let elements = if matches!(kind, b'%' | b'|') { n * 2 } else { n };
            for _ in 0..elements {
                skip(buffer, pos, limits, depth + 1)?;
            }
            if kind == b'|' {
                skip(buffer, pos, limits, depth + 1)?;
            }
            Ok(())
        }
        _ => Err(FrameError::Invalid(at)),
    }
}

fn build(buffer: &[u8], pos: &mut usize) -> Result<Frame, FrameError> {
    let at = *pos;
    let kind = buffer[*pos];
    *pos += 1;
    let header = line(buffer, pos)?;
    let frame = match kind {
        b'+' => Frame::Simple(header.to_vec()),
        b'-' => Frame::Error(header.to_vec()),
        b':' => Frame::Integer(number(header, at)?),
        b'(' => Frame::BigNumber(header.to_vec()),
        b',' => Frame::Double(header.to_vec()),
        b'_' => Frame::Null,
        b'#' => Frame::Boolean(header == b"t"),
        b'$' | b'=' | b'!' => match count(header, at, usize::MAX)? {
            None => Frame::Null,
            Some(len) => {
                let data = buffer[*pos..*pos + len].to_vec();
                *pos += len + 2;
                match kind {
                    b'=' if len >= 4 => Frame::Verbatim([data[0], data[1], data[2]], data[4..].to_vec()),
                    b'!' => Frame::Error(data),
                    _ => Frame::Bulk(data),
                }
            }
        },
        _ => {
            let Some(n) = count(header, at, usize::MAX)? else {
                return Ok(Frame::Null);
            };
            match kind {
                b'%' | b'|' => {
                    let mut pairs = Vec::with_capacity(n.min(1024));
                    for _ in 0..n {
                        let key = build(buffer, pos)?;
                        pairs.push((key, build(buffer, pos)?));
                    }
                    if kind == b'|' {
                        Frame::Attribute(pairs, Box::new(build(buffer, pos)?))
                    } else {
                        Frame::Map(pairs)
                    }
                }
                _ => {
                    let mut items = Vec::with_capacity(n.min(1024));
                    for _ in 0..n {
                        items.push(build(buffer, pos)?);
                    }
                    match kind {
                        b'~' => Frame::Set(items),
                        b'>' => Frame::Push(items),
                        _ => Frame::Array(items),
                    }
                }
            }
        }
    };
    Ok(frame)
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    #[test]
    fn parses_resp3_values_and_reports_length() {
        let bytes = b"%1\r\n+k\r\n*2\r\n:1\r\n$-1\r\nrest";
        let (frame, len) = parse(bytes, &FrameLimits::default()).unwrap();
        assert_eq!(len, bytes.len() - 4);
        assert_eq!(
            frame,
            Frame::Map(vec![(
                Frame::Simple(b"k".to_vec()),
                Frame::Array(vec![Frame::Integer(1), Frame::Null])
            )])
        );
    }

    #[test]
    fn incomplete_vs_invalid_vs_too_large() {
        let limits = FrameLimits::default();
        for cut in 0..12 {
            assert_eq!(
                check(&b"*1\r\n$3\r\nabc\r\n"[..cut], &limits),
                Err(FrameError::Incomplete)
            );
        }
        assert_eq!(check(b"?\r\n", &limits), Err(FrameError::Invalid(0)));
        assert_eq!(check(b"$3\r\nabcXY", &limits), Err(FrameError::Invalid(7)));
        let tight = FrameLimits {
            max_bulk_len: 2,
            ..limits
        };
        assert_eq!(check(b"$3\r\n", &tight), Err(FrameError::TooLarge(0)));
    }
}
