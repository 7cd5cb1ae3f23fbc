//! The configuration schema of a line (a called number), as stored in KV and
//! sent to the management API. Parsed and validated in one place, with errors
//! that name the field.

use crate::outcome::{Prompt, RejectReason, Target};
use crate::phone::E164;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub field: String,
    pub why: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.field.is_empty() {
            write!(f, "{}", self.why)
        } else {
            write!(f, "{}: {}", self.field, self.why)
        }
    }
}

impl std::error::Error for ConfigError {}

/// A body of the wrong shape is a config error on the same field.
impl From<crate::body::BodyError> for ConfigError {
    fn from(e: crate::body::BodyError) -> ConfigError {
        ConfigError {
            field: e.field,
            why: e.why,
        }
    }
}

fn bad(field: &str, why: impl Into<String>) -> ConfigError {
    ConfigError {
        field: field.into(),
        why: why.into(),
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LineConfig {
    /// Who the line belongs to, and how their phones ring.
    pub owner: Owner,
    /// ISO 3166 country for national spellings in lists and vCards.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_country: Option<String>,
    #[serde(default)]
    pub challenge: Challenge,
    #[serde(default)]
    pub voicemail: VoicemailSettings,
    /// How blocked and graylisted callers are turned away.
    #[serde(default)]
    pub reject_reason: RejectReason,
    /// Callers whose number the network fully attested (SHAKEN/STIR `A`)
    /// skip the challenge.
    #[serde(default)]
    pub skip_challenge_when_attested: bool,
    /// What callers with no number (withheld, anonymous) get.
    #[serde(default)]
    pub withheld: WithheldPolicy,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hours: Option<Hours>,
    /// Voice and language of everything this line says, unless a prompt sets its own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub voice: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Owner {
    pub targets: Vec<Target>,
    #[serde(default)]
    pub ring: Ring,
    #[serde(default = "Owner::default_timeout")]
    pub timeout_secs: u32,
    #[serde(default)]
    pub caller_id: CallerIdShown,
    #[serde(default)]
    pub record: bool,
}

impl Owner {
    fn default_timeout() -> u32 {
        20
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Ring {
    /// All targets at once; the first to answer takes the call.
    #[default]
    Together,
    /// One after another, each for `timeout_secs`.
    InTurn,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum CallerIdShown {
    /// The owner sees who is calling.
    #[default]
    Caller,
    /// The owner sees the line's number (so they know which line rang).
    Line,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum WithheldPolicy {
    #[default]
    Challenge,
    Reject,
    Voicemail,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum AfterChallenge {
    #[default]
    Voicemail,
    Owner,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Challenge {
    pub digits: u8,
    pub prefix: String,
    pub suffix: String,
    pub timeout_secs: u32,
    /// Unanswered or consecutive failed challenges at which a caller is rejected.
    pub threshold: u8,
    pub failed_message: String,
    pub final_message: String,
    pub on_success: AfterChallenge,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub voice: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
}

impl Default for Challenge {
    fn default() -> Self {
        Challenge {
            digits: 3,
            prefix: "Please enter".into(),
            suffix: "followed by the pound key.".into(),
            timeout_secs: 10,
            threshold: 3,
            failed_message: "Sorry, that was not right. Goodbye.".into(),
            final_message:
                "Sorry, that was not right again. Calls from your number will no longer be accepted. Goodbye."
                    .into(),
            on_success: AfterChallenge::Voicemail,
            voice: None,
            language: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VoicemailSettings {
    pub greeting: Prompt,
    pub max_length_secs: u32,
    pub notify: Notify,
}

impl Default for VoicemailSettings {
    fn default() -> Self {
        VoicemailSettings {
            greeting: Prompt::say("Please leave a message after the tone."),
            max_length_secs: 120,
            notify: Notify::default(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Notify {
    /// Text the owner here (through the Twilio REST API) ...
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sms_to: Option<E164>,
    /// ... from this number (one of the account's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sms_from: Option<E164>,
    /// POST the message as JSON here.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webhook_url: Option<String>,
}

impl Notify {
    /// The shape, named under `field`: an SMS needs both numbers, a webhook
    /// an https URL. The SMS number still passes the account's toll-fraud
    /// guard where it is stored.
    pub fn validate(&self, field: &str) -> Result<(), ConfigError> {
        if self.sms_to.is_some() != self.sms_from.is_some() {
            return Err(bad(field, "sms_to and sms_from go together"));
        }
        if let Some(url) = &self.webhook_url {
            if !is_webhook_url(url) {
                return Err(bad(
                    &format!("{field}.webhook_url"),
                    "must be an https URL (http only to 127.0.0.1 or localhost, for local tries)",
                ));
            }
        }
        Ok(())
    }
}

/// A weekly schedule in the line's time zone; outside it calls go to voicemail.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Hours {
    /// IANA zone, e.g. `America/New_York`.
    pub time_zone: String,
    /// `mon`..`sun` -> spans like `09:00-17:30`. A day not listed is closed.
    pub open: BTreeMap<String, Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closed_greeting: Option<Prompt>,
}

pub const WEEKDAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/// Minutes since midnight, `[start, end)`.
/// Where a call can be put through: the shape each kind needs. The same
/// rule holds for a line's own targets and for a forward-list entry, so no
/// list entry can carry a target the line config would refuse.
pub fn check_target(field: &str, t: &Target) -> Result<(), ConfigError> {
    let (kind, text, longest) = match t {
        Target::Number(_) => return Ok(()),
        Target::Client(s) => ("client", s, MAX_NAME_CHARS),
        Target::Conference(s) => ("conference", s, MAX_NAME_CHARS),
        Target::Sip(s) => ("sip", s, MAX_SIP_CHARS),
    };
    if text.trim().is_empty() {
        return Err(bad(field, "is empty"));
    }
    // A list entry is also kept as KV metadata, which holds 1 KiB.
    if text.chars().count() > longest {
        return Err(bad(
            &format!("{field}.{kind}"),
            format!("at most {longest} characters"),
        ));
    }
    if let Target::Sip(uri) = t {
        if !uri.starts_with("sip:") && !uri.starts_with("sips:") {
            return Err(bad(field, "a SIP target starts with sip:"));
        }
    }
    Ok(())
}

/// The longest Client identity or conference name, and SIP URI, a target
/// may name: far beyond any real one, and within what a list entry can
/// carry as KV metadata (1 KiB).
pub const MAX_NAME_CHARS: usize = 256;
pub const MAX_SIP_CHARS: usize = 512;

/// Notifications carry the caller's number and a recording link, so they
/// go over TLS. Plain http is allowed only to this machine, where a
/// developer runs a receiver while trying things.
pub fn is_webhook_url(url: &str) -> bool {
    if url.starts_with("https://") && url.len() > "https://".len() {
        return true;
    }
    let Some(rest) = url.strip_prefix("http://") else {
        return false;
    };
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host = host.rsplit_once(':').map_or(host, |(h, port)| {
        if port.bytes().all(|b| b.is_ascii_digit()) {
            h
        } else {
            host
        }
    });
    host == "127.0.0.1" || host == "localhost" || host == "[::1]"
}

pub fn parse_span(s: &str) -> Option<(u16, u16)> {
    let (a, b) = s.split_once('-')?;
    let minutes = |t: &str| -> Option<u16> {
        let (h, m) = t.trim().split_once(':')?;
        let (h, m): (u16, u16) = (h.parse().ok()?, m.parse().ok()?);
        (h <= 24 && m < 60 && h * 60 + m <= 24 * 60).then_some(h * 60 + m)
    };
    let (start, end) = (minutes(a)?, minutes(b)?);
    (start < end).then_some((start, end))
}

impl LineConfig {
    /// Parses and validates a stored or submitted config.
    /// A config as a person sent it (the management API): strictly a JSON
    /// object of this shape (`crate::body`), then validated.
    pub fn from_json(text: &str) -> Result<LineConfig, ConfigError> {
        let config: LineConfig = crate::body::parse(text)?;
        config.validate()?;
        Ok(config)
    }

    /// A config as stored: written only after `from_json` accepted it, so
    /// plain serde reads it (about half the cost of the strict reader, and
    /// this runs on every call), and validation still catches a value that
    /// an older version stored.
    pub fn from_stored(text: &str) -> Result<LineConfig, ConfigError> {
        let config: LineConfig = serde_json::from_str(text).map_err(|e| ConfigError {
            field: String::new(),
            why: e.to_string(),
        })?;
        config.validate()?;
        Ok(config)
    }

    pub fn validate(&self) -> Result<(), ConfigError> {
        let o = &self.owner;
        if o.targets.is_empty() {
            return Err(bad("owner.targets", "needs at least one target"));
        }
        for (i, t) in o.targets.iter().enumerate() {
            check_target(&format!("owner.targets[{i}]"), t)?;
        }
        if !(5..=120).contains(&o.timeout_secs) {
            return Err(bad("owner.timeout_secs", "must be 5 to 120"));
        }
        if let Some(c) = &self.default_country {
            if c.len() != 2 || !c.bytes().all(|b| b.is_ascii_alphabetic()) {
                return Err(bad("default_country", "an ISO 3166 code such as US or GB"));
            }
        }
        let ch = &self.challenge;
        if !(1..=8).contains(&ch.digits) {
            return Err(bad("challenge.digits", "must be 1 to 8"));
        }
        if !(3..=60).contains(&ch.timeout_secs) {
            return Err(bad("challenge.timeout_secs", "must be 3 to 60"));
        }
        if !(1..=20).contains(&ch.threshold) {
            return Err(bad("challenge.threshold", "must be 1 to 20"));
        }
        let vm = &self.voicemail;
        if !(5..=3600).contains(&vm.max_length_secs) {
            return Err(bad("voicemail.max_length_secs", "must be 5 to 3600"));
        }
        check_prompt("voicemail.greeting", &vm.greeting)?;
        vm.notify.validate("voicemail.notify")?;
        if let Some(h) = &self.hours {
            if h.time_zone.trim().is_empty() {
                return Err(bad("hours.time_zone", "is empty"));
            }
            for (day, spans) in &h.open {
                if !WEEKDAYS.contains(&day.as_str()) {
                    return Err(bad(
                        &format!("hours.open.{day}"),
                        "days are mon, tue, wed, thu, fri, sat, sun",
                    ));
                }
                for s in spans {
                    if parse_span(s).is_none() {
                        return Err(bad(
                            &format!("hours.open.{day}"),
                            format!("{s:?} is not a span like 09:00-17:30"),
                        ));
                    }
                }
            }
            if let Some(p) = &h.closed_greeting {
                check_prompt("hours.closed_greeting", p)?;
            }
        }
        Ok(())
    }
}

fn check_prompt(field: &str, p: &Prompt) -> Result<(), ConfigError> {
    match (&p.say, &p.play) {
        (None, None) => Err(bad(field, "needs say (text) or play (an audio URL)")),
        (_, Some(url)) if !url.starts_with("https://") && !url.starts_with("http://") => {
            Err(bad(field, "play must be an http(s) URL"))
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    // The same tests run compiled to wasm, under Node (scripts/test.sh).
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn a_forward_target_has_the_shape_a_line_target_has() {
        assert!(check_target("forward", &Target::Client("bob".into())).is_ok());
        assert_eq!(
            check_target("forward", &Target::Client("".into()))
                .unwrap_err()
                .field,
            "forward"
        );
        assert!(check_target("forward", &Target::Sip("desk@example.com".into())).is_err());
        assert!(check_target("forward", &Target::Sip("sip:desk@example.com".into())).is_ok());
    }

    #[test]
    fn a_target_name_fits_in_a_list_entry() {
        let long = Target::Client("x".repeat(MAX_NAME_CHARS + 1));
        assert_eq!(
            check_target("forward", &long).unwrap_err().field,
            "forward.client"
        );
        let sip = Target::Sip(format!("sip:{}@example.com", "a".repeat(MAX_SIP_CHARS)));
        assert_eq!(
            check_target("forward", &sip).unwrap_err().field,
            "forward.sip"
        );
        assert!(check_target("forward", &Target::Client("x".repeat(MAX_NAME_CHARS))).is_ok());
    }

    #[test]
    fn notifications_go_over_tls_except_to_this_machine() {
        assert!(is_webhook_url("https://example.com/hook"));
        assert!(is_webhook_url("http://127.0.0.1:8080/hook"));
        assert!(is_webhook_url("http://localhost/hook"));
        for bad in [
            "http://example.com/hook",
            "http://127.0.0.1.example.com/",
            "http://localhost@evil.example/",
            "ftp://example.com",
            "https://",
            "javascript:alert(1)",
        ] {
            assert!(!is_webhook_url(bad), "{bad}");
        }
    }

    #[test]
    fn an_array_is_not_a_config() {
        assert!(LineConfig::from_json("[]").is_err());
        let e = LineConfig::from_json(r#"{"owner": [[{"number":"+14155550100"}]]}"#).unwrap_err();
        assert_eq!(e.field, "owner");
    }

    #[test]
    fn the_smallest_config_is_an_owner() {
        let c =
            LineConfig::from_json(r#"{"owner":{"targets":[{"number":"+14155550100"}]}}"#).unwrap();
        assert_eq!(c.owner.timeout_secs, 20);
        assert_eq!(c.owner.ring, Ring::Together);
        assert_eq!(c.challenge.digits, 3);
        assert_eq!(c.challenge.threshold, 3);
        assert_eq!(c.withheld, WithheldPolicy::Challenge);
        assert_eq!(c.reject_reason, RejectReason::Rejected);
    }

    #[test]
    fn errors_name_the_field() {
        let err = |json: &str| LineConfig::from_json(json).unwrap_err().to_string();
        assert_eq!(
            err(r#"{"owner":{"targets":[]}}"#),
            "owner.targets: needs at least one target"
        );
        assert!(err(r#"{"owner":{"targets":[{"number":"555"}]}}"#).contains("not an E.164 number"));
        assert!(
            err(r#"{"owner":{"targets":[{"number":"+14155550100"}]},"colour":"red"}"#)
                .contains("unknown field `colour`")
        );
        assert_eq!(
            err(r#"{"owner":{"targets":[{"sip":"desk@example.com"}]}}"#),
            "owner.targets[0]: a SIP target starts with sip:"
        );
        assert_eq!(
            err(r#"{"owner":{"targets":[{"client":"a"}]},"challenge":{"digits":12}}"#),
            "challenge.digits: must be 1 to 8"
        );
        assert_eq!(
            err(
                r#"{"owner":{"targets":[{"client":"a"}]},"voicemail":{"notify":{"sms_to":"+14155550100"}}}"#
            ),
            "voicemail.notify: sms_to and sms_from go together"
        );
        assert_eq!(
            err(
                r#"{"owner":{"targets":[{"client":"a"}]},"hours":{"time_zone":"Europe/Paris","open":{"monday":["09:00-17:00"]}}}"#
            ),
            "hours.open.monday: days are mon, tue, wed, thu, fri, sat, sun"
        );
        assert_eq!(
            err(
                r#"{"owner":{"targets":[{"client":"a"}]},"hours":{"time_zone":"Europe/Paris","open":{"mon":["17:00-09:00"]}}}"#
            ),
            "hours.open.mon: \"17:00-09:00\" is not a span like 09:00-17:30"
        );
    }

    #[test]
    fn spans_are_minutes_since_midnight() {
        assert_eq!(parse_span("09:00-17:30"), Some((540, 1050)));
        assert_eq!(parse_span("00:00-24:00"), Some((0, 1440)));
        assert_eq!(parse_span("9:00-9:00"), None);
        assert_eq!(parse_span("25:00-26:00"), None);
        assert_eq!(parse_span("nine to five"), None);
    }

    #[test]
    fn round_trips_through_json() {
        let c = LineConfig::from_json(
            r#"{"owner":{"targets":[{"number":"+14155550100"},{"client":"alice"}],"ring":"in_turn","caller_id":"line"},
                "withheld":"voicemail","skip_challenge_when_attested":true,
                "hours":{"time_zone":"America/New_York","open":{"mon":["09:00-17:00"]}}}"#,
        )
        .unwrap();
        let again = LineConfig::from_json(&serde_json::to_string(&c).unwrap()).unwrap();
        assert_eq!(again, c);
    }
}
