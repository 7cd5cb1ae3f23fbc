//! `POST …/simulate`: what would this call get? Reads the same facts as a
//! real call (`switchboard_edge::facts`), decides with the same functions,
//! and writes nothing.

use super::{json_body, number, ApiError, Ctx, Reply};
use serde::Deserialize;
use serde_json::json;
use switchboard_core::phone::Party;
use switchboard_core::render::twiml;
use switchboard_core::screening::{self, graylist::Graylist};
use switchboard_edge::facts::{context, facts, Inbound};
use switchboard_edge::store::Fresh;
use switchboard_edge::{clock, fallback};

/// The parameters of the call to try, as Twilio names them.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(non_snake_case)]
struct Simulated {
    To: String,
    From: String,
    #[serde(default)]
    Digits: Option<String>,
    #[serde(default)]
    CallSid: Option<String>,
    #[serde(default)]
    StirVerstat: Option<String>,
}

pub async fn simulate(cx: &mut Ctx<'_>) -> Reply {
    let sim: Simulated = json_body(cx.req).await?;
    let call = Inbound {
        account: cx.account.clone(),
        to: number(&sim.To)?,
        from: Party::from_carrier(&sim.From, false),
        call_sid: sim.CallSid.unwrap_or_else(|| "CAsimulated".into()),
        attested: sim.StirVerstat.as_deref() == Some("TN-Validation-Passed-A"),
    };
    let Some(facts) = facts(cx.kv, &call, Fresh::Kv)
        .await
        .map_err(ApiError::Unavailable)?
    else {
        let outcome = fallback::plan(cx.env).0.outcome();
        return Ok((
            200,
            json!({
                "line": false,
                "reason": "unknown_line",
                "outcome": outcome.kind(),
                "twiml": twiml::render(&outcome),
            }),
        ));
    };
    let ctx = context(cx.env, &facts.line, &call.call_sid, clock::now_ms())
        .map_err(ApiError::Unavailable)?;
    let decision = match sim.Digits.as_deref() {
        Some(d) => screening::decide_answer(&call.call(), &facts, &ctx, d),
        None => screening::decide_incoming(&call.call(), &facts, &ctx),
    };
    let counters = |g: &Graylist| json!({ "unanswered": g.unanswered, "failed": g.failed });
    Ok((
        200,
        json!({
            "line": true,
            "reason": decision.reason,
            "outcome": decision.outcome.kind(),
            "twiml": twiml::render(&decision.outcome),
            "graylist": counters(&facts.graylist),
            "graylist_after": decision.graylist.as_ref().map(counters),
            "open": ctx.open,
        }),
    ))
}
