//! `config::LineConfig` and `outbound::Outbound`: what the management API
//! accepts is what KV holds and the call path reads back.

use crate::{cases, nasty_string};
use proptest::prelude::*;
use serde_json::{json, Map, Value};
use switchboard_core::config::LineConfig;
use switchboard_core::outbound::Outbound;

/// The README's line config, every field set.
pub fn full_line() -> Value {
    json!({
        "owner": {
            "targets": [{ "client": "front-desk" }, { "number": "+14155550100" },
                        { "sip": "sip:desk@example.com" }, { "conference": "team" }],
            "ring": "in_turn", "timeout_secs": 20, "caller_id": "line", "record": false
        },
        "default_country": "US", "reject_reason": "busy", "withheld": "voicemail",
        "skip_challenge_when_attested": true, "voice": "Polly.Joanna", "language": "en-US",
        "challenge": {
            "digits": 3, "timeout_secs": 10, "threshold": 3,
            "prefix": "Please enter", "suffix": "followed by the pound key.",
            "failed_message": "Sorry, that was not right. Goodbye.",
            "final_message": "Sorry, that was not right again. Goodbye.",
            "on_success": "voicemail", "voice": "alice", "language": "en-GB"
        },
        "voicemail": {
            "greeting": { "say": "Please leave a message after the tone." },
            "max_length_secs": 120,
            "notify": { "sms_to": "+14155550100", "sms_from": "+14155550199",
                        "webhook_url": "https://example.com/hooks/voicemail" }
        },
        "hours": {
            "time_zone": "America/New_York",
            "open": { "mon": ["09:00-12:00", "13:00-17:30"], "tue": ["09:00-17:30"] },
            "closed_greeting": { "play": "https://example.com/closed.mp3" }
        }
    })
}

/// The README's outbound config, every field set.
pub fn full_outbound() -> Value {
    json!({
        "default_number": "+14155550199",
        "country_pools": { "GB": ["+442079460001"], "DE": ["+493012345601"] },
        "prefix_pools": { "+1415": ["+14155550111", "+14155550112"], "+447": ["+447700900001"] },
        "default_country": "US",
        "guard": {
            "allowed_countries": ["US", "GB"], "blocked_prefixes": ["+882", "+883"],
            "allow_premium": false,
            "max_calls_per_destination_per_hour": 5, "max_calls_per_account_per_hour": 100
        },
        "verification": {
            "code_length": 6, "ttl_secs": 600, "max_attempts": 5, "languages": { "DE": "de-DE" },
            "sms_text": "Your verification code is {code}.", "voice_text": "Your verification code is"
        }
    })
}

/// Field names of both schemas, so generated objects get past the top level.
const KEYS: &[&str] = &[
    "owner",
    "targets",
    "number",
    "client",
    "sip",
    "conference",
    "ring",
    "timeout_secs",
    "caller_id",
    "record",
    "default_country",
    "challenge",
    "digits",
    "prefix",
    "suffix",
    "threshold",
    "failed_message",
    "final_message",
    "on_success",
    "voice",
    "language",
    "voicemail",
    "greeting",
    "say",
    "play",
    "max_length_secs",
    "notify",
    "sms_to",
    "sms_from",
    "webhook_url",
    "reject_reason",
    "skip_challenge_when_attested",
    "withheld",
    "hours",
    "time_zone",
    "open",
    "closed_greeting",
    "mon",
    "sun",
    "default_number",
    "country_pools",
    "prefix_pools",
    "guard",
    "allowed_countries",
    "blocked_prefixes",
    "allow_premium",
    "max_calls_per_destination_per_hour",
    "max_calls_per_account_per_hour",
    "verification",
    "code_length",
    "ttl_secs",
    "max_attempts",
    "languages",
    "sms_text",
    "voice_text",
    "GB",
    "US",
    "+1415",
    "+44",
];

/// Values the schemas use, and their near misses.
const STRINGS: &[&str] = &[
    "+14155550100",
    "+442079460001",
    "4155550100",
    "+1",
    "+",
    "sip:desk@example.com",
    "sips:x",
    "desk@example.com",
    "https://example.com/a.mp3",
    "ftp://x",
    "09:00-17:30",
    "17:00-09:00",
    "24:00-24:01",
    "00:00-24:00",
    "US",
    "GB",
    "UK",
    "us",
    "ZZ",
    "001",
    "in_turn",
    "together",
    "line",
    "caller",
    "busy",
    "rejected",
    "voicemail",
    "challenge",
    "reject",
    "owner",
    "+882",
    "{code}",
    "Code {code}",
    "de-DE",
    "America/New_York",
    " ",
    "",
];

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        (0u64..200).prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        prop::sample::select(STRINGS).prop_map(Value::from),
        nasty_string(12).prop_map(Value::from),
    ]
}

fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => prop::sample::select(KEYS).prop_map(str::to_string),
        1 => nasty_string(6),
    ]
}

fn value() -> impl Strategy<Value = Value> {
    leaf().prop_recursive(5, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec((key(), inner), 0..6)
                .prop_map(|fields| Value::Object(fields.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

/// One change somewhere in a JSON tree, the place taken modulo the node count.
#[derive(Debug, Clone)]
enum Mutation {
    Replace(prop::sample::Index, Value),
    Remove(prop::sample::Index),
    Insert(prop::sample::Index, String, Value),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<prop::sample::Index>(), value()).prop_map(|(at, v)| Mutation::Replace(at, v)),
        any::<prop::sample::Index>().prop_map(Mutation::Remove),
        (any::<prop::sample::Index>(), key(), value())
            .prop_map(|(at, k, v)| Mutation::Insert(at, k, v)),
    ]
}

/// JSON Pointers of every node, the root first.
fn pointers(v: &Value, at: String, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            for (k, child) in m {
                pointers(
                    child,
                    format!("{at}/{}", k.replace('~', "~0").replace('/', "~1")),
                    out,
                );
            }
        }
        Value::Array(a) => {
            for (i, child) in a.iter().enumerate() {
                pointers(child, format!("{at}/{i}"), out);
            }
        }
        _ => {}
    }
    out.push(at);
}

fn mutate(mut v: Value, m: &Mutation) -> Value {
    let mut all = Vec::new();
    pointers(&v, String::new(), &mut all);
    let pick = |at: &prop::sample::Index| all[at.index(all.len())].clone();
    match m {
        Mutation::Replace(at, new) => {
            if let Some(node) = v.pointer_mut(&pick(at)) {
                *node = new.clone();
            }
        }
        Mutation::Remove(at) => {
            let p = pick(at);
            if let Some((parent, last)) = p.rsplit_once('/') {
                let last = last.replace("~1", "/").replace("~0", "~");
                match v.pointer_mut(parent) {
                    Some(Value::Object(m)) => {
                        m.remove(&last);
                    }
                    Some(Value::Array(a)) => {
                        if let Ok(i) = last.parse::<usize>() {
                            a.remove(i);
                        }
                    }
                    _ => {}
                }
            }
        }
        Mutation::Insert(at, key, new) => match v.pointer_mut(&pick(at)) {
            Some(Value::Object(m)) => {
                m.insert(key.clone(), new.clone());
            }
            Some(Value::Array(a)) => a.push(new.clone()),
            _ => {}
        },
    }
    v
}

fn near(base: fn() -> Value) -> impl Strategy<Value = Value> {
    prop_oneof![
        1 => value(),
        4 => prop::collection::vec(mutation(), 1..4)
            .prop_map(move |ms| ms.iter().fold(base(), mutate)),
    ]
}

proptest! {
    #![proptest_config(cases(384))]

    #[test]
    fn any_text_is_parsed_or_refused(text in prop_oneof![any::<String>(), nasty_string(24)]) {
        let _ = LineConfig::from_json(&text);
        let _ = Outbound::from_json(&text);
    }

    #[test]
    fn an_accepted_line_config_validates_and_reads_back(v in near(full_line)) {
        if let Ok(config) = LineConfig::from_json(&v.to_string()) {
            prop_assert_eq!(config.validate(), Ok(()));
            let stored = serde_json::to_string(&config).expect("a config serialises");
            prop_assert_eq!(LineConfig::from_json(&stored), Ok(config));
        }
    }

    #[test]
    fn an_accepted_outbound_config_validates_and_reads_back(v in near(full_outbound)) {
        if let Ok(config) = Outbound::from_json(&v.to_string()) {
            prop_assert_eq!(config.validate(), Ok(()));
            let stored = serde_json::to_string(&config).expect("a config serialises");
            prop_assert_eq!(Outbound::from_json(&stored), Ok(config));
        }
    }
}
