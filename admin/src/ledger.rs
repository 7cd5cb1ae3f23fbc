//! The `Ledger` Durable Object: one per scope (an account's rate counters,
//! one code in flight, one proxy number's owner, one MessageBird token, one
//! voicemail's notifications). It runs one request at a time and its storage
//! calls hold other requests back, so each check-and-update in
//! `switchboard_core::ledger` is atomic, at any edge location. Storage is cleared by an
//! alarm once nothing in it can matter any more.

use switchboard_core::idempotency::{self, KeyOp, KeyReply, Remembered};
use switchboard_core::ledger::{self, hour_of, Answer, Claim, Op, Reply};
use switchboard_core::outbound::verification::{self, Next, Pending};
use switchboard_edge::objects::answer;
use switchboard_edge::{clock, settings};
use worker::{durable_object, DurableObject, Env, Request, Response, Result, State};

#[durable_object]
pub struct Ledger {
    state: State,
    env: Env,
}

const PENDING: &str = "pending";
/// An idempotency key's memory (`switchboard_core::idempotency`).
const REMEMBERED: &str = "idempotency";

/// The calls worker sends [`Op`]s only; the API's idempotency keys are
/// [`KeyOp`]s, a type of their own so the call path's wasm carries none of
/// their serializers.
#[derive(serde::Deserialize)]
#[serde(untagged)]
enum LedgerRequest {
    Op(Op),
    Key(KeyOp),
}

fn claim_key(key: &str) -> String {
    format!("claim:{key}")
}

fn count_key(hour: u64, key: &str) -> String {
    format!("count:{hour}:{key}")
}

impl DurableObject for Ledger {
    fn new(state: State, env: Env) -> Self {
        Ledger { state, env }
    }

    async fn fetch(&self, mut req: Request) -> Result<Response> {
        let request: LedgerRequest = match req.json().await {
            Ok(r) => r,
            Err(e) => return answer(400, &serde_json::json!({ "error": e.to_string() })),
        };
        let replied = match request {
            LedgerRequest::Op(op) => self.apply(op).await.map(|r| serde_json::json!(r)),
            LedgerRequest::Key(op) => self.key(op).await.map(|r| serde_json::json!(r)),
        };
        match replied {
            Ok(reply) => answer(200, &reply),
            Err(e) => answer(500, &serde_json::json!({ "error": e })),
        }
    }

    async fn alarm(&self) -> Result<Response> {
        self.sweep().await?;
        Response::ok("swept")
    }
}

impl Ledger {
    /// One idempotency key: begin, finish or abandon a request under it.
    async fn key(&self, op: KeyOp) -> std::result::Result<KeyReply, String> {
        let storage = self.state.storage();
        let now = clock::now_ms();
        let e = |e: worker::Error| e.to_string();
        let current: Option<Remembered> = storage.get(REMEMBERED).await.map_err(e)?;
        let next = match op {
            KeyOp::Begin { fingerprint } => {
                let (reply, next) = idempotency::begin(current.as_ref(), &fingerprint, now);
                if let Some(r) = next {
                    storage.put(REMEMBERED, &r).await.map_err(e)?;
                    self.wake_by(Some(r.keep_until_ms)).await?;
                }
                return Ok(reply);
            }
            KeyOp::Finish {
                fingerprint,
                status,
                body,
            } => idempotency::finish(current.as_ref(), &fingerprint, status, body),
            KeyOp::Abandon { fingerprint } => {
                idempotency::finish(current.as_ref(), &fingerprint, 500, serde_json::Value::Null)
            }
        };
        match next {
            Some(Some(r)) => storage.put(REMEMBERED, &r).await.map_err(e)?,
            Some(None) => {
                storage.delete(REMEMBERED).await.map_err(e)?;
            }
            None => {}
        }
        Ok(KeyReply::Noted)
    }

    async fn apply(&self, op: Op) -> std::result::Result<Reply, String> {
        let storage = self.state.storage();
        let now = clock::now_ms();
        let e = |e: worker::Error| e.to_string();
        match op {
            Op::Claim {
                key,
                holder,
                until_ms,
            } => {
                let current: Option<Claim> = storage.get(&claim_key(&key)).await.map_err(e)?;
                match ledger::claim(current.as_ref(), &holder, until_ms, now) {
                    Ok(c) => {
                        storage.put(&claim_key(&key), &c).await.map_err(e)?;
                        self.wake_by(until_ms).await?;
                        Ok(Reply::Claimed)
                    }
                    Err(held) => Ok(Reply::Held {
                        holder: held.holder,
                    }),
                }
            }
            Op::Keys { prefix } => {
                let listed = storage
                    .list_with_options(worker::ListOptions::new().prefix(&claim_key(&prefix)))
                    .await
                    .map_err(e)?;
                let keys = listed
                    .keys()
                    .into_iter()
                    .filter_map(|k| k.ok().and_then(|k| k.as_string()))
                    .filter_map(|k| k.strip_prefix("claim:").map(str::to_string))
                    .collect();
                Ok(Reply::Keys { keys })
            }
            Op::Release { key, holder } => {
                let current: Option<Claim> = storage.get(&claim_key(&key)).await.map_err(e)?;
                match current {
                    Some(c) if c.holder == holder => {
                        storage.delete(&claim_key(&key)).await.map_err(e)?;
                        Ok(Reply::Released)
                    }
                    Some(c) if c.live(now) => Ok(Reply::Held { holder: c.holder }),
                    _ => Ok(Reply::Released),
                }
            }
            Op::Replace {
                key,
                from,
                to,
                until_ms,
            } => {
                let current: Option<Claim> = storage.get(&claim_key(&key)).await.map_err(e)?;
                match ledger::replace(current.as_ref(), &from, &to, until_ms, now) {
                    Ok(c) => {
                        storage.put(&claim_key(&key), &c).await.map_err(e)?;
                        self.wake_by(until_ms).await?;
                        Ok(Reply::Claimed)
                    }
                    Err(other) => Ok(Reply::Held {
                        holder: other.map(|c| c.holder).unwrap_or_default(),
                    }),
                }
            }
            Op::Take { limits } => {
                let hour = hour_of(now);
                let keys: Vec<String> = limits.iter().map(|l| count_key(hour, &l.key)).collect();
                let mut counts = Vec::with_capacity(keys.len());
                for k in &keys {
                    counts.push(storage.get::<u32>(k).await.map_err(e)?.unwrap_or(0));
                }
                match ledger::take(&counts, &limits) {
                    Ok(after) => {
                        for (k, n) in keys.iter().zip(&after) {
                            storage.put(k, n).await.map_err(e)?;
                        }
                        // Last hour's counters go once this hour is over.
                        self.wake_by(Some((hour + 1) * 3_600_000)).await?;
                        Ok(Reply::Taken { counts: after })
                    }
                    Err(limit) => Ok(Reply::Limited {
                        key: limit.key,
                        limit: limit.limit,
                    }),
                }
            }
            Op::Issue { pending } => {
                let until = pending.expires_at_ms;
                storage.put(PENDING, &pending).await.map_err(e)?;
                self.wake_by(Some(until)).await?;
                Ok(Reply::Issued)
            }
            Op::Withdraw => {
                storage.delete(PENDING).await.map_err(e)?;
                Ok(Reply::Withdrawn)
            }
            Op::Verify { to, answer } => {
                let secret = settings::challenge_secret(&self.env)?;
                let pending: Option<Pending> = storage.get(PENDING).await.map_err(e)?;
                let (verdict, next) = match answer {
                    Answer::Code(code) => {
                        verification::check(pending.as_ref(), secret.as_bytes(), &to, &code, now)
                    }
                    Answer::Text { text, code_length } => verification::check_text(
                        pending.as_ref(),
                        secret.as_bytes(),
                        &to,
                        &text,
                        now,
                        code_length,
                    ),
                };
                match next {
                    Next::Keep(p) => storage.put(PENDING, &p).await.map_err(e)?,
                    Next::Remove => {
                        storage.delete(PENDING).await.map_err(e)?;
                    }
                    Next::Unchanged => {}
                }
                Ok(Reply::Verdict { verdict })
            }
        }
    }

    /// Makes sure the alarm rings by `at` (the earliest wins).
    async fn wake_by(&self, at: Option<u64>) -> std::result::Result<(), String> {
        let Some(at) = at else { return Ok(()) };
        let storage = self.state.storage();
        let e = |e: worker::Error| e.to_string();
        let set = storage.get_alarm().await.map_err(e)?;
        if set.is_none_or(|s| s > at as i64) {
            storage.set_alarm(at as i64).await.map_err(e)?;
        }
        Ok(())
    }

    /// Deletes what can no longer matter: expired claims, past hours'
    /// counters, an expired code; and rings again for what is left.
    async fn sweep(&self) -> Result<()> {
        let storage = self.state.storage();
        let now = clock::now_ms();
        let hour = hour_of(now);
        let mut next: Option<u64> = None;
        let mut earliest = |t: u64| next = Some(next.map_or(t, |n: u64| n.min(t)));
        let keys: Vec<String> = storage
            .list()
            .await?
            .keys()
            .into_iter()
            .filter_map(|k| k.ok().and_then(|k| k.as_string()))
            .collect();
        let mut gone = Vec::new();
        for key in keys {
            if let Some(rest) = key.strip_prefix("count:") {
                let h: u64 = rest
                    .split(':')
                    .next()
                    .and_then(|h| h.parse().ok())
                    .unwrap_or(0);
                if h < hour {
                    gone.push(key);
                } else {
                    earliest((h + 1) * 3_600_000);
                }
            } else if key.starts_with("claim:") {
                let claim: Option<Claim> = storage.get(&key).await.ok().flatten();
                match claim.and_then(|c| c.until_ms) {
                    Some(u) if u <= now => gone.push(key),
                    Some(u) => earliest(u),
                    None => {}
                }
            } else if key == REMEMBERED {
                let r: Option<Remembered> = storage.get(&key).await.ok().flatten();
                match r.map(|r| r.keep_until_ms) {
                    Some(u) if u > now => earliest(u),
                    _ => gone.push(key),
                }
            } else if key == PENDING {
                let p: Option<Pending> = storage.get(&key).await.ok().flatten();
                match p.map(|p| p.expires_at_ms) {
                    Some(u) if u > now => earliest(u),
                    _ => gone.push(key),
                }
            }
        }
        if !gone.is_empty() {
            storage.delete_multiple(gone).await?;
        }
        if let Some(at) = next {
            storage.set_alarm(at as i64).await?;
        }
        Ok(())
    }
}
