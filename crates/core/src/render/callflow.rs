//! MessageBird's call-flow XML. A fetched call flow is one step, the root
//! element of the document (`<Transfer/>`, `<Say>`, `<Hangup/>`), served as
//! `application/xml`. Numbers are written without `+`, as MessageBird does.

use super::xml::{single, Element};
use crate::outcome::{Outcome, Prompt, Target};

pub const CONTENT_TYPE: &str = "application/xml";

pub fn render(outcome: &Outcome) -> String {
    single(step(outcome))
}

fn step(outcome: &Outcome) -> Element {
    match outcome {
        // mask="true": the callee sees the proxy number, not the caller.
        Outcome::Connect(c) => match c.targets.first() {
            Some(Target::Number(n)) => Element::new("Transfer")
                .attr("destination", n.digits())
                .attr("mask", true),
            _ => Element::new("Hangup"),
        },
        Outcome::Goodbye(prompts) => prompts
            .first()
            .map(say)
            .unwrap_or_else(|| Element::new("Hangup")),
        // No unanswered rejection exists here; the nearest is ending at once.
        Outcome::Reject(_)
        | Outcome::Voicemail(_)
        | Outcome::Challenge(_)
        | Outcome::Text(_)
        | Outcome::Relay { .. } => Element::new("Hangup"),
    }
}

/// MessageBird's speech takes `male`/`female` and a language tag; anything
/// else (a Twilio voice name) falls back to its defaults.
fn say(p: &Prompt) -> Element {
    if let Some(url) = &p.play {
        return Element::new("Play").attr("media", url);
    }
    let voice = p
        .voice
        .as_deref()
        .filter(|v| matches!(*v, "male" | "female"))
        .unwrap_or("female");
    Element::text("Say", p.say.as_deref().unwrap_or(""))
        .attr("language", p.language.as_deref().unwrap_or("en-GB"))
        .attr("voice", voice)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outcome::{AfterDial, Connect, Leg, RejectReason};
    use crate::phone::E164;
    // The same tests run compiled to wasm, under Node (scripts/test.sh).
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    const DECL: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>";

    #[test]
    fn a_connect_is_a_masked_transfer_without_plus() {
        let out = Outcome::Connect(Connect {
            announce: Some(Prompt::say("not spoken here")),
            targets: vec![Target::Number(E164::parse("+31612345678").unwrap())],
            caller_id: Some(E164::parse("+31970102030").unwrap()),
            timeout_secs: 30,
            record: false,
            after: AfterDial::Hangup,
            leg: Leg::MaskedBridge {
                session: "KS1".into(),
            },
        });
        assert_eq!(
            render(&out),
            format!("{DECL}<Transfer destination=\"31612345678\" mask=\"true\"/>")
        );
    }

    #[test]
    fn the_guide_s_message_renders_as_it_did() {
        let out = Outcome::Goodbye(vec![Prompt::say(
            "Sorry, we cannot identify your transaction. Make sure you call in from the number you registered.",
        )
        .voiced(Some("female"), Some("en-GB"))]);
        assert_eq!(
            render(&out),
            format!(
                "{DECL}<Say language=\"en-GB\" voice=\"female\">Sorry, we cannot identify your transaction. \
                 Make sure you call in from the number you registered.</Say>"
            )
        );
    }

    #[test]
    fn characters_xml_cannot_carry_are_dropped() {
        let out = Outcome::Goodbye(vec![Prompt::say("Sorry\u{0}, goodbye\x1b.\u{ffff}")
            .voiced(Some("male"), Some("nl-NL\u{b}"))]);
        assert_eq!(
            render(&out),
            format!("{DECL}<Say language=\"nl-NL\" voice=\"male\">Sorry, goodbye.</Say>")
        );
        let play = Outcome::Goodbye(vec![Prompt {
            play: Some("https://example.com/a\u{1}.mp3?x=1&y=\u{fffe}2".into()),
            ..Prompt::say("")
        }]);
        assert_eq!(
            render(&play),
            format!("{DECL}<Play media=\"https://example.com/a.mp3?x=1&amp;y=2\"/>")
        );
    }

    #[test]
    fn other_voices_fall_back_and_text_is_escaped() {
        let out = Outcome::Goodbye(vec![
            Prompt::say("Tom & <Jerry>").voiced(Some("Polly.Amy"), None)
        ]);
        assert_eq!(
            render(&out),
            format!("{DECL}<Say language=\"en-GB\" voice=\"female\">Tom &amp; &lt;Jerry&gt;</Say>")
        );
        assert_eq!(
            render(&Outcome::Goodbye(vec![])),
            format!("{DECL}<Hangup/>")
        );
        assert_eq!(
            render(&Outcome::Reject(RejectReason::Busy)),
            format!("{DECL}<Hangup/>")
        );
    }
}
