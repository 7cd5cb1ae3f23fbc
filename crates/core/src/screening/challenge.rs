//! The digits a caller must key. Derived from a secret and the call's SID, so
//! the answer needs no stored state and cannot be predicted from anything a
//! robot knows (the old system asked for the caller's own last three digits).

use hmac::{Hmac, Mac};
use sha2::Sha256;

pub fn expected_digits(secret: &[u8], call_sid: &str, count: u8) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("any key length");
    mac.update(b"switchboard challenge\0");
    mac.update(call_sid.as_bytes());
    // 32 bytes give up to 32 digits; the modulo bias of 256 % 10 is 6/256
    // per digit, irrelevant for a robot check.
    mac.finalize()
        .into_bytes()
        .iter()
        .take(count as usize)
        .map(|b| char::from(b'0' + b % 10))
        .collect()
}

/// The digits as the speech engine should say them: one at a time.
pub fn spoken(digits: &str) -> String {
    digits
        .chars()
        .map(String::from)
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    // The same tests run compiled to wasm, under Node (scripts/test.sh).
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn digits_depend_on_the_secret_and_the_call() {
        let a = expected_digits(b"secret", "CA0001", 3);
        assert_eq!(a.len(), 3);
        assert!(a.bytes().all(|b| b.is_ascii_digit()));
        assert_eq!(a, expected_digits(b"secret", "CA0001", 3));
        // Pinned, so a change of derivation is a deliberate one (and the same in wasm).
        assert_eq!(expected_digits(b"secret", "CA0001", 6), "232464");
        let others: std::collections::HashSet<String> = (0..50)
            .map(|i| expected_digits(b"secret", &format!("CA{i:04}"), 3))
            .collect();
        assert!(others.len() > 40, "calls get different digits");
        assert_ne!(expected_digits(b"other", "CA0001", 6), "232464");
    }

    #[test]
    fn digits_are_spoken_one_by_one() {
        assert_eq!(spoken("407"), "4 0 7");
        assert_eq!(spoken(""), "");
    }
}
