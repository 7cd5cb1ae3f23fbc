//! `…/lines[/{To}]`: a line's config, validated whole before it is stored.

use super::outbound::{guard_sms, guard_targets};
use super::{body_text, number, ApiError, Ctx, Reply};
use serde_json::{json, Value};
use switchboard_core::account::AccountSid;
use switchboard_core::body;
use switchboard_core::config::LineConfig;
use switchboard_core::outcome::Target;
use switchboard_core::phone::E164;
use switchboard_edge::{clock, store};
use worker::{kv::KvStore, Method};

pub async fn route(cx: &mut Ctx<'_>, method: Method, rest: &[&str]) -> Reply {
    match (method, rest) {
        (Method::Get, []) => list(cx.kv, cx.account).await,
        (Method::Get, [to]) => get(cx.kv, cx.account, &number(to)?).await,
        (Method::Put, [to]) => put(cx, &number(to)?).await,
        (Method::Delete, [to]) => delete(cx.kv, cx.account, &number(to)?).await,
        _ => Err(ApiError::NoRoute),
    }
}

pub fn no_line(to: &E164) -> ApiError {
    ApiError::NotFound(format!("no line {to} in this account"))
}

async fn list(kv: &KvStore, account: &AccountSid) -> Reply {
    let prefix = store::lines_prefix(account);
    let keys = store::list::<Value>(kv, &prefix).await?;
    let lines: Vec<&str> = keys
        .iter()
        .filter_map(|(k, _)| k.strip_prefix(&prefix))
        .collect();
    Ok((200, json!({ "lines": lines })))
}

async fn get(kv: &KvStore, account: &AccountSid, to: &E164) -> Reply {
    match store::get_json::<Value>(kv, &store::line_key(account, to)).await? {
        Some(v) => Ok((200, v)),
        None => Err(no_line(to)),
    }
}

async fn put(cx: &mut Ctx<'_>, to: &E164) -> Reply {
    let text = body_text(cx.req).await?;
    let config: LineConfig = body::parse(&text)?;
    config.validate()?;
    if let Some(h) = &config.hours {
        clock::local_weekday_minute(&h.time_zone, clock::now_ms())
            .map_err(|e| ApiError::invalid("hours.time_zone", format!("hours.time_zone: {e}")))?;
    }
    let targets: Vec<(String, &Target)> = config
        .owner
        .targets
        .iter()
        .enumerate()
        .map(|(i, t)| (format!("owner.targets[{i}]"), t))
        .collect();
    guard_targets(cx.kv, cx.account, to, &targets).await?;
    let notify = &config.voicemail.notify;
    if let (Some(sms_to), Some(from)) = (&notify.sms_to, &notify.sms_from) {
        let home = [to.clone(), from.clone()];
        guard_sms(cx.kv, cx.account, "voicemail.notify.sms_to", sms_to, &home).await?;
    }
    store::put_json(cx.kv, &store::line_key(cx.account, to), &config).await?;
    Ok((200, serde_json::to_value(&config).unwrap_or_default()))
}

/// The line and its list entries.
async fn delete(kv: &KvStore, account: &AccountSid, to: &E164) -> Reply {
    let key = store::line_key(account, to);
    if store::get_json::<Value>(kv, &key).await?.is_none() {
        return Err(no_line(to));
    }
    let entries = store::list::<Value>(kv, &store::entries_prefix(account, to)).await?;
    for (k, _) in &entries {
        kv.delete(k).await?;
    }
    kv.delete(&key).await?;
    Ok((
        200,
        json!({ "deleted": to.as_str(), "entries_deleted": entries.len() }),
    ))
}
