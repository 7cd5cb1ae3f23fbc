//! `…/lines[/{To}]`: a line's config, validated whole before it is stored.

use super::outbound::{guard_sms, guard_targets};
use super::paging::numbers_page;
use super::{answer, body_text, ApiError, Ctx, Reply};
use crate::contract::screening::{LineDeleted, LinePage};
use serde_json::Value;
use switchboard_core::body;
use switchboard_core::config::LineConfig;
use switchboard_core::outcome::Target;
use switchboard_core::phone::E164;
use switchboard_edge::{clock, store};

pub fn no_line(to: &E164) -> ApiError {
    ApiError::NotFound(format!("no line {to} in this account"))
}

/// `GET …/lines`: a page of the account's lines, in number order.
pub async fn list(cx: &Ctx<'_>) -> Reply {
    let prefix = store::lines_prefix(cx.account);
    let (found, next_cursor) = numbers_page::<Value>(cx, "lines", &prefix).await?;
    let lines = found.into_iter().map(|(number, _)| number).collect();
    answer(200, &LinePage { lines, next_cursor })
}

/// `GET …/lines/{To}`.
pub async fn get(cx: &Ctx<'_>) -> Reply {
    let to = cx.number(0)?;
    match store::line(cx.kv, cx.account, &to, store::Fresh::Kv).await? {
        Some(config) => answer(200, &config),
        None => Err(no_line(&to)),
    }
}

/// `PUT …/lines/{To}`.
pub async fn put(cx: &mut Ctx<'_>) -> Reply {
    let to = cx.number(0)?;
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
    guard_targets(cx.kv, cx.account, &to, &targets).await?;
    let notify = &config.voicemail.notify;
    if let (Some(sms_to), Some(from)) = (&notify.sms_to, &notify.sms_from) {
        let home = [to.clone(), from.clone()];
        guard_sms(cx.kv, cx.account, "voicemail.notify.sms_to", sms_to, &home).await?;
    }
    store::put_json(cx.kv, &store::line_key(cx.account, &to), &config).await?;
    answer(200, &config)
}

/// `DELETE …/lines/{To}`: the line and its list entries.
pub async fn delete(cx: &Ctx<'_>) -> Reply {
    let (kv, account, to) = (cx.kv, cx.account, cx.number(0)?);
    let key = store::line_key(account, &to);
    if store::get_json::<Value>(kv, &key).await?.is_none() {
        return Err(no_line(&to));
    }
    let entries = store::list::<Value>(kv, &store::entries_prefix(account, &to)).await?;
    for (k, _) in &entries {
        kv.delete(k).await?;
    }
    kv.delete(&key).await?;
    answer(
        200,
        &LineDeleted {
            deleted: to,
            entries_deleted: entries.len(),
        },
    )
}
