//! `phone`: what carriers send where a number would be, on the call path.

use crate::{cases, nasty_string};
use proptest::prelude::*;
use switchboard_core::phone::{Party, E164};

/// Mostly number-like text, with the odd character that is not.
fn carrier_text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        nasty_string(20),
        "[ +]?[0-9]{0,17}[ ]?",
        "(client|CLIENT|sip|SIPS|Client):[a-z@.é📞]{0,10}",
        "\\+?[0-9]{0,6}[é€📞\u{200f}\u{0}][0-9]{0,8}",
        "(anonymous|Restricted|\\+266696687|266696687|unknown)",
    ]
}

fn digits_of(s: &str) -> usize {
    s.chars().filter(char::is_ascii_digit).count()
}

/// The last four characters of `s`.
fn tail(s: &str) -> String {
    let n = s.chars().count();
    s.chars().skip(n.saturating_sub(4)).collect()
}

proptest! {
    #![proptest_config(cases(1024))]

    #[test]
    fn any_party_classifies_and_masks(raw in carrier_text(), plus_optional in any::<bool>()) {
        let party = Party::from_carrier(&raw, plus_optional);
        let masked = party.masked();
        match &party {
            Party::Number(n) => {
                prop_assert_eq!(n.as_str().trim_start_matches('+'), raw.trim().trim_start_matches('+'));
                prop_assert_eq!(&masked, &format!("***{}", tail(n.digits())));
            }
            Party::Withheld => prop_assert_eq!(masked.as_str(), "withheld"),
            Party::Client(_) => prop_assert_eq!(masked.as_str(), "client:***"),
            Party::Sip(_) => prop_assert_eq!(masked.as_str(), "sip:***"),
            Party::Other(s) => {
                prop_assert_eq!(s.as_str(), raw.trim());
                prop_assert_eq!(&masked, &format!("***{}", tail(s)));
            }
        }
        // Logs never see more than four digits of anything.
        prop_assert!(digits_of(&masked) <= 4, "{masked:?}");
    }

    #[test]
    fn a_parsed_number_round_trips(raw in prop_oneof![carrier_text(), "\\+[0-9]{0,17}"]) {
        if let Ok(n) = E164::parse(&raw) {
            prop_assert_eq!(n.as_str(), raw.as_str());
            prop_assert_eq!(E164::parse(n.as_str()), Ok(n.clone()));
            prop_assert_eq!(E164::from_digits(n.digits()), Ok(n.clone()));
            prop_assert_eq!(n.masked(), format!("***{}", tail(&raw)));
            prop_assert_eq!(format!("{n:?}"), format!("E164({})", n.masked()));
            let json = serde_json::to_string(&n).expect("a string serialises");
            prop_assert_eq!(serde_json::from_str::<E164>(&json).ok(), Some(n.clone()));
            let _ = (n.calling_code(), n.region());
        }
    }

    #[test]
    fn digits_without_plus_round_trip(raw in prop_oneof![carrier_text(), "[0-9]{0,17}"]) {
        if let Ok(n) = E164::from_digits(&raw) {
            prop_assert_eq!(n.digits(), raw.as_str());
            prop_assert_eq!(n.as_str(), format!("+{raw}"));
            prop_assert_eq!(E164::parse(n.as_str()), Ok(n.clone()));
            let _ = (n.calling_code(), n.region());
        }
    }
}
