//! `POST …/simulate`: what would this call get? Reads the same facts as a
//! real call (`switchboard_edge::facts`), decides with the same functions,
//! and writes nothing.

use super::{answer, json_body, number, ApiError, Ctx, Reply};
use crate::contract::screening::{Counters, SimulatedCall, Simulation};
use switchboard_core::phone::Party;
use switchboard_core::render::twiml;
use switchboard_core::screening::{self, graylist::Graylist};
use switchboard_edge::facts::{context, facts, Inbound};
use switchboard_edge::store::Fresh;
use switchboard_edge::{clock, fallback};

/// `POST …/simulate`.
pub async fn simulate(cx: &mut Ctx<'_>) -> Reply {
    let sim: SimulatedCall = json_body(cx.req).await?;
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
        return answer(
            200,
            &Simulation {
                line: false,
                reason: "unknown_line".into(),
                outcome: outcome.kind().into(),
                twiml: twiml::render(&outcome),
                graylist: None,
                graylist_after: None,
                open: None,
            },
        );
    };
    let ctx = context(cx.env, &facts.line, clock::now_ms()).map_err(ApiError::Unavailable)?;
    let decision = match sim.Digits.as_deref() {
        Some(d) => screening::decide_answer(&call.call(), &facts, &ctx, d),
        None => screening::decide_incoming(&call.call(), &facts, &ctx),
    };
    let counters = |g: &Graylist| Counters {
        unanswered: g.unanswered,
        failed: g.failed,
    };
    let reason = serde_json::to_value(decision.reason)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default();
    answer(
        200,
        &Simulation {
            line: true,
            reason,
            outcome: decision.outcome.kind().into(),
            twiml: twiml::render(&decision.outcome),
            graylist: Some(counters(&facts.graylist)),
            graylist_after: decision.graylist.as_ref().map(counters),
            open: Some(ctx.open),
        },
    )
}
