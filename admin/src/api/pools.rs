//! `…/pools/{pool}/…`: a masking pool's numbers, settings, sessions and
//! report. Each request becomes one typed [`PoolOp`] for the pool's
//! allocator, which alone writes the pool; the API only reads the request,
//! checks it, and claims numbers in the deployment-wide registry.

use super::{json_body, kv_page, page_of, query_of, ApiError, Ctx, NoFields, Reply};
use crate::allocator::{
    ask_pool, holder, CreateSession, NumberSettings, PoolOp, Settings, SettingsPatch,
};
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use switchboard_core::account::AccountSid;
use switchboard_core::form::Params;
use switchboard_core::ledger::{Op, Reply as Ledger};
use switchboard_core::masking::{NewSession, Session};
use switchboard_core::phone::E164;
use switchboard_edge::ledger::{ask_ledger, scope};
use switchboard_edge::outbound::config;
use switchboard_edge::store::Fresh;
use switchboard_edge::{clock, rest, settings};
use worker::{Env, Method};

pub async fn route(cx: &mut Ctx<'_>, method: Method, pool: &str, rest: &[&str]) -> Reply {
    check_pool_name(pool)?;
    let op = match (method, rest) {
        (Method::Post, ["sessions"]) => return create_session(cx, pool).await,
        (Method::Get, ["sessions"]) => PoolOp::ListSessions,
        (Method::Get, ["sessions", id]) => PoolOp::GetSession {
            id: session_id(id)?.into(),
        },
        (Method::Post, ["sessions", id, "end"]) => {
            json_body::<NoFields>(cx.req).await?;
            PoolOp::EndSession {
                id: session_id(id)?.into(),
            }
        }
        (Method::Get, ["numbers"]) => PoolOp::ListNumbers,
        (Method::Put, ["numbers", n]) => {
            let settings: NumberSettings = json_body(cx.req).await?;
            let added = add_number(cx.env, cx.account, pool, &super::number(n)?, settings).await?;
            register(cx, pool).await?;
            return Ok(added);
        }
        (Method::Delete, ["numbers", n]) => PoolOp::RemoveNumber {
            number: super::number(n)?,
        },
        (Method::Get, ["settings"]) => PoolOp::GetSettings,
        (Method::Put, ["settings"]) => {
            let op = PoolOp::PutSettings(json_body::<Settings>(cx.req).await?);
            let set = pool_op(cx.env, cx.account, pool, op).await?;
            register(cx, pool).await?;
            return Ok(set);
        }
        (Method::Patch, ["settings"]) => {
            PoolOp::PatchSettings(json_body::<SettingsPatch>(cx.req).await?)
        }
        (Method::Post, ["reindex"]) => {
            json_body::<NoFields>(cx.req).await?;
            PoolOp::Reindex
        }
        (Method::Get, ["report"]) => report(&query_of(cx.req)?)?,
        _ => return Err(ApiError::NoRoute),
    };
    pool_op(cx.env, cx.account, pool, op).await
}

/// `GET …/pools`: the account's pools by name, a page at a time. A pool is
/// listed once it has settings or a number (`register`), as the scheduled
/// watch finds them.
pub async fn list(cx: &Ctx<'_>) -> Reply {
    let page = page_of(cx.req, 50, 200)?;
    let prefix = crate::watch::pool_key(cx.account, "");
    let (keys, next) = kv_page::<Value>(cx.kv, &prefix, page).await?;
    let pools: Vec<Value> = keys
        .iter()
        .filter_map(|(k, _)| k.strip_prefix(&prefix))
        .map(|name| json!({ "name": name }))
        .collect();
    Ok((200, json!({ "pools": pools, "next_cursor": next })))
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

/// `GET …/report?a=&b=&market=`: the pool's load, and for a pair, how many
/// numbers it could still get.
fn report(query: &Params) -> Result<PoolOp, ApiError> {
    let num = |k: &str| -> Result<Option<E164>, ApiError> {
        match query.get(k) {
            None | Some("") => Ok(None),
            Some(v) => switchboard_numbers::parse_typed(v, None)
                .map(Some)
                .map_err(|e| ApiError::Malformed(format!("{k}: {e}"))),
        }
    };
    Ok(PoolOp::Report {
        a: num("a")?,
        b: num("b")?,
        market: query
            .get("market")
            .filter(|m| !m.is_empty())
            .map(str::to_string),
    })
}

/// `POST …/sessions`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewSessionRequest {
    a: String,
    b: String,
    #[serde(default)]
    ttl_secs: Option<u32>,
    #[serde(default)]
    market: Option<String>,
    #[serde(default)]
    labels: BTreeMap<String, String>,
    /// Texts sent to each party from the proxy number once the session exists.
    #[serde(default)]
    notify: Option<Notify>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Notify {
    #[serde(default)]
    a: Option<String>,
    #[serde(default)]
    b: Option<String>,
}

fn party(field: &str, raw: &str) -> Result<E164, ApiError> {
    switchboard_numbers::parse_typed(raw, None)
        .map_err(|e| ApiError::invalid(field, format!("{field}: {e}")))
}

async fn create_session(cx: &mut Ctx<'_>, pool: &str) -> Reply {
    let new: NewSessionRequest = json_body(cx.req).await?;
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
    let mut out = json!({ "session": session });
    if let Some(n) = new.notify {
        if let Ok(session) = serde_json::from_value::<Session>(session) {
            out["notified"] = text_parties(cx.env, cx.account, &session, &n).await;
        }
    }
    Ok((status, out))
}

/// A number serves one pool in the whole deployment: two pools (of one
/// account or two) sharing it would both route its calls. The number's
/// ledger records which pool has it, atomically.
async fn add_number(
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
    notify: &Notify,
) -> Value {
    let Some(auth) = rest::basic_auth(env, account) else {
        return json!({ "error": "no credentials for this account" });
    };
    let url = format!(
        "{}/2010-04-01/Accounts/{account}/Messages.json",
        settings::base_url(env, rest::API)
    );
    let mut out = serde_json::Map::new();
    for (party, to, text) in [("a", &session.a, &notify.a), ("b", &session.b, &notify.b)] {
        let Some(text) = text else {
            continue;
        };
        let form = Params::from_pairs([
            ("To", to.as_str()),
            ("From", session.proxy.as_str()),
            ("Body", text),
        ]);
        let sent = rest::post(
            &url,
            "application/x-www-form-urlencoded",
            form.encode(),
            Some(&auth),
        )
        .await;
        out.insert(party.into(), json!(sent.is_ok()));
    }
    Value::Object(out)
}

/// Puts the pool where the scheduled watch looks for pools to check
/// against their low-water mark. Idempotent; only after the pool took the
/// change, so a refused request registers nothing.
async fn register(cx: &Ctx<'_>, pool: &str) -> Result<(), ApiError> {
    cx.kv
        .put(&crate::watch::pool_key(cx.account, pool), "")?
        .execute()
        .await?;
    Ok(())
}
