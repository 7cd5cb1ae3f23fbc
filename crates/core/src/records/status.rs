//! A leg's progress as Twilio reports it (`statusCallback`), and the rule
//! that keeps a call record from going backwards.
//!
//! Twilio retries a callback that failed and may deliver a call's events out
//! of order. Each event carries `SequenceNumber` (0, 1, 2 … per call), so the
//! record keeps every event once, by that number, and its headline (status,
//! duration, SIP code) follows the highest number seen, whatever the order
//! of arrival.

use crate::dates;
use crate::form::Params;
use crate::outcome::Leg;
use serde::{Deserialize, Serialize};

/// A call's status, as Twilio names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CallStatus {
    Queued,
    Initiated,
    Ringing,
    InProgress,
    Completed,
    Busy,
    NoAnswer,
    Failed,
    Canceled,
}

impl CallStatus {
    pub fn parse(s: &str) -> Option<CallStatus> {
        Some(match s {
            "queued" => CallStatus::Queued,
            "initiated" => CallStatus::Initiated,
            "ringing" => CallStatus::Ringing,
            "in-progress" | "answered" => CallStatus::InProgress,
            "completed" => CallStatus::Completed,
            "busy" => CallStatus::Busy,
            "no-answer" => CallStatus::NoAnswer,
            "failed" => CallStatus::Failed,
            "canceled" => CallStatus::Canceled,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            CallStatus::Queued => "queued",
            CallStatus::Initiated => "initiated",
            CallStatus::Ringing => "ringing",
            CallStatus::InProgress => "in-progress",
            CallStatus::Completed => "completed",
            CallStatus::Busy => "busy",
            CallStatus::NoAnswer => "no-answer",
            CallStatus::Failed => "failed",
            CallStatus::Canceled => "canceled",
        }
    }

    /// The call is over: nothing later changes its outcome.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            CallStatus::Completed
                | CallStatus::Busy
                | CallStatus::NoAnswer
                | CallStatus::Failed
                | CallStatus::Canceled
        )
    }
}

/// What placed a call, as its record names it. The legs we dial name
/// themselves in their status URL (`paths::status_url`); REST calls and
/// verification calls likewise; an inbound call reported by the number's
/// own status callback has no leg and is `Inbound`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Feature {
    /// An inbound call, screened or masked or placed from a device: its
    /// decision is written when we answer it.
    Inbound,
    OwnerDial,
    Forward,
    Outbound,
    MaskedBridge,
    FallbackForward,
    /// A call placed through the API (`POST …/calls`).
    ApiCall,
    /// A voice verification code.
    Verification,
}

impl Feature {
    pub fn parse(s: &str) -> Option<Feature> {
        Some(match s {
            "inbound" => Feature::Inbound,
            "owner_dial" => Feature::OwnerDial,
            "forward" => Feature::Forward,
            "outbound" => Feature::Outbound,
            "masked_bridge" => Feature::MaskedBridge,
            "fallback_forward" => Feature::FallbackForward,
            "api_call" => Feature::ApiCall,
            "verification" => Feature::Verification,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Feature::Inbound => "inbound",
            Feature::OwnerDial => "owner_dial",
            Feature::Forward => "forward",
            Feature::Outbound => "outbound",
            Feature::MaskedBridge => "masked_bridge",
            Feature::FallbackForward => "fallback_forward",
            Feature::ApiCall => "api_call",
            Feature::Verification => "verification",
        }
    }
}

/// The feature a dialled leg names in its status URL.
impl From<&Leg> for Feature {
    fn from(leg: &Leg) -> Feature {
        match leg {
            Leg::OwnerDial => Feature::OwnerDial,
            Leg::Forward => Feature::Forward,
            Leg::Outbound => Feature::Outbound,
            Leg::MaskedBridge { .. } => Feature::MaskedBridge,
            Leg::FallbackForward => Feature::FallbackForward,
        }
    }
}

/// One status callback, read. Numbers are kept whole: this is the store's
/// copy, and only logs mask them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusEvent {
    pub call_sid: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent_call_sid: Option<String>,
    pub direction: String,
    pub from: String,
    pub to: String,
    pub status: CallStatus,
    pub sequence: u32,
    /// When Twilio says it happened (`Timestamp`), else when it reached us.
    pub at_ms: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_secs: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sip_response_code: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answered_by: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub queue_time_ms: Option<u64>,
    pub feature: Feature,
    /// The masking session a bridge belongs to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session: Option<String>,
}

/// Why a status callback could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StatusError {
    Missing(&'static str),
    Bad(&'static str),
}

impl std::fmt::Display for StatusError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StatusError::Missing(p) => write!(f, "status callback without {p}"),
            StatusError::Bad(p) => write!(f, "status callback with an unreadable {p}"),
        }
    }
}

impl StatusEvent {
    /// Reads a verified callback: `params` are the form's and the signed
    /// URL's query together (the leg and session come from the query, which
    /// we wrote). `now_ms` stands in when Twilio sends no `Timestamp`.
    pub fn read(params: &Params, now_ms: u64) -> Result<StatusEvent, StatusError> {
        let need = |name: &'static str| {
            params
                .get(name)
                .filter(|v| !v.is_empty())
                .ok_or(StatusError::Missing(name))
        };
        let number = |name: &'static str| -> Result<Option<u64>, StatusError> {
            params
                .get(name)
                .filter(|v| !v.is_empty())
                .map(|v| v.parse::<u64>().map_err(|_| StatusError::Bad(name)))
                .transpose()
        };
        let status =
            CallStatus::parse(need("CallStatus")?).ok_or(StatusError::Bad("CallStatus"))?;
        let feature = match params.get("leg") {
            Some(leg) => Feature::parse(leg).ok_or(StatusError::Bad("leg"))?,
            None => Feature::Inbound,
        };
        let small = |v: Option<u64>, name: &'static str| -> Result<Option<u32>, StatusError> {
            v.map(|v| u32::try_from(v).map_err(|_| StatusError::Bad(name)))
                .transpose()
        };
        Ok(StatusEvent {
            call_sid: need("CallSid")?.to_string(),
            parent_call_sid: params
                .get("ParentCallSid")
                .filter(|v| !v.is_empty())
                .map(str::to_string),
            direction: params.get("Direction").unwrap_or("").to_string(),
            from: params.get("From").unwrap_or("").to_string(),
            to: params.get("To").unwrap_or("").to_string(),
            status,
            // A callback without a sequence is older than any with one.
            sequence: small(number("SequenceNumber")?, "SequenceNumber")?.unwrap_or(0),
            at_ms: match params.get("Timestamp").filter(|v| !v.is_empty()) {
                Some(t) => dates::rfc2822_ms(t).ok_or(StatusError::Bad("Timestamp"))?,
                None => now_ms,
            },
            duration_secs: small(number("CallDuration")?, "CallDuration")?,
            sip_response_code: number("SipResponseCode")?
                .map(|c| u16::try_from(c).map_err(|_| StatusError::Bad("SipResponseCode")))
                .transpose()?,
            answered_by: params
                .get("AnsweredBy")
                .filter(|v| !v.is_empty())
                .map(str::to_string),
            queue_time_ms: number("QueueTime")?,
            feature,
            session: params
                .get("session")
                .filter(|v| !v.is_empty())
                .map(str::to_string),
        })
    }
}

impl StatusEvent {
    /// A call we placed through the REST API has ended and its callback
    /// carried no `QueueTime`: the Call resource has it, and the record
    /// should (QueueTime is how an account learns it needs more CPS). Legs
    /// we dialled from TwiML are not queued by the API and have none.
    pub fn wants_queue_time(&self) -> bool {
        self.status.is_final()
            && matches!(self.feature, Feature::ApiCall | Feature::Verification)
            && self.queue_time_ms.is_none()
    }
}

/// Whether an event moves a record's headline: only a higher sequence number
/// than the one the record shows does. A repeat (the same number) and a late
/// arrival (a lower one) are kept as events but change nothing else, so a
/// record never goes backwards.
pub fn supersedes(shown: Option<u32>, event: u32) -> bool {
    shown.is_none_or(|s| event > s)
}

#[cfg(test)]
mod tests {
    // The same tests run compiled to wasm, under Node (scripts/test.sh).
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn completed() -> Params {
        Params::parse(
            "CallSid=CA1&ParentCallSid=CA0&AccountSid=AC1&Direction=outbound-dial\
             &From=%2B14155550199&To=%2B14155550100&CallStatus=completed&SequenceNumber=3\
             &Timestamp=Sat%2C+21+Nov+2026+22%3A00%3A05+%2B0000&CallDuration=42\
             &SipResponseCode=200&AnsweredBy=human&leg=owner_dial",
        )
        .unwrap()
    }

    #[test]
    fn a_completed_leg_reads_whole() {
        let e = StatusEvent::read(&completed(), 1).unwrap();
        assert_eq!(e.call_sid, "CA1");
        assert_eq!(e.parent_call_sid.as_deref(), Some("CA0"));
        assert_eq!(e.status, CallStatus::Completed);
        assert_eq!(e.sequence, 3);
        assert_eq!(e.at_ms, 1_795_298_405_000);
        assert_eq!(e.duration_secs, Some(42));
        assert_eq!(e.sip_response_code, Some(200));
        assert_eq!(e.answered_by.as_deref(), Some("human"));
        assert_eq!(e.feature, Feature::OwnerDial);
        assert_eq!(e.from, "+14155550199", "kept whole in the store");
    }

    #[test]
    fn only_an_ended_rest_call_without_queue_time_asks_for_it() {
        let read = |q: &str| StatusEvent::read(&Params::parse(q).unwrap(), 0).unwrap();
        let ended = "CallSid=CA1&CallStatus=completed&leg=api_call";
        assert!(read(ended).wants_queue_time());
        assert!(read("CallSid=CA1&CallStatus=no-answer&leg=verification").wants_queue_time());
        assert!(!read(&format!("{ended}&QueueTime=120")).wants_queue_time());
        assert!(!read("CallSid=CA1&CallStatus=ringing&leg=api_call").wants_queue_time());
        assert!(!read("CallSid=CA1&CallStatus=completed&leg=owner_dial").wants_queue_time());
    }

    #[test]
    fn without_a_leg_it_is_the_inbound_call_and_without_a_time_it_is_now() {
        let p = Params::parse("CallSid=CA9&CallStatus=ringing&Direction=inbound").unwrap();
        let e = StatusEvent::read(&p, 77).unwrap();
        assert_eq!(e.feature, Feature::Inbound);
        assert_eq!((e.at_ms, e.sequence), (77, 0));
    }

    #[test]
    fn unreadable_callbacks_are_named() {
        let read = |q: &str| StatusEvent::read(&Params::parse(q).unwrap(), 0);
        assert_eq!(
            read("CallStatus=completed"),
            Err(StatusError::Missing("CallSid"))
        );
        assert_eq!(read("CallSid=CA1"), Err(StatusError::Missing("CallStatus")));
        assert_eq!(
            read("CallSid=CA1&CallStatus=dancing"),
            Err(StatusError::Bad("CallStatus"))
        );
        assert_eq!(
            read("CallSid=CA1&CallStatus=ringing&SequenceNumber=-1"),
            Err(StatusError::Bad("SequenceNumber"))
        );
        assert_eq!(
            read("CallSid=CA1&CallStatus=ringing&SipResponseCode=99999"),
            Err(StatusError::Bad("SipResponseCode"))
        );
        assert_eq!(
            read("CallSid=CA1&CallStatus=ringing&Timestamp=yesterday"),
            Err(StatusError::Bad("Timestamp"))
        );
        assert_eq!(
            read("CallSid=CA1&CallStatus=ringing&leg=teleport"),
            Err(StatusError::Bad("leg"))
        );
    }

    #[test]
    fn only_a_higher_sequence_moves_the_record() {
        assert!(supersedes(None, 0));
        assert!(supersedes(Some(1), 2));
        assert!(!supersedes(Some(2), 2), "a repeat changes nothing");
        assert!(!supersedes(Some(3), 1), "a late event never goes back");
    }

    #[test]
    fn every_leg_s_status_url_reads_back_as_its_feature() {
        use crate::paths::status_url;
        for leg in [
            Leg::OwnerDial,
            Leg::Forward,
            Leg::Outbound,
            Leg::MaskedBridge {
                session: "KS1".into(),
            },
            Leg::FallbackForward,
        ] {
            let url = status_url(&leg);
            let query = url.split_once('?').unwrap().1;
            let p = Params::parse(&format!("{query}&CallSid=CA1&CallStatus=ringing")).unwrap();
            let name = Feature::from(&leg).as_str();
            assert_eq!(Feature::parse(name).map(Feature::as_str), Some(name));
            assert_eq!(
                StatusEvent::read(&p, 0).unwrap().feature,
                Feature::from(&leg)
            );
        }
    }
}
