//! Native cost of one webhook's pure work: parse the form, verify the
//! signature, decide, render. Prints figures; asserts nothing.
//! Run: `cargo bench --bench native` (scripts/bench.sh runs it).

use std::collections::{BTreeMap, BTreeSet};
use std::hint::black_box;
use std::time::Instant;
use switchboard_core::config::LineConfig;
use switchboard_core::fallback::FallbackPlan;
use switchboard_core::form::Params;
use switchboard_core::masking::call::{decide_call, Indexed, Messages};
use switchboard_core::outbound::{self, Outbound};
use switchboard_core::phone::{Party, E164};
use switchboard_core::render::{callflow, twiml};
use switchboard_core::screening::{
    self, address_book, challenge, graylist::Graylist, Call, Context, Digits, Entry, Facts,
};
use switchboard_core::signature::twilio::{self, Algorithm, Payload};

const URL: &str = "https://switchboard.example.com/voice/incoming";
const TOKEN: &[u8] = b"0123456789abcdef0123456789abcdef";
/// A real inbound voice webhook as Twilio sends it: 27 parameters, among
/// them the caller's and callee's geography and the `CallToken` (a signed
/// token of some 500 bytes, URL-encoded JSON), all covered by the signature.
const BODY: &str = "AccountSid=AC00000000000000000000000000000001&ApiVersion=2010-04-01\
    &CallSid=CA00000000000000000000000000000001&CallStatus=ringing\
    &CallToken=%7B%22parentCallInfoToken%22%3A%22eyJhbGciOiJFUzI1NiJ9.eyJjYWxsU2lkIjoiQ0EwMDAwMDAwMDAw\
MDAwMDAwMDAwMDAwMDAwMDAwMDAxIiwiZnJvbSI6IisxNDE1NTU1MDEwMSIsInRvIjoiKzE0MTU1NTUwMTk5IiwiaWF0IjoiMTc2\
MzY4MDAwMCJ9.c2lnbmF0dXJlLW9mLXRoZS1wYXJlbnQtY2FsbC1pbmZvLXRva2VuLWFzLXR3aWxpby1zZW5kcy1pdA%22%2C%22\
identityHeaderTokens%22%3A%5B%5D%7D\
    &Called=%2B14155550199&CalledCity=SAN+FRANCISCO&CalledCountry=US&CalledState=CA&CalledZip=94105\
    &Caller=%2B14155550101&CallerCity=OAKLAND&CallerCountry=US&CallerState=CA&CallerZip=94612\
    &Direction=inbound&From=%2B14155550101&FromCity=OAKLAND&FromCountry=US&FromState=CA\
    &FromZip=94612&StirVerstat=TN-Validation-Passed-A&To=%2B14155550199&ToCity=SAN+FRANCISCO\
    &ToCountry=US&ToState=CA&ToZip=94105";

/// The webhook's parameters, parsed and verified: the first step of every request.
fn verified(signature: &str) -> Params {
    let p = Params::parse(black_box(BODY)).unwrap();
    twilio::validate(
        URL,
        Payload::Form(&p),
        signature,
        TOKEN,
        Algorithm::HmacSha1,
    )
    .unwrap();
    p
}

/// Median nanoseconds per call over `rounds` rounds of `iters` calls.
/// `cargo bench --bench native -- <words>` runs only the rows whose name
/// contains them (one row at a time under a profiler, say).
fn measure(name: &str, iters: u32, mut f: impl FnMut()) -> f64 {
    let only = std::env::args().skip(1).find(|a| !a.starts_with("--"));
    if only.is_some_and(|words| !name.contains(words.as_str())) {
        return 0.0;
    }
    for _ in 0..iters / 10 {
        f();
    }
    let mut rounds: Vec<f64> = (0..15)
        .map(|_| {
            let t = Instant::now();
            for _ in 0..iters {
                f();
            }
            t.elapsed().as_nanos() as f64 / iters as f64
        })
        .collect();
    rounds.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let median = rounds[rounds.len() / 2];
    println!("{name:<44} {:>9.2} us", median / 1000.0);
    median
}

fn main() {
    // First: what a fresh process pays once for phonenumber's database.
    let t = Instant::now();
    let first = switchboard_numbers::parse_destination("(415) 555-0123", Some("US")).unwrap();
    println!(
        "{:<44} {:>9.2} ms (once per isolate)",
        "phonenumber metadata load + first parse",
        t.elapsed().as_secs_f64() * 1000.0
    );
    black_box(first);

    let params = Params::parse(BODY).unwrap();
    assert_eq!(params.iter().count(), 27, "a real webhook's 27 parameters");
    let signature = twilio::sign(URL, Some(&params), TOKEN, Algorithm::HmacSha1);
    let (plan, _) = FallbackPlan::from_vars(|_| None);

    println!("native, per webhook (median of 15 rounds)");
    measure("parse form", 20_000, || {
        black_box(Params::parse(black_box(BODY)).unwrap());
    });
    measure("parse + verify signature (HMAC-SHA1)", 20_000, || {
        black_box(verified(&signature));
    });
    measure("render TwiML", 20_000, || {
        black_box(twiml::render(black_box(&plan.outcome())));
    });
    measure("fallback: verify + decide + render", 20_000, || {
        black_box(verified(&signature));
        black_box(twiml::render(&plan.outcome()));
    });

    // A screened call: the facts as the store returns them (JSON), parsed,
    // then decide and render. Only the challenge path derives the digits.
    let line_json = r#"{"owner":{"targets":[{"number":"+14155550100"}]},"default_country":"US",
        "voicemail":{"greeting":{"say":"Ada is not available."},"notify":{"sms_to":"+14155550100","sms_from":"+14155550199"}}}"#;
    let parsed = (
        line_json.to_string(),
        LineConfig::from_stored(line_json).unwrap(),
    );
    let screened = |entry_json: &'static str| {
        let signature = signature.clone();
        let parsed = parsed.clone();
        move || {
            let p = verified(&signature);
            let from = Party::from_carrier(p.get("From").unwrap(), false);
            let to = E164::parse(p.get("To").unwrap()).unwrap();
            // As a warm isolate reads it: the stored text (a copy of the
            // isolate's), compared with the one its parsed copy came from
            // (crates/edge/src/store.rs, `line_config`).
            let text = black_box(line_json).to_string();
            let line = if parsed.0 == text {
                parsed.1.clone()
            } else {
                LineConfig::from_stored(&text).unwrap()
            };
            let entry: Entry = serde_json::from_str(black_box(entry_json)).unwrap();
            let graylist: Graylist =
                serde_json::from_str(r#"{"unanswered":1,"failed":0,"applied":["CAx:challenged"]}"#)
                    .unwrap();
            let sid = p.get("CallSid").unwrap();
            let ctx = Context {
                open: true,
                challenge: Digits::Keyed(b"secret".to_vec()),
            };
            let call = Call {
                call_sid: sid,
                from: &from,
                to: &to,
                attested: false,
            };
            let facts = Facts {
                line,
                entry,
                account_blocked: false,
                graylist,
            };
            let d = screening::decide_incoming(&call, &facts, &ctx);
            black_box(serde_json::to_string(&d.graylist).unwrap());
            black_box(twiml::render(&d.outcome));
        }
    };
    measure(
        "screened, address book: verify+decide+render (27 params)",
        20_000,
        screened(r#"{"allow":true}"#),
    );
    measure(
        "screened, challenge: verify+decide+render",
        20_000,
        screened("{}"),
    );
    // The screened call's steps after verification, one at a time.
    measure(
        "  step: line config from its stored JSON (cold)",
        20_000,
        || {
            black_box(LineConfig::from_stored(black_box(line_json)).unwrap());
        },
    );
    measure(
        "  step: line config, warm (text compared, copy cloned)",
        20_000,
        || {
            let text = black_box(line_json).to_string();
            black_box(if parsed.0 == text {
                parsed.1.clone()
            } else {
                LineConfig::from_stored(&text).unwrap()
            });
        },
    );
    measure("  step: entry and counters from JSON", 20_000, || {
        black_box(serde_json::from_str::<Entry>(black_box(r#"{"allow":true}"#)).unwrap());
        black_box(
            serde_json::from_str::<Graylist>(black_box(
                r#"{"unanswered":1,"failed":0,"applied":["CAx:challenged"]}"#,
            ))
            .unwrap(),
        );
    });
    measure("  step: challenge digits (HMAC-SHA256)", 20_000, || {
        black_box(challenge::expected_digits(
            b"secret",
            black_box("CA00000000000000000000000000000001"),
            3,
        ));
    });
    {
        let from = Party::from_carrier("+14155550101", false);
        let to = E164::parse("+14155550199").unwrap();
        let facts = Facts {
            line: LineConfig::from_stored(line_json).unwrap(),
            entry: serde_json::from_str(r#"{"allow":true}"#).unwrap(),
            account_blocked: false,
            graylist: Graylist::default(),
        };
        let ctx = Context {
            open: true,
            challenge: Digits::Keyed(b"secret".to_vec()),
        };
        let call = Call {
            call_sid: "CA00000000000000000000000000000001",
            from: &from,
            to: &to,
            attested: false,
        };
        measure("  step: decide", 20_000, || {
            black_box(screening::decide_incoming(black_box(&call), &facts, &ctx));
        });
        let d = screening::decide_incoming(&call, &facts, &ctx);
        measure("  step: render the connect", 20_000, || {
            black_box(twiml::render(black_box(&d.outcome)));
        });
        // The target's three steps alone, the facts in hand: what the row
        // above it adds is reading the facts (the JSON, the numbers).
        measure(
            "screened, address book: verify+decide+render, facts in hand",
            20_000,
            || {
                black_box(verified(&signature));
                let d = screening::decide_incoming(black_box(&call), &facts, &ctx);
                black_box(twiml::render(&d.outcome));
            },
        );
    }

    // A masked call: the index entry as the store returns it (JSON), the
    // decision, rendered for each carrier.
    let indexed = r#"{"account":"AC00000000000000000000000000000001","pool":"rides","carrier":"twilio",
        "grace_secs":30,"grace_until_ms":230000,"announce":"Connecting you to {name}.","record":true,
        "session":{"id":"KS1","proxy":"+14155550199","a":"+14155550101","b":"+14155550102",
        "created_at_ms":100000,"expires_at_ms":200000,"labels":{"a_name":"Ada"}}}"#;
    let messages = Messages {
        unknown: "This number is not in service.",
        expired: "This conversation has ended.",
    };
    let masked = |render: fn(&switchboard_core::outcome::Outcome) -> String| {
        let signature = signature.clone();
        move || {
            let p = verified(&signature);
            let proxy = E164::parse(p.get("To").unwrap()).unwrap();
            // The other party calls back through the proxy.
            let caller = Party::from_carrier(black_box("+14155550102"), false);
            black_box(p.get("From"));
            let found: Indexed = serde_json::from_str(black_box(indexed)).unwrap();
            let (outcome, reason) = decide_call(Some(&found), &proxy, &caller, 150_000, messages);
            black_box(reason);
            black_box(render(&outcome));
        }
    };
    measure(
        "masked, Twilio: verify+decide+render (27 params)",
        20_000,
        masked(twiml::render),
    );
    measure(
        "masked, MessageBird: decide + render call flow",
        20_000,
        || {
            let proxy = E164::parse(black_box("+14155550199")).unwrap();
            let caller = Party::from_carrier(black_box("+14155550102"), false);
            let found: Indexed = serde_json::from_str(black_box(indexed)).unwrap();
            let (outcome, _) = decide_call(Some(&found), &proxy, &caller, 150_000, messages);
            black_box(callflow::render(&outcome));
        },
    );

    // The address book import's diff: a 500-number file against a line
    // that allows 400 numbers (300 of them in the file) and blocks 50.
    let number = |i: u32| E164::parse(&format!("+1415555{i:04}")).unwrap();
    let wanted: BTreeSet<E164> = (100..600).map(number).collect();
    let existing: BTreeMap<E164, Entry> = (0..450)
        .map(|i| {
            let entry = if i < 400 {
                serde_json::from_str(r#"{"allow":true}"#).unwrap()
            } else {
                serde_json::from_str(r#"{"block":true}"#).unwrap()
            };
            (number(i), entry)
        })
        .collect();
    measure("address book import diff (500 vs 450)", 2_000, || {
        black_box(address_book::import(
            black_box(&wanted),
            black_box(&existing),
        ));
    });

    // Caller-ID selection: parse what was dialled, guard, pick.
    let account: Outbound = Outbound::from_json(
        r#"{"default_number":"+14155550199","country_pools":{"GB":["+442079460001"],"DE":["+493012345601"]},
            "prefix_pools":{"+1415":["+14155550111","+14155550112"]},"default_country":"US"}"#,
    )
    .unwrap();
    for (name, dialled) in [
        (
            "selection: national US spelling (prefix pool)",
            "(415) 555-0123",
        ),
        ("selection: +44 number (country pool)", "+44 20 7946 0958"),
    ] {
        measure(name, 5_000, || {
            let dest =
                switchboard_numbers::parse_destination(black_box(dialled), Some("US")).unwrap();
            outbound::check(&account, &dest).unwrap();
            black_box(outbound::pick(&account, &dest));
        });
    }
}
