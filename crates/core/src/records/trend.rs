//! Health over time: one point per UTC day, for charts of the figures that
//! [`super::health`] judges over a window. A day is not judged (a quiet day
//! would be a breach one call later); it shows where a figure is heading,
//! beside the same lines.
//!
//! The store counts each day in SQL ([`DayCount`]); [`days`] fills the days
//! without calls and divides, with the same definitions as the health
//! figures: ASR = answered / ended calls, ACD = talk seconds / answered,
//! short share = answered calls at or under 12 s / answered.

use crate::dates;
use serde::{Deserialize, Serialize};

const DAY_MS: u64 = 86_400_000;

/// The most days one query may ask for: beyond the default retention (90
/// days) there is nothing left to count.
pub const MAX_DAYS: u32 = 90;

/// The days ending today (UTC), for the account or one placing number.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrendQuery {
    pub now_ms: u64,
    /// 1..=[`MAX_DAYS`], checked by the API.
    pub days: u32,
    /// One placing number's calls (E.164), or the account's when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub number: Option<String>,
}

impl TrendQuery {
    /// The first millisecond of the first day asked for.
    pub fn from_ms(&self) -> u64 {
        let today = self.now_ms / DAY_MS;
        today.saturating_sub(u64::from(self.days.max(1)) - 1) * DAY_MS
    }
}

/// What the store counted on one UTC day: ended outgoing legs, as
/// [`super::health::Sample`] counts a window.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DayCount {
    /// Days since 1970-01-01.
    pub day: u64,
    pub calls: u64,
    pub answered: u64,
    pub talk_secs: u64,
    pub short_12: u64,
}

/// One day's point on the charts. A figure with nothing to divide by is
/// `None` (a gap in the line, not a zero).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Day {
    /// `YYYY-MM-DD`, UTC.
    pub day: String,
    pub calls: u64,
    pub answered: u64,
    pub asr: Option<f64>,
    pub acd_secs: Option<f64>,
    pub short_12_share: Option<f64>,
}

/// Every day the query covers, oldest first, each from its count or
/// empty. Counts outside the query's days are ignored.
pub fn days(q: &TrendQuery, counts: &[DayCount]) -> Vec<Day> {
    let first = q.from_ms() / DAY_MS;
    let last = q.now_ms / DAY_MS;
    (first..=last)
        .map(|day| {
            let c = counts
                .iter()
                .find(|c| c.day == day)
                .copied()
                .unwrap_or_default();
            let share = |n: u64, d: u64| (d > 0).then(|| n as f64 / d as f64);
            Day {
                day: dates::day_of(day * DAY_MS),
                calls: c.calls,
                answered: c.answered,
                asr: share(c.answered, c.calls),
                acd_secs: share(c.talk_secs, c.answered),
                short_12_share: share(c.short_12, c.answered),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    // The same tests run compiled to wasm, under Node (scripts/test.sh).
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    /// 2025-11-21 15:00 UTC.
    const NOW: u64 = 1_763_737_200_000;

    fn query(days: u32) -> TrendQuery {
        TrendQuery {
            now_ms: NOW,
            days,
            number: None,
        }
    }

    #[test]
    fn a_week_is_seven_utc_days_ending_today_oldest_first() {
        let q = query(7);
        assert_eq!(q.from_ms() % DAY_MS, 0, "starts at midnight UTC");
        assert_eq!(dates::day_of(q.from_ms()), "2025-11-15");
        let out = days(&q, &[]);
        let names: Vec<&str> = out.iter().map(|d| d.day.as_str()).collect();
        assert_eq!(
            names,
            [
                "2025-11-15",
                "2025-11-16",
                "2025-11-17",
                "2025-11-18",
                "2025-11-19",
                "2025-11-20",
                "2025-11-21"
            ]
        );
        assert_eq!(days(&query(1), &[]).len(), 1, "today alone");
    }

    #[test]
    fn a_day_without_calls_is_a_gap_not_a_zero() {
        let today = NOW / DAY_MS;
        let out = days(
            &query(3),
            &[
                DayCount {
                    day: today,
                    calls: 10,
                    answered: 8,
                    talk_secs: 400,
                    short_12: 2,
                },
                // Unanswered only: an ASR of 0, no ACD or short share.
                DayCount {
                    day: today - 2,
                    calls: 4,
                    ..DayCount::default()
                },
                // Before the first day asked for: left out.
                DayCount {
                    day: today - 3,
                    calls: 99,
                    answered: 99,
                    ..DayCount::default()
                },
            ],
        );
        assert_eq!(
            out[0],
            Day {
                day: dates::day_of((today - 2) * DAY_MS),
                calls: 4,
                answered: 0,
                asr: Some(0.0),
                acd_secs: None,
                short_12_share: None,
            }
        );
        assert_eq!((out[1].calls, out[1].asr), (0, None));
        assert_eq!(
            (out[2].asr, out[2].acd_secs, out[2].short_12_share),
            (Some(0.8), Some(50.0), Some(0.25))
        );
        assert_eq!(out.iter().map(|d| d.calls).sum::<u64>(), 14);
    }
}
