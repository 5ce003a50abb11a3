//! Which data-plane shard holds a unit's data (see `docs/assignment.md`, *Shards*).
//!
//! Not part of the variant decision: it only says where the host stores a unit's exposure
//! and events, so every host (and every isolate) finds them in the same place.

use super::hash::SEPARATOR;
use sha2::{Digest, Sha256};

/// Domain of a unit's shard draw.
pub const SHARD_DOMAIN: &str = "cleave/shard";
/// Shards an experiment gets when its creator does not choose.
pub const DEFAULT_SHARDS: u16 = 8;
/// Most shards an experiment may have.
pub const MAX_SHARDS: u16 = 256;

/// The shard of `unit_id` among `shards` (`0..shards`): with `p` the first 8 bytes,
/// big-endian, of `SHA-256("cleave/shard" ‖ 0x00 ‖ unit_id)`, the shard is
/// `floor(p · shards / 2^64)`. Independent of the experiment, so a unit has the same shard
/// index in every experiment with the same shard count. `shards` of 0 counts as 1.
pub fn shard_of(unit_id: &str, shards: u16) -> u16 {
    let digest = Sha256::new()
        .chain_update(SHARD_DOMAIN.as_bytes())
        .chain_update([SEPARATOR])
        .chain_update(unit_id.as_bytes())
        .finalize();
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[0..8]);
    let point = u128::from(u64::from_be_bytes(first));
    ((point * u128::from(shards.max(1))) >> 64) as u16
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_stay_in_range_and_one_shard_takes_all() {
        for i in 0..500 {
            let unit = alloc::format!("u{i}");
            assert_eq!(shard_of(&unit, 1), 0);
            assert_eq!(shard_of(&unit, 0), 0);
            assert!(shard_of(&unit, 8) < 8);
            assert!(shard_of(&unit, MAX_SHARDS) < MAX_SHARDS);
        }
    }

    #[test]
    fn units_spread_over_the_shards() {
        let mut counts = [0u32; 8];
        for i in 0..8_000 {
            counts[usize::from(shard_of(&alloc::format!("user-{i}"), 8))] += 1;
        }
        // 1,000 expected per shard; 5 standard deviations is about ±150.
        assert!(
            counts.iter().all(|&c| (850..1_150).contains(&c)),
            "{counts:?}"
        );
    }
}
