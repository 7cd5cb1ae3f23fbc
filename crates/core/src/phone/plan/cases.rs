// The numbering plan's named cases: what `plan::read` must say of each
// number. Included by `tests.rs` here and by `crates/numbers/src/plan_tests.rs`,
// which hold the same list against `phonenumber`; expects `reads`, `Reading`
// and `Kind`'s variants in scope.

/// Numbers from the metadata's ranges (most are its example numbers), with
/// what `phonenumber` 0.3.10 says of them; `against_phonenumber` checks each
/// with `phonenumber` as well.
pub const CASES: &[(&str, Option<Reading>)] = &[
    // +1: the US by default, other regions by their area codes.
    ("+12015550123", reads("US", Other)),
    ("+19005550100", reads("US", PremiumRate)),
    ("+14165550100", reads("CA", Other)),
    ("+12530000", None),
    // +44: GB, and the Crown Dependencies by their ranges.
    ("+447400123456", reads("GB", Other)),
    ("+449012345678", reads("GB", PremiumRate)),
    ("+448431234567", reads("GB", PremiumRate)),
    ("+441481256789", reads("GG", Other)),
    ("+447781123456", reads("GG", Other)),
    ("+441534456789", reads("JE", Other)),
    ("+447624123456", reads("IM", Other)),
    // Ofcom's drama range is no range of the metadata's.
    ("+447700900123", None),
    // Shared cost where a plan has it.
    ("+611300123456", reads("AU", SharedCost)),
    ("+33884012345", reads("FR", SharedCost)),
    ("+4918012345", reads("DE", SharedCost)),
    ("+4781021234", reads("NO", SharedCost)),
    ("+39848123456", reads("IT", SharedCost)),
    ("+39899123456", reads("IT", PremiumRate)),
    // In New Zealand's toll-free 0508 range, but its first seven digits are
    // a premium range's, and premium rate is looked at first.
    ("+64508800000", reads("NZ", PremiumRate)),
    ("+64508300000", reads("NZ", Other)),
    // Regions that share a code.
    ("+61891621234", reads("CC", Other)),
    ("+61891641234", reads("CX", Other)),
    ("+77012345678", reads("KZ", Other)),
    ("+78005553535", reads("RU", Other)),
    ("+4779123456", reads("SJ", Other)),
    ("+35818123456", reads("AX", Other)),
    ("+590590271234", reads("BL", Other)),
    ("+262269601234", reads("YT", Other)),
    ("+5993181234", reads("BQ", Other)),
    // Non-geographic: valid, in no region.
    ("+80012345678", reads("001", Other)),
    ("+882312345678", None),
    // Tajikistan's ranges take nine zeros; `phonenumber` takes no number
    // that is all zeros.
    ("+992000000000", None),
    // Italy's fixed lines lead with 0, which `phonenumber` leaves out when
    // it looks for the region and type: Milan is in no region, and Salerno's
    // 089 2… numbers read as 89 2…, premium rate.
    ("+390212345678", reads("001", Other)),
    ("+390892123456", reads("IT", PremiumRate)),
    ("+390669812345", reads("001", Other)),
];

/// Numbers `phonenumber` reads as another (see `plan.rs`), the number it
/// reads, and what `read` says of the number as written: invalid, or what
/// `phonenumber` says of the other.
pub const REWRITTEN: &[(&str, &str, Option<Reading>)] = &[
    ("+4402079460958", "+442079460958", None),
    ("+67210660", "+672310660", None),
    ("+17841059", "+17847841059", None),
    ("+8200308000000", "+82308000000", reads("KR", Other)),
    ("+8100371025442", "+81371025442", reads("JP", Other)),
];

