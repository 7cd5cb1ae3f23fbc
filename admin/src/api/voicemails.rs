//! `GET …/voicemails`: the account's messages, newest first (line voicemail
//! and those the fallback took).

use super::{Ctx, Reply};
use serde_json::{json, Value};
use switchboard_core::voicemail::Message;
use switchboard_edge::store;

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
