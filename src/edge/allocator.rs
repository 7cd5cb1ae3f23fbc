//! The pool allocator: one Durable Object per (account, pool), the single
//! writer of that pool's numbers and sessions. A Durable Object handles one
//! request at a time and its storage calls hold other events back, so two
//! sessions created at the same moment are allocated one after the other and
//! can never break the allocation rule, which KV alone (no transactions,
//! eventually consistent) could not promise.
//!
//! After every change it writes the call path's index to KV:
//! `proxy:<proxy>:<party>` -> the session, so a call or text to a proxy number
//! is one KV read and never touches the object.

use super::KV_BINDING;
use crate::masking::{NewSession, Pool, PoolError, ProxyNumber, Session};
use crate::phone::E164;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use worker::{durable_object, DurableObject, Env, Method, Request, Response, Result, State};

/// How long an index entry outlives the session's grace period, so a late
/// caller hears "this session has ended" rather than "unknown".
const EXPIRED_NOTICE_SECS: u64 = 7 * 24 * 3600;

/// What the call path reads for a (proxy, party).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Indexed {
    pub account: String,
    pub pool: String,
    pub grace_secs: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub announce: Option<String>,
    #[serde(default)]
    pub record: bool,
    pub session: Session,
}

pub fn index_key(proxy: &E164, party: &E164) -> String {
    format!("proxy:{proxy}:{party}")
}

/// Pool-wide settings kept beside the pool.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    #[serde(default)]
    pub grace_secs: u32,
    #[serde(default)]
    pub low_water: u32,
    /// Said to the caller before bridging; `{name}` is the other party's
    /// `a_name`/`b_name` label.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub announce: Option<String>,
    #[serde(default)]
    pub record: bool,
}

#[derive(Serialize, Deserialize, Default)]
struct Stored {
    pool: Pool,
    #[serde(default)]
    settings: Settings,
    /// The pool's name and account, learnt from the first request.
    #[serde(default)]
    account: String,
    #[serde(default)]
    name: String,
}

#[durable_object]
pub struct PoolAllocator {
    state: State,
    env: Env,
}

impl DurableObject for PoolAllocator {
    fn new(state: State, env: Env) -> Self {
        PoolAllocator { state, env }
    }

    async fn fetch(&self, mut req: Request) -> Result<Response> {
        let now = js_now();
        let path = req.path();
        let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
        let body: Value = if req.method() == Method::Get {
            Value::Null
        } else {
            req.json().await.unwrap_or(Value::Null)
        };
        let storage = self.state.storage();
        let mut stored: Stored = storage.get("pool").await?.unwrap_or_default();
        // Who owns this object is in its name; the worker states it on every request.
        let header = |name: &str| req.headers().get(name).ok().flatten().unwrap_or_default();
        stored.account = header("X-Pool-Account");
        stored.name = header("X-Pool-Name");
        stored.pool.prune(now);
        let answer = handle(&mut stored, req.method(), &parts, &body, now);
        let (status, value, touched) = match answer {
            Ok(ok) => ok,
            Err(e) => {
                return json(
                    status_of(&e),
                    &json!({ "error": e.to_string(), "detail": detail_of(&e) }),
                )
            }
        };
        if !touched.is_empty()
            || matches!(req.method(), Method::Post | Method::Put | Method::Delete)
        {
            storage.put("pool", &stored).await?;
        }
        for session in &touched {
            self.index(&stored, session).await?;
        }
        json(status, &value)
    }
}

impl PoolAllocator {
    async fn index(&self, stored: &Stored, session: &Session) -> Result<()> {
        let kv = self.env.kv(KV_BINDING)?;
        let entry = Indexed {
            account: stored.account.clone(),
            pool: stored.name.clone(),
            grace_secs: stored.settings.grace_secs,
            announce: stored.settings.announce.clone(),
            record: stored.settings.record,
            session: session.clone(),
        };
        let text = serde_json::to_string(&entry)?;
        for party in [&session.a, &session.b] {
            let mut put = kv.put(&index_key(&session.proxy, party), text.clone())?;
            if let Some(end) = session.ended() {
                let until_secs =
                    end / 1000 + stored.settings.grace_secs as u64 + EXPIRED_NOTICE_SECS;
                put = put.expiration(until_secs);
            }
            put.execute().await?;
        }
        Ok(())
    }
}

/// Why an allocator request failed: the pool's rule, or a request it cannot read.
enum Refused {
    Pool(PoolError),
    Invalid(String),
}

impl From<PoolError> for Refused {
    fn from(e: PoolError) -> Refused {
        Refused::Pool(e)
    }
}

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refused::Pool(e) => write!(f, "{e}"),
            Refused::Invalid(why) => f.write_str(why),
        }
    }
}

type Handled = std::result::Result<(u16, Value, Vec<Session>), Refused>;

fn handle(stored: &mut Stored, method: Method, parts: &[&str], body: &Value, now: u64) -> Handled {
    let pool = &mut stored.pool;
    let field = |k: &str| body.get(k).and_then(Value::as_str);
    let number = |s: &str| E164::parse(s).map_err(|e| Refused::Invalid(format!("{s:?}: {e}")));
    match (method, parts) {
        (Method::Post, ["sessions"]) => {
            let party = |k: &str| {
                field(k)
                    .ok_or_else(|| Refused::Invalid(format!("{k} is required")))
                    .and_then(number)
            };
            let new = NewSession {
                id: field("id").unwrap_or_default().to_string(),
                a: party("a")?,
                b: party("b")?,
                ttl_secs: body
                    .get("ttl_secs")
                    .and_then(Value::as_u64)
                    .map(|t| t.min(u32::MAX as u64) as u32),
                market: field("market").map(str::to_string),
                labels: serde_json::from_value(body.get("labels").cloned().unwrap_or(json!({})))
                    .map_err(|e| Refused::Invalid(format!("labels: {e}")))?,
            };
            let session = pool.allocate(new, now)?;
            Ok((201, json!(session), vec![session]))
        }
        (Method::Get, ["sessions"]) => Ok((200, json!({ "sessions": pool.live(now) }), vec![])),
        (Method::Get, ["sessions", id]) => {
            let s = pool
                .sessions
                .iter()
                .find(|s| s.id == *id)
                .ok_or_else(|| Refused::Pool(PoolError::UnknownSession(id.to_string())))?;
            let state = s.state(now, stored.settings.grace_secs as u64 * 1000);
            Ok((200, json!({ "session": s, "state": state }), vec![]))
        }
        (Method::Post, ["sessions", id, "end"]) => {
            let s = pool.end(id, now)?;
            Ok((200, json!(s), vec![s]))
        }
        (Method::Put, ["numbers", n]) => {
            pool.add_number(ProxyNumber {
                number: number(n)?,
                market: field("market").map(str::to_string),
                draining: false,
            })?;
            Ok((200, json!({ "numbers": pool.numbers }), vec![]))
        }
        (Method::Delete, ["numbers", n]) => {
            let removed = pool.remove_number(&number(n)?, now)?;
            Ok((
                200,
                json!({ "removed": removed, "draining": !removed }),
                vec![],
            ))
        }
        (Method::Get, ["numbers"]) => Ok((200, json!({ "numbers": pool.numbers }), vec![])),
        (Method::Put, ["settings"]) => {
            let settings: Settings = serde_json::from_value(body.clone())
                .map_err(|e| Refused::Invalid(format!("settings: {e}")))?;
            pool.grace_secs = settings.grace_secs;
            pool.low_water = settings.low_water;
            stored.settings = settings;
            Ok((200, json!(stored.settings), vec![]))
        }
        (Method::Get, ["report", rest @ ..]) => {
            // report/<a>/<b>/<market>, each "-" when absent.
            let opt = |i: usize| rest.get(i).filter(|s| **s != "-").copied();
            let a = opt(0).map(number).transpose()?;
            let b = opt(1).map(number).transpose()?;
            let pair = a.as_ref().zip(b.as_ref());
            Ok((200, json!(pool.report(now, pair, opt(2))), vec![]))
        }
        _ => Err(Refused::Invalid("no such pool operation".into())),
    }
}

fn status_of(e: &Refused) -> u16 {
    match e {
        Refused::Pool(
            PoolError::Exhausted(_) | PoolError::DuplicateId(_) | PoolError::AlreadyInPool(_),
        ) => 409,
        Refused::Pool(PoolError::UnknownSession(_) | PoolError::NotInPool(_)) => 404,
        _ => 400,
    }
}

fn detail_of(e: &Refused) -> Value {
    match e {
        Refused::Pool(PoolError::Exhausted(x)) => json!(x),
        _ => Value::Null,
    }
}

fn json(status: u16, value: &Value) -> Result<Response> {
    Ok(Response::from_json(value)?.with_status(status))
}

fn js_now() -> u64 {
    worker::js_sys::Date::now() as u64
}
