//! The `CallLog` Durable Object: one per account, the account's call records
//! and Debugger events in its own SQLite database. One object per tenant
//! shards the writes by tenant, serialises them (a status callback's
//! check-and-update cannot race another's), and answers ordered and
//! aggregated queries with SQL next to the data. The calls worker writes to
//! it (decisions, status callbacks, debugger events); the API reads it.
//!
//! Tables:
//! - `calls`: one row per CallSid, its headline (status, duration, SIP
//!   code…) following the highest `SequenceNumber` seen;
//! - `events`: every status event once, by (CallSid, SequenceNumber), so a
//!   retried callback changes nothing;
//! - `debugger`: Debugger events, once by Sid;
//! - `alerts`: every alert the scheduled watch raised, until delivered and
//!   past retention;
//! - `meta`: what the watch must remember between runs (which conditions
//!   are in breach, which error codes and low pools were announced), and
//!   whether the account is in the deployment's registry.

use crate::contract::records::{
    AlertPage, CallDecision, CallDetail, CallEvent, CallPage, CallRecord, CodeCount,
    DebuggerEventShown, DebuggerPage, HealthDays, HealthReport, HealthWindow, NumberHealth,
    RaisedAlert, UsageRow, UsageTotals,
};
use crate::watch::{LogSteps, REGISTRY_PREFIX};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::cell::Cell;
use std::collections::{BTreeMap, BTreeSet};
use switchboard_core::account::AccountSid;
use switchboard_core::ledger::{Op, Reply};
use switchboard_core::records::alerts::{new_error_codes, transitions, Alert, Watched};
use switchboard_core::records::health::{evaluate, rank, Health, Sample, Thresholds};
use switchboard_core::records::status::{supersedes, StatusEvent};
use switchboard_core::records::trend::{self, DayCount, TrendQuery};
use switchboard_core::records::watch::pool_transitions;
use switchboard_core::records::{
    cursor, parse_cursor, DebuggerEvent, Decided, HealthQuery, ListQuery, LogOp, Stored,
    UsageQuery, WatchRun, WINDOWS,
};
use switchboard_edge::ledger::{ask_ledger, scope};
use switchboard_edge::objects::answer;
use worker::{
    durable_object, DurableObject, Env, Request, Response, Result, SqlStorage, SqlStorageValue,
    State,
};

/// How long the watch may take to deliver an alert it was handed before
/// another run may hand it out again.
const LEASE_MS: u64 = 120_000;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS calls (
  call_sid TEXT PRIMARY KEY,
  parent_sid TEXT,
  direction TEXT NOT NULL DEFAULT '',
  from_n TEXT NOT NULL DEFAULT '',
  to_n TEXT NOT NULL DEFAULT '',
  feature TEXT NOT NULL,
  session TEXT,
  route TEXT,
  outcome TEXT,
  reason TEXT,
  stir TEXT,
  status TEXT,
  seq INTEGER,
  first_ms INTEGER NOT NULL,
  updated_ms INTEGER NOT NULL,
  duration INTEGER,
  sip_code INTEGER,
  answered_by TEXT,
  queue_ms INTEGER
);
CREATE INDEX IF NOT EXISTS calls_newest ON calls (first_ms DESC, call_sid DESC);
CREATE INDEX IF NOT EXISTS calls_by_from ON calls (from_n, first_ms);
-- Covers every column the health queries read, in time order: a window is
-- one contiguous run of this index, never a row fetch per call (which,
-- for rows stored out of time order, cost ten times a plain scan).
CREATE INDEX IF NOT EXISTS calls_window ON calls
  (first_ms, feature, status, duration, from_n, to_n, sip_code, stir, queue_ms);
CREATE TABLE IF NOT EXISTS events (
  call_sid TEXT NOT NULL,
  seq INTEGER NOT NULL,
  status TEXT NOT NULL,
  at_ms INTEGER NOT NULL,
  PRIMARY KEY (call_sid, seq)
);
CREATE TABLE IF NOT EXISTS debugger (
  sid TEXT PRIMARY KEY,
  level TEXT NOT NULL,
  code TEXT NOT NULL,
  resource TEXT,
  more_info TEXT NOT NULL,
  at_ms INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS debugger_newest ON debugger (at_ms DESC, sid DESC);
CREATE TABLE IF NOT EXISTS alerts (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  at_ms INTEGER NOT NULL,
  body TEXT NOT NULL,
  delivered_ms INTEGER,
  leased_ms INTEGER
);
CREATE TABLE IF NOT EXISTS meta (
  k TEXT PRIMARY KEY,
  v TEXT NOT NULL
);
";

/// A leg we placed that has ended: what traffic health counts.
const ENDED: &str = "feature <> 'inbound' \
    AND status IN ('completed', 'busy', 'no-answer', 'failed', 'canceled')";
/// Of those, answered: completed with talk time.
const ANSWERED: &str = "(status = 'completed' AND duration > 0)";

#[durable_object]
pub struct CallLog {
    state: State,
    env: Env,
    /// Set once this object knows it is in the registry: after that a
    /// write costs no registry check at all.
    registered: Cell<bool>,
}

impl DurableObject for CallLog {
    fn new(state: State, env: Env) -> Self {
        // Every statement is idempotent: the schema is as cheap to ensure on
        // each start as to check for.
        if let Err(e) = state.storage().sql().exec(SCHEMA, None) {
            worker::console_error!("call log schema: {e}");
        }
        CallLog {
            state,
            env,
            registered: Cell::new(false),
        }
    }

    async fn fetch(&self, mut req: Request) -> Result<Response> {
        // The object's name (the account) is the request's path: `ask`
        // puts it there.
        let account = req.path().trim_start_matches('/').to_string();
        let op: LogOp = match req.json().await {
            Ok(op) => op,
            Err(e) => return answer(400, &json!({ "error": e.to_string() })),
        };
        if let LogOp::RunWatch { now_ms } = op {
            let Ok(account) = AccountSid::parse(&account) else {
                return answer(400, &json!({ "error": "the object has no account name" }));
            };
            return match crate::watch::account_run(self, &self.env, &account, now_ms).await {
                Ok(done) => answer(200, &done),
                Err(e) => answer(500, &json!({ "error": e })),
            };
        }
        let writes = matches!(
            op,
            LogOp::Decided(_) | LogOp::Status(_) | LogOp::Debugger(_)
        );
        // A registry that cannot be written now must not cost the record:
        // the write goes on, and the next one tries the registry again.
        if writes && !self.registered.get() {
            if let Err(e) = self.register(&account).await {
                worker::console_error!("call log registry: {e}");
            }
        }
        match self.apply(op) {
            Ok(reply) => answer(200, &reply),
            Err(e) => answer(500, &json!({ "error": e.to_string() })),
        }
    }
}

fn text(s: &str) -> SqlStorageValue {
    SqlStorageValue::String(s.to_string())
}

fn opt(s: &Option<String>) -> SqlStorageValue {
    s.as_deref().map_or(SqlStorageValue::Null, text)
}

fn int(n: u64) -> SqlStorageValue {
    // Times in ms and counts stay far inside 2^53.
    SqlStorageValue::Integer(n as i64)
}

fn opt_int<N: Into<u64> + Copy>(n: Option<N>) -> SqlStorageValue {
    n.map_or(SqlStorageValue::Null, |n| int(n.into()))
}

/// The bindings of `(time, id) < (?, ?)`: where the previous page ended.
/// The API checked the cursor; one that still does not read is refused.
fn after(cursor: &str) -> Result<[SqlStorageValue; 2]> {
    let (at, id) =
        parse_cursor(cursor).ok_or_else(|| worker::Error::RustError("bad cursor".into()))?;
    Ok([int(at), text(id)])
}

/// A page's rows are read one past its `limit`: the extra row only says
/// there is a next page (so the last page's cursor is null, never a page
/// that turns out empty). The cursor is the last kept row's (time, id).
fn paged<R>(
    mut rows: Vec<R>,
    limit: u32,
    key: impl Fn(&R) -> (i64, String),
) -> (Vec<R>, Option<String>) {
    if rows.len() as u64 <= u64::from(limit) {
        return (rows, None);
    }
    rows.truncate(limit as usize);
    let next = rows.last().map(|last| {
        let (at, id) = key(last);
        cursor(at as u64, &id)
    });
    (rows, next)
}

/// The row count to ask SQLite for: one past the page.
fn one_past(limit: u32) -> SqlStorageValue {
    int(u64::from(limit) + 1)
}

/// A stored alert as the watch hands it out.
fn raised(id: i64, at_ms: i64, body: &str) -> Value {
    json!({
        "id": id,
        "at_ms": at_ms,
        "alert": serde_json::from_str::<Value>(body).unwrap_or(Value::Null),
    })
}

/// A call record as the API shows it.
#[derive(Deserialize, serde::Serialize)]
struct Row {
    call_sid: String,
    parent_sid: Option<String>,
    direction: String,
    from_n: String,
    to_n: String,
    feature: String,
    session: Option<String>,
    route: Option<String>,
    outcome: Option<String>,
    reason: Option<String>,
    stir: Option<String>,
    status: Option<String>,
    seq: Option<i64>,
    first_ms: i64,
    updated_ms: i64,
    duration: Option<i64>,
    sip_code: Option<i64>,
    answered_by: Option<String>,
    queue_ms: Option<i64>,
}

impl Row {
    fn shown(&self) -> CallRecord {
        CallRecord {
            call_sid: self.call_sid.clone(),
            parent_call_sid: self.parent_sid.clone(),
            direction: self.direction.clone(),
            from: self.from_n.clone(),
            to: self.to_n.clone(),
            feature: self.feature.clone(),
            session: self.session.clone(),
            decision: self.outcome.as_ref().map(|o| CallDecision {
                route: self.route.clone(),
                outcome: o.clone(),
                reason: self.reason.clone(),
            }),
            stir_verstat: self.stir.clone(),
            status: self.status.clone(),
            started_ms: self.first_ms,
            updated_ms: self.updated_ms,
            duration_secs: self.duration,
            sip_response_code: self.sip_code,
            answered_by: self.answered_by.clone(),
            queue_time_ms: self.queue_ms,
        }
    }
}

fn to_json<T: Serialize>(v: &T) -> Result<Value> {
    serde_json::to_value(v).map_err(|e| worker::Error::RustError(e.to_string()))
}

const COLUMNS: &str = "call_sid, parent_sid, direction, from_n, to_n, feature, session, route, \
    outcome, reason, stir, status, seq, first_ms, updated_ms, duration, sip_code, answered_by, queue_ms";

impl CallLog {
    fn apply(&self, op: LogOp) -> Result<Value> {
        match op {
            LogOp::Decided(d) => self.decided(&d),
            LogOp::Status(e) => self.status(&e),
            LogOp::Debugger(e) => self.debugger(&e),
            LogOp::List(q) => self.list(&q),
            LogOp::Get { call_sid } => self.get(&call_sid),
            LogOp::DebuggerList(q) => self.debugger_list(&q),
            LogOp::Queued {
                call_sid,
                queue_time_ms,
            } => self.queued(&call_sid, queue_time_ms),
            LogOp::Health(q) => self.health(&q),
            LogOp::Trend(q) => self.trend(&q),
            LogOp::Usage(q) => self.usage(&q),
            LogOp::Watch(run) => self.watch(&run),
            LogOp::Settled {
                delivered,
                failed,
                now_ms,
            } => self.settled(&delivered, &failed, now_ms),
            LogOp::Alerts(q) => self.alerts(&q),
            LogOp::RunWatch { .. } => Err(worker::Error::RustError(
                "the watch's visit is run by fetch, not applied".into(),
            )),
        }
    }

    /// Puts the account in the deployment's registry, once in the object's
    /// life: the flag in `meta` survives restarts, the one in memory saves
    /// the read.
    async fn register(&self, account: &str) -> Result<()> {
        let sql = self.state.storage().sql();
        if get_meta::<bool>(&sql, "registered")?.unwrap_or(false) {
            self.registered.set(true);
            return Ok(());
        }
        if account.is_empty() {
            return Err(worker::Error::RustError("the object has no name".into()));
        }
        let claim = Op::Claim {
            key: format!("{REGISTRY_PREFIX}{account}"),
            holder: "registered".into(),
            until_ms: None,
        };
        match ask_ledger(&self.env, &scope::registry(), &claim).await {
            Ok(Reply::Claimed | Reply::Held { .. }) => {}
            Ok(other) => return Err(worker::Error::RustError(format!("registry: {other:?}"))),
            Err(e) => return Err(worker::Error::RustError(e)),
        }
        set_meta(&sql, "registered", &true)?;
        self.registered.set(true);
        Ok(())
    }

    /// The decision comes first (we answer before any status) or, when a
    /// status raced ahead, fills in the row that status made.
    fn decided(&self, d: &Decided) -> Result<Value> {
        let sql = self.state.storage().sql();
        sql.exec(
            "INSERT INTO calls (call_sid, direction, from_n, to_n, feature, route, outcome, reason, stir, first_ms, updated_ms)
             VALUES (?, 'inbound', ?, ?, 'inbound', ?, ?, ?, ?, ?, ?)
             ON CONFLICT (call_sid) DO UPDATE SET route = excluded.route, outcome = excluded.outcome,
               reason = excluded.reason, stir = excluded.stir,
               first_ms = min(first_ms, excluded.first_ms)",
            vec![
                text(&d.call_sid),
                text(&d.from),
                text(&d.to),
                text(&d.route),
                text(&d.outcome),
                opt(&d.reason),
                opt(&d.stir),
                int(d.at_ms),
                int(d.at_ms),
            ],
        )?;
        Ok(json!(Stored { stored: true }))
    }

    /// Keeps the event once; moves the headline only when the event is
    /// newer than what the record shows (`supersedes`).
    fn status(&self, e: &StatusEvent) -> Result<Value> {
        let sql = self.state.storage().sql();
        let added = sql
            .exec(
                "INSERT INTO events (call_sid, seq, status, at_ms) VALUES (?, ?, ?, ?)
                 ON CONFLICT DO NOTHING",
                vec![
                    text(&e.call_sid),
                    int(e.sequence.into()),
                    text(e.status.as_str()),
                    int(e.at_ms),
                ],
            )?
            .rows_written();
        if added == 0 {
            return Ok(json!(Stored { stored: false }));
        }
        #[derive(Deserialize)]
        struct Shown {
            seq: Option<i64>,
        }
        let shown: Vec<Shown> = sql
            .exec(
                "SELECT seq FROM calls WHERE call_sid = ?",
                vec![text(&e.call_sid)],
            )?
            .to_array()?;
        let Some(current) = shown.first() else {
            sql.exec(
                &format!(
                    "INSERT INTO calls ({COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, NULL, NULL, NULL, NULL, ?, ?, ?, ?, ?, ?, ?, ?)"
                ),
                vec![
                    text(&e.call_sid),
                    opt(&e.parent_call_sid),
                    text(&e.direction),
                    text(&e.from),
                    text(&e.to),
                    text(e.feature.as_str()),
                    opt(&e.session),
                    text(e.status.as_str()),
                    int(e.sequence.into()),
                    int(e.at_ms),
                    int(e.at_ms),
                    opt_int(e.duration_secs),
                    opt_int(e.sip_response_code),
                    opt(&e.answered_by),
                    opt_int(e.queue_time_ms),
                ],
            )?;
            return Ok(json!(Stored { stored: true }));
        };
        let newer = supersedes(current.seq.map(|s| s as u32), e.sequence);
        // Facts only a later event carries (duration, SIP code, AMD, queue
        // time) are kept whichever order they come in; the status follows
        // the highest sequence only.
        sql.exec(
            "UPDATE calls SET
               parent_sid = coalesce(parent_sid, ?),
               direction = CASE WHEN direction = '' THEN ? ELSE direction END,
               from_n = CASE WHEN from_n = '' THEN ? ELSE from_n END,
               to_n = CASE WHEN to_n = '' THEN ? ELSE to_n END,
               session = coalesce(session, ?),
               status = CASE WHEN ? THEN ? ELSE status END,
               seq = CASE WHEN ? THEN ? ELSE seq END,
               first_ms = min(first_ms, ?),
               updated_ms = max(updated_ms, ?),
               duration = coalesce(?, duration),
               sip_code = coalesce(?, sip_code),
               answered_by = coalesce(?, answered_by),
               queue_ms = coalesce(?, queue_ms)
             WHERE call_sid = ?",
            vec![
                opt(&e.parent_call_sid),
                text(&e.direction),
                text(&e.from),
                text(&e.to),
                opt(&e.session),
                SqlStorageValue::Integer(i64::from(newer)),
                text(e.status.as_str()),
                SqlStorageValue::Integer(i64::from(newer)),
                int(e.sequence.into()),
                int(e.at_ms),
                int(e.at_ms),
                opt_int(e.duration_secs),
                opt_int(e.sip_response_code),
                opt(&e.answered_by),
                opt_int(e.queue_time_ms),
                text(&e.call_sid),
            ],
        )?;
        Ok(json!(Stored { stored: true }))
    }

    /// A callback that carried one wins: the resource's value only fills a
    /// gap.
    fn queued(&self, call_sid: &str, queue_time_ms: u64) -> Result<Value> {
        let written = self
            .state
            .storage()
            .sql()
            .exec(
                "UPDATE calls SET queue_ms = ? WHERE call_sid = ? AND queue_ms IS NULL",
                vec![int(queue_time_ms), text(call_sid)],
            )?
            .rows_written();
        Ok(json!(Stored {
            stored: written > 0,
        }))
    }

    fn debugger(&self, e: &DebuggerEvent) -> Result<Value> {
        let written = self
            .state
            .storage()
            .sql()
            .exec(
                "INSERT INTO debugger (sid, level, code, resource, more_info, at_ms) VALUES (?, ?, ?, ?, ?, ?)
                 ON CONFLICT DO NOTHING",
                vec![
                    text(&e.sid),
                    text(&e.level),
                    text(&e.error_code),
                    opt(&e.resource_sid),
                    text(&e.more_info),
                    int(e.at_ms),
                ],
            )?
            .rows_written();
        Ok(json!(Stored {
            stored: written > 0,
        }))
    }

    /// Newest first, `limit` at a time, from strictly after the cursor.
    fn list(&self, q: &ListQuery) -> Result<Value> {
        let mut conditions = Vec::new();
        let mut args = Vec::new();
        if let Some(from) = &q.from {
            conditions.push("from_n = ?");
            args.push(text(from));
        }
        if let Some(to) = &q.to {
            conditions.push("to_n = ?");
            args.push(text(to));
        }
        if let Some(n) = &q.number {
            conditions.push("(from_n = ? OR to_n = ?)");
            args.push(text(n));
            args.push(text(n));
        }
        if let Some(s) = &q.status {
            conditions.push("status = ?");
            args.push(text(s));
        }
        if let Some(since) = q.since_ms {
            conditions.push("first_ms >= ?");
            args.push(int(since));
        }
        if let Some(c) = &q.cursor {
            conditions.push("(first_ms, call_sid) < (?, ?)");
            args.extend(after(c)?);
        }
        let filter = if conditions.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", conditions.join(" AND "))
        };
        args.push(one_past(q.limit));
        let rows: Vec<Row> = self
            .state
            .storage()
            .sql()
            .exec(
                &format!("SELECT {COLUMNS} FROM calls {filter} ORDER BY first_ms DESC, call_sid DESC LIMIT ?"),
                args,
            )?
            .to_array()?;
        let (rows, next_cursor) = paged(rows, q.limit, |r| (r.first_ms, r.call_sid.clone()));
        to_json(&CallPage {
            calls: rows.iter().map(Row::shown).collect(),
            next_cursor,
        })
    }

    fn get(&self, call_sid: &str) -> Result<Value> {
        let sql = self.state.storage().sql();
        let rows: Vec<Row> = sql
            .exec(
                &format!("SELECT {COLUMNS} FROM calls WHERE call_sid = ?"),
                vec![text(call_sid)],
            )?
            .to_array()?;
        let Some(row) = rows.first() else {
            return Ok(Value::Null);
        };
        let events: Vec<CallEvent> = sql
            .exec(
                "SELECT seq, status, at_ms FROM events WHERE call_sid = ? ORDER BY seq",
                vec![text(call_sid)],
            )?
            .to_array()?;
        to_json(&CallDetail {
            record: row.shown(),
            events,
        })
    }

    fn debugger_list(&self, q: &ListQuery) -> Result<Value> {
        let sql = self.state.storage().sql();
        let mut args = Vec::new();
        let filter = match &q.cursor {
            Some(c) => {
                args.extend(after(c)?);
                "WHERE (at_ms, sid) < (?, ?)"
            }
            None => "",
        };
        args.push(one_past(q.limit));
        let events: Vec<DebuggerEventShown> = sql
            .exec(
                &format!("SELECT sid, level, code, resource, more_info, at_ms FROM debugger {filter} ORDER BY at_ms DESC, sid DESC LIMIT ?"),
                args,
            )?
            .to_array()?;
        let by_code: Vec<CodeCount> = sql
            .exec("SELECT code, count(*) AS count FROM debugger GROUP BY code ORDER BY count DESC, code", None)?
            .to_array()?;
        let (events, next_cursor) = paged(events, q.limit, |e| (e.at_ms, e.sid.clone()));
        to_json(&DebuggerPage {
            events,
            by_code,
            next_cursor,
        })
    }
}

/// What the watch remembers between runs, as JSON under a name.
fn get_meta<T: DeserializeOwned>(sql: &SqlStorage, k: &str) -> Result<Option<T>> {
    #[derive(Deserialize)]
    struct Meta {
        v: String,
    }
    let rows: Vec<Meta> = sql
        .exec("SELECT v FROM meta WHERE k = ?", vec![text(k)])?
        .to_array()?;
    rows.first()
        .map(|m| serde_json::from_str(&m.v).map_err(|e| worker::Error::RustError(e.to_string())))
        .transpose()
}

fn set_meta<T: Serialize>(sql: &SqlStorage, k: &str, v: &T) -> Result<()> {
    let v = serde_json::to_string(v).map_err(|e| worker::Error::RustError(e.to_string()))?;
    sql.exec(
        "INSERT INTO meta (k, v) VALUES (?, ?) ON CONFLICT (k) DO UPDATE SET v = excluded.v",
        vec![text(k), text(&v)],
    )?;
    Ok(())
}

/// One window's samples: the account's, and each placing number's.
struct Samples {
    account: Sample,
    numbers: BTreeMap<String, Sample>,
}

impl Samples {
    /// The sample of a query's `scope` column: `''` is the account's. A
    /// number that placed no ended call has none (an inbound-only line is
    /// not judged).
    fn at(&mut self, scope: &str) -> Option<&mut Sample> {
        if scope.is_empty() {
            Some(&mut self.account)
        } else {
            self.numbers.get_mut(scope)
        }
    }
}

/// One window judged: its name, the account's health, each placing number's.
type Judged = (&'static str, Health, Vec<(String, Health)>);

/// A count per scope (a placing number, or `''` for the account).
#[derive(Deserialize)]
struct Counted {
    scope: String,
    calls: i64,
    answered: i64,
    talk: i64,
    s12: i64,
    s6: i64,
}

#[derive(Deserialize)]
struct Keyed {
    scope: String,
    key: String,
    n: i64,
}

#[derive(Deserialize)]
struct Ranked {
    scope: String,
    q: i64,
    rn: i64,
    n: i64,
}

impl CallLog {
    /// Counts one window into samples, in SQL next to the data: a handful
    /// of grouped scans whatever the number of calls, never the rows
    /// themselves. Each query runs twice, grouped by placing number and
    /// over the whole account, so the account's figures are counted, not
    /// summed from the numbers' (its top destination and percentiles are
    /// not sums).
    fn samples(&self, since_ms: u64) -> Result<Samples> {
        let sql = self.state.storage().sql();
        let since = || vec![int(since_ms)];
        let mut account = Sample::default();
        let mut numbers: BTreeMap<String, Sample> = BTreeMap::new();
        // `scope` is the placing number, or '' for the account as a whole.
        for (scope, group) in [("from_n", "GROUP BY from_n"), ("''", "")] {
            let counted: Vec<Counted> = sql
                .exec(
                    &format!(
                        "SELECT {scope} AS scope, count(*) AS calls,
                           coalesce(sum({ANSWERED}), 0) AS answered,
                           coalesce(sum(CASE WHEN {ANSWERED} THEN duration END), 0) AS talk,
                           coalesce(sum({ANSWERED} AND duration <= 12), 0) AS s12,
                           coalesce(sum({ANSWERED} AND duration <= 6), 0) AS s6
                         FROM calls WHERE first_ms >= ? AND {ENDED} {group}"
                    ),
                    since(),
                )?
                .to_array()?;
            for c in counted.into_iter().filter(|c| c.calls > 0) {
                let s = Sample {
                    calls: c.calls as u64,
                    answered: c.answered as u64,
                    talk_secs: c.talk as u64,
                    short_12: c.s12 as u64,
                    short_6: c.s6 as u64,
                    ..Sample::default()
                };
                if group.is_empty() {
                    account = s;
                } else {
                    numbers.insert(c.scope, s);
                }
            }
        }
        let mut samples = Samples { account, numbers };
        for group in ["from_n, ", ""] {
            let scope = if group.is_empty() { "''" } else { "from_n" };
            let failed: Vec<Keyed> = sql
                .exec(
                    &format!(
                        "SELECT {scope} AS scope, CAST(coalesce(sip_code, 0) AS TEXT) AS key, count(*) AS n
                         FROM calls WHERE first_ms >= ? AND {ENDED} AND NOT {ANSWERED}
                         GROUP BY {group}key"
                    ),
                    since(),
                )?
                .to_array()?;
            for k in failed {
                if let Some(s) = samples.at(&k.scope) {
                    s.failed_by_sip
                        .push((k.key.parse().unwrap_or(0), k.n as u64));
                }
            }
            // The most-called destination per scope: the first of each
            // partition by count, then destination (a tie picks the same one
            // every time).
            let partition = if group.is_empty() {
                ""
            } else {
                "PARTITION BY from_n"
            };
            let top: Vec<Keyed> = sql
                .exec(
                    &format!(
                        "SELECT scope, key, n FROM (
                           SELECT {scope} AS scope, to_n AS key, count(*) AS n,
                             row_number() OVER ({partition} ORDER BY count(*) DESC, to_n) AS rn
                           FROM calls WHERE first_ms >= ? AND {ENDED} GROUP BY {group}to_n)
                         WHERE rn = 1"
                    ),
                    since(),
                )?
                .to_array()?;
            for k in top {
                if let Some(s) = samples.at(&k.scope) {
                    s.top_destination = Some((k.key, k.n as u64));
                }
            }
            // Inbound calls' attestation, by the number they came in on.
            let to_scope = if group.is_empty() { "''" } else { "to_n" };
            let to_group = if group.is_empty() { "" } else { "to_n, " };
            let attested: Vec<Keyed> = sql
                .exec(
                    &format!(
                        "SELECT {to_scope} AS scope, coalesce(stir, '') AS key, count(*) AS n
                         FROM calls WHERE first_ms >= ? AND feature = 'inbound'
                         GROUP BY {to_group}key"
                    ),
                    since(),
                )?
                .to_array()?;
            for k in attested {
                if let Some(s) = samples.at(&k.scope) {
                    s.attestation.push((k.key, k.n as u64));
                }
            }
            // QueueTime p50 and p95 by nearest rank (`health::rank`): only
            // the two rows of those ranks leave SQLite.
            let ranked: Vec<Ranked> = sql
                .exec(
                    &format!(
                        "SELECT scope, q, rn, n FROM (
                           SELECT {scope} AS scope, queue_ms AS q,
                             row_number() OVER ({partition} ORDER BY queue_ms) AS rn,
                             count(*) OVER ({partition}) AS n
                           FROM calls WHERE first_ms >= ? AND feature <> 'inbound' AND queue_ms IS NOT NULL)
                         WHERE rn = max(1, (50 * n + 99) / 100) OR rn = max(1, (95 * n + 99) / 100)"
                    ),
                    since(),
                )?
                .to_array()?;
            for r in ranked {
                if let Some(s) = samples.at(&r.scope) {
                    let (rn, n) = (r.rn as u64, r.n as u64);
                    if rn == rank(50, n) {
                        s.queue_p50_ms = Some(r.q as u64);
                    }
                    if rn == rank(95, n) {
                        s.queue_p95_ms = Some(r.q as u64);
                    }
                }
            }
        }
        Ok(samples)
    }

    /// Both windows, judged.
    fn judged(&self, now_ms: u64, t: &Thresholds) -> Result<Vec<Judged>> {
        WINDOWS
            .iter()
            .map(|(name, span)| {
                let s = self.samples(now_ms.saturating_sub(*span))?;
                let numbers = s
                    .numbers
                    .iter()
                    .map(|(n, sample)| (n.clone(), evaluate(sample, t)))
                    .collect();
                Ok((*name, evaluate(&s.account, t), numbers))
            })
            .collect()
    }

    fn health(&self, q: &HealthQuery) -> Result<Value> {
        let windows = self
            .judged(q.now_ms, &q.thresholds)?
            .into_iter()
            .map(|(window, account, numbers)| HealthWindow {
                window: window.to_string(),
                account,
                numbers: numbers
                    .into_iter()
                    .map(|(number, health)| NumberHealth { number, health })
                    .collect(),
            })
            .collect();
        to_json(&HealthReport {
            now_ms: q.now_ms,
            thresholds: q.thresholds,
            windows,
        })
    }

    /// One point per UTC day: one grouped scan, as [`Self::samples`]
    /// counts a window.
    fn trend(&self, q: &TrendQuery) -> Result<Value> {
        let (filter, mut args) = match &q.number {
            Some(n) => (" AND from_n = ?", vec![text(n)]),
            None => ("", vec![]),
        };
        args.insert(0, int(q.from_ms()));
        #[derive(Deserialize)]
        struct Counted {
            day: i64,
            calls: i64,
            answered: i64,
            talk_secs: i64,
            short_12: i64,
        }
        let counted: Vec<Counted> = self
            .state
            .storage()
            .sql()
            .exec(
                &format!(
                    "SELECT first_ms / 86400000 AS day, count(*) AS calls,
                       coalesce(sum({ANSWERED}), 0) AS answered,
                       coalesce(sum(CASE WHEN {ANSWERED} THEN duration END), 0) AS talk_secs,
                       coalesce(sum({ANSWERED} AND duration <= 12), 0) AS short_12
                     FROM calls WHERE first_ms >= ? AND {ENDED}{filter} GROUP BY day"
                ),
                args,
            )?
            .to_array()?;
        let counts: Vec<DayCount> = counted
            .into_iter()
            .map(|c| DayCount {
                day: c.day as u64,
                calls: c.calls as u64,
                answered: c.answered as u64,
                talk_secs: c.talk_secs as u64,
                short_12: c.short_12 as u64,
            })
            .collect();
        to_json(&HealthDays {
            days: trend::days(q, &counts),
        })
    }

    /// Calls and minutes over the span, by direction and feature. Minutes
    /// are per call, rounded up, the way Twilio bills a leg.
    fn usage(&self, q: &UsageQuery) -> Result<Value> {
        let rows: Vec<UsageRow> = self
            .state
            .storage()
            .sql()
            .exec(
                "SELECT direction, feature, count(*) AS calls,
                   coalesce(sum(duration), 0) AS seconds,
                   coalesce(sum((duration + 59) / 60), 0) AS minutes
                 FROM calls WHERE first_ms >= ? AND first_ms < ?
                 GROUP BY direction, feature ORDER BY direction, feature",
                vec![int(q.from_ms), int(q.to_ms)],
            )?
            .to_array()?;
        let total = |f: fn(&UsageRow) -> i64| rows.iter().map(f).sum::<i64>();
        to_json(&UsageTotals {
            from_ms: q.from_ms,
            to_ms: q.to_ms,
            calls: total(|u| u.calls),
            minutes: total(|u| u.minutes),
            seconds: total(|u| u.seconds),
            by_direction_and_feature: rows,
        })
    }

    /// One scheduled run (`WatchRun`): prune, judge, compare with what the
    /// last run left, keep the alerts, and hand out every undelivered one
    /// under a lease. All in one call to the object, so two runs that
    /// overlap are serialised here and cannot raise the same alert twice.
    fn watch(&self, run: &WatchRun) -> Result<Value> {
        let sql = self.state.storage().sql();
        let cutoff = run.now_ms.saturating_sub(run.retention_ms);
        let pruned_calls = {
            sql.exec(
                "DELETE FROM events WHERE call_sid IN (SELECT call_sid FROM calls WHERE first_ms < ?)",
                vec![int(cutoff)],
            )?;
            sql.exec("DELETE FROM calls WHERE first_ms < ?", vec![int(cutoff)])?
                .rows_written()
        };
        let pruned_debugger = sql
            .exec("DELETE FROM debugger WHERE at_ms < ?", vec![int(cutoff)])?
            .rows_written();
        sql.exec(
            "DELETE FROM alerts WHERE at_ms < ? AND delivered_ms IS NOT NULL",
            vec![int(cutoff)],
        )?;

        let mut now = Vec::new();
        for (window, account, numbers) in self.judged(run.now_ms, &run.thresholds)? {
            let watched = |scope: String| Watched {
                scope,
                window: window.to_string(),
            };
            now.push((watched("account".into()), account));
            now.extend(numbers.into_iter().map(|(n, h)| (watched(n), h)));
        }
        let before: BTreeSet<Watched> = get_meta(&sql, "breach")?.unwrap_or_default();
        let (mut alerts, after) = transitions(&before, &now);
        set_meta(&sql, "breach", &after)?;

        #[derive(Deserialize)]
        struct Count {
            code: String,
            n: i64,
        }
        let counts: Vec<(String, u64)> = sql
            .exec(
                "SELECT code, count(*) AS n FROM debugger GROUP BY code",
                None,
            )?
            .to_array::<Count>()?
            .into_iter()
            .map(|c| (c.code, c.n as u64))
            .collect();
        let mut known: BTreeSet<String> = get_meta(&sql, "codes")?.unwrap_or_default();
        let new = new_error_codes(&known, &counts);
        for a in &new {
            if let Alert::NewErrorCode { code, .. } = a {
                known.insert(code.clone());
            }
        }
        alerts.extend(new);
        set_meta(&sql, "codes", &known)?;

        let low_before: BTreeSet<String> = get_meta(&sql, "pools_low")?.unwrap_or_default();
        let (pool_alerts, low_after) = pool_transitions(&low_before, &run.pools);
        alerts.extend(pool_alerts);
        set_meta(&sql, "pools_low", &low_after)?;

        for alert in &alerts {
            let body = serde_json::to_string(alert)
                .map_err(|e| worker::Error::RustError(e.to_string()))?;
            sql.exec(
                "INSERT INTO alerts (at_ms, body) VALUES (?, ?)",
                vec![int(run.now_ms), text(&body)],
            )?;
        }

        #[derive(Deserialize)]
        struct Due {
            id: i64,
            at_ms: i64,
            body: String,
        }
        let due: Vec<Due> = sql
            .exec(
                "SELECT id, at_ms, body FROM alerts
                 WHERE delivered_ms IS NULL AND (leased_ms IS NULL OR leased_ms < ?)
                 ORDER BY id LIMIT 100",
                vec![int(run.now_ms)],
            )?
            .to_array()?;
        for d in &due {
            sql.exec(
                "UPDATE alerts SET leased_ms = ? WHERE id = ?",
                vec![int(run.now_ms + LEASE_MS), SqlStorageValue::Integer(d.id)],
            )?;
        }
        let due: Vec<Value> = due.iter().map(|d| raised(d.id, d.at_ms, &d.body)).collect();
        Ok(json!({
            "raised": alerts.len(),
            "due": due,
            "pruned": { "calls": pruned_calls, "debugger_events": pruned_debugger },
        }))
    }

    /// The lease only guards against two runs sending at once: an alert
    /// that failed is released at once, so the next run tries it again.
    fn settled(&self, delivered: &[u64], failed: &[u64], now_ms: u64) -> Result<Value> {
        let sql = self.state.storage().sql();
        let mut marked = 0;
        for id in delivered {
            marked += sql
                .exec(
                    "UPDATE alerts SET delivered_ms = ?, leased_ms = NULL WHERE id = ? AND delivered_ms IS NULL",
                    vec![int(now_ms), int(*id)],
                )?
                .rows_written();
        }
        for id in failed {
            sql.exec(
                "UPDATE alerts SET leased_ms = NULL WHERE id = ? AND delivered_ms IS NULL",
                vec![int(*id)],
            )?;
        }
        Ok(json!({ "delivered": marked }))
    }

    /// The alerts raised, newest first, a page at a time.
    fn alerts(&self, q: &ListQuery) -> Result<Value> {
        #[derive(Deserialize)]
        struct Raised {
            id: i64,
            at_ms: i64,
            body: String,
            delivered_ms: Option<i64>,
        }
        let mut args = Vec::new();
        let filter = match &q.cursor {
            Some(c) => {
                let (at, id) = parse_cursor(c)
                    .and_then(|(at, id)| Some((at, id.parse::<i64>().ok()?)))
                    .ok_or_else(|| worker::Error::RustError("bad cursor".into()))?;
                args.extend([int(at), SqlStorageValue::Integer(id)]);
                "WHERE (at_ms, id) < (?, ?)"
            }
            None => "",
        };
        args.push(one_past(q.limit));
        let rows: Vec<Raised> = self
            .state
            .storage()
            .sql()
            .exec(
                &format!("SELECT id, at_ms, body, delivered_ms FROM alerts {filter} ORDER BY at_ms DESC, id DESC LIMIT ?"),
                args,
            )?
            .to_array()?;
        let (rows, next_cursor) = paged(rows, q.limit, |r| (r.at_ms, r.id.to_string()));
        // An alert whose stored body no longer reads (written by an older
        // version) is left out rather than failing the page.
        let alerts = rows
            .iter()
            .filter_map(|r| {
                Some(RaisedAlert {
                    id: r.id,
                    at_ms: r.at_ms,
                    alert: serde_json::from_str(&r.body).ok()?,
                    delivered_ms: r.delivered_ms,
                })
            })
            .collect();
        to_json(&AlertPage {
            alerts,
            next_cursor,
        })
    }
}

/// The watch's visit runs in this object (`LogOp::RunWatch`) and takes the
/// log's own steps by calling them, not by asking.
impl LogSteps for CallLog {
    fn step<T: DeserializeOwned>(&self, op: LogOp) -> std::result::Result<T, String> {
        let reply = self.apply(op).map_err(|e| e.to_string())?;
        serde_json::from_value(reply).map_err(|e| e.to_string())
    }

    fn meta<T: DeserializeOwned>(&self, k: &str) -> std::result::Result<Option<T>, String> {
        get_meta(&self.state.storage().sql(), k).map_err(|e| e.to_string())
    }

    fn set_meta<T: Serialize>(&self, k: &str, v: &T) -> std::result::Result<(), String> {
        set_meta(&self.state.storage().sql(), k, v).map_err(|e| e.to_string())
    }
}
