//! The number's fallback URL (`/voice/fallback` and its two follow-ups):
//! Twilio calls it when the primary handler failed, and the caller gets the
//! deployment's plan (`switchboard_edge::fallback`).

use crate::intake::Webhook;
use switchboard_core::outcome::Outcome;
use switchboard_core::voicemail;
use switchboard_edge::log::Event;
use switchboard_edge::{clock, fallback as plan, store, KV_BINDING};
use worker::Env;

/// `/voice/fallback`: Twilio tells us what failed; the log keeps it.
pub fn failed(hook: &Webhook, env: &Env, log: &mut Event) -> Outcome {
    log.set("error_code", hook.get("ErrorCode").unwrap_or(""))
        .set("error_url", hook.get("ErrorUrl").unwrap_or(""));
    plan::logged(env, log).outcome()
}

/// `/voice/fallback/dialed`: the forward ended; voicemail if nobody answered.
pub fn dialed(hook: &Webhook, env: &Env, log: &mut Event) -> Outcome {
    plan::logged(env, log).after_dial(hook.get("DialCallStatus"))
}

/// `/voice/fallback/recorded`: the message is kept under the account, then
/// the caller is thanked. A failed write still thanks the caller: the
/// recording stays in the carrier's account and its sid is in the log line.
pub async fn recorded(hook: &Webhook, env: &Env, log: &mut Event) -> Result<Outcome, String> {
    let plan = plan::logged(env, log);
    let mut message = voicemail::Message::from_recording(&hook.params, clock::now_ms(), "fallback")
        .map_err(|e| format!("recording callback: {e}"))?;
    message.account_sid = hook.account.to_string();
    log.set("recording", message.recording_sid.as_str());
    let key = store::fallback_voicemail_key(&hook.account, &message.call_sid);
    let stored = async {
        let kv = env.kv(KV_BINDING).map_err(|e| e.to_string())?;
        store::put_voicemail(&kv, &key, &message)
            .await
            .map_err(|e| e.to_string())
    };
    if let Err(e) = stored.await {
        log.set("error", format!("voicemail not stored: {e}"));
    }
    Ok(plan.thanks())
}
