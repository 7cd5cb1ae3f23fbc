//! The calls worker: every carrier webhook, verified and answered at the
//! edge, and nothing else. It links no `phonenumber` (a build check in
//! `scripts/build.sh` fails if it ever does): numbers on this path are
//! E.164 already, read through `switchboard_core::phone`, and the one input
//! that may not be (what a Client device dialled) is parsed by the admin
//! worker over the `ADMIN` service binding.
//!
//! The route table is `switchboard_core::paths`; a flow per module:
//! `screen` (screened lines and voicemail), `outbound` (calls placed from a
//! device, codes texted back), `masking` (proxy numbers, both carriers),
//! `fallback` (the number's fallback URL). `intake` verifies every request
//! before any of them runs. Anything else (`/api/…`, the console at
//! `/console`) is the admin worker's: `src/entry.mjs` hands it over before
//! this wasm sees it.
#![cfg(target_arch = "wasm32")]

mod fallback;
mod intake;
mod masking;
mod outbound;
mod records;
mod screen;

use intake::Webhook;
use std::future::Future;
use std::pin::Pin;
use switchboard_core::outcome::{Outcome, Prompt};
use switchboard_core::paths::{RequestUrl, Route, Signer};
use switchboard_core::phone::Party;
use switchboard_core::records::{CallId, Decided};
use switchboard_edge::log::Event;
use switchboard_edge::{fallback as plan, panic, request_id, respond, settings, VERSION};
use worker::{event, Context, Env, Method, Request, Response, Result};

#[event(fetch)]
async fn fetch(req: Request, env: Env, ctx: Context) -> Result<Response> {
    panic::install("calls");
    let url = req.inner().url();
    let path = RequestUrl::split(&url).path;
    let flow: Flow = match Route::from_path(path) {
        Some(route) => {
            let arrived = Arrived {
                req,
                url: &url,
                env,
                ctx,
                route,
            };
            match route.signer() {
                Signer::Twilio => Box::pin(carrier(arrived)),
                Signer::Messagebird => Box::pin(messagebird(arrived)),
            }
        }
        None => {
            return match (req.method(), path) {
                (Method::Get, "/health") => health(),
                (_, "/health") => respond::plain(405, "use GET"),
                _ => respond::plain(404, "no such route"),
            }
        }
    };
    flow.await
}

/// A request's flow, or one step of it, polled through a box. V8 compiles a
/// wasm function the first time it is called, and a fresh isolate's first
/// request waits for that. Awaited directly, every route's future is inlined
/// into the one poll function of `fetch` (65 KB of wasm), so any first
/// request, even `/health`, compiled every flow: about 8 ms. Behind a
/// `dyn Future` each flow is its own function, compiled only when its route
/// is first asked for. The box is one allocation per request.
type Flow<'a> = Pin<Box<dyn Future<Output = Result<Response>> + 'a>>;

/// A carrier's request on one of the route table's paths, with what its
/// flow needs from the runtime.
struct Arrived<'a> {
    req: Request,
    url: &'a str,
    env: Env,
    ctx: Context,
    route: Route,
}
type Step<'a, T> = Pin<Box<dyn Future<Output = std::result::Result<T, String>> + 'a>>;

fn health() -> Result<Response> {
    respond::json(
        200,
        &serde_json::json!({ "status": "ok", "worker": "calls", "version": VERSION }),
    )
}

/// Verifies the webhook, runs the route, and answers TwiML. A refusal (bad
/// signature, malformed or oversized body) is a plain 4xx; a failure on our
/// side is logged and the caller still gets the fallback plan, with 200.
async fn carrier(arrived: Arrived<'_>) -> Result<Response> {
    let Arrived {
        mut req,
        url,
        env,
        ctx,
        route,
    } = arrived;
    let mut log = Event::request(route.name(), &request_id::of(&req));
    let hook = match intake::twilio(&mut req, &env, url).await {
        Ok(hook) => hook,
        Err(refusal) => return refuse(refusal, &mut log),
    };
    // The same request panicked a moment ago (see src/entry.mjs): whatever
    // broke, the caller gets the deployment's plan, and nothing is written.
    if after_panic(&req) {
        log.set("reason", "after_panic");
        let outcome = plan::logged(&env, &mut log).outcome();
        log.set("outcome", outcome.kind());
        log.emit();
        return respond::twiml(&outcome);
    }
    drill(&env, &hook, route);
    if matches!(route, Route::Status | Route::Debugger) {
        let flow: Flow = Box::pin(report(&hook, &env, &ctx, route, &mut log));
        return flow.await;
    }
    log.set("account", hook.account.as_str())
        .set("call", hook.get("CallSid").unwrap_or(""))
        .set("from", masked(hook.get("From")))
        .set("to", masked(hook.get("To")));
    // Each route's future is polled through its own box: see `Flow`.
    let answered: Step<Option<Outcome>> = match route {
        Route::Incoming => Box::pin(screen::incoming(&hook, &env, &mut log)),
        Route::Outbound => Box::pin(outbound::voice(&hook, &env, &mut log)),
        Route::ProxyVoice => Box::pin(masking::twilio_voice(&hook, &env, &mut log)),
        Route::ProxySms => Box::pin(async {
            let answered = masking::twilio_sms(&hook, &env, &mut log).await;
            Ok(Some(sms_answer(answered, &mut log)))
        }),
        Route::SmsIncoming => Box::pin(async {
            let answered = outbound::sms_incoming(&hook, &env, &mut log).await;
            Ok(Some(sms_answer(answered, &mut log)))
        }),
        Route::ChallengeAnswer => Box::pin(screen::answer(&hook, &env, &mut log)),
        Route::Dialed => Box::pin(screen::dialed(&hook, &env, &mut log)),
        Route::Voicemail => Box::pin(screen::recorded(&hook, &env, &mut log)),
        Route::VoicemailReady => Box::pin(async {
            screen::recording_ready(&hook, &env, &mut log)
                .await
                .map(Some)
        }),
        Route::Fallback => Box::pin(async { Ok(Some(fallback::failed(&hook, &env, &mut log))) }),
        Route::FallbackDialed => {
            Box::pin(async { Ok(Some(fallback::dialed(&hook, &env, &mut log))) })
        }
        Route::FallbackRecorded => {
            Box::pin(async { fallback::recorded(&hook, &env, &mut log).await.map(Some) })
        }
        Route::MessagebirdVoice | Route::MessagebirdSms => unreachable!("routed by signer"),
        Route::Status | Route::Debugger => unreachable!("answered as reports"),
    };
    let answered = answered.await;
    // The fallback plan's vars are read only when the route needs them.
    let outcome = match answered {
        Ok(Some(outcome)) => outcome,
        // A number we have no line for still gets a deliberate answer.
        Ok(None) => {
            log.set("reason", "unknown_line");
            plan::logged(&env, &mut log).outcome()
        }
        Err(error) => {
            log.set("error", error);
            plan::logged(&env, &mut log).outcome()
        }
    };
    log.set("outcome", outcome.kind());
    if let Some(decided) = decision(&hook, route, &outcome, &log) {
        let account = hook.account.as_str().to_string();
        let id = log.get("request_id").unwrap_or_default().to_string();
        ctx.wait_until(after_answer(records::decided(
            env.clone(),
            account,
            decided,
            id,
        )));
    }
    log.emit();
    respond::twiml(&outcome)
}

/// What the call record keeps of a call we answered: the first webhook of
/// an inbound call (screened, masked, placed from a device, or caught by
/// the fallback). Follow-up steps belong to the same call and add nothing.
fn decision(hook: &Webhook, route: Route, outcome: &Outcome, log: &Event) -> Option<Decided> {
    if !matches!(
        route,
        Route::Incoming | Route::Outbound | Route::ProxyVoice | Route::Fallback
    ) {
        return None;
    }
    let text = |name: &str| hook.get(name).filter(|v| !v.is_empty()).map(str::to_string);
    Some(Decided {
        call_sid: text("CallSid")?,
        from: text("From").unwrap_or_default(),
        to: text("To").unwrap_or_default(),
        route: route.name().to_string(),
        outcome: outcome.kind().to_string(),
        reason: log.get("reason").map(str::to_string),
        stir: text("StirVerstat"),
        at_ms: switchboard_edge::clock::now_ms(),
    })
}

/// A status callback or a Debugger event: stored, and answered with an
/// empty `<Response/>`. An unreadable one is refused (400, nothing
/// written); when our store fails the carrier still gets a 200, and the
/// log keeps the error.
async fn report(
    hook: &Webhook,
    env: &Env,
    ctx: &Context,
    route: Route,
    log: &mut Event,
) -> Result<Response> {
    log.set("account", hook.account.as_str());
    let stored = match route {
        Route::Status => records::status(hook, env, log).await,
        _ => records::debugger(hook, env, log).await,
    };
    match stored {
        Err(records::NotStored::Unreadable(why)) => {
            return refuse(intake::Refusal::new(400, why), log)
        }
        Err(records::NotStored::Failed(e)) => {
            log.set("error", e);
        }
        Ok(None) => {}
        Ok(Some(call_sid)) => ctx.wait_until(after_answer(records::queue_time(
            env.clone(),
            hook.account.clone(),
            call_sid,
            log.get("request_id").unwrap_or_default().to_string(),
        ))),
    }
    log.emit();
    respond::twiml(&Outcome::Text(None))
}

/// Work that follows an answer (a call's record, a status callback's
/// QueueTime) starts on a later turn of the event loop, once the runtime
/// has the answer. Started at once, its first step (the record's JSON, the
/// Durable Object request, and in a fresh isolate compiling that code) ran
/// before the answer went out: in workerd a warm address-book call took
/// 1.35x `/health`'s time, 1.24x now, and a fresh isolate's first 34 ms,
/// 24 now (benches/workerd.mjs).
async fn after_answer(work: impl Future<Output = ()>) {
    switchboard_edge::clock::next_turn().await;
    work.await
}

const AFTER_PANIC: &str = "X-Switchboard-After-Panic";

fn after_panic(req: &Request) -> bool {
    req.headers().get(AFTER_PANIC).ok().flatten().is_some()
}

/// A fire drill for the panic path: with `PANIC_DRILL = "on"` (never in
/// production), a signed webhook carrying `Drill=panic` panics, so a
/// deployment can prove that callers still get the fallback answer.
fn drill(env: &Env, hook: &Webhook, route: Route) {
    if hook.get("Drill") == Some("panic")
        && settings::var(env, "PANIC_DRILL").as_deref() == Some("on")
    {
        panic!("panic drill on {}", route.name());
    }
}

/// A messaging webhook whose handling failed answers nothing (the voice
/// fallback means nothing there); the log keeps the error.
fn sms_answer(answered: std::result::Result<Outcome, String>, log: &mut Event) -> Outcome {
    answered.unwrap_or_else(|e| {
        log.set("error", e);
        Outcome::Text(None)
    })
}

/// A deliberate 4xx: logged, answered with its one-line reason.
fn refuse(refusal: intake::Refusal, log: &mut Event) -> Result<Response> {
    log.set("refused", refusal.status)
        .set("reason", refusal.reason.as_str());
    log.emit();
    respond::plain(refusal.status, &refusal.reason)
}

fn masked(raw: Option<&str>) -> String {
    raw.map(|s| Party::from_carrier(s, false).masked())
        .unwrap_or_default()
}

/// MessageBird's webhooks: verified by JWT; the voice one answers call-flow
/// XML, and when our side fails the caller still hears a sentence. A call
/// whose session the index knew gets its record in that session's
/// account, as a Twilio masked call does.
async fn messagebird(arrived: Arrived<'_>) -> Result<Response> {
    let (mut req, env, route) = (arrived.req, arrived.env, arrived.route);
    let voice = route == Route::MessagebirdVoice;
    let mut log = Event::request(route.name(), &request_id::of(&req));
    let retried = after_panic(&req);
    let signed = match intake::messagebird(&mut req, &env, !retried, arrived.url).await {
        Ok(s) => s,
        Err(refusal) => return refuse(refusal, &mut log),
    };
    if let Some(w) = &signed.warning {
        log.set("error", w.as_str());
    }
    let caller = if voice { "source" } else { "originator" };
    log.set(
        "from",
        Party::from_carrier(signed.params.get(caller).unwrap_or(""), true).masked(),
    );
    let sorry = || {
        Outcome::Goodbye(vec![Prompt::say(
            "Sorry, we cannot connect your call right now. Please try again later.",
        )])
    };
    if retried {
        log.set("reason", "after_panic");
    }
    if !voice {
        if !retried {
            if let Err(e) = masking::messagebird_sms(&signed.params, &env, &mut log).await {
                log.set("error", e);
            }
        }
        log.emit();
        return respond::plain(200, "OK");
    }
    let (outcome, known) = if retried {
        (sorry(), None)
    } else {
        masking::messagebird_voice(&signed.params, &env, &mut log)
            .await
            .unwrap_or_else(|e| {
                log.set("error", e);
                (sorry(), None)
            })
    };
    log.set("outcome", outcome.kind());
    let call = signed.params.get("callID").and_then(CallId::messagebird);
    if let Some(call) = &call {
        log.set("call", call.as_str());
    }
    if let (Some(known), Some(call)) = (known, call) {
        log.set("account", known.account.as_str());
        let decided = Decided {
            call_sid: call.as_str().to_string(),
            from: known.caller.to_string(),
            to: known.proxy.to_string(),
            route: route.name().to_string(),
            outcome: outcome.kind().to_string(),
            reason: log.get("reason").map(str::to_string),
            // MessageBird gives no SHAKEN/STIR verdict.
            stir: None,
            at_ms: switchboard_edge::clock::now_ms(),
        };
        let id = log.get("request_id").unwrap_or_default().to_string();
        arrived.ctx.wait_until(after_answer(records::decided(
            env.clone(),
            known.account,
            decided,
            id,
        )));
    }
    log.emit();
    respond::callflow(&outcome)
}
