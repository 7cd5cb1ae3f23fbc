//! The pool allocator: one Durable Object per (account, pool), the single
//! writer of that pool's numbers and sessions. A Durable Object handles one
//! request at a time and its storage calls hold other events back, so two
//! sessions created at the same moment are allocated one after the other and
//! can never break the allocation rule, which KV alone (no transactions,
//! eventually consistent) could not promise.
//!
//! After every change it writes the call path's index to KV
//! (`proxy:<proxy>:<party>` -> the session, its account, pool and carrier), so
//! a call or text to a proxy number is one KV read and never touches the
//! object. When an index write fails after the pool was stored, the sessions
//! are remembered and an alarm writes them again until KV matches.

use super::ledger::{ask_ledger, scope};
use super::objects::answer;
use super::{clock, store, KV_BINDING};
use crate::account::AccountSid;
use crate::ledger::Op;
use crate::masking::{NewSession, Pool, PoolError, ProxyNumber, Session};
use crate::outbound::{self, Outbound, Refused};
use crate::phone::E164;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use worker::{durable_object, DurableObject, Env, Method, Request, Response, Result, State};

pub const BINDING: &str = "POOL_ALLOCATOR";

/// How long an index entry outlives the session's grace period, so a late
/// caller hears "this session has ended" rather than "unknown".
const EXPIRED_NOTICE_SECS: u64 = 7 * 24 * 3600;

/// How soon a failed index write is tried again.
const REINDEX_RETRY_MS: u64 = 10_000;

/// Which carrier's webhooks a pool serves. A Twilio route never reads a
/// MessageBird pool's sessions, nor the other way round.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Carrier {
    #[default]
    Twilio,
    Messagebird,
}

/// What the call path reads for a (proxy, party).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Indexed {
    pub account: String,
    pub pool: String,
    #[serde(default)]
    pub carrier: Carrier,
    pub grace_secs: u32,
    /// When the grace period ends (ms), for a session that has an end.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grace_until_ms: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub announce: Option<String>,
    #[serde(default)]
    pub record: bool,
    pub session: Session,
}

/// Pool-wide settings kept beside the pool.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    pub grace_secs: u32,
    pub low_water: u32,
    /// Said to the caller before bridging; `{name}` is the other party's
    /// `a_name`/`b_name` label.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub announce: Option<String>,
    #[serde(default)]
    pub record: bool,
    #[serde(default)]
    pub carrier: Carrier,
}

/// `PATCH …/settings`: only the fields given change.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SettingsPatch {
    #[serde(default)]
    pub grace_secs: Option<u32>,
    #[serde(default)]
    pub low_water: Option<u32>,
    /// `null` removes the announcement.
    #[serde(default, with = "double_option")]
    pub announce: Option<Option<String>>,
    #[serde(default)]
    pub record: Option<bool>,
    #[serde(default)]
    pub carrier: Option<Carrier>,
}

/// Tells a field that is absent (`None`) from one set to `null` (`Some(None)`).
mod double_option {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};
    pub fn deserialize<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
        d: D,
    ) -> Result<Option<Option<T>>, D::Error> {
        Option::<T>::deserialize(d).map(Some)
    }
    pub fn serialize<S: Serializer, T: Serialize>(
        v: &Option<Option<T>>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        match v {
            None => s.serialize_none(),
            Some(inner) => inner.serialize(s),
        }
    }
}

impl SettingsPatch {
    fn apply(self, s: &mut Settings) {
        if let Some(v) = self.grace_secs {
            s.grace_secs = v;
        }
        if let Some(v) = self.low_water {
            s.low_water = v;
        }
        if let Some(v) = self.announce {
            s.announce = v;
        }
        if let Some(v) = self.record {
            s.record = v;
        }
        if let Some(v) = self.carrier {
            s.carrier = v;
        }
    }
}

/// `PUT …/numbers/{n}`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NumberSettings {
    #[serde(default)]
    pub market: Option<String>,
}

/// A new session as the worker hands it over: parties already in E.164,
/// the id drawn, and the account's outbound config for the guard.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CreateSession {
    pub session: NewSession,
    pub outbound: Option<Outbound>,
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
    /// Sessions whose index entries still have to reach KV.
    #[serde(default)]
    unindexed: Vec<String>,
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
        let now = clock::now_ms();
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
        let before: Vec<E164> = stored
            .pool
            .numbers
            .iter()
            .map(|n| n.number.clone())
            .collect();
        stored.pool.prune(now);
        let answered = handle(&mut stored, req.method(), &parts, &body, now);
        let (status, value, touched) = match answered {
            Ok(ok) => ok,
            Err(e) => {
                return answer(
                    status_of(&e),
                    &json!({ "error": e.to_string(), "detail": detail_of(&e) }),
                )
            }
        };
        let numbers_left = stored.pool.numbers.len() != before.len();
        if touched.is_empty() && req.method() == Method::Get && !numbers_left {
            return answer(status, &value);
        }
        for s in touched {
            if !stored.unindexed.contains(&s.id) {
                stored.unindexed.push(s.id);
            }
        }
        storage.put("pool", &stored).await?;
        self.release_gone(&stored, &before).await;
        self.flush_index(&mut stored, now).await?;
        answer(status, &value)
    }

    async fn alarm(&self) -> Result<Response> {
        let storage = self.state.storage();
        let mut stored: Stored = storage.get("pool").await?.unwrap_or_default();
        self.flush_index(&mut stored, clock::now_ms()).await?;
        Response::ok("indexed")
    }
}

impl PoolAllocator {
    /// Writes the index of every session still to be indexed; keeps the
    /// ones that failed and rings again for them.
    async fn flush_index(&self, stored: &mut Stored, now: u64) -> Result<()> {
        if stored.unindexed.is_empty() {
            return Ok(());
        }
        let mut failed = Vec::new();
        for id in std::mem::take(&mut stored.unindexed) {
            let Some(session) = stored.pool.sessions.iter().find(|s| s.id == id) else {
                continue; // pruned: its index entries expire by themselves
            };
            if let Err(e) = self.index(stored, session).await {
                worker::console_error!(
                    "{}",
                    json!({ "route": "allocator", "error": format!("index not written: {e}"), "session": id })
                );
                failed.push(id);
            }
        }
        stored.unindexed = failed;
        let storage = self.state.storage();
        storage.put("pool", &*stored).await?;
        if !stored.unindexed.is_empty() {
            storage.set_alarm((now + REINDEX_RETRY_MS) as i64).await?;
        }
        Ok(())
    }

    async fn index(&self, stored: &Stored, session: &Session) -> Result<()> {
        let kv = self.env.kv(KV_BINDING)?;
        let grace_secs = stored.settings.grace_secs;
        let grace_until_ms = session
            .ended()
            .map(|end| end + u64::from(grace_secs) * 1000);
        let entry = Indexed {
            account: stored.account.clone(),
            pool: stored.name.clone(),
            carrier: stored.settings.carrier,
            grace_secs,
            grace_until_ms,
            announce: stored.settings.announce.clone(),
            record: stored.settings.record,
            session: session.clone(),
        };
        let text = serde_json::to_string(&entry)?;
        for party in [&session.a, &session.b] {
            let mut put = kv.put(&store::proxy_key(&session.proxy, party), text.clone())?;
            if let Some(until) = grace_until_ms {
                put = put.expiration(until / 1000 + EXPIRED_NOTICE_SECS);
            }
            put.execute().await?;
        }
        Ok(())
    }

    /// Numbers that left the pool (removed, or drained and pruned) leave the
    /// deployment-wide registry too, so another pool may take them.
    async fn release_gone(&self, stored: &Stored, before: &[E164]) {
        let holder = format!("{}/{}", stored.account, stored.name);
        for n in before {
            if stored.pool.numbers.iter().any(|p| p.number == *n) {
                continue;
            }
            let op = Op::Release {
                key: "pool".into(),
                holder: holder.clone(),
            };
            if let Err(e) = ask_ledger(&self.env, &scope::number(n), &op).await {
                worker::console_error!(
                    "{}",
                    json!({ "route": "allocator", "error": format!("number not released: {e}"), "number": n.masked() })
                );
            }
        }
    }
}

/// Why an allocator request failed: the pool's rule, the guard, or a request
/// it cannot read.
enum Refusal {
    Pool(PoolError),
    Guard {
        party: &'static str,
        refused: Refused,
    },
    Invalid(String),
}

impl From<PoolError> for Refusal {
    fn from(e: PoolError) -> Refusal {
        Refusal::Pool(e)
    }
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refusal::Pool(e) => write!(f, "{e}"),
            Refusal::Guard { party, refused } => write!(f, "{party}: {refused}"),
            Refusal::Invalid(why) => f.write_str(why),
        }
    }
}

type Handled = std::result::Result<(u16, Value, Vec<Session>), Refusal>;

fn read<T: serde::de::DeserializeOwned>(body: &Value) -> std::result::Result<T, Refusal> {
    serde_json::from_value(body.clone()).map_err(|e| Refusal::Invalid(e.to_string()))
}

fn handle(stored: &mut Stored, method: Method, parts: &[&str], body: &Value, now: u64) -> Handled {
    let number = |s: &str| E164::parse(s).map_err(|e| Refusal::Invalid(format!("{s:?}: {e}")));
    match (method, parts) {
        (Method::Post, ["sessions"]) => {
            let new: CreateSession = read(body)?;
            // Parties are numbers the proxy will dial: the account's guard
            // holds, and the pool's own numbers count as the account's.
            let home: Vec<E164> = stored
                .pool
                .numbers
                .iter()
                .map(|n| n.number.clone())
                .collect();
            for (party, n) in [("a", &new.session.a), ("b", &new.session.b)] {
                outbound::classify(n)
                    .and_then(|d| outbound::check_for(new.outbound.as_ref(), &home, &d))
                    .map_err(|refused| Refusal::Guard { party, refused })?;
            }
            let session = stored.pool.allocate(new.session, now)?;
            Ok((201, json!(session), vec![session]))
        }
        (Method::Get, ["sessions"]) => {
            Ok((200, json!({ "sessions": stored.pool.live(now) }), vec![]))
        }
        (Method::Get, ["sessions", id]) => {
            let s = stored
                .pool
                .sessions
                .iter()
                .find(|s| s.id == *id)
                .ok_or_else(|| Refusal::Pool(PoolError::UnknownSession(id.to_string())))?;
            let state = s.state(now, u64::from(stored.settings.grace_secs) * 1000);
            Ok((200, json!({ "session": s, "state": state }), vec![]))
        }
        (Method::Post, ["sessions", id, "end"]) => {
            let s = stored.pool.end(id, now)?;
            Ok((200, json!(s), vec![s]))
        }
        (Method::Put, ["numbers", n]) => {
            let settings: NumberSettings = read(body)?;
            stored.pool.add_number(ProxyNumber {
                number: number(n)?,
                market: settings.market,
                draining: false,
            })?;
            Ok((200, json!({ "numbers": stored.pool.numbers }), vec![]))
        }
        (Method::Delete, ["numbers", n]) => {
            let removed = stored.pool.remove_number(&number(n)?, now)?;
            Ok((
                200,
                json!({ "removed": removed, "draining": !removed }),
                vec![],
            ))
        }
        (Method::Get, ["numbers"]) => Ok((200, json!({ "numbers": stored.pool.numbers }), vec![])),
        (Method::Get, ["settings"]) => Ok((200, json!(stored.settings), vec![])),
        (Method::Put, ["settings"]) => {
            let settings: Settings = read(body)?;
            set(stored, settings)
        }
        (Method::Patch, ["settings"]) => {
            let patch: SettingsPatch = read(body)?;
            let mut settings = stored.settings.clone();
            patch.apply(&mut settings);
            set(stored, settings)
        }
        // Writes every session's index entries again: after KV lost or
        // missed some, or on demand.
        (Method::Post, ["reindex"]) => {
            let all = stored.pool.sessions.clone();
            Ok((200, json!({ "reindexed": all.len() }), all))
        }
        (Method::Get, ["report", rest @ ..]) => {
            // report/<a>/<b>/<market>, each "-" when absent.
            let opt = |i: usize| rest.get(i).filter(|s| **s != "-").copied();
            let a = opt(0).map(number).transpose()?;
            let b = opt(1).map(number).transpose()?;
            let pair = a.as_ref().zip(b.as_ref());
            Ok((200, json!(stored.pool.report(now, pair, opt(2))), vec![]))
        }
        _ => Err(Refusal::Invalid("no such pool operation".into())),
    }
}

/// New settings; every session's index carries them, so all are indexed again.
fn set(stored: &mut Stored, settings: Settings) -> Handled {
    stored.pool.grace_secs = settings.grace_secs;
    stored.pool.low_water = settings.low_water;
    stored.settings = settings;
    Ok((200, json!(stored.settings), stored.pool.sessions.clone()))
}

fn status_of(e: &Refusal) -> u16 {
    match e {
        Refusal::Pool(
            PoolError::Exhausted(_) | PoolError::DuplicateId(_) | PoolError::AlreadyInPool(_),
        ) => 409,
        Refusal::Pool(PoolError::UnknownSession(_) | PoolError::NotInPool(_)) => 404,
        Refusal::Guard { .. } => 422,
        _ => 400,
    }
}

fn detail_of(e: &Refusal) -> Value {
    match e {
        Refusal::Pool(PoolError::Exhausted(x)) => json!(x),
        Refusal::Guard { party, refused } => {
            let mut v = serde_json::to_value(refused).unwrap_or_default();
            v["party"] = json!(party);
            v
        }
        _ => Value::Null,
    }
}

/// The registry holder of a pool: `<AccountSid>/<pool>`.
pub fn holder(account: &AccountSid, pool: &str) -> String {
    format!("{account}/{pool}")
}
