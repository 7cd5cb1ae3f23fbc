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

use crate::contract::masking::{
    NumberPage, NumberRemoved, PoolNumbers, Reindexed, SessionListed, SessionPage, SessionShown,
};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use switchboard_core::account::AccountSid;
use switchboard_core::ledger::Op;
use switchboard_core::masking::call::Indexed;
use switchboard_core::masking::{
    NewSession, Pool, PoolError, ProxyNumber, Session, State as SessionState,
};
use switchboard_core::outbound::{self, Outbound, Refused};
use switchboard_core::phone::E164;
use switchboard_edge::ledger::{ask_ledger, scope};
use switchboard_edge::objects::{answer, ask};
use switchboard_edge::{clock, store, KV_BINDING};
use worker::{durable_object, DurableObject, Env, Request, Response, Result, State};

pub const BINDING: &str = "POOL_ALLOCATOR";

/// How long an index entry outlives the session's grace period, so a late
/// caller hears "this session has ended" rather than "unknown".
const EXPIRED_NOTICE_SECS: u64 = 7 * 24 * 3600;

/// How soon a failed index write is tried again.
const REINDEX_RETRY_MS: u64 = 10_000;

pub use crate::contract::masking::{NumberSettings, Settings, SettingsPatch};

/// A new session as the worker hands it over: parties already in E.164,
/// the id drawn, and the account's outbound config for the guard.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CreateSession {
    pub session: NewSession,
    pub outbound: Option<Outbound>,
}

/// What the admin worker asks a pool's allocator, typed end to end: the
/// same enum is serialised by the API and read back here.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum PoolOp {
    CreateSession(CreateSession),
    /// A page of the live and in-grace sessions (or those in `state`),
    /// oldest first: `after` is the last one's `<created_at_ms>.<id>`.
    ListSessions {
        limit: u32,
        after: Option<String>,
        #[serde(default)]
        state: Option<SessionState>,
    },
    GetSession {
        id: String,
    },
    EndSession {
        id: String,
    },
    AddNumber {
        number: E164,
        market: Option<String>,
    },
    RemoveNumber {
        number: E164,
    },
    /// A page of the numbers, in order: `after` is the last one.
    ListNumbers {
        limit: u32,
        after: Option<String>,
    },
    GetSettings,
    PutSettings(Settings),
    PatchSettings(SettingsPatch),
    /// Writes every session's index entries again: after KV lost or missed
    /// some, or on demand.
    Reindex,
    Report {
        a: Option<E164>,
        b: Option<E164>,
        market: Option<String>,
    },
    /// Forgets the pool, once nothing in it works any more
    /// (`Pool::deletable`): its settings and its closed sessions go with it.
    Delete,
}

impl PoolOp {
    fn writes(&self) -> bool {
        !matches!(
            self,
            PoolOp::ListSessions { .. }
                | PoolOp::GetSession { .. }
                | PoolOp::ListNumbers { .. }
                | PoolOp::GetSettings
                | PoolOp::Report { .. }
        )
    }
}

/// A request to the allocator of `account`'s `pool` (its object's name is
/// both: the object learns them from the request).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PoolRequest {
    pub account: AccountSid,
    pub pool: String,
    pub op: PoolOp,
}

/// Why the allocator said no: the pool's rule, or the guard for a party.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Refusal {
    Pool(PoolError),
    Guard { party: String, refused: Refused },
}

impl From<PoolError> for Refusal {
    fn from(e: PoolError) -> Refusal {
        Refusal::Pool(e)
    }
}

/// The allocator's answer: a status and a value, or why not.
pub type PoolReply = std::result::Result<(u16, Value), Refusal>;

/// Asks the allocator of `account`'s `pool`.
pub async fn ask_pool(
    env: &Env,
    account: &AccountSid,
    pool: &str,
    op: PoolOp,
) -> std::result::Result<PoolReply, String> {
    let name = format!("{account}:{pool}");
    let request = PoolRequest {
        account: account.clone(),
        pool: pool.to_string(),
        op,
    };
    match ask::<_, PoolReply>(env, BINDING, &name, &request).await? {
        (_, Ok(reply)) => Ok(reply),
        (status, Err(e)) => Err(format!("allocator answered {status}: {e}")),
    }
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
        let request: PoolRequest = match req.json().await {
            Ok(r) => r,
            Err(e) => return answer(400, &json!({ "error": format!("not a pool request: {e}") })),
        };
        let storage = self.state.storage();
        let found: Option<Stored> = storage.get("pool").await?;
        let existed = found.is_some();
        let mut stored = found.unwrap_or_default();
        stored.account = request.account.to_string();
        stored.name = request.pool;
        let before: Vec<E164> = stored
            .pool
            .numbers
            .iter()
            .map(|n| n.number.clone())
            .collect();
        stored.pool.prune(now);
        let writes = request.op.writes();
        let deleting = matches!(request.op, PoolOp::Delete);
        let (reply, touched) = match handle(&mut stored, request.op, now) {
            Ok((status, value, touched)) => (PoolReply::Ok((status, value)), touched),
            Err(refusal) => return answer(200, &PoolReply::Err(refusal)),
        };
        if deleting {
            // Nothing is left to index or release: `deletable` said so.
            storage.delete_alarm().await?;
            storage.delete_all().await?;
            return answer(200, &PoolReply::Ok((200, json!({ "deleted": existed }))));
        }
        let numbers_left = stored.pool.numbers.len() != before.len();
        if touched.is_empty() && !writes && !numbers_left {
            return answer(200, &reply);
        }
        for s in touched {
            if !stored.unindexed.contains(&s.id) {
                stored.unindexed.push(s.id);
            }
        }
        storage.put("pool", &stored).await?;
        self.release_gone(&stored, &before).await;
        self.flush_index(&mut stored, now).await?;
        answer(200, &reply)
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

type Handled = std::result::Result<(u16, Value, Vec<Session>), Refusal>;

fn handle(stored: &mut Stored, op: PoolOp, now: u64) -> Handled {
    match op {
        PoolOp::CreateSession(new) => {
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
                    .map_err(|refused| Refusal::Guard {
                        party: party.into(),
                        refused,
                    })?;
            }
            let session = stored.pool.allocate(new.session, now)?;
            Ok((201, json!(session), vec![session]))
        }
        PoolOp::ListSessions {
            limit,
            after,
            state,
        } => {
            let key = |s: &SessionListed| (s.session.created_at_ms, s.session.id.clone());
            let after = after.and_then(|a| {
                let (ms, id) = a.split_once('.')?;
                Some((ms.parse::<u64>().ok()?, id.to_string()))
            });
            let mut open: Vec<SessionListed> = stored
                .pool
                .open(now)
                .into_iter()
                .filter(|(_, s)| state.is_none_or(|want| *s == want))
                .map(|(session, state)| SessionListed {
                    session: session.clone(),
                    state,
                })
                .collect();
            open.sort_by_key(key);
            open.retain(|s| after.as_ref().is_none_or(|a| key(s) > *a));
            let (sessions, next_cursor) = page_of(open, limit, |s| {
                format!("{}.{}", s.session.created_at_ms, s.session.id)
            });
            Ok((
                200,
                json!(SessionPage {
                    sessions,
                    next_cursor
                }),
                vec![],
            ))
        }
        PoolOp::GetSession { id } => {
            let s = stored
                .pool
                .sessions
                .iter()
                .find(|s| s.id == id)
                .ok_or(PoolError::UnknownSession(id.clone()))?;
            let state = s.state(now, u64::from(stored.settings.grace_secs) * 1000);
            let shown = SessionShown {
                session: s.clone(),
                state,
            };
            Ok((200, json!(shown), vec![]))
        }
        PoolOp::EndSession { id } => {
            let s = stored.pool.end(&id, now)?;
            Ok((200, json!(s), vec![s]))
        }
        PoolOp::AddNumber { number, market } => {
            stored.pool.add_number(ProxyNumber {
                number,
                market,
                draining: false,
            })?;
            let all = PoolNumbers {
                numbers: stored.pool.numbers.clone(),
            };
            Ok((200, json!(all), vec![]))
        }
        PoolOp::RemoveNumber { number } => {
            let removed = stored.pool.remove_number(&number, now)?;
            let shown = NumberRemoved {
                removed,
                draining: !removed,
            };
            Ok((200, json!(shown), vec![]))
        }
        PoolOp::ListNumbers { limit, after } => {
            let mut numbers = stored.pool.numbers.clone();
            numbers.sort_by(|a, b| a.number.cmp(&b.number));
            numbers.retain(|n| after.as_deref().is_none_or(|a| n.number.as_str() > a));
            let (numbers, next_cursor) = page_of(numbers, limit, |n| n.number.to_string());
            Ok((
                200,
                json!(NumberPage {
                    numbers,
                    next_cursor
                }),
                vec![],
            ))
        }
        PoolOp::GetSettings => Ok((200, json!(stored.settings), vec![])),
        PoolOp::PutSettings(settings) => set(stored, settings),
        PoolOp::PatchSettings(patch) => {
            let mut settings = stored.settings.clone();
            patch.apply(&mut settings);
            set(stored, settings)
        }
        PoolOp::Reindex => {
            let all = stored.pool.sessions.clone();
            let shown = Reindexed {
                reindexed: all.len(),
            };
            Ok((200, json!(shown), all))
        }
        PoolOp::Report { a, b, market } => {
            let pair = a.as_ref().zip(b.as_ref());
            let report = stored.pool.report(now, pair, market.as_deref());
            Ok((200, json!(report), vec![]))
        }
        PoolOp::Delete => {
            stored.pool.deletable(now)?;
            Ok((200, json!({ "deleted": true }), vec![]))
        }
    }
}

/// New settings; every session's index carries them, so all are indexed again.
fn set(stored: &mut Stored, settings: Settings) -> Handled {
    stored.pool.grace_secs = settings.grace_secs;
    stored.pool.low_water = settings.low_water;
    stored.settings = settings;
    Ok((200, json!(stored.settings), stored.pool.sessions.clone()))
}

/// The first `limit` of `items`, and the cursor after the last of them
/// when more are left.
fn page_of<T>(
    mut items: Vec<T>,
    limit: u32,
    key: impl Fn(&T) -> String,
) -> (Vec<T>, Option<String>) {
    if items.len() <= limit as usize {
        return (items, None);
    }
    items.truncate(limit as usize);
    let next = items.last().map(key);
    (items, next)
}

/// The registry holder of a pool: `<AccountSid>/<pool>`.
pub fn holder(account: &AccountSid, pool: &str) -> String {
    format!("{account}/{pool}")
}
