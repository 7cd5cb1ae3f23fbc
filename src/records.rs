//! What happens to a call after we answer it: the decision we took, the
//! progress of every leg we placed (`/voice/status`), and the account's
//! Debugger events (`/twilio/debugger`), each written to the account's
//! `CallLog` object in the admin worker.

use crate::intake::Webhook;
use switchboard_core::account::AccountSid;
use switchboard_core::records::status::StatusEvent;
use switchboard_core::records::{DebuggerEvent, Decided, LogWrite, Stored};
use switchboard_edge::log::Event;
use switchboard_edge::{clock, objects, rest, settings};
use worker::Env;

const CALL_LOG: &str = switchboard_edge::CALL_LOG_BINDING;

/// Why a carrier's report was not stored: its own fault (a 400, and
/// nothing written) or ours (logged; the carrier still gets a 200).
pub enum NotStored {
    Unreadable(String),
    Failed(String),
}

async fn write(env: &Env, account: &str, op: &LogWrite) -> Result<Stored, String> {
    match objects::ask::<_, Stored>(env, CALL_LOG, account, op).await? {
        (_, Ok(v)) => Ok(v),
        (status, Err(e)) => Err(format!("call log answered {status}: {e}")),
    }
}

/// `POST /voice/status`. Answers the CallSid whose `QueueTime` is still
/// to be read from its Call resource ([`queue_time`]), if any.
pub async fn status(
    hook: &Webhook,
    env: &Env,
    log: &mut Event,
) -> Result<Option<String>, NotStored> {
    let event = StatusEvent::read(&hook.params, clock::now_ms())
        .map_err(|e| NotStored::Unreadable(e.to_string()))?;
    log.set("call", event.call_sid.as_str())
        .set("status", event.status.as_str())
        .set("leg", event.feature.as_str())
        .set("seq", event.sequence);
    let wanted = event.wants_queue_time().then(|| event.call_sid.clone());
    let stored = write(env, hook.account.as_str(), &LogWrite::Status(event))
        .await
        .map_err(NotStored::Failed)?;
    if !stored.stored {
        log.set("reason", "repeat");
        return Ok(None);
    }
    Ok(wanted)
}

/// Reads a REST-created call's `QueueTime` from its Call resource and adds
/// it to the record. Run after the callback is answered (`wait_until`):
/// Twilio does not wait on our REST request.
pub async fn queue_time(env: Env, account: AccountSid, call_sid: String, request_id: String) {
    let found = async {
        let auth = rest::basic_auth(&env, &account).ok_or("no credentials for this account")?;
        let url = format!(
            "{}/2010-04-01/Accounts/{account}/Calls/{call_sid}.json",
            settings::base_url(&env, rest::API)
        );
        let answer = rest::get(&url, Some(&auth)).await?;
        let call: serde_json::Value =
            serde_json::from_str(&answer).map_err(|e| format!("call resource: {e}"))?;
        // Twilio gives it as a string of milliseconds.
        let ms = match &call["queue_time"] {
            serde_json::Value::String(s) => s.parse::<u64>().ok(),
            v => v.as_u64(),
        };
        let Some(queue_time_ms) = ms else {
            return Ok(());
        };
        let op = LogWrite::Queued {
            call_sid: call_sid.clone(),
            queue_time_ms,
        };
        write(&env, account.as_str(), &op).await.map(drop)
    };
    if let Err(e) = found.await {
        let mut log = Event::request("record", &request_id);
        log.set("account", account.as_str())
            .set("call", call_sid.as_str())
            .set("error", format!("queue time: {e}"));
        log.emit();
    }
}

/// `POST /twilio/debugger`.
pub async fn debugger(
    hook: &Webhook,
    env: &Env,
    log: &mut Event,
) -> Result<Option<String>, NotStored> {
    let event =
        DebuggerEvent::read(&hook.params, clock::now_ms()).map_err(NotStored::Unreadable)?;
    log.set("code", event.error_code.as_str())
        .set("sid", event.sid.as_str());
    let stored = write(env, hook.account.as_str(), &LogWrite::Debugger(event))
        .await
        .map_err(NotStored::Failed)?;
    if !stored.stored {
        log.set("reason", "repeat");
    }
    Ok(None)
}

/// Writes what we decided for an inbound call. Run after the answer has
/// gone (`wait_until`): the caller never waits for the record.
pub async fn decided(env: Env, account: String, decided: Decided, request_id: String) {
    if let Err(e) = write(&env, &account, &LogWrite::Decided(decided)).await {
        let mut log = Event::request("record", &request_id);
        log.set("account", account).set("error", e);
        log.emit();
    }
}
