//! `GET …/voicemails`: the account's messages, newest first (line voicemail
//! and those the fallback took), a page at a time: one KV list of the
//! voicemail list's keys (`store::voicemail_listing_key`, in time order) and
//! one bulk read of that page's messages.

use super::paging::{kv_page, next, page};
use super::{answer, Ctx, Reply};
use crate::contract::screening::VoicemailPage;
use serde_json::Value;
use switchboard_core::voicemail::Message;
use switchboard_edge::store;

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
