//! Number masking's webhooks, Twilio and MessageBird: a call or text to a
//! proxy number reads one KV index entry (written by the pool's allocator in
//! the admin worker) and is decided by `switchboard_core::masking::call`.

use crate::intake::Webhook;
use serde_json::json;
use switchboard_core::account::AccountSid;
use switchboard_core::form::Params;
use switchboard_core::masking::call::{
    decide_call, relay_target, unplaced, Carrier, Indexed, Messages,
};
use switchboard_core::outcome::Outcome;
use switchboard_core::phone::{Party, E164};
use switchboard_edge::log::Event;
use switchboard_edge::{clock, rest, settings, store, KV_BINDING};
use worker::{kv::KvStore, Env};

/// What callers hear when they cannot be put through, from the vars
/// `MASKING_UNKNOWN_MESSAGE` and `MASKING_EXPIRED_MESSAGE`.
struct Said {
    unknown: String,
    expired: String,
}

impl Said {
    fn read(env: &Env) -> Said {
        let var = |name, default: &str| settings::var(env, name).unwrap_or_else(|| default.into());
        Said {
            unknown: var(
                "MASKING_UNKNOWN_MESSAGE",
                "Sorry, we cannot identify your transaction. Make sure you call in from the number you registered.",
            ),
            expired: var(
                "MASKING_EXPIRED_MESSAGE",
                "Sorry, this connection has ended. Please contact us through the app.",
            ),
        }
    }

    fn messages(&self) -> Messages<'_> {
        Messages {
            unknown: &self.unknown,
            expired: &self.expired,
        }
    }
}

/// The session index entry for `caller` on `proxy`, if the carrier and
/// account it serves are this request's.
async fn lookup(
    env: &Env,
    proxy: &E164,
    caller: &Party,
    carrier: Carrier,
    account: Option<&AccountSid>,
) -> Result<Option<Indexed>, String> {
    let Some(caller) = caller.number() else {
        return Ok(None);
    };
    let kv: KvStore = env.kv(KV_BINDING).map_err(|e| e.to_string())?;
    let fresh = settings::hot_config(env);
    let found = store::get_config::<Indexed>(&kv, &store::proxy_key(proxy, caller), fresh)
        .await
        .map_err(|e| e.to_string())?;
    Ok(found.filter(|f| f.serves(carrier, account)))
}

/// A call from `caller` to `proxy` on either carrier: what the caller gets,
/// and the index entry that decided it, if any.
async fn call(
    env: &Env,
    proxy: &E164,
    caller: &Party,
    carrier: Carrier,
    account: Option<&AccountSid>,
    log: &mut Event,
) -> Result<(Outcome, Option<Indexed>), String> {
    let found = lookup(env, proxy, caller, carrier, account).await?;
    let said = Said::read(env);
    let now = clock::now_ms();
    let (outcome, reason) = decide_call(found.as_ref(), proxy, caller, now, said.messages());
    log.set("reason", reason.as_str());
    Ok((outcome, found))
}

/// `POST /voice/proxy`: Twilio, a call to a proxy number.
pub async fn twilio_voice(
    hook: &Webhook,
    env: &Env,
    log: &mut Event,
) -> Result<Option<Outcome>, String> {
    let Some(proxy) = hook.get("To").and_then(|t| E164::parse(t).ok()) else {
        return Ok(None);
    };
    let caller = Party::from_carrier(hook.get("From").unwrap_or(""), false);
    let account = Some(&hook.account);
    let (outcome, _) = call(env, &proxy, &caller, Carrier::Twilio, account, log).await?;
    Ok(Some(outcome))
}

/// `POST /sms/proxy`: Twilio, a text to a proxy number, relayed from it.
pub async fn twilio_sms(hook: &Webhook, env: &Env, log: &mut Event) -> Result<Outcome, String> {
    let Some(proxy) = hook.get("To").and_then(|t| E164::parse(t).ok()) else {
        return Ok(Outcome::Text(None));
    };
    let sender = Party::from_carrier(hook.get("From").unwrap_or(""), false);
    let found = lookup(env, &proxy, &sender, Carrier::Twilio, Some(&hook.account)).await?;
    match relay_target(found.as_ref(), &proxy, &sender, clock::now_ms()) {
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

/// MessageBird writes numbers without `+`; accept either.
fn messagebird_number(raw: Option<&str>) -> Option<E164> {
    raw.and_then(|d| E164::from_digits(d).ok().or_else(|| E164::parse(d).ok()))
}

/// A MessageBird call whose session the index knew: whose it is and
/// between which numbers, for the call's record. MessageBird's request
/// names no account, so a caller the index does not know is nobody's.
pub struct Known {
    pub account: String,
    pub caller: E164,
    pub proxy: E164,
}

/// `GET /messagebird/voice?source=&destination=`: MessageBird fetches the call flow.
pub async fn messagebird_voice(
    query: &Params,
    env: &Env,
    log: &mut Event,
) -> Result<(Outcome, Option<Known>), String> {
    let caller = Party::from_carrier(query.get("source").unwrap_or(""), true);
    let Some(proxy) = messagebird_number(query.get("destination")) else {
        let (outcome, reason) = unplaced(Said::read(env).messages());
        log.set("reason", reason.as_str());
        return Ok((outcome, None));
    };
    let (outcome, found) = call(env, &proxy, &caller, Carrier::Messagebird, None, log).await?;
    let known = match (found, caller.number()) {
        (Some(found), Some(number)) => Some(Known {
            account: found.account,
            caller: number.clone(),
            proxy,
        }),
        _ => None,
    };
    Ok((outcome, known))
}

/// `POST /messagebird/sms`: relayed through MessageBird's REST API.
pub async fn messagebird_sms(params: &Params, env: &Env, log: &mut Event) -> Result<(), String> {
    let Some(proxy) = messagebird_number(params.get("recipient")) else {
        return Ok(());
    };
    let sender = Party::from_carrier(params.get("originator").unwrap_or(""), true);
    let found = lookup(env, &proxy, &sender, Carrier::Messagebird, None).await?;
    let Some(other) = relay_target(found.as_ref(), &proxy, &sender, clock::now_ms()) else {
        log.set("reason", "unknown_sender");
        return Ok(());
    };
    let key = settings::secret(env, "MESSAGEBIRD_ACCESS_KEY")
        .ok_or("the MESSAGEBIRD_ACCESS_KEY secret is not set")?;
    let base = settings::base_url(env, rest::MESSAGEBIRD);
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
