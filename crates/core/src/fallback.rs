//! What a caller gets when nothing else can be trusted: the number's fallback
//! URL, and the answer to any carrier webhook whose handling failed on our side.
//!
//! The plan comes from the deployment's plain variables (`wrangler.toml`
//! `[vars]`), never from KV, so it holds when KV is down or a config entry is
//! broken. It never fails to build: a bad value degrades to the safest choice
//! and is reported as a warning.

use crate::outcome::{AfterDial, Connect, Leg, Outcome, Prompt, Step, Voicemail};
use crate::phone::E164;

pub const DEFAULT_MESSAGE: &str =
    "Sorry, we cannot take your call right now. Please leave a message after the tone.";
pub const DEFAULT_THANKS: &str = "Thank you. Goodbye.";
const DEFAULT_MAX_LENGTH_SECS: u32 = 120;
const DIAL_TIMEOUT_SECS: u32 = 25;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Then {
    /// Record a voicemail (the default: nothing is lost).
    Voicemail { max_length_secs: u32 },
    /// Forward to a number; if it does not answer, take a voicemail.
    Forward(E164),
    /// Just the message.
    Hangup,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FallbackPlan {
    pub message: Prompt,
    pub then: Then,
}

impl FallbackPlan {
    /// The same plan taking a voicemail instead of forwarding (its target
    /// was refused).
    pub fn without_forward(self) -> FallbackPlan {
        let then = match self.then {
            Then::Forward(_) => Then::Voicemail {
                max_length_secs: DEFAULT_MAX_LENGTH_SECS,
            },
            other => other,
        };
        FallbackPlan { then, ..self }
    }

    /// Reads `FALLBACK_*` settings through `var`. Returns the plan and what was
    /// wrong with the settings, if anything.
    pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> (FallbackPlan, Vec<String>) {
        let mut warnings = Vec::new();
        let text = |name: &str| {
            var(name)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };
        let message =
            Prompt::say(text("FALLBACK_MESSAGE").unwrap_or_else(|| DEFAULT_MESSAGE.into())).voiced(
                text("FALLBACK_VOICE").as_deref(),
                text("FALLBACK_LANGUAGE").as_deref(),
            );
        let max_length_secs = match text("FALLBACK_MAX_LENGTH_SECS") {
            None => DEFAULT_MAX_LENGTH_SECS,
            Some(v) => match v.parse::<u32>() {
                Ok(n) if (1..=3600).contains(&n) => n,
                _ => {
                    warnings.push(format!(
                        "FALLBACK_MAX_LENGTH_SECS={v:?} is not 1..3600; using {DEFAULT_MAX_LENGTH_SECS}"
                    ));
                    DEFAULT_MAX_LENGTH_SECS
                }
            },
        };
        let voicemail = Then::Voicemail { max_length_secs };
        let then = match text("FALLBACK_ACTION").as_deref() {
            None | Some("voicemail") => voicemail,
            Some("hangup") => Then::Hangup,
            Some("forward") => match text("FALLBACK_FORWARD_TO").map(|n| E164::parse(&n)) {
                Some(Ok(number)) => Then::Forward(number),
                Some(Err(e)) => {
                    warnings.push(format!(
                        "FALLBACK_FORWARD_TO: {e}; taking voicemail instead"
                    ));
                    voicemail
                }
                None => {
                    warnings.push(
                        "FALLBACK_ACTION=forward needs FALLBACK_FORWARD_TO; taking voicemail instead"
                            .into(),
                    );
                    voicemail
                }
            },
            Some(other) => {
                warnings.push(format!(
                    "FALLBACK_ACTION={other:?} is not voicemail, forward or hangup; taking voicemail"
                ));
                voicemail
            }
        };
        (FallbackPlan { message, then }, warnings)
    }

    pub fn outcome(&self) -> Outcome {
        match &self.then {
            Then::Voicemail { max_length_secs } => Outcome::Voicemail(Voicemail {
                greeting: Some(self.message.clone()),
                max_length_secs: *max_length_secs,
                recorded: Step::FallbackRecorded,
                recording_ready: None,
            }),
            Then::Forward(number) => Outcome::Connect(Connect {
                announce: Some(self.message.clone()),
                targets: vec![crate::outcome::Target::Number(number.clone())],
                caller_id: None,
                timeout_secs: DIAL_TIMEOUT_SECS,
                record: false,
                after: AfterDial::Report(Step::FallbackDialed),
                leg: Leg::FallbackForward,
            }),
            Then::Hangup => Outcome::Goodbye(vec![self.message.clone()]),
        }
    }

    /// After the forward attempt: an answered call is over; otherwise the
    /// caller may still leave a message.
    pub fn after_dial(&self, dial_status: Option<&str>) -> Outcome {
        match dial_status {
            Some("completed") | Some("answered") => Outcome::Goodbye(vec![]),
            _ => Outcome::Voicemail(Voicemail {
                greeting: None,
                max_length_secs: DEFAULT_MAX_LENGTH_SECS,
                recorded: Step::FallbackRecorded,
                recording_ready: None,
            }),
        }
    }

    /// What the caller hears once their message is recorded.
    pub fn thanks(&self) -> Outcome {
        Outcome::Goodbye(vec![Prompt::say(DEFAULT_THANKS).voiced(
            self.message.voice.as_deref(),
            self.message.language.as_deref(),
        )])
    }
}

#[cfg(test)]
mod tests {
    // The same tests run compiled to wasm, under Node (scripts/test.sh).
    use super::*;
    use std::collections::HashMap;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn plan(vars: &[(&str, &str)]) -> (FallbackPlan, Vec<String>) {
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        FallbackPlan::from_vars(|k| vars.get(k).cloned())
    }

    #[test]
    fn with_nothing_configured_it_takes_a_voicemail() {
        let (p, warnings) = plan(&[]);
        assert!(warnings.is_empty());
        assert_eq!(p.message, Prompt::say(DEFAULT_MESSAGE));
        assert_eq!(
            p.then,
            Then::Voicemail {
                max_length_secs: 120
            }
        );
    }

    #[test]
    fn forwards_when_told_and_the_number_is_good() {
        let (p, warnings) = plan(&[
            ("FALLBACK_ACTION", "forward"),
            ("FALLBACK_FORWARD_TO", "+14155550100"),
            ("FALLBACK_MESSAGE", "One moment"),
            ("FALLBACK_VOICE", "Polly.Amy"),
            ("FALLBACK_LANGUAGE", "en-GB"),
        ]);
        assert!(warnings.is_empty());
        assert_eq!(p.then, Then::Forward(E164::parse("+14155550100").unwrap()));
        assert_eq!(p.message.voice.as_deref(), Some("Polly.Amy"));
        assert_eq!(
            p.thanks(),
            Outcome::Goodbye(vec![
                Prompt::say(DEFAULT_THANKS).voiced(Some("Polly.Amy"), Some("en-GB"))
            ])
        );
    }

    #[test]
    fn broken_settings_degrade_to_voicemail_and_say_why() {
        let (p, warnings) = plan(&[
            ("FALLBACK_ACTION", "forward"),
            ("FALLBACK_FORWARD_TO", "555-0100"),
            ("FALLBACK_MAX_LENGTH_SECS", "forever"),
        ]);
        assert_eq!(
            p.then,
            Then::Voicemail {
                max_length_secs: 120
            }
        );
        assert_eq!(
            warnings,
            [
                "FALLBACK_MAX_LENGTH_SECS=\"forever\" is not 1..3600; using 120",
                "FALLBACK_FORWARD_TO: not an E.164 number (expected + and digits); taking voicemail instead",
            ]
        );
        let (p, warnings) = plan(&[("FALLBACK_ACTION", "dance")]);
        assert_eq!(
            p.then,
            Then::Voicemail {
                max_length_secs: 120
            }
        );
        assert_eq!(warnings.len(), 1);
    }

    #[test]
    fn an_unanswered_forward_still_takes_a_message() {
        let (p, _) = plan(&[
            ("FALLBACK_ACTION", "forward"),
            ("FALLBACK_FORWARD_TO", "+14155550100"),
        ]);
        assert!(matches!(
            p.after_dial(Some("no-answer")),
            Outcome::Voicemail(_)
        ));
        assert!(matches!(p.after_dial(None), Outcome::Voicemail(_)));
        assert_eq!(p.after_dial(Some("completed")), Outcome::Goodbye(vec![]));
    }
}
