//! The deployment's fallback plan, read from its vars: what a caller gets
//! when a line is unknown or our side fails (the calls worker), and what the
//! simulator shows for a number with no line (the admin worker).

use crate::log::Event;
use switchboard_core::fallback::{FallbackPlan, Then};
use switchboard_core::outbound;
use worker::Env;

/// The plan and what is wrong with its settings. A forward target passes
/// the toll-fraud guard like every number we dial: a premium or shared-cost
/// `FALLBACK_FORWARD_TO` degrades to voicemail.
pub fn plan(env: &Env) -> (FallbackPlan, Vec<String>) {
    let (mut plan, mut warnings) = FallbackPlan::from_vars(|name| crate::settings::var(env, name));
    if let Then::Forward(n) = &plan.then {
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

/// [`plan`], its warnings set on the request's log line.
pub fn logged(env: &Env, log: &mut Event) -> FallbackPlan {
    let (plan, warnings) = plan(env);
    if !warnings.is_empty() {
        log.set("config_warnings", warnings);
    }
    plan
}
