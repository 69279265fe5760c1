//! Reading numeric and option arguments with Redis's error replies.

use super::errors;
use crate::resp::reply::Reply;
use crate::util::number::{parse_f64, parse_i64};

/// An i64 argument (`getLongLongFromObjectOrReply`); replies the error.
pub fn integer(arg: &[u8], reply: &mut Reply) -> Option<i64> {
    let value = parse_i64(arg);
    if value.is_none() {
        reply.error(errors::NOT_INTEGER);
    }
    value
}

/// A non-negative i64 argument, with Redis's "must be positive" error.
pub fn positive_integer(arg: &[u8], reply: &mut Reply) -> Option<i64> {
    let value = integer(arg, reply)?;
    if value < 0 {
        reply.error(errors::MUST_BE_POSITIVE);
        return None;
    }
    Some(value)
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

/// A blocking timeout in seconds (float allowed), as an absolute deadline
/// in ms (0 = wait forever) (`getTimeoutFromObjectOrReply`).
pub fn timeout_deadline(arg: &[u8], now_ms: i64, reply: &mut Reply) -> Option<i64> {
    let seconds = match parse_f64(arg).filter(|s| s.is_finite()) {
        Some(s) => s,
        None => {
            reply.error(errors::TIMEOUT_NOT_FLOAT);
            return None;
        }
    };
    if seconds < 0.0 {
        reply.error(errors::TIMEOUT_NEGATIVE);
        return None;
    }
    // Redis rounds up to whole milliseconds; a deadline past the clock's
    // range is as good as forever.
    let ms = ceil(seconds * 1000.0);
    let ms = if ms >= (i64::MAX - now_ms) as f64 {
        i64::MAX - now_ms
    } else {
        ms as i64
    };
    Some(if ms > 0 { now_ms + ms } else { 0 })
}

/// `ceil` for the non-negative finite values timeouts use (`core` has no
/// float rounding without `std`).
fn ceil(x: f64) -> f64 {
    if x >= 9.007_199_254_740_992e15 {
        return x;
    }
    let truncated = x as i64 as f64;
    if truncated < x {
        truncated + 1.0
    } else {
        truncated
    }
}
