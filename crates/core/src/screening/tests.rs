//! The decision table, row by row, and the exact TwiML of each end state.

// The same tests run compiled to wasm, under Node (scripts/test.sh).
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use super::*;
use crate::config::LineConfig;
use crate::outcome::RejectReason;
use crate::render::twiml::render;

const DECL: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>";
/// Where an owner's leg, and a forwarded caller's, report their progress.
const OWNER: &str = "statusCallback=\"/voice/status?leg=owner_dial\" \
    statusCallbackEvent=\"initiated ringing answered completed\" statusCallbackMethod=\"POST\"";
const FORWARD: &str = "statusCallback=\"/voice/status?leg=forward\" \
    statusCallbackEvent=\"initiated ringing answered completed\" statusCallbackMethod=\"POST\"";
const VOICEMAIL: &str = "<Say>Please leave a message after the tone.</Say>\
    <Record action=\"/voice/voicemail\" maxLength=\"120\" method=\"POST\" playBeep=\"true\" \
    recordingStatusCallback=\"/voice/voicemail/ready\" recordingStatusCallbackMethod=\"POST\"/><Hangup/>";

fn n(s: &str) -> E164 {
    E164::parse(s).unwrap()
}

/// A line owned by +14155550100, with `extra` fields (which may replace the owner).
fn line(extra: &str) -> LineConfig {
    let json = if extra.starts_with(r#","owner""#) {
        format!("{{{}}}", &extra[1..])
    } else {
        format!(r#"{{"owner":{{"targets":[{{"number":"+14155550100"}}]}}{extra}}}"#)
    };
    LineConfig::from_json(&json).unwrap()
}

struct Scenario {
    from: Party,
    to: E164,
    facts: Facts,
    ctx: Context,
    attested: bool,
}

impl Scenario {
    fn new(config: LineConfig) -> Scenario {
        Scenario {
            from: Party::Number(n("+12125550123")),
            to: n("+14155550199"),
            facts: Facts {
                line: config,
                entry: Entry::default(),
                account_blocked: false,
                graylist: Graylist::default(),
            },
            ctx: Context {
                open: true,
                challenge: Digits::Fixed("407".into()),
            },
            attested: false,
        }
    }

    fn call(&self, sid: &'static str) -> Call<'_> {
        Call {
            call_sid: sid,
            from: &self.from,
            to: &self.to,
            attested: self.attested,
        }
    }

    fn incoming(&self) -> Decision {
        decide_incoming(&self.call("CA1"), &self.facts, &self.ctx)
    }

    fn answer(&self, sid: &'static str, digits: &str) -> Decision {
        decide_answer(&self.call(sid), &self.facts, &self.ctx, digits)
    }
}

fn xml(d: &Decision) -> String {
    render(&d.outcome).strip_prefix(DECL).unwrap().to_string()
}

#[test]
fn an_address_book_caller_is_put_through_to_the_owner() {
    let mut s = Scenario::new(line(""));
    s.facts.entry.allow = true;
    let d = s.incoming();
    assert_eq!(d.reason, Reason::AddressBook);
    assert_eq!(d.graylist, None, "no write");
    assert_eq!(
        xml(&d),
        format!(
            "<Response><Dial action=\"/voice/dialed\" method=\"POST\" timeout=\"20\">\
         <Number {OWNER}>+14155550100</Number></Dial></Response>"
        )
    );
}

#[test]
fn a_forward_list_caller_goes_to_the_mapped_target() {
    let mut s = Scenario::new(line(
        r#","owner":{"targets":[{"client":"alice"}],"caller_id":"line"}"#,
    ));
    s.facts.entry.forward = Some(Target::Sip("sip:front-desk@example.com".into()));
    let d = s.incoming();
    assert_eq!(d.reason, Reason::ForwardList);
    assert_eq!(
        xml(&d),
        format!("<Response><Dial action=\"/voice/dialed\" callerId=\"+14155550199\" method=\"POST\" timeout=\"20\">\
         <Sip {FORWARD}>sip:front-desk@example.com</Sip></Dial></Response>")
    );
}

#[test]
fn blocked_callers_are_rejected_unanswered() {
    let mut s = Scenario::new(line(r#","reject_reason":"busy""#));
    s.facts.entry.block = true;
    let d = s.incoming();
    assert_eq!(d.reason, Reason::Blocked);
    assert_eq!(xml(&d), "<Response><Reject reason=\"busy\"/></Response>");

    let mut s = Scenario::new(line(""));
    s.facts.account_blocked = true;
    let d = s.incoming();
    assert_eq!(d.reason, Reason::AccountBlocked);
    assert_eq!(
        xml(&d),
        "<Response><Reject reason=\"rejected\"/></Response>"
    );
}

#[test]
fn allow_beats_block_and_forward_beats_block() {
    let mut s = Scenario::new(line(""));
    s.facts.entry = Entry {
        allow: true,
        block: true,
        forward: None,
    };
    s.facts.account_blocked = true;
    assert_eq!(s.incoming().reason, Reason::AddressBook);
    s.facts.entry = Entry {
        allow: false,
        block: true,
        forward: Some(Target::Client("bob".into())),
    };
    assert_eq!(s.incoming().reason, Reason::ForwardList);
}

#[test]
fn allow_beats_forward() {
    let mut s = Scenario::new(line(""));
    s.facts.entry = Entry {
        allow: true,
        block: false,
        forward: Some(Target::Client("bob".into())),
    };
    assert_eq!(s.incoming().reason, Reason::AddressBook);
}

#[test]
fn an_unknown_caller_is_challenged_and_counted() {
    let s = Scenario::new(line(""));
    let d = s.incoming();
    assert_eq!(d.reason, Reason::Challenged);
    assert_eq!(
        d.graylist.as_ref().map(|g| (g.unanswered, g.failed)),
        Some((1, 0))
    );
    assert_eq!(
        xml(&d),
        "<Response><Gather action=\"/voice/challenge\" method=\"POST\" numDigits=\"3\" timeout=\"10\">\
         <Pause length=\"1\"/><Say>Please enter 4 0 7 followed by the pound key.</Say></Gather>\
         <Hangup/></Response>"
    );
}

#[test]
fn real_calls_derive_their_digits_from_the_secret_and_the_call() {
    let mut s = Scenario::new(line(""));
    s.ctx.challenge = Digits::Keyed(b"secret".to_vec());
    let expected = challenge::expected_digits(b"secret", "CA1", 3);
    let spoken = challenge::spoken(&expected);
    assert!(xml(&s.incoming()).contains(&format!("Please enter {spoken} followed")));
    assert_eq!(s.answer("CA1", &expected).reason, Reason::ChallengePassed);
    // Another call's digits are its own.
    let other = challenge::expected_digits(b"secret", "CA2", 3);
    assert_ne!(other, expected, "the fixture's two calls differ");
    assert_eq!(s.answer("CA2", &expected).reason, Reason::ChallengeFailed);
}

#[test]
fn a_context_never_prints_its_secret() {
    let ctx = Context {
        open: true,
        challenge: Digits::Keyed(b"hunter2-secret".to_vec()),
    };
    let shown = format!("{ctx:?}");
    assert!(
        !shown.contains("hunter2") && !shown.contains("104"),
        "{shown}"
    );
}

#[test]
fn a_caller_who_never_answers_is_rejected_on_the_fourth_call() {
    let mut s = Scenario::new(line(""));
    for (i, sid) in ["CA1", "CA2", "CA3"].into_iter().enumerate() {
        let d = decide_incoming(&s.call(sid), &s.facts, &s.ctx);
        assert_eq!(d.reason, Reason::Challenged, "call {}", i + 1);
        s.facts.graylist = d.graylist.unwrap();
    }
    let d = decide_incoming(&s.call("CA4"), &s.facts, &s.ctx);
    assert_eq!(d.reason, Reason::Graylisted);
    assert_eq!(d.graylist, None);
    assert_eq!(
        xml(&d),
        "<Response><Reject reason=\"rejected\"/></Response>"
    );
}

#[test]
fn the_right_digits_reach_voicemail_and_reset_the_counters() {
    let mut s = Scenario::new(line(""));
    s.facts.graylist = Graylist {
        unanswered: 2,
        failed: 1,
        applied: vec!["CA1:challenged".into()],
    };
    let d = s.answer("CA1", "407");
    assert_eq!(d.reason, Reason::ChallengePassed);
    let g = d.graylist.clone().unwrap();
    assert_eq!((g.unanswered, g.failed), (0, 0));
    assert_eq!(xml(&d), format!("<Response>{VOICEMAIL}</Response>"));
    // A trailing # is the caller finishing their input, not a wrong digit.
    assert_eq!(s.answer("CA2", "407#").reason, Reason::ChallengePassed);
}

#[test]
fn the_right_digits_can_put_the_caller_through() {
    let s = Scenario::new(line(r#","challenge":{"on_success":"owner"}"#));
    let d = s.answer("CA1", "407");
    assert!(matches!(d.outcome, Outcome::Connect(_)));
}

#[test]
fn wrong_digits_three_times_give_the_two_messages_then_rejection() {
    let mut s = Scenario::new(line(""));
    let mut heard = vec![];
    for sid in ["CA1", "CA2", "CA3"] {
        let d = decide_incoming(&s.call(sid), &s.facts, &s.ctx);
        assert_eq!(d.reason, Reason::Challenged);
        s.facts.graylist = d.graylist.unwrap();
        let d = s.answer(sid, "999");
        s.facts.graylist = d.graylist.clone().unwrap();
        heard.push((d.reason, xml(&d)));
    }
    let failed = "<Response><Say>Sorry, that was not right. Goodbye.</Say><Hangup/></Response>";
    let last = "<Response><Say>Sorry, that was not right again. Calls from your number will no \
                longer be accepted. Goodbye.</Say><Hangup/></Response>";
    assert_eq!(
        heard,
        [
            (Reason::ChallengeFailed, failed.to_string()),
            (Reason::ChallengeFailed, failed.to_string()),
            (Reason::ChallengeFailedFinal, last.to_string()),
        ]
    );
    assert_eq!(
        (s.facts.graylist.unanswered, s.facts.graylist.failed),
        (0, 3)
    );
    assert_eq!(
        decide_incoming(&s.call("CA4"), &s.facts, &s.ctx).reason,
        Reason::Graylisted
    );
}

#[test]
fn a_retried_answer_changes_nothing_and_says_the_same() {
    let mut s = Scenario::new(line(""));
    let first = s.answer("CA1", "111");
    s.facts.graylist = first.graylist.clone().unwrap();
    let again = s.answer("CA1", "111");
    assert_eq!(again.graylist, None);
    assert_eq!(again.outcome, first.outcome);
}

#[test]
fn a_retried_challenge_counts_once() {
    let mut s = Scenario::new(line(""));
    s.facts.graylist = s.incoming().graylist.unwrap();
    let again = s.incoming();
    assert_eq!(again.reason, Reason::Challenged);
    assert_eq!(again.graylist, None);
}

#[test]
fn withheld_callers_follow_the_line_policy() {
    let mut s = Scenario::new(line(""));
    s.from = Party::Withheld;
    let d = s.incoming();
    assert_eq!(d.reason, Reason::Challenged);
    assert_eq!(d.graylist, None, "no number, no counters");
    s.facts.line = line(r#","withheld":"reject""#);
    assert_eq!(
        s.incoming().outcome,
        Outcome::Reject(RejectReason::Rejected)
    );
    s.facts.line = line(r#","withheld":"voicemail""#);
    assert_eq!(
        xml(&s.incoming()),
        format!("<Response>{VOICEMAIL}</Response>")
    );
    s.from = Party::Client("alice".into());
    assert_eq!(s.incoming().reason, Reason::Withheld);
}

#[test]
fn attested_callers_skip_the_challenge_when_the_line_says_so() {
    let mut s = Scenario::new(line(r#","skip_challenge_when_attested":true"#));
    s.attested = true;
    let d = s.incoming();
    assert_eq!(d.reason, Reason::Attested);
    assert_eq!(xml(&d), format!("<Response>{VOICEMAIL}</Response>"));
    s.facts.line = line("");
    assert_eq!(s.incoming().reason, Reason::Challenged);
}

#[test]
fn out_of_hours_everyone_not_turned_away_gets_voicemail() {
    let config = line(
        r#","hours":{"time_zone":"America/New_York","open":{"mon":["09:00-17:00"]},
            "closed_greeting":{"say":"We are closed. Leave a message."}}"#,
    );
    let mut s = Scenario::new(config);
    s.ctx.open = false;
    let closed = "<Response><Say>We are closed. Leave a message.</Say>\
        <Record action=\"/voice/voicemail\" maxLength=\"120\" method=\"POST\" playBeep=\"true\" \
        recordingStatusCallback=\"/voice/voicemail/ready\" recordingStatusCallbackMethod=\"POST\"/><Hangup/></Response>";
    let d = s.incoming();
    assert_eq!(d.reason, Reason::Closed);
    assert_eq!(xml(&d), closed);
    s.facts.entry.allow = true;
    assert_eq!(xml(&s.incoming()), closed);
    s.facts.entry = Entry {
        block: true,
        ..Entry::default()
    };
    assert_eq!(s.incoming().reason, Reason::Blocked);
}

#[test]
fn owner_targets_ring_together_or_in_turn_then_voicemail() {
    let together = line(
        r#","owner":{"targets":[{"number":"+14155550100"},{"client":"alice"},{"conference":"desk"}],"timeout_secs":15,"record":true}"#,
    );
    let mut s = Scenario::new(together);
    s.facts.entry.allow = true;
    assert_eq!(
        xml(&s.incoming()),
        format!("<Response><Dial action=\"/voice/dialed\" method=\"POST\" record=\"record-from-answer\" timeout=\"15\">\
         <Number {OWNER}>+14155550100</Number><Client {OWNER}>alice</Client><Conference>desk</Conference></Dial></Response>")
    );

    let in_turn = line(
        r#","owner":{"targets":[{"number":"+14155550100"},{"client":"alice"}],"ring":"in_turn"}"#,
    );
    s.facts.line = in_turn.clone();
    assert_eq!(
        xml(&s.incoming()),
        format!(
            "<Response><Dial action=\"/voice/dialed?next=1\" method=\"POST\" timeout=\"20\">\
         <Number {OWNER}>+14155550100</Number></Dial></Response>"
        )
    );
    let to = n("+14155550199");
    let d = decide_dialed(&in_turn, &to, "no-answer", Some(1));
    assert_eq!(d.reason, Reason::NextTarget);
    assert_eq!(
        xml(&d),
        format!("<Response><Dial action=\"/voice/dialed\" method=\"POST\" timeout=\"20\"><Client {OWNER}>alice</Client></Dial></Response>")
    );
    let d = decide_dialed(&in_turn, &to, "busy", None);
    assert_eq!(d.reason, Reason::NoAnswer);
    assert_eq!(xml(&d), format!("<Response>{VOICEMAIL}</Response>"));
    let d = decide_dialed(&in_turn, &to, "completed", Some(1));
    assert_eq!(d.reason, Reason::Answered);
    assert_eq!(xml(&d), "<Response><Hangup/></Response>");
}

#[test]
fn hostile_config_text_is_escaped() {
    let s = Scenario::new(line(
        r#","challenge":{"prefix":"Tap <digits> & \"go\"","voice":"Polly.Léa","language":"fr-FR"}"#,
    ));
    assert_eq!(
        xml(&s.incoming()),
        "<Response><Gather action=\"/voice/challenge\" method=\"POST\" numDigits=\"3\" timeout=\"10\">\
         <Pause length=\"1\"/><Say language=\"fr-FR\" voice=\"Polly.Léa\">Tap &lt;digits&gt; &amp; &quot;go&quot; \
         4 0 7 followed by the pound key.</Say></Gather><Hangup/></Response>"
    );
}

#[test]
fn listed_callers_need_no_counters() {
    assert!(needs_counters(&Entry::default(), false));
    assert!(!needs_counters(
        &Entry {
            allow: true,
            ..Entry::default()
        },
        false
    ));
    assert!(!needs_counters(
        &Entry {
            block: true,
            ..Entry::default()
        },
        false
    ));
    assert!(!needs_counters(
        &Entry {
            forward: Some(Target::Client("a".into())),
            ..Entry::default()
        },
        false
    ));
    assert!(!needs_counters(&Entry::default(), true));
}
