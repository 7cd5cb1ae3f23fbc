//! Phone numbers: one typed E.164 value used everywhere, and the other things a
//! carrier may send where a caller's number would be.
//!
//! Two ways in, on purpose:
//! - [`E164::parse`] for what carriers send (already E.164): a few string
//!   checks and a table lookup, no database, safe on the call path; and
//!   [`plan::read`] when the guard needs its region and type (patterns
//!   compiled on first use, a region or two per isolate).
//! - `switchboard_numbers::parse_typed` for what people type (management
//!   API, vCards, dialled digits): the full `phonenumber` parser and
//!   validator. Its metadata is most of a megabyte of wasm and takes tens of
//!   milliseconds to load in a cold isolate, so only the admin worker links it.

mod codes;
pub mod plan;
#[rustfmt::skip]
mod plan_data;

use serde::{Deserialize, Serialize};
use std::fmt;

/// A number in E.164 form: `+`, a calling code, at most 15 digits in all.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct E164(String);

/// In the API's OpenAPI document a number is a string in E.164: `+`, the
/// country code, then the national number (8 to 15 digits in all).
#[cfg(feature = "openapi")]
impl utoipa::PartialSchema for E164 {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .pattern(Some(r"^\+[1-9][0-9]{6,14}$"))
            .examples([serde_json::json!("+14155550100")])
            .description(Some("A phone number in E.164."))
            .into()
    }
}

#[cfg(feature = "openapi")]
impl utoipa::ToSchema for E164 {}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PhoneError {
    /// Not `+` followed by digits.
    NotE164,
    /// Fewer than 7 or more than 15 digits.
    Length(usize),
    /// No country or service uses the leading digits as a calling code.
    UnknownCallingCode,
    /// `phonenumber` could not read it as a number at all.
    Unparsable(String),
    /// It reads as a number, but not one that exists in its numbering plan.
    Invalid,
}

impl fmt::Display for PhoneError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PhoneError::NotE164 => write!(f, "not an E.164 number (expected + and digits)"),
            PhoneError::Length(n) => write!(f, "an E.164 number has 7 to 15 digits, not {n}"),
            PhoneError::UnknownCallingCode => write!(f, "no country uses this calling code"),
            PhoneError::Unparsable(why) => write!(f, "not a phone number: {why}"),
            PhoneError::Invalid => write!(f, "not a valid number in its country's numbering plan"),
        }
    }
}

impl std::error::Error for PhoneError {}

impl E164 {
    /// Strict parse of a carrier-supplied number (`+14155550100`).
    pub fn parse(s: &str) -> Result<E164, PhoneError> {
        let digits = s.strip_prefix('+').ok_or(PhoneError::NotE164)?;
        Self::from_digits(digits)
    }

    /// The same number written without `+`, as MessageBird sends it.
    pub fn from_digits(digits: &str) -> Result<E164, PhoneError> {
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(PhoneError::NotE164);
        }
        // Seven digits is the shortest number any plan assigns with its code
        // (e.g. Niue, +683 4002); anything shorter is a short code, not E.164.
        if !(7..=15).contains(&digits.len()) {
            return Err(PhoneError::Length(digits.len()));
        }
        if digits.starts_with('0') || calling_code_of(digits).is_none() {
            return Err(PhoneError::UnknownCallingCode);
        }
        Ok(E164(format!("+{digits}")))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The digits without `+` (MessageBird's spelling).
    pub fn digits(&self) -> &str {
        // Every constructor writes the `+`.
        self.0.strip_prefix('+').unwrap_or(&self.0)
    }

    pub fn calling_code(&self) -> u16 {
        calling_code_of(self.digits())
            .map(|(code, _)| code)
            .expect("checked on construction")
    }

    /// The main region of the calling code (ISO 3166 alpha-2), or `None` for
    /// non-geographic services (+800, +881, ...). Shared codes give their main
    /// region: see `codes.rs`.
    pub fn region(&self) -> Option<&'static str> {
        calling_code_of(self.digits())
            .map(|(_, region)| region)
            .filter(|r| *r != "001")
    }

    /// What logs may carry: the last four digits only.
    pub fn masked(&self) -> String {
        mask_tail(self.digits())
    }
}

impl fmt::Display for E164 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Debug output ends up in logs and panic messages: mask it there too.
impl fmt::Debug for E164 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "E164({})", self.masked())
    }
}

impl TryFrom<String> for E164 {
    type Error = PhoneError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        E164::parse(&s)
    }
}

impl From<E164> for String {
    fn from(n: E164) -> String {
        n.0
    }
}

impl std::str::FromStr for E164 {
    type Err = PhoneError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        E164::parse(s)
    }
}

/// Calling codes are prefix-free, so the first of 1, 2 or 3 leading digits that
/// is a known code is the code.
fn calling_code_of(digits: &str) -> Option<(u16, &'static str)> {
    (1..=3.min(digits.len())).find_map(|len| {
        let code: u16 = digits.get(..len)?.parse().ok()?;
        if let Ok(i) = codes::CALLING_CODES.binary_search_by_key(&code, |(c, _)| *c) {
            return Some(codes::CALLING_CODES[i]);
        }
        codes::NON_GEOGRAPHIC
            .contains(&code)
            .then_some((code, "001"))
    })
}

fn mask_tail(s: &str) -> String {
    let tail: String = s
        .chars()
        .rev()
        .take(4)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    format!("***{tail}")
}

/// Who is on the other end, as a carrier reports it.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum Party {
    Number(E164),
    /// The caller withheld their number (`anonymous`, `Restricted`, ...).
    Withheld,
    /// A Twilio Client identity (`client:alice`).
    Client(String),
    /// A SIP address (`sip:alice@example.com`).
    Sip(String),
    /// Anything else a carrier may put there (a short code, a national
    /// spelling). Kept as text, never a reason to fail the call.
    Other(String),
}

impl Party {
    /// Classifies a carrier's `From`/`To`. `plus_optional` is for MessageBird,
    /// which writes numbers without the leading `+`.
    pub fn from_carrier(raw: &str, plus_optional: bool) -> Party {
        let s = raw.trim();
        let lower = s.to_ascii_lowercase();
        // +266696687 is what several carriers present for a hidden number
        // (it is the Lesotho range no one is assigned).
        const WITHHELD: &[&str] = &[
            "",
            "anonymous",
            "restricted",
            "private",
            "unknown",
            "unavailable",
            "blocked",
            "withheld",
            "+266696687",
            "266696687",
        ];
        if WITHHELD.contains(&lower.as_str()) {
            return Party::Withheld;
        }
        if let Some(id) = strip_prefix_ci(s, "client:") {
            return Party::Client(id.to_string());
        }
        if lower.starts_with("sip:") || lower.starts_with("sips:") {
            return Party::Sip(s.to_string());
        }
        let parsed = if plus_optional && !s.starts_with('+') {
            E164::from_digits(s)
        } else {
            E164::parse(s)
        };
        match parsed {
            Ok(n) => Party::Number(n),
            Err(_) => Party::Other(s.to_string()),
        }
    }

    pub fn number(&self) -> Option<&E164> {
        match self {
            Party::Number(n) => Some(n),
            _ => None,
        }
    }

    /// What logs may carry.
    pub fn masked(&self) -> String {
        match self {
            Party::Number(n) => n.masked(),
            Party::Withheld => "withheld".into(),
            Party::Client(_) => "client:***".into(),
            Party::Sip(_) => "sip:***".into(),
            Party::Other(s) => mask_tail(s),
        }
    }
}

/// `split_at_checked`, not indexing: what a carrier sends may put a
/// multi-byte character across the prefix's length (`+1415\u{200f}…`).
fn strip_prefix_ci<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let (head, rest) = s.split_at_checked(prefix.len())?;
    head.eq_ignore_ascii_case(prefix).then_some(rest)
}

#[cfg(test)]
mod tests {
    // The same tests run compiled to wasm, under Node (scripts/test.sh).
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn carrier_numbers_parse_strictly() {
        let n = E164::parse("+14155550100").unwrap();
        assert_eq!(n.as_str(), "+14155550100");
        assert_eq!(n.digits(), "14155550100");
        assert_eq!(n.calling_code(), 1);
        assert_eq!(n.region(), Some("US"));
        assert_eq!(E164::parse("14155550100"), Err(PhoneError::NotE164));
        assert_eq!(E164::parse("+1415555010x"), Err(PhoneError::NotE164));
        assert_eq!(E164::parse("+"), Err(PhoneError::NotE164));
        assert_eq!(E164::parse("+123456"), Err(PhoneError::Length(6)));
        assert_eq!(
            E164::parse("+1234567890123456"),
            Err(PhoneError::Length(16))
        );
        // 0 is no calling code, nor are 28x or 80 (unassigned).
        assert_eq!(
            E164::parse("+0123456789"),
            Err(PhoneError::UnknownCallingCode)
        );
        assert_eq!(
            E164::parse("+2801234567"),
            Err(PhoneError::UnknownCallingCode)
        );
    }

    #[test]
    fn calling_codes_of_one_two_and_three_digits() {
        let code = |s: &str| E164::parse(s).map(|n| (n.calling_code(), n.region()));
        assert_eq!(code("+447700900123"), Ok((44, Some("GB"))));
        assert_eq!(code("+4930123456"), Ok((49, Some("DE"))));
        assert_eq!(code("+35312345678"), Ok((353, Some("IE"))));
        assert_eq!(code("+79161234567"), Ok((7, Some("RU"))));
        assert_eq!(code("+80012345678"), Ok((800, None)));
        assert_eq!(code("+31612345678"), Ok((31, Some("NL"))));
    }

    #[test]
    fn messagebird_numbers_come_without_plus() {
        let n = E164::from_digits("31612345678").unwrap();
        assert_eq!(n.as_str(), "+31612345678");
        assert_eq!(
            Party::from_carrier("31612345678", true),
            Party::Number(n.clone())
        );
        // Without the MessageBird allowance, a bare number is not E.164.
        assert_eq!(
            Party::from_carrier("31612345678", false),
            Party::Other("31612345678".into())
        );
        assert_eq!(Party::from_carrier("+31612345678", true), Party::Number(n));
    }

    #[test]
    fn non_numbers_are_their_own_cases() {
        for s in [
            "anonymous",
            "Anonymous",
            "Restricted",
            "+266696687",
            "",
            "  ",
        ] {
            assert_eq!(Party::from_carrier(s, false), Party::Withheld, "{s:?}");
        }
        assert_eq!(
            Party::from_carrier("client:alice", false),
            Party::Client("alice".into())
        );
        assert_eq!(
            Party::from_carrier("sip:alice@example.com", false),
            Party::Sip("sip:alice@example.com".into())
        );
        assert_eq!(
            Party::from_carrier("12345", false),
            Party::Other("12345".into())
        );
    }

    #[test]
    fn multi_byte_characters_never_split() {
        // Each used to panic in `strip_prefix_ci`, slicing inside a character.
        for raw in ["+1415\u{200f}5550100", "+14155€", "📞📞📞", "abcdefé", "é"] {
            for plus_optional in [false, true] {
                let party = Party::from_carrier(raw, plus_optional);
                assert_eq!(party, Party::Other(raw.into()), "{raw:?}");
                assert!(party.masked().starts_with("***"), "{raw:?}");
            }
        }
        assert_eq!(
            Party::from_carrier("Client:é", false),
            Party::Client("é".into())
        );
        assert_eq!(E164::parse("+1415€"), Err(PhoneError::NotE164));
        assert_eq!(E164::from_digits("٤١٥٥٥٥٠١٠٠"), Err(PhoneError::NotE164));
    }

    #[test]
    fn logs_see_only_the_last_four_digits() {
        let n = E164::parse("+14155550100").unwrap();
        assert_eq!(n.masked(), "***0100");
        assert_eq!(format!("{n:?}"), "E164(***0100)");
        assert_eq!(Party::Number(n).masked(), "***0100");
        assert_eq!(Party::Client("alice".into()).masked(), "client:***");
        assert_eq!(Party::Other("12".into()).masked(), "***12");
    }

    #[test]
    fn serde_round_trip_validates() {
        let n: E164 = serde_json::from_str("\"+14155550100\"").unwrap();
        assert_eq!(serde_json::to_string(&n).unwrap(), "\"+14155550100\"");
        assert!(serde_json::from_str::<E164>("\"4155550100\"").is_err());
    }

    // Native only: `phonenumber` is a native dev-dependency.
    #[cfg(not(target_arch = "wasm32"))]
    #[test]
    fn table_matches_phonenumber() {
        use phonenumber::metadata::DATABASE;
        for (code, main) in codes::CALLING_CODES {
            let regions = DATABASE.by_code(code).expect("code known to phonenumber");
            let main_of_db = regions
                .iter()
                .find(|m| m.is_main_country_for_code())
                .or(regions.first())
                .map(|m| m.id())
                .unwrap();
            assert_eq!(main_of_db, *main, "calling code {code}");
        }
        let codes_in_db: std::collections::BTreeSet<u16> =
            DATABASE.iter().map(|m| m.country_code()).collect();
        assert_eq!(codes_in_db.len(), codes::CALLING_CODES.len());
        assert!(codes::CALLING_CODES.windows(2).all(|w| w[0].0 < w[1].0));
    }
}
