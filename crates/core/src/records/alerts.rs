//! Which alerts to send after a health run. The run happens on a schedule,
//! and an alert repeated on every run is an alert nobody reads: a condition
//! is announced when it starts and when it clears, nothing in between. What
//! was in breach after the last run is stored, passed in, and handed back.

use super::health::{Health, State};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// One watched condition: a scope ("account" or a number in E.164) and a window ("24h" / "7d").
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Watched {
    pub scope: String,
    pub window: String,
}

/// Something worth telling the account about.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Alert {
    /// A scope entered breach: which figures are over the line.
    BreachStarted {
        scope: String,
        window: String,
        figures: Vec<String>,
    },
    BreachCleared {
        scope: String,
        window: String,
    },
    /// A Twilio debugger error code seen for the first time on this account.
    NewErrorCode {
        code: String,
        count: u64,
    },
    /// A masking pool has fewer idle numbers than its low-water mark.
    PoolLow {
        pool: String,
        idle: u32,
        low_water: u32,
    },
    PoolRecovered {
        pool: String,
        idle: u32,
    },
}

/// What to send, given which conditions were in breach after the last run (`before`) and the health now.
/// An alert is sent once when a condition starts and once when it clears, never on every run; a Quiet
/// scope neither starts nor clears anything (it keeps its previous state). Returns the alerts and the
/// new set of conditions in breach (to be stored for the next run).
///
/// A condition in `before` that is not in `now` at all (its scope placed no
/// calls in the window, so the store had nothing to count) clears: there is
/// no traffic left to be unhealthy. Watch is not breach: a scope going from
/// breach to watch clears. `BreachStarted` names the figures in breach, in
/// the figures' order. Alerts come in the conditions' order (scope, then
/// window); should `now` name a condition twice, the last one counts.
pub fn transitions(
    before: &BTreeSet<Watched>,
    now: &[(Watched, Health)],
) -> (Vec<Alert>, BTreeSet<Watched>) {
    let now: BTreeMap<&Watched, &Health> = now.iter().map(|(w, h)| (w, h)).collect();
    let all: BTreeSet<&Watched> = before.iter().chain(now.keys().copied()).collect();
    let mut alerts = Vec::new();
    let mut after = BTreeSet::new();
    for watched in all {
        let was = before.contains(watched);
        let breach = match now.get(watched) {
            Some(health) if health.state == State::Breach => {
                if !was {
                    alerts.push(Alert::BreachStarted {
                        scope: watched.scope.clone(),
                        window: watched.window.clone(),
                        figures: health
                            .figures
                            .iter()
                            .filter(|f| f.state == State::Breach)
                            .map(|f| f.name.to_string())
                            .collect(),
                    });
                }
                true
            }
            Some(health) if health.state == State::Quiet => was,
            // Healthy, in watch, or no calls at all.
            _ => {
                if was {
                    alerts.push(Alert::BreachCleared {
                        scope: watched.scope.clone(),
                        window: watched.window.clone(),
                    });
                }
                false
            }
        };
        if breach {
            after.insert(watched.clone());
        }
    }
    (alerts, after)
}

/// Debugger error codes not alerted before (`known`), with their counts, sorted by code.
///
/// A code counted twice is one alert with the sum; a count of 0 is a code
/// not seen, and is not news. The caller adds the codes alerted to `known`.
pub fn new_error_codes(known: &BTreeSet<String>, counts: &[(String, u64)]) -> Vec<Alert> {
    let mut new: BTreeMap<&str, u64> = BTreeMap::new();
    for (code, count) in counts {
        if *count > 0 && !known.contains(code) {
            *new.entry(code).or_default() += count;
        }
    }
    new.into_iter()
        .map(|(code, count)| Alert::NewErrorCode {
            code: code.to_string(),
            count,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    // The same tests run compiled to wasm, under Node (scripts/test.sh).
    use super::*;
    use crate::records::health::{evaluate, Sample, Thresholds};
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn watched(scope: &str, window: &str) -> Watched {
        Watched {
            scope: scope.into(),
            window: window.into(),
        }
    }

    /// `calls` calls, `answered` of them at a minute each.
    fn health(calls: u64, answered: u64) -> Health {
        let sample = Sample {
            calls,
            answered,
            talk_secs: answered * 60,
            ..Sample::default()
        };
        evaluate(&sample, &Thresholds::default())
    }

    fn healthy() -> Health {
        health(100, 90)
    }

    /// Half the calls answered: the ASR is over the line.
    fn breach() -> Health {
        health(100, 50)
    }

    /// 72% answered: within the margin, not over the line.
    fn watch() -> Health {
        health(100, 72)
    }

    fn quiet() -> Health {
        health(3, 0)
    }

    fn set<const N: usize>(items: [Watched; N]) -> BTreeSet<Watched> {
        items.into()
    }

    #[test]
    fn a_breach_is_announced_once_and_its_end_once() {
        let account = watched("account", "24h");
        assert_eq!(breach().state, State::Breach);

        let (alerts, state) = transitions(&set([]), &[(account.clone(), breach())]);
        assert_eq!(
            alerts,
            [Alert::BreachStarted {
                scope: "account".into(),
                window: "24h".into(),
                figures: vec!["asr".into()],
            }]
        );
        assert_eq!(state, set([account.clone()]));

        // The next run finds it still in breach: nothing new to say.
        let (alerts, state) = transitions(&state, &[(account.clone(), breach())]);
        assert_eq!(alerts, []);
        assert_eq!(state, set([account.clone()]));

        let (alerts, state) = transitions(&state, &[(account.clone(), healthy())]);
        assert_eq!(
            alerts,
            [Alert::BreachCleared {
                scope: "account".into(),
                window: "24h".into(),
            }]
        );
        assert!(state.is_empty());

        let (alerts, state) = transitions(&state, &[(account, healthy())]);
        assert_eq!(alerts, []);
        assert!(state.is_empty());
    }

    #[test]
    fn every_figure_over_the_line_is_named() {
        let sample = Sample {
            calls: 100,
            answered: 50,
            talk_secs: 50 * 10,
            short_12: 50,
            top_destination: Some(("+1212••••".into(), 60)),
            ..Sample::default()
        };
        let h = evaluate(&sample, &Thresholds::default());
        let (alerts, _) = transitions(&set([]), &[(watched("+14155550100", "7d"), h)]);
        assert_eq!(
            alerts,
            [Alert::BreachStarted {
                scope: "+14155550100".into(),
                window: "7d".into(),
                figures: vec![
                    "asr".into(),
                    "acd_secs".into(),
                    "short_12_share".into(),
                    "repeat_destination_share".into()
                ],
            }]
        );
    }

    #[test]
    fn watch_is_not_a_breach() {
        let n = watched("+14155550100", "24h");
        assert_eq!(watch().state, State::Watch);
        let (alerts, state) = transitions(&set([]), &[(n.clone(), watch())]);
        assert_eq!((alerts, state), (vec![], set([])));
        // From breach to watch: cleared.
        let (alerts, state) = transitions(&set([n.clone()]), &[(n, watch())]);
        assert_eq!(alerts.len(), 1);
        assert!(matches!(alerts[0], Alert::BreachCleared { .. }));
        assert!(state.is_empty());
    }

    #[test]
    fn a_quiet_scope_keeps_its_previous_state() {
        let n = watched("+14155550100", "24h");
        assert_eq!(quiet().state, State::Quiet);
        // In breach, then quiet: still in breach, nothing said.
        let (alerts, state) = transitions(&set([n.clone()]), &[(n.clone(), quiet())]);
        assert_eq!(alerts, []);
        assert_eq!(state, set([n.clone()]));
        // Not in breach, then quiet: still not, nothing said.
        let (alerts, state) = transitions(&set([]), &[(n, quiet())]);
        assert_eq!(alerts, []);
        assert!(state.is_empty());
    }

    #[test]
    fn a_scope_with_no_calls_left_clears() {
        let n = watched("+14155550100", "24h");
        let account = watched("account", "24h");
        let (alerts, state) = transitions(
            &set([n.clone(), account.clone()]),
            &[(account.clone(), breach())],
        );
        assert_eq!(
            alerts,
            [Alert::BreachCleared {
                scope: "+14155550100".into(),
                window: "24h".into(),
            }]
        );
        assert_eq!(state, set([account]));
        let (alerts, state) = transitions(&state, &[]);
        assert_eq!(alerts.len(), 1);
        assert!(state.is_empty());
    }

    #[test]
    fn the_two_windows_are_watched_apart() {
        let day = watched("account", "24h");
        let week = watched("account", "7d");
        // A bad day in a good week.
        let (alerts, state) = transitions(
            &set([]),
            &[(day.clone(), breach()), (week.clone(), healthy())],
        );
        assert_eq!(alerts.len(), 1);
        assert!(matches!(&alerts[0], Alert::BreachStarted { window, .. } if window == "24h"));
        assert_eq!(state, set([day.clone()]));
        // The day recovers while the week catches up: one clears, one starts.
        let (alerts, state) = transitions(
            &state,
            &[(week.clone(), breach()), (day.clone(), healthy())],
        );
        assert_eq!(
            alerts,
            [
                Alert::BreachCleared {
                    scope: "account".into(),
                    window: "24h".into(),
                },
                Alert::BreachStarted {
                    scope: "account".into(),
                    window: "7d".into(),
                    figures: vec!["asr".into()],
                },
            ]
        );
        assert_eq!(state, set([week]));
    }

    #[test]
    fn only_error_codes_never_alerted_are_news() {
        let known: BTreeSet<String> = ["11200".to_string()].into();
        let counts = [
            ("13227".to_string(), 3),
            ("11200".to_string(), 9),
            ("11750".to_string(), 1),
            ("13227".to_string(), 2),
            ("32011".to_string(), 0),
        ];
        assert_eq!(
            new_error_codes(&known, &counts),
            [
                Alert::NewErrorCode {
                    code: "11750".into(),
                    count: 1,
                },
                Alert::NewErrorCode {
                    code: "13227".into(),
                    count: 5,
                },
            ]
        );
        assert_eq!(new_error_codes(&known, &[]), []);
    }

    #[test]
    fn alerts_serialize_with_their_kind() {
        let (alerts, _) = transitions(&set([]), &[(watched("account", "24h"), breach())]);
        assert_eq!(
            serde_json::to_string(&alerts[0]).unwrap(),
            r#"{"kind":"breach_started","scope":"account","window":"24h","figures":["asr"]}"#
        );
        let new = new_error_codes(&BTreeSet::new(), &[("11200".into(), 2)]);
        assert_eq!(
            serde_json::to_string(&new[0]).unwrap(),
            r#"{"kind":"new_error_code","code":"11200","count":2}"#
        );
    }
}
