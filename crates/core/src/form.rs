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
/// Every decoded name and value lives in one buffer, each pair as two spans
/// of it: a 27-parameter webhook is parsed with two allocations, not 54.
#[derive(Debug, Clone, Default)]
pub struct Params {
    text: String,
    pairs: Vec<(Span, Span)>,
}

/// Where a name or value lies in `Params::text`.
type Span = (u32, u32);

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
        // Every webhook starts here, so the body (some 1.7 KB for 27
        // parameters) is read once, front to back: runs of plain bytes are
        // copied whole, and only `&`, `=`, `%` and `+` stop the scan. One
        // pass over the whole, not a search per name and per value.
        let bytes = encoded.as_bytes();
        // Decoding never lengthens (`%XX` is one byte, `+` one space), so
        // the text is written into a buffer of the body's size and cut to
        // length at the end: no growth checks on the way.
        let mut text = vec![0; bytes.len()];
        let mut len = 0;
        let mut pairs = Vec::with_capacity(bytes.len() / 24 + 1);
        // The pair being read: where it began in the body, and its name's
        // span once its first `=` has been seen.
        let mut pair_at = 0;
        let mut name: Option<Span> = None;
        let mut piece = 0u32;
        let mut i = 0;
        loop {
            let run = plain_run(&bytes[i..]);
            text[len..len + run].copy_from_slice(&bytes[i..i + run]);
            len += run;
            i += run;
            let Some(&b) = bytes.get(i) else { break };
            match b {
                b'&' => {
                    if i > pair_at {
                        pairs.push(finish(name, &mut piece, len));
                    }
                    name = None;
                    pair_at = i + 1;
                    i += 1;
                }
                // The first `=` ends the name; any later one is the value's.
                b'=' if name.is_none() => {
                    name = Some((piece, len as u32));
                    piece = len as u32;
                    i += 1;
                }
                b'+' => {
                    text[len] = b' ';
                    len += 1;
                    i += 1;
                }
                b'%' => {
                    // Two hex digits exactly: `from_str_radix` alone would
                    // also take a sign (`%+5`).
                    let hex = |at: usize| bytes.get(at).and_then(|&b| char::from(b).to_digit(16));
                    let (Some(high), Some(low)) = (hex(i + 1), hex(i + 2)) else {
                        return Err(FormError::BadEscape { at: i });
                    };
                    text[len] = (high * 16 + low) as u8;
                    len += 1;
                    i += 3;
                }
                _ => {
                    text[len] = b;
                    len += 1;
                    i += 1;
                }
            }
        }
        if bytes.len() > pair_at {
            pairs.push(finish(name, &mut piece, len));
        }
        text.truncate(len);
        // One check for the whole buffer: an escape may decode to bytes that
        // are not UTF-8, and the signature covers the decoded text.
        let text = String::from_utf8(text).map_err(|_| FormError::NotUtf8)?;
        // The whole is UTF-8, yet a name or value alone may not be: `%C2=%80`
        // decodes to one character split across the two, and slicing the
        // text there would panic. Each piece must start and end on a
        // character (pieces are adjacent, so that makes each one UTF-8).
        let whole =
            |(a, b): Span| text.is_char_boundary(a as usize) && text.is_char_boundary(b as usize);
        if !pairs
            .iter()
            .all(|&(name, value)| whole(name) && whole(value))
        {
            return Err(FormError::NotUtf8);
        }
        Ok(Params { text, pairs })
    }

    pub fn from_pairs<I, K, V>(pairs: I) -> Params
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<str>,
        V: AsRef<str>,
    {
        let mut p = Params::default();
        for (k, v) in pairs {
            p.push(k.as_ref(), v.as_ref());
        }
        p
    }

    fn push(&mut self, name: &str, value: &str) {
        let name = append(&mut self.text, name);
        let value = append(&mut self.text, value);
        self.pairs.push((name, value));
    }

    fn at(&self, (start, end): Span) -> &str {
        &self.text[start as usize..end as usize]
    }

    /// The first value of `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.iter().find(|(k, _)| *k == name).map(|(_, v)| v)
    }

    pub fn require(&self, name: &'static str) -> Result<&str, FormError> {
        self.get(name).ok_or(FormError::MissingField(name))
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.pairs.iter().map(|&(k, v)| (self.at(k), self.at(v)))
    }

    pub fn extend(&mut self, other: Params) {
        for (k, v) in other.iter() {
            self.push(k, v);
        }
    }

    pub fn is_empty(&self) -> bool {
        self.pairs.is_empty()
    }

    /// Encodes back to `a=b&c=d`, escaping everything but unreserved characters.
    pub fn encode(&self) -> String {
        let mut out = String::new();
        for (i, (k, v)) in self.iter().enumerate() {
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

/// Two parameter lists are equal when their pairs are, whatever the layout
/// of their buffers.
impl PartialEq for Params {
    fn eq(&self, other: &Params) -> bool {
        self.iter().eq(other.iter())
    }
}

impl Eq for Params {}

fn append(text: &mut String, s: &str) -> Span {
    let start = text.len() as u32;
    text.push_str(s);
    (start, text.len() as u32)
}

/// How many bytes `bytes` starts with that are none of `&`, `=`, `%`, `+`.
/// Eight at a time: a byte equal to one of them is a zero byte of the word
/// XORed with it, and the lowest zero byte found is the first stop.
fn plain_run(bytes: &[u8]) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    // Exact for the lowest zero byte; a false mark can only sit above it.
    let zeros = |v: u64| v.wrapping_sub(ONES) & !v & HIGHS;
    let mut i = 0;
    while let Some(word) = bytes.get(i..i + 8) {
        let w = u64::from_le_bytes(word.try_into().expect("eight bytes"));
        let stops = zeros(w ^ (ONES * u64::from(b'&')))
            | zeros(w ^ (ONES * u64::from(b'=')))
            | zeros(w ^ (ONES * u64::from(b'%')))
            | zeros(w ^ (ONES * u64::from(b'+')));
        if stops != 0 {
            return i + (stops.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    i + bytes[i..]
        .iter()
        .position(|&b| STOPS[usize::from(b)])
        .unwrap_or(bytes.len() - i)
}

/// The bytes that end a run of plain text in a form body.
const STOPS: [bool; 256] = {
    let mut stops = [false; 256];
    stops[b'&' as usize] = true;
    stops[b'=' as usize] = true;
    stops[b'%' as usize] = true;
    stops[b'+' as usize] = true;
    stops
};

/// Closes the pair whose decoded text ends at `end`: a pair without `=` is
/// a name with an empty value. The next pair's text starts at `end`.
fn finish(name: Option<Span>, piece: &mut u32, end: usize) -> (Span, Span) {
    let end = end as u32;
    let pair = match name {
        Some(name) => (name, (*piece, end)),
        None => ((*piece, end), (end, end)),
    };
    *piece = end;
    pair
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
        // One character split between a name and its value.
        assert_eq!(Params::parse("%C2=%80"), Err(FormError::NotUtf8));
        assert_eq!(Params::parse("a=%C2&%80=b"), Err(FormError::NotUtf8));
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
    fn a_plain_run_ends_at_the_first_stop_wherever_it_falls_in_a_word() {
        // Every offset across two words, every stop, and plain bytes of
        // every width around it (the high bytes of é and € included).
        for plain in ["a", "é", "€x"] {
            for n in 0..20 {
                let before = plain.repeat(n);
                for stop in ['&', '=', '%', '+'] {
                    let s = format!("{before}{stop}{before}=&");
                    assert_eq!(plain_run(s.as_bytes()), before.len(), "{s:?}");
                }
                assert_eq!(plain_run(before.as_bytes()), before.len());
            }
        }
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
