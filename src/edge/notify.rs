//! Telling the owner about a voicemail: an SMS through the Twilio REST API
//! and/or a JSON POST. What fails stays pending on the message and is tried
//! again on the next callback for the same call; nothing is dropped silently.

use super::rest;
use crate::config::Notify;
use crate::form::Params;
use crate::voicemail::{Channel, Message};
use worker::Env;

/// The channels a new message must go out on.
pub fn channels(notify: &Notify) -> Vec<Channel> {
    let mut out = Vec::new();
    if notify.sms_to.is_some() {
        out.push(Channel::Sms);
    }
    if notify.webhook_url.is_some() {
        out.push(Channel::Webhook);
    }
    out
}

/// Tries every pending channel; keeps the ones that failed, with the reason.
pub async fn deliver(env: &Env, message: &mut Message, notify: &Notify) {
    let mut still = Vec::new();
    let mut errors = Vec::new();
    for channel in std::mem::take(&mut message.pending) {
        let sent = match channel {
            Channel::Sms => send_sms(env, message, notify).await,
            Channel::Webhook => post_webhook(message, notify).await,
        };
        if let Err(e) = sent {
            errors.push(e);
            still.push(channel);
        }
    }
    message.pending = still;
    message.last_error = (!errors.is_empty()).then(|| errors.join("; "));
}

async fn send_sms(env: &Env, message: &Message, notify: &Notify) -> Result<(), String> {
    let (Some(to), Some(from)) = (&notify.sms_to, &notify.sms_from) else {
        return Ok(());
    };
    let account = &message.account_sid;
    let auth = rest::basic_auth(env, account).ok_or("sms: no credentials for this account")?;
    let url = format!(
        "{}/2010-04-01/Accounts/{account}/Messages.json",
        rest::base(env, rest::API)
    );
    let body = Params::from_pairs([
        ("To", to.as_str().to_string()),
        ("From", from.as_str().to_string()),
        ("Body", message.sms_body()),
    ])
    .encode();
    rest::post(&url, "application/x-www-form-urlencoded", body, Some(&auth))
        .await
        .map(drop)
        .map_err(|e| format!("sms: {e}"))
}

async fn post_webhook(message: &Message, notify: &Notify) -> Result<(), String> {
    let Some(url) = &notify.webhook_url else {
        return Ok(());
    };
    let body = serde_json::json!({
        "event": "voicemail",
        "call_sid": message.call_sid,
        "account_sid": message.account_sid,
        "from": message.from,
        "to": message.to,
        "recording_url": message.recording_url,
        "recording_sid": message.recording_sid,
        "duration_secs": message.duration_secs,
        "received_at_ms": message.received_at_ms,
    })
    .to_string();
    rest::post(url, "application/json", body, None)
        .await
        .map(drop)
        .map_err(|e| format!("webhook: {e}"))
}
