//! What a call gets: the value every decision returns and every renderer
//! reads. It names intentions (connect, challenge, take a message), never a
//! dialect's verbs, so one decision serves Twilio and MessageBird alike.

use crate::phone::E164;
use serde::{Deserialize, Serialize};

/// Something said to the caller: spoken text or a recording.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Prompt {
    /// Text spoken by the carrier's speech engine.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub say: Option<String>,
    /// An audio file to play instead (URL).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub play: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub voice: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
}

impl Prompt {
    pub fn say(text: impl Into<String>) -> Prompt {
        Prompt {
            say: Some(text.into()),
            play: None,
            voice: None,
            language: None,
        }
    }

    pub fn voiced(mut self, voice: Option<&str>, language: Option<&str>) -> Prompt {
        self.voice = self.voice.or(voice.map(str::to_string));
        self.language = self.language.or(language.map(str::to_string));
        self
    }
}

/// Where a connected call rings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Target {
    Number(E164),
    /// A Twilio Client identity (browser or app).
    Client(String),
    /// A SIP URI.
    Sip(String),
    /// A named conference room.
    Conference(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum RejectReason {
    #[default]
    Rejected,
    Busy,
}

impl RejectReason {
    pub fn as_str(self) -> &'static str {
        match self {
            RejectReason::Rejected => "rejected",
            RejectReason::Busy => "busy",
        }
    }
}

/// What happens when a connect attempt ends: the carrier reports back and
/// the next decision is taken then.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AfterDial {
    /// Nothing more: the call ends with the bridged leg.
    Hangup,
    /// Report the result to the given step so it can move on (next target,
    /// voicemail) when nobody answered.
    Report(Step),
}

/// A follow-up request the carrier will make, named by what it is for. The
/// renderer turns it into a URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// The caller keyed (or did not key) the challenge digits.
    ChallengeAnswer,
    /// A connect attempt ended; `next` is the owner target to ring next.
    Dialed { next: Option<usize> },
    /// A line's voicemail was recorded.
    VoicemailRecorded,
    /// A line's recording is ready (asynchronous, later).
    VoicemailReady,
    /// The fallback handler's forward attempt ended.
    FallbackDialed,
    /// The fallback handler's voicemail has been recorded.
    FallbackRecorded,
}

/// Which feature of ours places a connected leg. Every leg we create reports
/// its progress back (initiated, ringing, answered, completed), and the call
/// record says what the leg was for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Leg {
    /// A line's owner rung for a screened call.
    OwnerDial,
    /// A caller on the line's forward list, sent on.
    Forward,
    /// A call placed from a Client or SIP device (`/voice/outbound`), with
    /// the caller ID chosen for it.
    Outbound,
    /// A masked call bridged to the other party of `session`.
    MaskedBridge { session: String },
    /// The fallback handler's forward.
    FallbackForward,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Connect {
    pub announce: Option<Prompt>,
    /// Rung together; the first to answer takes the call.
    pub targets: Vec<Target>,
    /// The number the callee sees; `None` leaves the carrier's default (the
    /// original caller).
    pub caller_id: Option<E164>,
    pub timeout_secs: u32,
    pub record: bool,
    pub after: AfterDial,
    pub leg: Leg,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Voicemail {
    pub greeting: Option<Prompt>,
    pub max_length_secs: u32,
    /// Where the carrier reports the finished recording (while the caller
    /// is still on the line, or has just hung up).
    pub recorded: Step,
    /// Where the carrier reports, later, that the recording file is ready.
    pub recording_ready: Option<Step>,
}

/// Asks the caller to key digits (a robot check).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChallengePrompt {
    pub prompt: Prompt,
    pub digits: u8,
    pub timeout_secs: u32,
    /// Where the answer goes. No answer falls through and the call ends.
    pub answer: Step,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Turn the call away unanswered (and so unbilled).
    Reject(RejectReason),
    /// Say something, then end the call.
    Goodbye(Vec<Prompt>),
    Connect(Connect),
    Voicemail(Voicemail),
    Challenge(ChallengePrompt),
    /// The answer to an incoming SMS: a reply to the sender, or nothing.
    Text(Option<String>),
    /// Pass an incoming SMS on to `to`, sent from `from` (a proxy number).
    Relay {
        to: E164,
        from: E164,
        body: String,
    },
}

impl Outcome {
    /// A short name for logs and the simulator.
    pub fn kind(&self) -> &'static str {
        match self {
            Outcome::Reject(_) => "reject",
            Outcome::Goodbye(_) => "goodbye",
            Outcome::Connect(_) => "connect",
            Outcome::Voicemail(_) => "voicemail",
            Outcome::Challenge(_) => "challenge",
            Outcome::Text(_) => "text",
            Outcome::Relay { .. } => "relay",
        }
    }
}
