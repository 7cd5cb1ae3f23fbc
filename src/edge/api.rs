//! The management API: JSON in and out. Every request is authorised as the
//! root or as one account (`tokens`), every account-scoped path takes the
//! account from the path and from nowhere else, and every body is one
//! declared type read strictly (`crate::body`). Everything is validated
//! before anything is written.

use super::intake::read_body;
use super::tokens::{self, AuthError, Principal, Scope};
use super::{clock, masking, outbound, respond, screen, store, KV_BINDING};
use crate::account::AccountSid;
use crate::body;
use crate::config::LineConfig;
use crate::form::Params;
use crate::outcome::Target;
use crate::phone::{parse_typed, E164};
use crate::screening::graylist::Graylist;
use crate::screening::{vcard, Entry};
use crate::voicemail::Message;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::{json, Value};
use worker::{kv::KvStore, Env, Method, Request, Response, Result};

/// The largest API body: a vCard export of a few thousand contacts.
pub const MAX_API_BODY_BYTES: usize = 1024 * 1024;

/// An API failure: status and message, answered as `{"error": message}`
/// plus any detail fields.
pub struct Failure(pub u16, pub String, pub Option<Value>);

impl Failure {
    pub fn with(status: u16, msg: String, detail: Value) -> Failure {
        Failure(status, msg, Some(detail))
    }
}

pub fn fail(status: u16, msg: impl Into<String>) -> Failure {
    Failure(status, msg.into(), None)
}

impl From<store::StoreError> for Failure {
    fn from(e: store::StoreError) -> Failure {
        fail(503, e.to_string())
    }
}

/// Not JSON: 400. JSON of the wrong shape, or a value that does not
/// validate: 422, naming the field.
impl From<body::BodyError> for Failure {
    fn from(e: body::BodyError) -> Failure {
        if e.malformed {
            return fail(400, e.to_string());
        }
        let field = e.field.clone();
        Failure::with(422, e.to_string(), json!({ "field": field }))
    }
}

impl From<crate::config::ConfigError> for Failure {
    fn from(e: crate::config::ConfigError) -> Failure {
        let field = e.field.clone();
        Failure::with(422, e.to_string(), json!({ "field": field }))
    }
}

pub type Reply = std::result::Result<(u16, Value), Failure>;

pub async fn handle(mut req: Request, env: Env) -> Result<Response> {
    let reply = match env.kv(KV_BINDING) {
        Err(e) => Err(fail(503, format!("KV binding: {e}"))),
        Ok(kv) => match authorise(&req, &env, &kv).await {
            Err(f) => Err(f),
            Ok(who) => route(&mut req, &env, &kv, &who).await,
        },
    };
    match reply {
        Ok((status, body)) => respond::json(status, &body),
        Err(Failure(status, msg, detail)) => {
            let mut body = json!({ "error": msg });
            if let Some(Value::Object(fields)) = detail {
                if let Some(out) = body.as_object_mut() {
                    out.extend(fields);
                }
            }
            respond::json(status, &body)
        }
    }
}

async fn authorise(
    req: &Request,
    env: &Env,
    kv: &KvStore,
) -> std::result::Result<Principal, Failure> {
    let header = req
        .headers()
        .get("Authorization")
        .ok()
        .flatten()
        .unwrap_or_default();
    tokens::authenticate(env, kv, &header)
        .await
        .map_err(|e| match e {
            AuthError::Unknown => fail(401, "missing or wrong bearer token"),
            AuthError::Off => fail(503, "the management API is off: ADMIN_TOKEN is not set"),
            AuthError::Store(e) => fail(503, e),
        })
}

fn no_route() -> Failure {
    fail(404, "no such API route")
}

async fn route(req: &mut Request, env: &Env, kv: &KvStore, who: &Principal) -> Reply {
    let path = req.path();
    let segments: Vec<String> = path
        .trim_start_matches("/api/v1/")
        .split('/')
        .map(percent_decode)
        .collect::<std::result::Result<_, _>>()?;
    let s: Vec<&str> = segments.iter().map(String::as_str).collect();
    let ["accounts", account, rest @ ..] = s.as_slice() else {
        return Err(no_route());
    };
    // Another account's paths look exactly like paths that do not exist.
    let account = AccountSid::parse(account).map_err(|_| no_route())?;
    let method = req.method();
    let reads = method == Method::Get || matches!((&method, rest), (Method::Post, ["simulate"]));
    match who {
        Principal::Root => {}
        Principal::Account { account: own, .. } if *own != account => return Err(no_route()),
        Principal::Account { .. } if matches!(rest, ["tokens", ..]) => {
            return Err(fail(403, "only the root token manages tokens"))
        }
        Principal::Account {
            scope: Scope::Read, ..
        } if !reads => return Err(fail(403, "this token is read-only")),
        Principal::Account { .. } => {}
    }
    let account = &account;
    match (method, rest) {
        (Method::Post, ["tokens"]) => {
            let new: tokens::NewToken = json_body(req).await?;
            let (stored, token) = tokens::create(kv, account, new)
                .await
                .map_err(|e| fail(503, e))?;
            let mut out = tokens::listed(&stored);
            out["token"] = json!(token);
            Ok((201, out))
        }
        (Method::Get, ["tokens"]) => {
            let mut out = Vec::new();
            for (key, _) in store::list::<Value>(kv, &store::tokens_prefix(account)).await? {
                if let Some(t) = store::get_json::<tokens::Stored>(kv, &key).await? {
                    out.push(tokens::listed(&t));
                }
            }
            Ok((200, json!({ "tokens": out })))
        }
        (Method::Delete, ["tokens", id]) => {
            if !tokens::valid_id(id) {
                return Err(fail(404, "no such token"));
            }
            let key = store::token_key(account, id);
            if store::get_json::<Value>(kv, &key).await?.is_none() {
                return Err(fail(404, "no such token"));
            }
            kv.delete(&key).await.map_err(store::StoreError::from)?;
            Ok((200, json!({ "revoked": id })))
        }
        (Method::Post, ["simulate"]) => simulate(req, env, kv, account).await,
        (Method::Get, ["caller-id"]) => outbound::caller_id(kv, account, &query_of(req)?).await,
        (Method::Post, ["calls"]) => {
            outbound::start_call(env, kv, account, json_body(req).await?).await
        }
        (Method::Post, ["verifications"]) => {
            outbound::send_code(env, kv, account, json_body(req).await?).await
        }
        (Method::Post, ["verifications", "check"]) => {
            outbound::check_code(env, kv, account, json_body(req).await?).await
        }
        (Method::Get, ["lines"]) => list_lines(kv, account).await,
        (Method::Get, ["lines", to]) => get_line(kv, account, &number(to)?).await,
        (Method::Put, ["lines", to]) => put_line(req, kv, account, &number(to)?).await,
        (Method::Delete, ["lines", to]) => delete_line(kv, account, &number(to)?).await,
        (Method::Get, ["lines", to, "entries"]) => list_entries(kv, account, &number(to)?).await,
        (Method::Put, ["lines", to, "entries", from]) => {
            put_entry(req, kv, account, &number(to)?, &number(from)?).await
        }
        (Method::Delete, ["lines", to, "entries", from]) => {
            delete_key(kv, &store::entry_key(account, &number(to)?, &number(from)?)).await
        }
        (Method::Post, ["lines", to, "address-book"]) => {
            import_address_book(req, kv, account, &number(to)?).await
        }
        (Method::Get, ["lines", to, "graylist", from]) => {
            let key = store::gray_key(account, &number(to)?, &number(from)?);
            let g: Graylist = store::get_json(kv, &key).await?.unwrap_or_default();
            Ok((
                200,
                json!({ "unanswered": g.unanswered, "failed": g.failed }),
            ))
        }
        (Method::Delete, ["lines", to, "graylist", from]) => {
            delete_key(kv, &store::gray_key(account, &number(to)?, &number(from)?)).await
        }
        (Method::Get, ["blocked"]) => list_blocked(kv, account).await,
        (Method::Put, ["blocked", from]) => {
            let from = number(from)?;
            json_body::<NoFields>(req).await?;
            let key = store::account_entry_key(account, &from);
            let entry = Entry {
                block: true,
                ..Entry::default()
            };
            store::put_entry(kv, &key, &entry).await?;
            Ok((200, json!({ "number": from, "block": true })))
        }
        (Method::Delete, ["blocked", from]) => {
            delete_key(kv, &store::account_entry_key(account, &number(from)?)).await
        }
        (Method::Get, ["voicemails"]) => list_voicemails(kv, account).await,
        (Method::Get, ["outbound"]) => outbound::get_config(kv, account).await,
        (Method::Put, ["outbound"]) => {
            outbound::put_config(kv, account, json_body(req).await?).await
        }
        (Method::Get, ["pools", pool, "report"]) => {
            masking::report(env, account, pool, &query_of(req)?).await
        }
        (m, ["pools", pool, rest @ ..]) => {
            let body = if m == Method::Get || m == Method::Delete {
                None
            } else {
                Some(json_value(req).await?)
            };
            masking::api(env, kv, account, pool, m, rest, body).await
        }
        _ => Err(no_route()),
    }
}

/// Numbers in paths are E.164 (`+14155550100`, any spacing).
fn number(s: &str) -> std::result::Result<E164, Failure> {
    parse_typed(s, None).map_err(|e| fail(400, format!("{s:?}: {e}")))
}

fn percent_decode(s: &str) -> std::result::Result<String, Failure> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = s
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(|| fail(400, "bad percent escape in the path"))?;
            out.push(hex);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| fail(400, "path is not UTF-8"))
}

/// The body as text, refused past `MAX_API_BODY_BYTES` (413) whether or not
/// its length was declared.
async fn body_text(req: &mut Request) -> std::result::Result<String, Failure> {
    let bytes = read_body(req, MAX_API_BODY_BYTES)
        .await
        .map_err(|r| fail(r.status, r.reason))?;
    String::from_utf8(bytes).map_err(|_| fail(400, "body is not UTF-8"))
}

/// The body as one declared type (a JSON object, no unknown fields). No
/// body at all reads as `{}`: the type's required fields still apply.
async fn json_body<T: DeserializeOwned>(req: &mut Request) -> std::result::Result<T, Failure> {
    let text = body_text(req).await?;
    let text = if text.trim().is_empty() { "{}" } else { &text };
    Ok(body::parse(text)?)
}

/// The body as a JSON object, for requests read further on (the pool's).
async fn json_value(req: &mut Request) -> std::result::Result<Value, Failure> {
    let text = body_text(req).await?;
    if text.trim().is_empty() {
        return Ok(body::empty());
    }
    let value: Value = serde_json::from_str(&text)
        .map_err(|e| Failure::with(400, format!("body: not JSON: {e}"), json!({ "field": "" })))?;
    if !value.is_object() {
        return Err(Failure::with(
            422,
            "body: expected a JSON object".into(),
            json!({ "field": "" }),
        ));
    }
    Ok(value)
}

fn query_of(req: &Request) -> std::result::Result<Params, Failure> {
    let url = req.inner().url();
    let query = url.split_once('?').map(|(_, q)| q).unwrap_or("");
    Params::parse(query).map_err(|e| fail(400, e.to_string()))
}

/// The number after `prefix` in each key.
fn suffixes(keys: &[(String, Option<Value>)], prefix: &str) -> Vec<String> {
    keys.iter()
        .filter_map(|(k, _)| k.strip_prefix(prefix).map(str::to_string))
        .collect()
}

async fn list_lines(kv: &KvStore, account: &AccountSid) -> Reply {
    let prefix = store::lines_prefix(account);
    let keys = store::list::<Value>(kv, &prefix).await?;
    Ok((200, json!({ "lines": suffixes(&keys, &prefix) })))
}

async fn get_line(kv: &KvStore, account: &AccountSid, to: &E164) -> Reply {
    match store::get_json::<Value>(kv, &store::line_key(account, to)).await? {
        Some(v) => Ok((200, v)),
        None => Err(fail(404, format!("no line {to} in this account"))),
    }
}

async fn put_line(req: &mut Request, kv: &KvStore, account: &AccountSid, to: &E164) -> Reply {
    let text = body_text(req).await?;
    let config: LineConfig = body::parse(&text)?;
    config.validate()?;
    if let Some(h) = &config.hours {
        clock::local_weekday_minute(&h.time_zone, clock::now_ms()).map_err(|e| {
            Failure::with(
                422,
                format!("hours.time_zone: {e}"),
                json!({ "field": "hours.time_zone" }),
            )
        })?;
    }
    let targets: Vec<(String, &Target)> = config
        .owner
        .targets
        .iter()
        .enumerate()
        .map(|(i, t)| (format!("owner.targets[{i}]"), t))
        .collect();
    outbound::guard_targets(kv, account, to, &targets).await?;
    store::put_json(kv, &store::line_key(account, to), &config).await?;
    Ok((200, serde_json::to_value(&config).unwrap_or_default()))
}

async fn delete_line(kv: &KvStore, account: &AccountSid, to: &E164) -> Reply {
    let key = store::line_key(account, to);
    if store::get_json::<Value>(kv, &key).await?.is_none() {
        return Err(fail(404, format!("no line {to} in this account")));
    }
    let entries = store::list::<Value>(kv, &store::entries_prefix(account, to)).await?;
    for (k, _) in &entries {
        kv.delete(k).await.map_err(store::StoreError::from)?;
    }
    kv.delete(&key).await.map_err(store::StoreError::from)?;
    Ok((
        200,
        json!({ "deleted": to.as_str(), "entries_deleted": entries.len() }),
    ))
}

async fn list_entries(kv: &KvStore, account: &AccountSid, to: &E164) -> Reply {
    let prefix = store::entries_prefix(account, to);
    let entries: Vec<Value> = store::list::<Entry>(kv, &prefix)
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

async fn list_blocked(kv: &KvStore, account: &AccountSid) -> Reply {
    let prefix = store::account_entries_prefix(account);
    let keys: Vec<(String, Option<Value>)> = store::list::<Value>(kv, &prefix).await?;
    Ok((200, json!({ "blocked": suffixes(&keys, &prefix) })))
}

/// A caller's entry on a line. A forward target is checked exactly as a
/// line's own targets are (shape and the toll-fraud guard): a target the line
/// config would refuse must not reach a call through the lists.
async fn put_entry(
    req: &mut Request,
    kv: &KvStore,
    account: &AccountSid,
    to: &E164,
    from: &E164,
) -> Reply {
    let entry: Entry = json_body(req).await?;
    if let Some(target) = &entry.forward {
        crate::config::check_target("forward", target)?;
        outbound::guard_targets(kv, account, to, &[("forward".into(), target)]).await?;
    }
    store::put_entry(kv, &store::entry_key(account, to, from), &entry).await?;
    Ok((200, serde_json::to_value(&entry).unwrap_or_default()))
}

async fn delete_key(kv: &KvStore, key: &str) -> Reply {
    kv.delete(key).await.map_err(store::StoreError::from)?;
    Ok((200, json!({ "deleted": true })))
}

/// Replaces the line's address book with the numbers of a vCard file. Other
/// list flags (block, forward) of the same callers are kept.
async fn import_address_book(
    req: &mut Request,
    kv: &KvStore,
    account: &AccountSid,
    to: &E164,
) -> Reply {
    let line = store::line(kv, account, to)
        .await?
        .ok_or_else(|| fail(404, format!("no line {to} in this account")))?;
    let text = body_text(req).await?;
    let tels = vcard::tels(&text).map_err(|e| fail(400, e.to_string()))?;
    if tels.len() > crate::screening::MAX_ADDRESS_BOOK {
        return Err(fail(
            422,
            format!(
                "the file has {} numbers; an address book takes at most {}",
                tels.len(),
                crate::screening::MAX_ADDRESS_BOOK
            ),
        ));
    }
    let mut wanted = std::collections::BTreeSet::new();
    let mut skipped = Vec::new();
    for tel in &tels {
        match parse_typed(&tel.raw, line.default_country.as_deref()) {
            Ok(n) => {
                wanted.insert(n);
            }
            Err(e) => {
                skipped.push(json!({ "raw": tel.raw, "name": tel.name, "why": e.to_string() }))
            }
        }
    }
    let prefix = store::entries_prefix(account, to);
    let existing: std::collections::BTreeMap<String, Entry> = store::list::<Entry>(kv, &prefix)
        .await?
        .into_iter()
        .filter_map(|(k, e)| Some((k.strip_prefix(&prefix)?.to_string(), e.unwrap_or_default())))
        .collect();
    let (mut added, mut removed, mut unchanged) = (0, 0, 0);
    for n in &wanted {
        let mut entry = existing.get(n.as_str()).cloned().unwrap_or_default();
        if entry.allow {
            unchanged += 1;
            continue;
        }
        entry.allow = true;
        store::put_entry(kv, &store::entry_key(account, to, n), &entry).await?;
        added += 1;
    }
    for (number, entry) in &existing {
        let Ok(n) = E164::parse(number) else { continue };
        if entry.allow && !wanted.contains(&n) {
            let kept = Entry {
                allow: false,
                ..entry.clone()
            };
            store::put_entry(kv, &store::entry_key(account, to, &n), &kept).await?;
            removed += 1;
        }
    }
    Ok((
        200,
        json!({ "numbers": wanted.len(), "added": added, "removed": removed, "unchanged": unchanged, "skipped": skipped }),
    ))
}

async fn list_voicemails(kv: &KvStore, account: &AccountSid) -> Reply {
    let keys = store::list::<Value>(kv, &store::voicemails_prefix(account)).await?;
    let mut messages = Vec::new();
    for (key, _) in keys {
        if let Some(m) = store::get_json::<Message>(kv, &key).await? {
            messages.push(m);
        }
    }
    messages.sort_by_key(|m| std::cmp::Reverse(m.received_at_ms));
    Ok((200, json!({ "voicemails": messages })))
}

/// A request that takes no fields: no body, or `{}`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NoFields {}

/// `POST …/simulate`: the parameters of the call to try, as Twilio names them.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(non_snake_case)]
struct Simulated {
    To: String,
    From: String,
    #[serde(default)]
    Digits: Option<String>,
    #[serde(default)]
    CallSid: Option<String>,
    #[serde(default)]
    StirVerstat: Option<String>,
}

/// What would this call get? Reads the same facts as a real call, writes nothing.
async fn simulate(req: &mut Request, env: &Env, kv: &KvStore, account: &AccountSid) -> Reply {
    let call: Simulated = json_body(req).await?;
    let to = number(&call.To)?;
    let sim = screen::simulate(
        env,
        kv,
        account,
        &to,
        &call.From,
        call.CallSid.as_deref().unwrap_or("CAsimulated"),
        call.Digits.as_deref(),
        call.StirVerstat.as_deref() == Some("TN-Validation-Passed-A"),
    )
    .await
    .map_err(|e| fail(503, e))?;
    Ok((200, sim))
}
