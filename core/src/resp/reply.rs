//! Writing replies in RESP2 or RESP3, as Redis's `addReply*` family does.
//!
//! A [`Reply`] is a client's output buffer plus its protocol version: each
//! method appends one RESP element. The same call writes the RESP2 or the
//! RESP3 form (`$-1` or `_` for a null, `*4` or `%2` for a two-pair map,
//! `:1` or `#t` for a boolean, a bulk string or `,1.5` for a double).

use crate::util::number::{write_double, LongDouble};
use alloc::vec::Vec;

/// A client's pending reply bytes and the protocol it speaks.
#[derive(Debug, Default)]
pub struct Reply {
    buf: Vec<u8>,
    /// Bytes at the front of `buf` already sent: consuming a big reply in
    /// many small writes must not move the rest each time.
    sent: usize,
    resp3: bool,
    /// Error codes (`ERR`, `WRONGTYPE`, …) written since the engine last
    /// collected them for `INFO errorstats`.
    error_codes: Vec<ErrorCode>,
    /// Bytes consumed since the buffer was created (a replica's snapshot
    /// is told apart from its stream by this position).
    consumed_total: u64,
}

/// The first word of an error reply, at most 32 bytes (Redis's errorstats
/// key).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ErrorCode {
    bytes: [u8; 32],
    len: u8,
}

impl ErrorCode {
    fn of(message: &[u8]) -> Self {
        let word = message.split(|&c| c == b' ').next().unwrap_or(message);
        let len = word.len().min(32);
        let mut bytes = [0u8; 32];
        bytes[..len].copy_from_slice(&word[..len]);
        ErrorCode { bytes, len: len as u8 }
    }

    /// The code's bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes[..self.len as usize]
    }
}

/// A header written before its count was known; see [`Reply::deferred`].
#[derive(Debug)]
#[must_use = "a deferred header must be completed with Reply::complete"]
pub struct Deferred {
    at: usize,
    kind: u8,
}

impl Reply {
    /// An empty RESP2 buffer.
    pub fn new() -> Self {
        Self::default()
    }

    /// Whether the client speaks RESP3.
    #[inline]
    pub fn is_resp3(&self) -> bool {
        self.resp3
    }

    /// Switches protocol (HELLO).
    pub fn set_resp3(&mut self, resp3: bool) {
        self.resp3 = resp3;
    }

    /// The bytes not yet sent.
    #[inline]
    pub fn bytes(&self) -> &[u8] {
        &self.buf[self.sent..]
    }

    /// Number of pending bytes.
    #[inline]
    pub fn len(&self) -> usize {
        self.buf.len() - self.sent
    }

    /// Whether nothing is pending.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Bytes consumed since the buffer was created; with [`Reply::len`]
    /// it places any pending byte at an absolute position.
    #[inline]
    pub fn consumed_total(&self) -> u64 {
        self.consumed_total
    }

    /// Bytes reserved by the buffer.
    pub fn capacity(&self) -> usize {
        self.buf.capacity()
    }

    /// Drops the first `n` pending bytes, once the host has sent them.
    pub fn consume(&mut self, n: usize) {
        let n = n.min(self.buf.len() - self.sent);
        self.consumed_total += n as u64;
        self.sent += n;
        if self.sent == self.buf.len() {
            self.buf.clear();
            self.sent = 0;
            // Give back the memory of a huge reply once it is gone.
            if self.buf.capacity() > 1024 * 1024 {
                self.buf = Vec::new();
            }
        } else if self.sent > 64 * 1024 && self.sent > self.buf.len() / 2 {
            // Compact now and then, so the move is amortized.
            self.buf.drain(..self.sent);
            self.sent = 0;
        }
    }

    /// Truncates to `len` pending bytes (discarding a partial reply).
    pub fn truncate(&mut self, len: usize) {
        self.buf.truncate(self.sent + len);
    }

    /// Takes the error codes written since the last call.
    pub fn take_error_codes(&mut self) -> Vec<ErrorCode> {
        core::mem::take(&mut self.error_codes)
    }

    /// Whether any error was written since the last `take_error_codes`.
    pub fn has_error_codes(&self) -> bool {
        !self.error_codes.is_empty()
    }

    /// Appends raw protocol bytes.
    #[inline]
    pub fn raw(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }

    #[inline]
    fn prefixed_number(&mut self, prefix: u8, n: i64) {
        let mut buffer = itoa::Buffer::new();
        self.buf.push(prefix);
        self.buf.extend_from_slice(buffer.format(n).as_bytes());
        self.buf.extend_from_slice(b"\r\n");
    }

    /// `+OK`.
    #[inline]
    pub fn ok(&mut self) {
        self.buf.extend_from_slice(b"+OK\r\n");
    }

    /// A status reply, `+text`.
    pub fn simple(&mut self, text: &[u8]) {
        self.buf.push(b'+');
        self.buf
            .extend(text.iter().map(|&c| if c == b'\r' || c == b'\n' { b' ' } else { c }));
        self.buf.extend_from_slice(b"\r\n");
    }

    /// An error reply, `-CODE message`; `message` includes the code
    /// (`ERR syntax error`). Newlines become spaces, as in Redis.
    pub fn error(&mut self, message: &[u8]) {
        self.error_codes.push(ErrorCode::of(message));
        self.buf.push(b'-');
        self.buf
            .extend(message.iter().map(|&c| if c == b'\r' || c == b'\n' { b' ' } else { c }));
        self.buf.extend_from_slice(b"\r\n");
    }

    /// An error built from parts, e.g. `["ERR unknown command '", name, "'"]`.
    pub fn error_parts(&mut self, parts: &[&[u8]]) {
        let message: Vec<u8> = parts.concat();
        self.error(&message);
    }

    /// `:n`.
    #[inline]
    pub fn integer(&mut self, n: i64) {
        self.prefixed_number(b':', n);
    }

    /// A bulk string.
    #[inline]
    pub fn bulk(&mut self, bytes: &[u8]) {
        self.prefixed_number(b'$', bytes.len() as i64);
        self.buf.extend_from_slice(bytes);
        self.buf.extend_from_slice(b"\r\n");
    }

    /// A bulk string holding the decimal form of `n`.
    pub fn bulk_integer(&mut self, n: i64) {
        let mut buffer = itoa::Buffer::new();
        self.bulk(buffer.format(n).as_bytes());
    }

    /// The null bulk string: `$-1` in RESP2, `_` in RESP3.
    #[inline]
    pub fn null(&mut self) {
        self.buf
            .extend_from_slice(if self.resp3 { b"_\r\n" } else { b"$-1\r\n" });
    }

    /// The null array: `*-1` in RESP2, `_` in RESP3.
    pub fn null_array(&mut self) {
        self.buf
            .extend_from_slice(if self.resp3 { b"_\r\n" } else { b"*-1\r\n" });
    }

    /// An array header of `n` elements.
    #[inline]
    pub fn array(&mut self, n: usize) {
        self.prefixed_number(b'*', n as i64);
    }

    /// An empty array.
    pub fn empty_array(&mut self) {
        self.buf.extend_from_slice(b"*0\r\n");
    }

    /// A map header of `pairs` pairs (`*2n` in RESP2).
    pub fn map(&mut self, pairs: usize) {
        if self.resp3 {
            self.prefixed_number(b'%', pairs as i64);
        } else {
            self.prefixed_number(b'*', 2 * pairs as i64);
        }
    }

    /// A set header (`*n` in RESP2).
    pub fn set(&mut self, n: usize) {
        self.prefixed_number(if self.resp3 { b'~' } else { b'*' }, n as i64);
    }

    /// A push header (`*n` in RESP2: pub/sub messages).
    pub fn push(&mut self, n: usize) {
        self.prefixed_number(if self.resp3 { b'>' } else { b'*' }, n as i64);
    }

    /// A double: a bulk string in RESP2, `,value` in RESP3; `%.17g` digits.
    pub fn double(&mut self, value: f64) {
        if self.resp3 {
            self.buf.push(b',');
            write_double(&mut self.buf, value);
            self.buf.extend_from_slice(b"\r\n");
        } else {
            let mut digits = Vec::with_capacity(24);
            write_double(&mut digits, value);
            self.bulk(&digits);
        }
    }

    /// A long double in Redis's human form (INCRBYFLOAT, HINCRBYFLOAT).
    pub fn long_double(&mut self, value: LongDouble) {
        let digits = value.to_human_vec();
        if self.resp3 {
            self.buf.push(b',');
            self.buf.extend_from_slice(&digits);
            self.buf.extend_from_slice(b"\r\n");
        } else {
            self.bulk(&digits);
        }
    }

    /// A boolean: `:1`/`:0` in RESP2, `#t`/`#f` in RESP3.
    pub fn boolean(&mut self, value: bool) {
        let bytes: &[u8] = match (self.resp3, value) {
            (true, true) => b"#t\r\n",
            (true, false) => b"#f\r\n",
            (false, true) => b":1\r\n",
            (false, false) => b":0\r\n",
        };
        self.buf.extend_from_slice(bytes);
    }

    /// Verbatim text (`=len\r\ntxt:…` in RESP3, a bulk string in RESP2).
    pub fn verbatim(&mut self, text: &[u8], format: &[u8; 3]) {
        if self.resp3 {
            self.prefixed_number(b'=', text.len() as i64 + 4);
            self.buf.extend_from_slice(format);
            self.buf.push(b':');
            self.buf.extend_from_slice(text);
            self.buf.extend_from_slice(b"\r\n");
        } else {
            self.bulk(text);
        }
    }

    /// An array, map or set header whose count is not known yet.
    pub fn deferred(&mut self, kind: DeferredKind) -> Deferred {
        Deferred {
            at: self.buf.len(),
            kind: match kind {
                DeferredKind::Array => b'*',
                DeferredKind::Map => b'%',
                DeferredKind::Set => b'~',
            },
        }
    }

    /// Writes the header of `deferred` now that there are `count` elements
    /// (pairs, for a map) after it.
    pub fn complete(&mut self, deferred: Deferred, count: usize) {
        let (prefix, n) = match deferred.kind {
            b'%' if !self.resp3 => (b'*', 2 * count),
            b'~' if !self.resp3 => (b'*', count),
            kind => (kind, count),
        };
        let mut header = Vec::with_capacity(16);
        header.push(prefix);
        let mut buffer = itoa::Buffer::new();
        header.extend_from_slice(buffer.format(n).as_bytes());
        header.extend_from_slice(b"\r\n");
        self.buf.splice(deferred.at..deferred.at, header);
    }
}

/// The aggregate a [`Deferred`] header will be.
#[derive(Clone, Copy, Debug)]
pub enum DeferredKind {
    /// `*n`.
    Array,
    /// `%n` (RESP2: `*2n`).
    Map,
    /// `~n` (RESP2: `*n`).
    Set,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_calls_write_both_protocols() {
        let mut two = Reply::new();
        let mut three = Reply::new();
        three.set_resp3(true);
        for reply in [&mut two, &mut three] {
            reply.null();
            reply.map(1);
            reply.boolean(true);
            reply.double(1.5);
            let d = reply.deferred(DeferredKind::Set);
            reply.integer(7);
            reply.complete(d, 1);
        }
        assert_eq!(two.bytes(), b"$-1\r\n*2\r\n:1\r\n$3\r\n1.5\r\n*1\r\n:7\r\n");
        assert_eq!(three.bytes(), b"_\r\n%1\r\n#t\r\n,1.5\r\n~1\r\n:7\r\n");
    }

    #[test]
    fn partial_consumption_keeps_the_rest_in_order() {
        let mut reply = Reply::new();
        let big = alloc::vec![b'x'; 200_000];
        reply.bulk(&big);
        let total = reply.len();
        let mut seen = Vec::new();
        while !reply.is_empty() {
            let n = reply.len().min(7_000);
            seen.extend_from_slice(&reply.bytes()[..n]);
            reply.consume(n);
        }
        assert_eq!(seen.len(), total);
        assert!(seen.starts_with(b"$200000\r\nxxx"));
        reply.ok();
        assert_eq!(reply.bytes(), b"+OK\r\n");
    }

    #[test]
    fn errors_are_single_lines_and_counted() {
        let mut reply = Reply::new();
        reply.error(b"ERR bad\r\nthing");
        assert_eq!(reply.bytes(), b"-ERR bad  thing\r\n");
        let codes = reply.take_error_codes();
        assert_eq!(codes[0].as_bytes(), b"ERR");
        assert!(!reply.has_error_codes());
    }
}
