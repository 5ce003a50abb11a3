//! A small JSON reader for the wire model, implementing serde's `Deserializer`, so the
//! filter parses the same `cleave_core` structs (derived `Deserialize`) as every other host.
//!
//! It exists for size: serde_json's reader, with its float-formatting error messages, cost
//! the filter ~40 KB of `.wasm`. It accepts exactly what serde_json accepts (RFC 8259, no
//! trailing commas or comments, at most 128 levels of nesting) and produces the same values:
//! integers as `u64`/`i64`, `-0` and integers beyond 64 bits as `f64`, other numbers
//! correctly rounded by [`crate::decimal`] (like serde_json's `float_roundtrip`), so
//! weights and allocations — and so assignments — are bit-identical. `tests/json.rs` checks that
//! against serde_json on generated documents.

mod de;
mod error;
mod reader;

pub use error::Error;
use reader::Reader;
use serde::de::DeserializeOwned;

/// Parses a whole document (only whitespace may follow the value).
pub fn from_slice<T: DeserializeOwned>(text: &[u8]) -> Result<T, Error> {
    let mut reader = Reader {
        text,
        pos: 0,
        depth: 0,
    };
    let value = T::deserialize(&mut reader).map_err(|e| e.or_at(reader.pos))?;
    match reader.skip_whitespace() {
        None => Ok(value),
        Some(_) => Err(reader.fail("trailing characters")),
    }
}

/// Appends `s` to `out` as a JSON string literal (quoted and escaped).
pub fn push_str(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if u32::from(c) < 0x20 => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                let n = u32::from(c) as usize;
                out.push_str("\\u00");
                out.push(char::from(HEX[n >> 4]));
                out.push(char::from(HEX[n & 15]));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}
