//! One-time verification codes (voice 2FA, SMS). Pure: the edge passes in the
//! random bytes and the clock, and stores the `Pending` as JSON in KV, one per
//! (account, destination number). Only a keyed hash of the code is kept, so a
//! leaked store gives away no usable code.

use crate::phone::E164;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use std::fmt::Write;
use subtle::ConstantTimeEq;

/// Kept with the code so a resend or an audit can tell how it went out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Channel {
    Voice,
    Sms,
}

/// What is stored for a code in flight. The code itself is never stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pending {
    pub channel: Channel,
    /// hex HMAC-SHA256(secret, "switchboard verification\0" + to + "\0" + code)
    pub code_hash: String,
    pub created_at_ms: u64,
    pub expires_at_ms: u64,
    /// Wrong answers so far.
    pub attempts: u8,
    pub max_attempts: u8,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Denied {
    NoneSent,
    Expired,
    TooManyAttempts,
    WrongCode,
}

impl Denied {
    /// Said or texted back to the person, so it tells them what to do next
    /// without revealing anything about the code.
    pub fn message(self) -> &'static str {
        match self {
            Denied::NoneSent => "no code was sent to this number (or it was already used)",
            Denied::Expired => "the code has expired: request a new one",
            Denied::TooManyAttempts => "too many wrong attempts: request a new one",
            Denied::WrongCode => "wrong code",
        }
    }
}

/// Separate from `Next`: what the person is told and what the store keeps
/// differ (a wrong code is denied but the entry stays, with one try used).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", content = "reason", rename_all = "snake_case")]
pub enum Verdict {
    Approved,
    Denied(Denied),
}

/// What to store after a check: keep this Pending, or remove the entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Next {
    Keep(Pending),
    Remove,
    Unchanged,
}

/// `length` digits (4..=10) from uniformly random bytes, without modulo bias
/// (rejection sampling: skip bytes >= 250). Returns None if `random` runs out
/// before enough digits are drawn (the caller passes e.g. 64 bytes), or if
/// `length` is outside 4..=10 (shorter is guessable, longer is not typable).
pub fn new_code(random: &[u8], length: u8) -> Option<String> {
    if !(4..=10).contains(&length) {
        return None;
    }
    let code: String = random
        .iter()
        .filter(|&&b| b < 250)
        .take(usize::from(length))
        .map(|b| char::from(b'0' + b % 10))
        .collect();
    (code.len() == usize::from(length)).then_some(code)
}

/// The hash binds the code to the number it was sent to, so a code for one
/// number is useless for another even under the same secret.
fn code_hash(secret: &[u8], to: &E164, code: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("any key length");
    mac.update(b"switchboard verification\0");
    mac.update(to.as_str().as_bytes());
    mac.update(b"\0");
    mac.update(normalize(code).as_bytes());
    mac.finalize()
        .into_bytes()
        .iter()
        .fold(String::with_capacity(64), |mut hex, b| {
            let _ = write!(hex, "{b:02x}");
            hex
        })
}

/// People group digits as they read them ("123 456", "123-456").
fn normalize(code: &str) -> String {
    code.chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .collect()
}

/// `max_attempts` is raised to 1 at least: with 0 the code could never be used.
pub fn issue(
    secret: &[u8],
    to: &E164,
    code: &str,
    channel: Channel,
    now_ms: u64,
    ttl_secs: u32,
    max_attempts: u8,
) -> Pending {
    Pending {
        channel,
        code_hash: code_hash(secret, to, code),
        created_at_ms: now_ms,
        expires_at_ms: now_ms.saturating_add(u64::from(ttl_secs) * 1000),
        attempts: 0,
        max_attempts: max_attempts.max(1),
    }
}

/// Checks `code` against what is pending for `to`. Rules:
/// - no pending -> Denied(NoneSent), Next::Unchanged
/// - now_ms >= expires_at_ms -> Denied(Expired), Next::Remove
/// - attempts >= max_attempts -> Denied(TooManyAttempts), Next::Unchanged (the
///   spent code stays until it expires, so every later try, the right code
///   included, hears why it failed)
/// - right code (constant-time compare of the hashes, via subtle) -> Approved, Next::Remove (a code works once)
/// - wrong code -> attempts += 1, Denied(WrongCode), Next::Keep(updated): exactly
///   `max_attempts` guesses are ever compared with the code
///
/// Whitespace and dashes inside `code` are ignored ("123 456", "123-456").
pub fn check(
    pending: Option<&Pending>,
    secret: &[u8],
    to: &E164,
    code: &str,
    now_ms: u64,
) -> (Verdict, Next) {
    let deny = |why, next| (Verdict::Denied(why), next);
    let Some(pending) = pending else {
        return deny(Denied::NoneSent, Next::Unchanged);
    };
    if now_ms >= pending.expires_at_ms {
        return deny(Denied::Expired, Next::Remove);
    }
    if pending.attempts >= pending.max_attempts {
        return deny(Denied::TooManyAttempts, Next::Unchanged);
    }
    let hash = code_hash(secret, to, code);
    if bool::from(hash.as_bytes().ct_eq(pending.code_hash.as_bytes())) {
        return (Verdict::Approved, Next::Remove);
    }
    let mut updated = pending.clone();
    updated.attempts = updated.attempts.saturating_add(1);
    deny(Denied::WrongCode, Next::Keep(updated))
}

/// For an SMS reply ("Yes 123456 thanks", "code: 123-456"): tries each run of
/// digits in `text` (dashes/spaces between digit groups joined only when the joined
/// length equals the code length) and checks it like `check`. Returns the verdict
/// for the first candidate that is right, else the result of checking the first
/// candidate (so a wrong code still counts an attempt), or Denied(WrongCode) with
/// Next::Unchanged when the text holds no digits at all.
///
/// When some candidates have exactly `code_length` digits only those are tried
/// (the others cannot be the code), plain runs before joined groups, so a phone
/// number in the reply does not shadow the code. Each wrong candidate costs its
/// own attempt: otherwise one SMS listing hundreds of guesses would be a brute
/// force for the price of one. A reply with one number in it gets the rule above.
pub fn check_text(
    pending: Option<&Pending>,
    secret: &[u8],
    to: &E164,
    text: &str,
    now_ms: u64,
    code_length: u8,
) -> (Verdict, Next) {
    if pending.is_none() {
        return (Verdict::Denied(Denied::NoneSent), Next::Unchanged);
    }
    let mut current = pending.cloned();
    let mut result = (Verdict::Denied(Denied::WrongCode), Next::Unchanged);
    for candidate in candidates(text, usize::from(code_length)) {
        match check(current.as_ref(), secret, to, &candidate, now_ms) {
            (verdict, Next::Keep(updated)) => {
                current = Some(updated.clone());
                result = (verdict, Next::Keep(updated));
            }
            // Attempts spent on earlier candidates are kept all the same.
            (verdict, Next::Unchanged) => {
                let next = current
                    .filter(|c| Some(c) != pending)
                    .map_or(Next::Unchanged, Next::Keep);
                return (verdict, next);
            }
            settled => return settled,
        }
    }
    result
}

/// Distinct candidates in the order `check_text` tries them: the runs and joins
/// of exactly `length` digits, else the first run alone.
fn candidates(text: &str, length: usize) -> Vec<String> {
    // (digits, joinable with the previous group: only spaces/dashes between)
    let mut groups: Vec<(String, bool)> = Vec::new();
    let (mut in_digits, mut separated) = (false, false);
    for c in text.chars() {
        if c.is_ascii_digit() {
            if !in_digits {
                groups.push((String::new(), separated && !groups.is_empty()));
            }
            groups.last_mut().expect("pushed").0.push(c);
        } else {
            separated = (c == '-' || c.is_whitespace()) && (in_digits || separated);
        }
        in_digits = c.is_ascii_digit();
    }
    let mut exact: Vec<String> = Vec::new();
    let mut add = |s: &String| {
        if s.len() == length && !exact.contains(s) {
            exact.push(s.clone());
        }
    };
    groups.iter().for_each(|(run, _)| add(run));
    for (i, (first, _)) in groups.iter().enumerate() {
        let mut joined = first.clone();
        for (next, _) in groups[i + 1..].iter().take_while(|g| g.1) {
            if joined.len() >= length {
                break;
            }
            joined.push_str(next);
            add(&joined);
        }
    }
    if exact.is_empty() {
        // None can be the code: one attempt for the first, as for a typo.
        groups.into_iter().map(|(run, _)| run).take(1).collect()
    } else {
        exact
    }
}

/// The code as a speech engine should read it: digits separated by ", " so they
/// are spoken slowly, e.g. "1, 2, 3, 4, 5, 6".
pub fn spoken(code: &str) -> String {
    normalize(code)
        .chars()
        .map(String::from)
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    // The same tests run compiled to wasm, under Node (scripts/test.sh).
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    const SECRET: &[u8] = b"secret";
    const NOW: u64 = 1_700_000_000_000;

    fn to() -> E164 {
        E164::parse("+14155550100").unwrap()
    }

    /// The code 123456, sent by SMS for 5 minutes, 3 tries, `attempts` used.
    fn pending(attempts: u8) -> Pending {
        let p = issue(SECRET, &to(), "123456", Channel::Sms, NOW, 300, 3);
        Pending { attempts, ..p }
    }

    fn try_code(p: Option<&Pending>, code: &str, now_ms: u64) -> (Verdict, Next) {
        check(p, SECRET, &to(), code, now_ms)
    }

    fn reply(p: Option<&Pending>, text: &str) -> (Verdict, Next) {
        check_text(p, SECRET, &to(), text, NOW, 6)
    }

    const APPROVED: (Verdict, Next) = (Verdict::Approved, Next::Remove);

    fn denied(why: Denied, next: Next) -> (Verdict, Next) {
        (Verdict::Denied(why), next)
    }

    #[test]
    fn codes_have_the_asked_length_and_no_bias_bytes() {
        assert_eq!(new_code(&[0, 1, 2, 3, 4, 5], 6).as_deref(), Some("012345"));
        // 250..=255 would favour 0..=5; they are skipped, 249 is the last kept.
        let random = [250, 255, 19, 249, 251, 7, 128, 33, 99, 10, 42];
        assert_eq!(new_code(&random, 8).as_deref(), Some("99783902"));
        assert_eq!(new_code(&[9; 10], 10).as_deref(), Some("9999999999"));
        assert_eq!(new_code(&[1; 64], 3), None);
        assert_eq!(new_code(&[1; 64], 11), None);
    }

    #[test]
    fn new_code_runs_out_of_randomness() {
        assert_eq!(new_code(&[1, 2, 3, 4, 5], 6), None);
        assert_eq!(new_code(&[1, 2, 3, 250, 251, 252, 253, 254, 255], 4), None);
        assert_eq!(new_code(&[], 4), None);
    }

    #[test]
    fn the_right_code_is_approved_once() {
        assert_eq!(pending(0).expires_at_ms, NOW + 300_000);
        assert_eq!(try_code(Some(&pending(0)), "123456", NOW + 1), APPROVED);
        // The edge removed the entry, so the same code again finds nothing.
        let again = try_code(None, "123456", NOW + 2);
        assert_eq!(again, denied(Denied::NoneSent, Next::Unchanged));
    }

    #[test]
    fn a_wrong_code_counts_an_attempt() {
        let wrong = try_code(Some(&pending(0)), "654321", NOW);
        assert_eq!(wrong, denied(Denied::WrongCode, Next::Keep(pending(1))));
        assert_eq!(Denied::WrongCode.message(), "wrong code");
        // Still usable after a wrong try.
        assert_eq!(try_code(Some(&pending(1)), "123456", NOW), APPROVED);
    }

    #[test]
    fn a_spent_code_denies_every_try_until_it_expires() {
        // The last allowed guess is still compared, and is simply wrong.
        let last = try_code(Some(&pending(2)), "000000", NOW);
        assert_eq!(last, denied(Denied::WrongCode, Next::Keep(pending(3))));
        // After it, nothing is compared: even the right code is refused.
        let too_many = denied(Denied::TooManyAttempts, Next::Unchanged);
        assert_eq!(try_code(Some(&pending(3)), "000000", NOW), too_many);
        assert_eq!(try_code(Some(&pending(3)), "123456", NOW), too_many);
        let message = Denied::TooManyAttempts.message();
        assert_eq!(message, "too many wrong attempts: request a new one");
    }

    #[test]
    fn an_expired_code_is_denied() {
        let expired = denied(Denied::Expired, Next::Remove);
        assert_eq!(
            try_code(Some(&pending(0)), "123456", NOW + 300_000),
            expired
        );
        assert_eq!(
            try_code(Some(&pending(0)), "123456", NOW + 299_999),
            APPROVED
        );
        let message = Denied::Expired.message();
        assert_eq!(message, "the code has expired: request a new one");
    }

    #[test]
    fn nothing_pending_is_denied() {
        let none = try_code(None, "123456", NOW);
        assert_eq!(none, denied(Denied::NoneSent, Next::Unchanged));
        let message = Denied::NoneSent.message();
        assert_eq!(
            message,
            "no code was sent to this number (or it was already used)"
        );
        let json = serde_json::to_string(&Denied::NoneSent).unwrap();
        assert_eq!(json, r#""none_sent""#);
    }

    #[test]
    fn spacing_and_dashes_are_ignored() {
        for code in ["123 456", "123-456", " 12 34 56 ", "1-2-3-4-5-6"] {
            assert_eq!(try_code(Some(&pending(0)), code, NOW), APPROVED, "{code:?}");
        }
    }

    #[test]
    fn the_hash_is_bound_to_the_number_and_secret() {
        let p = pending(0);
        // Pinned, so a change of derivation is a deliberate one (and the same in wasm).
        let pinned = "2007e8a5aff210d4bd8923868c4309e6ab205430b410e188722685978f66c9d9";
        assert_eq!(p.code_hash, pinned);
        let wrong = denied(Denied::WrongCode, Next::Keep(pending(1)));
        let other = E164::parse("+14155550101").unwrap();
        assert_eq!(check(Some(&p), SECRET, &other, "123456", NOW), wrong);
        assert_eq!(check(Some(&p), b"other", &to(), "123456", NOW), wrong);
        let json = serde_json::to_string(&p).unwrap();
        assert!(!json.contains("123456"), "the code is not stored: {json}");
        assert!(json.contains(r#""channel":"sms""#), "{json}");
        assert_eq!(serde_json::from_str::<Pending>(&json).unwrap(), p);
    }

    #[test]
    fn an_sms_reply_with_the_code_approves() {
        let p = pending(0);
        for text in [
            "Yes 123456 thanks",
            "code: 123-456",
            "it's 12 34 56",
            "555 1 123456",
        ] {
            assert_eq!(reply(Some(&p), text), APPROVED, "{text:?}");
        }
        // A phone number in the reply does not cost an attempt before the code.
        assert_eq!(reply(Some(&p), "call 415-555-0100, code 123456"), APPROVED);
        // A wrong reply counts one attempt, like `check`.
        let wrong = denied(Denied::WrongCode, Next::Keep(pending(1)));
        assert_eq!(reply(Some(&p), "it is 123-457"), wrong);
        assert_eq!(reply(Some(&p), "12, 34 or 56?"), wrong);
        // A reply listing many guesses pays for each of them.
        let guesses = reply(Some(&p), "000001 000002 000003 123456");
        assert_eq!(
            guesses,
            denied(Denied::TooManyAttempts, Next::Keep(pending(3)))
        );
        let none = reply(None, "123456");
        assert_eq!(none, denied(Denied::NoneSent, Next::Unchanged));
    }

    #[test]
    fn an_sms_reply_without_digits_changes_nothing() {
        for text in ["", "yes please", "STOP", "- -"] {
            let unchanged = denied(Denied::WrongCode, Next::Unchanged);
            assert_eq!(reply(Some(&pending(0)), text), unchanged, "{text:?}");
        }
    }

    #[test]
    fn codes_are_spoken_slowly() {
        assert_eq!(spoken("123456"), "1, 2, 3, 4, 5, 6");
        assert_eq!(spoken("0042"), "0, 0, 4, 2");
        assert_eq!(spoken(""), "");
    }
}
