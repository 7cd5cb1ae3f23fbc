//! The Workers runtime side: the fetch entry, the route table, and the only
//! code that touches HTTP, secrets and KV.

mod allocator;
mod api;
mod clock;
mod intake;
mod ledger;
mod log;
mod masking;
mod notify;
mod objects;
mod outbound;
mod respond;
mod rest;
mod screen;
mod settings;
mod store;
mod tokens;

use crate::fallback::FallbackPlan;
use crate::outcome::Outcome;
use crate::phone::Party;
use crate::voicemail;
use intake::Webhook;
use log::{now_ms, Line};
use worker::js_sys::{self, Function, Reflect};
use worker::wasm_bindgen::{JsCast, JsValue};
use worker::{event, Context, Env, Method, Request, Response, Result};

static PANIC_HOOK: std::sync::Once = std::sync::Once::new();

/// A panic must never be silent nor leak what caused it: it is logged as one
/// JSON line, with every run of digits in its text cut to its last four (a
/// panic's message may quote the input). Installed on the first request, in
/// place of the runtime's default hook (which logs the message whole). It
/// then marks this wasm instance as dead, so the next request gets a fresh
/// one, and tells the entry module (`src/entry.mjs`), whose requests in
/// flight would otherwise hang: carrier requests are answered again there.
fn on_panic(info: &std::panic::PanicHookInfo) {
    let text = log::mask_digits(&info.to_string());
    worker::console_error!(
        "{}",
        serde_json::json!({ "level": "panic", "error": text, "version": VERSION })
    );
    let global = js_sys::global();
    if let Ok(state) = Reflect::get(&global, &"__worker_init_state".into()) {
        let _ = Reflect::set(&state, &"criticalError".into(), &JsValue::TRUE);
    }
    if let Ok(f) = Reflect::get(&global, &"__switchboardPanicked".into()) {
        if let Ok(f) = f.dyn_into::<Function>() {
            let _ = f.call0(&JsValue::NULL);
        }
    }
}

pub const KV_BINDING: &str = "SWITCHBOARD";

pub const VERSION: &str = concat!(env!("CARGO_PKG_VERSION"), "+", env!("SWITCHBOARD_COMMIT"));

/// Carrier webhooks: verified, and always answered with TwiML.
#[derive(Clone, Copy)]
enum Carrier {
    Incoming,
    Outbound,
    SmsIncoming,
    ProxyVoice,
    ProxySms,
    ChallengeAnswer,
    Dialed,
    Voicemail,
    VoicemailReady,
    Fallback,
    FallbackDialed,
    FallbackRecorded,
}

impl Carrier {
    fn from_path(path: &str) -> Option<Carrier> {
        Some(match path {
            "/voice/incoming" => Carrier::Incoming,
            "/voice/outbound" => Carrier::Outbound,
            "/sms/incoming" => Carrier::SmsIncoming,
            "/voice/proxy" => Carrier::ProxyVoice,
            "/sms/proxy" => Carrier::ProxySms,
            "/voice/challenge" => Carrier::ChallengeAnswer,
            "/voice/dialed" => Carrier::Dialed,
            "/voice/voicemail" => Carrier::Voicemail,
            "/voice/voicemail/ready" => Carrier::VoicemailReady,
            "/voice/fallback" => Carrier::Fallback,
            "/voice/fallback/dialed" => Carrier::FallbackDialed,
            "/voice/fallback/recorded" => Carrier::FallbackRecorded,
            _ => return None,
        })
    }

    fn name(self) -> &'static str {
        match self {
            Carrier::Incoming => "voice/incoming",
            Carrier::Outbound => "voice/outbound",
            Carrier::SmsIncoming => "sms/incoming",
            Carrier::ProxyVoice => "voice/proxy",
            Carrier::ProxySms => "sms/proxy",
            Carrier::ChallengeAnswer => "voice/challenge",
            Carrier::Dialed => "voice/dialed",
            Carrier::Voicemail => "voice/voicemail",
            Carrier::VoicemailReady => "voice/voicemail/ready",
            Carrier::Fallback => "voice/fallback",
            Carrier::FallbackDialed => "voice/fallback/dialed",
            Carrier::FallbackRecorded => "voice/fallback/recorded",
        }
    }
}

#[event(fetch)]
async fn fetch(req: Request, env: Env, _ctx: Context) -> Result<Response> {
    PANIC_HOOK.call_once(|| std::panic::set_hook(Box::new(on_panic)));
    let path = req.path();
    if let Some(route) = Carrier::from_path(&path) {
        return carrier(req, env, route).await;
    }
    if path == "/messagebird/voice" || path == "/messagebird/sms" {
        return messagebird(req, env, path == "/messagebird/voice").await;
    }
    if path.starts_with("/api/v1/") {
        return api::handle(req, env).await;
    }
    match (req.method(), path.as_str()) {
        (Method::Get, "/health") => health(),
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
        Err(refusal) => return refuse(refusal, &mut line, started),
    };
    // The same request panicked a moment ago (see src/entry.mjs): whatever
    // broke, the caller gets the deployment's plan, and nothing is written.
    if after_panic(&req) {
        line.set("reason", "after_panic");
        let outcome = fallback_plan(&env, &mut line).outcome();
        line.set("outcome", outcome.kind());
        line.emit(started);
        return respond::twiml(&outcome);
    }
    drill(&env, &hook, route);
    line.set("account", hook.account.as_str())
        .set("call", hook.get("CallSid").unwrap_or(""))
        .set("from", masked(hook.get("From")))
        .set("to", masked(hook.get("To")));
    let answered = match route {
        Carrier::Incoming => screen::incoming(&hook, &env, &mut line).await,
        Carrier::Outbound => outbound::voice(&hook, &env, &mut line).await,
        Carrier::ProxyVoice => masking::twilio_voice(&hook, &env, &mut line).await,
        Carrier::ProxySms => {
            let answered = masking::twilio_sms(&hook, &env, &mut line).await;
            Ok(Some(sms_answer(answered, &mut line)))
        }
        Carrier::SmsIncoming => {
            let answered = outbound::sms_incoming(&hook, &env, &mut line).await;
            Ok(Some(sms_answer(answered, &mut line)))
        }
        Carrier::ChallengeAnswer => screen::answer(&hook, &env, &mut line).await,
        Carrier::Dialed => screen::dialed(&hook, &env, &mut line).await,
        Carrier::Voicemail => screen::recorded(&hook, &env, &mut line).await,
        Carrier::VoicemailReady => screen::recording_ready(&hook, &env, &mut line)
            .await
            .map(Some),
        Carrier::Fallback => Ok(Some(fallback(
            &hook,
            &fallback_plan(&env, &mut line),
            &mut line,
        ))),
        Carrier::FallbackDialed => Ok(Some(
            fallback_plan(&env, &mut line).after_dial(hook.get("DialCallStatus")),
        )),
        Carrier::FallbackRecorded => {
            let plan = fallback_plan(&env, &mut line);
            fallback_recorded(&hook, &env, &plan, &mut line)
                .await
                .map(Some)
        }
    };
    // The fallback plan's vars are read only when the route needs them.
    let outcome = match answered {
        Ok(Some(outcome)) => outcome,
        // A number we have no line for still gets a deliberate answer.
        Ok(None) => {
            line.set("reason", "unknown_line");
            fallback_plan(&env, &mut line).outcome()
        }
        Err(error) => {
            line.set("error", error);
            fallback_plan(&env, &mut line).outcome()
        }
    };
    line.set("outcome", outcome.kind());
    line.emit(started);
    respond::twiml(&outcome)
}

const AFTER_PANIC: &str = "X-Switchboard-After-Panic";

fn after_panic(req: &Request) -> bool {
    req.headers().get(AFTER_PANIC).ok().flatten().is_some()
}

/// A fire drill for the panic path: with `PANIC_DRILL = "on"` (never in
/// production), a signed webhook carrying `Drill=panic` panics, so a
/// deployment can prove that callers still get the fallback answer.
fn drill(env: &Env, hook: &Webhook, route: Carrier) {
    if hook.get("Drill") == Some("panic")
        && settings::var(env, "PANIC_DRILL").as_deref() == Some("on")
    {
        panic!("panic drill on {}", route.name());
    }
}

/// A messaging webhook whose handling failed answers nothing (the voice
/// fallback means nothing there); the log keeps the error.
fn sms_answer(answered: std::result::Result<Outcome, String>, line: &mut Line) -> Outcome {
    answered.unwrap_or_else(|e| {
        line.set("error", e);
        Outcome::Text(None)
    })
}

/// A deliberate 4xx: logged, answered with its one-line reason.
fn refuse(refusal: intake::Refusal, line: &mut Line, started: f64) -> Result<Response> {
    line.set("refused", refusal.status)
        .set("reason", refusal.reason.as_str());
    line.emit(started);
    respond::plain(refusal.status, &refusal.reason)
}

fn masked(raw: Option<&str>) -> String {
    raw.map(|s| Party::from_carrier(s, false).masked())
        .unwrap_or_default()
}

/// The deployment's fallback plan and what is wrong with its settings. A
/// forward target passes the toll-fraud guard like every number we dial: a
/// premium or shared-cost `FALLBACK_FORWARD_TO` degrades to voicemail.
fn plan(env: &Env) -> (FallbackPlan, Vec<String>) {
    let (mut plan, mut warnings) =
        FallbackPlan::from_vars(|name| env.var(name).ok().map(|v| v.to_string()));
    if let crate::fallback::Then::Forward(n) = &plan.then {
        use crate::outbound;
        let guarded = outbound::classify(n)
            .and_then(|d| outbound::check_for(None, std::slice::from_ref(n), &d));
        if let Err(refused) = guarded {
            warnings.push(format!(
                "FALLBACK_FORWARD_TO: {refused}; taking voicemail instead"
            ));
            plan = plan.without_forward();
        }
    }
    (plan, warnings)
}

fn fallback_plan(env: &Env, line: &mut Line) -> FallbackPlan {
    let (plan, warnings) = plan(env);
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
    let mut message = voicemail::Message::from_recording(&hook.params, clock::now_ms(), "fallback")
        .map_err(|e| format!("recording callback: {e}"))?;
    message.account_sid = hook.account.to_string();
    line.set("recording", message.recording_sid.as_str());
    let key = store::fallback_voicemail_key(&hook.account, &message.call_sid);
    let stored = async {
        let kv = env.kv(KV_BINDING).map_err(|e| e.to_string())?;
        store::put_json(&kv, &key, &message)
            .await
            .map_err(|e| e.to_string())
    };
    if let Err(e) = stored.await {
        // The recording itself stays in the carrier's account; its sid is in
        // this log line, so the message can still be found.
        line.set("error", format!("voicemail not stored: {e}"));
    }
    Ok(plan.thanks())
}

/// MessageBird's webhooks: verified by JWT; the voice one answers call-flow
/// XML, and when our side fails the caller still hears a sentence.
async fn messagebird(mut req: Request, env: Env, voice: bool) -> Result<Response> {
    let started = now_ms();
    let mut line = Line::new(if voice {
        "messagebird/voice"
    } else {
        "messagebird/sms"
    });
    let retried = after_panic(&req);
    let signed = match intake::messagebird(&mut req, &env, !retried).await {
        Ok(s) => s,
        Err(refusal) => return refuse(refusal, &mut line, started),
    };
    if let Some(w) = &signed.warning {
        line.set("error", w.as_str());
    }
    let caller = if voice { "source" } else { "originator" };
    line.set(
        "from",
        Party::from_carrier(signed.params.get(caller).unwrap_or(""), true).masked(),
    );
    let sorry = || {
        Outcome::Goodbye(vec![crate::outcome::Prompt::say(
            "Sorry, we cannot connect your call right now. Please try again later.",
        )])
    };
    if retried {
        line.set("reason", "after_panic");
    }
    if !voice {
        if !retried {
            if let Err(e) = masking::messagebird_sms(&signed.params, &env, &mut line).await {
                line.set("error", e);
            }
        }
        line.emit(started);
        return respond::plain(200, "OK");
    }
    let outcome = if retried {
        sorry()
    } else {
        masking::messagebird_voice(&signed.params, &env, &mut line)
            .await
            .unwrap_or_else(|e| {
                line.set("error", e);
                sorry()
            })
    };
    line.set("outcome", outcome.kind());
    line.emit(started);
    respond::callflow(&outcome)
}
