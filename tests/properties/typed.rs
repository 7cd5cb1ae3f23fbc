//! `phone::parse_typed` and the outbound destination parser over it: what
//! people type, through `phonenumber`. Slower, so fewer cases.

use crate::{cases, nasty_string};
use proptest::prelude::*;
use switchboard_core::phone::E164;
use switchboard_numbers::{parse_destination, parse_typed};

fn typed_text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        nasty_string(24),
        "[+]?[0-9 ()./-]{0,24}",
        "(\\+|00|011)?[ ]?[1-9][0-9]{0,3}[ -]?[0-9 ]{4,14}",
        "[+0-9 ()-]{0,8}(ext|x|#|;ext=)[0-9]{0,6}",
        "\\+[0-9]{1,3}[ ]?[0-9٠-٩０-９]{0,12}",
        // Digits that look like a national prefix (RU's 8, Italy's leading 0).
        "(\\+7|8|007|\\+39 ?0|0039 ?0|\\+44 ?\\(0\\))[0-9 ]{9,11}",
    ]
}

fn region() -> impl Strategy<Value = Option<String>> {
    prop::option::of(prop_oneof![
        prop::sample::select(vec![
            "US", "GB", "DE", "FR", "IN", "CA", "NL", "JP", "gb", "001", "ZZ", "UK", ""
        ])
        .prop_map(str::to_string),
        "[A-Za-z]{2}",
        nasty_string(3),
    ])
}

proptest! {
    #![proptest_config(cases(96))]

    #[test]
    fn typed_numbers_parse_or_are_refused(input in typed_text(), region in region()) {
        if let Ok(n) = parse_typed(&input, region.as_deref()) {
            // What comes back is a carrier-grade E.164 number, and reads the same again.
            prop_assert_eq!(E164::parse(n.as_str()), Ok(n.clone()));
            prop_assert_eq!(parse_typed(n.as_str(), None), Ok(n.clone()));
        }
    }

    #[test]
    fn destinations_parse_or_are_refused(input in typed_text(), region in region()) {
        if let Ok(d) = parse_destination(&input, region.as_deref()) {
            prop_assert_eq!(parse_typed(&input, region.as_deref()), Ok(d.number));
        }
    }
}
