//! Traffic health: the figures carriers judge a number's calls by, with the
//! lines Twilio's voice guide for ISVs draws. Carriers label or block numbers
//! whose traffic looks unhealthy, so an account should see its figures, per
//! number that places calls, before a carrier acts on them.
//!
//! The guide's healthy traffic: average call duration above 30 s, no more
//! than 10% of calls at or under 12 s, answer-seizure ratio above 70%, higher
//! SHAKEN/STIR attestation, and no repetitive caller ID (one number calling
//! the same destination again and again).
//!
//! The store counts (one SQL query per scope and window) into a [`Sample`];
//! [`evaluate`] turns it into [`Figure`]s with a [`State`] each. Every line
//! is compared in integers, so a share exactly on a line is on it: a float's
//! wobble must not decide whether a number is in breach.

use serde::{Deserialize, Serialize};
use std::cmp::Ordering;

/// What the store counted for one scope (an account, or one number that places calls) over one window.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Sample {
    /// Outgoing legs that ended (completed, busy, no-answer, failed, canceled).
    pub calls: u64,
    /// Of those, answered (status completed with a duration > 0).
    pub answered: u64,
    /// Sum of the answered calls' durations, seconds.
    pub talk_secs: u64,
    /// Answered calls of at most 12 s, and of at most 6 s.
    pub short_12: u64,
    pub short_6: u64,
    /// Ended-unanswered calls by SIP response code (e.g. 486, 480, 603); a code of 0 = none given.
    pub failed_by_sip: Vec<(u16, u64)>,
    /// Inbound calls by StirVerstat value as Twilio sends it (e.g. "TN-Validation-Passed-A"), "" = none.
    pub attestation: Vec<(String, u64)>,
    /// The most calls from this scope to one destination in the window, and that destination (masked by the caller, opaque here).
    pub top_destination: Option<(String, u64)>,
    /// QueueTime (ms) of REST-created calls: the nearest-rank p50 and p95
    /// ([`percentile`]), which the store picks by rank in SQL rather than
    /// handing over every value (100,000 calls would be 100,000 rows).
    pub queue_p50_ms: Option<u64>,
    pub queue_p95_ms: Option<u64>,
}

/// How a figure, or a scope as a whole, stands against its line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = HealthState))]
pub enum State {
    Healthy,
    /// On the healthy side, but within the watch margin of the line.
    Watch,
    /// Over the line.
    Breach,
    /// Too few calls to judge.
    Quiet,
}

impl State {
    /// For "the worst of": Quiet judges nothing, so it ranks with nothing.
    fn severity(self) -> Option<u8> {
        match self {
            State::Quiet => None,
            State::Healthy => Some(0),
            State::Watch => Some(1),
            State::Breach => Some(2),
        }
    }
}

/// One figure of a scope's traffic, with the line it is judged against.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Figure {
    /// Stable name: "asr", "acd_secs", "short_12_share", "short_6_share", "repeat_destination_share", "attestation_a_share", "queue_time_p50_ms", "queue_time_p95_ms"
    pub name: &'static str,
    /// None when there is nothing to compute from.
    pub value: Option<f64>,
    /// Twilio's line, None for figures shown without one.
    pub threshold: Option<f64>,
    pub state: State,
    /// Where the threshold comes from, e.g. "Twilio voice guide for ISVs: ASR above 70%".
    pub source: &'static str,
}

/// One scope's health over one window.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Health {
    pub calls: u64,
    /// The worst of the figures' states (Quiet if below min sample).
    pub state: State,
    pub figures: Vec<Figure>,
    /// Passed through, largest count first: `[sip_code, calls]` pairs.
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<Vec<u64>>))]
    pub failed_by_sip: Vec<(u16, u64)>,
    /// Passed through, largest first: `[verstat, calls]` pairs.
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<Vec<serde_json::Value>>))]
    pub attestation: Vec<(String, u64)>,
}

/// The lines, per deployment. Missing fields take the defaults, so a stored
/// setting may name only what it changes.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Thresholds {
    /// Fewer calls than this in the window are not judged.
    pub min_sample: u64,
    /// Answer-seizure ratio: healthy at or above this share.
    pub asr_min: f64,
    /// Average call duration of answered calls: healthy above this.
    pub acd_min_secs: f64,
    /// Share of answered calls at or under 12 s: healthy at or below this.
    pub short_12_max: f64,
    /// Share of calls to the single most-called destination: healthy at or below this.
    pub repeat_max: f64,
    /// How close to a line counts as "watch", as a fraction of the line (e.g. 0.1).
    pub watch_margin: f64,
}

impl Default for Thresholds {
    /// Twilio's lines, except two of ours: `min_sample` (20 calls, so two
    /// failed calls do not put a quiet number in breach) and `repeat_max`
    /// (20%: Twilio warns against repetitive caller ID but names no number).
    fn default() -> Thresholds {
        Thresholds {
            min_sample: 20,
            asr_min: 0.70,
            acd_min_secs: 30.0,
            short_12_max: 0.10,
            repeat_max: 0.20,
            watch_margin: 0.10,
        }
    }
}

const ASR_SOURCE: &str = "Twilio voice guide for ISVs: ASR above 70%";
const ACD_SOURCE: &str = "Twilio voice guide for ISVs: average call duration above 30 s";
const SHORT_12_SOURCE: &str =
    "Twilio voice guide for ISVs: no more than 10% of calls at or under 12 s";
const SHORT_6_SOURCE: &str = "Shown for context, no line: answered calls at or under 6 s";
const REPEAT_SOURCE: &str = "Ours: Twilio's voice guide for ISVs warns against repetitive \
    caller ID but names no number; one destination above 20% of calls";
const ATTESTATION_SOURCE: &str =
    "Twilio voice guide for ISVs: higher SHAKEN/STIR attestation (no number given)";
const QUEUE_SOURCE: &str = "Shown for context, no line: Twilio's QueueTime of REST-created calls";

/// The figures of one sample, in a fixed order (`asr`, `acd_secs`,
/// `short_12_share`, `short_6_share`, `repeat_destination_share`,
/// `attestation_a_share`, `queue_time_p50_ms`, `queue_time_p95_ms`).
///
/// - ASR = answered / calls: breach under `asr_min`, watch under
///   `asr_min * (1 + watch_margin)`. Exactly on the line is a watch.
/// - ACD = talk_secs / answered: breach at or under `acd_min_secs` (the
///   guide's healthy side is *above* 30 s), watch under
///   `acd_min_secs * (1 + watch_margin)`. No answered calls: no value, Quiet.
/// - short_12_share = short_12 / answered: breach over `short_12_max` (the
///   guide says "no more than 10%": exactly 10% is not a breach), watch over
///   `short_12_max * (1 - watch_margin)`. short_6_share has no line.
/// - repeat_destination_share = the top destination's calls / calls: breach
///   over `repeat_max`, watch over `repeat_max * (1 - watch_margin)`.
/// - attestation_a_share = inbound calls with full attestation passed
///   (StirVerstat ending in "-Passed-A") among inbound calls with any
///   StirVerstat; no line ("higher" is all the guide says).
/// - queue_time_p50_ms / p95_ms: nearest-rank [`percentile`]s; no line.
///
/// A figure with a line is Quiet when it has no value, and also when
/// `calls < min_sample`: its value is still shown, but a quiet number is
/// never in breach because of two calls. Exactly `min_sample` calls are
/// judged. A figure without a line is Healthy when it has a value, Quiet
/// when not. `Health.state` is the worst state of the figures with a line,
/// Quiet below the min sample (or when none could be judged).
///
/// Lines are read to a millionth and compared with the counts in integers,
/// so 100 short calls of 1,000 are exactly 10%, whatever 0.1 is in binary.
pub fn evaluate(sample: &Sample, t: &Thresholds) -> Health {
    let judged = sample.calls >= t.min_sample;
    let m = t.watch_margin;

    let asr = lined(
        "asr",
        ASR_SOURCE,
        t.asr_min,
        ratio(sample.answered, sample.calls),
        judged,
        |n, d| floor(n, d, t.asr_min, t.asr_min * (1.0 + m), false),
    );
    let acd = lined(
        "acd_secs",
        ACD_SOURCE,
        t.acd_min_secs,
        ratio(sample.talk_secs, sample.answered),
        judged,
        |n, d| floor(n, d, t.acd_min_secs, t.acd_min_secs * (1.0 + m), true),
    );
    let short_12 = lined(
        "short_12_share",
        SHORT_12_SOURCE,
        t.short_12_max,
        ratio(sample.short_12, sample.answered),
        judged,
        |n, d| ceiling(n, d, t.short_12_max, t.short_12_max * (1.0 - m)),
    );
    let short_6 = shown(
        "short_6_share",
        SHORT_6_SOURCE,
        ratio(sample.short_6, sample.answered).map(quotient),
    );
    let repeat = lined(
        "repeat_destination_share",
        REPEAT_SOURCE,
        t.repeat_max,
        sample
            .top_destination
            .as_ref()
            .and_then(|(_, top)| ratio(*top, sample.calls)),
        judged,
        |n, d| ceiling(n, d, t.repeat_max, t.repeat_max * (1.0 - m)),
    );
    let attestation = shown(
        "attestation_a_share",
        ATTESTATION_SOURCE,
        attestation_a(&sample.attestation).map(quotient),
    );
    let p50 = shown(
        "queue_time_p50_ms",
        QUEUE_SOURCE,
        sample.queue_p50_ms.map(|v| v as f64),
    );
    let p95 = shown(
        "queue_time_p95_ms",
        QUEUE_SOURCE,
        sample.queue_p95_ms.map(|v| v as f64),
    );

    let figures = vec![asr, acd, short_12, short_6, repeat, attestation, p50, p95];
    let worst = figures
        .iter()
        .filter(|f| f.threshold.is_some())
        .filter_map(|f| f.state.severity().map(|s| (s, f.state)))
        .max_by_key(|(s, _)| *s)
        .map(|(_, state)| state);
    let state = match worst {
        Some(state) if judged => state,
        _ => State::Quiet,
    };

    let mut failed_by_sip = sample.failed_by_sip.clone();
    failed_by_sip.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let mut attestation = sample.attestation.clone();
    attestation.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));

    Health {
        calls: sample.calls,
        state,
        figures,
        failed_by_sip,
        attestation,
    }
}

/// Nearest-rank percentile of unsorted values (p in 0..=100); None if empty.
///
/// The value at rank ⌈p/100 × n⌉ (at least the first): a value that was
/// actually seen, never an interpolation. p over 100 reads as 100.
pub fn percentile(values: &[u64], p: u32) -> Option<u64> {
    let mut sorted = values.to_vec();
    sorted.sort_unstable();
    nearest_rank(&sorted, p)
}

fn nearest_rank(sorted: &[u64], p: u32) -> Option<u64> {
    sorted
        .get(rank(p, sorted.len() as u64) as usize - 1)
        .copied()
}

/// The 1-based nearest rank of percentile `p` among `n` values:
/// ⌈p/100 × n⌉, at least 1. The call log picks the row of this rank in SQL
/// (`max(1, (p * n + 99) / 100)`), the same formula.
pub fn rank(p: u32, n: u64) -> u64 {
    (u64::from(p.min(100)) * n).div_ceil(100).max(1)
}

/// Inbound calls with full attestation that passed verification, of those
/// with any StirVerstat. "TN-Validation-Failed-A" also ends in "-A", but its
/// signature did not verify: it is not the attestation carriers reward.
fn attestation_a(counts: &[(String, u64)]) -> Option<(u64, u64)> {
    let with_value = counts.iter().filter(|(v, _)| !v.is_empty());
    let (a, all) = with_value.fold((0u64, 0u64), |(a, all), (v, n)| {
        let full = v.ends_with("-Passed-A");
        (a + if full { *n } else { 0 }, all + n)
    });
    ratio(a, all)
}

/// A share or average as counted: numerator and a non-zero denominator.
fn ratio(num: u64, den: u64) -> Option<(u64, u64)> {
    (den > 0).then_some((num, den))
}

fn quotient((num, den): (u64, u64)) -> f64 {
    num as f64 / den as f64
}

/// A figure judged against `line`.
fn lined(
    name: &'static str,
    source: &'static str,
    line: f64,
    ratio: Option<(u64, u64)>,
    judged: bool,
    judge: impl Fn(u64, u64) -> State,
) -> Figure {
    Figure {
        name,
        value: ratio.map(quotient),
        threshold: Some(line),
        state: match ratio {
            Some((n, d)) if judged => judge(n, d),
            _ => State::Quiet,
        },
        source,
    }
}

/// A figure shown for context, without a line.
fn shown(name: &'static str, source: &'static str, value: Option<f64>) -> Figure {
    Figure {
        name,
        value,
        threshold: None,
        state: if value.is_some() {
            State::Healthy
        } else {
            State::Quiet
        },
        source,
    }
}

/// Healthy above a floor: breach under it (or on it, when the healthy side
/// is strictly above), watch under `watch`.
fn floor(num: u64, den: u64, line: f64, watch: f64, on_line_breaches: bool) -> State {
    match against(num, den, line) {
        Ordering::Less => State::Breach,
        Ordering::Equal if on_line_breaches => State::Breach,
        _ if against(num, den, watch) == Ordering::Less => State::Watch,
        _ => State::Healthy,
    }
}

/// Healthy at or under a ceiling: breach over it, watch over `watch`.
fn ceiling(num: u64, den: u64, line: f64, watch: f64) -> State {
    if against(num, den, line) == Ordering::Greater {
        State::Breach
    } else if against(num, den, watch) == Ordering::Greater {
        State::Watch
    } else {
        State::Healthy
    }
}

/// `num / den` against `line`, exactly: the line is read to a millionth
/// (0.1 as 100,000, 0.7 × 1.1 as 770,000), and both sides multiplied out in
/// integers. `den` is not 0.
fn against(num: u64, den: u64, line: f64) -> Ordering {
    const MILLION: u128 = 1_000_000;
    // `as` saturates: a negative line reads as 0, a huge one as the largest.
    let line = (line * MILLION as f64).round() as u128;
    (u128::from(num) * MILLION).cmp(&line.saturating_mul(u128::from(den)))
}

#[cfg(test)]
mod tests {
    // The same tests run compiled to wasm, under Node (scripts/test.sh).
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    /// 100 calls, 85 answered at a minute each, 4 short (2 very short),
    /// 5 to the most-called destination: healthy on every line.
    fn healthy() -> Sample {
        Sample {
            calls: 100,
            answered: 85,
            talk_secs: 85 * 60,
            short_12: 4,
            short_6: 2,
            failed_by_sip: vec![(480, 5), (486, 8), (0, 2)],
            attestation: vec![
                ("TN-Validation-Passed-B".into(), 10),
                ("TN-Validation-Passed-A".into(), 30),
                ("".into(), 20),
            ],
            top_destination: Some(("+1415555••••".into(), 5)),
            queue_p50_ms: percentile(&[400, 100, 300, 200], 50),
            queue_p95_ms: percentile(&[400, 100, 300, 200], 95),
        }
    }

    fn judge(sample: &Sample) -> Health {
        evaluate(sample, &Thresholds::default())
    }

    fn figure<'a>(h: &'a Health, name: &str) -> &'a Figure {
        h.figures.iter().find(|f| f.name == name).unwrap()
    }

    fn state(sample: &Sample, name: &str) -> State {
        figure(&judge(sample), name).state
    }

    #[test]
    fn healthy_traffic_is_healthy_on_every_line() {
        let h = judge(&healthy());
        assert_eq!(h.state, State::Healthy);
        assert_eq!(h.calls, 100);
        let names: Vec<_> = h.figures.iter().map(|f| f.name).collect();
        assert_eq!(
            names,
            [
                "asr",
                "acd_secs",
                "short_12_share",
                "short_6_share",
                "repeat_destination_share",
                "attestation_a_share",
                "queue_time_p50_ms",
                "queue_time_p95_ms"
            ]
        );
        let values: Vec<_> = h.figures.iter().map(|f| f.value).collect();
        assert_eq!(
            values,
            [
                Some(0.85),
                Some(60.0),
                Some(4.0 / 85.0),
                Some(2.0 / 85.0),
                Some(0.05),
                Some(0.75),
                Some(200.0),
                Some(400.0)
            ]
        );
        let thresholds: Vec<_> = h.figures.iter().map(|f| f.threshold).collect();
        assert_eq!(
            thresholds,
            [
                Some(0.70),
                Some(30.0),
                Some(0.10),
                None,
                Some(0.20),
                None,
                None,
                None
            ]
        );
        assert!(h.figures.iter().all(|f| f.state == State::Healthy));
        assert_eq!(
            figure(&h, "asr").source,
            "Twilio voice guide for ISVs: ASR above 70%"
        );
        assert!(figure(&h, "repeat_destination_share")
            .source
            .starts_with("Ours"));
    }

    #[test]
    fn asr_breaches_under_70_percent_and_is_watched_up_to_77() {
        let at = |answered| {
            state(
                &Sample {
                    answered,
                    talk_secs: answered * 60,
                    short_12: 0,
                    ..healthy()
                },
                "asr",
            )
        };
        assert_eq!(at(0), State::Breach);
        assert_eq!(at(69), State::Breach);
        assert_eq!(at(70), State::Watch, "exactly on the line is not under it");
        assert_eq!(at(76), State::Watch);
        assert_eq!(at(77), State::Healthy, "70% × 1.1 is the watch line");
        assert_eq!(at(100), State::Healthy);
    }

    #[test]
    fn acd_must_be_above_30_seconds_and_is_watched_up_to_33() {
        let at = |talk_secs| {
            let s = Sample {
                answered: 100,
                talk_secs,
                short_12: 0,
                ..healthy()
            };
            state(&s, "acd_secs")
        };
        assert_eq!(at(100 * 20), State::Breach);
        assert_eq!(at(100 * 30), State::Breach, "30 s is not above 30 s");
        assert_eq!(at(100 * 30 + 1), State::Watch);
        assert_eq!(at(100 * 33 - 1), State::Watch);
        assert_eq!(at(100 * 33), State::Healthy);
    }

    #[test]
    fn no_answered_calls_leave_the_answered_figures_quiet_and_the_asr_in_breach() {
        let h = judge(&Sample {
            answered: 0,
            talk_secs: 0,
            short_12: 0,
            short_6: 0,
            ..healthy()
        });
        for name in ["acd_secs", "short_12_share", "short_6_share"] {
            let f = figure(&h, name);
            assert_eq!((f.value, f.state), (None, State::Quiet), "{name}");
        }
        assert_eq!(figure(&h, "asr").value, Some(0.0));
        assert_eq!(h.state, State::Breach);
    }

    #[test]
    fn exactly_ten_percent_short_calls_is_no_breach_and_one_more_is() {
        let at = |answered, short_12| {
            let s = Sample {
                calls: answered,
                answered,
                talk_secs: answered * 60,
                short_12,
                ..healthy()
            };
            state(&s, "short_12_share")
        };
        assert_eq!(at(1000, 100), State::Watch, "10% is \"no more than 10%\"");
        assert_eq!(at(1000, 101), State::Breach, "10.1%");
        assert_eq!(at(1000, 91), State::Watch);
        assert_eq!(at(1000, 90), State::Healthy, "9% is on the watch line");
        assert_eq!(at(20, 2), State::Watch);
        assert_eq!(at(20, 3), State::Breach);
        // On every count, the line agrees with the share worked out in integers.
        for answered in 20..=300 {
            for short in 0..=answered {
                let expected = if short * 10 > answered {
                    State::Breach
                } else if short * 100 > answered * 9 {
                    State::Watch
                } else {
                    State::Healthy
                };
                assert_eq!(at(answered, short), expected, "{short} of {answered}");
            }
        }
    }

    #[test]
    fn short_6_share_is_shown_without_a_line() {
        let s = Sample {
            short_12: 5,
            short_6: 80,
            ..healthy()
        };
        let h = judge(&s);
        let f = figure(&h, "short_6_share");
        assert_eq!(f.value, Some(80.0 / 85.0));
        assert_eq!((f.threshold, f.state), (None, State::Healthy));
        assert_eq!(h.state, State::Healthy);
    }

    #[test]
    fn one_destination_over_a_fifth_of_the_calls_is_repetitive() {
        let at = |top| {
            let s = Sample {
                top_destination: Some(("+4420••••".into(), top)),
                ..healthy()
            };
            state(&s, "repeat_destination_share")
        };
        assert_eq!(at(18), State::Healthy);
        assert_eq!(at(19), State::Watch);
        assert_eq!(at(20), State::Watch, "exactly 20% is on the line");
        assert_eq!(at(21), State::Breach);
        assert_eq!(at(100), State::Breach);
        let none = judge(&Sample {
            top_destination: None,
            ..healthy()
        });
        let f = figure(&none, "repeat_destination_share");
        assert_eq!((f.value, f.state), (None, State::Quiet));
        assert_eq!(none.state, State::Healthy);
    }

    #[test]
    fn full_attestation_is_the_passed_a_share_of_attested_inbound_calls() {
        let s = Sample {
            attestation: vec![
                ("TN-Validation-Passed-A".into(), 6),
                ("TN-Validation-Passed-B".into(), 2),
                ("TN-Validation-Failed-A".into(), 1),
                ("No-TN-Validation".into(), 1),
                ("".into(), 50),
            ],
            ..healthy()
        };
        let h = judge(&s);
        let f = figure(&h, "attestation_a_share");
        assert_eq!(
            f.value,
            Some(0.6),
            "the failed A does not count, nor the blanks"
        );
        assert_eq!((f.threshold, f.state), (None, State::Healthy));
        // Passed through, largest first.
        assert_eq!(h.attestation[0], ("".into(), 50));
        assert_eq!(h.attestation[1], ("TN-Validation-Passed-A".into(), 6));
        assert_eq!(h.attestation.len(), 5);

        for attestation in [vec![], vec![("".into(), 9)]] {
            let h = judge(&Sample {
                attestation,
                ..healthy()
            });
            let f = figure(&h, "attestation_a_share");
            assert_eq!((f.value, f.state), (None, State::Quiet));
        }
    }

    #[test]
    fn nineteen_calls_are_quiet_and_twenty_are_judged() {
        // Every call failed, all to one destination: as bad as it gets.
        let bad = |calls| Sample {
            calls,
            answered: 1,
            talk_secs: 2,
            short_12: 1,
            short_6: 1,
            top_destination: Some(("+1212••••".into(), calls)),
            ..Sample::default()
        };
        let h = judge(&bad(19));
        assert_eq!(h.state, State::Quiet);
        for name in [
            "asr",
            "acd_secs",
            "short_12_share",
            "repeat_destination_share",
        ] {
            let f = figure(&h, name);
            assert_eq!(f.state, State::Quiet, "{name}");
            assert!(f.value.is_some(), "{name} is still shown");
        }
        assert_eq!(figure(&h, "asr").value, Some(1.0 / 19.0));

        let h = judge(&bad(20));
        assert_eq!(h.state, State::Breach);
        for name in [
            "asr",
            "acd_secs",
            "short_12_share",
            "repeat_destination_share",
        ] {
            assert_eq!(figure(&h, name).state, State::Breach, "{name}");
        }
    }

    #[test]
    fn no_calls_at_all_is_quiet_even_with_no_minimum() {
        let t = Thresholds {
            min_sample: 0,
            ..Thresholds::default()
        };
        let h = evaluate(&Sample::default(), &t);
        assert_eq!(h.state, State::Quiet);
        assert!(h.figures.iter().all(|f| f.value.is_none()));
        assert!(h.figures.iter().all(|f| f.state == State::Quiet));
    }

    #[test]
    fn the_scope_is_as_bad_as_its_worst_figure() {
        // ACD watched, the rest healthy.
        let watched = Sample {
            talk_secs: 85 * 31,
            ..healthy()
        };
        assert_eq!(judge(&watched).state, State::Watch);
        // And a repetitive destination on top: breach.
        let both = Sample {
            top_destination: Some(("+1212••••".into(), 40)),
            ..watched
        };
        let h = judge(&both);
        assert_eq!(h.state, State::Breach);
        let states: Vec<_> = h.figures.iter().map(|f| (f.name, f.state)).collect();
        assert_eq!(states[1], ("acd_secs", State::Watch));
        assert_eq!(states[4], ("repeat_destination_share", State::Breach));
    }

    #[test]
    fn sip_failures_are_passed_through_largest_first() {
        let h = judge(&healthy());
        assert_eq!(h.failed_by_sip, [(486, 8), (480, 5), (0, 2)]);
        let tied = judge(&Sample {
            failed_by_sip: vec![(603, 3), (480, 3), (486, 4)],
            ..healthy()
        });
        assert_eq!(tied.failed_by_sip, [(486, 4), (480, 3), (603, 3)]);
    }

    #[test]
    fn percentiles_are_nearest_rank() {
        let hundred: Vec<u64> = (1..=100).rev().collect();
        assert_eq!(percentile(&hundred, 50), Some(50));
        assert_eq!(percentile(&hundred, 95), Some(95));
        assert_eq!(percentile(&hundred, 100), Some(100));
        assert_eq!(percentile(&hundred, 0), Some(1));
        assert_eq!(percentile(&hundred, 1), Some(1));
        assert_eq!(percentile(&hundred, 101), Some(100));
        assert_eq!(percentile(&[7], 50), Some(7));
        assert_eq!(percentile(&[7], 95), Some(7));
        assert_eq!(percentile(&[], 50), None);
        // Always a value that was seen: of 10 and 20 the median is 10.
        assert_eq!(percentile(&[20, 10], 50), Some(10));
        assert_eq!(percentile(&[20, 10, 30], 50), Some(20));
    }

    #[test]
    fn queue_times_are_shown_as_p50_and_p95_without_a_line() {
        let s = Sample {
            queue_p50_ms: percentile(&(1..=20).map(|i| i * 100).collect::<Vec<_>>(), 50),
            queue_p95_ms: percentile(&(1..=20).map(|i| i * 100).collect::<Vec<_>>(), 95),
            ..healthy()
        };
        let h = judge(&s);
        let p50 = figure(&h, "queue_time_p50_ms");
        let p95 = figure(&h, "queue_time_p95_ms");
        assert_eq!((p50.value, p95.value), (Some(1000.0), Some(1900.0)));
        assert_eq!((p50.threshold, p50.state), (None, State::Healthy));
        let none = judge(&Sample {
            queue_p50_ms: None,
            queue_p95_ms: None,
            ..healthy()
        });
        assert_eq!(figure(&none, "queue_time_p95_ms").state, State::Quiet);
        assert_eq!(none.state, State::Healthy);
    }

    #[test]
    fn stored_thresholds_name_only_what_they_change() {
        let t: Thresholds = serde_json::from_str(r#"{"min_sample":50}"#).unwrap();
        assert_eq!(
            t,
            Thresholds {
                min_sample: 50,
                ..Thresholds::default()
            }
        );
        let json = serde_json::to_value(judge(&healthy())).unwrap();
        assert_eq!(json["state"], "healthy");
        assert_eq!(json["figures"][0]["name"], "asr");
        assert_eq!(json["figures"][3]["threshold"], serde_json::Value::Null);
    }

    #[test]
    fn stricter_lines_are_compared_as_exactly() {
        // A line with more digits than a float holds cleanly.
        let t = Thresholds {
            short_12_max: 0.07,
            ..Thresholds::default()
        };
        let at = |short_12| {
            let s = Sample {
                calls: 300,
                answered: 300,
                talk_secs: 300 * 60,
                short_12,
                ..healthy()
            };
            figure(&evaluate(&s, &t), "short_12_share").state
        };
        assert_eq!(at(21), State::Watch, "exactly 7%");
        assert_eq!(at(22), State::Breach);
    }
}
