//! The numbering plan, for a number already in E.164: is it a number at all,
//! which region's is it (`CA` inside `+1`, `JE` inside `+44`), and is it
//! premium rate or shared cost. The toll-fraud guard needs these on the
//! caller's path, where `phonenumber` may not go: its metadata is most of a
//! megabyte of wasm and hundreds of milliseconds to load in a cold isolate.
//!
//! The answers are `phonenumber` 0.3.10's, quirks included (the guard must
//! not start refusing or allowing anything it did not before), but for the
//! one difference below.
//! Its patterns are copied into `plan_data.rs` by a test, which also fails if
//! they drift from the crate's metadata, and other tests hold every answer
//! against `phonenumber`'s own for the metadata's example numbers and for
//! random numbers (`tests/properties/plan.rs`).
//!
//! One difference, on purpose: after a `+`, `phonenumber` strips or rewrites
//! what it takes for a national prefix when what is left is a valid number
//! (`+44 0 20 7946 0958` reads as `+44 20 7946 0958`, Norfolk Island's
//! `+672 1 0660` as `+672 3 10660`), and the guard reads that other number.
//! This module reads the number as written, which is the number dialled. In
//! every such case the tests have met, the number as written is either not
//! valid (`read` refuses what the guard allowed), or valid and read the same
//! (Korea's `+82 00308…`, Japan's `+81 0037…`).

use super::plan_data::{CODES, PATTERNS, PATTERN_COUNT};
use super::E164;
use ranges::{Desc, Region};
use regex_lite::Regex;
use std::sync::OnceLock;

/// What the numbering plan says of a number in E.164.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reading {
    /// ISO 3166 alpha-2 as `phonenumber` spells it (`GB`, never `UK`), or
    /// `001` where it names no region: non-geographic services (+800, +882)
    /// and the valid numbers whose region `phonenumber` loses (most of
    /// Italy's fixed lines: see [`read`]). `001` is also what the guard
    /// calls a number with no region, so an account allows these only by
    /// allowing `001`.
    pub region: &'static str,
    pub kind: Kind,
}

/// The only distinctions the guard makes: it refuses the first two.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    PremiumRate,
    SharedCost,
    Other,
}

/// The plan's reading of `number`, or `None` when it is not a valid number
/// (no range of its region covers it).
///
/// As `phonenumber` does, validity is judged on the digits as written, but
/// the region and type on the national number without its leading zeros
/// (it keeps them apart from the number, and forgets them there). So
/// Italy's fixed lines, which begin with 0, mostly read as `001` (Milan's
/// `+39 02…`, the Vatican's `+39 06698…`), and some as other ranges (Salerno's
/// `+39 089 2…` as premium rate in `IT`).
pub fn read(number: &E164) -> Option<Reading> {
    let digits = number.digits();
    let code = number.calling_code();
    let national = &digits[code_len(code)..];
    let regions = regions_of(code)?;
    // `phonenumber` stores the national number as an integer after its
    // zeros; all zeros leaves no integer, and it refuses the number.
    let without_zeros = national.trim_start_matches('0');
    if without_zeros.is_empty() {
        return None;
    }
    let as_written = classify(regions, national);
    if !matches!(as_written, Some((_, t)) if t != Type::Unknown) {
        return None;
    }
    let (region, kind) = if without_zeros.len() == national.len() {
        as_written
    } else {
        classify(regions, without_zeros)
    }
    .map_or(("001", Kind::Other), |(region, t)| {
        let kind = match t {
            Type::PremiumRate => Kind::PremiumRate,
            Type::SharedCost => Kind::SharedCost,
            // Unknown: valid as written, in no range without its zeros.
            Type::Unknown | Type::Other => Kind::Other,
        };
        (region.id, kind)
    });
    Some(Reading { region, kind })
}

/// A region `phonenumber` knows, spelled as it reports them (`GB`, never
/// `UK`; upper case only). Its list of regions and its metadata's are the
/// same (a test checks), so this needs no more than the plan.
pub fn is_region(id: &str) -> bool {
    id != "001" && region_named(id).is_some()
}

/// The plan's own spelling of a region id (`001` included), for a caller
/// that needs it for as long as the program runs.
pub fn region_named(id: &str) -> Option<&'static str> {
    CODES
        .iter()
        .flat_map(|(_, regions)| regions.iter())
        .find(|r| r.id == id)
        .map(|r| r.id)
}

/// `phonenumber`'s `Type`, with the distinctions the guard does not make
/// folded into `Other`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Type {
    Unknown,
    PremiumRate,
    SharedCost,
    Other,
}

/// `validator::source_for` then `validator::number_type`: which region's
/// metadata reads `national`, and as what. `None` where no region claims it.
fn classify(regions: &'static [Region], national: &str) -> Option<(&'static Region, Type)> {
    if let [only] = regions {
        return Some((only, number_type(only, national)));
    }
    regions.iter().find_map(|region| match region.leading {
        Some(leading) => {
            prefix_matches(leading, national).then(|| (region, number_type(region, national)))
        }
        None => {
            let t = number_type(region, national);
            (t != Type::Unknown).then_some((region, t))
        }
    })
}

/// `validator::number_type`, in its order: the first range that matches
/// decides.
fn number_type(region: &Region, national: &str) -> Type {
    let hit = |desc: Option<Desc>| desc.is_some_and(|d| desc_matches(d, national));
    if !hit(Some(region.general)) {
        Type::Unknown
    } else if hit(region.premium_rate) {
        Type::PremiumRate
    } else if hit(region.toll_free) {
        Type::Other
    } else if hit(region.shared_cost) {
        Type::SharedCost
    } else if region.rest.iter().any(|&d| desc_matches(d, national)) {
        Type::Other
    } else {
        Type::Unknown
    }
}

/// `Descriptor::is_match`: the length, then the pattern at the start only
/// (not the whole number: a longer number a pattern begins still matches
/// where no length list stops it, as `phonenumber` has it).
fn desc_matches(desc: Desc, national: &str) -> bool {
    desc.fits(national.len()) && prefix_matches(desc.pattern, national)
}

/// Whether `PATTERNS[pattern]` matches at the start of `text`: what
/// `phonenumber` asks of a search (a match starting at 0), asked directly.
fn prefix_matches(pattern: u16, text: &str) -> bool {
    compiled(pattern).is_match(text)
}

/// Each pattern is compiled the first time a number needs it, then kept for
/// the life of the isolate: a call touches a region or two of the ~250, so
/// compiling them all up front would cost every cold start for nothing.
fn compiled(pattern: u16) -> &'static Regex {
    static COMPILED: [OnceLock<Regex>; PATTERN_COUNT] = [const { OnceLock::new() }; PATTERN_COUNT];
    let i = usize::from(pattern);
    COMPILED[i].get_or_init(|| {
        // Anchored, so that a failed match gives up at the first position
        // instead of searching the rest of the number.
        Regex::new(&format!("^(?:{})", PATTERNS[i])).expect("every pattern compiles (tested)")
    })
}

fn regions_of(code: u16) -> Option<&'static [Region]> {
    let i = CODES.binary_search_by_key(&code, |(c, _)| *c).ok()?;
    Some(CODES[i].1)
}

fn code_len(code: u16) -> usize {
    match code {
        0..=9 => 1,
        10..=99 => 2,
        _ => 3,
    }
}

pub(super) mod ranges;

#[cfg(all(test, not(target_arch = "wasm32")))]
mod against_phonenumber;
#[cfg(test)]
mod tests;
