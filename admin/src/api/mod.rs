//! The management API: JSON in and out. Requests are routed by the one route
//! table (`crate::contract::routes`), which the OpenAPI document
//! (`GET /api/v1/openapi.json`) is generated from too. Every request is
//! authorised as the root or as one account (`crate::tokens`), every
//! account-scoped path takes the account from the path and from nowhere
//! else, and every body is one declared type read strictly
//! (`switchboard_core::body`). Everything is validated before anything is
//! written. One file per resource; every failure is an [`ApiError`],
//! answered in one place; every answer is one log line with the request's id.

mod calls;
mod entries;
mod error;
mod idempotency;
mod lines;
pub mod monitoring;
mod outbound;
mod paging;
mod pools;
mod records;
mod simulate;
mod tokens;
mod voicemails;

pub use error::{ApiError, Reply};

use crate::contract::routes::{find, methods, Endpoint, Found, Verb, PREFIX};
use crate::contract::tokens::Scope;
use crate::tokens::{authenticate, AuthError, Principal};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;
use switchboard_core::account::AccountSid;
use switchboard_core::body;
use switchboard_core::form::Params;
use switchboard_core::phone::E164;
use switchboard_edge::body::read_body;
use switchboard_edge::log::Event;
use switchboard_edge::{request_id, KV_BINDING};
use worker::{kv::KvStore, Env, Headers, Request, Response, Result};

pub use crate::contract::NoFields;

/// The largest API body: a vCard export of a few thousand contacts.
pub const MAX_API_BODY_BYTES: usize = 1024 * 1024;

/// What every handler gets: the request, the deployment, its KV, the one
/// account the path names (already authorised), and the path's other
/// parameters in the route's order.
pub struct Ctx<'a> {
    pub req: &'a mut Request,
    pub env: &'a Env,
    pub kv: &'a KvStore,
    /// Who asked: the root, or an account's token with its scope.
    pub who: &'a Principal,
    pub account: &'a AccountSid,
    pub params: Vec<String>,
}

impl Ctx<'_> {
    /// The `i`th path parameter after the account.
    pub fn param(&self, i: usize) -> &str {
        self.params.get(i).map(String::as_str).unwrap_or("")
    }

    /// The `i`th path parameter, as a number.
    pub fn number(&self, i: usize) -> std::result::Result<E164, ApiError> {
        number(self.param(i))
    }
}

/// An answer: its status and body, and whether it repeats a first answer
/// (an idempotent POST's retry); or, for a recording, the file as it came.
pub struct Answered {
    pub status: u16,
    pub body: Value,
    pub replayed: bool,
    pub media: Option<Response>,
}

impl From<(u16, Value)> for Answered {
    fn from((status, body): (u16, Value)) -> Answered {
        Answered {
            status,
            body,
            replayed: false,
            media: None,
        }
    }
}

impl Answered {
    /// A file handed on as it is (its own type and caching headers).
    fn media(response: Response) -> Answered {
        Answered {
            media: Some(response),
            ..Answered::from((200, Value::Null))
        }
    }
}

/// A typed answer as JSON.
pub fn answer<T: Serialize>(status: u16, value: &T) -> Reply {
    serde_json::to_value(value)
        .map(|v| (status, v))
        .map_err(|e| ApiError::Unavailable(format!("answer: {e}")))
}

pub async fn handle(mut req: Request, env: Env) -> Result<Response> {
    let id = request_id::of(&req);
    let mut log = Event::request("api", &id);
    let answered = respond(&mut req, &env, &mut log).await;
    // A refusal answers before reading the body. Read what is left (up to
    // the cap) so the connection it came on, through the calls worker's
    // service binding, stays usable for the client's next request.
    if !req.inner().body_used() {
        let _ = read_body(&mut req, MAX_API_BODY_BYTES).await;
    }
    let headers = Headers::new();
    headers.set("Content-Type", "application/json")?;
    headers.set("Cache-Control", "no-store")?;
    headers.set(switchboard_core::request_id::HEADER, &id)?;
    let (status, body) = match answered {
        Ok(Answered {
            media: Some(mut response),
            ..
        }) => {
            log.set("status", response.status_code());
            log.emit();
            response
                .headers_mut()
                .set(switchboard_core::request_id::HEADER, &id)?;
            return Ok(response);
        }
        Ok(a) => {
            if a.replayed {
                headers.set("Idempotent-Replayed", "true")?;
            }
            (a.status, a.body)
        }
        Err(e) => {
            log.set("code", e.code());
            if e.status() >= 500 {
                log.set("error", e.logged());
            }
            if let ApiError::MethodNotAllowed(allowed) = &e {
                let allow: Vec<&str> = allowed.iter().map(|v| v.as_str()).collect();
                headers.set("Allow", &allow.join(", "))?;
            }
            (e.status(), e.body())
        }
    };
    log.set("status", status);
    log.emit();
    Ok(Response::from_json(&body)?
        .with_status(status)
        .with_headers(headers))
}

/// Routes and runs one request.
async fn respond(
    req: &mut Request,
    env: &Env,
    log: &mut Event,
) -> std::result::Result<Answered, ApiError> {
    let path = req.path();
    let under = path.strip_prefix(PREFIX).ok_or(ApiError::NoRoute)?;
    let segments: Vec<String> = under
        .strip_prefix('/')
        .ok_or(ApiError::NoRoute)?
        .split('/')
        .map(percent_decode)
        .collect::<std::result::Result<_, _>>()?;
    let s: Vec<&str> = segments.iter().map(String::as_str).collect();
    let verb = Verb::parse(&req.inner().method());
    // The document holds no data: it answers without a token.
    if let Some(Found::Route(Endpoint::OpenApi, _)) = verb.map(|v| find(v, &s)) {
        log.set("endpoint", "OpenApi");
        return Ok((200, openapi()).into());
    }
    let kv = env
        .kv(KV_BINDING)
        .map_err(|e| ApiError::Unavailable(format!("KV binding: {e}")))?;
    let who = authorise(req, env, &kv).await?;
    // Another account's paths look exactly like paths that do not exist,
    // whatever the method.
    let account = match s.as_slice() {
        ["accounts", account, ..] => {
            let account = AccountSid::parse(account).map_err(|_| ApiError::NoRoute)?;
            if matches!(&who, Principal::Account { account: own, .. } if *own != account) {
                return Err(ApiError::NoRoute);
            }
            Some(account)
        }
        _ => None,
    };
    let found = match verb {
        Some(v) => find(v, &s),
        // A method no route has (HEAD, OPTIONS, …): 405 where the path exists.
        None => match methods(&s) {
            m if m.is_empty() => Found::NoRoute,
            m => Found::OtherMethods(m),
        },
    };
    let (endpoint, params) = match found {
        Found::Route(e, p) => (e, p),
        Found::OtherMethods(allowed) => return Err(ApiError::MethodNotAllowed(allowed)),
        Found::NoRoute => return Err(ApiError::NoRoute),
    };
    log.set("endpoint", format!("{endpoint:?}"));
    let Some(account) = account else {
        return Err(ApiError::NoRoute);
    };
    log.set("account", account.as_str());
    match who {
        Principal::Account { .. } if endpoint.root_only() => return Err(ApiError::RootOnly),
        Principal::Account {
            scope: Scope::Read, ..
        } if !endpoint.reads_only() => return Err(ApiError::ReadOnly),
        _ => {}
    }
    let mut cx = Ctx {
        req,
        env,
        kv: &kv,
        who: &who,
        account: &account,
        // The account is the first parameter; handlers get the rest.
        params: params.iter().skip(1).map(|p| p.to_string()).collect(),
    };
    dispatch(endpoint, &mut cx).await
}

async fn dispatch(endpoint: Endpoint, cx: &mut Ctx<'_>) -> std::result::Result<Answered, ApiError> {
    use Endpoint as E;
    let reply = match endpoint {
        E::OpenApi => Ok((200, openapi())),
        E::ListLines => lines::list(cx).await,
        E::GetLine => lines::get(cx).await,
        E::PutLine => lines::put(cx).await,
        E::DeleteLine => lines::delete(cx).await,
        E::ListEntries => entries::list(cx).await,
        E::PutEntry => entries::put(cx).await,
        E::DeleteEntry => entries::delete(cx).await,
        E::ImportAddressBook => entries::import(cx).await,
        E::ListGraylist => entries::list_graylist(cx).await,
        E::GetGraylist => entries::graylist(cx).await,
        E::ResetGraylist => entries::reset_graylist(cx).await,
        E::ListBlocked => entries::list_blocked(cx).await,
        E::Block => entries::block(cx).await,
        E::Unblock => entries::unblock(cx).await,
        E::ListVoicemails => voicemails::list(cx).await,
        E::GetRecording => return voicemails::recording(cx).await.map(Answered::media),
        E::Simulate => simulate::simulate(cx).await,
        E::ListTokens => tokens::list(cx).await,
        E::CreateToken => tokens::create(cx).await,
        E::RevokeToken => tokens::revoke(cx).await,
        E::GetOutbound => outbound::get(cx).await,
        E::PutOutbound => outbound::put(cx).await,
        E::CallerId => outbound::caller_id(cx).await,
        E::StartCall => return calls::start_call(cx).await,
        E::SendCode => return calls::send_code(cx).await,
        E::CheckCode => calls::check_code(cx).await,
        E::ListCalls => records::calls(cx).await,
        E::GetCall => records::call(cx).await,
        E::ListDebuggerEvents => records::debugger(cx).await,
        E::Health => records::health(cx).await,
        E::HealthDays => records::trend(cx).await,
        E::Usage => records::usage(cx).await,
        E::ListAlerts => records::alerts(cx).await,
        E::GetMonitoring => monitoring::get(cx).await,
        E::PutMonitoring => monitoring::put(cx).await,
        E::ListPools => pools::list(cx).await,
        E::DeletePool => pools::delete(cx).await,
        E::Access => tokens::access(cx),
        E::CreateSession => return pools::create_session(cx).await,
        E::ListSessions => pools::list_sessions(cx).await,
        E::GetSession => pools::get_session(cx).await,
        E::EndSession => pools::end_session(cx).await,
        E::ListNumbers => pools::list_numbers(cx).await,
        E::AddNumber => pools::add_number(cx).await,
        E::RemoveNumber => pools::remove_number(cx).await,
        E::GetPoolSettings => pools::get_settings(cx).await,
        E::PutPoolSettings => pools::put_settings(cx).await,
        E::PatchPoolSettings => pools::patch_settings(cx).await,
        E::Reindex => pools::reindex(cx).await,
        E::PoolReport => pools::report(cx).await,
    };
    reply.map(Answered::from)
}

thread_local! {
    /// The document (generated natively from the route table and the types,
    /// see `crate::contract`), read once per isolate.
    static OPENAPI: Value = serde_json::from_str(include_str!("../../openapi.json"))
        .unwrap_or(Value::Null);
}

fn openapi() -> Value {
    OPENAPI.with(Value::clone)
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

/// Text read as one declared type (a JSON object, no unknown fields). No
/// body at all reads as `{}`: the type's required fields still apply.
pub fn parse_json<T: DeserializeOwned>(text: &str) -> std::result::Result<T, ApiError> {
    let text = if text.trim().is_empty() { "{}" } else { text };
    Ok(body::parse(text)?)
}

/// The body as one declared type.
pub async fn json_body<T: DeserializeOwned>(req: &mut Request) -> std::result::Result<T, ApiError> {
    parse_json(&body_text(req).await?)
}

/// The query string's parameters.
pub fn query_of(req: &Request) -> std::result::Result<Params, ApiError> {
    let url = req.inner().url();
    let query = url.split_once('?').map(|(_, q)| q).unwrap_or("");
    Params::parse(query).map_err(|e| ApiError::Malformed(e.to_string()))
}

/// `DELETE` of one key.
pub async fn delete_key(kv: &KvStore, key: &str) -> Reply {
    kv.delete(key).await?;
    answer(200, &crate::contract::screening::Deleted { deleted: true })
}
