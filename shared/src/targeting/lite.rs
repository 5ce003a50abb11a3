//! The regex engine every host uses (feature `regex`): `regex-lite`, small enough for the
//! Envoy filter (its probe module is 64 KB) and the same in the Worker, so a pattern means
//! the same thing in every runtime. The core itself stays `no_std` without the feature.

use super::RegexEngine;
use alloc::collections::BTreeMap;
use alloc::string::String;
use core::cell::RefCell;
use regex_lite::{Regex, RegexBuilder};

/// Longest pattern compiled, in bytes (longer ones are invalid).
pub const MAX_PATTERN_LEN: usize = 1024;
/// Most compiled patterns a [`CachedRegex`] keeps.
pub const CACHE_CAPACITY: usize = 256;

fn compile(pattern: &str, case_insensitive: bool) -> Option<Regex> {
    if pattern.len() > MAX_PATTERN_LEN {
        return None;
    }
    RegexBuilder::new(pattern)
        .case_insensitive(case_insensitive)
        .size_limit(1 << 20)
        .build()
        .ok()
}

/// `regex-lite`, compiling the pattern on every call (for validation and one-off checks).
#[derive(Debug, Clone, Copy, Default)]
pub struct LiteRegex;

impl RegexEngine for LiteRegex {
    fn is_match(&self, pattern: &str, text: &str, case_insensitive: bool) -> Option<bool> {
        compile(pattern, case_insensitive).map(|r| r.is_match(text))
    }
}

/// The compiled forms of one pattern: case-sensitive and case-insensitive, each once
/// tried (`Some(None)`: it does not compile).
type Forms = [Option<Option<Regex>>; 2];

/// `regex-lite` with the compiled patterns kept (up to [`CACHE_CAPACITY`]; beyond that a
/// pattern is compiled per call). For a host that evaluates the same conditions per request;
/// a hit allocates nothing (looked up by `&str`).
#[derive(Debug, Default)]
pub struct CachedRegex {
    compiled: RefCell<BTreeMap<String, Forms>>,
}

impl RegexEngine for CachedRegex {
    fn is_match(&self, pattern: &str, text: &str, case_insensitive: bool) -> Option<bool> {
        let form = usize::from(case_insensitive);
        if let Ok(cache) = self.compiled.try_borrow()
            && let Some(Some(entry)) = cache.get(pattern).map(|forms| &forms[form])
        {
            return entry.as_ref().map(|r| r.is_match(text));
        }
        let entry = compile(pattern, case_insensitive);
        let found = entry.as_ref().map(|r| r.is_match(text));
        if let Ok(mut cache) = self.compiled.try_borrow_mut()
            && (cache.len() < CACHE_CAPACITY || cache.contains_key(pattern))
        {
            cache.entry(String::from(pattern)).or_default()[form] = Some(entry);
        }
        found
    }
}
