//! A line's lists: `…/lines/{To}/entries[/{From}]`, the address-book import
//! (`…/lines/{To}/address-book`), a caller's counters
//! (`…/lines/{To}/graylist/{From}`), and the account-wide block list
//! (`…/blocked[/{From}]`).

use super::lines::no_line;
use super::outbound::guard_targets;
use super::{
    body_text, delete_key, json_body, kv_page, number, page_of, ApiError, Ctx, NoFields, Reply,
};
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use switchboard_core::config::check_target;
use switchboard_core::phone::E164;
use switchboard_core::screening::graylist::Graylist;
use switchboard_core::screening::{address_book, vcard, Entry, MAX_ADDRESS_BOOK};
use switchboard_edge::store::{self, Fresh};
use worker::Method;

pub async fn route(cx: &mut Ctx<'_>, method: Method, to: &E164, rest: &[&str]) -> Reply {
    let (kv, account) = (cx.kv, cx.account);
    match (method, rest) {
        (Method::Get, ["entries"]) => list(cx, to).await,
        (Method::Put, ["entries", from]) => put(cx, to, &number(from)?).await,
        (Method::Delete, ["entries", from]) => {
            delete_key(kv, &store::entry_key(account, to, &number(from)?)).await
        }
        (Method::Post, ["address-book"]) => import(cx, to).await,
        (Method::Get, ["graylist"]) => counted(cx, to).await,
        (Method::Get, ["graylist", from]) => {
            let key = store::gray_key(account, to, &number(from)?);
            let g: Graylist = store::get_json(kv, &key).await?.unwrap_or_default();
            Ok((
                200,
                json!({ "unanswered": g.unanswered, "failed": g.failed }),
            ))
        }
        (Method::Delete, ["graylist", from]) => {
            delete_key(kv, &store::gray_key(account, to, &number(from)?)).await
        }
        _ => Err(ApiError::NoRoute),
    }
}

async fn list(cx: &Ctx<'_>, to: &E164) -> Reply {
    let prefix = store::entries_prefix(cx.account, to);
    let entries: Vec<Value> = store::list::<Entry>(cx.kv, &prefix)
        .await?
        .into_iter()
        .filter_map(|(k, e)| {
            let number = k.strip_prefix(&prefix)?.to_string();
            let mut v = serde_json::to_value(e.unwrap_or_default()).ok()?;
            v["number"] = json!(number);
            Some(v)
        })
        .collect();
    Ok((200, json!({ "entries": entries })))
}

/// `GET …/lines/{To}/graylist`: the callers the line counts (unanswered or
/// failed challenges), a page at a time, in one bulk read. Counters back at
/// zero are left out: nobody is counted there.
async fn counted(cx: &Ctx<'_>, to: &E164) -> Reply {
    let page = page_of(cx.req, 50, MAX_BULK_READ)?;
    let prefix = store::gray_prefix(cx.account, to);
    let (keys, next) = kv_page::<Value>(cx.kv, &prefix, page).await?;
    let names: Vec<String> = keys.into_iter().map(|(k, _)| k).collect();
    let mut texts = store::get_many(cx.kv, &names).await?;
    let mut callers = Vec::new();
    for key in &names {
        let Some(text) = texts.remove(key).flatten() else {
            continue; // reset between the list and the read
        };
        let g: Graylist = serde_json::from_str(&text).map_err(|e| {
            ApiError::Unavailable(format!(
                "stored value {} is broken: {e}",
                store::loggable(key)
            ))
        })?;
        if g.unanswered == 0 && g.failed == 0 {
            continue;
        }
        let caller = &key[prefix.len()..];
        callers.push(json!({ "number": caller, "unanswered": g.unanswered, "failed": g.failed }));
    }
    Ok((200, json!({ "graylist": callers, "next_cursor": next })))
}

/// KV reads at most this many keys in one bulk read.
const MAX_BULK_READ: u32 = 100;

/// A caller's entry on a line. A forward target is checked exactly as a
/// line's own targets are (shape and the toll-fraud guard): a target the line
/// config would refuse must not reach a call through the lists.
async fn put(cx: &mut Ctx<'_>, to: &E164, from: &E164) -> Reply {
    let entry: Entry = json_body(cx.req).await?;
    if let Some(target) = &entry.forward {
        check_target("forward", target)?;
        guard_targets(cx.kv, cx.account, to, &[("forward".into(), target)]).await?;
    }
    store::put_entry(cx.kv, &store::entry_key(cx.account, to, from), &entry).await?;
    Ok((200, serde_json::to_value(&entry).unwrap_or_default()))
}

/// Replaces the line's address book with the numbers of a vCard file
/// (`switchboard_core::screening::address_book` decides what changes).
async fn import(cx: &mut Ctx<'_>, to: &E164) -> Reply {
    let (kv, account) = (cx.kv, cx.account);
    let line = store::line(kv, account, to, Fresh::Kv)
        .await?
        .ok_or_else(|| no_line(to))?;
    let text = body_text(cx.req).await?;
    let tels = vcard::tels(&text).map_err(|e| ApiError::Malformed(e.to_string()))?;
    if tels.len() > MAX_ADDRESS_BOOK {
        return Err(ApiError::Invalid {
            field: None,
            why: format!(
                "the file has {} numbers; an address book takes at most {MAX_ADDRESS_BOOK}",
                tels.len()
            ),
        });
    }
    let mut wanted = BTreeSet::new();
    let mut skipped = Vec::new();
    for tel in &tels {
        match switchboard_numbers::parse_typed(&tel.raw, line.default_country.as_deref()) {
            Ok(n) => {
                wanted.insert(n);
            }
            Err(e) => {
                skipped.push(json!({ "raw": tel.raw, "name": tel.name, "why": e.to_string() }))
            }
        }
    }
    let prefix = store::entries_prefix(account, to);
    let existing: BTreeMap<E164, Entry> = store::list::<Entry>(kv, &prefix)
        .await?
        .into_iter()
        .filter_map(|(k, e)| {
            let n = E164::parse(k.strip_prefix(&prefix)?).ok()?;
            Some((n, e.unwrap_or_default()))
        })
        .collect();
    let diff = address_book::import(&wanted, &existing);
    for (n, entry) in &diff.writes {
        store::put_entry(kv, &store::entry_key(account, to, n), entry).await?;
    }
    let mut out = serde_json::to_value(&diff).unwrap_or_default();
    out["skipped"] = json!(skipped);
    Ok((200, out))
}

/// `…/blocked[/{From}]`: callers blocked on every line of the account.
pub async fn blocked(cx: &mut Ctx<'_>, method: Method, rest: &[&str]) -> Reply {
    let (kv, account) = (cx.kv, cx.account);
    match (method, rest) {
        (Method::Get, []) => {
            let prefix = store::account_entries_prefix(account);
            let keys = store::list::<Value>(kv, &prefix).await?;
            let blocked: Vec<&str> = keys
                .iter()
                .filter_map(|(k, _)| k.strip_prefix(&prefix))
                .collect();
            Ok((200, json!({ "blocked": blocked })))
        }
        (Method::Put, [from]) => {
            let from = number(from)?;
            json_body::<NoFields>(cx.req).await?;
            let entry = Entry {
                block: true,
                ..Entry::default()
            };
            store::put_entry(kv, &store::account_entry_key(account, &from), &entry).await?;
            Ok((200, json!({ "number": from, "block": true })))
        }
        (Method::Delete, [from]) => {
            delete_key(kv, &store::account_entry_key(account, &number(from)?)).await
        }
        _ => Err(ApiError::NoRoute),
    }
}
