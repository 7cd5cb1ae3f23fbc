//! The Workers runtime side: the fetch entry, the route table, and the only
//! code that touches HTTP, secrets and KV.

mod intake;
mod log;
mod respond;

use crate::fallback::FallbackPlan;
use crate::outcome::Outcome;
use crate::phone::Party;
use crate::voicemail;
use intake::Webhook;
use log::{now_ms, Line};
use worker::{event, Context, Env, Method, Request, Response, Result};

pub const KV_BINDING: &str = "SWITCHBOARD";

pub const VERSION: &str = concat!(env!("CARGO_PKG_VERSION"), "+", env!("SWITCHBOARD_COMMIT"));

/// Carrier webhooks: verified, and always answered with TwiML.
#[derive(Clone, Copy)]
enum Carrier {
    Fallback,
    FallbackDialed,
    FallbackRecorded,
}

impl Carrier {
    fn name(self) -> &'static str {
        match self {
            Carrier::Fallback => "voice/fallback",
            Carrier::FallbackDialed => "voice/fallback/dialed",
            Carrier::FallbackRecorded => "voice/fallback/recorded",
        }
    }
}

#[event(fetch)]
async fn fetch(req: Request, env: Env, _ctx: Context) -> Result<Response> {
    let path = req.path();
    match (req.method(), path.as_str()) {
        (Method::Get, "/health") => health(),
        (_, "/voice/fallback") => carrier(req, env, Carrier::Fallback).await,
        (_, "/voice/fallback/dialed") => carrier(req, env, Carrier::FallbackDialed).await,
        (_, "/voice/fallback/recorded") => carrier(req, env, Carrier::FallbackRecorded).await,
        (_, "/health") => respond::plain(405, "use GET"),
        _ => respond::plain(404, "no such route"),
    }
}

fn health() -> Result<Response> {
    respond::json(
        200,
        &serde_json::json!({ "status": "ok", "version": VERSION }),
    )
}

/// Verifies the webhook, runs the route, and answers TwiML. A refusal (bad
/// signature, malformed or oversized body) is a plain 4xx; a failure on our
/// side is logged and the caller still gets the fallback plan, with 200.
async fn carrier(mut req: Request, env: Env, route: Carrier) -> Result<Response> {
    let started = now_ms();
    let mut line = Line::new(route.name());
    let hook = match intake::twilio(&mut req, &env).await {
        Ok(hook) => hook,
        Err(refusal) => {
            line.set("refused", refusal.status)
                .set("reason", refusal.reason.as_str());
            line.emit(started);
            return respond::plain(refusal.status, &refusal.reason);
        }
    };
    line.set("call", hook.get("CallSid").unwrap_or(""))
        .set("from", masked(hook.get("From")))
        .set("to", masked(hook.get("To")));
    let plan = fallback_plan(&env, &mut line);
    let answered = match route {
        Carrier::Fallback => Ok(fallback(&hook, &plan, &mut line)),
        Carrier::FallbackDialed => Ok(plan.after_dial(hook.get("DialCallStatus"))),
        Carrier::FallbackRecorded => fallback_recorded(&hook, &env, &plan, &mut line).await,
    };
    let outcome = answered.unwrap_or_else(|error| {
        line.set("error", error);
        plan.outcome()
    });
    line.set("outcome", outcome.kind());
    line.emit(started);
    respond::twiml(&outcome)
}

fn masked(raw: Option<&str>) -> String {
    raw.map(|s| Party::from_carrier(s, false).masked())
        .unwrap_or_default()
}

fn fallback_plan(env: &Env, line: &mut Line) -> FallbackPlan {
    let (plan, warnings) =
        FallbackPlan::from_vars(|name| env.var(name).ok().map(|v| v.to_string()));
    if !warnings.is_empty() {
        line.set("config_warnings", warnings);
    }
    plan
}

/// The number's fallback URL: Twilio tells us what failed, and the caller
/// gets the deployment's plan.
fn fallback(hook: &Webhook, plan: &FallbackPlan, line: &mut Line) -> Outcome {
    line.set("error_code", hook.get("ErrorCode").unwrap_or(""))
        .set("error_url", hook.get("ErrorUrl").unwrap_or(""));
    plan.outcome()
}

async fn fallback_recorded(
    hook: &Webhook,
    env: &Env,
    plan: &FallbackPlan,
    line: &mut Line,
) -> std::result::Result<Outcome, String> {
    let message = voicemail::Message::from_recording(&hook.params, now_ms() as u64, "fallback")
        .map_err(|e| format!("recording callback: {e}"))?;
    line.set("recording", message.recording_sid.as_str());
    let stored = async {
        let kv = env.kv(KV_BINDING)?;
        let json = serde_json::to_string(&message)?;
        kv.put(&message.key(), json)?.execute().await?;
        Ok::<_, worker::Error>(())
    };
    if let Err(e) = stored.await {
        // The recording itself stays in the carrier's account; its sid is in
        // this log line, so the message can still be found.
        line.set("error", format!("voicemail not stored: {e}"));
    }
    Ok(plan.thanks())
}
