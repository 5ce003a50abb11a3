//! Contract v2's second kind of draw: a unit's point in a named layer or holdout, and the
//! share bounds it is compared with (see `docs/assignment.md`, *Layers and holdouts*).

use super::hash::SEPARATOR;
use sha2::{Digest, Sha256};

/// Domain of a unit's point in an exclusion layer.
pub const LAYER_DOMAIN: &str = "cleave/layer";
/// Domain of a unit's point in a holdout.
pub const HOLDOUT_DOMAIN: &str = "cleave/holdout";

/// `2^64`, the exclusive upper end of every point.
const FULL: u128 = 1 << 64;

/// A unit's point in `name` of `domain`: the first 8 bytes, big-endian, of
/// `SHA-256(domain ‖ 0x00 ‖ name ‖ 0x00 ‖ unit_id)`. Names never contain `0x00`, and the
/// domain makes the draw independent of every experiment's (whose salt could equal a layer
/// name). No heap allocation.
pub fn share_point(domain: &str, name: &str, unit_id: &str) -> u64 {
    let digest = Sha256::new()
        .chain_update(domain.as_bytes())
        .chain_update([SEPARATOR])
        .chain_update(name.as_bytes())
        .chain_update([SEPARATOR])
        .chain_update(unit_id.as_bytes())
        .finalize();
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[0..8]);
    u64::from_be_bytes(first)
}

/// Where the share `x` of `[0, 2^64)` ends: `2^64` when `x ≥ 1`, `0` when `x ≤ 0` (or
/// NaN), else `floor(x · 2^64)` (exact: a power-of-two scale of a double).
pub fn share_bound(x: f64) -> u128 {
    if x >= 1.0 {
        FULL
    } else if x > 0.0 {
        (x * 18_446_744_073_709_551_616.0) as u128
    } else {
        0
    }
}

/// Whether `point` lies in `[bound(start), bound(end))`.
pub fn in_range(point: u64, start: f64, end: f64) -> bool {
    let p = u128::from(point);
    share_bound(start) <= p && p < share_bound(end)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_cover_the_whole_range_exactly() {
        assert_eq!(share_bound(0.0), 0);
        assert_eq!(share_bound(-1.0), 0);
        assert_eq!(share_bound(f64::NAN), 0);
        assert_eq!(share_bound(1.0), FULL);
        assert_eq!(share_bound(0.5), 1 << 63);
        assert!(in_range(u64::MAX, 0.0, 1.0));
        assert!(in_range(0, 0.0, 0.5));
        assert!(!in_range(1 << 63, 0.0, 0.5));
        assert!(in_range(1 << 63, 0.5, 1.0));
        assert!(!in_range(5, 0.3, 0.3));
    }

    #[test]
    fn domains_separate_draws() {
        let a = share_point(LAYER_DOMAIN, "checkout", "u1");
        let b = share_point(HOLDOUT_DOMAIN, "checkout", "u1");
        assert_ne!(a, b);
        assert_eq!(a, share_point(LAYER_DOMAIN, "checkout", "u1"));
    }
}
