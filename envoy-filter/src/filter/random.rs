//! Random bytes for minted user ids, from the host's WASI `random_get`, which Envoy gives
//! every Wasm module whatever target it was built for. (The filter is built for
//! `wasm32-unknown-unknown`, where the `getrandom` crate has no source of its own.)

#[link(wasm_import_module = "wasi_snapshot_preview1")]
unsafe extern "C" {
    fn random_get(buf: *mut u8, len: usize) -> u16;
}

/// `N` random bytes, or `None` if the host refused (WASI errno other than 0).
pub(super) fn random_bytes<const N: usize>() -> Option<[u8; N]> {
    let mut bytes = [0u8; N];
    // SAFETY: `random_get` writes exactly `len` bytes to `buf`, a buffer of that length
    // owned by this frame.
    let errno = unsafe { random_get(bytes.as_mut_ptr(), bytes.len()) };
    (errno == 0).then_some(bytes)
}
