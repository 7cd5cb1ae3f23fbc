//! What a screened call's decision reads: the facts from the store and the
//! context (open hours, the challenge digits). The calls worker decides real
//! calls with them; the admin worker's simulator decides pretend ones with
//! exactly the same reads.

use crate::store::{self, Fresh};
use crate::{clock, settings};
use switchboard_core::account::AccountSid;
use switchboard_core::config::LineConfig;
use switchboard_core::phone::{Party, E164};
use switchboard_core::screening::{hours, Call, Context, Digits, Facts};
use worker::{kv::KvStore, Env};

/// The parts of a call that identify it.
pub struct Inbound {
    pub account: AccountSid,
    pub to: E164,
    pub from: Party,
    pub call_sid: String,
    pub attested: bool,
}

impl Inbound {
    pub fn call(&self) -> Call<'_> {
        Call {
            call_sid: &self.call_sid,
            from: &self.from,
            to: &self.to,
            attested: self.attested,
        }
    }
}

/// The line and the caller's lists and counters; `None` for no such line.
pub async fn facts(kv: &KvStore, call: &Inbound, fresh: Fresh) -> Result<Option<Facts>, String> {
    let f = store::call_facts(kv, &call.account, &call.to, call.from.number(), fresh)
        .await
        .map_err(|e| e.to_string())?;
    Ok(f.line.map(|line| Facts {
        line,
        entry: f.entry,
        account_blocked: f.account_blocked,
        graylist: f.graylist,
    }))
}

/// Whether the line is open now, and the secret the challenge digits come
/// from (the decision derives them only if it challenges).
pub fn context(env: &Env, line: &LineConfig, now_ms: u64) -> Result<Context, String> {
    let open = match &line.hours {
        None => true,
        Some(h) => {
            let (day, minute) = clock::local_weekday_minute(&h.time_zone, now_ms)?;
            hours::is_open(h, day, minute)
        }
    };
    let secret = settings::challenge_secret(env)?;
    Ok(Context {
        open,
        challenge: Digits::Keyed(secret.into_bytes()),
    })
}
