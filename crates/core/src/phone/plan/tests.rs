// The same tests run compiled to wasm, under Node (scripts/test.sh).
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use super::*;

const fn reads(region: &'static str, kind: Kind) -> Option<Reading> {
    Some(Reading { region, kind })
}

use Kind::{Other, PremiumRate, SharedCost};

// CASES and REWRITTEN, shared with the agreement tests in
// crates/numbers (which hold them against `phonenumber` itself).
include!("cases.rs");

#[test]
fn named_cases() {
    for (number, want) in CASES {
        assert_eq!(read(&E164::parse(number).unwrap()), *want, "{number}");
    }
    for (written, _, want) in REWRITTEN {
        assert_eq!(read(&E164::parse(written).unwrap()), *want, "{written}");
    }
}

#[test]
fn regions() {
    for id in ["US", "CA", "GB", "GG", "JE", "IM", "XK", "AX", "BQ"] {
        assert!(is_region(id), "{id}");
    }
    for id in ["001", "UK", "gb", "", "ZZ", "GBR"] {
        assert!(!is_region(id), "{id}");
    }
}

/// Only the descriptor's listed lengths: the pattern alone is matched at the
/// start, so it would take a longer number.
#[test]
fn lengths_bound_a_range() {
    assert_eq!(read(&E164::parse("+190055501001").unwrap()), None);
    let none = ranges::d(0, &[]);
    let ten = ranges::d(0, &[10]);
    assert_eq!(none.lengths, 0);
    assert_eq!(ten.lengths, 1 << 10);
}
