//! Integer fields that accept every JSON number JSON Schema calls an integer: `3` and also
//! `3.0` (Python's `json` writes integral floats that way), but not `3.5`. An integer written
//! as a float is taken only up to 2^53 in magnitude, where doubles are still exact: beyond,
//! the parser has already rounded it (an `int64` literal just past the range would read as
//! `i64::MIN`). Use with `#[serde(deserialize_with = "...")]`.

use core::fmt;
use serde::de::{self, Deserializer, Visitor};

/// Reads an integer within `[min, max]` (as `i128`) from an integer or an integral float.
struct Integral {
    min: i128,
    max: i128,
}

impl Visitor<'_> for Integral {
    type Value = i128;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "an integer from {} to {}", self.min, self.max)
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<i128, E> {
        self.check(i128::from(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<i128, E> {
        self.check(i128::from(v))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<i128, E> {
        if v.is_finite() && libm::trunc(v) == v && libm::fabs(v) <= 9_007_199_254_740_992.0 {
            self.check(v as i128)
        } else {
            Err(E::invalid_value(de::Unexpected::Float(v), &self))
        }
    }
}

impl Integral {
    fn check<E: de::Error>(&self, v: i128) -> Result<i128, E> {
        if (self.min..=self.max).contains(&v) {
            Ok(v)
        } else {
            Err(E::invalid_value(
                de::Unexpected::Other("an integer out of range"),
                self,
            ))
        }
    }
}

fn read<'de, D: Deserializer<'de>>(d: D, min: i128, max: i128) -> Result<i128, D::Error> {
    d.deserialize_any(Integral { min, max })
}

/// A `u64`.
pub fn u64<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    read(d, 0, i128::from(u64::MAX)).map(|v| v as u64)
}

/// A `u16`.
pub fn u16<'de, D: Deserializer<'de>>(d: D) -> Result<u16, D::Error> {
    read(d, 0, i128::from(u16::MAX)).map(|v| v as u16)
}

/// A `u32`.
pub fn u32<'de, D: Deserializer<'de>>(d: D) -> Result<u32, D::Error> {
    read(d, 0, i128::from(u32::MAX)).map(|v| v as u32)
}

/// An optional `u64` (`null` or absent is `None`).
pub fn opt_u64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    Option::<Wrapped<U64>>::deserialize(d).map(|o| o.map(|w| w.0))
}

/// An optional `i64` (`null` or absent is `None`).
pub fn opt_i64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    Option::<Wrapped<I64>>::deserialize(d).map(|o| o.map(|w| w.0))
}

use serde::Deserialize;

/// Marker types so `Option<…>` can reuse the visitor.
struct U64;
struct I64;

trait Kind {
    type Out;
    fn read<'de, D: Deserializer<'de>>(d: D) -> Result<Self::Out, D::Error>;
}

impl Kind for U64 {
    type Out = u64;
    fn read<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
        u64(d)
    }
}

impl Kind for I64 {
    type Out = i64;
    fn read<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
        read(d, i128::from(i64::MIN), i128::from(i64::MAX)).map(|v| v as i64)
    }
}

struct Wrapped<K: Kind>(K::Out);

impl<'de, K: Kind> Deserialize<'de> for Wrapped<K> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        K::read(d).map(Wrapped)
    }
}
