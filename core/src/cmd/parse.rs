//! Reading numeric and option arguments with Redis's error replies.

use super::errors;
use crate::resp::reply::Reply;
use crate::util::number::{parse_f64, parse_i64, LongDouble};

/// An i64 argument (`getLongLongFromObjectOrReply`); replies the error.
pub fn integer(arg: &[u8], reply: &mut Reply) -> Option<i64> {
    let value = parse_i64(arg);
    if value.is_none() {
        reply.error(errors::NOT_INTEGER);
    }
    value
}

/// A non-negative integer (`getPositiveLongFromObjectOrReply` without a
/// message): anything else, not-a-number included, gets "must be positive".
pub fn positive_integer(arg: &[u8], reply: &mut Reply) -> Option<i64> {
    integer_in_range(arg, 0, i64::MAX, Some(errors::MUST_BE_POSITIVE), reply)
}

/// An i64 in `min..=max` (`getRangeLongFromObjectOrReply`); `message`
/// replaces both default errors when given.
pub fn integer_in_range(arg: &[u8], min: i64, max: i64, message: Option<&[u8]>, reply: &mut Reply) -> Option<i64> {
    let Some(value) = parse_i64(arg) else {
        reply.error(message.unwrap_or(errors::NOT_INTEGER));
        return None;
    };
    if (min..=max).contains(&value) {
        return Some(value);
    }
    match message {
        Some(message) => reply.error(message),
        None => reply.error_parts(&[
            b"ERR value is out of range, value must between ",
            itoa::Buffer::new().format(min).as_bytes(),
            b" and ",
            itoa::Buffer::new().format(max).as_bytes(),
        ]),
    }
    None
}

/// A double argument (`getDoubleFromObjectOrReply`).
pub fn float(arg: &[u8], reply: &mut Reply) -> Option<f64> {
    let value = parse_f64(arg);
    if value.is_none() {
        reply.error(errors::NOT_FLOAT);
    }
    value
}

/// Whether `arg` equals `word`, ignoring ASCII case.
#[inline]
pub fn is(arg: &[u8], word: &str) -> bool {
    arg.eq_ignore_ascii_case(word.as_bytes())
}

/// `ceil` for finite values (`core` has no float rounding without `std`).
fn ceil(x: f64) -> f64 {
    if x.abs() >= 4_503_599_627_370_496.0 {
        return x;
    }
    let truncated = x as i64 as f64;
    if truncated < x {
        truncated + 1.0
    } else {
        truncated
    }
}

/// A blocking timeout in seconds as an absolute deadline in ms, 0 meaning
/// forever (`getTimeoutFromObjectOrReply`). Redis reads a long double and
/// converts `ceil(seconds * 1000)` to a C `long long`: infinity, or any
/// value past 2^63 ms, converts to a negative number, hence "timeout is
/// negative" rather than "not a float" for `inf`.
pub fn timeout_deadline(arg: &[u8], now_ms: i64, reply: &mut Reply) -> Option<i64> {
    if LongDouble::parse(arg).is_none() {
        reply.error(errors::TIMEOUT_NOT_FLOAT);
        return None;
    }
    // Valid as a long double; as a double it may overflow (to ±inf here)
    // or underflow (to a tiny value of the right sign).
    let seconds = match parse_f64(arg) {
        Some(seconds) => seconds,
        None => match core::str::from_utf8(arg).ok().and_then(|t| t.parse::<f64>().ok()) {
            Some(0.0) => {
                if arg.first() == Some(&b'-') {
                    0.0
                } else {
                    f64::MIN_POSITIVE
                }
            }
            Some(value) => value,
            None => f64::INFINITY,
        },
    };
    const TWO_POW_63: f64 = 9_223_372_036_854_775_808.0;
    let ms = seconds * 1000.0;
    if !(ms > -TWO_POW_63 && ms < TWO_POW_63) || ceil(ms) < 0.0 {
        reply.error(errors::TIMEOUT_NEGATIVE);
        return None;
    }
    let ms = ceil(ms) as i64;
    Some(if ms > 0 { now_ms.saturating_add(ms) } else { 0 })
}

/// A SCAN cursor as `parseScanCursorOrReply` reads it with `strtoul`: an
/// optional sign (`-1` wraps to the largest cursor), decimal digits, the
/// text ending at the first NUL; no leading space, nothing after the
/// digits, no overflow. `None` means "ERR invalid cursor".
pub fn scan_cursor(arg: &[u8]) -> Option<u64> {
    if arg
        .first()
        .is_some_and(|&c| matches!(c, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r'))
    {
        return None;
    }
    let text = match arg.iter().position(|&c| c == 0) {
        Some(end) => &arg[..end],
        None => arg,
    };
    if text.is_empty() {
        return Some(0);
    }
    let (negative, digits) = match text[0] {
        b'-' => (true, &text[1..]),
        b'+' => (false, &text[1..]),
        _ => (false, text),
    };
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let mut value: u64 = 0;
    for &digit in digits {
        value = value.checked_mul(10)?.checked_add((digit - b'0') as u64)?;
    }
    Some(if negative { value.wrapping_neg() } else { value })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scan_cursors_read_like_strtoul() {
        assert_eq!(scan_cursor(b"0"), Some(0));
        assert_eq!(scan_cursor(b""), Some(0));
        assert_eq!(scan_cursor(b"+17"), Some(17));
        assert_eq!(scan_cursor(b"-1"), Some(u64::MAX));
        assert_eq!(scan_cursor(b"18446744073709551615"), Some(u64::MAX));
        assert_eq!(scan_cursor(b"5\x00junk"), Some(5));
        assert_eq!(scan_cursor(b"18446744073709551616"), None);
        assert_eq!(scan_cursor(b" 1"), None);
        assert_eq!(scan_cursor(b"1 "), None);
        assert_eq!(scan_cursor(b"-"), None);
        assert_eq!(scan_cursor(b"0x10"), None);
    }
}
