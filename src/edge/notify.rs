//! Telling the owner about a voicemail: an SMS through the Twilio REST API
//! and/or a JSON POST. What fails stays pending on the message and is tried
//! again on the next callback for the same call; nothing is dropped silently.

use crate::config::Notify;
use crate::form::Params;
use crate::voicemail::{Channel, Message};
use base64::{engine::general_purpose::STANDARD, Engine};
use worker::{wasm_bindgen::JsValue, Env, Fetch, Headers, Method, Request, RequestInit};

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
pub async fn deliver(env: &Env, message: &mut Message, notify: &Notify, auth_token: Option<&str>) {
    let mut still = Vec::new();
    let mut errors = Vec::new();
    for channel in std::mem::take(&mut message.pending) {
        let sent = match channel {
            Channel::Sms => send_sms(env, message, notify, auth_token).await,
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

async fn send_sms(
    env: &Env,
    message: &Message,
    notify: &Notify,
    auth_token: Option<&str>,
) -> Result<(), String> {
    let (Some(to), Some(from)) = (&notify.sms_to, &notify.sms_from) else {
        return Ok(());
    };
    let token = auth_token.ok_or("sms: no auth token for this account")?;
    let base = env
        .var("TWILIO_API_BASE")
        .map(|v| v.to_string())
        .unwrap_or_default();
    let base = match base.trim().trim_end_matches('/') {
        "" => "https://api.twilio.com",
        b => b,
    }
    .to_string();
    let account = &message.account_sid;
    let url = format!("{base}/2010-04-01/Accounts/{account}/Messages.json");
    let body = Params::from_pairs([
        ("To", to.as_str().to_string()),
        ("From", from.as_str().to_string()),
        ("Body", message.sms_body()),
    ])
    .encode();
    let auth = format!("Basic {}", STANDARD.encode(format!("{account}:{token}")));
    send(&url, "application/x-www-form-urlencoded", body, Some(&auth))
        .await
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
    send(url, "application/json", body, None)
        .await
        .map_err(|e| format!("webhook: {e}"))
}

async fn send(
    url: &str,
    content_type: &str,
    body: String,
    auth: Option<&str>,
) -> Result<(), String> {
    let headers = Headers::new();
    let set = |k: &str, v: &str| headers.set(k, v).map_err(|e| e.to_string());
    set("Content-Type", content_type)?;
    if let Some(a) = auth {
        set("Authorization", a)?;
    }
    let mut init = RequestInit::new();
    init.with_method(Method::Post)
        .with_headers(headers)
        .with_body(Some(JsValue::from_str(&body)));
    let req = Request::new_with_init(url, &init).map_err(|e| e.to_string())?;
    let resp = Fetch::Request(req)
        .send()
        .await
        .map_err(|e| e.to_string())?;
    match resp.status_code() {
        200..=299 => Ok(()),
        code => Err(format!("HTTP {code}")),
    }
}
