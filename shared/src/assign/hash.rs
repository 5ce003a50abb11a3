//! The hashed bytes of assignment contract v1 (see `docs/assignment.md`).

use sha2::{Digest, Sha256};

/// Byte that separates the salt from the unit id. Salts never contain it.
pub const SEPARATOR: u8 = 0x00;

/// The two independent 64-bit draws a unit gets in one experiment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UnitHash {
    /// Digest bytes 0..8, big-endian: decides traffic inclusion.
    pub traffic: u64,
    /// Digest bytes 8..16, big-endian: decides the variant.
    pub bucket: u64,
}

/// Bytes hashed from one stack buffer: a salt (≤ 128 characters, so ≤ 512 bytes), the
/// separator and a unit id (≤ 256 characters, so ≤ 1,024 bytes) always fit.
const BUFFER: usize = 1_540;

/// `SHA-256(salt ‖ 0x00 ‖ unit_id)` split into two big-endian `u64`s.
///
/// Both strings are hashed as their UTF-8 bytes, unnormalized. No heap allocation: the
/// bytes are laid out in one stack buffer and hashed in one call (three incremental
/// updates cost ~17 ns more per assignment, `docs/benchmarks.md`); longer inputs, which
/// validation never lets through, are hashed incrementally to the same digest.
pub fn unit_hash(salt: &str, unit_id: &str) -> UnitHash {
    let (salt, unit) = (salt.as_bytes(), unit_id.as_bytes());
    let len = salt.len() + 1 + unit.len();
    let digest = if len <= BUFFER {
        let mut buffer = [0u8; BUFFER];
        buffer[..salt.len()].copy_from_slice(salt);
        buffer[salt.len()] = SEPARATOR;
        buffer[salt.len() + 1..len].copy_from_slice(unit);
        Sha256::digest(&buffer[..len])
    } else {
        Sha256::new()
            .chain_update(salt)
            .chain_update([SEPARATOR])
            .chain_update(unit)
            .finalize()
    };
    let mut traffic = [0u8; 8];
    let mut bucket = [0u8; 8];
    traffic.copy_from_slice(&digest[0..8]);
    bucket.copy_from_slice(&digest[8..16]);
    UnitHash {
        traffic: u64::from_be_bytes(traffic),
        bucket: u64::from_be_bytes(bucket),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec::Vec;

    /// The digest of the concatenation, computed the plain way.
    fn plain(salt: &str, unit: &str) -> UnitHash {
        let bytes: Vec<u8> = [salt.as_bytes(), &[SEPARATOR], unit.as_bytes()].concat();
        let d = Sha256::digest(&bytes);
        let word = |r: core::ops::Range<usize>| {
            let mut w = [0u8; 8];
            w.copy_from_slice(&d[r]);
            u64::from_be_bytes(w)
        };
        UnitHash {
            traffic: word(0..8),
            bucket: word(8..16),
        }
    }

    #[test]
    fn both_paths_hash_the_same_bytes() {
        let long_salt = "s".repeat(600);
        let long_unit = "ü".repeat(600); // 1,200 bytes: over the buffer with the salt
        for (salt, unit) in [
            ("exp", "user-1"),
            ("", ""),
            (long_salt.as_str(), "u"),
            (long_salt.as_str(), long_unit.as_str()),
            ("x".repeat(128).as_str(), "😀".repeat(256).as_str()),
        ] {
            assert_eq!(
                unit_hash(salt, unit),
                plain(salt, unit),
                "{}+{}",
                salt.len(),
                unit.len()
            );
        }
    }
}
