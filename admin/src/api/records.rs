//! `GET …/calls[/{CallSid}]` and `GET …/debugger-events`: the account's call
//! records and Debugger events, from its `CallLog` object, newest first, a
//! page at a time (`?cursor=` from the previous page's `next_cursor`).

use super::{number, ApiError, Ctx, Reply};
use serde_json::Value;
use switchboard_core::records::status::CallStatus;
use switchboard_core::records::{parse_cursor, ListQuery, LogOp};
use switchboard_edge::objects::ask;

const CALL_LOG: &str = crate::call_log::BINDING;
const DEFAULT_PAGE: u32 = 50;
const MAX_PAGE: u32 = 200;

/// The page asked for in the query string; every filter checked here, so
/// the object only ever sees well-formed ones.
fn query(cx: &Ctx<'_>) -> Result<ListQuery, ApiError> {
    let url = cx
        .req
        .url()
        .map_err(|_| ApiError::Malformed("unreadable URL".into()))?;
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
    let q = query(cx)?;
    if q.from.is_some() || q.to.is_some() || q.number.is_some() || q.status.is_some() {
        return Err(ApiError::Malformed(
            "debugger events filter by cursor and limit only".into(),
        ));
    }
    ask_log(cx, &LogOp::DebuggerList(q)).await
}
