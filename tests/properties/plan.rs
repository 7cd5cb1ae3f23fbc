//! `phone::plan`: what the call path reads of a number in E.164 is what the
//! guard read through `phonenumber` before (`outbound::parse_destination`):
//! valid or not, which region, premium rate or shared cost or neither.

use crate::cases;
use phonenumber::metadata::DATABASE;
use proptest::prelude::*;
use proptest::sample::{select, Index};
use std::sync::LazyLock;
use switchboard_core::phone::plan::{read, Kind};
use switchboard_core::phone::E164;
use switchboard_numbers::{parse_destination, parse_typed_number};

/// Codes shared by several regions, where telling the region is the work.
const SHARED: &[u16] = &[1, 7, 44, 61, 262, 590, 599, 47, 358, 39, 212, 290];

/// Every calling code, with the national example numbers of its regions:
/// prefixes that lead into the ranges the plan has.
static EXAMPLES: LazyLock<Vec<(u16, Vec<String>)>> = LazyLock::new(|| {
    (1..=999u16)
        .filter_map(|code| {
            let metas = DATABASE.by_code(&code)?;
            let examples = metas
                .iter()
                .flat_map(|m| switchboard_numbers::ranges(m).skip(1))
                .filter_map(|d| d.example().map(str::to_string))
                .collect();
            Some((code, examples))
        })
        .collect()
});

fn examples_of(code: u16) -> &'static [String] {
    EXAMPLES
        .iter()
        .find(|(c, _)| *c == code)
        .map_or(&[], |(_, e)| e.as_slice())
}

/// Digits after a real calling code (mostly a shared one): some of an
/// example number, then random digits; half the time cut to about the
/// example's length, where the valid numbers are.
fn number() -> impl Strategy<Value = String> {
    let all: Vec<u16> = EXAMPLES.iter().map(|(c, _)| *c).collect();
    let code = prop_oneof![3 => select(SHARED), 2 => select(all)];
    (
        code,
        any::<Index>(),
        0..=12usize,
        "[0-9]{4,14}",
        prop_oneof![Just(None), (-1..=1isize).prop_map(Some)],
    )
        .prop_map(|(code, example, keep, tail, cut)| {
            let example = match examples_of(code) {
                [] => "",
                examples => example.get(examples).as_str(),
            };
            let mut national = format!("{}{tail}", &example[..keep.min(example.len())]);
            if let Some(jitter) = cut {
                national.truncate(example.len().saturating_add_signed(jitter).max(1));
            }
            let mut digits = format!("{code}{national}");
            digits.truncate(15);
            format!("+{digits}")
        })
}

/// Numbers drawn from the plan's own ranges: a descriptor's pattern of any
/// region (premium, toll free, shared cost, ... alike), so that valid numbers
/// of every type, and the numbers two ranges share, come up often.
fn number_in_a_range() -> impl Strategy<Value = String> {
    static RANGES: LazyLock<Vec<(u16, String)>> = LazyLock::new(|| {
        let mut ranges = Vec::new();
        for code in 1..=999u16 {
            for meta in DATABASE.by_code(&code).unwrap_or_default() {
                for desc in switchboard_numbers::ranges(meta) {
                    // Whitespace is ignored in these patterns; `\d` would
                    // also draw digits of other scripts.
                    let pattern: String = desc
                        .national_number()
                        .as_str()
                        .chars()
                        .filter(|c| !c.is_whitespace())
                        .collect();
                    ranges.push((code, pattern.replace("\\d", "[0-9]")));
                }
            }
        }
        ranges
    });
    select(RANGES.as_slice()).prop_flat_map(|(code, pattern)| {
        prop::string::string_regex(&pattern)
            .unwrap()
            .prop_map(move |national| format!("+{code}{national}"))
    })
}

/// `read` of `raw` (if it is E.164) says what `parse_destination` says.
fn reads_as_phonenumber(raw: &str) -> Result<(), TestCaseError> {
    // Too short or too long for E.164: no number the call path has.
    let Ok(n) = E164::parse(raw) else {
        return Ok(());
    };
    let ours = read(&n);
    let Ok(dest) = parse_destination(n.as_str(), None) else {
        prop_assert_eq!(ours, None);
        return Ok(());
    };
    let (_, parsed) = parse_typed_number(n.as_str(), None).unwrap();
    let kind = match parsed.number_type(&DATABASE) {
        phonenumber::Type::PremiumRate => Kind::PremiumRate,
        phonenumber::Type::SharedCost => Kind::SharedCost,
        _ => Kind::Other,
    };
    prop_assert_eq!(dest.premium, kind != Kind::Other);
    let theirs = (dest.region.unwrap_or_else(|| "001".into()), kind);
    if dest.number != n {
        // `phonenumber` stripped what it took for a national prefix after the
        // `+` and read another number (`+44 0…`, Korea's `+82 00308…`). `read`
        // reads the number written: either it is invalid, or it reads as
        // `phonenumber` read the other (so the guard decides as it did).
        if let Some(r) = ours {
            prop_assert_eq!(
                (r.region.to_string(), r.kind),
                theirs.clone(),
                "{} read as {}",
                n,
                dest.number
            );
        }
        let of_theirs = read(&dest.number).map(|r| (r.region.to_string(), r.kind));
        prop_assert_eq!(of_theirs, Some(theirs));
        return Ok(());
    }
    let ours = ours.map(|r| (r.region.to_string(), r.kind));
    prop_assert_eq!(ours, Some(theirs));
    Ok(())
}

proptest! {
    #![proptest_config(cases(256))]

    #[test]
    fn the_plan_reads_as_phonenumber_near_the_examples(raw in number()) {
        reads_as_phonenumber(&raw)?;
    }

    #[test]
    fn the_plan_reads_as_phonenumber_in_its_ranges(raw in number_in_a_range()) {
        reads_as_phonenumber(&raw)?;
    }
}
