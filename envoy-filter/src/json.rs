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

use serde::de::{self, DeserializeOwned, DeserializeSeed, IntoDeserializer, Unexpected, Visitor};
use std::borrow::Cow;
use std::fmt;

/// Deepest nesting of arrays and objects accepted (serde_json's limit).
const MAX_DEPTH: usize = 128;

/// Why a document was refused, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    at: Option<usize>,
    message: String,
    missing_field: Option<&'static str>,
}

impl Error {
    fn new(message: String) -> Self {
        Self {
            at: None,
            message,
            missing_field: None,
        }
    }

    fn at(offset: usize, message: &str) -> Self {
        Self {
            at: Some(offset),
            ..Self::new(message.to_string())
        }
    }

    /// Gives an error raised by a visitor (which cannot know it) its position.
    fn or_at(mut self, offset: usize) -> Self {
        self.at.get_or_insert(offset);
        self
    }

    /// Bytes of the document consumed when the problem was found.
    pub fn offset(&self) -> usize {
        self.at.unwrap_or(0)
    }

    /// The field's name, when the problem is a missing field.
    pub fn missing_field(&self) -> Option<&'static str> {
        self.missing_field
    }

    /// What is wrong, without the position.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl de::StdError for Error {}

impl de::Error for Error {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        Self::new(msg.to_string())
    }

    fn invalid_type(unexpected: Unexpected<'_>, expected: &dyn de::Expected) -> Self {
        Self::new(format!(
            "invalid type: {}, expected {expected}",
            Described(unexpected)
        ))
    }

    fn invalid_value(unexpected: Unexpected<'_>, expected: &dyn de::Expected) -> Self {
        Self::new(format!(
            "invalid value: {}, expected {expected}",
            Described(unexpected)
        ))
    }

    fn missing_field(field: &'static str) -> Self {
        Self {
            missing_field: Some(field),
            ..Self::new(format!("missing field `{field}`"))
        }
    }
}

/// serde's `Unexpected`, described without formatting floats (which would link
/// `core`'s float printing, ~20 KB, for an error message).
struct Described<'a>(Unexpected<'a>);

impl fmt::Display for Described<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Unexpected::Bool(b) => write!(f, "boolean `{b}`"),
            Unexpected::Unsigned(n) => write!(f, "integer `{n}`"),
            Unexpected::Signed(n) => write!(f, "integer `{n}`"),
            Unexpected::Float(_) => f.write_str("a number with a fraction or exponent"),
            Unexpected::Char(c) => write!(f, "character `{c}`"),
            Unexpected::Str(s) => write!(f, "string \"{s}\""),
            Unexpected::Bytes(_) => f.write_str("bytes"),
            Unexpected::Unit => f.write_str("null"),
            Unexpected::Seq => f.write_str("an array"),
            Unexpected::Map => f.write_str("an object"),
            Unexpected::Other(other) => f.write_str(other),
            _ => f.write_str("a value of another kind"),
        }
    }
}

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

/// A JSON number as read.
enum Number {
    Unsigned(u64),
    Signed(i64),
    Float(f64),
}

/// The reading position in a document.
struct Reader<'a> {
    text: &'a [u8],
    pos: usize,
    depth: usize,
}

impl<'a> Reader<'a> {
    fn peek(&self) -> Option<u8> {
        self.text.get(self.pos).copied()
    }

    fn fail(&self, message: &str) -> Error {
        Error::at(self.pos, message)
    }

    /// Skips whitespace and returns the next byte without consuming it.
    fn skip_whitespace(&mut self) -> Option<u8> {
        while let Some(b) = self.peek() {
            if !matches!(b, b' ' | b'\n' | b'\r' | b'\t') {
                return Some(b);
            }
            self.pos += 1;
        }
        None
    }

    fn literal(&mut self, word: &[u8]) -> Result<(), Error> {
        if self
            .text
            .get(self.pos..)
            .is_some_and(|rest| rest.starts_with(word))
        {
            self.pos += word.len();
            Ok(())
        } else {
            Err(self.fail("expected value"))
        }
    }

    fn digits(&mut self) -> usize {
        let start = self.pos;
        while self.peek().is_some_and(|b| b.is_ascii_digit()) {
            self.pos += 1;
        }
        self.pos - start
    }

    fn number(&mut self) -> Result<Number, Error> {
        let start = self.pos;
        let negative = self.peek() == Some(b'-');
        if negative {
            self.pos += 1;
        }
        match self.peek() {
            Some(b'0') => self.pos += 1,
            Some(b'1'..=b'9') => {
                self.digits();
            }
            _ => return Err(self.fail("invalid number")),
        }
        let mut integer = true;
        if self.peek() == Some(b'.') {
            self.pos += 1;
            integer = false;
            if self.digits() == 0 {
                return Err(self.fail("invalid number"));
            }
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.pos += 1;
            integer = false;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.pos += 1;
            }
            if self.digits() == 0 {
                return Err(self.fail("invalid number"));
            }
        }
        let token = std::str::from_utf8(&self.text[start..self.pos])
            .map_err(|_| self.fail("invalid number"))?;
        if integer {
            if !negative && let Ok(n) = token.parse::<u64>() {
                return Ok(Number::Unsigned(n));
            }
            if negative && let Ok(n) = token.parse::<i64>() {
                // serde_json reads `-0` as the float -0.0.
                return Ok(if n == 0 {
                    Number::Float(-0.0)
                } else {
                    Number::Signed(n)
                });
            }
        }
        match crate::decimal::parse(token.as_bytes()) {
            Some(f) => Ok(Number::Float(f)),
            None => Err(self.fail("number out of range")),
        }
    }

    /// Four hex digits of a `\u` escape.
    fn hex4(&mut self) -> Result<u32, Error> {
        let mut n = 0;
        for _ in 0..4 {
            let digit = self
                .peek()
                .and_then(|b| char::from(b).to_digit(16))
                .ok_or_else(|| self.fail("invalid escape"))?;
            n = n * 16 + digit;
            self.pos += 1;
        }
        Ok(n)
    }

    /// The character of a `\u` escape (the reader is just past the `u`).
    fn unicode_escape(&mut self) -> Result<char, Error> {
        let first = self.hex4()?;
        let code = match first {
            0xD800..=0xDBFF => {
                if !self
                    .text
                    .get(self.pos..)
                    .is_some_and(|rest| rest.starts_with(b"\\u"))
                {
                    return Err(self.fail("lone leading surrogate in hex escape"));
                }
                self.pos += 2;
                let second = self.hex4()?;
                if !(0xDC00..=0xDFFF).contains(&second) {
                    return Err(self.fail("lone leading surrogate in hex escape"));
                }
                0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00)
            }
            0xDC00..=0xDFFF => return Err(self.fail("lone trailing surrogate in hex escape")),
            n => n,
        };
        char::from_u32(code).ok_or_else(|| self.fail("invalid escape"))
    }

    /// A string (the reader is at its opening quote): borrowed unless it had escapes.
    fn string(&mut self) -> Result<Cow<'a, str>, Error> {
        let text = self.text;
        self.pos += 1;
        let mut segment = self.pos;
        let mut owned: Option<Vec<u8>> = None;
        loop {
            match self.peek() {
                None => return Err(self.fail("EOF while parsing a string")),
                Some(b'"') => {
                    let last = &text[segment..self.pos];
                    self.pos += 1;
                    return match owned {
                        None => std::str::from_utf8(last)
                            .map(Cow::Borrowed)
                            .map_err(|_| self.fail("invalid unicode in string")),
                        Some(mut bytes) => {
                            bytes.extend_from_slice(last);
                            String::from_utf8(bytes)
                                .map(Cow::Owned)
                                .map_err(|_| self.fail("invalid unicode in string"))
                        }
                    };
                }
                Some(b'\\') => {
                    let bytes = owned.get_or_insert_with(Vec::new);
                    bytes.extend_from_slice(&text[segment..self.pos]);
                    self.pos += 1;
                    let escaped = self
                        .peek()
                        .ok_or_else(|| self.fail("EOF while parsing a string"))?;
                    self.pos += 1;
                    let c = match escaped {
                        b'"' => '"',
                        b'\\' => '\\',
                        b'/' => '/',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        b'u' => self.unicode_escape()?,
                        _ => return Err(self.fail("invalid escape")),
                    };
                    let mut utf8 = [0u8; 4];
                    if let Some(bytes) = owned.as_mut() {
                        bytes.extend_from_slice(c.encode_utf8(&mut utf8).as_bytes());
                    }
                    segment = self.pos;
                }
                Some(0..=0x1f) => {
                    return Err(self
                        .fail("control character (\\u0000-\\u001F) found while parsing a string"));
                }
                Some(_) => self.pos += 1,
            }
        }
    }

    fn enter(&mut self) -> Result<(), Error> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.fail("recursion limit exceeded"));
        }
        self.pos += 1;
        Ok(())
    }

    /// Reads the next scalar, or the opening of an array or object (not generic, so it
    /// is compiled once rather than once per target type).
    fn next(&mut self) -> Result<Next<'a>, Error> {
        let Some(first) = self.skip_whitespace() else {
            return Err(self.fail("EOF while parsing a value"));
        };
        Ok(match first {
            b'n' => {
                self.literal(b"null")?;
                Next::Null
            }
            b't' => {
                self.literal(b"true")?;
                Next::Bool(true)
            }
            b'f' => {
                self.literal(b"false")?;
                Next::Bool(false)
            }
            b'"' => Next::Str(self.string()?),
            b'-' | b'0'..=b'9' => Next::Num(self.number()?),
            b'[' => {
                self.enter()?;
                Next::Seq
            }
            b'{' => {
                self.enter()?;
                Next::Map
            }
            _ => return Err(self.fail("expected value")),
        })
    }

    /// The error for a value of the wrong kind (not generic either).
    fn mismatch(&self, next: &Next<'_>, expected: &dyn de::Expected) -> Error {
        let unexpected = match next {
            Next::Null => Unexpected::Unit,
            Next::Bool(b) => Unexpected::Bool(*b),
            Next::Str(s) => Unexpected::Str(s),
            Next::Num(Number::Unsigned(n)) => Unexpected::Unsigned(*n),
            Next::Num(Number::Signed(n)) => Unexpected::Signed(*n),
            Next::Num(Number::Float(f)) => Unexpected::Float(*f),
            Next::Seq => Unexpected::Seq,
            Next::Map => Unexpected::Map,
        };
        <Error as de::Error>::invalid_type(unexpected, expected).or_at(self.pos)
    }

    /// Reads an array's elements with `visitor` (the reader is just inside the `[`).
    fn seq<V: Visitor<'a>>(&mut self, visitor: V) -> Result<V::Value, Error> {
        let mut items = Items {
            reader: self,
            first: true,
            done: false,
        };
        let value = visitor.visit_seq(&mut items)?;
        let done = items.done;
        self.close(done, "trailing elements in array")?;
        Ok(value)
    }

    /// Reads an object's entries with `visitor` (the reader is just inside the `{`).
    fn map<V: Visitor<'a>>(&mut self, visitor: V) -> Result<V::Value, Error> {
        let mut entries = Entries {
            reader: self,
            first: true,
            done: false,
        };
        let value = visitor.visit_map(&mut entries)?;
        let done = entries.done;
        self.close(done, "trailing entries in object")?;
        Ok(value)
    }

    /// Leaves an array or object the visitor read to its end.
    fn close(&mut self, done: bool, unread: &str) -> Result<(), Error> {
        self.depth -= 1;
        if done { Ok(()) } else { Err(self.fail(unread)) }
    }
}

/// The start of a value, as read by [`Reader::next`].
enum Next<'a> {
    Null,
    Bool(bool),
    Str(Cow<'a, str>),
    Num(Number),
    Seq,
    Map,
}

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

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_any(de::IgnoredAny)?;
        visitor.visit_unit()
    }
}

/// The elements of an array being read.
struct Items<'r, 'a> {
    reader: &'r mut Reader<'a>,
    first: bool,
    done: bool,
}

impl<'de> de::SeqAccess<'de> for Items<'_, 'de> {
    type Error = Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, Error> {
        if self.done {
            return Ok(None);
        }
        match self.reader.skip_whitespace() {
            Some(b']') => {
                self.reader.pos += 1;
                self.done = true;
                return Ok(None);
            }
            Some(b',') if !self.first => {
                self.reader.pos += 1;
                if self.reader.skip_whitespace() == Some(b']') {
                    return Err(self.reader.fail("trailing comma"));
                }
            }
            Some(_) if self.first => {}
            Some(_) => return Err(self.reader.fail("expected `,` or `]`")),
            None => return Err(self.reader.fail("EOF while parsing a list")),
        }
        self.first = false;
        seed.deserialize(&mut *self.reader).map(Some)
    }
}

/// The entries of an object being read.
struct Entries<'r, 'a> {
    reader: &'r mut Reader<'a>,
    first: bool,
    done: bool,
}

impl<'de> de::MapAccess<'de> for Entries<'_, 'de> {
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Error> {
        if self.done {
            return Ok(None);
        }
        match self.reader.skip_whitespace() {
            Some(b'}') => {
                self.reader.pos += 1;
                self.done = true;
                return Ok(None);
            }
            Some(b',') if !self.first => {
                self.reader.pos += 1;
            }
            Some(b'"') if self.first => {}
            Some(_) if self.first => return Err(self.reader.fail("key must be a string")),
            Some(_) => return Err(self.reader.fail("expected `,` or `}`")),
            None => return Err(self.reader.fail("EOF while parsing an object")),
        }
        self.first = false;
        if self.reader.skip_whitespace() != Some(b'"') {
            return Err(self.reader.fail(if self.reader.peek() == Some(b'}') {
                "trailing comma"
            } else {
                "key must be a string"
            }));
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
