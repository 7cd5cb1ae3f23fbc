//! Outbound at the edge: the voice webhook for calls placed from a Twilio
//! Client or SIP device, the caller-ID lookup, starting calls through the
//! REST API, and verification codes (voice and SMS, checked by API or by an
//! SMS reply).

use super::api::{fail, Failure, Reply};
use super::intake::Webhook;
use super::log::Line;
use super::{clock, rest, store, KV_BINDING};
use crate::form::Params;
use crate::outbound::verification::{self, Channel, Next, Verdict};
use crate::outbound::{self, Destination, Outbound, Pick, Refused};
use crate::outcome::{AfterDial, Connect, Outcome, Prompt, Target};
use crate::phone::{Party, E164};
use crate::render::twiml;
use serde_json::{json, Value};
use worker::{kv::KvStore, Env};

const HOUR_MS: u64 = 3_600_000;

pub fn config_key(account: &str) -> String {
    format!("acct:{account}")
}

fn verification_key(account: &str, to: &E164) -> String {
    format!("verify:{account}:{to}")
}

fn rate_keys(account: &str, to: &E164, now_ms: u64) -> [String; 2] {
    let hour = now_ms / HOUR_MS;
    [
        format!("rate:{account}:{hour}:{to}"),
        format!("rate:{account}:{hour}:*"),
    ]
}

pub async fn config(kv: &KvStore, account: &str) -> Result<Option<Outbound>, store::StoreError> {
    let key = config_key(account);
    match kv
        .get(&key)
        .cache_ttl(store::CONFIG_CACHE_SECS)
        .text()
        .await?
    {
        None => Ok(None),
        Some(text) => Outbound::from_json(&text)
            .map(Some)
            .map_err(|e| store::StoreError::Broken {
                key,
                why: e.to_string(),
            }),
    }
}

/// Parse, the static guard, this hour's rate, then the pick. Counts the
/// attempt when it is allowed.
async fn clear(
    kv: &KvStore,
    account: &str,
    config: &Outbound,
    to: &str,
) -> Result<(Destination, Pick), Guarded> {
    let dest = outbound::parse_destination(to, config.default_country.as_deref())
        .map_err(Guarded::Refused)?;
    outbound::check(config, &dest).map_err(Guarded::Refused)?;
    let now = clock::now_ms();
    let keys = rate_keys(account, &dest.number, now);
    let counts = kv
        .get_bulk(&keys)
        .text()
        .await
        .map_err(|e| Guarded::Store(e.to_string()))?;
    let count = |k: &str| {
        counts
            .get(k)
            .cloned()
            .flatten()
            .and_then(|v| v.parse::<u32>().ok())
            .unwrap_or(0)
    };
    let (to_dest, by_account) = (count(&keys[0]), count(&keys[1]));
    outbound::check_rate(&config.guard, to_dest, by_account).map_err(Guarded::Refused)?;
    // Counts race between simultaneous requests (KV has no increment): a
    // burst can pass a few over the limit, never unboundedly.
    for (key, n) in keys.iter().zip([to_dest, by_account]) {
        kv.put(key, (n + 1).to_string())
            .map_err(|e| Guarded::Store(e.to_string()))?
            .expiration_ttl(2 * HOUR_MS / 1000)
            .execute()
            .await
            .map_err(|e| Guarded::Store(e.to_string()))?;
    }
    let pick = outbound::pick(config, &dest);
    Ok((dest, pick))
}

enum Guarded {
    Refused(Refused),
    Store(String),
}

impl From<Guarded> for Failure {
    fn from(g: Guarded) -> Failure {
        match g {
            Guarded::Refused(r) => Failure::with(
                422,
                r.to_string(),
                serde_json::to_value(&r).unwrap_or_default(),
            ),
            Guarded::Store(e) => fail(503, e),
        }
    }
}

/// `POST /voice/outbound`: a Client or SIP device dials `To`.
pub async fn voice(hook: &Webhook, env: &Env, log: &mut Line) -> Result<Option<Outcome>, String> {
    let Some(account) = hook.get("AccountSid") else {
        return Ok(None);
    };
    let to = hook.get("To").unwrap_or("").trim();
    let connect = |target: Target, caller_id: Option<E164>| {
        Outcome::Connect(Connect {
            announce: None,
            targets: vec![target],
            caller_id,
            timeout_secs: 30,
            record: false,
            after: AfterDial::Hangup,
        })
    };
    match Party::from_carrier(to, false) {
        Party::Client(id) => return Ok(Some(connect(Target::Client(id), None))),
        Party::Sip(uri) => return Ok(Some(connect(Target::Sip(uri), None))),
        _ => {}
    }
    let kv = env.kv(KV_BINDING).map_err(|e| e.to_string())?;
    let Some(config) = config(&kv, account).await.map_err(|e| e.to_string())? else {
        log.set("reason", "no_outbound_config");
        return Ok(Some(refusal(
            "Outbound calls are not set up for this account.",
        )));
    };
    match clear(&kv, account, &config, to).await {
        Ok((dest, pick)) => {
            log.set("dialled", dest.number.masked())
                .set("caller_id", pick.caller_id.masked());
            Ok(Some(connect(
                Target::Number(dest.number),
                Some(pick.caller_id),
            )))
        }
        Err(Guarded::Refused(r)) => {
            log.set("refused", r.to_string());
            Ok(Some(refusal(
                "This number cannot be called from here. Goodbye.",
            )))
        }
        Err(Guarded::Store(e)) => Err(e),
    }
}

fn refusal(text: &str) -> Outcome {
    Outcome::Goodbye(vec![Prompt::say(text)])
}

/// The account named in a JSON body or query, validated.
fn account_of(v: Option<&str>) -> Result<&str, Failure> {
    let a = v.ok_or_else(|| fail(400, "account (an AccountSid) is required"))?;
    if super::intake::is_account_sid(a) {
        Ok(a)
    } else {
        Err(fail(
            400,
            format!("{a:?} is not an account SID (AC and 32 hex digits)"),
        ))
    }
}

async fn required_config(kv: &KvStore, account: &str) -> Result<Outbound, Failure> {
    config(kv, account).await?.ok_or_else(|| {
        fail(
            404,
            "no outbound config for this account: PUT /api/v1/accounts/{AccountSid}/outbound",
        )
    })
}

pub async fn get_config(kv: &KvStore, account: &str) -> Reply {
    Ok((
        200,
        serde_json::to_value(required_config(kv, account).await?).unwrap_or_default(),
    ))
}

pub async fn put_config(kv: &KvStore, account: &str, text: &str) -> Reply {
    let config = Outbound::from_json(text).map_err(|e| fail(400, e.to_string()))?;
    store::put_json(kv, &config_key(account), &config).await?;
    Ok((200, serde_json::to_value(&config).unwrap_or_default()))
}

/// `GET /api/v1/caller-id?account=AC…&to=…`: the pick and the rule. Does not
/// count against the rate limit (nothing is called).
pub async fn caller_id(kv: &KvStore, query: &Params) -> Reply {
    let account = account_of(query.get("account"))?;
    let to = query.get("to").ok_or_else(|| fail(400, "to is required"))?;
    let config = required_config(kv, account).await?;
    let dest = outbound::parse_destination(to, config.default_country.as_deref())
        .map_err(|r| Failure::from(Guarded::Refused(r)))?;
    outbound::check(&config, &dest).map_err(|r| Failure::from(Guarded::Refused(r)))?;
    let pick = outbound::pick(&config, &dest);
    Ok((
        200,
        picked(json!({ "to": dest.number, "country": dest.region }), &pick),
    ))
}

/// `fields` plus `caller_id`, `rule` and the rule's `key`.
fn picked(mut fields: Value, pick: &Pick) -> Value {
    if let (Some(out), Ok(Value::Object(p))) = (fields.as_object_mut(), serde_json::to_value(pick))
    {
        out.extend(p);
    }
    fields
}

/// `POST /api/v1/calls`: `{account, to, message | url | flow_sid, parameters?}`.
pub async fn start_call(env: &Env, kv: &KvStore, body: &Value) -> Reply {
    let field = |k: &str| body.get(k).and_then(Value::as_str);
    let account = account_of(field("account"))?;
    let to = field("to").ok_or_else(|| fail(400, "to is required"))?;
    let what = match (field("message"), field("url"), field("flow_sid")) {
        (Some(m), None, None) => What::Say(m),
        (None, Some(u), None) if u.starts_with("https://") || u.starts_with("http://") => {
            What::Url(u)
        }
        (None, None, Some(f)) if f.starts_with("FW") => What::Flow(f),
        (None, Some(_), None) => return Err(fail(400, "url must be an http(s) URL")),
        (None, None, Some(_)) => return Err(fail(400, "flow_sid is a Studio Flow SID (FW…)")),
        _ => return Err(fail(400, "give exactly one of message, url, flow_sid")),
    };
    let config = required_config(kv, account).await?;
    let auth = rest::basic_auth(env, account)
        .ok_or_else(|| fail(503, "no credentials for this account"))?;
    let (dest, pick) = clear(kv, account, &config, to).await?;
    let (url, form) = match what {
        What::Flow(flow) => {
            let parameters = body
                .get("parameters")
                .cloned()
                .unwrap_or(json!({}))
                .to_string();
            let url = format!(
                "{}/v2/Flows/{flow}/Executions",
                rest::base(env, rest::STUDIO)
            );
            (
                url,
                Params::from_pairs([
                    ("To", dest.number.to_string()),
                    ("From", pick.caller_id.to_string()),
                    ("Parameters", parameters),
                ]),
            )
        }
        other => {
            let (key, value) = match other {
                What::Say(text) => (
                    "Twiml",
                    twiml::render(&Outcome::Goodbye(vec![Prompt::say(text)])),
                ),
                What::Url(u) => ("Url", u.to_string()),
                What::Flow(_) => unreachable!("handled above"),
            };
            let url = format!(
                "{}/2010-04-01/Accounts/{account}/Calls.json",
                rest::base(env, rest::API)
            );
            (
                url,
                Params::from_pairs([
                    ("To", dest.number.to_string()),
                    ("From", pick.caller_id.to_string()),
                    (key, value),
                ]),
            )
        }
    };
    let answer = rest::post(
        &url,
        "application/x-www-form-urlencoded",
        form.encode(),
        Some(&auth),
    )
    .await
    .map_err(|e| fail(502, format!("Twilio refused the call: {e}")))?;
    let sid = rest::sid_of(&answer).ok_or_else(|| fail(502, "Twilio's answer carried no sid"))?;
    Ok((201, picked(json!({ "sid": sid, "to": dest.number }), &pick)))
}

enum What<'a> {
    Say(&'a str),
    Url(&'a str),
    Flow(&'a str),
}

fn secret(env: &Env) -> Result<Vec<u8>, Failure> {
    env.secret("CHALLENGE_SECRET")
        .map(|s| s.to_string().into_bytes())
        .ok()
        .filter(|s| !s.is_empty())
        .ok_or_else(|| fail(503, "the CHALLENGE_SECRET secret is not set"))
}

/// `POST /api/v1/verifications`: `{account, to, channel: "voice"|"sms"}`.
pub async fn send_code(env: &Env, kv: &KvStore, body: &Value) -> Reply {
    let field = |k: &str| body.get(k).and_then(Value::as_str);
    let account = account_of(field("account"))?;
    let to = field("to").ok_or_else(|| fail(400, "to is required"))?;
    let channel = match field("channel") {
        Some("voice") => Channel::Voice,
        Some("sms") => Channel::Sms,
        _ => return Err(fail(400, "channel is voice or sms")),
    };
    let config = required_config(kv, account).await?;
    let settings = &config.verification;
    let secret = secret(env)?;
    let auth = rest::basic_auth(env, account)
        .ok_or_else(|| fail(503, "no credentials for this account"))?;
    let (dest, pick) = clear(kv, account, &config, to).await?;
    let random = clock::random_bytes(64).map_err(|e| fail(503, e))?;
    let code = verification::new_code(&random, settings.code_length)
        .ok_or_else(|| fail(503, "not enough randomness"))?;
    let now = clock::now_ms();
    let pending = verification::issue(
        &secret,
        &dest.number,
        &code,
        channel,
        now,
        settings.ttl_secs,
        settings.max_attempts,
    );
    let api = rest::base(env, rest::API);
    let (url, form) = match channel {
        Channel::Sms => (
            format!("{api}/2010-04-01/Accounts/{account}/Messages.json"),
            Params::from_pairs([
                ("To", dest.number.to_string()),
                ("From", pick.caller_id.to_string()),
                ("Body", settings.sms_text.replace("{code}", &code)),
            ]),
        ),
        Channel::Voice => {
            let language = dest
                .region
                .as_ref()
                .and_then(|r| settings.languages.get(r))
                .map(String::as_str);
            let digits = verification::spoken(&code);
            let say = |t: String| Prompt::say(t).voiced(None, language);
            // Slowly, twice, with a breath between: people write it down.
            let twiml = twiml::render(&Outcome::Goodbye(vec![
                say(format!("{} {digits}.", settings.voice_text)),
                say(format!("{} {digits}.", settings.voice_text)),
            ]));
            (
                format!("{api}/2010-04-01/Accounts/{account}/Calls.json"),
                Params::from_pairs([
                    ("To", dest.number.to_string()),
                    ("From", pick.caller_id.to_string()),
                    ("Twiml", twiml),
                ]),
            )
        }
    };
    // Stored before sending, so an SMS reply that beats our answer still matches.
    let key = verification_key(account, &dest.number);
    store::put_json(kv, &key, &pending).await?;
    if let Err(e) = rest::post(
        &url,
        "application/x-www-form-urlencoded",
        form.encode(),
        Some(&auth),
    )
    .await
    {
        kv.delete(&key).await.map_err(store::StoreError::from)?;
        return Err(fail(502, format!("the code could not be sent: {e}")));
    }
    Ok((
        201,
        json!({ "status": "pending", "to": dest.number, "channel": channel, "caller_id": pick.caller_id, "expires_in_secs": settings.ttl_secs }),
    ))
}

/// `POST /api/v1/verifications/check`: `{account, to, code}`.
pub async fn check_code(env: &Env, kv: &KvStore, body: &Value) -> Reply {
    let field = |k: &str| body.get(k).and_then(Value::as_str);
    let account = account_of(field("account"))?;
    let to = field("to").ok_or_else(|| fail(400, "to is required"))?;
    let code = field("code").ok_or_else(|| fail(400, "code is required"))?;
    let config = required_config(kv, account).await?;
    let dest = outbound::parse_destination(to, config.default_country.as_deref())
        .map_err(|r| Failure::from(Guarded::Refused(r)))?;
    let secret = secret(env)?;
    let key = verification_key(account, &dest.number);
    let pending = store::get_json(kv, &key).await?;
    let (verdict, next) = verification::check(
        pending.as_ref(),
        &secret,
        &dest.number,
        code,
        clock::now_ms(),
    );
    settle(kv, &key, next).await?;
    Ok((200, verdict_json(&dest.number, &verdict)))
}

fn verdict_json(to: &E164, verdict: &Verdict) -> Value {
    match verdict {
        Verdict::Approved => json!({ "to": to, "status": "approved" }),
        Verdict::Denied(why) => {
            json!({ "to": to, "status": "denied", "reason": why, "message": why.message() })
        }
    }
}

async fn settle(kv: &KvStore, key: &str, next: Next) -> Result<(), store::StoreError> {
    match next {
        Next::Keep(p) => store::put_json(kv, key, &p).await,
        Next::Remove => kv.delete(key).await.map_err(store::StoreError::from),
        Next::Unchanged => Ok(()),
    }
}

/// `POST /sms/incoming`: a text to one of our numbers. A reply carrying the
/// code pending for the sender approves it, as OrderUp's flow did.
pub async fn sms_incoming(hook: &Webhook, env: &Env, log: &mut Line) -> Result<Outcome, String> {
    let (Some(account), Some(from)) = (hook.get("AccountSid"), hook.get("From")) else {
        return Ok(Outcome::Text(None));
    };
    let Ok(from) = E164::parse(from) else {
        return Ok(Outcome::Text(None));
    };
    let kv = env.kv(KV_BINDING).map_err(|e| e.to_string())?;
    let key = verification_key(account, &from);
    let Some(pending) = store::get_json::<verification::Pending>(&kv, &key)
        .await
        .map_err(|e| e.to_string())?
    else {
        log.set("reason", "no_pending_code");
        return Ok(Outcome::Text(None));
    };
    let config = config(&kv, account).await.map_err(|e| e.to_string())?;
    let length = config.map(|c| c.verification.code_length).unwrap_or(6);
    let secret = secret(env).map_err(|Failure(_, e, _)| e)?;
    let body = hook.get("Body").unwrap_or("");
    let (verdict, next) = verification::check_text(
        Some(&pending),
        &secret,
        &from,
        body,
        clock::now_ms(),
        length,
    );
    settle(&kv, &key, next).await.map_err(|e| e.to_string())?;
    Ok(Outcome::Text(Some(match verdict {
        Verdict::Approved => {
            log.set("reason", "verified");
            "Thank you, your number is verified.".to_string()
        }
        Verdict::Denied(why) => {
            log.set("reason", serde_json::to_value(why).unwrap_or_default());
            format!("Not verified: {}.", why.message())
        }
    })))
}
