//! Number masking at the edge: the session and pool API (forwarded to the
//! pool's allocator), and the proxy numbers' webhooks for Twilio and
//! MessageBird, which read one KV index entry and never the allocator.

use super::allocator::{index_key, Indexed};
use super::api::{fail, Failure, Reply};
use super::intake::Webhook;
use super::log::Line;
use super::{clock, rest, store, KV_BINDING};
use crate::form::Params;
use crate::masking::{route, Route, Session};
use crate::outcome::{AfterDial, Connect, Outcome, Prompt, Target};
use crate::phone::{Party, E164};
use serde_json::{json, Value};
use worker::{kv::KvStore, Env, Method, Request, RequestInit};

pub const ALLOCATOR_BINDING: &str = "POOL_ALLOCATOR";

/// What a caller with no session hears (`MASKING_UNKNOWN_MESSAGE`). A caller
/// we cannot place has no pool to take settings from, so it is per deployment.
const UNKNOWN: (&str, &str) = (
    "MASKING_UNKNOWN_MESSAGE",
    "Sorry, we cannot identify your transaction. Make sure you call in from the number you registered.",
);
/// What a caller whose session has ended hears (`MASKING_EXPIRED_MESSAGE`).
const EXPIRED: (&str, &str) = (
    "MASKING_EXPIRED_MESSAGE",
    "Sorry, this connection has ended. Please contact us through the app.",
);

fn message(env: &Env, (var, default): (&str, &str)) -> String {
    env.var(var)
        .map(|v| v.to_string())
        .ok()
        .filter(|v| !v.trim().is_empty())
        .unwrap_or_else(|| default.to_string())
}

/// Sends `method path` with `body` to the allocator of `account`'s `pool`.
async fn allocator(
    env: &Env,
    account: &str,
    pool: &str,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> Reply {
    if pool.is_empty()
        || pool.len() > 64
        || !pool
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Err(fail(
            400,
            "pool names are letters, digits, - and _ (at most 64)",
        ));
    }
    let ns = env
        .durable_object(ALLOCATOR_BINDING)
        .map_err(|e| fail(503, format!("allocator binding: {e}")))?;
    let stub = ns
        .id_from_name(&format!("{account}:{pool}"))
        .and_then(|id| id.get_stub())
        .map_err(|e| fail(503, format!("allocator: {e}")))?;
    let body = body.unwrap_or(json!({}));
    let headers = worker::Headers::new();
    headers
        .set("X-Pool-Account", account)
        .map_err(|e| fail(500, e.to_string()))?;
    headers
        .set("X-Pool-Name", pool)
        .map_err(|e| fail(500, e.to_string()))?;
    let mut init = RequestInit::new();
    init.with_method(method.clone()).with_headers(headers);
    if method != Method::Get {
        init.with_body(Some(body.to_string().into()));
    }
    let req = Request::new_with_init(&format!("https://allocator{path}"), &init)
        .map_err(|e| fail(500, e.to_string()))?;
    let mut resp = stub
        .fetch_with_request(req)
        .await
        .map_err(|e| fail(503, format!("allocator: {e}")))?;
    let status = resp.status_code();
    let value: Value = resp
        .json()
        .await
        .map_err(|e| fail(503, format!("allocator answer: {e}")))?;
    if (200..300).contains(&status) {
        Ok((status, value))
    } else {
        let msg = value
            .get("error")
            .and_then(Value::as_str)
            .unwrap_or("allocator error")
            .to_string();
        Err(match value.get("detail") {
            Some(d) if !d.is_null() => Failure::with(status, msg, d.clone()),
            _ => fail(status, msg),
        })
    }
}

/// `/api/v1/accounts/{AccountSid}/pools/{pool}/...`
pub async fn api(
    env: &Env,
    account: &str,
    pool: &str,
    method: Method,
    rest_path: &[&str],
    body: Option<Value>,
) -> Reply {
    match (&method, rest_path) {
        (Method::Post, ["sessions"]) => {
            let mut body = body.unwrap_or(json!({}));
            let id = format!(
                "KS{}",
                clock::random_bytes(16)
                    .map_err(|e| fail(503, e))?
                    .iter()
                    .map(|b| format!("{b:02x}"))
                    .collect::<String>()
            );
            // Parties may be typed in any spelling; the allocator takes E.164.
            for k in ["a", "b"] {
                let raw = body
                    .get(k)
                    .and_then(Value::as_str)
                    .ok_or_else(|| fail(400, format!("{k} is required")))?;
                let n = crate::phone::parse_typed(raw, None)
                    .map_err(|e| fail(400, format!("{k}: {e}")))?;
                body[k] = json!(n);
            }
            body["id"] = json!(id);
            let notify = body.get("notify").cloned();
            if let Some(o) = body.as_object_mut() {
                o.remove("notify");
            }
            let (status, session) =
                allocator(env, account, pool, Method::Post, "/sessions", Some(body)).await?;
            let texted = match notify {
                Some(n) => Some(text_parties(env, account, &session, &n).await),
                None => None,
            };
            let mut out = json!({ "session": session });
            if let Some(t) = texted {
                out["notified"] = t;
            }
            Ok((status, out))
        }
        (Method::Get, ["sessions"]) => {
            allocator(env, account, pool, Method::Get, "/sessions", None).await
        }
        (Method::Get, ["sessions", id]) => {
            allocator(
                env,
                account,
                pool,
                Method::Get,
                &format!("/sessions/{id}"),
                None,
            )
            .await
        }
        (Method::Post, ["sessions", id, "end"]) => {
            allocator(
                env,
                account,
                pool,
                Method::Post,
                &format!("/sessions/{id}/end"),
                None,
            )
            .await
        }
        (Method::Get, ["numbers"]) => {
            allocator(env, account, pool, Method::Get, "/numbers", None).await
        }
        (Method::Put, ["numbers", n]) | (Method::Delete, ["numbers", n]) => {
            let number =
                crate::phone::parse_typed(n, None).map_err(|e| fail(400, format!("{n:?}: {e}")))?;
            allocator(
                env,
                account,
                pool,
                method.clone(),
                &format!("/numbers/{number}"),
                body,
            )
            .await
        }
        (Method::Put, ["settings"]) => {
            allocator(env, account, pool, Method::Put, "/settings", body).await
        }
        (Method::Get, ["report"]) => Err(fail(400, "use /report?a=&b=&market=")),
        _ => Err(fail(404, "no such API route")),
    }
}

/// `GET …/pools/{pool}/report?a=&b=&market=`
pub async fn report(env: &Env, account: &str, pool: &str, query: &Params) -> Reply {
    let num = |k: &str| -> Result<String, Failure> {
        match query.get(k) {
            None | Some("") => Ok("-".into()),
            Some(v) => crate::phone::parse_typed(v, None)
                .map(|n| n.to_string())
                .map_err(|e| fail(400, format!("{k}: {e}"))),
        }
    };
    let market = query.get("market").filter(|m| !m.is_empty()).unwrap_or("-");
    if market.contains('/') {
        return Err(fail(400, "market has no /"));
    }
    let path = format!("/report/{}/{}/{market}", num("a")?, num("b")?);
    allocator(env, account, pool, Method::Get, &path, None).await
}

/// Texts both parties from the proxy number, as the guide did on a new ride.
async fn text_parties(env: &Env, account: &str, session: &Value, notify: &Value) -> Value {
    let (Some(proxy), Some(a), Some(b)) = (
        session.get("proxy").and_then(Value::as_str),
        session.get("a").and_then(Value::as_str),
        session.get("b").and_then(Value::as_str),
    ) else {
        return json!({ "error": "session without parties" });
    };
    let Some(auth) = rest::basic_auth(env, account) else {
        return json!({ "error": "no credentials for this account" });
    };
    let url = format!(
        "{}/2010-04-01/Accounts/{account}/Messages.json",
        rest::base(env, rest::API)
    );
    let mut out = serde_json::Map::new();
    for (party, to) in [("a", a), ("b", b)] {
        let Some(text) = notify.get(party).and_then(Value::as_str) else {
            continue;
        };
        let form = Params::from_pairs([("To", to), ("From", proxy), ("Body", text)]);
        let sent = rest::post(
            &url,
            "application/x-www-form-urlencoded",
            form.encode(),
            Some(&auth),
        )
        .await;
        out.insert(party.into(), json!(sent.is_ok()));
    }
    Value::Object(out)
}

async fn lookup(kv: &KvStore, proxy: &E164, caller: &Party) -> Result<Option<Indexed>, String> {
    let Some(caller) = caller.number() else {
        return Ok(None);
    };
    store::get_json::<Indexed>(kv, &index_key(proxy, caller))
        .await
        .map_err(|e| e.to_string())
}

/// What a call from `caller` to `proxy` gets; the same decision for both carriers.
fn decide_call(
    env: &Env,
    found: Option<&Indexed>,
    proxy: &E164,
    caller: &Party,
    now: u64,
) -> (Outcome, &'static str) {
    let (Some(found), Some(caller)) = (found, caller.number()) else {
        return (say(&message(env, UNKNOWN)), "unknown");
    };
    let sessions = std::slice::from_ref(&found.session);
    match route(sessions, proxy, caller, now, found.grace_secs as u64 * 1000) {
        Route::Connect { session, other } => (
            Outcome::Connect(Connect {
                announce: announcement(found, session, caller),
                targets: vec![Target::Number(other.clone())],
                caller_id: Some(proxy.clone()),
                timeout_secs: 30,
                record: found.record,
                after: AfterDial::Hangup,
            }),
            "connect",
        ),
        Route::Expired { .. } => (say(&message(env, EXPIRED)), "expired"),
        Route::Unknown => (say(&message(env, UNKNOWN)), "unknown"),
    }
}

fn say(text: &str) -> Outcome {
    Outcome::Goodbye(vec![Prompt::say(text).voiced(Some("female"), Some("en-GB"))])
}

fn announcement(found: &Indexed, session: &Session, caller: &E164) -> Option<Prompt> {
    let template = found.announce.as_deref()?;
    let label = if *caller == session.a {
        "b_name"
    } else {
        "a_name"
    };
    let name = session
        .labels
        .get(label)
        .map(String::as_str)
        .unwrap_or("the other party");
    Some(Prompt::say(template.replace("{name}", name)))
}

/// `POST /voice/proxy`: Twilio, a call to a proxy number.
pub async fn twilio_voice(
    hook: &Webhook,
    env: &Env,
    log: &mut Line,
) -> Result<Option<Outcome>, String> {
    let Some(proxy) = hook.get("To").and_then(|t| E164::parse(t).ok()) else {
        return Ok(None);
    };
    let caller = Party::from_carrier(hook.get("From").unwrap_or(""), false);
    let kv = env.kv(KV_BINDING).map_err(|e| e.to_string())?;
    let found = lookup(&kv, &proxy, &caller).await?;
    // A session belongs to one account; another account's webhook cannot use it.
    let found = found.filter(|f| Some(f.account.as_str()) == hook.get("AccountSid"));
    let (outcome, reason) = decide_call(env, found.as_ref(), &proxy, &caller, clock::now_ms());
    log.set("reason", reason);
    Ok(Some(outcome))
}

/// `POST /sms/proxy`: Twilio, a text to a proxy number, relayed from it.
pub async fn twilio_sms(hook: &Webhook, env: &Env, log: &mut Line) -> Result<Outcome, String> {
    let Some(proxy) = hook.get("To").and_then(|t| E164::parse(t).ok()) else {
        return Ok(Outcome::Text(None));
    };
    let sender = Party::from_carrier(hook.get("From").unwrap_or(""), false);
    let kv = env.kv(KV_BINDING).map_err(|e| e.to_string())?;
    let found = lookup(&kv, &proxy, &sender)
        .await?
        .filter(|f| Some(f.account.as_str()) == hook.get("AccountSid"));
    match relay_target(found.as_ref(), &proxy, &sender) {
        Some(other) => {
            log.set("reason", "relayed");
            Ok(Outcome::Relay {
                to: other,
                from: proxy,
                body: hook.get("Body").unwrap_or("").to_string(),
            })
        }
        None => {
            log.set("reason", "unknown_sender");
            Ok(Outcome::Text(None))
        }
    }
}

fn relay_target(found: Option<&Indexed>, proxy: &E164, sender: &Party) -> Option<E164> {
    let (found, sender) = (found?, sender.number()?);
    match route(
        std::slice::from_ref(&found.session),
        proxy,
        sender,
        clock::now_ms(),
        found.grace_secs as u64 * 1000,
    ) {
        Route::Connect { other, .. } => Some(other.clone()),
        _ => None,
    }
}

/// `GET /messagebird/voice?source=&destination=`: MessageBird fetches the call flow.
pub async fn messagebird_voice(
    query: &Params,
    env: &Env,
    log: &mut Line,
) -> Result<Outcome, String> {
    let proxy = query
        .get("destination")
        .and_then(|d| E164::from_digits(d).ok().or_else(|| E164::parse(d).ok()));
    let caller = Party::from_carrier(query.get("source").unwrap_or(""), true);
    let Some(proxy) = proxy else {
        log.set("reason", "unknown");
        return Ok(say(&message(env, UNKNOWN)));
    };
    let kv = env.kv(KV_BINDING).map_err(|e| e.to_string())?;
    let found = lookup(&kv, &proxy, &caller).await?;
    let (outcome, reason) = decide_call(env, found.as_ref(), &proxy, &caller, clock::now_ms());
    log.set("reason", reason);
    Ok(outcome)
}

/// `POST /messagebird/sms`: relayed through MessageBird's REST API.
pub async fn messagebird_sms(params: &Params, env: &Env, log: &mut Line) -> Result<(), String> {
    let proxy = params
        .get("recipient")
        .and_then(|d| E164::from_digits(d).ok().or_else(|| E164::parse(d).ok()));
    let sender = Party::from_carrier(params.get("originator").unwrap_or(""), true);
    let Some(proxy) = proxy else { return Ok(()) };
    let kv = env.kv(KV_BINDING).map_err(|e| e.to_string())?;
    let found = lookup(&kv, &proxy, &sender).await?;
    let Some(other) = relay_target(found.as_ref(), &proxy, &sender) else {
        log.set("reason", "unknown_sender");
        return Ok(());
    };
    let key = env
        .secret("MESSAGEBIRD_ACCESS_KEY")
        .map(|s| s.to_string())
        .map_err(|_| "the MESSAGEBIRD_ACCESS_KEY secret is not set".to_string())?;
    let base = rest::base(
        env,
        ("MESSAGEBIRD_API_BASE", "https://rest.messagebird.com"),
    );
    let body = json!({ "originator": proxy.digits(), "recipients": [other.digits()], "body": params.get("payload").unwrap_or("") });
    rest::post(
        &format!("{base}/messages"),
        "application/json",
        body.to_string(),
        Some(&format!("AccessKey {key}")),
    )
    .await
    .map_err(|e| format!("MessageBird refused the relay: {e}"))?;
    log.set("reason", "relayed");
    Ok(())
}
