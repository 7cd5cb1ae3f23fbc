//! The screening routes: a new call, the challenge answer, the end of a
//! connect attempt, and the voicemail callbacks. Each reads what it needs,
//! calls the pure decision, writes the counters it returned, and hands back
//! the outcome. `Ok(None)` means "no such line": the deployment's default.

use crate::intake::Webhook;
use switchboard_core::account::AccountSid;
use switchboard_core::config::LineConfig;
use switchboard_core::outcome::{Outcome, Prompt};
use switchboard_core::phone::{Party, E164};
use switchboard_core::screening::{self, Call, Context, Decision, Facts};
use switchboard_core::voicemail::Message;
use switchboard_edge::facts::{context, facts, Inbound};
use switchboard_edge::log::Event;
use switchboard_edge::notify;
use switchboard_edge::{clock, settings, store, KV_BINDING};
use worker::{kv::KvStore, Env};

type Answer = Result<Option<Outcome>, String>;

/// The parts of a verified webhook that identify the call; `None` when the
/// request names no line we could have (the called number is not E.164).
fn inbound(hook: &Webhook) -> Option<Inbound> {
    Some(Inbound {
        account: hook.account.clone(),
        to: E164::parse(hook.get("To")?).ok()?,
        from: Party::from_carrier(hook.get("From").unwrap_or(""), false),
        call_sid: hook.get("CallSid").unwrap_or("").to_string(),
        attested: hook.get("StirVerstat") == Some("TN-Validation-Passed-A"),
    })
}

fn kv(env: &Env) -> Result<KvStore, String> {
    env.kv(KV_BINDING).map_err(|e| format!("KV binding: {e}"))
}

fn err(e: impl std::fmt::Display) -> String {
    e.to_string()
}

/// Writes the counters the decision changed. A failed write is logged, not
/// fatal: the caller still gets the decided outcome.
async fn settle(kv: &KvStore, call: &Inbound, decision: Decision, log: &mut Event) -> Outcome {
    log.set(
        "reason",
        serde_json::to_value(decision.reason).unwrap_or_default(),
    );
    if let (Some(g), Some(from)) = (&decision.graylist, call.from.number()) {
        let key = store::gray_key(&call.account, &call.to, from);
        match store::put_json(kv, &key, g).await {
            Ok(()) => log.set("graylist", format!("{}/{}", g.unanswered, g.failed)),
            Err(e) => log.set("error", format!("graylist not stored: {e}")),
        };
    }
    decision.outcome
}

/// Reads the call's facts, decides with `decide`, writes what it changed.
async fn screen_call(
    hook: &Webhook,
    env: &Env,
    log: &mut Event,
    decide: impl FnOnce(&Call, &Facts, &Context) -> Decision,
) -> Answer {
    let Some(call) = inbound(hook) else {
        return Ok(None);
    };
    let kv = kv(env)?;
    let Some(facts) = facts(&kv, &call, settings::hot_config(env)).await? else {
        return Ok(None);
    };
    let ctx = context(env, &facts.line, clock::now_ms())?;
    let decision = decide(&call.call(), &facts, &ctx);
    Ok(Some(settle(&kv, &call, decision, log).await))
}

pub async fn incoming(hook: &Webhook, env: &Env, log: &mut Event) -> Answer {
    screen_call(hook, env, log, screening::decide_incoming).await
}

pub async fn answer(hook: &Webhook, env: &Env, log: &mut Event) -> Answer {
    let digits = hook.get("Digits").unwrap_or("");
    screen_call(hook, env, log, |call, facts, ctx| {
        screening::decide_answer(call, facts, ctx, digits)
    })
    .await
}

pub async fn dialed(hook: &Webhook, env: &Env, log: &mut Event) -> Answer {
    let Some(call) = inbound(hook) else {
        return Ok(None);
    };
    let kv = kv(env)?;
    let Some(line) = store::line(&kv, &call.account, &call.to, settings::hot_config(env))
        .await
        .map_err(err)?
    else {
        return Ok(None);
    };
    let next = hook.get("next").and_then(|n| n.parse().ok());
    let status = hook.get("DialCallStatus").unwrap_or("");
    log.set("dial_status", status);
    let decision = screening::decide_dialed(&line, &call.to, status, next);
    Ok(Some(settle(&kv, &call, decision, log).await))
}

/// The `<Record>` action: store the message, notify the owner, thank the caller.
/// The message is stored before any notification goes out, so a slow or
/// failing receiver can never lose it.
pub async fn recorded(hook: &Webhook, env: &Env, log: &mut Event) -> Answer {
    let Some(call) = inbound(hook) else {
        return Ok(None);
    };
    let kv = kv(env)?;
    let line = store::line(&kv, &call.account, &call.to, settings::hot_config(env))
        .await
        .map_err(err)?;
    let fresh = Message::from_recording(&hook.params, clock::now_ms(), "line").map_err(err)?;
    log.set("recording", fresh.recording_sid.as_str());
    let key = store::voicemail_key(&call.account, &call.call_sid);
    // A retried callback finds the message stored: what was sent stays sent.
    let mut message = match store::get_json::<Message>(&kv, &key).await.map_err(err)? {
        Some(existing) => existing,
        None => {
            let message = Message {
                account_sid: call.account.to_string(),
                pending: line
                    .as_ref()
                    .map(|l| notify::channels(&l.voicemail.notify))
                    .unwrap_or_default(),
                ..fresh
            };
            store::put_voicemail(&kv, &key, &message)
                .await
                .map_err(err)?;
            message
        }
    };
    if let Some(line) = &line {
        if deliver(env, &call.account, &mut message, line, log).await {
            store::put_voicemail(&kv, &key, &message)
                .await
                .map_err(err)?;
        }
    }
    let voice = line.as_ref().and_then(|l| l.voice.as_deref());
    let language = line.as_ref().and_then(|l| l.language.as_deref());
    Ok(Some(Outcome::Goodbye(vec![Prompt::say(
        "Thank you. Goodbye.",
    )
    .voiced(voice, language)])))
}

/// The recording status callback: the next chance for notifications that
/// failed when the message was recorded.
pub async fn recording_ready(
    hook: &Webhook,
    env: &Env,
    log: &mut Event,
) -> Result<Outcome, String> {
    let done = Outcome::Goodbye(vec![]);
    let Some(call_sid) = hook.get("CallSid") else {
        return Ok(done);
    };
    let account = &hook.account;
    let kv = kv(env)?;
    let key = store::voicemail_key(account, call_sid);
    let Some(mut message) = store::get_json::<Message>(&kv, &key).await.map_err(err)? else {
        log.set("note", "no stored message for this recording");
        return Ok(done);
    };
    if message.pending.is_empty() {
        return Ok(done);
    }
    let to = E164::parse(&message.to).map_err(err)?;
    if let Some(line) = store::line(&kv, account, &to, settings::hot_config(env))
        .await
        .map_err(err)?
    {
        if deliver(env, account, &mut message, &line, log).await {
            store::put_voicemail(&kv, &key, &message)
                .await
                .map_err(err)?;
        }
    }
    Ok(done)
}

/// Sends what is pending; says whether the message changed.
async fn deliver(
    env: &Env,
    account: &AccountSid,
    message: &mut Message,
    line: &LineConfig,
    log: &mut Event,
) -> bool {
    if message.pending.is_empty() {
        return false;
    }
    notify::deliver(env, account, message, &line.voicemail.notify).await;
    match &message.last_error {
        Some(e) => log.set("error", format!("notification pending: {e}")),
        None => log.set("notified", true),
    };
    true
}
