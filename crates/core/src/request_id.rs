//! Every request's id: answered in `X-Request-Id` and written in its log
//! line, so a client's report and our logs meet on one string.
//!
//! An id the client sent is kept only when it is a short safe token (1 to
//! 64 of `A-Z a-z 0-9 . _ -`): it then reaches our logs as it came, and a
//! longer or stranger one (a log injection, a phone number in a header) is
//! replaced by our own. This is also how the calls worker hands its id to
//! the admin worker with `/api/` requests: one id covers both. An accepted
//! id is the client's to choose, so it is never trusted for anything but
//! finding log lines.

pub const HEADER: &str = "X-Request-Id";
pub const MAX_LEN: usize = 64;

/// Whether a client's id may be kept as it is.
pub fn acceptable(id: &str) -> bool {
    (1..=MAX_LEN).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

/// A fresh id from random bytes: their lowercase hex.
pub fn from_random(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn only_short_safe_tokens_are_kept() {
        for ok in ["a", "8c1b2a3d4e5f6a7b-SJC", "req_1.2", &"x".repeat(64)] {
            assert!(acceptable(ok), "{ok}");
        }
        for bad in [
            "",
            &"x".repeat(65),
            "a b",
            "a\nb",
            "+14155550100",
            "<script>",
            "ä",
            "a:b",
        ] {
            assert!(!acceptable(bad), "{bad:?}");
        }
    }

    #[test]
    fn a_fresh_id_is_hex() {
        assert_eq!(from_random(&[0, 15, 255]), "000fff");
        assert!(acceptable(&from_random(&[7; 16])));
    }
}
