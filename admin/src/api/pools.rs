//! `…/pools/{pool}/…`: a masking pool's numbers, settings, sessions and
//! report. Each request becomes one typed [`PoolOp`] for the pool's
//! allocator, which alone writes the pool; the API only reads the request,
//! checks it, and claims numbers in the deployment-wide registry.

use super::idempotency::{self, Held};
use super::{
    answer, body_text, json_body, paging, parse_json, query_of, Answered, ApiError, Ctx, NoFields,
    Reply,
};
use crate::allocator::{
    ask_pool, holder, CreateSession, NumberSettings, PoolOp, Settings, SettingsPatch,
};
use crate::contract::masking::{
    CreatedSession, NewSessionRequest, Notified, NumberPage, PartyTexts, PoolListed, PoolPage,
    SessionPage,
};
use crate::contract::page::PageError;
use serde_json::Value;
use switchboard_core::account::AccountSid;
use switchboard_core::form::Params;
use switchboard_core::ledger::{Op, Reply as Ledger};
use switchboard_core::masking::{NewSession, Session, State};
use switchboard_core::phone::E164;
use switchboard_edge::ledger::{ask_ledger, scope};
use switchboard_edge::outbound::config;
use switchboard_edge::store::{self, Fresh};
use switchboard_edge::{clock, rest, settings};
use worker::Env;

/// The pool the path names, checked.
fn pool<'a>(cx: &'a Ctx<'_>) -> Result<&'a str, ApiError> {
    let pool = cx.param(0);
    check_pool_name(pool)?;
    Ok(pool)
}

async fn op(cx: &Ctx<'_>, op: PoolOp) -> Reply {
    pool_op(cx.env, cx.account, pool(cx)?, op).await
}

/// `GET …/sessions[?state=live|grace]`: live and in-grace sessions (closed
/// ones are gone from the pool), oldest first.
pub async fn list_sessions(cx: &Ctx<'_>) -> Reply {
    let name = pool(cx)?;
    let mut state = None;
    let (page, key, sealed) = paging::page_with(cx, &format!("sessions:{name}"), |k, v| {
        match (k, v) {
            ("state", "live") => state = Some(State::Live),
            ("state", "grace") => state = Some(State::Grace),
            ("state", _) => {
                return Err(PageError {
                    field: "state",
                    why: "state: live or grace (closed sessions are not kept)".into(),
                })
            }
            (other, _) => {
                return Err(PageError {
                    field: "",
                    why: format!("unknown query parameter {other:?}"),
                })
            }
        }
        Ok(())
    })?;
    let op = PoolOp::ListSessions {
        limit: page.limit,
        after: page.after,
        state,
    };
    let mut found: SessionPage = typed(pool_op(cx.env, cx.account, name, op).await?)?;
    found.next_cursor = paging::next(&key, &sealed, found.next_cursor.take());
    answer(200, &found)
}

/// `GET …/numbers`: the pool's numbers, in order.
pub async fn list_numbers(cx: &Ctx<'_>) -> Reply {
    let op = |limit, after| PoolOp::ListNumbers { limit, after };
    allocator_page(cx, "numbers", op, |p: &mut NumberPage| &mut p.next_cursor).await
}

/// One page of a list the pool's allocator keeps: `op` asks for it from
/// where the page starts, and the allocator's position in `cursor` is
/// sealed as the answer's `next_cursor`.
async fn allocator_page<T: serde::de::DeserializeOwned + serde::Serialize>(
    cx: &Ctx<'_>,
    list: &str,
    op: impl FnOnce(u32, Option<String>) -> PoolOp,
    cursor: impl FnOnce(&mut T) -> &mut Option<String>,
) -> Reply {
    let name = pool(cx)?;
    let (page, key, sealed) = paging::page(cx, &format!("{list}:{name}"))?;
    let mut found: T = typed(pool_op(cx.env, cx.account, name, op(page.limit, page.after)).await?)?;
    let next = cursor(&mut found);
    *next = paging::next(&key, &sealed, next.take());
    answer(200, &found)
}

fn typed<T: serde::de::DeserializeOwned>((_, v): (u16, Value)) -> Result<T, ApiError> {
    serde_json::from_value(v).map_err(|e| ApiError::Unavailable(format!("allocator answer: {e}")))
}

/// `GET …/sessions/{SessionId}`.
pub async fn get_session(cx: &Ctx<'_>) -> Reply {
    pool(cx)?;
    let id = session_id(cx.param(1))?.to_string();
    op(cx, PoolOp::GetSession { id }).await
}

/// `POST …/sessions/{SessionId}/end`.
pub async fn end_session(cx: &mut Ctx<'_>) -> Reply {
    pool(cx)?;
    let id = session_id(cx.param(1))?.to_string();
    json_body::<NoFields>(cx.req).await?;
    op(cx, PoolOp::EndSession { id }).await
}

/// `DELETE …/pools/{Pool}`: a pool with nothing left in it (`409
/// pool_not_empty` otherwise) is forgotten, and leaves the registry the
/// listing and the watch read. The registry key goes first and comes back
/// if the allocator says no: a number added meanwhile registers the pool
/// again after the allocator took it, so whichever way the two interleave,
/// a pool with something in it stays registered.
pub async fn delete(cx: &Ctx<'_>) -> Reply {
    let name = pool(cx)?.to_string();
    cx.kv.delete(&store::pool_key(cx.account, &name)).await?;
    let deleted = pool_op(cx.env, cx.account, &name, PoolOp::Delete).await;
    if deleted.is_err() {
        register(cx, &name).await?;
    }
    deleted
}

/// `PUT …/numbers/{Number}`.
pub async fn add_number(cx: &mut Ctx<'_>) -> Reply {
    let name = pool(cx)?.to_string();
    let number = cx.number(1)?;
    let settings: NumberSettings = json_body(cx.req).await?;
    let added = add(cx.env, cx.account, &name, &number, settings).await?;
    register(cx, &name).await?;
    Ok(added)
}

/// `DELETE …/numbers/{Number}`.
pub async fn remove_number(cx: &Ctx<'_>) -> Reply {
    pool(cx)?;
    let number = cx.number(1)?;
    op(cx, PoolOp::RemoveNumber { number }).await
}

/// `GET …/settings`.
pub async fn get_settings(cx: &Ctx<'_>) -> Reply {
    op(cx, PoolOp::GetSettings).await
}

/// `PUT …/settings`.
pub async fn put_settings(cx: &mut Ctx<'_>) -> Reply {
    let name = pool(cx)?.to_string();
    let settings: Settings = json_body(cx.req).await?;
    let set = pool_op(cx.env, cx.account, &name, PoolOp::PutSettings(settings)).await?;
    register(cx, &name).await?;
    Ok(set)
}

/// `PATCH …/settings`.
pub async fn patch_settings(cx: &mut Ctx<'_>) -> Reply {
    pool(cx)?;
    let patch: SettingsPatch = json_body(cx.req).await?;
    op(cx, PoolOp::PatchSettings(patch)).await
}

/// `POST …/reindex`.
pub async fn reindex(cx: &mut Ctx<'_>) -> Reply {
    pool(cx)?;
    json_body::<NoFields>(cx.req).await?;
    op(cx, PoolOp::Reindex).await
}

/// `GET …/report?a=&b=&market=`: the pool's load, and for a pair, how many
/// numbers it could still get.
pub async fn report(cx: &Ctx<'_>) -> Reply {
    pool(cx)?;
    let query = query_of(cx.req)?;
    if let Some((k, _)) = query
        .iter()
        .find(|(k, _)| !matches!(*k, "a" | "b" | "market"))
    {
        return Err(ApiError::Malformed(format!(
            "unknown query parameter {k:?}"
        )));
    }
    let num = |k: &str| -> Result<Option<E164>, ApiError> {
        match query.get(k) {
            None | Some("") => Ok(None),
            Some(v) => switchboard_numbers::parse_typed(v, None)
                .map(Some)
                .map_err(|e| ApiError::Malformed(format!("{k}: {e}"))),
        }
    };
    let report = PoolOp::Report {
        a: num("a")?,
        b: num("b")?,
        market: query
            .get("market")
            .filter(|m| !m.is_empty())
            .map(str::to_string),
    };
    op(cx, report).await
}

/// `GET …/pools`: the account's pools by name, a page at a time. A pool is
/// listed once it has settings or a number (`register`), as the scheduled
/// watch finds them.
pub async fn list(cx: &Ctx<'_>) -> Reply {
    let (page, key, list) = paging::page(cx, "pools")?;
    let prefix = store::pool_key(cx.account, "");
    let found = paging::kv_page::<Value>(cx, &prefix, &page).await?;
    let pools = found
        .keys
        .iter()
        .filter_map(|(k, _)| k.strip_prefix(&prefix))
        .map(|name| PoolListed {
            name: name.to_string(),
        })
        .collect();
    answer(
        200,
        &PoolPage {
            pools,
            next_cursor: paging::next(&key, &list, found.next),
        },
    )
}

/// Sends `op` to the allocator of `account`'s `pool`.
async fn pool_op(env: &Env, account: &AccountSid, pool: &str, op: PoolOp) -> Reply {
    Ok(ask_pool(env, account, pool, op)
        .await
        .map_err(ApiError::Unavailable)??)
}

fn check_pool_name(pool: &str) -> Result<(), ApiError> {
    let ok = !pool.is_empty()
        && pool.len() <= 64
        && pool
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if ok {
        Ok(())
    } else {
        Err(ApiError::Malformed(
            "pool names are letters, digits, - and _ (at most 64)".into(),
        ))
    }
}

fn session_id(id: &str) -> Result<&str, ApiError> {
    let ok =
        id.len() == 34 && id.starts_with("KS") && id.bytes().skip(2).all(|b| b.is_ascii_hexdigit());
    if ok {
        Ok(id)
    } else {
        Err(ApiError::NotFound(format!("no session {id:?}")))
    }
}

fn party(field: &str, raw: &str) -> Result<E164, ApiError> {
    switchboard_numbers::parse_typed(raw, None)
        .map_err(|e| ApiError::invalid(field, format!("{field}: {e}")))
}

/// `POST …/sessions`, with an optional `Idempotency-Key`.
pub async fn create_session(cx: &mut Ctx<'_>) -> Result<Answered, ApiError> {
    let name = pool(cx)?.to_string();
    let text = body_text(cx.req).await?;
    let new: NewSessionRequest = parse_json(&text)?;
    let cx: &Ctx = cx;
    idempotency::once(cx, &text, |held| async move {
        create(cx, &name, new, held.as_ref()).await
    })
    .await
}

async fn create(cx: &Ctx<'_>, pool: &str, new: NewSessionRequest, held: Option<&Held>) -> Reply {
    let (a, b) = (party("a", &new.a)?, party("b", &new.b)?);
    let id: String = clock::random_bytes(16)
        .map_err(ApiError::Unavailable)?
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let create = CreateSession {
        session: NewSession {
            id: format!("KS{id}"),
            a,
            b,
            ttl_secs: new.ttl_secs,
            market: new.market,
            labels: new.labels,
        },
        outbound: config(cx.kv, cx.account, Fresh::Kv).await?,
    };
    let (status, session) =
        pool_op(cx.env, cx.account, pool, PoolOp::CreateSession(create)).await?;
    let session: Session = serde_json::from_value(session)
        .map_err(|e| ApiError::Unavailable(format!("allocator answer: {e}")))?;
    let notified = match new.notify {
        Some(n) => Some(text_parties(cx.env, cx.account, &session, &n, held).await),
        None => None,
    };
    answer(status, &CreatedSession { session, notified })
}

/// A number serves one pool in the whole deployment: two pools (of one
/// account or two) sharing it would both route its calls. The number's
/// ledger records which pool has it, atomically.
async fn add(
    env: &Env,
    account: &AccountSid,
    pool: &str,
    number: &E164,
    settings: NumberSettings,
) -> Reply {
    let holder = holder(account, pool);
    let claim = Op::Claim {
        key: "pool".into(),
        holder: holder.clone(),
        until_ms: None,
    };
    match ask_ledger(env, &scope::number(number), &claim)
        .await
        .map_err(ApiError::Unavailable)?
    {
        Ledger::Claimed => {}
        Ledger::Held { holder } => {
            // Another tenant's pool is not named to this one.
            let msg = match holder.split_once('/') {
                Some((a, p)) if a == account.as_str() => {
                    format!("{number} is already in pool {p:?}; remove it there first")
                }
                _ => format!("{number} is already in a pool of another account"),
            };
            return Err(ApiError::Conflict(msg));
        }
        other => {
            return Err(ApiError::Unavailable(format!(
                "ledger: unexpected {other:?}"
            )))
        }
    }
    let op = PoolOp::AddNumber {
        number: number.clone(),
        market: settings.market,
    };
    let added = pool_op(env, account, pool, op).await;
    if let Err(e) = &added {
        // Not added (and not already there): the number is free again.
        if e.status() != 409 {
            let release = Op::Release {
                key: "pool".into(),
                holder,
            };
            let _ = ask_ledger(env, &scope::number(number), &release).await;
        }
    }
    added
}

/// Texts both parties from the proxy number, as the guide did on a new ride.
async fn text_parties(
    env: &Env,
    account: &AccountSid,
    session: &Session,
    notify: &PartyTexts,
    held: Option<&Held>,
) -> Notified {
    let Some(auth) = rest::basic_auth(env, account) else {
        return Notified {
            error: Some("no credentials for this account".into()),
            ..Notified::default()
        };
    };
    let url = format!(
        "{}/2010-04-01/Accounts/{account}/Messages.json",
        settings::base_url(env, rest::API)
    );
    let mut out = Notified::default();
    for (party, to, text) in [("a", &session.a, &notify.a), ("b", &session.b, &notify.b)] {
        let Some(text) = text else {
            continue;
        };
        let form = Params::from_pairs([
            ("To", to.as_str()),
            ("From", session.proxy.as_str()),
            ("Body", text),
        ]);
        let sent = rest::post_once(
            &url,
            "application/x-www-form-urlencoded",
            form.encode(),
            Some(&auth),
            held.map(|h| h.carrier_token(&format!("text-{party}"))),
        )
        .await
        .is_ok();
        match party {
            "a" => out.a = Some(sent),
            _ => out.b = Some(sent),
        }
    }
    out
}

/// Puts the pool where the scheduled watch looks for pools to check
/// against their low-water mark. Idempotent; only after the pool took the
/// change, so a refused request registers nothing.
async fn register(cx: &Ctx<'_>, pool: &str) -> Result<(), ApiError> {
    cx.kv
        .put(&store::pool_key(cx.account, pool), "")?
        .execute()
        .await?;
    Ok(())
}
