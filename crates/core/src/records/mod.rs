//! Call records: what happened to each call after we answered it, and the
//! traffic health computed from them. Pure: the store (the account's
//! `CallLog` object) and the clock are the edge's.

pub mod alerts;
pub mod health;
pub mod status;
pub mod trend;
pub mod watch;

use crate::dates;
use crate::records::health::Thresholds;
use crate::records::status::StatusEvent;
use crate::records::trend::TrendQuery;
use crate::records::watch::PoolLevel;
use serde::{Deserialize, Serialize};

/// A call's id as its carrier gives it, which keys its record: Twilio's
/// CallSid (`CA` and letters and digits: 32 hex digits from Twilio, and
/// the API has always taken up to 62) or MessageBird's `callID` (a UUID,
/// lower-case hex). Anything else names no call we could have recorded,
/// so it is never looked up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallId(String);

impl CallId {
    /// Either carrier's: what the API looks up.
    pub fn parse(id: &str) -> Option<CallId> {
        let b = id.as_bytes();
        let twilio = (3..=64).contains(&b.len())
            && b.starts_with(b"CA")
            && b.iter().all(u8::is_ascii_alphanumeric);
        (twilio || uuid(b)).then(|| CallId(id.to_string()))
    }

    /// MessageBird's only: what its call-flow request may key a record
    /// with, so that it can never name a Twilio call's.
    pub fn messagebird(id: &str) -> Option<CallId> {
        uuid(id.as_bytes()).then(|| CallId(id.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// 8-4-4-4-12 lower-case hex, as MessageBird writes a call's id.
fn uuid(b: &[u8]) -> bool {
    b.len() == 36
        && b.iter().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => *c == b'-',
            _ => c.is_ascii_digit() || (b'a'..=b'f').contains(c),
        })
}

/// What we decided for an inbound call, written when we answer it: the
/// record's first line, before any status arrives.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decided {
    pub call_sid: String,
    pub from: String,
    pub to: String,
    /// The webhook that decided (`incoming`, `proxy`, `outbound`, `fallback`).
    pub route: String,
    /// The outcome's kind (`connect`, `challenge`, `reject`, …).
    pub outcome: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The inbound call's SHAKEN/STIR verdict (`StirVerstat`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stir: Option<String>,
    pub at_ms: u64,
}

/// One event of Twilio's Debugger webhook: an error or warning on the
/// account (a subaccount's are signed with its own token).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DebuggerEvent {
    pub sid: String,
    pub level: String,
    pub error_code: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_sid: Option<String>,
    pub more_info: String,
    pub at_ms: u64,
}

impl DebuggerEvent {
    /// Reads the webhook's form: `Sid`, `Level`, `Timestamp` and the JSON
    /// `Payload` that names the error code and the resource.
    pub fn read(params: &crate::form::Params, now_ms: u64) -> Result<DebuggerEvent, String> {
        let sid = params
            .get("Sid")
            .filter(|s| !s.is_empty())
            .ok_or("debugger event without Sid")?;
        let payload: serde_json::Value = match params.get("Payload") {
            Some(p) if !p.is_empty() => {
                serde_json::from_str(p).map_err(|_| "debugger Payload is not JSON".to_string())?
            }
            _ => serde_json::Value::Null,
        };
        let code = match &payload["error_code"] {
            serde_json::Value::String(s) => s.clone(),
            serde_json::Value::Number(n) => n.to_string(),
            _ => String::new(),
        };
        if code.is_empty() || !code.bytes().all(|b| b.is_ascii_digit()) || code.len() > 6 {
            return Err("debugger Payload without a numeric error_code".into());
        }
        let at_ms = match params.get("Timestamp").filter(|t| !t.is_empty()) {
            // The Debugger writes ISO 8601 (`2026-11-21T22:00:05Z`) or RFC 2822.
            Some(t) => dates::iso8601_ms(t)
                .or_else(|| dates::rfc2822_ms(t))
                .ok_or("debugger Timestamp unreadable")?,
            None => now_ms,
        };
        Ok(DebuggerEvent {
            sid: sid.to_string(),
            level: params.get("Level").unwrap_or("").to_string(),
            more_info: format!("https://www.twilio.com/docs/errors/{code}"),
            error_code: code,
            resource_sid: payload["resource_sid"].as_str().map(str::to_string),
            at_ms,
        })
    }
}

/// A page of newest-first results: what to filter on, and where the last
/// page ended (`cursor`, as the previous page returned it).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
    /// Either party.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub number: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub since_ms: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cursor: Option<String>,
    pub limit: u32,
}

/// Where a page ended: the last row's time and id, so the next page starts
/// strictly after it (no gap, no repeat, even when rows share a time).
pub fn cursor(at_ms: u64, id: &str) -> String {
    format!("{at_ms}.{id}")
}

/// A cursor's id is a call's (`CallId`'s characters: MessageBird's have
/// dashes) or a Debugger event's Sid.
pub fn parse_cursor(c: &str) -> Option<(u64, &str)> {
    let (at, id) = c.split_once('.')?;
    let ok = !id.is_empty() && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
    Some((at.parse().ok()?, id)).filter(|_| ok)
}

/// The call log's answer to a write: `stored` is false for a report it
/// already had (the same status event, the same Debugger Sid), which
/// changed nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stored {
    pub stored: bool,
}

/// The windows traffic health is judged over, by name, in ms.
pub const WINDOWS: [(&str, u64); 2] = [("24h", 86_400_000), ("7d", 7 * 86_400_000)];

/// The account's health now, by the account's lines.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HealthQuery {
    pub now_ms: u64,
    pub thresholds: Thresholds,
}

/// Usage over [from, to): a month, for billing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct UsageQuery {
    pub from_ms: u64,
    pub to_ms: u64,
}

/// One scheduled run for the account: prune what is past retention, judge
/// health, note new Debugger codes and pool levels, and hand back every
/// alert not yet delivered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WatchRun {
    pub now_ms: u64,
    pub thresholds: Thresholds,
    pub retention_ms: u64,
    /// Every pool of the account, as its allocator reported it this run.
    pub pools: Vec<PoolLevel>,
}

/// What the calls worker writes to an account's call log: the writes of
/// [`LogOp`] alone, in the same JSON (`{"op": "status", …}`), which the log
/// reads as a `LogOp`. Its own type so that the call path's wasm carries
/// the serializers of these four, not of every query the API makes.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum LogWrite {
    Decided(Decided),
    Status(StatusEvent),
    Debugger(DebuggerEvent),
    Queued {
        call_sid: String,
        queue_time_ms: u64,
    },
}

/// What the account's call log is asked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum LogOp {
    Decided(Decided),
    Status(StatusEvent),
    Debugger(DebuggerEvent),
    List(ListQuery),
    Get {
        call_sid: String,
    },
    DebuggerList(ListQuery),
    /// A REST-created call's `QueueTime`, read from its Call resource when
    /// the final callback did not carry it.
    Queued {
        call_sid: String,
        queue_time_ms: u64,
    },
    Health(HealthQuery),
    /// One point per UTC day, for charts.
    Trend(TrendQuery),
    Usage(UsageQuery),
    Watch(WatchRun),
    /// What became of the alerts a run was handed: `delivered` went out (or
    /// had nowhere to go) and are never handed out again; `failed` are due
    /// again on the next run.
    Settled {
        delivered: Vec<u64>,
        failed: Vec<u64>,
        now_ms: u64,
    },
    /// The alerts raised, newest first.
    Alerts(ListQuery),
    /// The scheduled watch's visit to this account, run inside the
    /// account's own object: each account's visit is its own invocation,
    /// with its own limits, so one account's pools, alerts and waiting
    /// voicemail notices never spend another's share of a run.
    RunWatch {
        now_ms: u64,
    },
}

#[cfg(test)]
mod tests {
    // The same tests run compiled to wasm, under Node (scripts/test.sh).
    use super::*;
    use crate::form::Params;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn a_debugger_event_reads_its_code_and_resource() {
        let p = Params::from_pairs([
            ("Sid", "NO1"),
            ("Level", "ERROR"),
            ("Timestamp", "2026-11-21T22:00:05.123Z"),
            (
                "Payload",
                r#"{"resource_sid":"CA1","error_code":"11200","more_info":{}}"#,
            ),
        ]);
        let e = DebuggerEvent::read(&p, 0).unwrap();
        assert_eq!(e.error_code, "11200");
        assert_eq!(e.resource_sid.as_deref(), Some("CA1"));
        assert_eq!(
            e.at_ms,
            dates::rfc2822_ms("21 Nov 2026 22:00:05 +0000").unwrap()
        );
        assert_eq!(e.more_info, "https://www.twilio.com/docs/errors/11200");
        let bad = Params::from_pairs([("Sid", "NO1"), ("Payload", r#"{"error_code":"<x>"}"#)]);
        assert!(DebuggerEvent::read(&bad, 0).is_err());
        assert!(DebuggerEvent::read(&Params::default(), 0).is_err());
    }

    #[test]
    fn every_write_reads_back_as_the_same_op() {
        let decided = Decided {
            call_sid: "CA1".into(),
            from: "+14155550101".into(),
            to: "+14155550199".into(),
            route: "voice/incoming".into(),
            outcome: "connect".into(),
            reason: Some("address_book".into()),
            stir: None,
            at_ms: 5,
        };
        let status = StatusEvent::read(
            &Params::from_pairs([
                ("CallSid", "CA2"),
                ("CallStatus", "completed"),
                ("leg", "api_call"),
            ]),
            7,
        )
        .unwrap();
        let debugger = DebuggerEvent::read(
            &Params::from_pairs([("Sid", "NO1"), ("Payload", r#"{"error_code":"11200"}"#)]),
            9,
        )
        .unwrap();
        let read = |w: &LogWrite| -> LogOp {
            serde_json::from_str(&serde_json::to_string(w).unwrap()).unwrap()
        };
        assert_eq!(
            read(&LogWrite::Decided(decided.clone())),
            LogOp::Decided(decided)
        );
        assert_eq!(
            read(&LogWrite::Status(status.clone())),
            LogOp::Status(status)
        );
        assert_eq!(
            read(&LogWrite::Debugger(debugger.clone())),
            LogOp::Debugger(debugger)
        );
        assert_eq!(
            read(&LogWrite::Queued {
                call_sid: "CA3".into(),
                queue_time_ms: 1234
            }),
            LogOp::Queued {
                call_sid: "CA3".into(),
                queue_time_ms: 1234
            }
        );
    }

    #[test]
    fn a_cursor_round_trips_and_refuses_anything_else() {
        assert_eq!(parse_cursor(&cursor(12, "CA1")), Some((12, "CA1")));
        assert_eq!(parse_cursor("12"), None);
        assert_eq!(parse_cursor("x.CA1"), None);
        assert_eq!(parse_cursor("12.CA1' OR 1=1"), None);
        let bird = "f1aa71c0-8f2a-4fe8-b5ef-9a330454ef58";
        assert_eq!(parse_cursor(&cursor(12, bird)), Some((12, bird)));
    }

    #[test]
    fn a_call_id_is_a_twilio_call_sid_or_a_messagebird_uuid() {
        for sid in ["CA0123456789abcdef0123456789abcdef", "CA404"] {
            assert_eq!(CallId::parse(sid).unwrap().as_str(), sid);
        }
        let bird = "f1aa71c0-8f2a-4fe8-b5ef-9a330454ef58";
        assert_eq!(CallId::parse(bird).unwrap().as_str(), bird);
        assert_eq!(CallId::messagebird(bird).unwrap().as_str(), bird);
        assert_eq!(
            CallId::messagebird("CA0123456789abcdef0123456789abcdef"),
            None
        );
        for not in [
            "",
            "CA",
            "CA0123456789abcdef0123456789abcdef-",
            "SM0123456789abcdef0123456789abcdef",
            "F1AA71C0-8F2A-4FE8-B5EF-9A330454EF58",
            "f1aa71c0-8f2a-4fe8-b5ef-9a330454ef5",
            "f1aa71c08f2a-4fe8-b5ef-9a330454ef58-",
            "f1aa71c0-8f2a-4fe8-b5ef-9a330454ef58\n",
            "c1",
        ] {
            assert_eq!(CallId::parse(not), None, "{not:?}");
        }
    }
}
