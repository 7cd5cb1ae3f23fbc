//! A line's lists: `…/lines/{To}/entries[/{From}]`, the address-book import
//! (`…/lines/{To}/address-book`), a caller's counters
//! (`…/lines/{To}/graylist/{From}`), and the account-wide block list
//! (`…/blocked[/{From}]`).

use super::lines::no_line;
use super::outbound::guard_targets;
use super::paging::{kv_page, next, numbers_page, page};
use super::{answer, body_text, delete_key, json_body, ApiError, Ctx, NoFields, Reply};
use crate::contract::screening::{
    Blocked, BlockedPage, CountedCaller, Counters, EntryPage, GraylistPage, ImportReport,
    ListedEntry, Skipped,
};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use switchboard_core::config::check_target;
use switchboard_core::phone::E164;
use switchboard_core::screening::graylist::Graylist;
use switchboard_core::screening::{address_book, vcard, Entry, MAX_ADDRESS_BOOK};
use switchboard_edge::store::{self, Fresh};

/// `GET …/lines/{To}/entries`: a page, in number order. Entries carry
/// themselves as their key's metadata, so a page is one KV list.
pub async fn list(cx: &Ctx<'_>) -> Reply {
    let to = cx.number(0)?;
    let prefix = store::entries_prefix(cx.account, &to);
    let (found, next_cursor) = numbers_page::<Entry>(cx, &format!("entries:{to}"), &prefix).await?;
    let entries = found
        .into_iter()
        .map(|(number, e)| ListedEntry::new(number, e.unwrap_or_default()))
        .collect();
    answer(
        200,
        &EntryPage {
            entries,
            next_cursor,
        },
    )
}

/// `GET …/lines/{To}/graylist`: the callers the line counts, a page at a
/// time in number order, in one bulk read. Counters back at zero (a caller
/// who answered since) are left out: nobody is counted there.
pub async fn list_graylist(cx: &Ctx<'_>) -> Reply {
    let to = cx.number(0)?;
    let (page, key, list) = page(cx, &format!("graylist:{to}"))?;
    let prefix = store::gray_prefix(cx.account, &to);
    let found = kv_page::<Value>(cx, &prefix, &page).await?;
    let keys: Vec<String> = found.keys.into_iter().map(|(k, _)| k).collect();
    let counters = store::get_many::<Graylist>(cx.kv, &keys).await?;
    let graylist = keys
        .iter()
        .zip(counters)
        .filter_map(|(k, g)| {
            // Reset between the list and the read: nobody to show.
            let g = g?;
            let number = E164::parse(k.strip_prefix(&prefix)?).ok()?;
            (g.unanswered > 0 || g.failed > 0).then_some(CountedCaller {
                number,
                unanswered: g.unanswered,
                failed: g.failed,
            })
        })
        .collect();
    answer(
        200,
        &GraylistPage {
            graylist,
            next_cursor: next(&key, &list, found.next),
        },
    )
}

/// `PUT …/lines/{To}/entries/{From}`. A forward target is checked exactly
/// as a line's own targets are (shape and the toll-fraud guard): a target
/// the line config would refuse must not reach a call through the lists.
pub async fn put(cx: &mut Ctx<'_>) -> Reply {
    let (to, from) = (cx.number(0)?, cx.number(1)?);
    let entry: Entry = json_body(cx.req).await?;
    if let Some(target) = &entry.forward {
        check_target("forward", target)?;
        guard_targets(cx.kv, cx.account, &to, &[("forward".into(), target)]).await?;
    }
    store::put_entry(cx.kv, &store::entry_key(cx.account, &to, &from), &entry).await?;
    answer(200, &entry)
}

/// `DELETE …/lines/{To}/entries/{From}`.
pub async fn delete(cx: &Ctx<'_>) -> Reply {
    let (to, from) = (cx.number(0)?, cx.number(1)?);
    delete_key(cx.kv, &store::entry_key(cx.account, &to, &from)).await
}

/// `GET …/lines/{To}/graylist/{From}`.
pub async fn graylist(cx: &Ctx<'_>) -> Reply {
    let (to, from) = (cx.number(0)?, cx.number(1)?);
    let key = store::gray_key(cx.account, &to, &from);
    let g: Graylist = store::get_json(cx.kv, &key).await?.unwrap_or_default();
    answer(
        200,
        &Counters {
            unanswered: g.unanswered,
            failed: g.failed,
        },
    )
}

/// `DELETE …/lines/{To}/graylist/{From}`.
pub async fn reset_graylist(cx: &Ctx<'_>) -> Reply {
    let (to, from) = (cx.number(0)?, cx.number(1)?);
    delete_key(cx.kv, &store::gray_key(cx.account, &to, &from)).await
}

/// `POST …/lines/{To}/address-book`: replaces the line's address book with
/// the numbers of a vCard file (`switchboard_core::screening::address_book`
/// decides what changes).
pub async fn import(cx: &mut Ctx<'_>) -> Reply {
    let to = cx.number(0)?;
    let (kv, account) = (cx.kv, cx.account);
    let line = store::line(kv, account, &to, Fresh::Kv)
        .await?
        .ok_or_else(|| no_line(&to))?;
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
            Err(e) => skipped.push(Skipped {
                raw: tel.raw.clone(),
                name: tel.name.clone(),
                why: e.to_string(),
            }),
        }
    }
    let prefix = store::entries_prefix(account, &to);
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
        store::put_entry(kv, &store::entry_key(account, &to, n), entry).await?;
    }
    answer(200, &ImportReport::new(&diff, skipped))
}

/// `GET …/blocked`: callers blocked on every line of the account, a page
/// in number order.
pub async fn list_blocked(cx: &Ctx<'_>) -> Reply {
    let prefix = store::account_entries_prefix(cx.account);
    let (found, next_cursor) = numbers_page::<Value>(cx, "blocked", &prefix).await?;
    let blocked = found.into_iter().map(|(number, _)| number).collect();
    answer(
        200,
        &BlockedPage {
            blocked,
            next_cursor,
        },
    )
}

/// `PUT …/blocked/{From}`.
pub async fn block(cx: &mut Ctx<'_>) -> Reply {
    let from = cx.number(0)?;
    json_body::<NoFields>(cx.req).await?;
    let entry = Entry {
        block: true,
        ..Entry::default()
    };
    store::put_entry(cx.kv, &store::account_entry_key(cx.account, &from), &entry).await?;
    answer(
        200,
        &Blocked {
            number: from,
            block: true,
        },
    )
}

/// `DELETE …/blocked/{From}`.
pub async fn unblock(cx: &Ctx<'_>) -> Reply {
    let from = cx.number(0)?;
    delete_key(cx.kv, &store::account_entry_key(cx.account, &from)).await
}
