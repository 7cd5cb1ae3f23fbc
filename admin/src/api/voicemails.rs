//! `GET …/voicemails`: the account's messages, newest first (line voicemail
//! and those the fallback took), a page at a time: one KV list of the
//! voicemail list's keys (`store::voicemail_listing_key`, in time order) and
//! one bulk read of that page's messages; `GET …/voicemails/{CallSid}/recording`:
//! one message's audio.

use super::paging::{kv_page, next, page};
use super::{answer, query_of, ApiError, Ctx, Reply};
use crate::contract::screening::VoicemailPage;
use serde_json::Value;
use switchboard_core::voicemail::Message;
use switchboard_edge::{rest, settings, store};
use worker::{Headers, Response};

pub async fn list(cx: &Ctx<'_>) -> Reply {
    let (page, key, list) = page(cx, "voicemails")?;
    let prefix = store::voicemail_listing_prefix(cx.account);
    let found = kv_page::<Value>(cx, &prefix, &page).await?;
    let keys: Vec<String> = found
        .keys
        .iter()
        .filter_map(|(k, _)| store::voicemail_of_listing(cx.account, k))
        .collect();
    // A listing whose message is gone (deleted by hand) is skipped.
    let voicemails: Vec<Message> = store::get_many::<Message>(cx.kv, &keys)
        .await?
        .into_iter()
        .flatten()
        .collect();
    answer(
        200,
        &VoicemailPage {
            voicemails,
            next_cursor: next(&key, &list, found.next),
        },
    )
}

/// The recording of a stored message (`?via=fallback` for one the fallback
/// took), fetched from Twilio with the account's own credentials and handed
/// on as it arrives. Twilio's media URLs want HTTP auth, which a browser's
/// `<audio>` cannot send; this route takes the same bearer token as the rest
/// of the API, so a page that holds only that token can play the message.
/// The recording is named by the message this account stored, never by the
/// request: nothing else can be fetched through it.
pub async fn recording(cx: &Ctx<'_>) -> Result<Response, ApiError> {
    let call_sid = cx.param(0);
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
