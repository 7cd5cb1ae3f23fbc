//! What happens to a call after we answer it: the decision we took, the
//! progress of every leg we placed (`/voice/status`), and the account's
//! Debugger events (`/twilio/debugger`), each written to the account's
//! `CallLog` object in the admin worker.

use crate::intake::Webhook;
use switchboard_core::records::status::StatusEvent;
use switchboard_core::records::{DebuggerEvent, Decided, LogOp, Stored};
use switchboard_edge::log::Event;
use switchboard_edge::{clock, objects};
use worker::Env;

const CALL_LOG: &str = "CALL_LOG";

/// Why a carrier's report was not stored: its own fault (a 400, and
/// nothing written) or ours (logged; the carrier still gets a 200).
pub enum NotStored {
    Unreadable(String),
    Failed(String),
}

async fn write(env: &Env, account: &str, op: &LogOp) -> Result<Stored, String> {
    match objects::ask::<_, Stored>(env, CALL_LOG, account, op).await? {
        (_, Ok(v)) => Ok(v),
        (status, Err(e)) => Err(format!("call log answered {status}: {e}")),
    }
}

/// `POST /voice/status`.
pub async fn status(hook: &Webhook, env: &Env, log: &mut Event) -> Result<(), NotStored> {
    let event = StatusEvent::read(&hook.params, clock::now_ms())
        .map_err(|e| NotStored::Unreadable(e.to_string()))?;
    log.set("call", event.call_sid.as_str())
        .set("status", event.status.as_str())
        .set("leg", event.feature.as_str())
        .set("seq", event.sequence);
    let stored = write(env, hook.account.as_str(), &LogOp::Status(event))
        .await
        .map_err(NotStored::Failed)?;
    if !stored.stored {
        log.set("reason", "repeat");
    }
    Ok(())
}

/// `POST /twilio/debugger`.
pub async fn debugger(hook: &Webhook, env: &Env, log: &mut Event) -> Result<(), NotStored> {
    let event =
        DebuggerEvent::read(&hook.params, clock::now_ms()).map_err(NotStored::Unreadable)?;
    log.set("code", event.error_code.as_str())
        .set("sid", event.sid.as_str());
    let stored = write(env, hook.account.as_str(), &LogOp::Debugger(event))
        .await
        .map_err(NotStored::Failed)?;
    if !stored.stored {
        log.set("reason", "repeat");
    }
    Ok(())
}

/// Writes what we decided for an inbound call. Run after the answer has
/// gone (`wait_until`): the caller never waits for the record.
pub async fn decided(env: Env, account: String, decided: Decided) {
    if let Err(e) = write(&env, &account, &LogOp::Decided(decided)).await {
        let mut log = Event::new("record");
        log.set("account", account).set("error", e);
        log.emit();
    }
}
