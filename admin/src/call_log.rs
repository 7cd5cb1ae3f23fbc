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
//! - `debugger`: Debugger events, once by Sid.

use serde::Deserialize;
use serde_json::{json, Value};
use switchboard_core::records::status::{supersedes, StatusEvent};
use switchboard_core::records::{
    cursor, parse_cursor, DebuggerEvent, Decided, ListQuery, LogOp, Stored,
};
use switchboard_edge::objects::answer;
use worker::{
    durable_object, DurableObject, Env, Request, Response, Result, SqlStorageValue, State,
};

pub const BINDING: &str = "CALL_LOG";

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
";

#[durable_object]
pub struct CallLog {
    state: State,
}

impl DurableObject for CallLog {
    fn new(state: State, _env: Env) -> Self {
        // Every statement is idempotent: the schema is as cheap to ensure on
        // each start as to check for.
        if let Err(e) = state.storage().sql().exec(SCHEMA, None) {
            worker::console_error!("call log schema: {e}");
        }
        CallLog { state }
    }

    async fn fetch(&self, mut req: Request) -> Result<Response> {
        let op: LogOp = match req.json().await {
            Ok(op) => op,
            Err(e) => return answer(400, &json!({ "error": e.to_string() })),
        };
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

/// The cursor of the page after `rows`: only when the page is full, from its
/// last row's (time, id).
fn next_cursor<R>(rows: &[R], limit: u32, key: impl Fn(&R) -> (i64, &str)) -> Option<String> {
    let last = rows.last().filter(|_| rows.len() as u32 == limit)?;
    let (at, id) = key(last);
    Some(cursor(at as u64, id))
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
    fn shown(&self) -> Value {
        json!({
            "call_sid": self.call_sid,
            "parent_call_sid": self.parent_sid,
            "direction": self.direction,
            "from": self.from_n,
            "to": self.to_n,
            "feature": self.feature,
            "session": self.session,
            "decision": self.outcome.as_ref().map(|o| json!({
                "route": self.route, "outcome": o, "reason": self.reason,
            })),
            "stir_verstat": self.stir,
            "status": self.status,
            "started_ms": self.first_ms,
            "updated_ms": self.updated_ms,
            "duration_secs": self.duration,
            "sip_response_code": self.sip_code,
            "answered_by": self.answered_by,
            "queue_time_ms": self.queue_ms,
        })
    }
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
        }
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
        args.push(int(q.limit.into()));
        let rows: Vec<Row> = self
            .state
            .storage()
            .sql()
            .exec(
                &format!("SELECT {COLUMNS} FROM calls {filter} ORDER BY first_ms DESC, call_sid DESC LIMIT ?"),
                args,
            )?
            .to_array()?;
        let next = next_cursor(&rows, q.limit, |r| (r.first_ms, &r.call_sid));
        Ok(json!({
            "calls": rows.iter().map(Row::shown).collect::<Vec<_>>(),
            "next_cursor": next,
        }))
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
        #[derive(Deserialize, serde::Serialize)]
        struct Ev {
            seq: i64,
            status: String,
            at_ms: i64,
        }
        let events: Vec<Ev> = sql
            .exec(
                "SELECT seq, status, at_ms FROM events WHERE call_sid = ? ORDER BY seq",
                vec![text(call_sid)],
            )?
            .to_array()?;
        let mut shown = row.shown();
        shown["events"] = json!(events);
        Ok(shown)
    }

    fn debugger_list(&self, q: &ListQuery) -> Result<Value> {
        #[derive(Deserialize, serde::Serialize)]
        struct Ev {
            sid: String,
            level: String,
            code: String,
            resource: Option<String>,
            more_info: String,
            at_ms: i64,
        }
        let sql = self.state.storage().sql();
        let mut args = Vec::new();
        let filter = match &q.cursor {
            Some(c) => {
                args.extend(after(c)?);
                "WHERE (at_ms, sid) < (?, ?)"
            }
            None => "",
        };
        args.push(int(q.limit.into()));
        let events: Vec<Ev> = sql
            .exec(
                &format!("SELECT sid, level, code, resource, more_info, at_ms FROM debugger {filter} ORDER BY at_ms DESC, sid DESC LIMIT ?"),
                args,
            )?
            .to_array()?;
        #[derive(Deserialize, serde::Serialize)]
        struct Count {
            code: String,
            count: i64,
        }
        let counts: Vec<Count> = sql
            .exec("SELECT code, count(*) AS count FROM debugger GROUP BY code ORDER BY count DESC, code", None)?
            .to_array()?;
        let next = next_cursor(&events, q.limit, |e| (e.at_ms, &e.sid));
        Ok(json!({ "events": events, "by_code": counts, "next_cursor": next }))
    }
}
