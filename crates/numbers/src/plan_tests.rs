//! `phone::plan` (in the core, no `phonenumber`) held against
//! `phonenumber` itself: for every example number of the metadata and the
//! plan's named cases, `plan::read` says what the guard read through
//! `parse_destination` before the calls worker stopped linking it.

use phonenumber::metadata::{Descriptor, Metadata, DATABASE};
use switchboard_core::phone::plan::{self, read, Kind, Reading};
use switchboard_core::phone::E164;

const fn reads(region: &'static str, kind: Kind) -> Option<Reading> {
    Some(Reading { region, kind })
}

#[allow(unused_imports)]
use Kind::{Other, PremiumRate, SharedCost};

include!("../../core/src/phone/plan/cases.rs");

/// What the guard reads today for a number in E.164: `parse_typed_number`
/// (what `outbound::parse_destination` calls), with the exact type, not only
/// premium-or-not. `Err` for a number it refuses; the E.164 it hands back
/// beside the reading, which is not always the input (see `plan.rs`).
pub(super) fn phonenumbers_reading(n: &E164) -> Result<(E164, Reading), String> {
    use phonenumber::Type;
    let (number, parsed) =
        crate::parse_typed_number(n.as_str(), None).map_err(|e| e.to_string())?;
    let kind = match parsed.number_type(&DATABASE) {
        Type::PremiumRate => Kind::PremiumRate,
        Type::SharedCost => Kind::SharedCost,
        _ => Kind::Other,
    };
    let region = parsed.country().id().map_or("001", |id| {
        // Every region is in the plan (see above): spelled from there, as
        // the `&'static str` a `Reading` holds.
        let id = id.as_ref();
        plan::region_named(id).unwrap()
    });
    Ok((number, Reading { region, kind }))
}

/// `read` says what `phonenumber` says of `n`. `Some(rewritten)` where the
/// guard read another number than `n` (a national prefix stripped after the
/// `+`): then `read` of that number says what `phonenumber` said.
fn agrees(n: &E164) -> Option<E164> {
    let ours = read(n);
    match phonenumbers_reading(n) {
        Err(why) => {
            assert_eq!(ours, None, "{n}: phonenumber refuses it ({why})");
            None
        }
        Ok((number, theirs)) if number == *n => {
            assert_eq!(ours, Some(theirs), "{n}");
            // And the guard's own function says the same.
            let dest = crate::parse_destination(n.as_str(), None).unwrap();
            assert_eq!(dest.region.as_deref().unwrap_or("001"), theirs.region);
            assert_eq!(dest.premium, theirs.kind != Kind::Other);
            None
        }
        Ok((rewritten, theirs)) => {
            // As written, invalid, or read as `phonenumber` read the other
            // (see `plan.rs`).
            if let Some(ours) = ours {
                assert_eq!(ours, theirs, "{n} read as {rewritten}");
            }
            assert_eq!(read(&rewritten), Some(theirs), "{n} read as {rewritten}");
            Some(rewritten)
        }
    }
}

fn examples(meta: &Metadata) -> impl Iterator<Item = &str> {
    crate::ranges(meta).filter_map(Descriptor::example)
}

/// Every example number in the metadata, after its calling code.
#[test]
fn every_example_number_reads_as_phonenumber_reads_it() {
    let (mut checked, mut not_e164, mut valid, mut refused) = (0, 0, 0, 0);
    let mut rewritten = Vec::new();
    for meta in DATABASE.iter() {
        let code = meta.country_code();
        {
            for example in examples(meta) {
                let Ok(n) = E164::parse(&format!("+{code}{example}")) else {
                    // Short codes and emergency numbers: not E.164.
                    not_e164 += 1;
                    continue;
                };
                checked += 1;
                if read(&n).is_some() {
                    valid += 1;
                } else {
                    refused += 1;
                }
                if let Some(r) = agrees(&n) {
                    rewritten.push(format!("{n} -> {r}"));
                }
            }
        }
    }
    println!(
        "example numbers: {checked} checked ({valid} valid, {refused} refused), \
         {not_e164} not E.164, rewritten by phonenumber: {rewritten:?}"
    );
    // The metadata has over a thousand: a walk that found none proves nothing.
    assert!(checked > 1000 && valid > 1000, "{checked} {valid}");
}

/// The named cases of `tests.rs`, held against `phonenumber` too.
#[test]
fn named_cases_are_phonenumbers_readings() {
    for (number, want) in CASES {
        let n = E164::parse(number).unwrap();
        assert_eq!(agrees(&n), None, "{number}");
        assert_eq!(read(&n), *want, "{number}");
    }
    for (written, read_as, _) in REWRITTEN {
        let n = E164::parse(written).unwrap();
        assert_eq!(agrees(&n).as_ref().map(E164::as_str), Some(*read_as));
    }
}
