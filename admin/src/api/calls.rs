//! `…/calls` (start a call through Twilio's REST API) and
//! `…/verifications[/check]` (send a code by voice or SMS, check one).
//! Every destination passes the guard and counts against the account's
//! hourly limits in its ledger, exactly as a call from a device does.

use super::idempotency;
use super::outbound::{destination, required_config};
use super::{answer, body_text, json_body, parse_json, Answered, ApiError, Ctx, Reply};
use crate::contract::outbound::{
    CallRequest, CallStarted, CheckRequest, CheckResult, CheckStatus, CodeRequest, CodeSent,
    PickedBy,
};
use serde_json::Value;
use switchboard_core::account::AccountSid;
use switchboard_core::form::Params;
use switchboard_core::ledger::{Answer, Op};
use switchboard_core::outbound::verification::{self, Channel, Verdict};
use switchboard_core::outbound::{self, Destination, Outbound, Pick};
use switchboard_core::outcome::{Outcome, Prompt};
use switchboard_core::paths;
use switchboard_core::phone::E164;
use switchboard_core::render::twiml;
use switchboard_edge::ledger::{self, ask_ledger, scope};
use switchboard_edge::outbound::{count_call, Guarded};
use switchboard_edge::{clock, rest, settings};
use worker::Env;

/// `POST …/calls`, with an optional `Idempotency-Key`.
pub async fn start_call(cx: &mut Ctx<'_>) -> Result<Answered, ApiError> {
    let text = body_text(cx.req).await?;
    let body: CallRequest = parse_json(&text)?;
    let cx: &Ctx = cx;
    idempotency::once(cx, &text, |held| {
        place_call(cx, body, held.map(|h| h.carrier_token("call")))
    })
    .await
}

/// `POST …/verifications`, with an optional `Idempotency-Key`.
pub async fn send_code(cx: &mut Ctx<'_>) -> Result<Answered, ApiError> {
    let text = body_text(cx.req).await?;
    let body: CodeRequest = parse_json(&text)?;
    let cx: &Ctx = cx;
    idempotency::once(cx, &text, |held| {
        issue_code(cx, body, held.map(|h| h.carrier_token("code")))
    })
    .await
}

/// `POST …/verifications/check`.
pub async fn check_code(cx: &mut Ctx<'_>) -> Reply {
    let body: CheckRequest = json_body(cx.req).await?;
    check(cx, body).await
}

impl From<Guarded> for ApiError {
    fn from(g: Guarded) -> ApiError {
        match g {
            Guarded::Refused(r) => r.into(),
            Guarded::Store(e) => ApiError::Unavailable(e),
        }
    }
}

/// Parse, the static guard, this hour's rate, then the pick. Counts the
/// attempt when it is allowed.
async fn clear(
    env: &Env,
    account: &AccountSid,
    config: &Outbound,
    to: &str,
) -> Result<(Destination, Pick), ApiError> {
    let dest = destination(config, to)?;
    count_call(env, account, config, dest.number.as_str()).await?;
    let pick = outbound::pick(config, &dest);
    Ok((dest, pick))
}

fn credentials(env: &Env, account: &AccountSid) -> Result<String, ApiError> {
    rest::basic_auth(env, account)
        .ok_or_else(|| ApiError::Unavailable("no credentials for this account".into()))
}

enum What<'a> {
    Say(&'a str),
    Url(&'a str),
    Flow(&'a str),
}

/// `{to, message | url | flow_sid, parameters?}`: `token` is the carrier's
/// idempotency token when the client gave a key.
async fn place_call(cx: &Ctx<'_>, body: CallRequest, token: Option<String>) -> Reply {
    let (env, account) = (cx.env, cx.account);
    let what = match (&body.message, &body.url, &body.flow_sid) {
        (Some(m), None, None) => What::Say(m),
        (None, Some(u), None) if u.starts_with("https://") || u.starts_with("http://") => {
            What::Url(u)
        }
        (None, None, Some(f)) if outbound::is_flow_sid(f) => What::Flow(f),
        (None, Some(_), None) => {
            return Err(ApiError::invalid("url", "url: must be an http(s) URL"))
        }
        (None, None, Some(_)) => {
            return Err(ApiError::invalid(
                "flow_sid",
                "flow_sid: a Studio Flow SID: FW and 32 hex digits",
            ))
        }
        _ => {
            return Err(ApiError::Malformed(
                "give exactly one of message, url, flow_sid".into(),
            ))
        }
    };
    let config = required_config(cx.kv, account).await?;
    let auth = credentials(env, account)?;
    let (dest, pick) = clear(env, account, &config, &body.to).await?;
    let (to, from) = (dest.number.to_string(), pick.caller_id.to_string());
    let (url, form) = match what {
        What::Flow(flow) => {
            let parameters = Value::Object(body.parameters.clone().unwrap_or_default()).to_string();
            let base = settings::base_url(env, rest::STUDIO);
            (
                format!("{base}/v2/Flows/{flow}/Executions"),
                Params::from_pairs([("To", to), ("From", from), ("Parameters", parameters)]),
            )
        }
        What::Say(text) => {
            let twiml = twiml::render(&Outcome::Goodbye(vec![Prompt::say(text)]));
            (
                calls_url(env, account),
                reported(
                    cx,
                    "api_call",
                    [("To", to), ("From", from), ("Twiml", twiml)],
                ),
            )
        }
        What::Url(u) => (
            calls_url(env, account),
            reported(
                cx,
                "api_call",
                [("To", to), ("From", from), ("Url", u.to_string())],
            ),
        ),
    };
    let created = rest::post_once(
        &url,
        "application/x-www-form-urlencoded",
        form.encode(),
        Some(&auth),
        token,
    )
    .await
    .map_err(|e| ApiError::Upstream(format!("Twilio refused the call: {e}")))?;
    let sid = rest::sid_of(&created)
        .ok_or_else(|| ApiError::Upstream("Twilio's answer carried no sid".into()))?;
    answer(
        201,
        &CallStarted {
            sid,
            to: dest.number.clone(),
            picked: PickedBy::from(&pick),
        },
    )
}

/// A REST call's form with the status callback that gives it a record.
/// The public URL is `PUBLIC_BASE_URL` when set, else the one this request
/// came in on (the calls worker hands `/api/` over on the same host).
fn reported(cx: &Ctx<'_>, leg: &str, form: [(&str, String); 3]) -> Params {
    let base = settings::var(cx.env, "PUBLIC_BASE_URL")
        .map(|b| b.trim().to_string())
        .filter(|b| !b.is_empty())
        .or_else(|| cx.req.url().ok().map(|u| u.origin().ascii_serialization()))
        .unwrap_or_default();
    let callback = paths::rest_status_callback(&base, leg);
    Params::from_pairs(form.into_iter().chain(callback))
}

fn calls_url(env: &Env, account: &AccountSid) -> String {
    format!(
        "{}/2010-04-01/Accounts/{account}/Calls.json",
        settings::base_url(env, rest::API)
    )
}

/// `{to, channel: "voice"|"sms"}`.
async fn issue_code(cx: &Ctx<'_>, body: CodeRequest, token: Option<String>) -> Reply {
    let (env, account, channel) = (cx.env, cx.account, body.channel);
    let config = required_config(cx.kv, account).await?;
    let settings = &config.verification;
    let secret = settings::challenge_secret(env).map_err(ApiError::Unavailable)?;
    let auth = credentials(env, account)?;
    let (dest, pick) = clear(env, account, &config, &body.to).await?;
    let random = clock::random_bytes(64).map_err(ApiError::Unavailable)?;
    let code = verification::new_code(&random, settings.code_length)
        .ok_or_else(|| ApiError::Unavailable("not enough randomness".into()))?;
    let pending = verification::issue(
        secret.as_bytes(),
        &dest.number,
        &code,
        channel,
        clock::now_ms(),
        settings.ttl_secs,
        settings.max_attempts,
    );
    let (to, from) = (dest.number.to_string(), pick.caller_id.to_string());
    let (url, form) = match channel {
        Channel::Sms => (
            format!(
                "{}/2010-04-01/Accounts/{account}/Messages.json",
                settings::base_url(env, rest::API)
            ),
            Params::from_pairs([
                ("To", to),
                ("From", from),
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
                calls_url(env, account),
                reported(
                    cx,
                    "verification",
                    [("To", to), ("From", from), ("Twiml", twiml)],
                ),
            )
        }
    };
    // Kept before sending, so an SMS reply that beats our answer still matches.
    let ledger = scope::verification(account, &dest.number);
    ask_ledger(env, &ledger, &Op::Issue { pending })
        .await
        .map_err(ApiError::Unavailable)?;
    if let Err(e) = rest::post_once(
        &url,
        "application/x-www-form-urlencoded",
        form.encode(),
        Some(&auth),
        token,
    )
    .await
    {
        ask_ledger(env, &ledger, &Op::Withdraw)
            .await
            .map_err(ApiError::Unavailable)?;
        return Err(ApiError::Upstream(format!(
            "the code could not be sent: {e}"
        )));
    }
    answer(
        201,
        &CodeSent {
            status: "pending".into(),
            to: dest.number.clone(),
            channel,
            caller_id: pick.caller_id.clone(),
            expires_in_secs: settings.ttl_secs,
        },
    )
}

/// `POST …/verifications/check`: `{to, code}`. The code's ledger checks and
/// counts the attempt in one step, so parallel guesses get no more tries
/// than `max_attempts`, and a right code is approved once.
async fn check(cx: &Ctx<'_>, body: CheckRequest) -> Reply {
    let config = required_config(cx.kv, cx.account).await?;
    let dest = switchboard_numbers::parse_destination(&body.to, config.default_country.as_deref())?;
    let verdict = ledger::verify(cx.env, cx.account, &dest.number, Answer::Code(body.code))
        .await
        .map_err(ApiError::Unavailable)?;
    answer(200, &result(&dest.number, &verdict))
}

fn result(to: &E164, verdict: &Verdict) -> CheckResult {
    let (status, reason, message) = match verdict {
        Verdict::Approved => (CheckStatus::Approved, None, None),
        Verdict::Denied(why) => (
            CheckStatus::Denied,
            Some(*why),
            Some(why.message().to_string()),
        ),
    };
    CheckResult {
        to: to.clone(),
        status,
        reason,
        message,
    }
}
