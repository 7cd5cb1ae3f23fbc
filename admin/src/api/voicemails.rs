//! `GET …/voicemails`: the account's messages, newest first (line voicemail
//! and those the fallback took); `GET …/voicemails/{CallSid}/recording`:
//! one message's audio.

use super::{query_of, ApiError, Ctx, Reply};
use serde_json::{json, Value};
use switchboard_core::voicemail::Message;
use switchboard_edge::{rest, settings, store};
use worker::{Headers, Response};

pub async fn list(cx: &Ctx<'_>) -> Reply {
    let kv = cx.kv;
    let keys = store::list::<Value>(kv, &store::voicemails_prefix(cx.account)).await?;
    let mut messages = Vec::new();
    for (key, _) in keys {
        if let Some(m) = store::get_json::<Message>(kv, &key).await? {
            messages.push(m);
        }
    }
    messages.sort_by_key(|m| std::cmp::Reverse(m.received_at_ms));
    Ok((200, json!({ "voicemails": messages })))
}

/// The recording of a stored message (`?via=fallback` for one the fallback
/// took), fetched from Twilio with the account's own credentials and handed
/// on as it arrives. Twilio's media URLs want HTTP auth, which a browser's
/// `<audio>` cannot send; this route takes the same bearer token as the rest
/// of the API, so a page that holds only that token can play the message.
/// The recording is named by the message this account stored, never by the
/// request: nothing else can be fetched through it.
pub async fn recording(cx: &Ctx<'_>, call_sid: &str) -> Result<Response, ApiError> {
    let gone = || ApiError::NotFound("no such voicemail".into());
    let fallback = match query_of(cx.req)?.iter().next() {
        None => false,
        Some(("via", "line")) => false,
        Some(("via", "fallback")) => true,
        Some(("via", _)) => return Err(ApiError::invalid("via", "via: line or fallback")),
        Some((other, _)) => {
            return Err(ApiError::Malformed(format!(
                "unknown query parameter {other:?}"
            )))
        }
    };
    let sid_ok = call_sid.starts_with("CA")
        && call_sid.len() <= 64
        && call_sid.bytes().all(|b| b.is_ascii_alphanumeric());
    if !sid_ok {
        return Err(gone());
    }
    let key = if fallback {
        store::fallback_voicemail_key(cx.account, call_sid)
    } else {
        store::voicemail_key(cx.account, call_sid)
    };
    let message = store::get_json::<Message>(cx.kv, &key)
        .await?
        .ok_or_else(gone)?;
    let rec = &message.recording_sid;
    let rec_ok = rec.len() == 34
        && rec.starts_with("RE")
        && rec.bytes().skip(2).all(|b| b.is_ascii_hexdigit());
    if !rec_ok {
        return Err(ApiError::NotFound(
            "this voicemail has no Twilio recording to fetch".into(),
        ));
    }
    let auth = rest::basic_auth(cx.env, cx.account)
        .ok_or_else(|| ApiError::Unavailable("no credentials for this account".into()))?;
    let url = format!(
        "{}/2010-04-01/Accounts/{}/Recordings/{rec}.mp3",
        settings::base_url(cx.env, rest::API),
        cx.account
    );
    let upstream = rest::get_media(&url, Some(&auth))
        .await
        .map_err(|e| ApiError::Upstream(format!("recording {rec}: {e}")))?;
    // Twilio's `.mp3` is audio/mpeg; any other audio type it names is kept.
    let kind = upstream
        .headers()
        .get("Content-Type")
        .ok()
        .flatten()
        .filter(|t| t.starts_with("audio/") && t.len() <= 64)
        .unwrap_or_else(|| "audio/mpeg".into());
    let (_, body) = upstream.into_parts();
    let headers = Headers::new();
    // The caller's voice: kept by no shared cache, and not by the browser.
    for (k, v) in [
        ("Content-Type", kind.as_str()),
        ("Cache-Control", "private, no-store"),
    ] {
        headers
            .set(k, v)
            .map_err(|e| ApiError::Unavailable(e.to_string()))?;
    }
    Ok(Response::builder().with_headers(headers).body(body))
}
