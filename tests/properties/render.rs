//! `render::twiml` and `render::callflow`: whatever an outcome holds, the
//! carrier gets well-formed XML 1.0 whose text is what was meant, minus only
//! the characters XML cannot carry.

use crate::{carriable, cases, is_xml_char, nasty_char};
use proptest::prelude::*;
use quick_xml::escape::resolve_predefined_entity;
use quick_xml::events::Event;
use quick_xml::{Reader, XmlVersion};
use switchboard_core::outcome::{
    AfterDial, ChallengePrompt, Connect, Leg, Outcome, Prompt, RejectReason, Step, Target,
    Voicemail,
};
use switchboard_core::phone::E164;
use switchboard_core::render::{callflow, twiml};

/// Text as callers, carriers and configuration may send it, with XML's
/// forbidden characters, markup and whitespace well represented.
fn text() -> impl Strategy<Value = String> {
    let c = prop_oneof![
        3 => nasty_char(),
        1 => prop::char::range('\u{0}', '\u{1f}'),
        1 => prop::sample::select(vec!['\u{fffe}', '\u{ffff}', '\r', '\n', '\t', '&', '<', ']', '>']),
    ];
    prop::collection::vec(c, 0..24).prop_map(|c| c.into_iter().collect())
}

fn number() -> impl Strategy<Value = E164> {
    "\\+(1[2-9][0-9]{9}|44[1-9][0-9]{9}|31[1-9][0-9]{8}|800[0-9]{8})"
        .prop_map(|s| E164::parse(&s).expect("the pattern is E.164"))
}

fn prompt() -> impl Strategy<Value = Prompt> {
    let voice = prop_oneof![
        Just("male".to_string()),
        Just("female".to_string()),
        Just("Polly.Amy".to_string()),
        text(),
    ];
    (
        prop::option::of(text()),
        prop::option::weighted(0.2, text()),
        prop::option::of(voice),
        prop::option::of(text()),
    )
        .prop_map(|(say, play, voice, language)| Prompt {
            say,
            play,
            voice,
            language,
        })
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        Just(Step::ChallengeAnswer),
        prop::option::of(0..10usize).prop_map(|next| Step::Dialed { next }),
        Just(Step::VoicemailRecorded),
        Just(Step::VoicemailReady),
        Just(Step::FallbackDialed),
        Just(Step::FallbackRecorded),
    ]
}

fn target() -> impl Strategy<Value = Target> {
    prop_oneof![
        number().prop_map(Target::Number),
        text().prop_map(Target::Client),
        text().prop_map(|t| Target::Sip(format!("sip:{t}"))),
        text().prop_map(Target::Conference),
    ]
}

fn outcome() -> impl Strategy<Value = Outcome> {
    prop_oneof![
        prop_oneof![Just(RejectReason::Rejected), Just(RejectReason::Busy)]
            .prop_map(Outcome::Reject),
        prop::collection::vec(prompt(), 0..3).prop_map(Outcome::Goodbye),
        (
            prop::option::of(prompt()),
            prop::collection::vec(target(), 0..4),
            prop::option::of(number()),
            any::<u32>(),
            any::<bool>(),
            prop::option::of(step()),
            // A masked bridge's session id rides in the status URL.
            prop::option::of(text()),
        )
            .prop_map(
                |(announce, targets, caller_id, timeout_secs, record, after, session)| {
                    Outcome::Connect(Connect {
                        announce,
                        targets,
                        caller_id,
                        timeout_secs,
                        record,
                        after: after.map_or(AfterDial::Hangup, AfterDial::Report),
                        leg: session
                            .map_or(Leg::OwnerDial, |session| Leg::MaskedBridge { session }),
                    })
                }
            ),
        (
            prop::option::of(prompt()),
            any::<u32>(),
            step(),
            prop::option::of(step())
        )
            .prop_map(|(greeting, max_length_secs, recorded, recording_ready)| {
                Outcome::Voicemail(Voicemail {
                    greeting,
                    max_length_secs,
                    recorded,
                    recording_ready,
                })
            }),
        (prompt(), any::<u8>(), any::<u32>(), step()).prop_map(
            |(prompt, digits, timeout_secs, answer)| {
                Outcome::Challenge(ChallengePrompt {
                    prompt,
                    digits,
                    timeout_secs,
                    answer,
                })
            }
        ),
        prop::option::of(text()).prop_map(Outcome::Text),
        (number(), number(), text()).prop_map(|(to, from, body)| Outcome::Relay { to, from, body }),
    ]
}

/// An element as a conforming parser reads it back: references resolved,
/// line ends and attribute whitespace normalised.
#[derive(Debug, Clone, PartialEq)]
struct Node {
    name: String,
    attrs: Vec<(String, String)>,
    text: Option<String>,
    children: Vec<Node>,
}

/// Reads `xml` strictly: declaration, one root, nothing but elements and text.
fn parse(xml: &str) -> Result<Node, String> {
    if let Some(bad) = xml.chars().find(|&c| !is_xml_char(c)) {
        return Err(format!("{bad:?} is not an XML 1.0 character"));
    }
    let mut reader = Reader::from_str(xml);
    let mut stack: Vec<Node> = Vec::new();
    let mut root = None;
    let mut declared = false;
    loop {
        let event = reader.read_event().map_err(|e| e.to_string())?;
        let open = |e: &quick_xml::events::BytesStart| -> Result<Node, String> {
            let attrs = e
                .attributes()
                .map(|a| {
                    let a = a.map_err(|e| e.to_string())?;
                    let value = a
                        .normalized_value(XmlVersion::Implicit1_0)
                        .map_err(|e| e.to_string())?;
                    Ok((
                        String::from_utf8_lossy(a.key.as_ref()).into_owned(),
                        value.into_owned(),
                    ))
                })
                .collect::<Result<_, String>>()?;
            let name = String::from_utf8_lossy(e.name().as_ref()).into_owned();
            Ok(Node {
                name,
                attrs,
                text: None,
                children: Vec::new(),
            })
        };
        let text = |stack: &mut Vec<Node>, s: &str| -> Result<(), String> {
            let top = stack.last_mut().ok_or("text outside the root")?;
            top.text.get_or_insert_with(String::new).push_str(s);
            Ok(())
        };
        match event {
            Event::Decl(_) if !declared && root.is_none() && stack.is_empty() => declared = true,
            Event::Start(e) => stack.push(open(&e)?),
            Event::Empty(e) => {
                let node = open(&e)?;
                match stack.last_mut() {
                    Some(parent) => parent.children.push(node),
                    None if root.is_none() => root = Some(node),
                    None => return Err("a second root".into()),
                }
            }
            Event::End(_) => {
                let mut node = stack.pop().ok_or("end without start")?;
                // `<Say></Say>`: text, empty.
                if node.children.is_empty() && node.text.is_none() {
                    node.text = Some(String::new());
                }
                match stack.last_mut() {
                    Some(parent) => parent.children.push(node),
                    None if root.is_none() => root = Some(node),
                    None => return Err("a second root".into()),
                }
            }
            Event::Text(t) => text(&mut stack, &t.xml10_content().map_err(|e| e.to_string())?)?,
            Event::GeneralRef(r) => {
                let resolved = match r.resolve_char_ref().map_err(|e| e.to_string())? {
                    Some(c) => c.to_string(),
                    None => {
                        let name = r.decode().map_err(|e| e.to_string())?;
                        resolve_predefined_entity(&name)
                            .ok_or(format!("unknown entity {name}"))?
                            .to_string()
                    }
                };
                text(&mut stack, &resolved)?;
            }
            Event::Eof => break,
            other => return Err(format!("unexpected {other:?}")),
        }
    }
    if !declared {
        return Err("no XML declaration".into());
    }
    if !stack.is_empty() {
        return Err("unclosed element".into());
    }
    let root = root.ok_or("no root element")?;
    if root.text.is_some() && !root.children.is_empty() {
        return Err("mixed content".into());
    }
    Ok(root)
}

/// `(element, text)` of every element that has text, in document order.
fn texts(node: &Node, out: &mut Vec<(String, String)>) {
    if let Some(t) = &node.text {
        out.push((node.name.clone(), t.clone()));
    }
    node.children.iter().for_each(|c| texts(c, out));
}

/// `(element, attribute, value)` in document order.
fn attrs(node: &Node, out: &mut Vec<(String, String, String)>) {
    for (k, v) in &node.attrs {
        out.push((node.name.clone(), k.clone(), v.clone()));
    }
    node.children.iter().for_each(|c| attrs(c, out));
}

type Texts = Vec<(String, String)>;

fn pair(name: &str, text: &str) -> (String, String) {
    (name.to_string(), carriable(text))
}

/// What TwiML must say, in order: each prompt, target, message.
fn twiml_texts(outcome: &Outcome) -> Texts {
    let prompt = |p: &Prompt| match (&p.play, &p.say) {
        (Some(url), _) => pair("Play", url),
        (None, say) => pair("Say", say.as_deref().unwrap_or("")),
    };
    match outcome {
        Outcome::Reject(_) => vec![],
        Outcome::Goodbye(prompts) => prompts.iter().map(prompt).collect(),
        Outcome::Connect(c) => c
            .announce
            .iter()
            .map(prompt)
            .chain(c.targets.iter().map(|t| match t {
                Target::Number(n) => pair("Number", n.as_str()),
                Target::Client(id) => pair("Client", id),
                Target::Sip(uri) => pair("Sip", uri),
                Target::Conference(room) => pair("Conference", room),
            }))
            .collect(),
        Outcome::Voicemail(v) => v.greeting.iter().map(prompt).collect(),
        Outcome::Challenge(c) => vec![prompt(&c.prompt)],
        Outcome::Text(reply) => reply.iter().map(|t| pair("Message", t)).collect(),
        Outcome::Relay { body, .. } => vec![pair("Message", body)],
    }
}

/// The voices and languages TwiML must carry, in order.
fn twiml_voices(outcome: &Outcome) -> Vec<(String, String, String)> {
    let prompts: Vec<&Prompt> = match outcome {
        Outcome::Goodbye(p) => p.iter().collect(),
        Outcome::Connect(c) => c.announce.iter().collect(),
        Outcome::Voicemail(v) => v.greeting.iter().collect(),
        Outcome::Challenge(c) => vec![&c.prompt],
        _ => vec![],
    };
    let mut out = Vec::new();
    for p in prompts.into_iter().filter(|p| p.play.is_none()) {
        // Attributes are written sorted: language before voice.
        for (name, value) in [("language", &p.language), ("voice", &p.voice)] {
            if let Some(v) = value {
                out.push(("Say".to_string(), name.to_string(), carriable(v)));
            }
        }
    }
    out
}

fn check_twiml(outcome: &Outcome) -> Result<(), TestCaseError> {
    let xml = twiml::render(outcome);
    let root = parse(&xml).map_err(|e| TestCaseError::fail(format!("{e}: {xml:?}")))?;
    prop_assert_eq!(root.name.as_str(), "Response");
    let mut got = Vec::new();
    texts(&root, &mut got);
    prop_assert_eq!(got, twiml_texts(outcome), "{}", xml);
    let mut all = Vec::new();
    attrs(&root, &mut all);
    let voices: Vec<_> = all
        .into_iter()
        .filter(|(el, name, _)| el == "Say" && (name == "voice" || name == "language"))
        .collect();
    prop_assert_eq!(voices, twiml_voices(outcome), "{}", xml);
    if let Outcome::Relay { to, from, .. } = outcome {
        let message = &root.children[0];
        prop_assert_eq!(
            &message.attrs,
            &vec![
                ("from".to_string(), from.as_str().to_string()),
                ("to".to_string(), to.as_str().to_string()),
            ]
        );
    }
    Ok(())
}

fn check_callflow(outcome: &Outcome) -> Result<(), TestCaseError> {
    let xml = callflow::render(outcome);
    let root = parse(&xml).map_err(|e| TestCaseError::fail(format!("{e}: {xml:?}")))?;
    prop_assert!(root.children.is_empty(), "one step per document: {}", xml);
    match outcome {
        Outcome::Goodbye(prompts) if !prompts.is_empty() => {
            let p = &prompts[0];
            match &p.play {
                Some(url) => {
                    prop_assert_eq!(root.name.as_str(), "Play");
                    prop_assert_eq!(&root.attrs, &vec![("media".to_string(), carriable(url))]);
                }
                None => {
                    let voice = p
                        .voice
                        .as_deref()
                        .filter(|v| matches!(*v, "male" | "female"));
                    let want = vec![
                        (
                            "language".to_string(),
                            carriable(p.language.as_deref().unwrap_or("en-GB")),
                        ),
                        ("voice".to_string(), voice.unwrap_or("female").to_string()),
                    ];
                    prop_assert_eq!(root.name.as_str(), "Say");
                    prop_assert_eq!(&root.attrs, &want);
                    prop_assert_eq!(root.text, Some(carriable(p.say.as_deref().unwrap_or(""))));
                }
            }
        }
        Outcome::Connect(c) if matches!(c.targets.first(), Some(Target::Number(_))) => {
            prop_assert_eq!(root.name.as_str(), "Transfer");
        }
        _ => prop_assert_eq!(root.name.as_str(), "Hangup"),
    }
    Ok(())
}

proptest! {
    #![proptest_config(cases(512))]

    #[test]
    fn twiml_is_well_formed_and_says_what_was_meant(outcome in outcome()) {
        check_twiml(&outcome)?;
    }

    #[test]
    fn call_flows_are_well_formed_and_say_what_was_meant(outcome in outcome()) {
        check_callflow(&outcome)?;
    }
}
