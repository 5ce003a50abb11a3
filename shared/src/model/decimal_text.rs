//! Short decimal text for numbers in validation messages, written with integer formatting:
//! a float `Display` would add ~20 KB of float printing to the Envoy filter, which links the
//! validator.

use alloc::format;
use alloc::string::String;

/// `x` with at most nine decimals, trailing zeros dropped (`0.9`, `1.000001`).
pub(crate) fn approx(x: f64) -> String {
    const SCALE: u64 = 1_000_000_000;
    let scaled = (if x < 0.0 {
        x * 1e9 - 0.5
    } else {
        x * 1e9 + 0.5
    }) as i64;
    let sign = if scaled < 0 { "-" } else { "" };
    let scaled = scaled.unsigned_abs();
    let fraction = format!("{:09}", scaled % SCALE);
    let fraction = fraction.trim_end_matches('0');
    if fraction.is_empty() {
        format!("{sign}{}", scaled / SCALE)
    } else {
        format!("{sign}{}.{fraction}", scaled / SCALE)
    }
}

#[cfg(test)]
mod tests {
    use super::approx;

    #[test]
    fn approx_writes_short_decimals() {
        assert_eq!(approx(0.9), "0.9");
        assert_eq!(approx(0.30000000000000004), "0.3");
        assert_eq!(approx(1.000002), "1.000002");
        assert_eq!(approx(2.0), "2");
        assert_eq!(approx(-0.25), "-0.25");
        assert_eq!(approx(0.0), "0");
    }
}
