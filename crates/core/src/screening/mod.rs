//! Inbound call screening: who gets through to the line's owner, who is
//! challenged, who is turned away, and who leaves a message.
//!
//! `decide_*` are pure: the call, the facts read from the store, and the
//! context computed at the edge (is the line open, the expected digits) go in;
//! an outcome and the counters to store come out.

pub mod address_book;
pub mod challenge;
pub mod graylist;
pub mod hours;
pub mod vcard;

use crate::config::{AfterChallenge, CallerIdShown, LineConfig, Ring, WithheldPolicy};
use crate::outcome::{
    AfterDial, ChallengePrompt, Connect, Leg, Outcome, Prompt, Step, Target, Voicemail,
};
use crate::phone::{Party, E164};
use graylist::{Event, Graylist};
use serde::{Deserialize, Serialize};

/// What the lists say about one caller on one line (or, for the account-wide
/// entry, on every line). Stored one per caller, so a lookup is one read.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Entry {
    /// In the address book: put through to the owner.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub allow: bool,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub block: bool,
    /// Put through to this target instead of the owner.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub forward: Option<Target>,
}

/// The most numbers one address book import takes. Each is a KV write (the
/// free plan allows 1,000 a day) and the import runs inside one request.
pub const MAX_ADDRESS_BOOK: usize = 5_000;

impl Entry {
    pub fn is_empty(&self) -> bool {
        !self.allow && !self.block && self.forward.is_none()
    }
}

/// Whether the decision can reach the graylist row for this caller: lists
/// decide first, so a listed caller's counters need not be read at all.
pub fn needs_counters(entry: &Entry, account_blocked: bool) -> bool {
    !(entry.allow || entry.block || entry.forward.is_some() || account_blocked)
}

/// The call as the carrier described it.
#[derive(Debug, Clone)]
pub struct Call<'a> {
    pub call_sid: &'a str,
    pub from: &'a Party,
    pub to: &'a E164,
    /// Full SHAKEN/STIR attestation (`StirVerstat=TN-Validation-Passed-A`).
    pub attested: bool,
}

/// Everything the store knows that the decision needs.
#[derive(Debug, Clone)]
pub struct Facts {
    pub line: LineConfig,
    pub entry: Entry,
    pub account_blocked: bool,
    pub graylist: Graylist,
}

/// What the edge works out before deciding.
#[derive(Debug, Clone)]
pub struct Context {
    /// Inside the line's hours (always true without hours).
    pub open: bool,
    /// Where this call's challenge digits come from.
    pub challenge: Digits,
}

/// The digits a challenge expects, worked out only when the call is
/// challenged or answers one: an HMAC that most calls (an address-book or
/// blocked caller, a closed line) never need.
#[derive(Clone)]
pub enum Digits {
    /// Derived from the deployment's secret and the call's SID
    /// ([`challenge::expected_digits`]): what every real call uses.
    Keyed(Vec<u8>),
    /// Given as they are: the scenarios, which read better with known digits.
    Fixed(String),
}

/// Never prints the secret (a context may end up in a log or a panic).
impl std::fmt::Debug for Digits {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Digits::Keyed(_) => f.write_str("Keyed(..)"),
            Digits::Fixed(d) => f.debug_tuple("Fixed").field(d).finish(),
        }
    }
}

impl Digits {
    fn for_call(&self, call_sid: &str, count: u8) -> String {
        match self {
            Digits::Keyed(secret) => challenge::expected_digits(secret, call_sid, count),
            Digits::Fixed(digits) => digits.clone(),
        }
    }
}

/// Why the call got its outcome: for logs and the simulator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    AddressBook,
    ForwardList,
    Blocked,
    AccountBlocked,
    Graylisted,
    Closed,
    Withheld,
    Attested,
    Challenged,
    ChallengePassed,
    ChallengeFailed,
    ChallengeFailedFinal,
    Answered,
    NextTarget,
    NoAnswer,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    pub outcome: Outcome,
    pub reason: Reason,
    /// New counters to store, when they changed.
    pub graylist: Option<Graylist>,
}

impl Decision {
    fn new(outcome: Outcome, reason: Reason) -> Decision {
        Decision {
            outcome,
            reason,
            graylist: None,
        }
    }
}

/// A new call to the line. The order is the product: allow lists beat block
/// lists; blocked and graylisted callers are turned away even out of hours.
pub fn decide_incoming(call: &Call, facts: &Facts, ctx: &Context) -> Decision {
    let line = &facts.line;
    let reject = || Outcome::Reject(line.reject_reason);
    if facts.entry.allow {
        return Decision::new(
            if ctx.open {
                connect_owner(line, call.to, 0)
            } else {
                closed(line)
            },
            Reason::AddressBook,
        );
    }
    if let Some(target) = &facts.entry.forward {
        return Decision::new(
            if ctx.open {
                connect(line, call.to, vec![target.clone()], None, Leg::Forward)
            } else {
                closed(line)
            },
            Reason::ForwardList,
        );
    }
    if facts.entry.block {
        return Decision::new(reject(), Reason::Blocked);
    }
    if facts.account_blocked {
        return Decision::new(reject(), Reason::AccountBlocked);
    }
    if facts.graylist.over(line.challenge.threshold) {
        return Decision::new(reject(), Reason::Graylisted);
    }
    if !ctx.open {
        return Decision::new(closed(line), Reason::Closed);
    }
    if call.from.number().is_none() {
        match line.withheld {
            WithheldPolicy::Reject => return Decision::new(reject(), Reason::Withheld),
            WithheldPolicy::Voicemail => {
                return Decision::new(voicemail(line, None), Reason::Withheld)
            }
            // No number, no counters: the challenge alone has to do.
            WithheldPolicy::Challenge => {
                let digits = ctx.challenge.for_call(call.call_sid, line.challenge.digits);
                return Decision::new(challenge(line, &digits), Reason::Challenged);
            }
        }
    }
    if call.attested && line.skip_challenge_when_attested {
        return Decision::new(after_challenge(line, call.to), Reason::Attested);
    }
    let digits = ctx.challenge.for_call(call.call_sid, line.challenge.digits);
    Decision {
        outcome: challenge(line, &digits),
        reason: Reason::Challenged,
        graylist: facts.graylist.after(call.call_sid, Event::Challenged),
    }
}

/// The caller keyed `digits` in answer to the challenge.
pub fn decide_answer(call: &Call, facts: &Facts, ctx: &Context, digits: &str) -> Decision {
    let line = &facts.line;
    let expected = ctx.challenge.for_call(call.call_sid, line.challenge.digits);
    let right = digits.trim_end_matches('#') == expected;
    let graylist = match call.from.number() {
        Some(_) => facts
            .graylist
            .after(call.call_sid, Event::Answered { right }),
        None => None,
    };
    if right {
        return Decision {
            outcome: after_challenge(line, call.to),
            reason: Reason::ChallengePassed,
            graylist,
        };
    }
    // On a retried webhook the counters are already up to date.
    let failed = graylist.as_ref().unwrap_or(&facts.graylist).failed;
    let last = failed >= line.challenge.threshold;
    let text = if last {
        &line.challenge.final_message
    } else {
        &line.challenge.failed_message
    };
    Decision {
        outcome: Outcome::Goodbye(vec![challenge_voice(line, Prompt::say(text.as_str()))]),
        reason: if last {
            Reason::ChallengeFailedFinal
        } else {
            Reason::ChallengeFailed
        },
        graylist,
    }
}

/// A connect attempt ended with `dial_status`; `next` is the owner target to
/// try next when ringing in turn.
pub fn decide_dialed(
    line: &LineConfig,
    to: &E164,
    dial_status: &str,
    next: Option<usize>,
) -> Decision {
    if matches!(dial_status, "completed" | "answered") {
        return Decision::new(Outcome::Goodbye(vec![]), Reason::Answered);
    }
    match next {
        Some(i) if i < line.owner.targets.len() => {
            Decision::new(connect_owner(line, to, i), Reason::NextTarget)
        }
        _ => Decision::new(voicemail(line, None), Reason::NoAnswer),
    }
}

fn after_challenge(line: &LineConfig, to: &E164) -> Outcome {
    match line.challenge.on_success {
        AfterChallenge::Voicemail => voicemail(line, None),
        AfterChallenge::Owner => connect_owner(line, to, 0),
    }
}

fn connect_owner(line: &LineConfig, to: &E164, from_target: usize) -> Outcome {
    let targets = &line.owner.targets;
    match line.owner.ring {
        Ring::Together => connect(line, to, targets.clone(), None, Leg::OwnerDial),
        Ring::InTurn => {
            let next = from_target + 1;
            let one = targets.get(from_target).cloned().into_iter().collect();
            connect(
                line,
                to,
                one,
                (next < targets.len()).then_some(next),
                Leg::OwnerDial,
            )
        }
    }
}

fn connect(
    line: &LineConfig,
    to: &E164,
    targets: Vec<Target>,
    next: Option<usize>,
    leg: Leg,
) -> Outcome {
    Outcome::Connect(Connect {
        announce: None,
        targets,
        caller_id: match line.owner.caller_id {
            CallerIdShown::Caller => None,
            CallerIdShown::Line => Some(to.clone()),
        },
        timeout_secs: line.owner.timeout_secs,
        record: line.owner.record,
        // Nobody answering must not end in silence: the result comes back.
        after: AfterDial::Report(Step::Dialed { next }),
        leg,
    })
}

fn closed(line: &LineConfig) -> Outcome {
    let greeting = line.hours.as_ref().and_then(|h| h.closed_greeting.clone());
    voicemail(line, greeting)
}

fn voicemail(line: &LineConfig, greeting: Option<Prompt>) -> Outcome {
    let greeting = greeting.unwrap_or_else(|| line.voicemail.greeting.clone());
    Outcome::Voicemail(Voicemail {
        greeting: Some(line_voice(line, greeting)),
        max_length_secs: line.voicemail.max_length_secs,
        recorded: Step::VoicemailRecorded,
        recording_ready: Some(Step::VoicemailReady),
    })
}

fn challenge(line: &LineConfig, digits: &str) -> Outcome {
    let c = &line.challenge;
    let text = format!("{} {} {}", c.prefix, challenge::spoken(digits), c.suffix);
    Outcome::Challenge(ChallengePrompt {
        prompt: challenge_voice(line, Prompt::say(text.trim())),
        digits: c.digits,
        timeout_secs: c.timeout_secs,
        answer: Step::ChallengeAnswer,
    })
}

fn line_voice(line: &LineConfig, p: Prompt) -> Prompt {
    p.voiced(line.voice.as_deref(), line.language.as_deref())
}

fn challenge_voice(line: &LineConfig, p: Prompt) -> Prompt {
    let c = &line.challenge;
    line_voice(line, p.voiced(c.voice.as_deref(), c.language.as_deref()))
}

#[cfg(test)]
mod tests;
