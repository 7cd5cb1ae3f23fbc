//! Number masking at the edge: the session and pool API (forwarded to the
//! pool's allocator), and the proxy numbers' webhooks for Twilio and
//! MessageBird, which read one KV index entry and never the allocator.

use super::allocator::{
    self, Carrier, CreateSession, Indexed, NumberSettings, Settings, SettingsPatch,
};
use super::api::{fail, Failure, Reply};
use super::intake::Webhook;
use super::ledger::{ask_ledger, scope};
use super::log::Line;
use super::objects::ask;
use super::{clock, outbound, rest, settings, store, KV_BINDING};
use crate::account::AccountSid;
use crate::body;
use crate::form::Params;
use crate::ledger::{Op, Reply as Ledger};
use crate::masking::{route, NewSession, Route, Session};
use crate::outcome::{AfterDial, Connect, Outcome, Prompt, Target};
use crate::phone::{Party, E164};
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use worker::{kv::KvStore, Env, Method};

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
    settings::var(env, var).unwrap_or_else(|| default.to_string())
}

fn check_pool_name(pool: &str) -> Result<(), Failure> {
    let ok = !pool.is_empty()
        && pool.len() <= 64
        && pool
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if ok {
        Ok(())
    } else {
        Err(fail(
            400,
            "pool names are letters, digits, - and _ (at most 64)",
        ))
    }
}

/// Sends `method path` with `body` to the allocator of `account`'s `pool`.
async fn allocator<B: serde::Serialize>(
    env: &Env,
    account: &AccountSid,
    pool: &str,
    method: Method,
    path: &str,
    body: Option<&B>,
) -> Reply {
    check_pool_name(pool)?;
    let name = format!("{account}:{pool}");
    let headers = [("X-Pool-Account", account.as_str()), ("X-Pool-Name", pool)];
    let (status, answer) =
        ask::<B, Value>(env, allocator::BINDING, &name, method, path, body, &headers)
            .await
            .map_err(|e| fail(503, e))?;
    match answer {
        Ok(value) => Ok((status, value)),
        Err(value) => {
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
}

/// `POST …/sessions`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewSessionRequest {
    a: String,
    b: String,
    #[serde(default)]
    ttl_secs: Option<u32>,
    #[serde(default)]
    market: Option<String>,
    #[serde(default)]
    labels: BTreeMap<String, String>,
    /// Texts sent to each party from the proxy number once the session exists.
    #[serde(default)]
    notify: Option<Notify>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Notify {
    #[serde(default)]
    a: Option<String>,
    #[serde(default)]
    b: Option<String>,
}

fn party(field: &str, raw: &str) -> Result<E164, Failure> {
    crate::phone::parse_typed(raw, None)
        .map_err(|e| Failure::with(422, format!("{field}: {e}"), json!({ "field": field })))
}

/// `/api/v1/accounts/{AccountSid}/pools/{pool}/...`
pub async fn api(
    env: &Env,
    kv: &KvStore,
    account: &AccountSid,
    pool: &str,
    method: Method,
    rest_path: &[&str],
    body: Option<Value>,
) -> Reply {
    let body = body.unwrap_or_else(body::empty);
    match (&method, rest_path) {
        (Method::Post, ["sessions"]) => {
            let new: NewSessionRequest = body::from_value(&body)?;
            let (a, b) = (party("a", &new.a)?, party("b", &new.b)?);
            let id = format!(
                "KS{}",
                clock::random_bytes(16)
                    .map_err(|e| fail(503, e))?
                    .iter()
                    .map(|b| format!("{b:02x}"))
                    .collect::<String>()
            );
            let create = CreateSession {
                session: NewSession {
                    id,
                    a,
                    b,
                    ttl_secs: new.ttl_secs,
                    market: new.market,
                    labels: new.labels,
                },
                outbound: outbound::config(kv, account).await?,
            };
            let (status, session) =
                allocator(env, account, pool, Method::Post, "/sessions", Some(&create)).await?;
            let mut out = json!({ "session": session });
            if let Some(n) = new.notify {
                out["notified"] = text_parties(env, account, &session, &n).await;
            }
            Ok((status, out))
        }
        (Method::Get, ["sessions"]) => {
            allocator::<()>(env, account, pool, Method::Get, "/sessions", None).await
        }
        (Method::Get, ["sessions", id]) => {
            let path = format!("/sessions/{}", session_id(id)?);
            allocator::<()>(env, account, pool, Method::Get, &path, None).await
        }
        (Method::Post, ["sessions", id, "end"]) => {
            let path = format!("/sessions/{}/end", session_id(id)?);
            allocator(env, account, pool, Method::Post, &path, Some(&json!({}))).await
        }
        (Method::Get, ["numbers"]) => {
            allocator::<()>(env, account, pool, Method::Get, "/numbers", None).await
        }
        (Method::Put, ["numbers", n]) => {
            let settings: NumberSettings = body::from_value(&body)?;
            let number =
                crate::phone::parse_typed(n, None).map_err(|e| fail(400, format!("{n:?}: {e}")))?;
            add_number(env, account, pool, &number, &settings).await
        }
        (Method::Delete, ["numbers", n]) => {
            let number =
                crate::phone::parse_typed(n, None).map_err(|e| fail(400, format!("{n:?}: {e}")))?;
            let path = format!("/numbers/{number}");
            allocator(env, account, pool, Method::Delete, &path, Some(&json!({}))).await
        }
        (Method::Get, ["settings"]) => {
            allocator::<()>(env, account, pool, Method::Get, "/settings", None).await
        }
        (Method::Put, ["settings"]) => {
            let settings: Settings = body::from_value(&body)?;
            allocator(
                env,
                account,
                pool,
                Method::Put,
                "/settings",
                Some(&settings),
            )
            .await
        }
        (Method::Patch, ["settings"]) => {
            let patch: SettingsPatch = body::from_value(&body)?;
            allocator(env, account, pool, Method::Patch, "/settings", Some(&patch)).await
        }
        (Method::Post, ["reindex"]) => {
            body::from_value::<Empty>(&body)?;
            allocator(
                env,
                account,
                pool,
                Method::Post,
                "/reindex",
                Some(&json!({})),
            )
            .await
        }
        (Method::Get, ["report"]) => Err(fail(400, "use /report?a=&b=&market=")),
        _ => Err(fail(404, "no such API route")),
    }
}

/// A request that takes no fields.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Empty {}

fn session_id(id: &str) -> Result<&str, Failure> {
    let ok =
        id.len() == 34 && id.starts_with("KS") && id.bytes().skip(2).all(|b| b.is_ascii_hexdigit());
    if ok {
        Ok(id)
    } else {
        Err(fail(404, format!("no session {id:?}")))
    }
}

/// A number serves one pool in the whole deployment: two pools (of one
/// account or two) sharing it would both route its calls. The number's
/// ledger records which pool has it, atomically.
async fn add_number(
    env: &Env,
    account: &AccountSid,
    pool: &str,
    number: &E164,
    settings: &NumberSettings,
) -> Reply {
    check_pool_name(pool)?;
    let holder = allocator::holder(account, pool);
    let claim = Op::Claim {
        key: "pool".into(),
        holder: holder.clone(),
        until_ms: None,
    };
    match ask_ledger(env, &scope::number(number), &claim)
        .await
        .map_err(|e| fail(503, e))?
    {
        Ledger::Claimed => {}
        Ledger::Held { holder } => {
            // Another tenant's pool is not named to this one.
            let msg = match holder.split_once('/') {
                Some((a, p)) if a == account.as_str() => {
                    format!("{number} is already in pool {p:?}; remove it there first")
                }
                _ => format!("{number} is already in a pool of another account"),
            };
            return Err(fail(409, msg));
        }
        other => return Err(fail(503, format!("ledger: unexpected {other:?}"))),
    }
    let path = format!("/numbers/{number}");
    let added = allocator(env, account, pool, Method::Put, &path, Some(settings)).await;
    if let Err(Failure(status, ..)) = &added {
        // Not added (and not already there): the number is free again.
        if *status != 409 {
            let release = Op::Release {
                key: "pool".into(),
                holder,
            };
            let _ = ask_ledger(env, &scope::number(number), &release).await;
        }
    }
    added
}

/// `GET …/pools/{pool}/report?a=&b=&market=`
pub async fn report(env: &Env, account: &AccountSid, pool: &str, query: &Params) -> Reply {
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
    allocator::<()>(env, account, pool, Method::Get, &path, None).await
}

/// Texts both parties from the proxy number, as the guide did on a new ride.
async fn text_parties(env: &Env, account: &AccountSid, session: &Value, notify: &Notify) -> Value {
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
        settings::base_url(env, rest::API)
    );
    let mut out = serde_json::Map::new();
    for (party, to, text) in [("a", a, &notify.a), ("b", b, &notify.b)] {
        let Some(text) = text else {
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
    store::get_json::<Indexed>(kv, &store::proxy_key(proxy, caller))
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
    let found = found.filter(|f| serves_twilio(f, &hook.account));
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
        .filter(|f| serves_twilio(f, &hook.account));
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

/// A session belongs to one account and one carrier: another account's
/// webhook, or a MessageBird pool's session, is not this request's.
fn serves_twilio(found: &Indexed, account: &AccountSid) -> bool {
    found.carrier == Carrier::Twilio && found.account == account.as_str()
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
    let found = lookup(&kv, &proxy, &caller)
        .await?
        .filter(|f| f.carrier == Carrier::Messagebird);
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
    let found = lookup(&kv, &proxy, &sender)
        .await?
        .filter(|f| f.carrier == Carrier::Messagebird);
    let Some(other) = relay_target(found.as_ref(), &proxy, &sender) else {
        log.set("reason", "unknown_sender");
        return Ok(());
    };
    let key = settings::secret(env, "MESSAGEBIRD_ACCESS_KEY")
        .ok_or("the MESSAGEBIRD_ACCESS_KEY secret is not set")?;
    let base = settings::base_url(
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
