//! Numbers as Redis reads and writes them.
//!
//! Replies must carry Redis's exact digits, so parsing follows `string2ll`,
//! `strtod` and `strtold` as Redis calls them, and formatting follows
//! `%.17g` (doubles) and `%.17Lf` with trailing zeros removed (the x87 long
//! double that `INCRBYFLOAT` and `HINCRBYFLOAT` compute with).

use alloc::vec::Vec;
use core::fmt::Write as _;
use rustc_apfloat::ieee::{Double, X87DoubleExtended};
use rustc_apfloat::{Float, Round, Status};

/// Parses a signed 64-bit decimal exactly as Redis's `string2ll`: no sign
/// other than `-`, no leading zeros, no spaces, at most 20 bytes.
pub fn parse_i64(s: &[u8]) -> Option<i64> {
    if s.is_empty() || s.len() >= 21 {
        return None;
    }
    if s == b"0" {
        return Some(0);
    }
    let (negative, digits) = match s.split_first() {
        Some((b'-', rest)) if !rest.is_empty() => (true, rest),
        _ => (false, s),
    };
    if !matches!(digits[0], b'1'..=b'9') {
        return None;
    }
    let mut value: u64 = 0;
    for &c in digits {
        if !c.is_ascii_digit() {
            return None;
        }
        value = value.checked_mul(10)?.checked_add((c - b'0') as u64)?;
    }
    if negative {
        if value > i64::MAX as u64 + 1 {
            return None;
        }
        Some((value as i64).wrapping_neg())
    } else {
        i64::try_from(value).ok()
    }
}

/// Parses a non-negative count the way Redis's `getPositiveLongFromObject`
/// family does.
pub fn parse_u64(s: &[u8]) -> Option<u64> {
    parse_i64(s).and_then(|v| u64::try_from(v).ok())
}

/// What a `strtod`-style scan found in a whole string.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum FloatSyntax {
    /// A decimal number; `nonzero` says whether any mantissa digit is not 0.
    Decimal {
        nonzero: bool,
    },
    /// A hexadecimal float (`0x1.8p3`); `nonzero` as above.
    Hex {
        nonzero: bool,
        has_exponent: bool,
    },
    Infinity,
    NotANumber,
}

/// Checks that the whole of `s` is one number in `strtod`'s grammar, with no
/// leading space (Redis rejects it) and nothing after it.
fn scan_float(s: &[u8]) -> Option<FloatSyntax> {
    let body = match s.first()? {
        b'+' | b'-' => &s[1..],
        _ => s,
    };
    let lower = |b: &[u8]| -> bool { b.eq_ignore_ascii_case(body) };
    if lower(b"inf") || lower(b"infinity") {
        return Some(FloatSyntax::Infinity);
    }
    if body.len() >= 3 && body[..3].eq_ignore_ascii_case(b"nan") {
        let rest = &body[3..];
        let payload_ok = rest.is_empty()
            || (rest.len() >= 2
                && rest[0] == b'('
                && rest[rest.len() - 1] == b')'
                && rest[1..rest.len() - 1]
                    .iter()
                    .all(|c| c.is_ascii_alphanumeric() || *c == b'_'));
        return payload_ok.then_some(FloatSyntax::NotANumber);
    }
    if body.len() > 2 && body[0] == b'0' && (body[1] | 0x20) == b'x' {
        let (mantissa, nonzero, used) = scan_digits(&body[2..], |c| c.is_ascii_hexdigit())?;
        let rest = &body[2 + used..];
        let has_exponent = !rest.is_empty();
        if has_exponent && ((rest[0] | 0x20) != b'p' || !is_exponent(&rest[1..])) {
            return None;
        }
        let _ = mantissa;
        return Some(FloatSyntax::Hex { nonzero, has_exponent });
    }
    let (_, nonzero, used) = scan_digits(body, |c| c.is_ascii_digit())?;
    let rest = &body[used..];
    if !rest.is_empty() && ((rest[0] | 0x20) != b'e' || !is_exponent(&rest[1..])) {
        return None;
    }
    Some(FloatSyntax::Decimal { nonzero })
}

/// Scans `digits[.digits]` (at least one digit); returns the digit count,
/// whether one is non-zero, and the bytes used.
fn scan_digits(s: &[u8], is_digit: impl Fn(&u8) -> bool) -> Option<(usize, bool, usize)> {
    let mut digits = 0;
    let mut nonzero = false;
    let mut seen_dot = false;
    let mut used = 0;
    for c in s {
        if is_digit(c) {
            digits += 1;
            nonzero |= *c != b'0';
        } else if *c == b'.' && !seen_dot {
            seen_dot = true;
        } else {
            break;
        }
        used += 1;
    }
    (digits > 0).then_some((digits, nonzero, used))
}

/// `[+-]digits`, the part of an exponent after `e` or `p`.
fn is_exponent(s: &[u8]) -> bool {
    let digits = match s.first() {
        Some(b'+' | b'-') => &s[1..],
        _ => s,
    };
    !digits.is_empty() && digits.iter().all(u8::is_ascii_digit)
}

/// Parses a double as Redis's `string2d` (strtod plus Redis's checks): the
/// whole string must be the number, no leading space, no NaN, and an
/// overflow to ±inf or an underflow to 0 is an error. `inf` itself is fine.
pub fn parse_f64(s: &[u8]) -> Option<f64> {
    let syntax = scan_float(s)?;
    let text = core::str::from_utf8(s).ok()?;
    let negative = s[0] == b'-';
    let value = match syntax {
        FloatSyntax::NotANumber => return None,
        FloatSyntax::Infinity => f64::INFINITY,
        FloatSyntax::Decimal { .. } => text.parse::<f64>().ok()?,
        FloatSyntax::Hex { has_exponent, .. } => {
            let unsigned = text.trim_start_matches(['+', '-']);
            let parsed = parse_hex_apfloat::<Double>(unsigned, has_exponent)?;
            f64::from_bits(parsed.to_bits() as u64)
        }
    };
    let value = if negative { -value.abs() } else { value };
    let overflowed = value.is_infinite() && syntax != FloatSyntax::Infinity;
    let underflowed = value == 0.0
        && matches!(
            syntax,
            FloatSyntax::Decimal { nonzero: true } | FloatSyntax::Hex { nonzero: true, .. }
        );
    (!overflowed && !underflowed).then_some(value)
}

fn parse_hex_apfloat<F: Float>(unsigned: &str, has_exponent: bool) -> Option<F> {
    // LLVM's parser insists on a binary exponent; strtod does not.
    let mut buffer = alloc::string::String::with_capacity(unsigned.len() + 2);
    buffer.push_str(unsigned);
    if !has_exponent {
        buffer.push_str("p0");
    }
    F::from_str_r(&buffer, Round::NearestTiesToEven).ok().map(|r| r.value)
}

/// Appends `value` as C's `%.17g` prints it (Redis's double replies and
/// score strings).
pub fn write_double(out: &mut Vec<u8>, value: f64) {
    if value.is_nan() {
        out.extend_from_slice(b"nan");
        return;
    }
    if value.is_infinite() {
        out.extend_from_slice(if value > 0.0 { b"inf" } else { b"-inf" });
        return;
    }
    if value == 0.0 {
        out.extend_from_slice(if value.is_sign_negative() { b"-0" } else { b"0" });
        return;
    }
    // Rust's exact shortest-digit machinery gives the 17 significant digits
    // correctly rounded; %g then picks fixed or exponent form.
    let mut scientific = FixedBuffer::<40>::new();
    let _ = write!(scientific, "{:.16e}", value);
    let text = scientific.as_bytes();
    let e_at = text.iter().position(|&c| c == b'e').unwrap_or(text.len());
    let exponent: i32 = core::str::from_utf8(&text[e_at + 1..])
        .ok()
        .and_then(|e| e.parse().ok())
        .unwrap_or(0);
    let (negative, mantissa) = match text[0] {
        b'-' => (true, &text[1..e_at]),
        _ => (false, &text[..e_at]),
    };
    let digits: Vec<u8> = mantissa.iter().copied().filter(u8::is_ascii_digit).collect();
    let significant = trim_trailing_zeros(&digits);
    if negative {
        out.push(b'-');
    }
    if (-4..17).contains(&exponent) {
        if exponent >= 0 {
            let integer_len = exponent as usize + 1;
            for i in 0..integer_len {
                out.push(*significant.get(i).unwrap_or(&b'0'));
            }
            if significant.len() > integer_len {
                out.push(b'.');
                out.extend_from_slice(&significant[integer_len..]);
            }
        } else {
            out.extend_from_slice(b"0.");
            for _ in 0..(-exponent - 1) {
                out.push(b'0');
            }
            out.extend_from_slice(significant);
        }
    } else {
        out.push(significant[0]);
        if significant.len() > 1 {
            out.push(b'.');
            out.extend_from_slice(&significant[1..]);
        }
        out.push(b'e');
        out.push(if exponent < 0 { b'-' } else { b'+' });
        let magnitude = exponent.unsigned_abs();
        if magnitude < 10 {
            out.push(b'0');
        }
        let mut buffer = itoa::Buffer::new();
        out.extend_from_slice(buffer.format(magnitude).as_bytes());
    }
}

fn trim_trailing_zeros(digits: &[u8]) -> &[u8] {
    let end = digits.iter().rposition(|&c| c != b'0').map_or(1, |i| i + 1);
    &digits[..end]
}

/// `%.17g` of `value` as a new vector.
pub fn double_to_vec(value: f64) -> Vec<u8> {
    let mut out = Vec::with_capacity(24);
    write_double(&mut out, value);
    out
}

/// A small stack buffer for `core::fmt` output.
struct FixedBuffer<const N: usize> {
    bytes: [u8; N],
    len: usize,
}

impl<const N: usize> FixedBuffer<N> {
    fn new() -> Self {
        FixedBuffer { bytes: [0; N], len: 0 }
    }

    fn as_bytes(&self) -> &[u8] {
        &self.bytes[..self.len]
    }
}

impl<const N: usize> core::fmt::Write for FixedBuffer<N> {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        let end = self.len + s.len();
        if end > N {
            return Err(core::fmt::Error);
        }
        self.bytes[self.len..end].copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

/// C's `long double` on x86-64 (80-bit extended precision), the type
/// `INCRBYFLOAT` and `HINCRBYFLOAT` compute in.
#[derive(Clone, Copy, Debug)]
pub struct LongDouble(X87DoubleExtended);

impl LongDouble {
    /// Parses like Redis's `string2ld` (strtold + Redis's checks).
    pub fn parse(s: &[u8]) -> Option<LongDouble> {
        if s.is_empty() || s.len() >= 5 * 1024 {
            return None;
        }
        let syntax = scan_float(s)?;
        let text = core::str::from_utf8(s).ok()?;
        let negative = s[0] == b'-';
        let unsigned = text.trim_start_matches(['+', '-']);
        let (value, status) = match syntax {
            FloatSyntax::NotANumber => return None,
            FloatSyntax::Infinity => (X87DoubleExtended::INFINITY, Status::OK),
            FloatSyntax::Decimal { .. } => {
                let parsed = X87DoubleExtended::from_str_r(unsigned, Round::NearestTiesToEven).ok()?;
                (parsed.value, parsed.status)
            }
            FloatSyntax::Hex { has_exponent, .. } => (
                parse_hex_apfloat::<X87DoubleExtended>(unsigned, has_exponent)?,
                Status::OK,
            ),
        };
        let overflowed = status.contains(Status::OVERFLOW) || (value.is_infinite() && syntax != FloatSyntax::Infinity);
        let underflowed = value.is_zero()
            && matches!(
                syntax,
                FloatSyntax::Decimal { nonzero: true } | FloatSyntax::Hex { nonzero: true, .. }
            );
        if overflowed || underflowed {
            return None;
        }
        Some(LongDouble(if negative { -value } else { value }))
    }

    /// The exact value of an integer (every i64 fits in 64 mantissa bits).
    pub fn from_i64(value: i64) -> LongDouble {
        LongDouble(X87DoubleExtended::from_i128(value as i128).value)
    }

    /// `self + other`, rounded to nearest as the FPU does.
    pub fn plus(self, other: LongDouble) -> LongDouble {
        LongDouble((self.0 + other.0).value)
    }

    /// Neither infinite nor NaN.
    pub fn is_finite(self) -> bool {
        self.0.is_finite()
    }

    /// Appends the value as Redis's `ld2string(.., LD_STR_HUMAN)` does:
    /// `%.17Lf`, trailing zeros and a trailing dot removed, `-0` as `0`.
    pub fn write_human(self, out: &mut Vec<u8>) {
        if self.0.is_infinite() {
            out.extend_from_slice(if self.0.is_negative() { b"-inf" } else { b"inf" });
            return;
        }
        let start = out.len();
        write_fixed_17(self.0, out);
        if out[start..].contains(&b'.') {
            while out.last() == Some(&b'0') {
                out.pop();
            }
            if out.last() == Some(&b'.') {
                out.pop();
            }
        }
        if &out[start..] == b"-0" {
            out.truncate(start);
            out.push(b'0');
        }
    }

    /// The human form as a new vector.
    pub fn to_human_vec(self) -> Vec<u8> {
        let mut out = Vec::with_capacity(32);
        self.write_human(&mut out);
        out
    }
}

/// Appends `%.17Lf` of a finite x87 value, rounding half to even on the
/// exact binary value as glibc's printf does.
fn write_fixed_17(value: X87DoubleExtended, out: &mut Vec<u8>) {
    const DECIMALS: u32 = 17;
    let bits = value.to_bits();
    let negative = (bits >> 79) & 1 == 1;
    let biased_exponent = ((bits >> 64) & 0x7fff) as i32;
    let mantissa = bits as u64;
    // value = mantissa × 2^shift
    let shift = if biased_exponent == 0 {
        1 - 16383 - 63
    } else {
        biased_exponent - 16383 - 63
    };
    if negative {
        out.push(b'-');
    }
    let mut scaled = BigDecimal::from_u64(mantissa);
    // scaled = mantissa × 10^17 × 2^shift, rounded half-even to an integer.
    scaled.mul_small(10u32.pow(9));
    scaled.mul_small(10u32.pow(8));
    if shift >= 0 {
        for _ in 0..shift {
            scaled.mul_small(2);
        }
    } else {
        scaled.shift_right_round_even((-shift) as u32);
    }
    let digits = scaled.to_decimal();
    let digits = if digits.len() <= DECIMALS as usize {
        let mut padded = Vec::with_capacity(DECIMALS as usize + 1);
        padded.resize(DECIMALS as usize + 1 - digits.len(), b'0');
        padded.extend_from_slice(&digits);
        padded
    } else {
        digits
    };
    let split = digits.len() - DECIMALS as usize;
    out.extend_from_slice(&digits[..split]);
    out.push(b'.');
    out.extend_from_slice(&digits[split..]);
}

/// A little-endian base-2^32 unsigned integer, just enough for
/// [`write_fixed_17`]: values up to 2^16384 × 10^17.
struct BigDecimal {
    limbs: Vec<u32>,
}

impl BigDecimal {
    fn from_u64(value: u64) -> Self {
        BigDecimal {
            limbs: alloc::vec![value as u32, (value >> 32) as u32],
        }
    }

    fn mul_small(&mut self, factor: u32) {
        let mut carry = 0u64;
        for limb in &mut self.limbs {
            let product = *limb as u64 * factor as u64 + carry;
            *limb = product as u32;
            carry = product >> 32;
        }
        if carry > 0 {
            self.limbs.push(carry as u32);
        }
    }

    fn bit(&self, index: u32) -> bool {
        let limb = (index / 32) as usize;
        limb < self.limbs.len() && (self.limbs[limb] >> (index % 32)) & 1 == 1
    }

    fn any_bit_below(&self, index: u32) -> bool {
        let full = (index / 32) as usize;
        if self.limbs.iter().take(full).any(|&l| l != 0) {
            return true;
        }
        let partial = index % 32;
        partial > 0 && full < self.limbs.len() && self.limbs[full] & ((1u32 << partial) - 1) != 0
    }

    /// Divides by 2^bits, rounding half to even.
    fn shift_right_round_even(&mut self, bits: u32) {
        let half = bits >= 1 && self.bit(bits - 1);
        let sticky = bits >= 2 && self.any_bit_below(bits - 1);
        let limb_shift = (bits / 32) as usize;
        let bit_shift = bits % 32;
        if limb_shift >= self.limbs.len() {
            self.limbs = alloc::vec![0];
        } else {
            self.limbs.drain(..limb_shift);
            if bit_shift > 0 {
                for i in 0..self.limbs.len() {
                    let high = self.limbs.get(i + 1).copied().unwrap_or(0);
                    self.limbs[i] = (self.limbs[i] >> bit_shift) | (high << (32 - bit_shift));
                }
            }
        }
        let odd = self.limbs[0] & 1 == 1;
        if half && (sticky || odd) {
            self.add_one();
        }
    }

    fn add_one(&mut self) {
        for limb in &mut self.limbs {
            let (sum, overflow) = limb.overflowing_add(1);
            *limb = sum;
            if !overflow {
                return;
            }
        }
        self.limbs.push(1);
    }

    /// Decimal digits, most significant first, no leading zeros ("0" for 0).
    fn to_decimal(&self) -> Vec<u8> {
        let mut limbs = self.limbs.clone();
        let mut chunks = Vec::new();
        while limbs.iter().any(|&l| l != 0) {
            let mut remainder = 0u64;
            for limb in limbs.iter_mut().rev() {
                let current = (remainder << 32) | *limb as u64;
                *limb = (current / 1_000_000_000) as u32;
                remainder = current % 1_000_000_000;
            }
            chunks.push(remainder as u32);
            while limbs.last() == Some(&0) {
                limbs.pop();
            }
        }
        let mut out = Vec::new();
        match chunks.split_last() {
            None => out.push(b'0'),
            Some((first, rest)) => {
                let mut buffer = itoa::Buffer::new();
                out.extend_from_slice(buffer.format(*first).as_bytes());
                for chunk in rest.iter().rev() {
                    let text = buffer.format(*chunk);
                    out.resize(out.len() + 9 - text.len(), b'0');
                    out.extend_from_slice(text.as_bytes());
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::String;

    fn g17(value: f64) -> String {
        String::from_utf8(double_to_vec(value)).unwrap()
    }

    fn human(s: &str) -> String {
        String::from_utf8(LongDouble::parse(s.as_bytes()).unwrap().to_human_vec()).unwrap()
    }

    #[test]
    fn integers_follow_string2ll() {
        assert_eq!(parse_i64(b"0"), Some(0));
        assert_eq!(parse_i64(b"-9223372036854775808"), Some(i64::MIN));
        assert_eq!(parse_i64(b"9223372036854775807"), Some(i64::MAX));
        for bad in [
            &b""[..],
            b"-",
            b"01",
            b"+1",
            b" 1",
            b"1 ",
            b"9223372036854775808",
            b"-0",
            b"1.0",
        ] {
            assert_eq!(parse_i64(bad), None, "{:?}", bad);
        }
    }

    #[test]
    fn doubles_follow_strtod_with_redis_checks() {
        assert_eq!(parse_f64(b"1.5"), Some(1.5));
        assert_eq!(parse_f64(b"-inf"), Some(f64::NEG_INFINITY));
        assert_eq!(parse_f64(b"+Infinity"), Some(f64::INFINITY));
        assert_eq!(parse_f64(b".5"), Some(0.5));
        assert_eq!(parse_f64(b"5."), Some(5.0));
        assert_eq!(parse_f64(b"1e3"), Some(1000.0));
        assert_eq!(parse_f64(b"0x1p3"), Some(8.0));
        assert_eq!(parse_f64(b"0x10"), Some(16.0));
        assert_eq!(parse_f64(b"-0"), Some(-0.0));
        for bad in [
            &b""[..],
            b" 1",
            b"1 ",
            b"nan",
            b"1e",
            b"e1",
            b"1e400",
            b"1e-400",
            b"abc",
            b".",
        ] {
            assert_eq!(parse_f64(bad), None, "{:?}", bad);
        }
    }

    #[test]
    fn double_replies_match_printf_g17() {
        assert_eq!(g17(1.0), "1");
        assert_eq!(g17(1.5), "1.5");
        assert_eq!(g17(0.1), "0.10000000000000001");
        assert_eq!(g17(-2.5), "-2.5");
        assert_eq!(g17(1e17), "1e+17");
        assert_eq!(g17(1e16), "10000000000000000");
        assert_eq!(g17(123456789012345678.0), "1.2345678901234568e+17");
        assert_eq!(g17(0.0001), "0.0001");
        assert_eq!(g17(0.00001), "1.0000000000000001e-05");
        assert_eq!(g17(3.14e-300), "3.14e-300");
        assert_eq!(g17(f64::INFINITY), "inf");
        assert_eq!(g17(-0.0), "-0");
    }

    #[test]
    fn long_double_human_form_matches_redis() {
        assert_eq!(human("0.1"), "0.1");
        assert_eq!(human("10.5"), "10.5");
        assert_eq!(human("5.0e3"), "5000");
        assert_eq!(human("-0"), "0");
        assert_eq!(human("3.0000000000000001"), "3.0000000000000001");
        assert_eq!(human("2.99999999999999999999"), "3");
        assert_eq!(human("1e20"), "100000000000000000000");
        let sum = LongDouble::parse(b"10.5")
            .unwrap()
            .plus(LongDouble::parse(b"0.1").unwrap());
        assert_eq!(String::from_utf8(sum.to_human_vec()).unwrap(), "10.6");
        let third = LongDouble::parse(b"0.333333333333333333333").unwrap();
        assert_eq!(String::from_utf8(third.to_human_vec()).unwrap(), "0.33333333333333333");
        assert!(LongDouble::parse(b"1e5000").is_none());
        assert!(LongDouble::parse(b"nan").is_none());
    }
}
