//! Parsing client requests: RESP multibulk (`*2\r\n$3\r\nGET\r\n$1\r\nk\r\n`)
//! and the inline form (`GET k\r\n`) that telnet users type.
//!
//! The parser is resumable: a command split across reads is parsed as far
//! as the bytes go and continued when more arrive, without rescanning. A
//! multibulk argument is kept as a range into the caller's buffer (no copy);
//! inline arguments, which may contain escapes, are copied into the parser.
//!
//! Limits and error texts are Redis 7.0's (`networking.c`): a violation is a
//! [`ProtocolError`] whose text the server sends as `-ERR Protocol error: …`
//! before closing the connection. Memory is never reserved from a length the
//! client declared: argument vectors grow as arguments actually arrive.

use alloc::vec::Vec;
use core::ops::Range;

/// Longest inline command, and longest `*N`/`$N` header line (64 KiB).
pub const INLINE_MAX_SIZE: usize = 64 * 1024;
/// Largest multibulk count an unauthenticated client may send.
pub const UNAUTHENTICATED_MAX_ARGS: u64 = 10;
/// Largest bulk an unauthenticated client may send.
pub const UNAUTHENTICATED_MAX_BULK: u64 = 16 * 1024;

/// What the parser needs to know about the connection.
#[derive(Clone, Copy, Debug)]
pub struct RequestLimits {
    /// `proto-max-bulk-len`.
    pub max_bulk_len: u64,
    /// The client has not authenticated yet while a password is required:
    /// Redis then allows only small requests.
    pub unauthenticated: bool,
}

/// A malformed request. `reply()` is the exact error Redis sends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ProtocolError {
    /// An inline request without newline grew past 64 KiB.
    TooBigInlineRequest,
    /// Quotes in an inline request do not balance.
    UnbalancedQuotes,
    /// A `*N` line without `\r` grew past 64 KiB.
    TooBigMultibulkCount,
    /// `*N` is not an integer or exceeds `INT_MAX`.
    InvalidMultibulkLength,
    /// More than 10 arguments before authentication.
    UnauthenticatedMultibulkLength,
    /// A `$N` line without `\r` grew past 64 KiB.
    TooBigBulkCount,
    /// A bulk header did not start with `$`; carries the byte found.
    ExpectedDollar(u8),
    /// `$N` is negative, not an integer, or above `proto-max-bulk-len`.
    InvalidBulkLength,
    /// A bulk over 16 KiB before authentication.
    UnauthenticatedBulkLength,
}

impl ProtocolError {
    /// The error line Redis replies with, without the leading `-` and CRLF.
    pub fn reply(&self, out: &mut Vec<u8>) {
        let text: &[u8] = match self {
            ProtocolError::TooBigInlineRequest => b"ERR Protocol error: too big inline request",
            ProtocolError::UnbalancedQuotes => b"ERR Protocol error: unbalanced quotes in request",
            ProtocolError::TooBigMultibulkCount => b"ERR Protocol error: too big mbulk count string",
            ProtocolError::InvalidMultibulkLength => b"ERR Protocol error: invalid multibulk length",
            ProtocolError::UnauthenticatedMultibulkLength => b"ERR Protocol error: unauthenticated multibulk length",
            ProtocolError::TooBigBulkCount => b"ERR Protocol error: too big bulk count string",
            ProtocolError::ExpectedDollar(found) => {
                out.extend_from_slice(b"ERR Protocol error: expected '$', got '");
                out.push(*found);
                out.push(b'\'');
                return;
            }
            ProtocolError::InvalidBulkLength => b"ERR Protocol error: invalid bulk length",
            ProtocolError::UnauthenticatedBulkLength => b"ERR Protocol error: unauthenticated bulk length",
        };
        out.extend_from_slice(text);
    }

    /// The short reason Redis logs (`setProtocolError`).
    pub fn log_reason(&self) -> &'static str {
        match self {
            ProtocolError::TooBigInlineRequest => "too big inline request",
            ProtocolError::UnbalancedQuotes => "unbalanced quotes in inline request",
            ProtocolError::TooBigMultibulkCount => "too big mbulk count string",
            ProtocolError::InvalidMultibulkLength => "invalid mbulk count",
            ProtocolError::UnauthenticatedMultibulkLength => "unauth mbulk count",
            ProtocolError::TooBigBulkCount => "too big bulk count string",
            ProtocolError::ExpectedDollar(_) => "expected $ but got something else",
            ProtocolError::InvalidBulkLength => "invalid bulk length",
            ProtocolError::UnauthenticatedBulkLength => "unauth bulk length",
        }
    }
}

/// The outcome of one [`RequestParser::parse`] call.
#[derive(Debug, PartialEq, Eq)]
pub enum Parsed {
    /// A command is ready: read it with [`RequestParser::args`].
    Command,
    /// An empty request (`*0`, `*-1`, a blank inline line): nothing to run.
    Empty,
    /// More bytes are needed.
    Incomplete,
    /// The request is malformed; reply and close.
    Error(ProtocolError),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// Between commands.
    Idle,
    /// Inside a multibulk: `remaining` arguments to go; `bulk_len` is known
    /// once the `$N` line of the next argument was read.
    Multibulk { remaining: u64, bulk_len: Option<usize> },
}

/// Where the arguments of the last command live.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ArgsSource {
    Buffer,
    Inline,
}

/// A resumable request parser. Feed it the connection's input buffer and a
/// position; it advances the position over what it consumed.
#[derive(Debug)]
pub struct RequestParser {
    state: State,
    /// Offset where the command in progress began: bytes from here on must
    /// stay in the buffer until it completes.
    start: usize,
    /// Where parsing continues.
    pos: usize,
    ranges: Vec<Range<usize>>,
    inline_bytes: Vec<u8>,
    source: ArgsSource,
}

impl Default for RequestParser {
    fn default() -> Self {
        Self::new()
    }
}

impl RequestParser {
    /// A parser between commands.
    pub fn new() -> Self {
        RequestParser {
            state: State::Idle,
            start: 0,
            pos: 0,
            ranges: Vec::new(),
            inline_bytes: Vec::new(),
            source: ArgsSource::Buffer,
        }
    }

    /// Whether a command is partially parsed (its bytes must stay in the
    /// buffer; see [`RequestParser::rebase`]).
    pub fn in_progress(&self) -> bool {
        self.state != State::Idle
    }

    /// Parses the next command from the buffer, continuing where the last
    /// call stopped.
    pub fn parse(&mut self, buffer: &[u8], limits: &RequestLimits) -> Parsed {
        let mut pos = self.pos;
        let parsed = self.parse_at(buffer, &mut pos, limits);
        self.pos = pos;
        parsed
    }

    /// Where parsing continues in the buffer.
    pub fn position(&self) -> usize {
        self.pos
    }

    fn parse_at(&mut self, buffer: &[u8], pos: &mut usize, limits: &RequestLimits) -> Parsed {
        if self.state == State::Idle {
            self.ranges.clear();
            self.start = *pos;
            if *pos >= buffer.len() {
                return Parsed::Incomplete;
            }
            if buffer[*pos] != b'*' {
                return self.parse_inline(buffer, pos);
            }
            match self.parse_multibulk_header(buffer, pos, limits) {
                Ok(Some(0)) => return Parsed::Empty,
                Ok(Some(count)) => {
                    self.state = State::Multibulk {
                        remaining: count,
                        bulk_len: None,
                    }
                }
                Ok(None) => return Parsed::Incomplete,
                Err(error) => return Parsed::Error(error),
            }
        }
        self.parse_bulks(buffer, pos, limits)
    }

    /// The arguments of the command [`parse`](Self::parse) just returned,
    /// `buffer` being the same buffer.
    pub fn args<'a>(&'a self, buffer: &'a [u8]) -> Args<'a> {
        let bytes = match self.source {
            ArgsSource::Buffer => buffer,
            ArgsSource::Inline => &self.inline_bytes,
        };
        Args {
            bytes,
            ranges: &self.ranges,
        }
    }

    /// How many bytes at the front of the buffer the caller may drop: all
    /// those parsed, except the bytes of a command in progress.
    pub fn consumable(&self) -> usize {
        if self.in_progress() {
            self.start.min(self.pos)
        } else {
            self.pos
        }
    }

    /// The caller removed `consumed` bytes (at most
    /// [`consumable`](Self::consumable)) from the front of its buffer: a
    /// command in progress keeps pointing at the right bytes.
    pub fn rebase(&mut self, consumed: usize) {
        self.start = self.start.saturating_sub(consumed);
        self.pos -= consumed;
        if self.in_progress() && self.source == ArgsSource::Buffer {
            for range in &mut self.ranges {
                *range = range.start - consumed..range.end - consumed;
            }
        } else {
            // The last command ran: its arguments are gone with the bytes.
            self.ranges.clear();
        }
    }

    /// Bytes of argument vector held (Redis's `argv-mem`).
    pub fn args_memory(&self) -> usize {
        self.ranges.iter().map(|r| r.len()).sum()
    }

    /// `*N\r\n`; `Ok(None)` when incomplete, `Ok(Some(0))` for an empty command.
    fn parse_multibulk_header(
        &mut self,
        buffer: &[u8],
        pos: &mut usize,
        limits: &RequestLimits,
    ) -> Result<Option<u64>, ProtocolError> {
        let Some(line_end) = find_cr(&buffer[*pos..]) else {
            if buffer.len() - *pos > INLINE_MAX_SIZE {
                return Err(ProtocolError::TooBigMultibulkCount);
            }
            return Ok(None);
        };
        // The \n after the \r must be there too.
        if line_end + 2 > buffer.len() - *pos {
            return Ok(None);
        }
        let count = crate::util::number::parse_i64(&buffer[*pos + 1..*pos + line_end]);
        let count = match count {
            Some(n) if n <= i32::MAX as i64 => n,
            _ => return Err(ProtocolError::InvalidMultibulkLength),
        };
        if count > UNAUTHENTICATED_MAX_ARGS as i64 && limits.unauthenticated {
            return Err(ProtocolError::UnauthenticatedMultibulkLength);
        }
        *pos += line_end + 2;
        self.source = ArgsSource::Buffer;
        Ok(Some(count.max(0) as u64))
    }

    fn parse_bulks(&mut self, buffer: &[u8], pos: &mut usize, limits: &RequestLimits) -> Parsed {
        while let State::Multibulk { remaining, bulk_len } = self.state {
            let len = match bulk_len {
                Some(len) => len,
                None => {
                    let Some(line_end) = find_cr(&buffer[*pos..]) else {
                        if buffer.len() - *pos > INLINE_MAX_SIZE {
                            return Parsed::Error(ProtocolError::TooBigBulkCount);
                        }
                        return Parsed::Incomplete;
                    };
                    if line_end + 2 > buffer.len() - *pos {
                        return Parsed::Incomplete;
                    }
                    if buffer[*pos] != b'$' {
                        return Parsed::Error(ProtocolError::ExpectedDollar(buffer[*pos]));
                    }
                    let len = crate::util::number::parse_i64(&buffer[*pos + 1..*pos + line_end]);
                    let len = match len {
                        Some(n) if n >= 0 && (n as u64) <= limits.max_bulk_len => n as u64,
                        _ => return Parsed::Error(ProtocolError::InvalidBulkLength),
                    };
                    if len > UNAUTHENTICATED_MAX_BULK && limits.unauthenticated {
                        return Parsed::Error(ProtocolError::UnauthenticatedBulkLength);
                    }
                    let Ok(len) = usize::try_from(len) else {
                        return Parsed::Error(ProtocolError::InvalidBulkLength);
                    };
                    *pos += line_end + 2;
                    self.state = State::Multibulk {
                        remaining,
                        bulk_len: Some(len),
                    };
                    len
                }
            };
            // The two bytes after the data are skipped unchecked, as Redis does.
            if buffer.len() - *pos < len.saturating_add(2) {
                return Parsed::Incomplete;
            }
            self.ranges.push(*pos..*pos + len);
            *pos += len + 2;
            self.state = if remaining == 1 {
                State::Idle
            } else {
                State::Multibulk {
                    remaining: remaining - 1,
                    bulk_len: None,
                }
            };
        }
        Parsed::Command
    }

    fn parse_inline(&mut self, buffer: &[u8], pos: &mut usize) -> Parsed {
        let rest = &buffer[*pos..];
        // strchr stops at a NUL byte, so Redis never sees a newline past one.
        let newline = rest
            .iter()
            .position(|&c| c == b'\n' || c == 0)
            .filter(|&i| rest[i] == b'\n');
        let Some(newline) = newline else {
            if rest.len() > INLINE_MAX_SIZE {
                return Parsed::Error(ProtocolError::TooBigInlineRequest);
            }
            return Parsed::Incomplete;
        };
        let line_len = if newline > 0 && rest[newline - 1] == b'\r' {
            newline - 1
        } else {
            newline
        };
        self.inline_bytes.clear();
        self.ranges.clear();
        if split_args(&rest[..line_len], &mut self.inline_bytes, &mut self.ranges).is_err() {
            return Parsed::Error(ProtocolError::UnbalancedQuotes);
        }
        *pos += newline + 1;
        self.source = ArgsSource::Inline;
        if self.ranges.is_empty() {
            Parsed::Empty
        } else {
            Parsed::Command
        }
    }
}

/// Position of the first `\r`, or `None` if a NUL or nothing comes first
/// (Redis searches with strchr on a NUL-terminated buffer).
fn find_cr(bytes: &[u8]) -> Option<usize> {
    let i = bytes.iter().position(|&c| c == b'\r' || c == 0)?;
    (bytes[i] == b'\r').then_some(i)
}

fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c)
}

fn hex_value(c: u8) -> Option<u8> {
    (c as char).to_digit(16).map(|d| d as u8)
}

/// A line whose quotes do not balance.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UnbalancedQuotes;

/// Splits a line like Redis's `sdssplitargs`: blanks separate arguments,
/// `"…"` understands `\n \r \t \b \a \xHH` and `\"`, `'…'` only `\'`, and a
/// closing quote must be followed by a blank or the end. A NUL ends the line.
pub fn split_args(line: &[u8], bytes: &mut Vec<u8>, ranges: &mut Vec<Range<usize>>) -> Result<(), UnbalancedQuotes> {
    let end = line.iter().position(|&c| c == 0).unwrap_or(line.len());
    let line = &line[..end];
    let at = |i: usize| line.get(i).copied().unwrap_or(0);
    let mut i = 0;
    loop {
        while i < line.len() && is_space(line[i]) {
            i += 1;
        }
        if i >= line.len() {
            return Ok(());
        }
        let start = bytes.len();
        let (mut in_double, mut in_single) = (false, false);
        loop {
            let c = at(i);
            if in_double {
                if c == b'\\' && at(i + 1) == b'x' && hex_value(at(i + 2)).is_some() && hex_value(at(i + 3)).is_some() {
                    bytes.push(hex_value(at(i + 2)).unwrap_or(0) * 16 + hex_value(at(i + 3)).unwrap_or(0));
                    i += 3;
                } else if c == b'\\' && at(i + 1) != 0 {
                    i += 1;
                    bytes.push(match at(i) {
                        b'n' => b'\n',
                        b'r' => b'\r',
                        b't' => b'\t',
                        b'b' => 0x08,
                        b'a' => 0x07,
                        other => other,
                    });
                } else if c == b'"' {
                    if at(i + 1) != 0 && !is_space(at(i + 1)) {
                        return Err(UnbalancedQuotes);
                    }
                    i += 1;
                    break;
                } else if c == 0 {
                    return Err(UnbalancedQuotes);
                } else {
                    bytes.push(c);
                }
            } else if in_single {
                if c == b'\\' && at(i + 1) == b'\'' {
                    i += 1;
                    bytes.push(b'\'');
                } else if c == b'\'' {
                    if at(i + 1) != 0 && !is_space(at(i + 1)) {
                        return Err(UnbalancedQuotes);
                    }
                    i += 1;
                    break;
                } else if c == 0 {
                    return Err(UnbalancedQuotes);
                } else {
                    bytes.push(c);
                }
            } else {
                match c {
                    b' ' | b'\n' | b'\r' | b'\t' | 0 => {
                        if c != 0 {
                            i += 1;
                        }
                        break;
                    }
                    b'"' => in_double = true,
                    b'\'' => in_single = true,
                    _ => bytes.push(c),
                }
            }
            i += 1;
        }
        ranges.push(start..bytes.len());
    }
}

/// The arguments of one command: borrowed byte ranges, no copies.
#[derive(Clone, Copy)]
pub struct Args<'a> {
    bytes: &'a [u8],
    ranges: &'a [Range<usize>],
}

impl<'a> Args<'a> {
    /// Arguments over `bytes` at `ranges`.
    pub fn new(bytes: &'a [u8], ranges: &'a [Range<usize>]) -> Self {
        Args { bytes, ranges }
    }

    /// Number of arguments, the command name included.
    #[inline]
    pub fn len(&self) -> usize {
        self.ranges.len()
    }

    /// Whether there is no argument at all.
    pub fn is_empty(&self) -> bool {
        self.ranges.is_empty()
    }

    /// Argument `index` (0 is the command name). Panics past the end:
    /// handlers index only below the arity the dispatcher checked.
    #[inline]
    pub fn get(&self, index: usize) -> &'a [u8] {
        &self.bytes[self.ranges[index].clone()]
    }

    /// Argument `index`, if present.
    pub fn try_get(&self, index: usize) -> Option<&'a [u8]> {
        self.ranges.get(index).map(|r| &self.bytes[r.clone()])
    }

    /// Every argument in order.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &'a [u8]> + ExactSizeIterator + 'a {
        let bytes = self.bytes;
        self.ranges.iter().map(move |r| &bytes[r.clone()])
    }

    /// The arguments from `start` on.
    pub fn tail(&self, start: usize) -> Args<'a> {
        Args {
            bytes: self.bytes,
            ranges: &self.ranges[start.min(self.ranges.len())..],
        }
    }

    /// An owned copy, for commands that outlive the input buffer (queued in
    /// MULTI, blocked, propagated).
    pub fn to_owned(&self) -> OwnedArgs {
        let mut owned = OwnedArgs::with_capacity(self.len(), self.ranges.iter().map(|r| r.len()).sum());
        for arg in self.iter() {
            owned.push(arg);
        }
        owned
    }

    /// Total bytes of the arguments.
    pub fn byte_len(&self) -> usize {
        self.ranges.iter().map(|r| r.len()).sum()
    }
}

/// An owned argument vector: one contiguous byte buffer plus ranges.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct OwnedArgs {
    bytes: Vec<u8>,
    ranges: Vec<Range<usize>>,
}

impl OwnedArgs {
    /// Empty, with room reserved.
    pub fn with_capacity(args: usize, bytes: usize) -> Self {
        OwnedArgs {
            bytes: Vec::with_capacity(bytes),
            ranges: Vec::with_capacity(args),
        }
    }

    /// Builds from a list of byte strings.
    pub fn from_slices<'a>(args: impl IntoIterator<Item = &'a [u8]>) -> Self {
        let mut owned = OwnedArgs::default();
        for arg in args {
            owned.push(arg);
        }
        owned
    }

    /// Appends an argument.
    pub fn push(&mut self, arg: &[u8]) {
        let start = self.bytes.len();
        self.bytes.extend_from_slice(arg);
        self.ranges.push(start..self.bytes.len());
    }

    /// Borrowed view.
    pub fn as_args(&self) -> Args<'_> {
        Args {
            bytes: &self.bytes,
            ranges: &self.ranges,
        }
    }

    /// Number of arguments.
    pub fn len(&self) -> usize {
        self.ranges.len()
    }

    /// Whether empty.
    pub fn is_empty(&self) -> bool {
        self.ranges.is_empty()
    }

    /// Bytes held.
    pub fn memory(&self) -> usize {
        self.bytes.capacity() + self.ranges.capacity() * core::mem::size_of::<Range<usize>>()
    }
}

impl core::fmt::Debug for Args<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_list().entries(self.iter().map(|a| a.escape_ascii())).finish()
    }
}

impl core::fmt::Debug for OwnedArgs {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        self.as_args().fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    const LIMITS: RequestLimits = RequestLimits {
        max_bulk_len: 512 * 1024 * 1024,
        unauthenticated: false,
    };

    fn parse_all(input: &[u8]) -> (Vec<Vec<Vec<u8>>>, Option<ProtocolError>) {
        let mut parser = RequestParser::new();
        let mut commands = Vec::new();
        loop {
            match parser.parse(input, &LIMITS) {
                Parsed::Command => commands.push(parser.args(input).iter().map(|a| a.to_vec()).collect()),
                Parsed::Empty => {}
                Parsed::Incomplete => return (commands, None),
                Parsed::Error(e) => return (commands, Some(e)),
            }
        }
    }

    #[test]
    fn multibulk_pipeline() {
        let (commands, error) = parse_all(b"*2\r\n$3\r\nGET\r\n$1\r\nk\r\n*1\r\n$4\r\nPING\r\n*0\r\n");
        assert_eq!(
            commands,
            vec![vec![b"GET".to_vec(), b"k".to_vec()], vec![b"PING".to_vec()]]
        );
        assert_eq!(error, None);
    }

    #[test]
    fn resumes_at_every_split_point() {
        let input = b"*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$5\r\nva\r\nl\r\nPING\r\n";
        for split in 0..input.len() {
            let mut parser = RequestParser::new();
            let mut buffer = input[..split].to_vec();
            let mut seen = Vec::new();
            let mut fed_rest = false;
            loop {
                match parser.parse(&buffer, &LIMITS) {
                    Parsed::Command => seen.push(parser.args(&buffer).iter().map(|a| a.to_vec()).collect::<Vec<_>>()),
                    Parsed::Empty => {}
                    Parsed::Incomplete if !fed_rest => {
                        // Drop what was consumed, as a server does, then feed the rest.
                        let consumed = parser.consumable();
                        buffer.drain(..consumed);
                        parser.rebase(consumed);
                        buffer.extend_from_slice(&input[split..]);
                        fed_rest = true;
                    }
                    Parsed::Incomplete => break,
                    Parsed::Error(e) => panic!("{e:?} at split {split}"),
                }
            }
            assert_eq!(seen.len(), 2, "split {split}");
            assert_eq!(seen[0][2], b"va\r\nl");
            assert_eq!(seen[1], vec![b"PING".to_vec()]);
        }
    }

    #[test]
    fn inline_commands_split_like_sdssplitargs() {
        let (commands, _) = parse_all(b"SET \"a b\" 'c\\'d'\r\nGET \"\\x41\\n\"\n\r\n");
        assert_eq!(commands[0], vec![b"SET".to_vec(), b"a b".to_vec(), b"c'd".to_vec()]);
        assert_eq!(commands[1], vec![b"GET".to_vec(), b"A\n".to_vec()]);
        assert_eq!(parse_all(b"SET \"a\"b\r\n").1, Some(ProtocolError::UnbalancedQuotes));
        assert_eq!(parse_all(b"SET \"ab\r\n").1, Some(ProtocolError::UnbalancedQuotes));
    }

    #[test]
    fn errors_match_redis() {
        assert_eq!(parse_all(b"*x\r\n").1, Some(ProtocolError::InvalidMultibulkLength));
        assert_eq!(
            parse_all(b"*3000000000\r\n").1,
            Some(ProtocolError::InvalidMultibulkLength)
        );
        assert_eq!(parse_all(b"*1\r\n+OK\r\n").1, Some(ProtocolError::ExpectedDollar(b'+')));
        assert_eq!(parse_all(b"*1\r\n$-1\r\n").1, Some(ProtocolError::InvalidBulkLength));
        assert_eq!(
            parse_all(b"*1\r\n$536870913\r\n").1,
            Some(ProtocolError::InvalidBulkLength)
        );
        let long = vec![b'a'; INLINE_MAX_SIZE + 1];
        assert_eq!(parse_all(&long).1, Some(ProtocolError::TooBigInlineRequest));
        let mut header = b"*".to_vec();
        header.extend(vec![b'1'; INLINE_MAX_SIZE + 1]);
        assert_eq!(parse_all(&header).1, Some(ProtocolError::TooBigMultibulkCount));
        let mut out = Vec::new();
        ProtocolError::ExpectedDollar(b'x').reply(&mut out);
        assert_eq!(out, b"ERR Protocol error: expected '$', got 'x'");
    }

    #[test]
    fn unauthenticated_limits() {
        let limits = RequestLimits {
            unauthenticated: true,
            ..LIMITS
        };
        let mut parser = RequestParser::new();
        assert_eq!(
            parser.parse(b"*11\r\n", &limits),
            Parsed::Error(ProtocolError::UnauthenticatedMultibulkLength)
        );
        let mut parser = RequestParser::new();
        assert_eq!(
            parser.parse(b"*1\r\n$16385\r\n", &limits),
            Parsed::Error(ProtocolError::UnauthenticatedBulkLength)
        );
    }

    #[test]
    fn a_declared_huge_count_reserves_nothing() {
        let mut parser = RequestParser::new();
        assert_eq!(parser.parse(b"*2147483647\r\n$1\r\na\r\n", &LIMITS), Parsed::Incomplete);
        assert!(parser.ranges.capacity() < 1024);
    }
}
