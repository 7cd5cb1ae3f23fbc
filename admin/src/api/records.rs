//! `GET …/calls[/{CallId}]`, `GET …/debugger-events` and `GET …/alerts`:
//! the account's call records, Debugger events and alerts, from its
//! `CallLog` object, newest first, a page at a time; `GET …/health` and
//! `GET …/usage`: the figures counted from them.

use super::paging::{next, page, page_with};
use super::{answer, number, ApiError, Ctx, Reply};
use crate::contract::page::PageError;
use crate::contract::records::{AlertPage, CallDetail, CallPage, DebuggerPage, Usage, UsageTotals};
use serde::de::DeserializeOwned;
use serde_json::Value;
use switchboard_core::dates;
use switchboard_core::records::status::CallStatus;
use switchboard_core::records::trend::{self, TrendQuery};
use switchboard_core::records::{CallId, HealthQuery, ListQuery, LogOp, UsageQuery};
use switchboard_edge::clock;
use switchboard_edge::objects::ask;

const CALL_LOG: &str = switchboard_edge::CALL_LOG_BINDING;

/// The latest time a filter may name (year 2286). The object reads its
/// request as JavaScript does, where integers past 2^53 lose their last
/// digits: the fuzzer's `since=1152921504606846976` came back as a float.
pub const MAX_MS: u64 = 9_999_999_999_999;

/// A filter's bad value: 422 naming it. (A number that is not one is 400,
/// as in a path.)
fn bad(field: &'static str, why: &str) -> PageError {
    PageError {
        field,
        why: format!("{field}: {why}"),
    }
}

async fn ask_log<T: DeserializeOwned>(cx: &Ctx<'_>, op: &LogOp) -> Result<T, ApiError> {
    match ask::<_, T>(cx.env, CALL_LOG, cx.account.as_str(), op)
        .await
        .map_err(ApiError::Unavailable)?
    {
        (_, Ok(v)) => Ok(v),
        (status, Err(e)) => Err(ApiError::Unavailable(format!(
            "call log answered {status}: {e}"
        ))),
    }
}

/// `GET …/calls`: every filter checked here, so the object only ever sees
/// well-formed ones.
pub async fn calls(cx: &Ctx<'_>) -> Reply {
    let mut q = ListQuery::default();
    let mut malformed = None;
    let (page, key, list) = page_with(cx, "calls", |k, v| {
        let mut e164 = |v: &str| match number(v) {
            Ok(n) => Ok(Some(n.to_string())),
            Err(e) => {
                malformed = Some(e);
                Ok(None)
            }
        };
        match k {
            "from" => q.from = e164(v)?,
            "to" => q.to = e164(v)?,
            "number" => q.number = e164(v)?,
            "status" => {
                let s =
                    CallStatus::parse(v).ok_or_else(|| bad("status", "a Twilio call status"))?;
                q.status = Some(s.as_str().to_string());
            }
            "since" => {
                q.since_ms = Some(
                    v.parse()
                        .ok()
                        .filter(|ms| *ms <= MAX_MS)
                        .ok_or_else(|| bad("since", "milliseconds since the epoch"))?,
                )
            }
            other => {
                return Err(PageError {
                    field: "",
                    why: format!("unknown query parameter {other:?}"),
                })
            }
        }
        Ok(())
    })?;
    if let Some(e) = malformed {
        return Err(e);
    }
    q.limit = page.limit;
    q.cursor = page.after;
    let mut found: CallPage = ask_log(cx, &LogOp::List(q)).await?;
    found.next_cursor = next(&key, &list, found.next_cursor);
    answer(200, &found)
}

/// `GET …/calls/{CallId}`: a Twilio CallSid or a MessageBird callID.
pub async fn call(cx: &Ctx<'_>) -> Reply {
    let Some(id) = CallId::parse(cx.param(0)) else {
        return Err(ApiError::NotFound("no such call".into()));
    };
    let op = LogOp::Get {
        call_sid: id.as_str().to_string(),
    };
    match ask_log::<Option<CallDetail>>(cx, &op).await? {
        Some(found) => answer(200, &found),
        None => Err(ApiError::NotFound("no such call".into())),
    }
}

/// Pages that filter on nothing but the cursor.
fn page_only(cx: &Ctx<'_>, list: &str) -> Result<(ListQuery, Vec<u8>, String), ApiError> {
    let (page, key, list) = page(cx, list)?;
    let q = ListQuery {
        limit: page.limit,
        cursor: page.after,
        ..ListQuery::default()
    };
    Ok((q, key, list))
}

/// `GET …/debugger-events`: the events, and their count by error code.
pub async fn debugger(cx: &Ctx<'_>) -> Reply {
    let (q, key, list) = page_only(cx, "debugger-events")?;
    let mut found: DebuggerPage = ask_log(cx, &LogOp::DebuggerList(q)).await?;
    found.next_cursor = next(&key, &list, found.next_cursor);
    answer(200, &found)
}

/// `GET …/alerts`: every alert the watch raised, and whether it went out.
pub async fn alerts(cx: &Ctx<'_>) -> Reply {
    let (q, key, list) = page_only(cx, "alerts")?;
    let mut found: AlertPage = ask_log(cx, &LogOp::Alerts(q)).await?;
    found.next_cursor = next(&key, &list, found.next_cursor);
    answer(200, &found)
}

/// `GET …/health`: the last 24 hours and 7 days, for the account and each
/// number that placed calls, judged by the account's lines.
pub async fn health(cx: &Ctx<'_>) -> Reply {
    let query = super::query_of(cx.req)?;
    if let Some((k, _)) = query.iter().next() {
        return Err(ApiError::Malformed(format!(
            "unknown query parameter {k:?}"
        )));
    }
    let settings = super::monitoring::settings(cx.kv, cx.account).await?;
    let q = HealthQuery {
        now_ms: clock::now_ms(),
        thresholds: settings.thresholds,
    };
    // The object answers `contract::records::HealthReport`.
    Ok((200, ask_log::<Value>(cx, &LogOp::Health(q)).await?))
}

/// `GET …/health/days?days=&number=`: the account's (or one placing
/// number's) figures a UTC day at a time, oldest first.
pub async fn trend(cx: &Ctx<'_>) -> Reply {
    let query = super::query_of(cx.req)?;
    let mut q = TrendQuery {
        now_ms: clock::now_ms(),
        days: 14,
        number: None,
    };
    for (k, v) in query.iter() {
        match k {
            "days" => {
                q.days = v
                    .parse()
                    .ok()
                    .filter(|n| (1..=trend::MAX_DAYS).contains(n))
                    .ok_or_else(|| {
                        ApiError::invalid("days", format!("days: 1 to {}", trend::MAX_DAYS))
                    })?
            }
            "number" => q.number = Some(number(v)?.to_string()),
            other => {
                return Err(ApiError::Malformed(format!(
                    "unknown query parameter {other:?}"
                )))
            }
        }
    }
    // The object answers `contract::records::HealthDays`.
    Ok((200, ask_log::<Value>(cx, &LogOp::Trend(q)).await?))
}

/// `GET …/usage?month=YYYY-MM` (UTC; this month when left out).
pub async fn usage(cx: &Ctx<'_>) -> Reply {
    let query = super::query_of(cx.req)?;
    let mut month = None;
    for (k, v) in query.iter() {
        match k {
            "month" => month = Some(v.to_string()),
            other => {
                return Err(ApiError::Malformed(format!(
                    "unknown query parameter {other:?}"
                )))
            }
        }
    }
    let month = month.unwrap_or_else(|| dates::month_of(clock::now_ms()));
    let (from_ms, to_ms) = dates::month_range(&month)
        .ok_or_else(|| ApiError::invalid("month", "month: YYYY-MM, as 2026-11"))?;
    let totals: UsageTotals = ask_log(cx, &LogOp::Usage(UsageQuery { from_ms, to_ms })).await?;
    answer(200, &Usage { month, totals })
}
