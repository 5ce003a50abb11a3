//! Validation of an [`Experiment`]: every problem, each with the JSON path of its field.

use super::decimal_text::approx;
use super::experiment::{Experiment, Variant};
use super::limits::*;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt;

/// One problem with one field.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FieldError {
    /// JSON path of the field, such as `variants[1].allocation`.
    pub field: String,
    /// Machine-readable kind: `required`, `invalid`, `too_long`, `out_of_range`,
    /// `duplicate`, `too_few`, `too_many`, `mixed_weights`, `allocation_sum`.
    pub code: &'static str,
    /// Human-readable explanation.
    pub message: String,
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

/// Collects field errors.
#[derive(Default)]
pub(super) struct Problems(pub(super) Vec<FieldError>);

impl Problems {
    pub(super) fn add(
        &mut self,
        field: impl Into<String>,
        code: &'static str,
        message: impl Into<String>,
    ) {
        self.0.push(FieldError {
            field: field.into(),
            code,
            message: message.into(),
        });
    }

    pub(super) fn text(&mut self, field: &str, value: &str, max_chars: usize, required: bool) {
        if required && value.chars().all(is_blank) {
            self.add(field, "required", "must not be empty");
        } else if value.chars().count() > max_chars {
            self.add(
                field,
                "too_long",
                format!("must be at most {max_chars} characters"),
            );
        }
    }

    /// `metrics`: at most [`MAX_METRICS`] event names, each an identifier, none twice.
    pub(super) fn metrics(&mut self, metrics: &[String]) {
        if metrics.len() > MAX_METRICS {
            self.add(
                "metrics",
                "too_many",
                format!("allows at most {MAX_METRICS} metrics"),
            );
        }
        for (i, m) in metrics.iter().enumerate() {
            self.identifier(format!("metrics[{i}]"), m);
            if metrics[..i].contains(m) {
                self.add(
                    format!("metrics[{i}]"),
                    "duplicate",
                    format!("'{m}' is listed twice"),
                );
            }
        }
    }

    pub(super) fn identifier(&mut self, field: String, value: &str) {
        if let Err(e) = super::ids::check_id(value) {
            self.add(field, e.code(), e.to_string());
        }
    }
}

/// Whitespace as ECMA-262's `\s` defines it (the OpenAPI document's patterns are ECMA-262),
/// so that "not blank" means the same in the server and in the document.
pub fn is_blank(c: char) -> bool {
    matches!(
        c,
        '\t' | '\n' | '\u{0B}' | '\u{0C}' | '\r' | ' ' | '\u{A0}' | '\u{1680}' | '\u{2000}'
            ..='\u{200A}'
                | '\u{2028}'
                | '\u{2029}'
                | '\u{202F}'
                | '\u{205F}'
                | '\u{3000}'
                | '\u{FEFF}'
    )
}

/// Whether `host` is a valid route host: ASCII letters, digits, `.` and `-` (a host name
/// without scheme, port or path; internationalised names in their punycode form).
pub fn is_valid_route_host(host: &str) -> bool {
    host.len() <= MAX_ROUTE_LEN
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-')
}

/// Whether `key` is a valid experiment key: 1–64 bytes of `[a-z0-9-]`, not starting
/// or ending with `-`.
pub fn is_valid_key(key: &str) -> bool {
    !key.is_empty()
        && key.len() <= MAX_KEY_LEN
        && key
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !key.starts_with('-')
        && !key.ends_with('-')
}

/// Whether `name` is a valid variant name: 1–64 bytes of `[A-Za-z0-9._-]` (safe in
/// HTTP header values and URLs).
pub fn is_valid_variant_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= MAX_VARIANT_NAME_LEN
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

/// Derives a key from a name: lowercase ASCII letters and digits, other runs become
/// one `-`, trimmed, at most 64 bytes. Empty if the name has no ASCII letters or digits.
pub fn slugify(name: &str) -> String {
    let mut key = String::new();
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            key.push(c.to_ascii_lowercase());
        } else if !key.is_empty() && !key.ends_with('-') {
            key.push('-');
        }
    }
    key.truncate(MAX_KEY_LEN);
    key.trim_end_matches('-').to_string()
}

impl Experiment {
    /// Checks every rule and returns every violation (empty `Err` never happens).
    pub fn validate(&self) -> Result<(), Vec<FieldError>> {
        let mut p = Problems::default();
        p.text("id", &self.id, MAX_KEY_LEN, true);
        if !is_valid_key(&self.key) {
            p.add(
                "key",
                "invalid",
                "must be 1-64 characters of a-z, 0-9 and '-', not starting or ending with '-'",
            );
        }
        p.text("name", &self.name, MAX_NAME_CHARS, true);
        p.text("description", &self.description, MAX_TEXT_CHARS, false);
        p.text("hypothesis", &self.hypothesis, MAX_TEXT_CHARS, false);
        self.validate_variants(&mut p);
        self.validate_metrics(&mut p);
        self.validate_settings(&mut p);
        self.validate_forced_and_routes(&mut p);
        self.validate_audience(&mut p);
        self.validate_integrations(&mut p);
        if p.0.is_empty() { Ok(()) } else { Err(p.0) }
    }

    pub(super) fn validate_variants(&self, p: &mut Problems) {
        let n = self.variants.len();
        if n < MIN_VARIANTS {
            p.add(
                "variants",
                "too_few",
                format!("needs at least {MIN_VARIANTS} variants"),
            );
        } else if n > MAX_VARIANTS {
            p.add(
                "variants",
                "too_many",
                format!("allows at most {MAX_VARIANTS} variants"),
            );
        }
        for (i, v) in self.variants.iter().enumerate() {
            validate_variant(p, i, v);
            if self.variants[..i].iter().any(|w| w.name == v.name) {
                p.add(
                    format!("variants[{i}].name"),
                    "duplicate",
                    format!("'{}' is used by another variant", v.name),
                );
            }
        }
        let controls: Vec<usize> = self
            .variants
            .iter()
            .enumerate()
            .filter(|(_, v)| v.is_control)
            .map(|(i, _)| i)
            .collect();
        if let [_, second, ..] = controls.as_slice() {
            p.add(
                format!("variants[{second}].is_control"),
                "duplicate",
                "exactly one variant may be the control",
            );
        }
        let fractional = self
            .variants
            .iter()
            .filter(|v| v.allocation.is_some())
            .count();
        let integer = self.variants.iter().filter(|v| v.weight.is_some()).count();
        if fractional > 0 && integer > 0 {
            p.add(
                "variants",
                "mixed_weights",
                "use either 'allocation' on every variant or 'weight', not both",
            );
        } else if fractional > 0 {
            if fractional < n {
                let missing = self
                    .variants
                    .iter()
                    .enumerate()
                    .filter(|(_, v)| v.allocation.is_none());
                for (i, _) in missing {
                    p.add(
                        format!("variants[{i}].allocation"),
                        "required",
                        "every variant needs an allocation when any has one",
                    );
                }
            } else {
                let sum: f64 = self.variants.iter().filter_map(|v| v.allocation).sum();
                if (sum - 1.0).abs() > ALLOCATION_SUM_TOLERANCE {
                    p.add(
                        format!("variants[{}].allocation", n - 1),
                        "allocation_sum",
                        format!("allocations must sum to 1 (they sum to {})", approx(sum)),
                    );
                }
            }
        }
    }

    fn validate_metrics(&self, p: &mut Problems) {
        p.metrics(&self.metrics);
    }

    fn validate_settings(&self, p: &mut Problems) {
        if !(0.0..=1.0).contains(&self.traffic_allocation) {
            p.add(
                "traffic_allocation",
                "out_of_range",
                "must be between 0 and 1",
            );
        }
        if !(crate::stats::MIN_ALPHA..0.5).contains(&self.significance_level) {
            p.add(
                "significance_level",
                "out_of_range",
                "must be at least 1e-12 and less than 0.5",
            );
        }
        if !(self.power >= 0.5 && self.power < 1.0) {
            p.add(
                "power",
                "out_of_range",
                "must be at least 0.5 and less than 1",
            );
        }
        if self.base_rate.is_some_and(|r| !(r > 0.0 && r < 1.0)) {
            p.add(
                "base_rate",
                "out_of_range",
                "must be greater than 0 and less than 1",
            );
        }
        if self
            .min_detectable_effect
            .is_some_and(|m| !m.is_finite() || m == 0.0)
        {
            p.add(
                "min_detectable_effect",
                "out_of_range",
                "must be a finite, non-zero number",
            );
        }
        if !(1..=crate::assign::MAX_SHARDS).contains(&self.shards) {
            p.add(
                "shards",
                "out_of_range",
                format!("must be from 1 to {}", crate::assign::MAX_SHARDS),
            );
        }
        if self.target_sample_size == Some(0) {
            p.add("target_sample_size", "out_of_range", "must be positive");
        }
        if let Some(salt) = &self.salt {
            if salt.is_empty() || salt.chars().count() > MAX_SALT_LEN || salt.contains('\0') {
                p.add(
                    "salt",
                    "invalid",
                    format!("must be 1-{MAX_SALT_LEN} characters without NUL"),
                );
            }
        } else if self.id.contains('\0') {
            p.add(
                "id",
                "invalid",
                "must not contain NUL (it is the default salt)",
            );
        }
    }

    fn validate_forced_and_routes(&self, p: &mut Problems) {
        if self.forced.len() > MAX_FORCED {
            p.add(
                "forced",
                "too_many",
                format!("allows at most {MAX_FORCED} entries"),
            );
        }
        for (unit, variant) in &self.forced {
            p.identifier(format!("forced[{unit:?}]"), unit);
            if self.variant(variant).is_none() {
                p.add(
                    format!("forced[{unit:?}]"),
                    "invalid",
                    format!("'{variant}' is not a variant of this experiment"),
                );
            }
        }
        if self.routes.len() > MAX_ROUTES {
            p.add(
                "routes",
                "too_many",
                format!("allows at most {MAX_ROUTES} routes"),
            );
        }
        for (i, r) in self.routes.iter().enumerate() {
            if !is_valid_route_host(&r.host) {
                p.add(
                    format!("routes[{i}].host"),
                    "invalid",
                    "must be a host name (ASCII letters, digits, '.', '-'; no scheme, port or path)",
                );
            }
            if !r.path_prefix.is_empty() && !r.path_prefix.starts_with('/')
                || r.path_prefix.chars().count() > MAX_ROUTE_LEN
            {
                p.add(
                    format!("routes[{i}].path_prefix"),
                    "invalid",
                    "must start with '/'",
                );
            }
        }
    }
}

fn validate_variant(p: &mut Problems, i: usize, v: &Variant) {
    if !is_valid_variant_name(&v.name) {
        p.add(
            format!("variants[{i}].name"),
            "invalid",
            "must be 1-64 characters of A-Z, a-z, 0-9, '.', '_' or '-'",
        );
    }
    for (field, value) in [("weight", v.weight), ("allocation", v.allocation)] {
        if let Some(w) = value {
            // At least one contract unit (1e-6): smaller weights used to pass when they
            // rounded up to one unit, although the documented floor is 1e-6.
            let in_range = if field == "allocation" {
                (MIN_WEIGHT..=1.0).contains(&w)
            } else {
                (MIN_WEIGHT..=crate::assign::MAX_WEIGHT).contains(&w)
            };
            if !in_range || crate::assign::weight_units(w).is_none() {
                p.add(
                    format!("variants[{i}].{field}"),
                    "out_of_range",
                    if field == "allocation" {
                        "must be at least 0.000001 and at most 1"
                    } else {
                        "must be at least 0.000001 and at most 1e9"
                    },
                );
            }
        }
    }
    p.text(
        &format!("variants[{i}].description"),
        &v.description,
        MAX_TEXT_CHARS,
        false,
    );
    if v.config.as_str().len() > MAX_CONFIG_BYTES {
        p.add(
            format!("variants[{i}].config"),
            "too_long",
            format!("must be at most {MAX_CONFIG_BYTES} bytes of JSON"),
        );
    }
}
