//! QA overrides: `x-cleave-force: <experiment-key>=<variant>,...` (the prefix is the host's
//! header prefix). Honoured only where the host enables it (off by default), and only for
//! a variant the experiment has.

use alloc::string::{String, ToString};
use alloc::vec::Vec;

/// The force header's name after the prefix.
pub const FORCE_HEADER: &str = "force";

/// The `(key, variant)` pairs of every `<prefix>force` header among `headers` (names
/// compared case-insensitively; empty or malformed pairs skipped).
pub fn force_overrides<'h>(
    prefix: &str,
    headers: impl IntoIterator<Item = (&'h str, &'h str)>,
) -> Vec<(String, String)> {
    headers
        .into_iter()
        .filter(|(name, _)| is_force_header(prefix, name))
        .flat_map(|(_, value)| value.split(','))
        .filter_map(|pair| pair.trim().split_once('='))
        .map(|(k, v)| (k.trim(), v.trim()))
        .filter(|(k, v)| !k.is_empty() && !v.is_empty())
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn is_force_header(prefix: &str, name: &str) -> bool {
    name.len() == prefix.len() + FORCE_HEADER.len()
        && name.as_bytes()[..prefix.len()].eq_ignore_ascii_case(prefix.as_bytes())
        && name.as_bytes()[prefix.len()..].eq_ignore_ascii_case(FORCE_HEADER.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::force_overrides;

    #[test]
    fn reads_pairs_from_every_force_header() {
        let headers = [
            ("X-Cleave-Force", " checkout=green, nav = b ,bad, =x, y="),
            ("x-cleave-forced", "ignored=1"),
            ("x-cleave-force", "pricing=high"),
        ];
        let got = force_overrides("x-cleave-", headers);
        let pairs: alloc::vec::Vec<(&str, &str)> =
            got.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        assert_eq!(
            pairs,
            [("checkout", "green"), ("nav", "b"), ("pricing", "high")]
        );
    }
}
