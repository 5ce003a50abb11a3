//! Entity tags of generated bodies (the snapshot, OFREP's bulk answer) and the
//! `If-None-Match` check, once for every endpoint that answers 304.

use sha2::{Digest, Sha256};

/// A strong entity tag for `body`: the first 12 bytes of its SHA-256, hex, quoted.
pub fn of(body: &[u8]) -> String {
    let hex: String = Sha256::digest(body)
        .iter()
        .take(12)
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("\"{hex}\"")
}

/// Whether an `If-None-Match` value (a list of tags, or `*`) names `etag` (weak
/// comparison, as RFC 9110 asks of `If-None-Match`).
pub fn matches(if_none_match: Option<&str>, etag: &str) -> bool {
    if_none_match.is_some_and(|h| {
        h.split(',')
            .map(str::trim)
            .any(|t| t == "*" || t == etag || t.strip_prefix("W/").is_some_and(|weak| weak == etag))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tag_matches_itself_in_a_list_weakly_or_as_a_star_and_nothing_else() {
        let tag = of(b"body");
        assert_eq!(tag.len(), 26);
        assert_ne!(tag, of(b"other"));
        assert!(matches(Some(&tag), &tag));
        assert!(matches(Some(&format!("\"x\", W/{tag}")), &tag));
        assert!(matches(Some("*"), &tag));
        assert!(!matches(Some("\"x\""), &tag));
        assert!(!matches(None, &tag));
    }
}
