//! HTTP headers through the proxy-wasm ABI directly. The SDK's header helpers panic —
//! which kills the VM, and with it every later request — on a header value that is not
//! UTF-8 (legal in HTTP) or on an unexpected status, and copy every header into two
//! `String`s; these read the host's serialised map in place
//! ([`crate::header_map::pairs`]) and report failures instead.

/// The ABI's map types used here.
#[derive(Clone, Copy)]
#[repr(u32)]
pub(super) enum Map {
    RequestHeaders = 0,
    ResponseHeaders = 2,
}

#[link(wasm_import_module = "env")]
unsafe extern "C" {
    fn proxy_get_header_map_pairs(map: u32, data: *mut *mut u8, size: *mut usize) -> u32;
    fn proxy_add_header_map_value(
        map: u32,
        name: *const u8,
        name_size: usize,
        value: *const u8,
        value_size: usize,
    ) -> u32;
    fn proxy_remove_header_map_value(map: u32, name: *const u8, name_size: usize) -> u32;
}

/// The ABI's success status.
const OK: u32 = 0;

/// A header map as serialised by the host, owned by this module.
pub(super) struct Serialised(Vec<u8>);

impl Serialised {
    /// The (name, value) pairs; `None` if the map is malformed.
    pub(super) fn pairs(&self) -> Option<Vec<(&str, &str)>> {
        crate::header_map::pairs(&self.0)
    }
}

/// A copy of one header map, or `None` if the host refused.
pub(super) fn get(map: Map) -> Option<Serialised> {
    let mut data: *mut u8 = std::ptr::null_mut();
    let mut size = 0usize;
    // SAFETY: the host writes a pointer and a length to the two locations given, which
    // live for the call.
    let status = unsafe { proxy_get_header_map_pairs(map as u32, &mut data, &mut size) };
    if status != OK {
        return None;
    }
    if data.is_null() {
        return Some(Serialised(Vec::new()));
    }
    // SAFETY: the host allocated `size` bytes through this module's exported `malloc`
    // (the SDK's: a leaked boxed slice of `size` bytes, alignment 1) and filled them;
    // ownership passes to us, so taking them back as a `Vec` of that capacity frees them
    // once, with the same layout.
    Some(Serialised(unsafe { Vec::from_raw_parts(data, size, size) }))
}

/// Appends a header; `false` if the host refused.
pub(super) fn add(map: Map, name: &str, value: &str) -> bool {
    // SAFETY: both buffers are valid for their lengths during the call; the host copies them.
    let status = unsafe {
        proxy_add_header_map_value(
            map as u32,
            name.as_ptr(),
            name.len(),
            value.as_ptr(),
            value.len(),
        )
    };
    status == OK
}

/// Removes every header called `name`; `false` if the host refused.
pub(super) fn remove(map: Map, name: &str) -> bool {
    // SAFETY: the buffer is valid for its length during the call; the host copies it.
    let status = unsafe { proxy_remove_header_map_value(map as u32, name.as_ptr(), name.len()) };
    status == OK
}
