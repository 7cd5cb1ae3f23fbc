//! Outbound at the edge: the voice webhook for calls placed from a Twilio
//! Client or SIP device, the caller-ID lookup, starting calls through the
//! REST API, and verification codes (voice and SMS, checked by API or by an
//! SMS reply).

use super::api::{fail, Failure, Reply};
use super::intake::Webhook;
use super::ledger::{ask_ledger, scope};
use super::log::Line;
use super::{clock, rest, settings, store, KV_BINDING};
use crate::account::AccountSid;
use crate::form::Params;
use crate::ledger::{Answer, Limit, Op, Reply as Ledger};
use crate::outbound::verification::{self, Channel, Verdict};
use crate::outbound::{self, Destination, Outbound, Pick, Refused};
use crate::outcome::{AfterDial, Connect, Outcome, Prompt, Target};
use crate::phone::{Party, E164};
use crate::render::twiml;
use serde::Deserialize;
use serde_json::{json, Value};
use worker::{kv::KvStore, Env};

pub async fn config(
    kv: &KvStore,
    account: &AccountSid,
) -> Result<Option<Outbound>, store::StoreError> {
    let key = store::outbound_key(account);
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
    env: &Env,
    account: &AccountSid,
    config: &Outbound,
    to: &str,
) -> Result<(Destination, Pick), Guarded> {
    let dest = outbound::parse_destination(to, config.default_country.as_deref())
        .map_err(Guarded::Refused)?;
    outbound::check(config, &dest).map_err(Guarded::Refused)?;
    count_call(env, account, config, dest.number.as_str()).await?;
    let pick = outbound::pick(config, &dest);
    Ok((dest, pick))
}

/// Counts one call to `destination` against the account's hourly limits,
/// exactly: the account's ledger checks and counts in one step, so a burst
/// of simultaneous requests gets exactly as many calls as the limit allows.
async fn count_call(
    env: &Env,
    account: &AccountSid,
    config: &Outbound,
    destination: &str,
) -> Result<(), Guarded> {
    let guard = &config.guard;
    let limits = vec![
        Limit {
            key: format!("to:{destination}"),
            limit: guard.max_calls_per_destination_per_hour,
        },
        Limit {
            key: "account".into(),
            limit: guard.max_calls_per_account_per_hour,
        },
    ];
    match ask_ledger(env, &scope::rate(account), &Op::Take { limits })
        .await
        .map_err(Guarded::Store)?
    {
        Ledger::Taken { .. } => Ok(()),
        Ledger::Limited { key, limit } => Err(Guarded::Refused(Refused::RateLimited {
            scope: if key == "account" {
                "for the account"
            } else {
                "to one number"
            },
            limit,
        })),
        other => Err(Guarded::Store(format!("ledger: unexpected {other:?}"))),
    }
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

/// `POST /voice/outbound`: a Client or SIP device dials `To`. Numbers and
/// SIP URIs leave the system, so both pass the guard and the rate limits;
/// a Client identity stays inside the account.
pub async fn voice(hook: &Webhook, env: &Env, log: &mut Line) -> Result<Option<Outcome>, String> {
    let account = &hook.account;
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
    let party = Party::from_carrier(to, false);
    if let Party::Client(id) = party {
        return Ok(Some(connect(Target::Client(id), None)));
    }
    let kv = env.kv(KV_BINDING).map_err(|e| e.to_string())?;
    let Some(config) = config(&kv, account).await.map_err(|e| e.to_string())? else {
        log.set("reason", "no_outbound_config");
        return Ok(Some(refusal(
            "Outbound calls are not set up for this account.",
        )));
    };
    let cleared = match party {
        Party::Sip(uri) => match outbound::check_sip(&config.guard, &uri) {
            Err(r) => Err(Guarded::Refused(r)),
            Ok(()) => count_call(env, account, &config, &uri)
                .await
                .map(|()| connect(Target::Sip(uri), None)),
        },
        _ => clear(env, account, &config, to).await.map(|(dest, pick)| {
            log.set("dialled", dest.number.masked())
                .set("caller_id", pick.caller_id.masked());
            connect(Target::Number(dest.number), Some(pick.caller_id))
        }),
    };
    match cleared {
        Ok(outcome) => Ok(Some(outcome)),
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

async fn required_config(kv: &KvStore, account: &AccountSid) -> Result<Outbound, Failure> {
    config(kv, account).await?.ok_or_else(|| {
        fail(
            404,
            "no outbound config for this account: PUT /api/v1/accounts/{AccountSid}/outbound",
        )
    })
}

pub async fn get_config(kv: &KvStore, account: &AccountSid) -> Reply {
    Ok((
        200,
        serde_json::to_value(required_config(kv, account).await?).unwrap_or_default(),
    ))
}

pub async fn put_config(kv: &KvStore, account: &AccountSid, config: Outbound) -> Reply {
    config.validate()?;
    store::put_json(kv, &store::outbound_key(account), &config).await?;
    Ok((200, serde_json::to_value(&config).unwrap_or_default()))
}

/// `GET …/caller-id?to=…`: the pick and the rule. Does not count against
/// the rate limit (nothing is called).
pub async fn caller_id(kv: &KvStore, account: &AccountSid, query: &Params) -> Reply {
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

/// `POST …/calls`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CallRequest {
    to: String,
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    url: Option<String>,
    #[serde(default)]
    flow_sid: Option<String>,
    /// Handed to the Studio Flow as its `Parameters`.
    #[serde(default)]
    parameters: Option<serde_json::Map<String, Value>>,
}

/// `POST …/calls`: `{to, message | url | flow_sid, parameters?}`.
pub async fn start_call(env: &Env, kv: &KvStore, account: &AccountSid, body: CallRequest) -> Reply {
    let to = body.to.as_str();
    let what = match (&body.message, &body.url, &body.flow_sid) {
        (Some(m), None, None) => What::Say(m),
        (None, Some(u), None) if u.starts_with("https://") || u.starts_with("http://") => {
            What::Url(u)
        }
        (None, None, Some(f)) if outbound::is_flow_sid(f) => What::Flow(f),
        (None, Some(_), None) => return Err(field_error("url", "must be an http(s) URL")),
        (None, None, Some(_)) => {
            return Err(field_error(
                "flow_sid",
                "a Studio Flow SID: FW and 32 hex digits",
            ))
        }
        _ => return Err(fail(400, "give exactly one of message, url, flow_sid")),
    };
    let config = required_config(kv, account).await?;
    let auth = rest::basic_auth(env, account)
        .ok_or_else(|| fail(503, "no credentials for this account"))?;
    let (dest, pick) = clear(env, account, &config, to).await?;
    let (url, form) = match what {
        What::Flow(flow) => {
            let parameters = Value::Object(body.parameters.clone().unwrap_or_default()).to_string();
            let url = format!(
                "{}/v2/Flows/{flow}/Executions",
                settings::base_url(env, rest::STUDIO)
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
                settings::base_url(env, rest::API)
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

fn field_error(field: &str, why: &str) -> Failure {
    Failure::with(422, format!("{field}: {why}"), json!({ "field": field }))
}

fn secret(env: &Env) -> Result<Vec<u8>, Failure> {
    settings::challenge_secret(env)
        .map(String::into_bytes)
        .map_err(|e| fail(503, e))
}

/// `POST …/verifications`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CodeRequest {
    to: String,
    channel: Channel,
}

/// `POST …/verifications`: `{to, channel: "voice"|"sms"}`.
pub async fn send_code(env: &Env, kv: &KvStore, account: &AccountSid, body: CodeRequest) -> Reply {
    let (to, channel) = (body.to.as_str(), body.channel);
    let config = required_config(kv, account).await?;
    let settings = &config.verification;
    let secret = secret(env)?;
    let auth = rest::basic_auth(env, account)
        .ok_or_else(|| fail(503, "no credentials for this account"))?;
    let (dest, pick) = clear(env, account, &config, to).await?;
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
    let api = settings::base_url(env, rest::API);
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
    // Kept before sending, so an SMS reply that beats our answer still matches.
    let ledger = scope::verification(account, &dest.number);
    ask_ledger(env, &ledger, &Op::Issue { pending })
        .await
        .map_err(|e| fail(503, e))?;
    if let Err(e) = rest::post(
        &url,
        "application/x-www-form-urlencoded",
        form.encode(),
        Some(&auth),
    )
    .await
    {
        ask_ledger(env, &ledger, &Op::Withdraw)
            .await
            .map_err(|e| fail(503, e))?;
        return Err(fail(502, format!("the code could not be sent: {e}")));
    }
    Ok((
        201,
        json!({ "status": "pending", "to": dest.number, "channel": channel, "caller_id": pick.caller_id, "expires_in_secs": settings.ttl_secs }),
    ))
}

/// `POST …/verifications/check`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckRequest {
    to: String,
    code: String,
}

/// `POST …/verifications/check`: `{to, code}`. The code's ledger checks and
/// counts the attempt in one step, so parallel guesses get no more tries
/// than `max_attempts`, and a right code is approved once.
pub async fn check_code(
    env: &Env,
    kv: &KvStore,
    account: &AccountSid,
    body: CheckRequest,
) -> Reply {
    let config = required_config(kv, account).await?;
    let dest = outbound::parse_destination(&body.to, config.default_country.as_deref())
        .map_err(|r| Failure::from(Guarded::Refused(r)))?;
    let verdict = verify(env, account, &dest.number, Answer::Code(body.code))
        .await
        .map_err(|e| fail(503, e))?;
    Ok((200, verdict_json(&dest.number, &verdict)))
}

async fn verify(
    env: &Env,
    account: &AccountSid,
    to: &E164,
    answer: Answer,
) -> Result<Verdict, String> {
    let op = Op::Verify {
        to: to.clone(),
        answer,
    };
    match ask_ledger(env, &scope::verification(account, to), &op).await? {
        Ledger::Verdict { verdict } => Ok(verdict),
        other => Err(format!("ledger: unexpected {other:?}")),
    }
}

fn verdict_json(to: &E164, verdict: &Verdict) -> Value {
    match verdict {
        Verdict::Approved => json!({ "to": to, "status": "approved" }),
        Verdict::Denied(why) => {
            json!({ "to": to, "status": "denied", "reason": why, "message": why.message() })
        }
    }
}

/// `POST /sms/incoming`: a text to one of our numbers. A reply carrying the
/// code pending for the sender approves it, as OrderUp's flow did.
pub async fn sms_incoming(hook: &Webhook, env: &Env, log: &mut Line) -> Result<Outcome, String> {
    let account = &hook.account;
    let Some(from) = hook.get("From").and_then(|f| E164::parse(f).ok()) else {
        return Ok(Outcome::Text(None));
    };
    let kv = env.kv(KV_BINDING).map_err(|e| e.to_string())?;
    let config = config(&kv, account).await.map_err(|e| e.to_string())?;
    let code_length = config.map(|c| c.verification.code_length).unwrap_or(6);
    let text = hook.get("Body").unwrap_or("").to_string();
    let verdict = verify(env, account, &from, Answer::Text { text, code_length }).await?;
    Ok(Outcome::Text(match verdict {
        Verdict::Approved => {
            log.set("reason", "verified");
            Some("Thank you, your number is verified.".to_string())
        }
        // A text that is not about a code stays unanswered.
        Verdict::Denied(verification::Denied::NoneSent) => {
            log.set("reason", "no_pending_code");
            None
        }
        Verdict::Denied(why) => {
            log.set("reason", serde_json::to_value(why).unwrap_or_default());
            Some(format!("Not verified: {}.", why.message()))
        }
    }))
}

/// Where a line or its forward list would put calls through: numbers pass
/// the account's guard (the line's own number counts as one the account
/// has), so a line can never become a forwarder to a premium or foreign
/// number the account never allowed.
pub async fn guard_targets(
    kv: &KvStore,
    account: &AccountSid,
    line: &E164,
    targets: &[(String, &Target)],
) -> Result<(), Failure> {
    let numbers: Vec<(&String, &E164)> = targets
        .iter()
        .filter_map(|(field, t)| match t {
            Target::Number(n) => Some((field, n)),
            _ => None,
        })
        .collect();
    if numbers.is_empty() {
        return Ok(());
    }
    let config = config(kv, account).await?;
    for (field, n) in numbers {
        let refused = outbound::classify(n)
            .and_then(|d| outbound::check_for(config.as_ref(), std::slice::from_ref(line), &d));
        if let Err(r) = refused {
            let mut detail = serde_json::to_value(&r).unwrap_or_default();
            detail["field"] = json!(field);
            return Err(Failure::with(422, format!("{field}: {r}"), detail));
        }
    }
    Ok(())
}
