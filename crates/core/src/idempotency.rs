//! Idempotency keys for the API's POSTs that do something outside
//! (`POST …/calls`, `…/verifications`, `…/pools/{pool}/sessions`): the
//! first request with a key runs; a repeat within [`KEEP_MS`] gets the
//! first answer again and does nothing. Decided here, pure; kept in one
//! `Ledger` object per (account, route, key), which runs one request at a
//! time, so a burst of repeats is exact.
//!
//! Rules (Stripe's, for the same reasons):
//! - a request refused before it ran (unreadable, invalid) claims nothing;
//! - an answer in 2xx is kept and replayed;
//! - any other answer (4xx after it ran, 5xx, the carrier failing) lets
//!   the key go, so the client can retry with the same key once it fixed
//!   the request or the outage passed, and nothing was done the first time;
//! - the same key with another body is refused (422) while it is kept;
//! - a repeat while the first still runs waits a little, then gets 409.

use serde::{Deserialize, Serialize};

/// How long an answer is kept for repeats.
pub const KEEP_MS: u64 = 24 * 3_600_000;
/// How long a running first request holds its key: past this, a worker
/// that died mid-request no longer blocks a retry.
pub const LEASE_MS: u64 = 60_000;

/// What the key's ledger remembers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Remembered {
    /// The request's method, path and body, hashed.
    pub fingerprint: String,
    pub state: Run,
    /// Forgotten after this (the first request's time plus [`KEEP_MS`]).
    pub keep_until_ms: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "run", rename_all = "snake_case")]
pub enum Run {
    Running {
        lease_until_ms: u64,
    },
    Done {
        status: u16,
        body: serde_json::Value,
    },
}

/// A request to a key's ledger.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum KeyOp {
    Begin {
        fingerprint: String,
    },
    Finish {
        fingerprint: String,
        status: u16,
        body: serde_json::Value,
    },
    Abandon {
        fingerprint: String,
    },
}

/// What a key's ledger answered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "answer", rename_all = "snake_case")]
pub enum KeyReply {
    /// Run it: the key is held for this request.
    Begun,
    /// The same request is running.
    InProgress,
    /// The key was used with another request.
    Reused,
    /// The first answer, to give again.
    Done {
        status: u16,
        body: serde_json::Value,
    },
    /// Noted (a finish or an abandon).
    Noted,
}

/// A request arriving with the key: the answer, and what to remember.
pub fn begin(
    current: Option<&Remembered>,
    fingerprint: &str,
    now_ms: u64,
) -> (KeyReply, Option<Remembered>) {
    let fresh = || {
        Some(Remembered {
            fingerprint: fingerprint.to_string(),
            state: Run::Running {
                lease_until_ms: now_ms + LEASE_MS,
            },
            keep_until_ms: now_ms + KEEP_MS,
        })
    };
    match current {
        Some(r) if r.keep_until_ms > now_ms => match &r.state {
            Run::Done { .. } if r.fingerprint != fingerprint => (KeyReply::Reused, None),
            Run::Done { status, body } => (
                KeyReply::Done {
                    status: *status,
                    body: body.clone(),
                },
                None,
            ),
            Run::Running { lease_until_ms } if *lease_until_ms > now_ms => {
                if r.fingerprint == fingerprint {
                    (KeyReply::InProgress, None)
                } else {
                    (KeyReply::Reused, None)
                }
            }
            // The first request's worker died: the key is free again.
            Run::Running { .. } => (KeyReply::Begun, fresh()),
        },
        _ => (KeyReply::Begun, fresh()),
    }
}

/// The first request answered: a 2xx is kept, anything else lets the key
/// go (`None`: forget it). Only the request that holds the key settles it.
pub fn finish(
    current: Option<&Remembered>,
    fingerprint: &str,
    status: u16,
    body: serde_json::Value,
) -> Option<Option<Remembered>> {
    let r = current
        .filter(|r| r.fingerprint == fingerprint && matches!(r.state, Run::Running { .. }))?;
    if !(200..300).contains(&status) {
        return Some(None);
    }
    Some(Some(Remembered {
        state: Run::Done { status, body },
        ..r.clone()
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn run(fp: &str, now: u64) -> Remembered {
        begin(None, fp, now).1.unwrap()
    }

    #[test]
    fn the_first_runs_a_repeat_waits_then_replays() {
        let running = run("A", 0);
        assert_eq!(begin(Some(&running), "A", 10).0, KeyReply::InProgress);
        assert_eq!(begin(Some(&running), "B", 10).0, KeyReply::Reused);
        let done = finish(Some(&running), "A", 201, serde_json::json!({"sid": "CA1"}))
            .unwrap()
            .unwrap();
        assert_eq!(
            begin(Some(&done), "A", 20).0,
            KeyReply::Done {
                status: 201,
                body: serde_json::json!({"sid": "CA1"})
            }
        );
        assert_eq!(begin(Some(&done), "B", 20).0, KeyReply::Reused);
        // A day later the key is new again.
        assert_eq!(begin(Some(&done), "B", KEEP_MS).0, KeyReply::Begun);
    }

    #[test]
    fn a_failure_lets_the_key_go_and_only_the_holder_settles() {
        let running = run("A", 0);
        assert_eq!(
            finish(Some(&running), "A", 502, serde_json::Value::Null),
            Some(None)
        );
        assert_eq!(
            finish(Some(&running), "A", 422, serde_json::Value::Null),
            Some(None)
        );
        assert_eq!(
            finish(Some(&running), "B", 201, serde_json::Value::Null),
            None
        );
        assert_eq!(finish(None, "A", 201, serde_json::Value::Null), None);
    }

    #[test]
    fn a_first_request_that_died_frees_its_key_after_the_lease() {
        let running = run("A", 0);
        assert_eq!(
            begin(Some(&running), "A", LEASE_MS - 1).0,
            KeyReply::InProgress
        );
        let (reply, next) = begin(Some(&running), "A", LEASE_MS);
        assert_eq!(reply, KeyReply::Begun);
        assert_eq!(next.unwrap().keep_until_ms, LEASE_MS + KEEP_MS);
    }
}
