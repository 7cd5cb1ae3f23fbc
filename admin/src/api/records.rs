//! `GET …/calls[/{CallSid}]`, `GET …/debugger-events` and `GET …/alerts`:
//! the account's call records, Debugger events and alerts, from its
//! `CallLog` object, newest first, a page at a time (`?cursor=` from the
//! previous page's `next_cursor`); `GET …/health` and `GET …/usage`: the
//! figures counted from them; `GET …/health/days`: those figures a day at
//! a time.

use super::{number, ApiError, Ctx, Reply};
use serde_json::Value;
use switchboard_core::dates;
use switchboard_core::records::status::CallStatus;
use switchboard_core::records::trend::{self, TrendQuery};
use switchboard_core::records::{parse_cursor, HealthQuery, ListQuery, LogOp, UsageQuery};
use switchboard_edge::clock;
use switchboard_edge::objects::ask;

const CALL_LOG: &str = crate::call_log::BINDING;
const DEFAULT_PAGE: u32 = 50;
const MAX_PAGE: u32 = 200;

/// The page asked for in the query string; every filter checked here, so
/// the object only ever sees well-formed ones.
fn query(cx: &Ctx<'_>) -> Result<ListQuery, ApiError> {
    let url = url_of(cx)?;
    let mut q = ListQuery {
        limit: DEFAULT_PAGE,
        ..ListQuery::default()
    };
    for (k, v) in url.query_pairs() {
        let e164 = |v: &str| number(v).map(|n| Some(n.to_string()));
        match k.as_ref() {
            "from" => q.from = e164(&v)?,
            "to" => q.to = e164(&v)?,
            "number" => q.number = e164(&v)?,
            "status" => {
                let s = CallStatus::parse(&v)
                    .ok_or_else(|| ApiError::invalid("status", "status: a Twilio call status"))?;
                q.status = Some(s.as_str().to_string());
            }
            "since" => {
                q.since_ms = Some(v.parse().map_err(|_| {
                    ApiError::invalid("since", "since: milliseconds since the epoch")
                })?)
            }
            "cursor" => {
                if parse_cursor(&v).is_none() {
                    return Err(ApiError::invalid(
                        "cursor",
                        "cursor: as next_cursor gave it",
                    ));
                }
                q.cursor = Some(v.into_owned());
            }
            "limit" => {
                q.limit = v
                    .parse()
                    .ok()
                    .filter(|n| (1..=MAX_PAGE).contains(n))
                    .ok_or_else(|| ApiError::invalid("limit", "limit: 1 to 200"))?
            }
            other => {
                return Err(ApiError::Malformed(format!(
                    "unknown query parameter {other:?}"
                )))
            }
        }
    }
    Ok(q)
}

fn url_of(cx: &Ctx<'_>) -> Result<worker::Url, ApiError> {
    cx.req
        .url()
        .map_err(|_| ApiError::Malformed("unreadable URL".into()))
}

async fn ask_log(cx: &Ctx<'_>, op: &LogOp) -> Reply {
    match ask::<_, Value>(cx.env, CALL_LOG, cx.account.as_str(), op)
        .await
        .map_err(ApiError::Unavailable)?
    {
        (_, Ok(v)) => Ok((200, v)),
        (status, Err(e)) => Err(ApiError::Unavailable(format!(
            "call log answered {status}: {e}"
        ))),
    }
}

/// `GET …/calls` and `GET …/calls/{CallSid}`.
pub async fn calls(cx: &Ctx<'_>, rest: &[&str]) -> Reply {
    match rest {
        [] => ask_log(cx, &LogOp::List(query(cx)?)).await,
        [sid]
            if sid.starts_with("CA")
                && sid.len() <= 64
                && sid.bytes().all(|b| b.is_ascii_alphanumeric()) =>
        {
            match ask_log(
                cx,
                &LogOp::Get {
                    call_sid: sid.to_string(),
                },
            )
            .await?
            {
                (_, Value::Null) => Err(ApiError::NotFound("no such call".into())),
                found => Ok(found),
            }
        }
        [_] => Err(ApiError::NotFound("no such call".into())),
        _ => Err(ApiError::NoRoute),
    }
}

/// `GET …/debugger-events`: the events, and their count by error code.
pub async fn debugger(cx: &Ctx<'_>) -> Reply {
    ask_log(cx, &LogOp::DebuggerList(page_only(cx, "debugger events")?)).await
}

/// Pages that filter on nothing but the cursor.
fn page_only(cx: &Ctx<'_>, what: &str) -> Result<ListQuery, ApiError> {
    let q = query(cx)?;
    if q.from.is_some()
        || q.to.is_some()
        || q.number.is_some()
        || q.status.is_some()
        || q.since_ms.is_some()
    {
        return Err(ApiError::Malformed(format!(
            "{what} filter by cursor and limit only"
        )));
    }
    Ok(q)
}

/// `GET …/alerts`: every alert the watch raised, and whether it went out.
pub async fn alerts(cx: &Ctx<'_>) -> Reply {
    ask_log(cx, &LogOp::Alerts(page_only(cx, "alerts")?)).await
}

/// `GET …/health`: the last 24 hours and 7 days, for the account and each
/// number that placed calls, judged by the account's lines.
pub async fn health(cx: &Ctx<'_>) -> Reply {
    let url = url_of(cx)?;
    if let Some((k, _)) = url.query_pairs().next() {
        return Err(ApiError::Malformed(format!(
            "unknown query parameter {k:?}"
        )));
    }
    let settings = super::monitoring::settings(cx.kv, cx.account).await?;
    let q = HealthQuery {
        now_ms: clock::now_ms(),
        thresholds: settings.thresholds,
    };
    ask_log(cx, &LogOp::Health(q)).await
}

/// `GET …/health/days?days=14[&number=+1…]`: one point per UTC day
/// (ASR, ACD, short-call share), oldest first, for charts; the account's
/// calls, or one placing number's.
pub async fn trend(cx: &Ctx<'_>) -> Reply {
    let url = url_of(cx)?;
    let mut q = TrendQuery {
        now_ms: clock::now_ms(),
        days: 14,
        number: None,
    };
    for (k, v) in url.query_pairs() {
        match k.as_ref() {
            "days" => {
                q.days = v
                    .parse()
                    .ok()
                    .filter(|n| (1..=trend::MAX_DAYS).contains(n))
                    .ok_or_else(|| {
                        ApiError::invalid("days", format!("days: 1 to {}", trend::MAX_DAYS))
                    })?
            }
            "number" => q.number = Some(number(&v)?.to_string()),
            other => {
                return Err(ApiError::Malformed(format!(
                    "unknown query parameter {other:?}"
                )))
            }
        }
    }
    ask_log(cx, &LogOp::Trend(q)).await
}

/// `GET …/usage?month=YYYY-MM` (UTC; this month when left out).
pub async fn usage(cx: &Ctx<'_>) -> Reply {
    let url = url_of(cx)?;
    let mut month = None;
    for (k, v) in url.query_pairs() {
        match k.as_ref() {
            "month" => month = Some(v.into_owned()),
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
    let (_, mut answer) = ask_log(cx, &LogOp::Usage(UsageQuery { from_ms, to_ms })).await?;
    answer["month"] = Value::String(month);
    Ok((200, answer))
}
