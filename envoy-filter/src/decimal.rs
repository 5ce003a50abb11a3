//! Decimal text to `f64`, correctly rounded (round half to even), without lookup tables.
//!
//! `str::parse::<f64>` is exact too, but links a 21 KB table of powers of five; the filter
//! only parses numbers while reading its configuration and snapshots, so it can afford a
//! slower method. Short inputs (at most 15 significant digits and a power of ten up to 22,
//! which covers weights such as `0.8` or `2.5e-3`) take Clinger's fast path: both operands
//! are exact doubles, so one IEEE multiplication or division rounds correctly. Everything
//! else starts from an estimate and walks to the right double by comparing the decimal
//! value exactly, in big integers, with the halfway points between neighbouring doubles.
//! `tests/json.rs` checks it bit for bit against serde_json and against `str::parse`.

use std::cmp::Ordering;

/// Significant digits kept; any halfway point between two doubles has at most 767, so
/// a longer input only needs to know that the digits it dropped were not all zero.
const MAX_DIGITS: usize = 800;

/// The value of a JSON number token (`-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`),
/// or `None` when it is too large for an `f64`.
pub fn parse(token: &[u8]) -> Option<f64> {
    let (negative, magnitude) = match token.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, token),
    };
    let value = parse_magnitude(magnitude)?;
    Some(if negative { -value } else { value })
}

fn parse_magnitude(text: &[u8]) -> Option<f64> {
    let mut digits: Vec<u8> = Vec::new();
    let mut exp10: i64 = 0;
    let mut i = 0;
    while let Some(d) = text.get(i).filter(|b| b.is_ascii_digit()) {
        if !(digits.is_empty() && *d == b'0') {
            digits.push(d - b'0');
        }
        i += 1;
    }
    if text.get(i) == Some(&b'.') {
        i += 1;
        while let Some(d) = text.get(i).filter(|b| b.is_ascii_digit()) {
            if !(digits.is_empty() && *d == b'0') {
                digits.push(d - b'0');
            }
            exp10 -= 1;
            i += 1;
        }
    }
    if matches!(text.get(i), Some(b'e' | b'E')) {
        i += 1;
        let negative = text.get(i) == Some(&b'-');
        if matches!(text.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        let mut e: i64 = 0;
        while let Some(d) = text.get(i).filter(|b| b.is_ascii_digit()) {
            e = (e * 10 + i64::from(d - b'0')).min(1_000_000_000);
            i += 1;
        }
        exp10 += if negative { -e } else { e };
    }
    while digits.last() == Some(&0) {
        digits.pop();
        exp10 += 1;
    }
    if digits.is_empty() {
        return Some(0.0);
    }
    let n = digits.len() as i64;
    // The value lies in [10^(n-1+exp10), 10^(n+exp10)).
    if n + exp10 > 310 {
        return None;
    }
    if n + exp10 < -324 {
        return Some(0.0);
    }
    if n <= 15 && (-22..=22).contains(&exp10) {
        let d = digits.iter().fold(0u64, |acc, &d| acc * 10 + u64::from(d)) as f64;
        let p = pow10(exp10.unsigned_abs() as u32);
        return Some(if exp10 >= 0 { d * p } else { d / p });
    }
    let sticky = digits.len() > MAX_DIGITS;
    if sticky {
        exp10 += (digits.len() - MAX_DIGITS) as i64;
        digits.truncate(MAX_DIGITS);
    }
    let exact = Decimal {
        digits: &digits,
        exp10,
        sticky,
    };
    refine(&exact, estimate(&digits, exp10))
}

/// 10^e for e ≤ 22, exactly (every intermediate power is a double).
fn pow10(e: u32) -> f64 {
    (0..e).fold(1.0, |p, _| p * 10.0)
}

/// A double near the value, from its first 17 digits (a few units in the last place off).
fn estimate(digits: &[u8], exp10: i64) -> f64 {
    let take = digits.len().min(17);
    let w = digits[..take]
        .iter()
        .fold(0u64, |acc, &d| acc * 10 + u64::from(d)) as f64;
    let e = (exp10 + (digits.len() - take) as i64) as i32;
    let x = w * 10f64.powi(e / 2) * 10f64.powi(e - e / 2);
    if x.is_finite() { x } else { f64::MAX }
}

/// The exact decimal `digits × 10^exp10` (plus a little more when `sticky`).
struct Decimal<'a> {
    digits: &'a [u8],
    exp10: i64,
    sticky: bool,
}

impl Decimal<'_> {
    /// Compares the decimal with `m × 2^k`.
    fn cmp(&self, m: u64, k: i64) -> Ordering {
        let mut lhs = Big::from_digits(self.digits);
        let mut rhs = Big::from_u64(m);
        if self.exp10 >= 0 {
            lhs.mul_pow5(self.exp10 as u64);
            lhs.shl(self.exp10 as u64);
        } else {
            rhs.mul_pow5(self.exp10.unsigned_abs());
            rhs.shl(self.exp10.unsigned_abs());
        }
        if k >= 0 {
            rhs.shl(k as u64);
        } else {
            lhs.shl(k.unsigned_abs());
        }
        match lhs.cmp(&mut rhs) {
            Ordering::Equal if self.sticky => Ordering::Greater,
            other => other,
        }
    }
}

/// `x` (positive, finite) as `m × 2^k` with an integer `m`.
fn decompose(x: f64) -> (u64, i64) {
    let bits = x.to_bits();
    let biased = ((bits >> 52) & 0x7ff) as i64;
    let fraction = bits & ((1 << 52) - 1);
    if biased == 0 {
        (fraction, -1074)
    } else {
        (fraction | (1 << 52), biased - 1075)
    }
}

/// Most steps from the estimate (which is a few units in the last place off); a bound so
/// that no input can make the walk long.
const MAX_STEPS: usize = 1_000;

/// Walks from the estimate to the double nearest to `value` (ties to even); `None` if
/// that is beyond `f64::MAX` (or, never seen, the estimate was too far off).
fn refine(value: &Decimal<'_>, mut x: f64) -> Option<f64> {
    let even = |x: f64| x.to_bits() & 1 == 0;
    for _ in 0..MAX_STEPS {
        let (m, k) = decompose(x);
        let up = f64::from_bits(x.to_bits() + 1);
        match value.cmp(2 * m + 1, k - 1) {
            Ordering::Greater => {
                if x == f64::MAX {
                    return None;
                }
                x = up;
                continue;
            }
            Ordering::Equal => {
                return if even(x) {
                    Some(x)
                } else {
                    (x != f64::MAX).then_some(up)
                };
            }
            Ordering::Less => {}
        }
        if x == 0.0 {
            return Some(0.0);
        }
        let down = f64::from_bits(x.to_bits() - 1);
        let power_of_two = x.to_bits() & ((1 << 52) - 1) == 0 && (x.to_bits() >> 52) > 1;
        let (lm, lk) = if power_of_two {
            (4 * m - 1, k - 2)
        } else {
            (2 * m - 1, k - 1)
        };
        match value.cmp(lm, lk) {
            Ordering::Less => x = down,
            Ordering::Equal => return Some(if even(x) { x } else { down }),
            Ordering::Greater => return Some(x),
        }
    }
    None
}

/// An unsigned big integer, little-endian 32-bit limbs.
struct Big(Vec<u32>);

impl Big {
    fn from_u64(n: u64) -> Self {
        Self(vec![n as u32, (n >> 32) as u32])
    }

    fn from_digits(digits: &[u8]) -> Self {
        let mut big = Self(Vec::with_capacity(digits.len() / 9 + 2));
        for chunk in digits.chunks(9) {
            let value = chunk.iter().fold(0u32, |acc, &d| acc * 10 + u32::from(d));
            big.mul_add(10u32.pow(chunk.len() as u32), value);
        }
        big
    }

    /// `self = self × factor + carry`.
    fn mul_add(&mut self, factor: u32, mut carry: u32) {
        for limb in &mut self.0 {
            let wide = u64::from(*limb) * u64::from(factor) + u64::from(carry);
            *limb = wide as u32;
            carry = (wide >> 32) as u32;
        }
        if carry != 0 {
            self.0.push(carry);
        }
    }

    fn mul_pow5(&mut self, mut e: u64) {
        const FIVE_13: u32 = 1_220_703_125;
        while e >= 13 {
            self.mul_add(FIVE_13, 0);
            e -= 13;
        }
        self.mul_add(5u32.pow(e as u32), 0);
    }

    fn shl(&mut self, bits: u64) {
        let (limbs, bits) = ((bits / 32) as usize, (bits % 32) as u32);
        if bits != 0 {
            let mut carry = 0;
            for limb in &mut self.0 {
                let next = *limb >> (32 - bits);
                *limb = (*limb << bits) | carry;
                carry = next;
            }
            if carry != 0 {
                self.0.push(carry);
            }
        }
        self.0.splice(0..0, std::iter::repeat_n(0, limbs));
    }

    fn cmp(&mut self, other: &mut Self) -> Ordering {
        for big in [&mut *self, &mut *other] {
            while big.0.last() == Some(&0) {
                big.0.pop();
            }
        }
        self.0
            .len()
            .cmp(&other.0.len())
            .then_with(|| self.0.iter().rev().cmp(other.0.iter().rev()))
    }
}

#[cfg(test)]
mod tests {
    use super::parse;

    fn both(text: &str) {
        let want: f64 = text.parse().unwrap();
        let got = parse(text.as_bytes());
        if want.is_finite() {
            assert_eq!(got.map(f64::to_bits), Some(want.to_bits()), "{text}");
        } else {
            assert_eq!(got, None, "{text}");
        }
    }

    #[test]
    fn hard_cases_round_like_the_standard_library() {
        for text in [
            "0",
            "0.0",
            "-0",
            "1",
            "0.1",
            "0.8",
            "2.5e-3",
            "0.30000000000000004",
            "0.8000000000000002",
            "9007199254740993",
            "9007199254740992.5",
            "1.7976931348623157e308",
            "1.7976931348623158e308",
            "1.7976931348623159e308",
            "2.2250738585072011e-308",
            "2.2250738585072014e-308",
            "4.9406564584124654e-324",
            "2.4703282292062327e-324",
            "2.4703282292062328e-324",
            "1e-400",
            "1e400",
            "1e23",
            "8.98846567431158e307",
            "123456789012345678901234567890e-20",
            "0.000000000000000000000000000000000000000000000000000000000000000000001",
        ] {
            both(text);
        }
        let long = format!("1.{}1e-5", "0".repeat(900));
        both(&long);
        let halfway = format!("9007199254740993{}", "0".repeat(850));
        both(&format!("{halfway}e-850"));
        both(&format!("{halfway}1e-851"));
    }
}
