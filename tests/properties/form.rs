//! `form::Params`: the first thing every carrier request goes through.

use crate::{cases, nasty_string};
use proptest::prelude::*;
use switchboard_core::form::{FormError, Params};

/// `%XX` for every byte, in either case.
fn percent_encoded(bytes: &[u8], upper: bool) -> String {
    bytes
        .iter()
        .map(|b| {
            if upper {
                format!("%{b:02X}")
            } else {
                format!("%{b:02x}")
            }
        })
        .collect()
}

proptest! {
    #![proptest_config(cases(512))]

    #[test]
    fn any_text_parses_or_is_refused(s in any::<String>()) {
        let _ = Params::parse(&s);
    }

    #[test]
    fn form_like_text_parses_or_names_a_percent(s in "[a-zA-Z0-9=&%+é€📞\u{0}-\u{1f}]{0,40}") {
        match Params::parse(&s) {
            // Accepted: every `%` starts an escape of two hex digits.
            Ok(_) => {
                for (i, _) in s.match_indices('%') {
                    let escape = s.as_bytes().get(i + 1..i + 3);
                    prop_assert!(escape.is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit)), "{s:?}");
                }
            }
            Err(FormError::NotUtf8) => {}
            // The position is a byte offset of the `%` that is broken.
            Err(FormError::BadEscape { at }) => prop_assert_eq!(s.as_bytes().get(at), Some(&b'%')),
            Err(other) => prop_assert!(false, "unexpected error {other:?}"),
        }
    }

    #[test]
    fn percent_encoded_byte_soup_decodes_exactly(
        pairs in prop::collection::vec(
            (prop::collection::vec(any::<u8>(), 0..12), prop::collection::vec(any::<u8>(), 0..12)),
            0..6,
        ),
        upper in any::<bool>(),
    ) {
        let encoded = pairs
            .iter()
            .map(|(k, v)| format!("{}={}", percent_encoded(k, upper), percent_encoded(v, upper)))
            .collect::<Vec<_>>()
            .join("&");
        let text: Option<Vec<(String, String)>> = pairs
            .iter()
            .map(|(k, v)| Some((String::from_utf8(k.clone()).ok()?, String::from_utf8(v.clone()).ok()?)))
            .collect();
        match text {
            Some(text) => prop_assert_eq!(Params::parse(&encoded), Ok(Params::from_pairs(text))),
            None => prop_assert_eq!(Params::parse(&encoded), Err(FormError::NotUtf8)),
        }
    }

    #[test]
    fn encode_then_parse_round_trips(
        pairs in prop::collection::vec((nasty_string(12), nasty_string(12)), 0..6),
        more in prop::collection::vec((any::<String>(), any::<String>()), 0..3),
    ) {
        let p = Params::from_pairs(pairs.into_iter().chain(more));
        prop_assert_eq!(Params::parse(&p.encode()), Ok(p));
    }
}
