//! Outbound on the call path: the voice webhook for calls placed from a
//! Twilio Client or SIP device, and codes texted back to one of our numbers.

use crate::intake::Webhook;
use switchboard_core::ledger::Answer;
use switchboard_core::outbound::verification::{self, Verdict};
use switchboard_core::outbound::{self, Destination, Dialled, Outbound, Parsed, Refused};
use switchboard_core::outcome::{AfterDial, Connect, Leg, Outcome, Prompt, Target};
use switchboard_core::phone::{Party, E164};
use switchboard_edge::ledger;
use switchboard_edge::log::Event;
use switchboard_edge::outbound::{config, count_call, Guarded};
use switchboard_edge::{objects, settings, KV_BINDING};
use worker::Env;

/// `POST /voice/outbound`: a Client or SIP device dials `To`. Numbers and
/// SIP URIs leave the system, so both pass the guard and the rate limits;
/// a Client identity stays inside the account.
pub async fn voice(hook: &Webhook, env: &Env, log: &mut Event) -> Result<Option<Outcome>, String> {
    let account = &hook.account;
    let to = hook.get("To").unwrap_or("").trim();
    let connect = |target: Target, caller_id: Option<E164>| {
        Outcome::Connect(Connect {
            announce: None,
            targets: vec![target],
            caller_id,
            timeout_secs: 30,
            record: false,
            after: AfterDial::Hangup,
            leg: Leg::Outbound,
        })
    };
    let party = Party::from_carrier(to, false);
    if let Party::Client(id) = party {
        return Ok(Some(connect(Target::Client(id), None)));
    }
    let kv = env.kv(KV_BINDING).map_err(|e| e.to_string())?;
    let Some(config) = config(&kv, account, settings::hot_config(env))
        .await
        .map_err(|e| e.to_string())?
    else {
        log.set("reason", "no_outbound_config");
        return Ok(Some(refusal(
            "Outbound calls are not set up for this account.",
        )));
    };
    let cleared = match party {
        Party::Sip(uri) => match outbound::check_sip(&config.guard, &uri) {
            Err(r) => Err(Guarded::Refused(r)),
            Ok(()) => count_call(env, account, &config, &uri)
                .await
                .map(|()| connect(Target::Sip(uri), None)),
        },
        _ => match destination(env, &config, to).await {
            Err(g) => Err(g),
            Ok(dest) => match outbound::check(&config, &dest) {
                Err(r) => Err(Guarded::Refused(r)),
                Ok(()) => count_call(env, account, &config, dest.number.as_str())
                    .await
                    .map(|()| {
                        let pick = outbound::pick(&config, &dest);
                        log.set("dialled", dest.number.masked())
                            .set("caller_id", pick.caller_id.masked());
                        connect(Target::Number(dest.number), Some(pick.caller_id))
                    }),
            },
        },
    };
    match cleared {
        Ok(outcome) => Ok(Some(outcome)),
        Err(Guarded::Refused(r)) => {
            log.set("refused", r.to_string());
            Ok(Some(refusal(
                "This number cannot be called from here. Goodbye.",
            )))
        }
        Err(Guarded::Store(e)) => Err(e),
    }
}

/// The dialled number, classified for the guard. E.164 is read here from the
/// generated numbering plan; a national spelling (`(415) 555-0100` typed on
/// a softphone) needs `phonenumber`'s parser, which only the admin worker
/// links, so it is asked over the `ADMIN` service binding.
async fn destination(env: &Env, config: &Outbound, to: &str) -> Result<Destination, Guarded> {
    if let Ok(number) = E164::parse(to) {
        return outbound::classify(&number).map_err(Guarded::Refused);
    }
    let dialled = Dialled {
        input: to.to_string(),
        default_country: config.default_country.clone(),
    };
    match objects::call_service::<_, Parsed>(env, ADMIN, "/internal/v1/destination", &dialled)
        .await
        .map_err(Guarded::Store)?
    {
        Parsed::Number(dest) => Ok(dest),
        Parsed::Invalid { why } => Err(Guarded::Refused(Refused::Invalid { why })),
    }
}

/// The admin worker's service binding.
const ADMIN: &str = "ADMIN";

fn refusal(text: &str) -> Outcome {
    Outcome::Goodbye(vec![Prompt::say(text)])
}

/// `POST /sms/incoming`: a text to one of our numbers. A reply carrying the
/// code pending for the sender approves it, as OrderUp's flow did.
pub async fn sms_incoming(hook: &Webhook, env: &Env, log: &mut Event) -> Result<Outcome, String> {
    let account = &hook.account;
    let Some(from) = hook.get("From").and_then(|f| E164::parse(f).ok()) else {
        return Ok(Outcome::Text(None));
    };
    let kv = env.kv(KV_BINDING).map_err(|e| e.to_string())?;
    let config = config(&kv, account, settings::hot_config(env))
        .await
        .map_err(|e| e.to_string())?;
    let code_length = config.map(|c| c.verification.code_length).unwrap_or(6);
    let text = hook.get("Body").unwrap_or("").to_string();
    let verdict = ledger::verify(env, account, &from, Answer::Text { text, code_length }).await?;
    Ok(Outcome::Text(match verdict {
        Verdict::Approved => {
            log.set("reason", "verified");
            Some("Thank you, your number is verified.".to_string())
        }
        // A text that is not about a code stays unanswered.
        Verdict::Denied(verification::Denied::NoneSent) => {
            log.set("reason", "no_pending_code");
            None
        }
        Verdict::Denied(why) => {
            log.set("reason", serde_json::to_value(why).unwrap_or_default());
            Some(format!("Not verified: {}.", why.message()))
        }
    }))
}
