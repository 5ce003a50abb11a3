//! The JSON path of a `serde_json` error (`snapshot.refresh_ms`, `variants[1].weight`),
//! recovered from the error's position by scanning the text before it, so every host names
//! the offending field the same way. Cheaper in code size than wrapping every deserialiser
//! to track the path (26 KB in the Envoy filter), and only run on failure.

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

/// One open container while scanning.
enum Frame {
    /// An object and the last key read in it.
    Object(Option<String>),
    /// An array and the index of the current element.
    Array(usize),
}

/// The path of the value being read when `offset` bytes of `text` had been consumed.
/// Empty at the top level.
pub fn path_at(text: &[u8], offset: usize) -> String {
    let end = offset.min(text.len());
    let mut stack: Vec<Frame> = Vec::new();
    let mut expect_key = false;
    let mut i = 0;
    while i < end {
        match text[i] {
            b'{' => {
                stack.push(Frame::Object(None));
                expect_key = true;
            }
            b'[' => stack.push(Frame::Array(0)),
            b'}' | b']' => {
                stack.pop();
                expect_key = false;
            }
            b',' => match stack.last_mut() {
                Some(Frame::Array(n)) => *n += 1,
                Some(Frame::Object(_)) => expect_key = true,
                None => {}
            },
            b':' => expect_key = false,
            b'"' => {
                let mut chars = Vec::new();
                i += 1;
                while i < end && text[i] != b'"' {
                    if text[i] == b'\\' {
                        i += 1;
                    }
                    if let Some(&c) = text.get(i) {
                        chars.push(c);
                    }
                    i += 1;
                }
                if expect_key && let Some(Frame::Object(key)) = stack.last_mut() {
                    *key = Some(String::from_utf8_lossy(&chars).into_owned());
                }
            }
            _ => {}
        }
        i += 1;
    }
    let mut path = String::new();
    for frame in &stack {
        match frame {
            Frame::Object(Some(key)) => {
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(key);
            }
            Frame::Object(None) => {}
            Frame::Array(n) => path.push_str(&format!("[{n}]")),
        }
    }
    path
}

/// The field a `serde_json` error is about: the path at its position, plus the field
/// itself for a missing field (reported at the end of its object); `None` when the
/// document itself is at fault (a syntax error before any field, a wrong top-level type).
pub fn error_field(text: &[u8], error: &serde_json::Error) -> Option<String> {
    let line_start: usize = text
        .split(|&b| b == b'\n')
        .take(error.line().saturating_sub(1))
        .map(|l| l.len() + 1)
        .sum();
    let message = error.to_string();
    let missing = message
        .strip_prefix("missing field `")
        .and_then(|rest| rest.split('`').next());
    field_at(text, line_start + error.column(), missing)
}

/// The field a parse error at `offset` is about: the path there, plus `missing` (a field
/// reported missing at the end of its object, so `offset` is just past that object);
/// `None` when the document itself is at fault.
fn field_at(text: &[u8], offset: usize, missing: Option<&str>) -> Option<String> {
    let mut path = path_at(text, offset);
    if let Some(missing) = missing {
        if !path.is_empty() {
            path.push('.');
        }
        path.push_str(missing);
    }
    (!path.is_empty()).then_some(path)
}

#[cfg(test)]
mod tests {
    use super::path_at;
    use alloc::string::String;

    fn before(text: &str, marker: &str) -> String {
        let offset = text.find(marker).map_or(text.len(), |i| i + marker.len());
        path_at(text.as_bytes(), offset)
    }

    #[test]
    fn follows_objects_arrays_and_escapes() {
        let text = r#"{"a": {"b\"c": [1, {"d": [true, false, "x"]}]}, "e": 2}"#;
        assert_eq!(before(text, "[1"), r#"a.b"c[0]"#);
        assert_eq!(before(text, "false"), r#"a.b"c[1].d[1]"#);
        assert_eq!(before(text, r#""e""#), "e");
        assert_eq!(before(text, "{"), "");
        assert_eq!(path_at(b"", 10), "");
    }

    #[cfg(not(target_arch = "wasm32"))]
    proptest::proptest! {
        #[test]
        fn never_panics(text in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..256), offset in 0usize..300) {
            let _ = path_at(&text, offset);
        }
    }
}
