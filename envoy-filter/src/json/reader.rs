//! Reading JSON text: whitespace, literals, numbers, strings, and the start of each value.

use super::de::Members;
use super::error::Error;
use serde::de::{self, Unexpected, Visitor};
use std::borrow::Cow;

/// Deepest nesting of arrays and objects accepted (serde_json's limit).
const MAX_DEPTH: usize = 128;

/// A JSON number as read.
pub(super) enum Number {
    Unsigned(u64),
    Signed(i64),
    Float(f64),
}

/// The reading position in a document.
pub(super) struct Reader<'a> {
    pub(super) text: &'a [u8],
    pub(super) pos: usize,
    pub(super) depth: usize,
}

impl<'a> Reader<'a> {
    pub(super) fn peek(&self) -> Option<u8> {
        self.text.get(self.pos).copied()
    }

    pub(super) fn fail(&self, message: &str) -> Error {
        Error::at(self.pos, message)
    }

    /// Skips whitespace and returns the next byte without consuming it.
    pub(super) fn skip_whitespace(&mut self) -> Option<u8> {
        while let Some(b) = self.peek() {
            if !matches!(b, b' ' | b'\n' | b'\r' | b'\t') {
                return Some(b);
            }
            self.pos += 1;
        }
        None
    }

    pub(super) fn literal(&mut self, word: &[u8]) -> Result<(), Error> {
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
    pub(super) fn string(&mut self) -> Result<Cow<'a, str>, Error> {
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
    pub(super) fn next(&mut self) -> Result<Next<'a>, Error> {
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

    /// The text read since `start` (a whole, valid value) without the whitespace between
    /// tokens.
    pub(super) fn compact(&self, start: usize) -> Result<String, Error> {
        let read = self.text.get(start..self.pos).unwrap_or_default();
        let mut out = Vec::with_capacity(read.len());
        let mut in_string = false;
        let mut escaped = false;
        for &b in read {
            if in_string {
                in_string = escaped || b != b'"';
                escaped = !escaped && b == b'\\';
            } else if matches!(b, b' ' | b'\n' | b'\r' | b'\t') {
                continue;
            } else {
                in_string = b == b'"';
            }
            out.push(b);
        }
        String::from_utf8(out).map_err(|_| self.fail("invalid unicode in string"))
    }

    /// The error for a value of the wrong kind (not generic either).
    pub(super) fn mismatch(&self, next: &Next<'_>, expected: &dyn de::Expected) -> Error {
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
    pub(super) fn seq<V: Visitor<'a>>(&mut self, visitor: V) -> Result<V::Value, Error> {
        self.members(|m| visitor.visit_seq(m), "trailing elements in array")
    }

    /// Reads an object's entries with `visitor` (the reader is just inside the `{`).
    pub(super) fn map<V: Visitor<'a>>(&mut self, visitor: V) -> Result<V::Value, Error> {
        self.members(|m| visitor.visit_map(m), "trailing entries in object")
    }

    /// Runs `read` over the members of the array or object just opened, then leaves it.
    fn members<T>(
        &mut self,
        read: impl FnOnce(&mut Members<'_, 'a>) -> Result<T, Error>,
        unread: &str,
    ) -> Result<T, Error> {
        let mut members = Members {
            reader: self,
            first: true,
            done: false,
        };
        let value = read(&mut members)?;
        let done = members.done;
        self.close(done, unread)?;
        Ok(value)
    }

    /// Leaves an array or object the visitor read to its end.
    fn close(&mut self, done: bool, unread: &str) -> Result<(), Error> {
        self.depth -= 1;
        if done { Ok(()) } else { Err(self.fail(unread)) }
    }
}

/// The start of a value, as read by [`Reader::next`].
pub(super) enum Next<'a> {
    Null,
    Bool(bool),
    Str(Cow<'a, str>),
    Num(Number),
    Seq,
    Map,
}
