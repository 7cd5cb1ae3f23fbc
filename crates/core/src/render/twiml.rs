//! TwiML, Twilio's dialect. Served as `text/xml`.

use super::xml::{document, Element};
use crate::outcome::{
    AfterDial, ChallengePrompt, Connect, Leg, Outcome, Prompt, Target, Voicemail,
};
use crate::paths::{status_url, step_url, STATUS_EVENTS};

pub const CONTENT_TYPE: &str = "text/xml; charset=utf-8";

pub fn render(outcome: &Outcome) -> String {
    document("Response", verbs(outcome))
}

fn verbs(outcome: &Outcome) -> Vec<Element> {
    match outcome {
        // Reject must stand alone and first, or the call is answered (and billed).
        Outcome::Reject(reason) => vec![Element::new("Reject").attr("reason", reason.as_str())],
        Outcome::Goodbye(prompts) => prompts
            .iter()
            .map(prompt)
            .chain([Element::new("Hangup")])
            .collect(),
        Outcome::Connect(c) => connect(c),
        Outcome::Voicemail(v) => voicemail(v),
        Outcome::Challenge(c) => challenge(c),
        // A <Message> without to/from replies to the sender from the number written to.
        Outcome::Text(reply) => reply
            .iter()
            .map(|t| Element::text("Message", t.as_str()))
            .collect(),
        Outcome::Relay { to, from, body } => vec![Element::text("Message", body.as_str())
            .attr("to", to.as_str())
            .attr("from", from.as_str())],
    }
}

fn challenge(c: &ChallengePrompt) -> Vec<Element> {
    let gather = Element::new("Gather")
        .attr("action", step_url(&c.answer))
        .attr("method", "POST")
        .attr("numDigits", c.digits)
        .attr("timeout", c.timeout_secs)
        // A moment of silence: callers are still lifting the phone to their ear.
        .child(Element::new("Pause").attr("length", 1))
        .child(prompt(&c.prompt));
    // No digits: Gather falls through, and the call ends unanswered.
    vec![gather, Element::new("Hangup")]
}

fn prompt(p: &Prompt) -> Element {
    match (&p.play, &p.say) {
        (Some(url), _) => Element::text("Play", url.as_str()),
        (None, text) => Element::text("Say", text.as_deref().unwrap_or(""))
            .attr_opt("voice", p.voice.as_deref())
            .attr_opt("language", p.language.as_deref()),
    }
}

fn connect(c: &Connect) -> Vec<Element> {
    let mut dial = Element::new("Dial")
        .attr("timeout", c.timeout_secs)
        .attr_opt("callerId", c.caller_id.as_ref().map(|n| n.as_str()));
    if c.record {
        dial = dial.attr("record", "record-from-answer");
    }
    if let AfterDial::Report(step) = &c.after {
        dial = dial.attr("action", step_url(step)).attr("method", "POST");
    }
    let dial = dial.children(c.targets.iter().map(|t| target(t, &c.leg)));
    c.announce.iter().map(prompt).chain([dial]).collect()
}

/// Every number, client and SIP leg reports its progress to the status
/// route, so each call we place has a record. A conference is not a leg.
fn target(t: &Target, leg: &Leg) -> Element {
    let reported = |e: Element| {
        e.attr("statusCallback", status_url(leg))
            .attr("statusCallbackEvent", STATUS_EVENTS)
            .attr("statusCallbackMethod", "POST")
    };
    match t {
        Target::Number(n) => reported(Element::text("Number", n.as_str())),
        Target::Client(id) => reported(Element::text("Client", id.as_str())),
        Target::Sip(uri) => reported(Element::text("Sip", uri.as_str())),
        Target::Conference(room) => Element::text("Conference", room.as_str()),
    }
}

fn voicemail(v: &Voicemail) -> Vec<Element> {
    let mut record = Element::new("Record")
        .attr("action", step_url(&v.recorded))
        .attr("method", "POST")
        .attr("maxLength", v.max_length_secs)
        .attr("playBeep", true);
    if let Some(ready) = &v.recording_ready {
        record = record
            .attr("recordingStatusCallback", step_url(ready))
            .attr("recordingStatusCallbackMethod", "POST");
    }
    // Record posts to its action only when something was recorded; an empty
    // message falls through, and the call should end rather than loop.
    v.greeting
        .iter()
        .map(prompt)
        .chain([record, Element::new("Hangup")])
        .collect()
}

#[cfg(test)]
mod tests {
    // The same tests run compiled to wasm, under Node (scripts/test.sh).
    use super::*;
    use crate::outcome::{RejectReason, Step};
    use crate::phone::E164;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    const DECL: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>";
    /// What every dialled leg carries: where it reports its progress.
    const OUTBOUND: &str = "statusCallback=\"/voice/status?leg=outbound\" \
        statusCallbackEvent=\"initiated ringing answered completed\" statusCallbackMethod=\"POST\"";
    /// A session id is escaped twice: for the URL, then for XML.
    const BRIDGE: &str = "statusCallback=\"/voice/status?leg=masked_bridge&amp;session=KS+1%262\" \
        statusCallbackEvent=\"initiated ringing answered completed\" statusCallbackMethod=\"POST\"";

    fn n(s: &str) -> E164 {
        E164::parse(s).unwrap()
    }

    #[test]
    fn sms_replies() {
        assert_eq!(
            render(&Outcome::Text(Some("Verified & done".into()))),
            format!("{DECL}<Response><Message>Verified &amp; done</Message></Response>")
        );
        assert_eq!(render(&Outcome::Text(None)), format!("{DECL}<Response/>"));
        let relay = Outcome::Relay {
            to: n("+31612345678"),
            from: n("+31970102030"),
            body: "I'm outside <3".into(),
        };
        assert_eq!(
            render(&relay),
            format!(
                "{DECL}<Response><Message from=\"+31970102030\" to=\"+31612345678\">I&apos;m outside &lt;3</Message></Response>"
            )
        );
    }

    #[test]
    fn characters_xml_cannot_carry_are_dropped() {
        assert_eq!(
            render(&Outcome::Text(Some("Meet at gate\x0b5\x1b".into()))),
            format!("{DECL}<Response><Message>Meet at gate5</Message></Response>")
        );
        let out = Outcome::Connect(Connect {
            announce: Some(
                Prompt::say("One\u{0} moment\u{fffe}")
                    .voiced(Some("alice\u{8}"), Some("en-GB\u{ffff}")),
            ),
            targets: vec![
                Target::Client("bob\x00".into()),
                Target::Sip("sip:a\x01@example.com".into()),
                Target::Conference("room\x0c1".into()),
            ],
            caller_id: None,
            timeout_secs: 20,
            record: false,
            after: AfterDial::Hangup,
            leg: Leg::Outbound,
        });
        assert_eq!(
            render(&out),
            format!(
                "{DECL}<Response><Say language=\"en-GB\" voice=\"alice\">One moment</Say>\
                 <Dial timeout=\"20\"><Client {OUTBOUND}>bob</Client><Sip {OUTBOUND}>sip:a@example.com</Sip>\
                 <Conference>room1</Conference></Dial></Response>"
            )
        );
        let relay = Outcome::Relay {
            to: n("+31612345678"),
            from: n("+31970102030"),
            body: "\x1b[31mhi\r\n\x07".into(),
        };
        assert_eq!(
            render(&relay),
            format!(
                "{DECL}<Response><Message from=\"+31970102030\" to=\"+31612345678\">[31mhi&#13;\n</Message></Response>"
            )
        );
    }

    #[test]
    fn reject_is_the_only_verb() {
        assert_eq!(
            render(&Outcome::Reject(RejectReason::Busy)),
            format!("{DECL}<Response><Reject reason=\"busy\"/></Response>")
        );
    }

    #[test]
    fn goodbye_speaks_then_hangs_up() {
        let out = Outcome::Goodbye(vec![
            Prompt::say("Sorry & goodbye <3").voiced(Some("alice"), Some("en-GB")),
            Prompt {
                play: Some("https://example.com/a.mp3?x=1&y=2".into()),
                ..Prompt::say("ignored")
            },
        ]);
        assert_eq!(
            render(&out),
            format!(
                "{DECL}<Response><Say language=\"en-GB\" voice=\"alice\">Sorry &amp; goodbye &lt;3</Say>\
                 <Play>https://example.com/a.mp3?x=1&amp;y=2</Play><Hangup/></Response>"
            )
        );
    }

    #[test]
    fn connect_dials_every_kind_of_target() {
        let out = Outcome::Connect(Connect {
            announce: Some(Prompt::say("Connecting you")),
            targets: vec![
                Target::Number(n("+14155550100")),
                Target::Client("alice".into()),
                Target::Sip("sip:desk@example.com".into()),
                Target::Conference("room \"1\"".into()),
            ],
            caller_id: Some(n("+14155550199")),
            timeout_secs: 20,
            record: true,
            after: AfterDial::Hangup,
            leg: Leg::MaskedBridge {
                session: "KS 1&2".into(),
            },
        });
        assert_eq!(
            render(&out),
            format!(
                "{DECL}<Response><Say>Connecting you</Say>\
                 <Dial callerId=\"+14155550199\" record=\"record-from-answer\" timeout=\"20\">\
                 <Number {BRIDGE}>+14155550100</Number><Client {BRIDGE}>alice</Client>\
                 <Sip {BRIDGE}>sip:desk@example.com</Sip><Conference>room &quot;1&quot;</Conference>\
                 </Dial></Response>"
            )
        );
    }

    #[test]
    fn voicemail_records_with_a_callback_then_hangs_up() {
        let out = Outcome::Voicemail(Voicemail {
            greeting: Some(Prompt::say("Leave a message")),
            max_length_secs: 120,
            recorded: Step::FallbackRecorded,
            recording_ready: Some(Step::FallbackDialed),
        });
        assert_eq!(
            render(&out),
            format!(
                "{DECL}<Response><Say>Leave a message</Say>\
                 <Record action=\"/voice/fallback/recorded\" maxLength=\"120\" method=\"POST\" \
                 playBeep=\"true\" recordingStatusCallback=\"/voice/fallback/dialed\" \
                 recordingStatusCallbackMethod=\"POST\"/><Hangup/></Response>"
            )
        );
    }
}
