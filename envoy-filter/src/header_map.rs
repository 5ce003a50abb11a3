//! Reading a header map as the proxy-wasm ABI serialises it, in place: the number of
//! pairs (`u32`, little-endian), then each pair's name and value lengths (`u32` each),
//! then each name and value followed by a NUL byte.
//!
//! Nothing is copied, and nothing panics: HTTP allows any byte from 0x80 up in a header
//! value (obs-text), so a value that is not UTF-8 is read as empty — never a user id —
//! while its name is still seen (so a spoofed `x-cleave-*` header is still stripped).
//! The SDK's own reader panics on such a value, which kills the VM.

/// The (name, value) pairs of a serialised map, or `None` if it is malformed.
pub fn pairs(bytes: &[u8]) -> Option<Vec<(&str, &str)>> {
    let count = usize::try_from(u32_at(bytes, 0)?).ok()?;
    let mut lengths = 4usize;
    let mut data = count.checked_mul(8)?.checked_add(4)?;
    let mut out = Vec::with_capacity(count.min(bytes.len() / 8));
    for _ in 0..count {
        let name_len = usize::try_from(u32_at(bytes, lengths)?).ok()?;
        let value_len = usize::try_from(u32_at(bytes, lengths + 4)?).ok()?;
        lengths += 8;
        let name = bytes.get(data..data.checked_add(name_len)?)?;
        data = data.checked_add(name_len)?.checked_add(1)?;
        let value = bytes.get(data..data.checked_add(value_len)?)?;
        data = data.checked_add(value_len)?.checked_add(1)?;
        if let Ok(name) = std::str::from_utf8(name) {
            out.push((name, std::str::from_utf8(value).unwrap_or("")));
        }
    }
    Some(out)
}

/// The little-endian `u32` at `at`, if the bytes are there.
fn u32_at(bytes: &[u8], at: usize) -> Option<u32> {
    let four = bytes.get(at..at.checked_add(4)?)?;
    Some(u32::from_le_bytes(four.try_into().ok()?))
}
