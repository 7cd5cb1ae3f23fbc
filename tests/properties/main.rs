//! Property tests: what no input may do to the crate's public API (panic,
//! write XML a carrier cannot read, accept what it cannot read back), checked
//! on generated inputs. An integration test, so it never builds for wasm.
//!
//! Each module is one target (`cargo test --test properties form::`). In
//! `cargo test` every property runs a modest number of cases (a few seconds
//! in all); `PROPTEST_CASES` sets the count for every property, and
//! `scripts/fuzz.sh` runs each target for a time budget. A failure is
//! replayed first on every later run from `tests/proptest-regressions/`.

mod config;
mod form;
mod messagebird;
mod phone;
mod plan;
mod render;
mod twilio;
mod typed;
mod vcard;

use proptest::prelude::*;
use proptest::test_runner::Config;

/// `default` cases per property, unless `PROPTEST_CASES` says otherwise.
pub fn cases(default: u32) -> Config {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default);
    Config {
        cases,
        ..Config::default()
    }
}

/// Characters that tend to break text handling: multi-byte ones of every
/// width, controls, XML's forbidden ones, markup, separators, BOM, RTL mark.
pub fn nasty_char() -> impl Strategy<Value = char> {
    prop_oneof![
        4 => any::<char>(),
        2 => prop::char::range('\u{0}', '\u{7f}'),
        1 => prop::sample::select(vec![
            'é', '€', '📞', '\u{200f}', '\u{feff}', '\u{fffe}', '\u{ffff}', '\u{fffd}', '\u{85}',
            '\u{2028}', '\t', '\n', '\r', '\u{0}', '\u{b}', '\u{1b}', '&', '<', '>', '"', '\'',
            ';', ':', '=', '%', '+', '.', '\\', ' ',
        ]),
    ]
}

/// Short strings of [`nasty_char`]s.
pub fn nasty_string(max: usize) -> impl Strategy<Value = String> {
    prop::collection::vec(nasty_char(), 0..=max).prop_map(|c| c.into_iter().collect())
}

/// Whether XML 1.0 can carry `c` (its `Char` production).
pub fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

/// `s` without the characters XML cannot carry.
pub fn carriable(s: &str) -> String {
    s.chars().filter(|&c| is_xml_char(c)).collect()
}

#[test]
fn config_mutations_start_from_valid_configs() {
    use switchboard_core::{config::LineConfig, outbound::Outbound};
    assert!(LineConfig::from_json(&config::full_line().to_string()).is_ok());
    assert!(Outbound::from_json(&config::full_outbound().to_string()).is_ok());
}
