//! The management API: JSON in and out, `Authorization: Bearer <ADMIN_TOKEN>`.
//! Every request is validated whole before anything is written.

use super::{clock, masking, outbound, respond, screen, store, KV_BINDING};
use crate::config::LineConfig;
use crate::form::Params;
use crate::phone::{parse_typed, E164};
use crate::screening::graylist::Graylist;
use crate::screening::{vcard, Entry};
use crate::voicemail::Message;
use serde_json::{json, Value};
use subtle::ConstantTimeEq;
use worker::{kv::KvStore, Env, Method, Request, Response, Result};

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

pub type Reply = std::result::Result<(u16, Value), Failure>;

pub async fn handle(mut req: Request, env: Env) -> Result<Response> {
    let reply = match authorised(&req, &env) {
        Err(f) => Err(f),
        Ok(()) => route(&mut req, &env).await,
    };
    match reply {
        Ok((status, body)) => respond::json(status, &body),
        Err(Failure(status, msg, detail)) => {
            let mut body = json!({ "error": msg });
            if let Some(Value::Object(fields)) = detail {
                body.as_object_mut().expect("an object").extend(fields);
            }
            respond::json(status, &body)
        }
    }
}

fn authorised(req: &Request, env: &Env) -> std::result::Result<(), Failure> {
    let expected = env
        .secret("ADMIN_TOKEN")
        .map(|s| s.to_string())
        .ok()
        .filter(|s| !s.is_empty())
        .ok_or_else(|| fail(503, "the management API is off: ADMIN_TOKEN is not set"))?;
    let given = req
        .headers()
        .get("Authorization")
        .ok()
        .flatten()
        .unwrap_or_default();
    let token = given.strip_prefix("Bearer ").unwrap_or("");
    if token.as_bytes().ct_eq(expected.as_bytes()).into() {
        Ok(())
    } else {
        Err(fail(401, "missing or wrong bearer token"))
    }
}

async fn route(req: &mut Request, env: &Env) -> Reply {
    let path = req.path();
    let segments: Vec<String> = path
        .trim_start_matches("/api/v1/")
        .split('/')
        .map(percent_decode)
        .collect::<std::result::Result<_, _>>()?;
    let s: Vec<&str> = segments.iter().map(String::as_str).collect();
    let kv = env
        .kv(KV_BINDING)
        .map_err(|e| fail(503, format!("KV binding: {e}")))?;
    let method = req.method();
    match (method, s.as_slice()) {
        (Method::Post, ["simulate"]) => simulate(req, env, &kv).await,
        (Method::Get, ["caller-id"]) => {
            let query = query_of(req)?;
            outbound::caller_id(&kv, &query).await
        }
        (Method::Post, ["calls"]) => outbound::start_call(env, &kv, &json_body(req).await?).await,
        (Method::Post, ["verifications"]) => {
            outbound::send_code(env, &kv, &json_body(req).await?).await
        }
        (Method::Post, ["verifications", "check"]) => {
            outbound::check_code(env, &kv, &json_body(req).await?).await
        }
        (m, ["accounts", account, rest @ ..]) => {
            let account = account_sid(account)?;
            match (m, rest) {
                (Method::Get, ["lines"]) => list_lines(&kv, account).await,
                (Method::Get, ["lines", to]) => get_line(&kv, account, &number(to)?).await,
                (Method::Put, ["lines", to]) => put_line(req, &kv, account, &number(to)?).await,
                (Method::Delete, ["lines", to]) => delete_line(&kv, account, &number(to)?).await,
                (Method::Get, ["lines", to, "entries"]) => {
                    list_entries(&kv, account, &number(to)?).await
                }
                (Method::Put, ["lines", to, "entries", from]) => {
                    let key = store::entry_key(account, &number(to)?, &number(from)?);
                    put_entry(req, &kv, &key).await
                }
                (Method::Delete, ["lines", to, "entries", from]) => {
                    let key = store::entry_key(account, &number(to)?, &number(from)?);
                    delete_key(&kv, &key).await
                }
                (Method::Post, ["lines", to, "address-book"]) => {
                    import_address_book(req, &kv, account, &number(to)?).await
                }
                (Method::Get, ["lines", to, "graylist", from]) => {
                    let key = store::gray_key(account, &number(to)?, &number(from)?);
                    let g: Graylist = store::get_json(&kv, &key).await?.unwrap_or_default();
                    Ok((
                        200,
                        json!({ "unanswered": g.unanswered, "failed": g.failed }),
                    ))
                }
                (Method::Delete, ["lines", to, "graylist", from]) => {
                    delete_key(&kv, &store::gray_key(account, &number(to)?, &number(from)?)).await
                }
                (Method::Get, ["blocked"]) => list_blocked(&kv, account).await,
                (Method::Put, ["blocked", from]) => {
                    let key = store::account_entry_key(account, &number(from)?);
                    store::put_entry(
                        &kv,
                        &key,
                        &Entry {
                            block: true,
                            ..Entry::default()
                        },
                    )
                    .await?;
                    Ok((200, json!({ "number": from, "block": true })))
                }
                (Method::Delete, ["blocked", from]) => {
                    delete_key(&kv, &store::account_entry_key(account, &number(from)?)).await
                }
                (Method::Get, ["voicemails"]) => list_voicemails(&kv, account).await,
                (Method::Get, ["pools", pool, "report"]) => {
                    let query = query_of(req)?;
                    masking::report(env, account, pool, &query).await
                }
                (m, ["pools", pool, rest @ ..]) => {
                    let body = if m == Method::Get || m == Method::Delete {
                        None
                    } else {
                        let text = body_text(req).await?;
                        if text.trim().is_empty() {
                            None
                        } else {
                            Some(
                                serde_json::from_str(&text)
                                    .map_err(|e| fail(400, format!("body: {e}")))?,
                            )
                        }
                    };
                    masking::api(env, account, pool, m, rest, body).await
                }
                (Method::Get, ["outbound"]) => outbound::get_config(&kv, account).await,
                (Method::Put, ["outbound"]) => {
                    outbound::put_config(&kv, account, &body_text(req).await?).await
                }
                _ => Err(fail(404, "no such API route")),
            }
        }
        _ => Err(fail(404, "no such API route")),
    }
}

fn account_sid(s: &str) -> std::result::Result<&str, Failure> {
    if super::intake::is_account_sid(s) {
        Ok(s)
    } else {
        Err(fail(
            400,
            format!("{s:?} is not an account SID (AC and 32 hex digits)"),
        ))
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

async fn body_text(req: &mut Request) -> std::result::Result<String, Failure> {
    let bytes = req
        .bytes()
        .await
        .map_err(|_| fail(400, "could not read the body"))?;
    if bytes.len() > 1024 * 1024 {
        return Err(fail(413, "body over 1 MiB"));
    }
    String::from_utf8(bytes).map_err(|_| fail(400, "body is not UTF-8"))
}

fn query_of(req: &Request) -> std::result::Result<Params, Failure> {
    let url = req.inner().url();
    let query = url.split_once('?').map(|(_, q)| q).unwrap_or("");
    Params::parse(query).map_err(|e| fail(400, e.to_string()))
}

async fn json_body(req: &mut Request) -> std::result::Result<Value, Failure> {
    serde_json::from_str(&body_text(req).await?).map_err(|e| fail(400, format!("body: {e}")))
}

async fn list_lines(kv: &KvStore, account: &str) -> Reply {
    let prefix = format!("line:{account}:");
    let keys = store::list::<Value>(kv, &prefix).await?;
    let numbers: Vec<&str> = keys.iter().map(|(k, _)| &k[prefix.len()..]).collect();
    Ok((200, json!({ "lines": numbers })))
}

async fn get_line(kv: &KvStore, account: &str, to: &E164) -> Reply {
    match store::get_json::<Value>(kv, &store::line_key(account, to)).await? {
        Some(v) => Ok((200, v)),
        None => Err(fail(404, format!("no line {to} in this account"))),
    }
}

async fn put_line(req: &mut Request, kv: &KvStore, account: &str, to: &E164) -> Reply {
    let text = body_text(req).await?;
    let config = LineConfig::from_json(&text).map_err(|e| fail(400, e.to_string()))?;
    if let Some(h) = &config.hours {
        clock::local_weekday_minute(&h.time_zone, clock::now_ms())
            .map_err(|e| fail(400, format!("hours.time_zone: {e}")))?;
    }
    store::put_json(kv, &store::line_key(account, to), &config).await?;
    Ok((200, serde_json::to_value(&config).unwrap_or_default()))
}

async fn delete_line(kv: &KvStore, account: &str, to: &E164) -> Reply {
    let key = store::line_key(account, to);
    if store::get_json::<Value>(kv, &key).await?.is_none() {
        return Err(fail(404, format!("no line {to} in this account")));
    }
    let entries = store::list::<Value>(kv, &format!("entry:{account}:{to}:")).await?;
    for (k, _) in &entries {
        kv.delete(k).await.map_err(store::StoreError::from)?;
    }
    kv.delete(&key).await.map_err(store::StoreError::from)?;
    Ok((
        200,
        json!({ "deleted": to.as_str(), "entries_deleted": entries.len() }),
    ))
}

async fn list_entries(kv: &KvStore, account: &str, to: &E164) -> Reply {
    let prefix = format!("entry:{account}:{to}:");
    let entries: Vec<Value> = store::list::<Entry>(kv, &prefix)
        .await?
        .into_iter()
        .map(|(k, e)| {
            let mut v = serde_json::to_value(e.unwrap_or_default()).unwrap_or_default();
            v["number"] = json!(&k[prefix.len()..]);
            v
        })
        .collect();
    Ok((200, json!({ "entries": entries })))
}

async fn list_blocked(kv: &KvStore, account: &str) -> Reply {
    let prefix = format!("entry:{account}:*:");
    let numbers: Vec<String> = store::list::<Entry>(kv, &prefix)
        .await?
        .into_iter()
        .map(|(k, _)| k[prefix.len()..].to_string())
        .collect();
    Ok((200, json!({ "blocked": numbers })))
}

async fn put_entry(req: &mut Request, kv: &KvStore, key: &str) -> Reply {
    let text = body_text(req).await?;
    let entry: Entry = serde_json::from_str(&text).map_err(|e| fail(400, e.to_string()))?;
    store::put_entry(kv, key, &entry).await?;
    Ok((200, serde_json::to_value(&entry).unwrap_or_default()))
}

async fn delete_key(kv: &KvStore, key: &str) -> Reply {
    kv.delete(key).await.map_err(store::StoreError::from)?;
    Ok((200, json!({ "deleted": true })))
}

/// Replaces the line's address book with the numbers of a vCard file. Other
/// list flags (block, forward) of the same callers are kept.
async fn import_address_book(req: &mut Request, kv: &KvStore, account: &str, to: &E164) -> Reply {
    let line = store::line(kv, account, to)
        .await?
        .ok_or_else(|| fail(404, format!("no line {to} in this account")))?;
    let text = body_text(req).await?;
    let tels = vcard::tels(&text).map_err(|e| fail(400, e.to_string()))?;
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
    let prefix = format!("entry:{account}:{to}:");
    let existing: std::collections::BTreeMap<String, Entry> = store::list::<Entry>(kv, &prefix)
        .await?
        .into_iter()
        .map(|(k, e)| (k[prefix.len()..].to_string(), e.unwrap_or_default()))
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
        let still = E164::parse(number)
            .map(|n| wanted.contains(&n))
            .unwrap_or(false);
        if entry.allow && !still {
            let kept = Entry {
                allow: false,
                ..entry.clone()
            };
            store::put_entry(kv, &format!("{prefix}{number}"), &kept).await?;
            removed += 1;
        }
    }
    Ok((
        200,
        json!({ "numbers": wanted.len(), "added": added, "removed": removed, "unchanged": unchanged, "skipped": skipped }),
    ))
}

async fn list_voicemails(kv: &KvStore, account: &str) -> Reply {
    let keys = store::list::<Value>(kv, &format!("vm:{account}:")).await?;
    let mut messages = Vec::new();
    for (key, _) in keys {
        if let Some(m) = store::get_json::<Message>(kv, &key).await? {
            messages.push(m);
        }
    }
    messages.sort_by_key(|m| std::cmp::Reverse(m.received_at_ms));
    Ok((200, json!({ "voicemails": messages })))
}

/// What would this call get? Reads the same facts as a real call, writes nothing.
async fn simulate(req: &mut Request, env: &Env, kv: &KvStore) -> Reply {
    let text = body_text(req).await?;
    let call: Value = serde_json::from_str(&text).map_err(|e| fail(400, e.to_string()))?;
    let field = |k: &str| call.get(k).and_then(Value::as_str);
    let account =
        account_sid(field("AccountSid").ok_or_else(|| fail(400, "AccountSid is required"))?)?;
    let to = number(field("To").ok_or_else(|| fail(400, "To is required"))?)?;
    let from = field("From").ok_or_else(|| fail(400, "From is required"))?;
    let sim = screen::simulate(
        env,
        kv,
        account,
        &to,
        from,
        field("CallSid").unwrap_or("CAsimulated"),
        field("Digits"),
        field("StirVerstat") == Some("TN-Validation-Passed-A"),
    )
    .await
    .map_err(|e| fail(503, e))?;
    Ok((200, sim))
}
