//! Asking the `Ledger` Durable Object (it lives in the admin worker, bound
//! to both as `LEDGER`): one object per scope, each an exact counter or
//! claim. The scope names are here, in one place.

use crate::objects::ask;
use switchboard_core::account::AccountSid;
use switchboard_core::ledger::{Answer, Op, Reply};
use switchboard_core::outbound::verification::Verdict;
use switchboard_core::phone::E164;
use worker::Env;

pub const BINDING: &str = "LEDGER";

/// Asks the ledger of `scope`.
pub async fn ask_ledger(env: &Env, scope: &str, op: &Op) -> std::result::Result<Reply, String> {
    match ask::<Op, Reply>(env, BINDING, scope, op).await? {
        (_, Ok(reply)) => Ok(reply),
        (status, Err(e)) => Err(format!("ledger answered {status}: {e}")),
    }
}

/// Checks `answer` against the code pending for `to`, counting the attempt
/// in the same step (an API check or an SMS reply alike).
pub async fn verify(
    env: &Env,
    account: &AccountSid,
    to: &E164,
    answer: Answer,
) -> Result<Verdict, String> {
    let op = Op::Verify {
        to: to.clone(),
        answer,
    };
    match ask_ledger(env, &scope::verification(account, to), &op).await? {
        Reply::Verdict { verdict } => Ok(verdict),
        other => Err(format!("ledger: unexpected {other:?}")),
    }
}

/// The scope names, in one place: each is one object.
pub mod scope {
    use switchboard_core::account::AccountSid;
    use switchboard_core::phone::E164;

    pub fn rate(account: &AccountSid) -> String {
        format!("rate:{account}")
    }
    pub fn verification(account: &AccountSid, to: &E164) -> String {
        format!("verify:{account}:{to}")
    }
    pub fn number(number: &E164) -> String {
        format!("number:{number}")
    }
    pub fn token(jti: &str) -> String {
        format!("jti:{jti}")
    }
    pub fn voicemail(account: &AccountSid, call_sid: &str) -> String {
        format!("vm:{account}:{call_sid}")
    }
    /// One alert's channels, each sent once (the watch's `deliver`).
    pub fn alert(account: &AccountSid, id: u64) -> String {
        format!("alert:{account}:{id}")
    }
    /// An idempotent POST: the same key on the same account and path is
    /// one request.
    pub fn idempotency(account: &AccountSid, path: &str, key: &str) -> String {
        format!("idem:{account}:{path}:{key}")
    }
    /// The deployment's registries: which accounts have a call log
    /// (`calllog:<AccountSid>`, held for good), for the scheduled watch.
    pub fn registry() -> String {
        "registry".into()
    }
}
