//! Telling the owner about a voicemail: an SMS through the Twilio REST API
//! and/or a JSON POST. The message is stored before any of this starts, every
//! request has a timeout, and each channel is sent at most once: the call's
//! ledger hands out a short lease before a send and marks the channel sent
//! after it, so two callbacks arriving together (the `<Record>` action and
//! the recording-status callback, or a carrier retry) never both send. What
//! fails stays pending on the message and is tried again on the next
//! callback for the same call, and by the admin worker's scheduled watch;
//! nothing is dropped silently. Both workers send through here.

use crate::ledger::{ask_ledger, scope};
use crate::log::Event;
use crate::{clock, rest, settings};
use switchboard_core::account::AccountSid;
use switchboard_core::config::Notify;
use switchboard_core::form::Params;
use switchboard_core::ledger::{Op, Reply};
use switchboard_core::phone::E164;
use switchboard_core::voicemail::{Channel, Message};
use worker::Env;

/// Long enough for one send and its timeout; a sender that died holds the
/// channel no longer than this.
const LEASE_MS: u64 = 30_000;
const SENT: &str = "sent";

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

fn key(channel: Channel) -> &'static str {
    match channel {
        Channel::Sms => "sms",
        Channel::Webhook => "webhook",
    }
}

/// Tries every pending channel; keeps the ones that failed, with the reason.
/// A channel another callback is sending right now stays pending here (the
/// next callback sees it sent).
pub async fn deliver(env: &Env, account: &AccountSid, message: &mut Message, notify: &Notify) {
    let ledger = scope::voicemail(account, &message.call_sid);
    let mut still = Vec::new();
    let mut errors = Vec::new();
    for channel in std::mem::take(&mut message.pending) {
        let sent = once(env, &ledger, key(channel), || async {
            match channel {
                Channel::Sms => send_sms(env, account, message, notify).await,
                Channel::Webhook => post_webhook(message, notify).await,
            }
        })
        .await;
        match sent {
            Sent::Now | Sent::Before => {}
            Sent::Elsewhere => still.push(channel),
            Sent::Not(e) => {
                errors.push(e);
                still.push(channel);
            }
        }
    }
    message.pending = still;
    message.last_error = (!errors.is_empty()).then(|| errors.join("; "));
}

/// What became of one channel's send.
pub enum Sent {
    /// Sent by this call.
    Now,
    /// Sent earlier: the ledger says so, and it is not sent again.
    Before,
    /// Another sender holds the channel's lease right now.
    Elsewhere,
    /// Not sent: the send or the ledger failed. The channel is free for the
    /// next try.
    Not(String),
}

/// Sends on `channel` at most once for `ledger`'s scope: a short lease is
/// taken before `send`, and the channel is marked sent for good after it
/// succeeds (or released, when it fails). Voicemail notices and the watch's
/// alerts go through here, each channel on its own, so a receiver that is
/// down holds back neither the other channel nor a second copy.
pub async fn once<F, Fut>(env: &Env, ledger: &str, channel: &str, send: F) -> Sent
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = Result<(), String>>,
{
    let lease = match clock::random_bytes(8) {
        Ok(b) => b.iter().map(|b| format!("{b:02x}")).collect::<String>(),
        Err(e) => return Sent::Not(e),
    };
    let claim = Op::Claim {
        key: channel.into(),
        holder: lease.clone(),
        until_ms: Some(clock::now_ms() + LEASE_MS),
    };
    match ask_ledger(env, ledger, &claim).await {
        Ok(Reply::Claimed) => {}
        Ok(Reply::Held { holder }) if holder == SENT => return Sent::Before,
        Ok(_) => return Sent::Elsewhere,
        Err(e) => return Sent::Not(format!("{channel}: {e}")),
    }
    let (settle, sent) = match send().await {
        Ok(()) => (
            Op::Replace {
                key: channel.into(),
                from: lease,
                to: SENT.into(),
                until_ms: None,
            },
            Sent::Now,
        ),
        Err(e) => (
            Op::Release {
                key: channel.into(),
                holder: lease,
            },
            Sent::Not(e),
        ),
    };
    match (ask_ledger(env, ledger, &settle).await, sent) {
        (Ok(_), sent) => sent,
        (Err(e), Sent::Not(failed)) => Sent::Not(format!("{failed}; {channel}: {e}")),
        // Sent, though not marked: it counts as sent (a second copy is
        // worse than a missing mark), and the log says what went wrong.
        (Err(e), sent) => {
            let mut line = Event::new("notify");
            line.set("channel", channel)
                .set("error", format!("ledger: {e}"));
            line.emit();
            sent
        }
    }
}

async fn send_sms(
    env: &Env,
    account: &AccountSid,
    message: &Message,
    notify: &Notify,
) -> Result<(), String> {
    let (Some(to), Some(from)) = (&notify.sms_to, &notify.sms_from) else {
        return Ok(());
    };
    sms(env, account, to, from, message.sms_body()).await
}

/// One text through the Twilio REST API, on the account's credentials.
pub async fn sms(
    env: &Env,
    account: &AccountSid,
    to: &E164,
    from: &E164,
    body: String,
) -> Result<(), String> {
    let auth = rest::basic_auth(env, account).ok_or("sms: no credentials for this account")?;
    let url = format!(
        "{}/2010-04-01/Accounts/{account}/Messages.json",
        settings::base_url(env, rest::API)
    );
    let body = Params::from_pairs([
        ("To", to.as_str()),
        ("From", from.as_str()),
        ("Body", body.as_str()),
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
    });
    post_json(url, &body).await
}

/// A JSON POST to a receiver the account named.
pub async fn post_json(url: &str, body: &serde_json::Value) -> Result<(), String> {
    rest::post(url, "application/json", body.to_string(), None)
        .await
        .map(drop)
        .map_err(|e| format!("webhook: {e}"))
}
