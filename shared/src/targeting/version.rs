//! Version strings for `$veq`, `$vgt`, …: GrowthBook's padded form, compared as strings.

use alloc::string::{String, ToString};
use alloc::vec::Vec;
use serde_json::Value;

/// The comparable form of a version: a leading `v` and build metadata (`+…`) dropped, split
/// on `.` and `-`, a fourth part `~` added to plain `x.y.z` (so a release sorts after its
/// pre-releases), numeric parts left-padded to five characters, joined with `-`.
/// Non-strings other than numbers read as `"0"`.
pub fn padded_version(value: Option<&Value>) -> String {
    let text = match value {
        Some(Value::String(s)) if !s.is_empty() => s.clone(),
        Some(Value::Number(n)) => super::compare::js_number_string(n.as_f64().unwrap_or(0.0)),
        _ => "0".to_string(),
    };
    let text = text.strip_prefix('v').unwrap_or(&text);
    let text = text.split('+').next().unwrap_or_default();
    let mut parts: Vec<&str> = text.split(['.', '-']).collect();
    if parts.len() == 3 {
        parts.push("~");
    }
    let padded: Vec<String> = parts
        .iter()
        .map(|part| {
            if !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit()) {
                alloc::format!("{part:>5}")
            } else {
                part.to_string()
            }
        })
        .collect();
    padded.join("-")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn releases_sort_after_prereleases_and_numbers_pad() {
        let v = |s: &str| padded_version(Some(&json!(s)));
        assert!(v("1.2.3") > v("1.2.3-beta"));
        assert!(v("1.10.0") > v("1.9.0"));
        assert_eq!(v("v1.2.3+build"), v("1.2.3"));
        assert_eq!(padded_version(None), "    0");
    }
}
