//! The scheduled watch (Cron Trigger, `admin/wrangler.toml`): for every
//! account with a call log (the registry's Ledger lists them) it visits the
//! account's `CallLog` object, which, in that one request,
//! - asks each masking pool how many numbers are idle,
//! - has the call log prune what is past retention, judge health, note new
//!   Debugger error codes and pool levels, and keep the alerts that raises
//!   (`call_log::watch`: an alert is raised once when a condition starts and
//!   once when it clears),
//! - delivers the alerts not yet delivered, to the account's webhook and/or
//!   by SMS, and marks them delivered only when every channel took them,
//! - sends the voicemail notices still pending, [`RETRIES_PER_RUN`] at a
//!   time, going round the list from run to run.
//!
//! Each visit runs in the account's own object, so it is its own
//! invocation with its own limits (1,000 KV operations, a cap on
//! subrequests): run in one invocation for every account, as it was, the
//! visits shared one budget, and an account with hundreds of failing
//! notices or thousands of pools spent it, every run, before the accounts
//! listed after it were reached. One account's failure is logged and does
//! not stop the others; what was not delivered stays due for the next run.

use crate::allocator::{ask_pool, PoolOp};
use futures_util::stream::{self, StreamExt};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use switchboard_core::account::AccountSid;
use switchboard_core::config::Notify;
use switchboard_core::ledger::{Op, Reply};
use switchboard_core::phone::E164;
use switchboard_core::records::alerts::Alert;
use switchboard_core::records::watch::{
    retry_turn, sms_text, PoolLevel, WatchSettings, RETRIES_PER_RUN,
};
use switchboard_core::records::{LogOp, WatchRun};
use switchboard_core::voicemail::Message;
use switchboard_edge::ledger::{ask_ledger, scope};
use switchboard_edge::log::Event;
use switchboard_edge::notify::{self, Sent};
use switchboard_edge::objects::ask;
use switchboard_edge::store::{self, Fresh, VoicemailMeta};
use switchboard_edge::{CALL_LOG_BINDING as CALL_LOG, KV_BINDING};
use worker::kv::KvStore;
use worker::Env;

/// What one account's visit did, for the run's log line.
#[derive(Default, Serialize, Deserialize)]
pub struct Done {
    raised: u64,
    delivered: u64,
    undelivered: u64,
    voicemails_retried: u64,
    /// Waiting voicemails left for later runs (past [`RETRIES_PER_RUN`]).
    voicemails_deferred: u64,
    pruned: u64,
}

/// Accounts visited at once. Each visit waits mostly on its object's own
/// requests; a few at a time keeps a run of many accounts short without
/// holding many connections open.
const VISITS_AT_ONCE: usize = 6;

/// Visits one account: its `CallLog` object runs [`account_run`].
async fn visit(env: &Env, account: &AccountSid, now_ms: u64) -> Result<Done, String> {
    let op = LogOp::RunWatch { now_ms };
    match ask::<_, Done>(env, CALL_LOG, account.as_str(), &op).await? {
        (_, Ok(done)) => Ok(done),
        (status, Err(e)) => Err(format!("call log answered {status}: {e}")),
    }
}

pub async fn run(env: &Env, now_ms: u64) {
    let mut log = Event::new("watch");
    let result = async {
        let registry = Op::Keys {
            prefix: REGISTRY_PREFIX.into(),
        };
        let accounts = match ask_ledger(env, &scope::registry(), &registry).await? {
            Reply::Keys { keys } => keys,
            other => return Err(format!("registry: {other:?}")),
        };
        let listed: Vec<AccountSid> = accounts
            .iter()
            .filter_map(|key| AccountSid::parse(&key[REGISTRY_PREFIX.len()..]).ok())
            .collect();
        let mut visits = stream::iter(&listed)
            .map(|account| async move { (account, visit(env, account, now_ms).await) })
            .buffer_unordered(VISITS_AT_ONCE);
        let mut total = Done::default();
        let mut failed = 0;
        while let Some((account, visited)) = visits.next().await {
            match visited {
                Ok(done) => {
                    total.raised += done.raised;
                    total.delivered += done.delivered;
                    total.undelivered += done.undelivered;
                    total.voicemails_retried += done.voicemails_retried;
                    total.voicemails_deferred += done.voicemails_deferred;
                    total.pruned += done.pruned;
                }
                Err(e) => {
                    failed += 1;
                    let mut line = Event::new("watch");
                    line.set("account", account.as_str()).set("error", e);
                    line.emit();
                }
            }
        }
        Ok::<_, String>((listed.len(), failed, total))
    }
    .await;
    match result {
        Ok((accounts, failed, done)) => log
            .set("accounts", accounts)
            .set("failed", failed)
            .set("alerts_raised", done.raised)
            .set("alerts_delivered", done.delivered)
            .set("alerts_undelivered", done.undelivered)
            .set("voicemails_retried", done.voicemails_retried)
            .set("voicemails_deferred", done.voicemails_deferred)
            .set("records_pruned", done.pruned),
        Err(e) => log.set("error", e),
    };
    log.emit();
}

#[derive(Deserialize)]
struct Due {
    id: u64,
    alert: Value,
}

#[derive(Deserialize)]
struct Watched {
    raised: u64,
    due: Vec<Due>,
    pruned: Pruned,
}

#[derive(Deserialize)]
struct Pruned {
    calls: u64,
}

/// The deployment's list of accounts that have a call log, for the watch
/// to visit: a permanent claim on `calllog:<AccountSid>` in the registry's
/// Ledger, made once by the account's `CallLog` object itself on its first
/// write. A Durable Object rather than KV: a call writes no KV.
pub const REGISTRY_PREFIX: &str = "calllog:";

/// The account's call log as its visit uses it: the object that runs the
/// visit takes its own steps by calling them (`call_log.rs` implements it).
pub trait LogSteps {
    /// One of the log's operations (`Watch`, `Settled`), answered typed.
    fn step<T: DeserializeOwned>(&self, op: LogOp) -> Result<T, String>;
    /// What the watch keeps between runs in the log's `meta`.
    fn meta<T: DeserializeOwned>(&self, k: &str) -> Result<Option<T>, String>;
    fn set_meta<T: Serialize>(&self, k: &str, v: &T) -> Result<(), String>;
}

/// One account's visit, run by its `CallLog` object (`log`) when the watch
/// asks it to: the log's own steps are called directly, the rest is asked
/// of the other objects and services.
pub async fn account_run(
    log: &impl LogSteps,
    env: &Env,
    account: &AccountSid,
    now_ms: u64,
) -> Result<Done, String> {
    let kv = env.kv(KV_BINDING).map_err(|e| e.to_string())?;
    let kv = &kv;
    let settings: WatchSettings = store::get_json(kv, &store::watch_key(account))
        .await
        .map_err(|e| e.to_string())?
        .unwrap_or_default();
    let pools = pool_levels(env, kv, account).await?;
    let op = LogOp::Watch(WatchRun {
        now_ms,
        thresholds: settings.thresholds,
        retention_ms: settings.retention_ms(),
        pools,
    });
    let watched: Watched = log.step(op)?;
    let mut done = Done {
        raised: watched.raised,
        pruned: watched.pruned.calls,
        ..Done::default()
    };
    let (mut delivered, mut failed) = (Vec::new(), Vec::new());
    for due in &watched.due {
        match deliver(env, account, &settings.alerts, due).await {
            Ok(()) => delivered.push(due.id),
            Err(e) => {
                failed.push(due.id);
                done.undelivered += 1;
                let mut line = Event::new("alert");
                line.set("account", account.as_str())
                    .set("id", due.id)
                    .set("error", e);
                line.emit();
            }
        }
    }
    if !watched.due.is_empty() {
        done.delivered = delivered.len() as u64;
        let op = LogOp::Settled {
            delivered,
            failed,
            now_ms,
        };
        log.step::<Value>(op)?;
    }
    (done.voicemails_retried, done.voicemails_deferred) =
        retry_voicemails(log, env, kv, account).await?;
    Ok(done)
}

/// Every registered pool's idle numbers and mark, from its allocator.
async fn pool_levels(
    env: &Env,
    kv: &KvStore,
    account: &AccountSid,
) -> Result<Vec<PoolLevel>, String> {
    let prefix = store::pool_key(account, "");
    let keys = store::list::<Value>(kv, &prefix)
        .await
        .map_err(|e| e.to_string())?;
    let mut levels = Vec::new();
    for (key, _) in keys {
        let pool = &key[prefix.len()..];
        let op = PoolOp::Report {
            a: None,
            b: None,
            market: None,
        };
        let report = match ask_pool(env, account, pool, op).await? {
            Ok((_, report)) => report,
            Err(refusal) => return Err(format!("pool {pool}: {refusal:?}")),
        };
        let count = |k: &str| report[k].as_u64().unwrap_or(0) as u32;
        levels.push(PoolLevel {
            pool: pool.to_string(),
            idle: count("idle"),
            low_water: count("low_water"),
        });
    }
    Ok(levels)
}

/// One alert to every channel the account set; an account that set none
/// has nowhere to send it, and it counts as delivered (it stays listed at
/// `GET …/alerts`). Each channel goes out once, on its own (the alert's
/// ledger marks it sent): a receiver that is down neither holds back the
/// other channel nor, once it is back, costs the other a second copy. The
/// alert is delivered when every channel has gone; until then it stays due,
/// and the next run tries only what has not gone.
async fn deliver(env: &Env, account: &AccountSid, to: &Notify, due: &Due) -> Result<(), String> {
    let ledger = scope::alert(account, due.id);
    let mut errors = Vec::new();
    if let Some(url) = &to.webhook_url {
        let body = json!({
            "event": "alert",
            "account_sid": account.as_str(),
            "id": due.id,
            "alert": due.alert,
        });
        let sent = notify::once(env, &ledger, "webhook", || notify::post_json(url, &body)).await;
        errors.extend(unsent(sent));
    }
    if let (Some(sms_to), Some(from)) = (&to.sms_to, &to.sms_from) {
        // An alert stored by a newer version that this one cannot read
        // still goes out, by its id.
        let text = match serde_json::from_value::<Alert>(due.alert.clone()) {
            Ok(a) => sms_text(&a),
            Err(_) => format!("Switchboard: alert {}", due.id),
        };
        let sent = notify::once(env, &ledger, "sms", || {
            notify::sms(env, account, sms_to, from, text)
        })
        .await;
        errors.extend(unsent(sent));
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors.join("; "))
    }
}

/// Why a channel has not gone, if it has not.
fn unsent(sent: Sent) -> Option<String> {
    match sent {
        Sent::Now | Sent::Before => None,
        Sent::Elsewhere => Some("another run is sending it".into()),
        Sent::Not(e) => Some(e),
    }
}

/// Where the last run's turn through the waiting voicemails stopped, in
/// the account's `CallLog` (`meta`).
const RETRY_OFFSET: &str = "voicemail_retry_offset";

/// Voicemails whose notices are still pending (their key's metadata says
/// so): sent again, through the same once-per-channel ledger the calls
/// worker uses, so a notice never goes twice. A message stored before the
/// voicemail list had its own keys (no `listed` in its metadata) is
/// written again once, which puts it in the list. At most
/// [`RETRIES_PER_RUN`] of them a run, in turn (`retry_turn`). Answers how
/// many were retried and how many wait for a later run.
async fn retry_voicemails(
    log: &impl LogSteps,
    env: &Env,
    kv: &KvStore,
    account: &AccountSid,
) -> Result<(u64, u64), String> {
    let keys = store::list::<VoicemailMeta>(kv, &store::voicemails_prefix(account))
        .await
        .map_err(|e| e.to_string())?;
    let waiting: Vec<(String, bool, bool)> = keys
        .into_iter()
        .map(|(key, meta)| {
            let pending = meta.is_some_and(|m| m.pending > 0);
            let unlisted = meta.is_none_or(|m| !m.listed);
            (key, pending, unlisted)
        })
        .filter(|(_, pending, unlisted)| *pending || *unlisted)
        .collect();
    let offset: usize = log.meta(RETRY_OFFSET)?.unwrap_or(0);
    let (turn, next) = retry_turn(waiting.len(), offset, RETRIES_PER_RUN);
    // Kept before the turn: a message that fails the same way every time
    // must not hold the turn at itself.
    log.set_meta(RETRY_OFFSET, &next)?;
    let deferred = (waiting.len() - turn.len()) as u64;
    let mut retried = 0;
    for i in turn {
        let (key, pending, unlisted) = &waiting[i];
        match retry_one(env, kv, account, key, *pending, *unlisted).await {
            Ok(sent_again) => retried += u64::from(sent_again),
            Err(e) => {
                let mut line = Event::new("watch");
                line.set("account", account.as_str())
                    .set("voicemail", store::loggable(key))
                    .set("error", e);
                line.emit();
            }
        }
    }
    Ok((retried, deferred))
}

/// One waiting voicemail: its notices sent again (when its line still
/// says where), and the message written back, listed. Answers whether the
/// notices were tried.
async fn retry_one(
    env: &Env,
    kv: &KvStore,
    account: &AccountSid,
    key: &str,
    pending: bool,
    unlisted: bool,
) -> Result<bool, String> {
    let Some(mut message) = store::get_json::<Message>(kv, key)
        .await
        .map_err(|e| e.to_string())?
    else {
        return Ok(false);
    };
    let mut changed = unlisted;
    let mut tried = false;
    if pending {
        let line = match E164::parse(&message.to) {
            Ok(to) => store::line(kv, account, &to, Fresh::Kv)
                .await
                .map_err(|e| e.to_string())?,
            Err(_) => None,
        };
        if let Some(line) = line {
            notify::deliver(env, account, &mut message, &line.voicemail.notify).await;
            changed = true;
            tried = true;
        }
    }
    if changed {
        store::put_voicemail(kv, key, &message)
            .await
            .map_err(|e| e.to_string())?;
    }
    Ok(tried)
}
