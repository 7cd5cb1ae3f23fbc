//! A call or text to a proxy number, decided. The call path reads one index
//! entry (`proxy:<proxy>:<party>`) and hands it here with the caller, the
//! time and the deployment's messages; nothing here reads anything itself.

use super::{route, Route, Session};
use crate::account::AccountSid;
use crate::outcome::{AfterDial, Connect, Leg, Outcome, Prompt, Target};
use crate::phone::{Party, E164};
use serde::{Deserialize, Serialize};

/// Which carrier's webhooks a pool serves. A Twilio route never reads a
/// MessageBird pool's sessions, nor the other way round.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Carrier {
    #[default]
    Twilio,
    Messagebird,
}

/// What the call path reads for a (proxy, party): the session and the
/// pool's settings that shape the call, written by the pool's allocator.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Indexed {
    pub account: String,
    pub pool: String,
    #[serde(default)]
    pub carrier: Carrier,
    pub grace_secs: u32,
    /// When the grace period ends (ms), for a session that has an end.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grace_until_ms: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub announce: Option<String>,
    #[serde(default)]
    pub record: bool,
    pub session: Session,
}

impl Indexed {
    /// A session belongs to one carrier, and on Twilio to one account:
    /// another account's webhook, or the other carrier's, is not its own.
    /// (MessageBird's webhooks name no account; the pool's carrier decides.)
    pub fn serves(&self, carrier: Carrier, account: Option<&AccountSid>) -> bool {
        self.carrier == carrier && account.is_none_or(|a| self.account == a.as_str())
    }
}

/// What callers hear when they cannot be put through. Per deployment, not
/// per pool: a caller we cannot place has no pool to take them from.
#[derive(Debug, Clone, Copy)]
pub struct Messages<'a> {
    /// No session for this caller on this number.
    pub unknown: &'a str,
    /// The caller's session has ended (past its grace period).
    pub expired: &'a str,
}

/// Why a masked call got what it got, for the log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    Connect,
    Expired,
    Unknown,
}

impl Reason {
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::Connect => "connect",
            Reason::Expired => "expired",
            Reason::Unknown => "unknown",
        }
    }
}

/// What a call from `caller` to `proxy` gets, the same for both carriers:
/// the other party, with the proxy as caller ID, while the session is live
/// or in grace; a sentence otherwise. A withheld caller has no session.
pub fn decide_call(
    found: Option<&Indexed>,
    proxy: &E164,
    caller: &Party,
    now_ms: u64,
    messages: Messages,
) -> (Outcome, Reason) {
    let (Some(found), Some(caller)) = (found, caller.number()) else {
        return unplaced(messages);
    };
    let sessions = std::slice::from_ref(&found.session);
    match route(sessions, proxy, caller, now_ms, grace_ms(found)) {
        Route::Connect { session, other } => (
            Outcome::Connect(Connect {
                announce: announcement(found, session, caller),
                targets: vec![Target::Number(other.clone())],
                caller_id: Some(proxy.clone()),
                timeout_secs: 30,
                record: found.record,
                after: AfterDial::Hangup,
                leg: Leg::MaskedBridge {
                    session: session.id.clone(),
                },
            }),
            Reason::Connect,
        ),
        Route::Expired { .. } => (say(messages.expired), Reason::Expired),
        Route::Unknown => (say(messages.unknown), Reason::Unknown),
    }
}

/// A call that names no proxy number we could have: nobody to find.
pub fn unplaced(messages: Messages) -> (Outcome, Reason) {
    (say(messages.unknown), Reason::Unknown)
}

/// Who a text from `sender` to `proxy` is relayed to: the other party of a
/// live or in-grace session, else nobody (an ended session's text is dropped,
/// not answered: a stranger may hold the number next).
pub fn relay_target(
    found: Option<&Indexed>,
    proxy: &E164,
    sender: &Party,
    now_ms: u64,
) -> Option<E164> {
    let (found, sender) = (found?, sender.number()?);
    let sessions = std::slice::from_ref(&found.session);
    match route(sessions, proxy, sender, now_ms, grace_ms(found)) {
        Route::Connect { other, .. } => Some(other.clone()),
        _ => None,
    }
}

fn grace_ms(found: &Indexed) -> u64 {
    found.grace_secs as u64 * 1000
}

fn say(text: &str) -> Outcome {
    Outcome::Goodbye(vec![Prompt::say(text).voiced(Some("female"), Some("en-GB"))])
}

/// The pool's announcement with the *other* party's name: A hears B's.
fn announcement(found: &Indexed, session: &Session, caller: &E164) -> Option<Prompt> {
    let template = found.announce.as_deref()?;
    let label = if *caller == session.a {
        "b_name"
    } else {
        "a_name"
    };
    let name = session
        .labels
        .get(label)
        .map(String::as_str)
        .unwrap_or("the other party");
    Some(Prompt::say(template.replace("{name}", name)))
}

#[cfg(test)]
mod tests {
    // The same tests run compiled to wasm, under Node (scripts/test.sh).
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    const S: u64 = 1000;
    const MESSAGES: Messages = Messages {
        unknown: "Who are you?",
        expired: "That ride is over.",
    };

    fn n(s: &str) -> E164 {
        E164::parse(s).unwrap()
    }

    fn party(s: &str) -> Party {
        Party::from_carrier(s, false)
    }

    /// Ada and Bob through +14155550001, created at 100 s, ending at 200 s,
    /// 30 s of grace, announced with names.
    fn ride() -> Indexed {
        Indexed {
            account: "AC00000000000000000000000000000001".into(),
            pool: "rides".into(),
            carrier: Carrier::Twilio,
            grace_secs: 30,
            grace_until_ms: Some(230 * S),
            announce: Some("Connecting you to {name}.".into()),
            record: true,
            session: Session {
                id: "KS1".into(),
                proxy: n("+14155550001"),
                a: n("+14155550101"),
                b: n("+14155550102"),
                created_at_ms: 100 * S,
                expires_at_ms: Some(200 * S),
                ended_at_ms: None,
                market: None,
                labels: [("a_name".to_string(), "Ada".to_string())].into(),
            },
        }
    }

    fn said(outcome: &Outcome) -> &str {
        match outcome {
            Outcome::Goodbye(p) => p[0].say.as_deref().unwrap_or(""),
            other => panic!("expected a sentence, got {other:?}"),
        }
    }

    #[test]
    fn a_live_session_bridges_to_the_other_party_from_the_proxy() {
        let found = ride();
        let proxy = n("+14155550001");
        let (outcome, reason) = decide_call(
            Some(&found),
            &proxy,
            &party("+14155550102"),
            150 * S,
            MESSAGES,
        );
        assert_eq!(reason, Reason::Connect);
        let Outcome::Connect(c) = outcome else {
            panic!("expected a connect")
        };
        assert_eq!(c.targets, vec![Target::Number(n("+14155550101"))]);
        assert_eq!(c.caller_id, Some(proxy));
        assert!(c.record);
        // Bob hears Ada's name; Ada would hear Bob's, which is not set.
        assert_eq!(
            c.announce.unwrap().say.as_deref(),
            Some("Connecting you to Ada.")
        );
    }

    #[test]
    fn the_caller_with_no_name_label_hears_a_neutral_phrase() {
        let found = ride();
        let (outcome, _) = decide_call(
            Some(&found),
            &n("+14155550001"),
            &party("+14155550101"),
            150 * S,
            MESSAGES,
        );
        let Outcome::Connect(c) = outcome else {
            panic!("expected a connect")
        };
        assert_eq!(
            c.announce.unwrap().say.as_deref(),
            Some("Connecting you to the other party.")
        );
    }

    #[test]
    fn grace_still_connects_and_after_it_the_caller_hears_it_has_ended() {
        let found = ride();
        let proxy = n("+14155550001");
        let bob = party("+14155550102");
        let at = |t| decide_call(Some(&found), &proxy, &bob, t, MESSAGES).1;
        assert_eq!(at(229 * S), Reason::Connect);
        assert_eq!(at(230 * S), Reason::Expired);
        let (outcome, _) = decide_call(Some(&found), &proxy, &bob, 230 * S, MESSAGES);
        assert_eq!(said(&outcome), "That ride is over.");
    }

    #[test]
    fn strangers_withheld_callers_and_missing_entries_are_unknown() {
        let found = ride();
        let proxy = n("+14155550001");
        for (found, caller) in [
            (Some(&found), party("+14155550199")),
            (Some(&found), party("anonymous")),
            (Some(&found), party("client:ada")),
            (None, party("+14155550102")),
        ] {
            let (outcome, reason) = decide_call(found, &proxy, &caller, 150 * S, MESSAGES);
            assert_eq!(reason, Reason::Unknown, "{caller:?}");
            assert_eq!(said(&outcome), "Who are you?");
        }
        // An entry read for another proxy number is not this one's session.
        let other = n("+14155550002");
        let (_, reason) = decide_call(
            Some(&found),
            &other,
            &party("+14155550102"),
            150 * S,
            MESSAGES,
        );
        assert_eq!(reason, Reason::Unknown);
    }

    #[test]
    fn texts_are_relayed_only_while_the_session_connects() {
        let found = ride();
        let proxy = n("+14155550001");
        let ada = party("+14155550101");
        assert_eq!(
            relay_target(Some(&found), &proxy, &ada, 150 * S),
            Some(n("+14155550102"))
        );
        assert_eq!(relay_target(Some(&found), &proxy, &ada, 230 * S), None);
        assert_eq!(relay_target(None, &proxy, &ada, 150 * S), None);
        assert_eq!(
            relay_target(Some(&found), &proxy, &party("+14155550199"), 150 * S),
            None
        );
    }

    #[test]
    fn a_session_serves_only_its_carrier_and_its_account() {
        let found = ride();
        let own = AccountSid::parse("AC00000000000000000000000000000001").unwrap();
        let other = AccountSid::parse("AC00000000000000000000000000000002").unwrap();
        assert!(found.serves(Carrier::Twilio, Some(&own)));
        assert!(!found.serves(Carrier::Twilio, Some(&other)));
        assert!(!found.serves(Carrier::Messagebird, None));
        let bird = Indexed {
            carrier: Carrier::Messagebird,
            ..ride()
        };
        assert!(bird.serves(Carrier::Messagebird, None));
        assert!(!bird.serves(Carrier::Twilio, Some(&own)));
    }
}
