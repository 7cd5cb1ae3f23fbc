//! `plan_data.rs` is written from `phonenumber`'s metadata, and `read` is held
//! against `phonenumber`'s own answers. Native only: this is the one place the
//! plan touches `phonenumber`, which never reaches the worker through it.

use super::super::E164;
use super::read;
use phonenumber::metadata::{Descriptor, Metadata, DATABASE};
use std::collections::BTreeMap;
use std::fmt::Write as _;

const DATA_FILE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/src/phone/plan_data.rs");

/// Every calling code `phonenumber` knows, with its regions' metadata in the
/// order `validator::source_for` tries them (`Database::region`'s). Walks the
/// codes, not `Database::iter`, which holds one `001` of the nine.
fn codes() -> Vec<(u16, Vec<&'static Metadata>)> {
    (1..=999u16)
        .filter_map(|code| {
            let ids = DATABASE.region(&code)?;
            let metas = if ids == ["001"] {
                DATABASE.by_code(&code).unwrap()
            } else {
                ids.iter().map(|id| DATABASE.by_id(*id).unwrap()).collect()
            };
            Some((code, metas))
        })
        .collect()
}

/// A pattern as `phonenumber` compiles it: with whitespace ignored. Refuses
/// the two things that would make dropping whitespace change the pattern (a
/// `#` comment, an escaped space), and a `"` the data file cannot quote raw.
fn without_whitespace(pattern: &str) -> String {
    assert!(
        !pattern.contains('#') && !pattern.contains('"'),
        "{pattern:?}"
    );
    let escaped_space = pattern
        .as_bytes()
        .windows(2)
        .any(|w| w[0] == b'\\' && w[1].is_ascii_whitespace());
    assert!(!escaped_space, "{pattern:?}");
    pattern.chars().filter(|c| !c.is_whitespace()).collect()
}

/// Patterns in first-use order, each once.
#[derive(Default)]
struct Patterns {
    ids: BTreeMap<String, u16>,
    list: Vec<String>,
}

impl Patterns {
    fn id(&mut self, pattern: &str) -> u16 {
        let pattern = without_whitespace(pattern);
        if let Some(&id) = self.ids.get(&pattern) {
            return id;
        }
        let id = u16::try_from(self.list.len()).unwrap();
        self.ids.insert(pattern.clone(), id);
        self.list.push(pattern);
        id
    }

    fn desc(&mut self, desc: &Descriptor) -> String {
        let lengths = desc.possible_length();
        assert!(lengths.iter().all(|&l| l < 32), "{lengths:?}");
        let lengths: Vec<String> = lengths.iter().map(u16::to_string).collect();
        format!(
            "d({}, &[{}])",
            self.id(desc.national_number().as_str()),
            lengths.join(", ")
        )
    }

    fn optional(&mut self, desc: Option<&Descriptor>) -> String {
        desc.map_or("None".into(), |d| format!("Some({})", self.desc(d)))
    }
}

/// The data file's text, from the metadata.
fn generate() -> String {
    let mut patterns = Patterns::default();
    let mut table = String::new();
    for (code, metas) in codes() {
        writeln!(table, "    ({code}, &[").unwrap();
        for meta in metas {
            let id = meta.id();
            if id != "001" {
                // `source_for` hands back the region as a `country::Id`, and
                // `by_id` looks it up by that spelling.
                let parsed: phonenumber::country::Id = id.parse().expect(id);
                assert_eq!(parsed.as_ref(), id);
            }
            let d = meta.descriptors();
            let leading = meta.leading_digits().map_or("None".into(), |l| {
                format!("Some({})", patterns.id(l.as_str()))
            });
            let general = patterns.desc(d.general());
            let premium_rate = patterns.optional(d.premium_rate());
            let toll_free = patterns.optional(d.toll_free());
            let shared_cost = patterns.optional(d.shared_cost());
            let mut rest: Vec<String> = Vec::new();
            for desc in [
                d.voip(),
                d.personal_number(),
                d.pager(),
                d.uan(),
                d.voicemail(),
                d.fixed_line(),
                d.mobile(),
            ]
            .into_iter()
            .flatten()
            {
                let desc = patterns.desc(desc);
                if !rest.contains(&desc) {
                    rest.push(desc);
                }
            }
            writeln!(
                table,
                "        Region {{ id: {id:?}, leading: {leading}, general: {general}, \
                 premium_rate: {premium_rate}, toll_free: {toll_free}, \
                 shared_cost: {shared_cost}, rest: &[{}] }},",
                rest.join(", ")
            )
            .unwrap();
        }
        writeln!(table, "    ]),").unwrap();
    }

    let mut out = String::new();
    out.push_str(
        "//! The numbering plan's ranges for `plan.rs`, from the metadata of\n\
         //! `phonenumber` 0.3.10 (libphonenumber 9.0.33). Generated: do not edit.\n\
         //! After updating `phonenumber`, write it again with\n\
         //!     SWITCHBOARD_REGEN=1 cargo test --lib phone::plan\n\
         //! and `cargo test` fails until then: this file must be what that writes.\n\
         \n\
         use super::plan::ranges::{d, Region};\n\
         \n",
    );
    writeln!(
        out,
        "pub(super) const PATTERN_COUNT: usize = {};\n",
        patterns.list.len()
    )
    .unwrap();
    out.push_str(
        "/// Each pattern once, whitespace dropped (`phonenumber` compiles them\n\
         /// ignoring it).\n",
    );
    out.push_str("pub(super) static PATTERNS: [&str; PATTERN_COUNT] = [\n");
    for (i, p) in patterns.list.iter().enumerate() {
        writeln!(out, "    /* {i} */ r\"{p}\",").unwrap();
    }
    out.push_str("];\n\n");
    out.push_str(
        "/// Calling code and its regions in the order `phonenumber` tries them\n\
         /// (the main region first), by code.\n",
    );
    out.push_str("pub(super) static CODES: &[(u16, &[Region])] = &[\n");
    out.push_str(&table);
    out.push_str("];\n");
    out
}

/// The committed data file is what the metadata gives; with
/// `SWITCHBOARD_REGEN=1`, this writes it.
#[test]
fn data_file_is_generated_from_the_metadata() {
    let generated = generate();
    if std::env::var_os("SWITCHBOARD_REGEN").is_some_and(|v| v == "1") {
        std::fs::write(DATA_FILE, &generated).unwrap();
        return;
    }
    let committed = std::fs::read_to_string(DATA_FILE).unwrap_or_default();
    assert!(
        committed == generated,
        "src/phone/plan_data.rs differs from phonenumber's metadata: \
         run SWITCHBOARD_REGEN=1 cargo test --lib phone::plan"
    );
}

#[test]
fn every_pattern_compiles() {
    for i in 0..super::PATTERN_COUNT {
        super::compiled(u16::try_from(i).unwrap());
    }
}

/// `is_region` is `outbound`'s `is_country`: every region the metadata has,
/// and nothing else `phonenumber` would parse as a `country::Id`.
#[test]
fn regions_are_phonenumbers_country_ids() {
    let upper = || b'A'..=b'Z';
    for a in upper() {
        for b in upper() {
            let id = String::from_utf8(vec![a, b]).unwrap();
            let known = id.parse::<phonenumber::country::Id>().is_ok();
            assert_eq!(super::is_region(&id), known, "{id}");
        }
    }
    for id in ["001", "gb", "G", "GBR", "", "UK"] {
        assert!(!super::is_region(id), "{id}");
    }
}

/// Prints what the first `read` of a `+1` number costs (compiling the US
/// patterns it needs) and a warm one. Figures, not a threshold; alone in its
/// process, or the first is not the first:
///     cargo test --lib phone::plan::against_phonenumber::timing -- --ignored --nocapture
#[test]
#[ignore = "prints timings; run alone"]
fn timing() {
    use std::time::Instant;
    let n = E164::parse("+14155550100").unwrap();
    let t = Instant::now();
    let first = read(&n);
    let cold = t.elapsed();
    assert!(first.is_some());
    let other = E164::parse("+12125550199").unwrap();
    let rounds = 10_000u32;
    let t = Instant::now();
    for _ in 0..rounds {
        std::hint::black_box(read(std::hint::black_box(&other)));
    }
    let warm = t.elapsed() / rounds;
    println!(
        "plan::read, +1: first {:.1} us, warm {:.2} us",
        cold.as_secs_f64() * 1e6,
        warm.as_secs_f64() * 1e6
    );
}
