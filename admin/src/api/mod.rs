//! The management API: JSON in and out. Every request is authorised as the
//! root or as one account (`crate::tokens`), every account-scoped path takes
//! the account from the path and from nowhere else, and every body is one
//! declared type read strictly (`switchboard_core::body`). Everything is
//! validated before anything is written. One file per resource; every
//! failure is an [`ApiError`], answered in one place.

mod calls;
mod entries;
mod error;
mod lines;
pub mod monitoring;
mod outbound;
mod pools;
mod records;
mod simulate;
mod tokens;
mod voicemails;

pub use error::{ApiError, Reply};

use crate::tokens::{authenticate, AuthError, Principal, Scope};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use switchboard_core::account::AccountSid;
use switchboard_core::body;
use switchboard_core::form::Params;
use switchboard_core::phone::E164;
use switchboard_edge::body::read_body;
use switchboard_edge::{respond, store, KV_BINDING};
use worker::{kv::KvStore, Env, Method, Request, Response, Result};

/// The largest API body: a vCard export of a few thousand contacts.
pub const MAX_API_BODY_BYTES: usize = 1024 * 1024;

/// What every handler gets: the request, the deployment, its KV, and the
/// one account the path names (already authorised).
pub struct Ctx<'a> {
    pub req: &'a mut Request,
    pub env: &'a Env,
    pub kv: &'a KvStore,
    pub account: &'a AccountSid,
}

pub async fn handle(mut req: Request, env: Env) -> Result<Response> {
    let reply = match env.kv(KV_BINDING) {
        Err(e) => Err(ApiError::Unavailable(format!("KV binding: {e}"))),
        Ok(kv) => match authorise(&req, &env, &kv).await {
            Err(f) => Err(f),
            Ok(who) => route(&mut req, &env, &kv, &who).await,
        },
    };
    // A refusal answers before reading the body. Read what is left (up to
    // the cap) so the connection it came on, through the calls worker's
    // service binding, stays usable for the client's next request.
    if !req.inner().body_used() {
        let _ = read_body(&mut req, MAX_API_BODY_BYTES).await;
    }
    match reply {
        Ok(Answer::Json(status, body)) => respond::json(status, &body),
        Ok(Answer::Media(response)) => Ok(response),
        Err(e) => respond::json(e.status(), &e.body()),
    }
}

/// What a route answers: JSON, or a file handed on as it is (a recording).
enum Answer {
    Json(u16, serde_json::Value),
    Media(Response),
}

async fn authorise(
    req: &Request,
    env: &Env,
    kv: &KvStore,
) -> std::result::Result<Principal, ApiError> {
    let header = req
        .headers()
        .get("Authorization")
        .ok()
        .flatten()
        .unwrap_or_default();
    authenticate(env, kv, &header).await.map_err(|e| match e {
        AuthError::Unknown => ApiError::Unauthorized,
        AuthError::Off => ApiError::Off,
        AuthError::Store(e) => ApiError::Unavailable(e),
    })
}

async fn route(
    req: &mut Request,
    env: &Env,
    kv: &KvStore,
    who: &Principal,
) -> std::result::Result<Answer, ApiError> {
    let path = req.path();
    let segments: Vec<String> = path
        .trim_start_matches("/api/v1/")
        .split('/')
        .map(percent_decode)
        .collect::<std::result::Result<_, _>>()?;
    let s: Vec<&str> = segments.iter().map(String::as_str).collect();
    let ["accounts", account, rest @ ..] = s.as_slice() else {
        return Err(ApiError::NoRoute);
    };
    // Another account's paths look exactly like paths that do not exist.
    let account = AccountSid::parse(account).map_err(|_| ApiError::NoRoute)?;
    let method = req.method();
    let reads = method == Method::Get || matches!((&method, rest), (Method::Post, ["simulate"]));
    match who {
        Principal::Root => {}
        Principal::Account { account: own, .. } if *own != account => {
            return Err(ApiError::NoRoute)
        }
        Principal::Account { .. } if matches!(rest, ["tokens", ..]) => {
            return Err(ApiError::RootOnly)
        }
        Principal::Account {
            scope: Scope::Read, ..
        } if !reads => return Err(ApiError::ReadOnly),
        Principal::Account { .. } => {}
    }
    let mut cx = Ctx {
        req,
        env,
        kv,
        account: &account,
    };
    if let (Method::Get, ["voicemails", call_sid, "recording"]) = (&method, rest) {
        return voicemails::recording(&cx, call_sid)
            .await
            .map(Answer::Media);
    }
    let reply = match (method, rest) {
        (m, ["tokens", rest @ ..]) => tokens::route(&mut cx, m, rest).await,
        (Method::Post, ["simulate"]) => simulate::simulate(&mut cx).await,
        (m, ["caller-id" | "outbound", ..]) => outbound::route(&mut cx, m, rest).await,
        (Method::Get, ["calls", rest @ ..]) => records::calls(&cx, rest).await,
        (Method::Get, ["debugger-events"]) => records::debugger(&cx).await,
        (Method::Get, ["health"]) => records::health(&cx).await,
        (Method::Get, ["health", "days"]) => records::trend(&cx).await,
        (Method::Get, ["usage"]) => records::usage(&cx).await,
        (Method::Get, ["alerts"]) => records::alerts(&cx).await,
        (m, ["monitoring"]) => monitoring::route(&mut cx, m).await,
        (m, ["calls" | "verifications", ..]) => calls::route(&mut cx, m, rest).await,
        (m, ["lines", to, rest @ ..])
            if matches!(
                rest.first(),
                Some(&("entries" | "graylist" | "address-book"))
            ) =>
        {
            entries::route(&mut cx, m, &number(to)?, rest).await
        }
        (m, ["lines", rest @ ..]) => lines::route(&mut cx, m, rest).await,
        (m, ["blocked", rest @ ..]) => entries::blocked(&mut cx, m, rest).await,
        (Method::Get, ["voicemails"]) => voicemails::list(&cx).await,
        (Method::Get, ["pools"]) => pools::list(&cx).await,
        (m, ["pools", pool, rest @ ..]) => pools::route(&mut cx, m, pool, rest).await,
        _ => Err(ApiError::NoRoute),
    };
    reply.map(|(status, body)| Answer::Json(status, body))
}

/// Numbers in paths and queries are E.164 (`+14155550100`, any spacing).
pub fn number(s: &str) -> std::result::Result<E164, ApiError> {
    switchboard_numbers::parse_typed(s, None)
        .map_err(|e| ApiError::Malformed(format!("{s:?}: {e}")))
}

fn percent_decode(s: &str) -> std::result::Result<String, ApiError> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = s
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(|| ApiError::Malformed("bad percent escape in the path".into()))?;
            out.push(hex);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| ApiError::Malformed("path is not UTF-8".into()))
}

/// The body as text, refused past `MAX_API_BODY_BYTES` (413) whether or not
/// its length was declared.
pub async fn body_text(req: &mut Request) -> std::result::Result<String, ApiError> {
    let bytes = read_body(req, MAX_API_BODY_BYTES).await?;
    String::from_utf8(bytes).map_err(|_| ApiError::Malformed("body is not UTF-8".into()))
}

/// The body as one declared type (a JSON object, no unknown fields). No
/// body at all reads as `{}`: the type's required fields still apply.
pub async fn json_body<T: DeserializeOwned>(req: &mut Request) -> std::result::Result<T, ApiError> {
    let text = body_text(req).await?;
    let text = if text.trim().is_empty() { "{}" } else { &text };
    Ok(body::parse(text)?)
}

/// A page of a list kept in KV: `?limit=` (1 to `max`, `default` when left
/// out) and `?cursor=` (a previous page's `next_cursor`); any other query
/// parameter is refused, as the call log's lists do.
pub struct Page {
    pub limit: u32,
    pub cursor: Option<String>,
}

pub fn page_of(req: &Request, default: u32, max: u32) -> std::result::Result<Page, ApiError> {
    let mut page = Page {
        limit: default,
        cursor: None,
    };
    for (k, v) in query_of(req)?.iter() {
        match k {
            "limit" => {
                page.limit = v
                    .parse()
                    .ok()
                    .filter(|n| (1..=max).contains(n))
                    .ok_or_else(|| ApiError::invalid("limit", format!("limit: 1 to {max}")))?
            }
            // KV's cursors are opaque: only their length and alphabet are
            // checked here; one KV does not know is refused by KV (below).
            "cursor"
                if !v.is_empty() && v.len() <= 1024 && v.bytes().all(|b| b.is_ascii_graphic()) =>
            {
                page.cursor = Some(v.to_string())
            }
            "cursor" => return Err(bad_cursor()),
            other => {
                return Err(ApiError::Malformed(format!(
                    "unknown query parameter {other:?}"
                )))
            }
        }
    }
    Ok(page)
}

pub fn bad_cursor() -> ApiError {
    ApiError::invalid("cursor", "cursor: as next_cursor gave it")
}

/// One page of the keys under `prefix`. A cursor KV refuses is the
/// client's mistake (422), not an outage.
pub async fn kv_page<M: DeserializeOwned>(
    kv: &KvStore,
    prefix: &str,
    page: Page,
) -> std::result::Result<(Vec<(String, Option<M>)>, Option<String>), ApiError> {
    let had_cursor = page.cursor.is_some();
    store::list_page(kv, prefix, page.limit, page.cursor)
        .await
        .map_err(|e| if had_cursor { bad_cursor() } else { e.into() })
}

pub fn query_of(req: &Request) -> std::result::Result<Params, ApiError> {
    let url = req.inner().url();
    let query = url.split_once('?').map(|(_, q)| q).unwrap_or("");
    Params::parse(query).map_err(|e| ApiError::Malformed(e.to_string()))
}

/// A request that takes no fields: no body, or `{}`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoFields {}

/// `DELETE` of one key.
pub async fn delete_key(kv: &KvStore, key: &str) -> Reply {
    kv.delete(key).await?;
    Ok((200, serde_json::json!({ "deleted": true })))
}
