//! `Idempotency-Key` on the POSTs that do something outside: the rules are
//! `switchboard_core::idempotency`'s; here the key is read, the request
//! fingerprinted, and the key's `Ledger` object asked. A repeat that finds
//! the first request still running asks again for up to [`WAIT_MS`] (so a
//! burst of retries all get the one answer), then answers 409.

use super::{Answered, ApiError, Ctx, Reply};
use sha2::{Digest, Sha256};
use switchboard_core::idempotency::{KeyOp, KeyReply};
use switchboard_edge::ledger::{scope, BINDING};
use switchboard_edge::objects::ask;

pub const HEADER: &str = "Idempotency-Key";
/// How long a repeat waits for the first request's answer.
const WAIT_MS: u64 = 5_000;

/// A key held for this request.
#[derive(Clone)]
pub struct Held {
    scope: String,
    fingerprint: String,
}

impl Held {
    /// The `I-Twilio-Idempotency-Token` of one request this one sends to
    /// the carrier (`part` tells a session's two texts apart): derived from
    /// the client's key, so a retry after a lost answer sends the same
    /// token, never the key itself.
    pub fn carrier_token(&self, part: &str) -> String {
        let digest = Sha256::digest(format!("{}\0{part}", self.scope).as_bytes());
        digest[..16].iter().map(|b| format!("{b:02x}")).collect()
    }
}

/// Where a request with a key stands.
enum Begun {
    /// Run it (holding the key when there is one).
    Run(Option<Held>),
    /// The first answer, to give again.
    Replay(Answered),
}

/// The request's key, checked: 1 to 255 printable ASCII characters.
fn key_of(cx: &Ctx<'_>) -> Result<Option<String>, ApiError> {
    let Some(key) = cx.req.headers().get(HEADER).ok().flatten() else {
        return Ok(None);
    };
    let ok = (1..=255).contains(&key.len()) && key.bytes().all(|b| (0x20..=0x7e).contains(&b));
    if !ok {
        return Err(ApiError::invalid(
            HEADER,
            "Idempotency-Key: 1 to 255 printable ASCII characters",
        ));
    }
    Ok(Some(key))
}

async fn ask_key(cx: &Ctx<'_>, scope: &str, op: &KeyOp) -> Result<KeyReply, ApiError> {
    match ask::<_, KeyReply>(cx.env, BINDING, scope, op)
        .await
        .map_err(ApiError::Unavailable)?
    {
        (_, Ok(reply)) => Ok(reply),
        (status, Err(e)) => Err(ApiError::Unavailable(format!(
            "idempotency ledger answered {status}: {e}"
        ))),
    }
}

/// Call once the request read and checked its body (`body` as sent): a
/// request refused before this claims nothing.
async fn begin(cx: &Ctx<'_>, body: &str) -> Result<Begun, ApiError> {
    let Some(key) = key_of(cx)? else {
        return Ok(Begun::Run(None));
    };
    let path = cx.req.path();
    // Same key, same account and path: one scope, one object.
    let scope = scope::idempotency(cx.account, &path, &key);
    // The body as JSON with its keys in order, so spacing and key order
    // do not make a repeat look like another request.
    let canonical = serde_json::from_str::<serde_json::Value>(body)
        .map(|v| v.to_string())
        .unwrap_or_else(|_| body.to_string());
    let fingerprint: String = Sha256::digest(format!("POST\0{path}\0{canonical}").as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let op = KeyOp::Begin {
        fingerprint: fingerprint.clone(),
    };
    let started = switchboard_edge::clock::now_ms();
    let mut pause = 25;
    loop {
        match ask_key(cx, &scope, &op).await? {
            KeyReply::Begun => return Ok(Begun::Run(Some(Held { scope, fingerprint }))),
            KeyReply::Done { status, body } => {
                return Ok(Begun::Replay(Answered {
                    replayed: true,
                    ..Answered::from((status, body))
                }))
            }
            KeyReply::Reused => return Err(ApiError::IdempotencyKeyReused),
            KeyReply::InProgress | KeyReply::Noted => {
                if switchboard_edge::clock::now_ms().saturating_sub(started) >= WAIT_MS {
                    return Err(ApiError::IdempotencyInProgress);
                }
                worker::Delay::from(std::time::Duration::from_millis(pause)).await;
                pause = (pause * 2).min(400);
            }
        }
    }
}

/// A POST with an optional `Idempotency-Key`, run at most once per key:
/// a repeat gets the first answer again; otherwise `work` runs (given the
/// key held, if any) and its answer is kept for the repeats, or the key let
/// go when it failed.
pub async fn once<Fut>(
    cx: &Ctx<'_>,
    body: &str,
    work: impl FnOnce(Option<Held>) -> Fut,
) -> Result<Answered, ApiError>
where
    Fut: std::future::Future<Output = Reply>,
{
    match begin(cx, body).await? {
        Begun::Replay(first) => Ok(first),
        Begun::Run(held) => {
            let reply = work(held.clone()).await;
            settle(cx, held, &reply).await;
            reply.map(Answered::from)
        }
    }
}

/// The first request's answer: kept when it is a 2xx, else the key is let
/// go. Should the ledger not hear of it, the lease frees the key after
/// `switchboard_core::idempotency::LEASE_MS`.
async fn settle(cx: &Ctx<'_>, held: Option<Held>, reply: &Reply) {
    let Some(held) = held else { return };
    let op = match reply {
        Ok((status, body)) => KeyOp::Finish {
            fingerprint: held.fingerprint,
            status: *status,
            body: body.clone(),
        },
        Err(_) => KeyOp::Abandon {
            fingerprint: held.fingerprint,
        },
    };
    let _ = ask_key(cx, &held.scope, &op).await;
}
