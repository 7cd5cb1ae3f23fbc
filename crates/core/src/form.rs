//! Form parameters (`application/x-www-form-urlencoded` bodies and query
//! strings) as carriers send them.
//!
//! Decoding is strict where lenient decoders guess: a broken `%` escape or
//! invalid UTF-8 is a malformed request (400), not something to patch over,
//! because the signature was computed over the exact decoded values.

use std::fmt;

/// The largest webhook body accepted. Twilio's voice parameters fit in a few
/// KiB; anything near this is not a carrier.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// Parameters in arrival order; names may repeat (`Digits=1&Digits=2`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Params(Vec<(String, String)>);

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FormError {
    BadEscape { at: usize },
    NotUtf8,
    MissingField(&'static str),
    BadField { field: &'static str, why: String },
}

impl fmt::Display for FormError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FormError::BadEscape { at } => {
                write!(f, "malformed form: bad percent escape at byte {at}")
            }
            FormError::NotUtf8 => write!(f, "malformed form: a value is not UTF-8"),
            FormError::MissingField(name) => write!(f, "missing required parameter {name}"),
            FormError::BadField { field, why } => write!(f, "parameter {field}: {why}"),
        }
    }
}

impl std::error::Error for FormError {}

impl Params {
    pub fn parse(encoded: &str) -> Result<Params, FormError> {
        let mut out = Vec::new();
        let mut offset = 0;
        for pair in encoded.split('&') {
            if !pair.is_empty() {
                let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
                out.push((
                    decode(name, offset)?,
                    decode(value, offset + name.len() + 1)?,
                ));
            }
            offset += pair.len() + 1;
        }
        Ok(Params(out))
    }

    pub fn from_pairs<I, K, V>(pairs: I) -> Params
    where
        I: IntoIterator<Item = (K, V)>,
        K: Into<String>,
        V: Into<String>,
    {
        Params(
            pairs
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        )
    }

    /// The first value of `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn require(&self, name: &'static str) -> Result<&str, FormError> {
        self.get(name).ok_or(FormError::MissingField(name))
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    pub fn extend(&mut self, other: Params) {
        self.0.extend(other.0);
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Encodes back to `a=b&c=d`, escaping everything but unreserved characters.
    pub fn encode(&self) -> String {
        let mut out = String::new();
        for (i, (k, v)) in self.0.iter().enumerate() {
            if i > 0 {
                out.push('&');
            }
            encode_into(&mut out, k);
            out.push('=');
            encode_into(&mut out, v);
        }
        out
    }
}

fn decode(s: &str, base: usize) -> Result<String, FormError> {
    // Most names and many values carry nothing to decode: one copy, no
    // UTF-8 check (the input is a `str` already).
    if !s.bytes().any(|b| b == b'%' || b == b'+') {
        return Ok(s.to_string());
    }
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                // Two hex digits exactly: `from_str_radix` alone would also
                // take a sign (`%+5`).
                let hex = |at: usize| bytes.get(at).and_then(|&b| char::from(b).to_digit(16));
                let (Some(high), Some(low)) = (hex(i + 1), hex(i + 2)) else {
                    return Err(FormError::BadEscape { at: base + i });
                };
                out.push((high * 16 + low) as u8);
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).map_err(|_| FormError::NotUtf8)
}

pub(crate) fn encode_into(out: &mut String, s: &str) {
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            _ => {
                const HEX: &[u8; 16] = b"0123456789ABCDEF";
                out.push('%');
                out.push(HEX[usize::from(b >> 4)] as char);
                out.push(HEX[usize::from(b & 15)] as char);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    // The same tests run compiled to wasm, under Node (scripts/test.sh).
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn plus_is_a_space_and_escapes_decode() {
        let p =
            Params::parse("From=%2B14155550100&CallerName=Ada+Lovelace&Note=caf%C3%A9").unwrap();
        assert_eq!(p.get("From"), Some("+14155550100"));
        assert_eq!(p.get("CallerName"), Some("Ada Lovelace"));
        assert_eq!(p.get("Note"), Some("café"));
    }

    #[test]
    fn repeated_names_are_kept_in_order() {
        let p = Params::parse("Digits=5678&Digits=1234&Digits=1234").unwrap();
        let all: Vec<_> = p.iter().collect();
        assert_eq!(
            all,
            [("Digits", "5678"), ("Digits", "1234"), ("Digits", "1234")]
        );
        assert_eq!(p.get("Digits"), Some("5678"));
    }

    #[test]
    fn empty_pairs_and_valueless_names() {
        let p = Params::parse("&a=&b&&c=1").unwrap();
        let all: Vec<_> = p.iter().collect();
        assert_eq!(all, [("a", ""), ("b", ""), ("c", "1")]);
        assert!(Params::parse("").unwrap().is_empty());
    }

    #[test]
    fn malformed_input_is_named() {
        assert_eq!(
            Params::parse("a=1&b=%zz"),
            Err(FormError::BadEscape { at: 6 })
        );
        assert_eq!(Params::parse("a=%4"), Err(FormError::BadEscape { at: 2 }));
        assert_eq!(Params::parse("a=%FF%FE"), Err(FormError::NotUtf8));
        // A sign is no hex digit, and an escape never reaches into a
        // multi-byte character.
        assert_eq!(Params::parse("a=%+5"), Err(FormError::BadEscape { at: 2 }));
        assert_eq!(Params::parse("a=%-5"), Err(FormError::BadEscape { at: 2 }));
        assert_eq!(Params::parse("a=%é"), Err(FormError::BadEscape { at: 2 }));
        assert_eq!(Params::parse("é=%4é"), Err(FormError::BadEscape { at: 3 }));
        assert_eq!(
            FormError::BadEscape { at: 6 }.to_string(),
            "malformed form: bad percent escape at byte 6"
        );
    }

    #[test]
    fn encode_round_trips() {
        let p = Params::from_pairs([("To", "+1 415"), ("Body", "a&b=c é")]);
        assert_eq!(p.encode(), "To=%2B1+415&Body=a%26b%3Dc+%C3%A9");
        assert_eq!(Params::parse(&p.encode()).unwrap(), p);
    }

    #[test]
    fn require_names_the_missing_field() {
        let p = Params::parse("a=1").unwrap();
        assert_eq!(p.require("a"), Ok("1"));
        assert_eq!(
            p.require("CallSid").unwrap_err().to_string(),
            "missing required parameter CallSid"
        );
    }
}
