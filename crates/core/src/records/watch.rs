//! The scheduled watch: an account's settings for it (where alerts go, the
//! health lines, how long records are kept), and its pure parts that are
//! not traffic health: a pool running low on idle numbers, and the text an
//! alert is sent as. The job itself (admin worker, Cron Trigger) reads
//! these, asks the account's call log, and delivers.

use super::alerts::Alert;
use super::health::Thresholds;
use crate::config::{ConfigError, Notify};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// Records older than this are pruned, unless the account says otherwise.
pub const DEFAULT_RETENTION_DAYS: u32 = 90;
/// The longest an account may keep records: past a year and a bit, the
/// store grows with nothing left to learn from it.
pub const MAX_RETENTION_DAYS: u32 = 400;

/// An account's watch settings (`PUT …/monitoring`). Every field may be
/// left out: no alert channel (alerts are kept and listed, not sent),
/// Twilio's lines, 90 days.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WatchSettings {
    /// Where alerts go: a JSON POST and/or an SMS, as a voicemail's notice does.
    #[serde(default)]
    pub alerts: Notify,
    #[serde(default)]
    pub thresholds: Thresholds,
    #[serde(default = "default_retention")]
    pub retention_days: u32,
}

fn default_retention() -> u32 {
    DEFAULT_RETENTION_DAYS
}

impl Default for WatchSettings {
    fn default() -> WatchSettings {
        WatchSettings {
            alerts: Notify::default(),
            thresholds: Thresholds::default(),
            retention_days: DEFAULT_RETENTION_DAYS,
        }
    }
}

fn bad(field: &str, why: &str) -> ConfigError {
    ConfigError {
        field: field.into(),
        why: format!("{field}: {why}"),
    }
}

impl WatchSettings {
    /// The shape alone; the SMS number still passes the account's toll-fraud
    /// guard where the settings are stored.
    pub fn validate(&self) -> Result<(), ConfigError> {
        self.alerts.validate("alerts")?;
        if !(1..=MAX_RETENTION_DAYS).contains(&self.retention_days) {
            return Err(bad("retention_days", "must be 1 to 400"));
        }
        let t = &self.thresholds;
        if t.min_sample == 0 {
            return Err(bad("thresholds.min_sample", "must be at least 1"));
        }
        let shares = [
            ("thresholds.asr_min", t.asr_min),
            ("thresholds.short_12_max", t.short_12_max),
            ("thresholds.repeat_max", t.repeat_max),
        ];
        for (field, v) in shares {
            if !(0.0..=1.0).contains(&v) {
                return Err(bad(field, "a share, 0 to 1"));
            }
        }
        if !(0.0..=3600.0).contains(&t.acd_min_secs) {
            return Err(bad("thresholds.acd_min_secs", "seconds, 0 to 3600"));
        }
        if !(0.0..=0.5).contains(&t.watch_margin) {
            return Err(bad(
                "thresholds.watch_margin",
                "a fraction of the line, 0 to 0.5",
            ));
        }
        Ok(())
    }

    pub fn retention_ms(&self) -> u64 {
        u64::from(self.retention_days) * 86_400_000
    }
}

/// A masking pool's idle numbers against its low-water mark, as its
/// allocator reports them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PoolLevel {
    pub pool: String,
    pub idle: u32,
    pub low_water: u32,
}

impl PoolLevel {
    /// The allocator's own rule: fewer idle numbers than the mark.
    pub fn is_low(&self) -> bool {
        self.idle < self.low_water
    }
}

/// The pool alerts of one run, given the pools that were low after the last
/// (`before`), and the low pools now. Like health: once when a pool runs
/// low, once when it has numbers again. A pool no longer reported (deleted)
/// clears without a word: nobody needs numbers for it.
pub fn pool_transitions(
    before: &BTreeSet<String>,
    now: &[PoolLevel],
) -> (Vec<Alert>, BTreeSet<String>) {
    let mut alerts = Vec::new();
    let mut after = BTreeSet::new();
    for level in now {
        let was = before.contains(&level.pool);
        if level.is_low() {
            if !was {
                alerts.push(Alert::PoolLow {
                    pool: level.pool.clone(),
                    idle: level.idle,
                    low_water: level.low_water,
                });
            }
            after.insert(level.pool.clone());
        } else if was {
            alerts.push(Alert::PoolRecovered {
                pool: level.pool.clone(),
                idle: level.idle,
            });
        }
    }
    (alerts, after)
}

/// An alert as one SMS: short, and saying what to look at.
pub fn sms_text(alert: &Alert) -> String {
    let body = match alert {
        Alert::BreachStarted {
            scope,
            window,
            figures,
        } => format!(
            "{} over Twilio's line ({window}): {}. Carriers may label or block it.",
            scope_name(scope),
            figures.join(", ")
        ),
        Alert::BreachCleared { scope, window } => {
            format!(
                "{} back within Twilio's lines ({window}).",
                scope_name(scope)
            )
        }
        Alert::NewErrorCode { code, count } => {
            format!("new Twilio error {code} ({count}x): https://www.twilio.com/docs/errors/{code}")
        }
        Alert::PoolLow {
            pool,
            idle,
            low_water,
        } => format!(
            "pool {pool} has {idle} idle numbers, under its mark of {low_water}: add numbers."
        ),
        Alert::PoolRecovered { pool, idle } => {
            format!("pool {pool} has {idle} idle numbers again.")
        }
    };
    format!("Switchboard: {body}")
}

fn scope_name(scope: &str) -> String {
    if scope == "account" {
        "Your account's traffic is".into()
    } else {
        format!("Calls from {scope} are")
    }
}

/// How many stored voicemails one run of the watch retries (or lists) for
/// one account. Each costs some five KV operations and requests (the
/// message, its line, the notice's ledger, the send, the message again),
/// and one account's visit is one invocation with a fixed budget of those
/// (1,000 KV operations on Workers): an account whose notices all fail, with
/// hundreds of messages waiting, must not spend it all on every run.
pub const RETRIES_PER_RUN: usize = 20;

/// Which of an account's `waiting` voicemails (in the order the store
/// lists them) this run takes, at most `per_run`, starting where the last
/// run stopped (`offset`, as the last run returned it), and where the next
/// one starts. Runs go round the list in turn, so a message behind others
/// that always fail still comes up: every message within
/// `ceil(waiting / per_run)` runs, while the list holds still.
pub fn retry_turn(waiting: usize, offset: usize, per_run: usize) -> (Vec<usize>, usize) {
    if waiting <= per_run {
        return ((0..waiting).collect(), 0);
    }
    let start = offset % waiting;
    let taken = (0..per_run).map(|i| (start + i) % waiting).collect();
    (taken, (start + per_run) % waiting)
}

#[cfg(test)]
mod tests {
    // The same tests run compiled to wasm, under Node (scripts/test.sh).
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn level(pool: &str, idle: u32) -> PoolLevel {
        PoolLevel {
            pool: pool.into(),
            idle,
            low_water: 2,
        }
    }

    #[test]
    fn a_pool_running_low_is_announced_once_and_its_recovery_once() {
        let none = BTreeSet::new();
        let (alerts, low) = pool_transitions(&none, &[level("rides", 1), level("food", 5)]);
        assert_eq!(
            alerts,
            [Alert::PoolLow {
                pool: "rides".into(),
                idle: 1,
                low_water: 2,
            }]
        );
        assert_eq!(low, BTreeSet::from(["rides".to_string()]));
        // Still low, lower even: nothing new.
        let (alerts, low) = pool_transitions(&low, &[level("rides", 0), level("food", 5)]);
        assert_eq!((alerts.len(), low.len()), (0, 1));
        // Exactly at the mark is not low (the allocator's rule).
        let (alerts, low) = pool_transitions(&low, &[level("rides", 2)]);
        assert_eq!(
            alerts,
            [Alert::PoolRecovered {
                pool: "rides".into(),
                idle: 2,
            }]
        );
        assert!(low.is_empty());
        // A deleted pool that was low clears silently.
        let (alerts, low) = pool_transitions(&BTreeSet::from(["gone".to_string()]), &[]);
        assert_eq!((alerts.len(), low.len()), (0, 0));
    }

    #[test]
    fn settings_default_to_twilio_lines_and_ninety_days() {
        let s: WatchSettings = serde_json::from_str("{}").unwrap();
        assert_eq!(s, WatchSettings::default());
        assert_eq!(s.retention_ms(), 90 * 86_400_000);
        assert!(s.validate().is_ok());
        let s: WatchSettings =
            serde_json::from_str(r#"{"thresholds":{"min_sample":5},"retention_days":30}"#).unwrap();
        assert_eq!(s.thresholds.min_sample, 5);
        assert_eq!(s.thresholds.asr_min, 0.70);
        assert!(serde_json::from_str::<WatchSettings>(r#"{"retention":30}"#).is_err());
    }

    #[test]
    fn settings_out_of_range_name_their_field() {
        let field = |json: &str| {
            serde_json::from_str::<WatchSettings>(json)
                .unwrap()
                .validate()
                .unwrap_err()
                .field
        };
        assert_eq!(field(r#"{"retention_days":0}"#), "retention_days");
        assert_eq!(field(r#"{"retention_days":401}"#), "retention_days");
        assert_eq!(
            field(r#"{"thresholds":{"asr_min":70}}"#),
            "thresholds.asr_min"
        );
        assert_eq!(
            field(r#"{"thresholds":{"min_sample":0}}"#),
            "thresholds.min_sample"
        );
        assert_eq!(
            field(r#"{"alerts":{"webhook_url":"http://example.com/x"}}"#),
            "alerts.webhook_url"
        );
        assert_eq!(field(r#"{"alerts":{"sms_to":"+14155550100"}}"#), "alerts");
    }

    #[test]
    fn an_sms_says_what_to_look_at() {
        let started = Alert::BreachStarted {
            scope: "+14155550100".into(),
            window: "24h".into(),
            figures: vec!["asr".into(), "short_12_share".into()],
        };
        assert_eq!(
            sms_text(&started),
            "Switchboard: Calls from +14155550100 are over Twilio's line (24h): asr, short_12_share. Carriers may label or block it."
        );
        let cleared = Alert::BreachCleared {
            scope: "account".into(),
            window: "7d".into(),
        };
        assert_eq!(
            sms_text(&cleared),
            "Switchboard: Your account's traffic is back within Twilio's lines (7d)."
        );
    }

    #[test]
    fn a_run_retries_at_most_its_share_and_the_next_run_goes_on_from_there() {
        // Few enough: all of them, every run.
        assert_eq!(retry_turn(3, 7, 20), (vec![0, 1, 2], 0));
        assert_eq!(retry_turn(0, 0, 20), (vec![], 0));
        // 50 waiting, 20 a run: 0-19, 20-39, then 40-49 and round to 0-9.
        let (first, next) = retry_turn(50, 0, 20);
        assert_eq!(first, (0..20).collect::<Vec<_>>());
        let (second, next) = retry_turn(50, next, 20);
        assert_eq!(second, (20..40).collect::<Vec<_>>());
        let (third, next) = retry_turn(50, next, 20);
        assert_eq!(third, (40..50).chain(0..10).collect::<Vec<_>>());
        assert_eq!(next, 10);
        // The list shrank since the last run: the offset wraps into it.
        assert_eq!(retry_turn(25, 40, 20).0[0], 15);
        // Whatever the offset, each message comes up within ceil(n/k) runs.
        for offset in [0, 1, 13, 49, 1000] {
            let mut seen = std::collections::BTreeSet::new();
            let mut at = offset;
            for _ in 0..3 {
                let (taken, next) = retry_turn(50, at, 20);
                assert_eq!(taken.len(), 20);
                seen.extend(taken);
                at = next;
            }
            assert_eq!(seen.len(), 50, "from offset {offset}");
        }
    }
}
