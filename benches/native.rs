//! Native cost of one webhook's pure work: parse the form, verify the
//! signature, decide, render. Prints figures; asserts nothing.
//! Run: `cargo bench --bench native` (scripts/bench.sh runs it).

use std::hint::black_box;
use std::time::Instant;
use switchboard::fallback::FallbackPlan;
use switchboard::form::Params;
use switchboard::render::twiml;
use switchboard::signature::twilio::{self, Algorithm, Payload};

const URL: &str = "https://switchboard.example.com/voice/fallback";
const TOKEN: &[u8] = b"0123456789abcdef0123456789abcdef";
const BODY: &str = "AccountSid=AC00000000000000000000000000000001&ApiVersion=2010-04-01\
    &CallSid=CA00000000000000000000000000000001&CallStatus=ringing&Direction=inbound\
    &From=%2B14155550100&To=%2B14155550199&FromCountry=US&ToCountry=US\
    &ErrorCode=11200&ErrorUrl=https%3A%2F%2Fprimary.example.com%2Fvoice";

/// Median nanoseconds per call over `rounds` rounds of `iters` calls.
fn measure(name: &str, iters: u32, mut f: impl FnMut()) -> f64 {
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
    let params = Params::parse(BODY).unwrap();
    let signature = twilio::sign(URL, Some(&params), TOKEN, Algorithm::HmacSha1);
    let (plan, _) = FallbackPlan::from_vars(|_| None);

    println!("native, per webhook (median of 15 rounds)");
    measure("parse form", 20_000, || {
        black_box(Params::parse(black_box(BODY)).unwrap());
    });
    measure("verify signature (HMAC-SHA1)", 20_000, || {
        let p = Params::parse(BODY).unwrap();
        black_box(twilio::validate(
            URL,
            Payload::Form(&p),
            &signature,
            TOKEN,
            Algorithm::HmacSha1,
        ))
        .unwrap();
    });
    measure("render TwiML", 20_000, || {
        black_box(twiml::render(black_box(&plan.outcome())));
    });
    measure("fallback: verify + decide + render", 20_000, || {
        let p = Params::parse(black_box(BODY)).unwrap();
        twilio::validate(
            URL,
            Payload::Form(&p),
            &signature,
            TOKEN,
            Algorithm::HmacSha1,
        )
        .unwrap();
        black_box(twiml::render(&plan.outcome()));
    });
}
