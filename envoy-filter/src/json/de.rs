//! serde's `Deserializer` over a [`Reader`], and access to arrays and objects.

use super::error::Error;
use super::reader::{Next, Number, Reader};
use cleave_core::model::JSON_TEXT_TOKEN;
use serde::de::{self, DeserializeSeed, IntoDeserializer, Visitor};
use std::borrow::Cow;

/// Deserialising methods that accept one kind of JSON value, so a target type's visitor is
/// only instantiated for the values it can take.
macro_rules! only_numbers {
    ($($method:ident)*) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
            match self.next()? {
                Next::Num(Number::Unsigned(n)) => visitor.visit_u64(n),
                Next::Num(Number::Signed(n)) => visitor.visit_i64(n),
                Next::Num(Number::Float(f)) => visitor.visit_f64(f),
                other => Err(self.mismatch(&other, &visitor)),
            }
            .map_err(|e| e.or_at(self.pos))
        }
    )*};
}

macro_rules! only_strings {
    ($($method:ident)*) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
            match self.next()? {
                Next::Str(Cow::Borrowed(s)) => visitor.visit_borrowed_str(s),
                Next::Str(Cow::Owned(s)) => visitor.visit_string(s),
                other => Err(self.mismatch(&other, &visitor)),
            }
            .map_err(|e| e.or_at(self.pos))
        }
    )*};
}

impl<'de> de::Deserializer<'de> for &mut Reader<'de> {
    type Error = Error;

    /// Any value (serde_json's `Value`, ignored fields).
    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.next()? {
            Next::Null => visitor.visit_unit(),
            Next::Bool(b) => visitor.visit_bool(b),
            Next::Str(Cow::Borrowed(s)) => visitor.visit_borrowed_str(s),
            Next::Str(Cow::Owned(s)) => visitor.visit_string(s),
            Next::Num(Number::Unsigned(n)) => visitor.visit_u64(n),
            Next::Num(Number::Signed(n)) => visitor.visit_i64(n),
            Next::Num(Number::Float(f)) => visitor.visit_f64(f),
            Next::Seq => self.seq(visitor),
            Next::Map => self.map(visitor),
        }
        .map_err(|e| e.or_at(self.pos))
    }

    only_numbers! {
        deserialize_i8 deserialize_i16 deserialize_i32 deserialize_i64 deserialize_i128
        deserialize_u8 deserialize_u16 deserialize_u32 deserialize_u64 deserialize_u128
        deserialize_f32 deserialize_f64
    }

    only_strings! {
        deserialize_char deserialize_str deserialize_string deserialize_identifier
        deserialize_bytes deserialize_byte_buf
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.next()? {
            Next::Bool(b) => visitor.visit_bool(b),
            other => Err(self.mismatch(&other, &visitor)),
        }
        .map_err(|e| e.or_at(self.pos))
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.next()? {
            Next::Null => visitor.visit_unit(),
            other => Err(self.mismatch(&other, &visitor)),
        }
        .map_err(|e| e.or_at(self.pos))
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.deserialize_unit(visitor)
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.next()? {
            Next::Seq => self.seq(visitor),
            other => Err(self.mismatch(&other, &visitor)),
        }
        .map_err(|e| e.or_at(self.pos))
    }

    fn deserialize_tuple<V: Visitor<'de>>(
        self,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.next()? {
            Next::Map => self.map(visitor),
            other => Err(self.mismatch(&other, &visitor)),
        }
        .map_err(|e| e.or_at(self.pos))
    }

    /// Structs are JSON objects. (serde_json also takes an array of the fields in order;
    /// no Cleave host writes that, and refusing it keeps every struct's array visitor out
    /// of the filter.)
    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.deserialize_map(visitor)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        if self.skip_whitespace() == Some(b'n') {
            self.literal(b"null")?;
            visitor.visit_none()
        } else {
            visitor.visit_some(self)
        }
    }

    /// Unit variants, as strings (the only enums in the wire model; serde_json's object
    /// form, `{"variant": null}`, is refused).
    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        match self.next()? {
            Next::Str(name) => visitor.visit_enum(name.into_owned().into_deserializer()),
            other => Err(self.mismatch(&other, &visitor)),
        }
        .map_err(|e: Error| e.or_at(self.pos))
    }

    /// Only [`JsonText`](cleave_core::model::JsonText) (a variant's `config`): its text is
    /// handed over as read, without whitespace, so no JSON tree or writer is linked. The
    /// wire model has no other newtype structs; handing the reader to one would link
    /// `JsonText`'s tree-building fallback too, so they are refused.
    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        if name != JSON_TEXT_TOKEN {
            return Err(self.fail("newtype structs are not part of the wire model"));
        }
        self.skip_whitespace();
        let start = self.pos;
        self.deserialize_ignored_any(de::IgnoredAny)?;
        let text = self.compact(start)?;
        visitor
            .visit_string(text)
            .map_err(|e: Error| e.or_at(self.pos))
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_any(de::IgnoredAny)?;
        visitor.visit_unit()
    }
}

/// The members of an array or object being read: its elements, or its entries.
pub(super) struct Members<'r, 'a> {
    pub(super) reader: &'r mut Reader<'a>,
    pub(super) first: bool,
    pub(super) done: bool,
}

impl Members<'_, '_> {
    /// Moves to the next member; `false` once the closing bracket `close` is read.
    fn advance(&mut self, close: u8, separator: &str, eof: &str) -> Result<bool, Error> {
        if self.done {
            return Ok(false);
        }
        match self.reader.skip_whitespace() {
            Some(b) if b == close => {
                self.reader.pos += 1;
                self.done = true;
                return Ok(false);
            }
            Some(b',') if !self.first => {
                self.reader.pos += 1;
                if self.reader.skip_whitespace() == Some(close) {
                    return Err(self.reader.fail("trailing comma"));
                }
            }
            Some(_) if self.first => {}
            Some(_) => return Err(self.reader.fail(separator)),
            None => return Err(self.reader.fail(eof)),
        }
        self.first = false;
        Ok(true)
    }
}

impl<'de> de::SeqAccess<'de> for Members<'_, 'de> {
    type Error = Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, Error> {
        if !self.advance(b']', "expected `,` or `]`", "EOF while parsing a list")? {
            return Ok(None);
        }
        seed.deserialize(&mut *self.reader).map(Some)
    }
}

impl<'de> de::MapAccess<'de> for Members<'_, 'de> {
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Error> {
        if !self.advance(b'}', "expected `,` or `}`", "EOF while parsing an object")? {
            return Ok(None);
        }
        if self.reader.skip_whitespace() != Some(b'"') {
            return Err(self.reader.fail("key must be a string"));
        }
        seed.deserialize(&mut *self.reader).map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Error> {
        if self.reader.skip_whitespace() != Some(b':') {
            return Err(self.reader.fail("expected `:`"));
        }
        self.reader.pos += 1;
        seed.deserialize(&mut *self.reader)
    }
}
