//! Redis's `sdscatrepr`: a byte string as a double-quoted C literal, the
//! form Redis writes wherever a value may hold blanks or binary bytes
//! (the AOF manifest's file names, `CONFIG REWRITE`, the command line it
//! logs).

use alloc::string::String;
use core::fmt::Write;

/// Appends `bytes` to `out` double-quoted, with C escapes for the quote,
/// the backslash and control bytes, and `\xHH` for other bytes outside
/// printable ASCII.
pub fn push_quoted(out: &mut String, bytes: &[u8]) {
    out.push('"');
    for &byte in bytes {
        match byte {
            b'\\' => out.push_str("\\\\"),
            b'"' => out.push_str("\\\""),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            b'\t' => out.push_str("\\t"),
            0x07 => out.push_str("\\a"),
            0x08 => out.push_str("\\b"),
            0x20..=0x7e => out.push(byte as char),
            _ => {
                let _ = write!(out, "\\x{:02x}", byte);
            }
        }
    }
    out.push('"');
}

/// `bytes` double-quoted as [`push_quoted`] writes it.
pub fn quoted(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() + 2);
    push_quoted(&mut out, bytes);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_as_redis_does() {
        assert_eq!(quoted(b"plain"), "\"plain\"");
        assert_eq!(quoted(b"a b\"c\\"), "\"a b\\\"c\\\\\"");
        assert_eq!(quoted(b"\n\r\t\x07\x08\x00\xff"), "\"\\n\\r\\t\\a\\b\\x00\\xff\"");
    }
}
