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

/// `SHA-256(salt ‖ 0x00 ‖ unit_id)` split into two big-endian `u64`s.
///
/// Both strings are hashed as their UTF-8 bytes, unnormalized. No heap allocation.
pub fn unit_hash(salt: &str, unit_id: &str) -> UnitHash {
    let digest = Sha256::new()
        .chain_update(salt.as_bytes())
        .chain_update([SEPARATOR])
        .chain_update(unit_id.as_bytes())
        .finalize();
    let mut traffic = [0u8; 8];
    let mut bucket = [0u8; 8];
    traffic.copy_from_slice(&digest[0..8]);
    bucket.copy_from_slice(&digest[8..16]);
    UnitHash {
        traffic: u64::from_be_bytes(traffic),
        bucket: u64::from_be_bytes(bucket),
    }
}
