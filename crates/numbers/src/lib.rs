//! Numbers as people type them: `(415) 555-0100`, `+44 20 7946 0958`,
//! `00 49 30 123456`, a vCard's `TEL`, what a Client device dials.
//!
//! This is the one crate that links `phonenumber`: its metadata (most of a
//! megabyte of wasm, and tens of milliseconds to load in a fresh isolate) is
//! what national spellings need. Only the admin worker uses it; the calls
//! worker reads numbers that are already E.164 through `switchboard_core`'s
//! generated tables (`phone::plan`), and a build check keeps it that way.

use switchboard_core::outbound::{Destination, Refused};
use switchboard_core::phone::{PhoneError, E164};

/// Parses a number as a person would write it: `(415) 555-0100`,
/// `+44 20 7946 0958`, `415.555.0100`, `00 49 30 123456`. National spellings
/// are read in `default_region` (ISO 3166 alpha-2). Loads `phonenumber`'s
/// metadata on first use: never call it on a carrier webhook's path.
pub fn parse_typed(input: &str, default_region: Option<&str>) -> Result<E164, PhoneError> {
    parse_typed_number(input, default_region).map(|(n, _)| n)
}

/// [`parse_typed`], also handing back `phonenumber`'s reading of the number
/// (exact region, number type) so callers need not parse twice.
pub fn parse_typed_number(
    input: &str,
    default_region: Option<&str>,
) -> Result<(E164, phonenumber::PhoneNumber), PhoneError> {
    use phonenumber::country::Id;
    use phonenumber::metadata::DATABASE;
    // phonenumber 0.3.10 strips the default region's national prefix even
    // from an international number (with US, `+33 1 23…` loses its `1`), so an
    // explicit `+` is parsed with no region at all.
    let input = input.trim();
    let region: Option<Id> = default_region
        .filter(|_| !input.starts_with('+'))
        .and_then(|r| r.to_ascii_uppercase().parse().ok());
    let number = match phonenumber::parse(region, input) {
        Ok(number) if phonenumber::is_valid(&number) => number,
        // It also strips a national prefix where none was written: its own
        // country's after a `+` (`+7 812…`, St Petersburg, loses its 8), the
        // region's after an international prefix (`00 39 06…` in GB loses
        // Rome's 0), and the region's twice (`8 812…` in RU). So what it
        // could not read as a valid number is read again as written.
        first => {
            let meta = region.and_then(|r| DATABASE.by_id(r.as_ref()));
            as_written(input, meta)
                .and_then(|written| phonenumber::parse(Some(AS_WRITTEN), written).ok())
                .filter(phonenumber::is_valid)
                .ok_or_else(|| match first {
                    Err(e) => PhoneError::Unparsable(e.to_string()),
                    Ok(_) => PhoneError::Invalid,
                })?
        }
    };
    let e164 = E164::parse(&number.format().mode(phonenumber::Mode::E164).to_string())?;
    Ok((e164, number))
}

/// A region with neither a national prefix nor a rule to strip one: parsed
/// with it, an international number keeps every digit after its calling code.
const AS_WRITTEN: phonenumber::country::Id = phonenumber::country::Id::ES;

/// `input` in international form with nothing stripped but a dialled
/// international or national prefix: `+`, the calling code (written, or the
/// region's) and the rest of the digits. `None` unless it is only digits and
/// the usual separators.
fn as_written(input: &str, region: Option<&phonenumber::metadata::Metadata>) -> Option<String> {
    let (plus, rest) = match input.strip_prefix('+') {
        Some(rest) => (true, rest),
        None => (false, input),
    };
    if !rest
        .chars()
        .all(|c| c.is_ascii_digit() || " -.()/".contains(c))
    {
        return None;
    }
    let digits: String = rest.chars().filter(char::is_ascii_digit).collect();
    if plus {
        return Some(format!("+{digits}"));
    }
    let meta = region?;
    let after_idd = meta
        .international_prefix()
        .and_then(|idd| idd.find(&digits))
        .filter(|m| m.start() == 0)
        .and_then(|m| digits.get(m.end()..));
    if let Some(international) = after_idd {
        return Some(format!("+{international}"));
    }
    let national = meta
        .national_prefix()
        .and_then(|p| digits.strip_prefix(p))
        .unwrap_or(&digits);
    Some(format!("+{}{national}", meta.country_code()))
}

/// Every number range the metadata gives a region: the general one first,
/// then each type's. For the tests that hold the core's numbering plan
/// against `phonenumber` (here and in `tests/properties/plan.rs`).
pub fn ranges(
    meta: &phonenumber::metadata::Metadata,
) -> impl Iterator<Item = &phonenumber::metadata::Descriptor> {
    let d = meta.descriptors();
    [
        Some(d.general()),
        d.fixed_line(),
        d.mobile(),
        d.toll_free(),
        d.premium_rate(),
        d.shared_cost(),
        d.personal_number(),
        d.voip(),
        d.pager(),
        d.uan(),
        d.emergency(),
        d.voicemail(),
        d.short_code(),
        d.standard_rate(),
        d.carrier(),
        d.no_international(),
    ]
    .into_iter()
    .flatten()
}

/// Parses what someone dialled (`(415) 555-0100`, `+44 20 7946 0958`,
/// `0049 30 …`), in `default_country` for national spellings, and classifies
/// it for the toll-fraud guard.
pub fn parse_destination(
    input: &str,
    default_country: Option<&str>,
) -> Result<Destination, Refused> {
    use phonenumber::metadata::DATABASE;
    use phonenumber::Type;
    let (number, parsed) = parse_typed_number(input, default_country)
        .map_err(|e| Refused::Invalid { why: e.to_string() })?;
    Ok(Destination {
        premium: matches!(
            parsed.number_type(&DATABASE),
            Type::PremiumRate | Type::SharedCost
        ),
        region: parsed.country().id().map(|id| id.as_ref().to_string()),
        number,
    })
}

#[cfg(test)]
mod outbound_tests;
// Walks every example number with both readers: native only, for time.
#[cfg(all(test, not(target_arch = "wasm32")))]
mod plan_tests;

#[cfg(test)]
mod tests {
    // The same tests run compiled to wasm, under Node (scripts/test.sh).
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn typed_numbers_in_every_common_spelling() {
        let us = "+14155550100";
        for s in [
            "4155550100",
            "+14155550100",
            "+1 (415) 555-0100",
            "415.555.0100",
            " (415)  555-0100",
            "1-415-555-0100",
        ] {
            assert_eq!(parse_typed(s, Some("US")).unwrap().as_str(), us, "{s:?}");
        }
        assert_eq!(
            parse_typed("+44 20 7946 0958", None).unwrap().as_str(),
            "+442079460958"
        );
        assert_eq!(
            parse_typed("020 7946 0958", Some("gb")).unwrap().as_str(),
            "+442079460958"
        );
        assert_eq!(
            parse_typed("+91 (80) 22223333", Some("US"))
                .unwrap()
                .as_str(),
            "+918022223333"
        );
        assert_eq!(
            parse_typed("+1 (111) 111-1111", None),
            Err(PhoneError::Invalid)
        );
        assert!(matches!(
            parse_typed("call me", Some("US")),
            Err(PhoneError::Unparsable(_))
        ));
    }

    #[test]
    fn typed_numbers_keep_digits_that_look_like_a_national_prefix() {
        let typed = |s, region| parse_typed(s, region).map(|n| n.as_str().to_string());
        for (s, region, want) in [
            ("+7 812 123 4567", None, "+78121234567"),
            ("+7 800 555 3535", None, "+78005553535"),
            ("8 812 123 4567", Some("RU"), "+78121234567"),
            ("00 39 06 6982 1234", Some("GB"), "+390669821234"),
            ("0078310000000", Some("GB"), "+78310000000"),
            ("+78310000000", None, "+78310000000"),
            // A national prefix written after the calling code still goes.
            ("+44 (0)20 7946 0958", None, "+442079460958"),
            ("+36 06 1 234 5678", None, "+3612345678"),
        ] {
            assert_eq!(
                typed(s, region),
                Ok(want.to_string()),
                "{s:?} in {region:?}"
            );
        }
        let meta = phonenumber::metadata::DATABASE
            .by_id(AS_WRITTEN.as_ref())
            .unwrap();
        assert_eq!(meta.national_prefix(), None);
        assert!(meta.national_prefix_for_parsing().is_none());
    }
}
