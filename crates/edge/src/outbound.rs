//! An account's outbound settings as both workers read them, and the hourly
//! counts every dialled destination takes from its ledger.

use crate::ledger::{ask_ledger, scope};
use crate::store::{self, Fresh, StoreError};
use switchboard_core::account::AccountSid;
use switchboard_core::ledger::{Limit, Op, Reply};
use switchboard_core::outbound::{self, Outbound, Refused};
use worker::{kv::KvStore, Env};

/// The account's outbound config (`acct:<AccountSid>`). Validated when the
/// admin worker wrote it; read back with plain serde.
pub async fn config(
    kv: &KvStore,
    account: &AccountSid,
    fresh: Fresh,
) -> Result<Option<Outbound>, StoreError> {
    store::get_config(kv, &store::outbound_key(account), fresh).await
}

/// Why a destination was not cleared: the guard said no, or we could not ask.
pub enum Guarded {
    Refused(Refused),
    Store(String),
}

/// Counts one call to `destination` (an E.164 number or a SIP URI) against
/// the account's hourly limits, exactly: the account's ledger checks and
/// counts in one step, so a burst of simultaneous requests gets exactly as
/// many calls as the limit allows.
pub async fn count_call(
    env: &Env,
    account: &AccountSid,
    config: &Outbound,
    destination: &str,
) -> Result<(), Guarded> {
    let limits = outbound::hourly_limits(&config.guard, destination);
    match ask_ledger(env, &scope::rate(account), &Op::Take { limits })
        .await
        .map_err(Guarded::Store)?
    {
        Reply::Taken { .. } => Ok(()),
        Reply::Limited { key, limit } => Err(Guarded::Refused(outbound::rate_limited(&Limit {
            key,
            limit,
        }))),
        other => Err(Guarded::Store(format!("ledger: unexpected {other:?}"))),
    }
}
