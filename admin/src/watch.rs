//! The scheduled watch (Cron Trigger, `admin/wrangler.toml`): for every
//! account with a call log (the registry's Ledger lists them) it
//! - asks each masking pool how many numbers are idle,
//! - has the call log prune what is past retention, judge health, note new
//!   Debugger error codes and pool levels, and keep the alerts that raises
//!   (`call_log::watch`: an alert is raised once when a condition starts and
//!   once when it clears),
//! - delivers the alerts not yet delivered, to the account's webhook and/or
//!   by SMS, and marks them delivered only when every channel took them,
//! - sends the voicemail notices still pending.
//!
//! One account's failure is logged and does not stop the others; what was
//! not delivered stays due for the next run.

use crate::allocator::{ask_pool, PoolOp};
use crate::api::monitoring;
use crate::call_log::{BINDING as CALL_LOG, REGISTRY_PREFIX};
use serde::Deserialize;
use serde_json::{json, Value};
use switchboard_core::account::AccountSid;
use switchboard_core::config::Notify;
use switchboard_core::ledger::{Op, Reply};
use switchboard_core::phone::E164;
use switchboard_core::records::alerts::Alert;
use switchboard_core::records::watch::{sms_text, PoolLevel, WatchSettings};
use switchboard_core::records::{LogOp, WatchRun};
use switchboard_core::voicemail::Message;
use switchboard_edge::ledger::{ask_ledger, scope};
use switchboard_edge::log::Event;
use switchboard_edge::notify::{self, Sent};
use switchboard_edge::objects::ask;
use switchboard_edge::store::{self, Fresh, VoicemailMeta};
use switchboard_edge::KV_BINDING;
use worker::kv::KvStore;
use worker::Env;

/// The registry of pools the watch asks: `pool:<AccountSid>:<pool>`, written
/// by the API when a pool gets settings or a number.
pub fn pool_key(account: &AccountSid, pool: &str) -> String {
    format!("pool:{account}:{pool}")
}

/// What one account's run did, for the run's log line.
#[derive(Default)]
struct Done {
    raised: u64,
    delivered: u64,
    undelivered: u64,
    voicemails_retried: u64,
    pruned: u64,
}

pub async fn run(env: &Env, now_ms: u64) {
    let mut log = Event::new("watch");
    let result = async {
        let kv = env.kv(KV_BINDING).map_err(|e| e.to_string())?;
        let listed = Op::Keys {
            prefix: REGISTRY_PREFIX.into(),
        };
        let accounts = match ask_ledger(env, &scope::registry(), &listed).await? {
            Reply::Keys { keys } => keys,
            other => return Err(format!("registry: {other:?}")),
        };
        let mut total = Done::default();
        let mut failed = 0;
        for key in &accounts {
            let Ok(account) = AccountSid::parse(&key[REGISTRY_PREFIX.len()..]) else {
                continue;
            };
            match account_run(env, &kv, &account, now_ms).await {
                Ok(done) => {
                    total.raised += done.raised;
                    total.delivered += done.delivered;
                    total.undelivered += done.undelivered;
                    total.voicemails_retried += done.voicemails_retried;
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
        Ok::<_, String>((accounts.len(), failed, total))
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

async fn account_run(
    env: &Env,
    kv: &KvStore,
    account: &AccountSid,
    now_ms: u64,
) -> Result<Done, String> {
    let settings: WatchSettings = store::get_json(kv, &monitoring::key(account))
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
    let watched: Watched = match ask::<_, Watched>(env, CALL_LOG, account.as_str(), &op).await? {
        (_, Ok(w)) => w,
        (status, Err(e)) => return Err(format!("call log answered {status}: {e}")),
    };
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
        if let (status, Err(e)) = ask::<_, Value>(env, CALL_LOG, account.as_str(), &op).await? {
            return Err(format!("call log answered {status}: {e}"));
        }
    }
    done.voicemails_retried = retry_voicemails(env, kv, account).await?;
    Ok(done)
}

/// Every registered pool's idle numbers and mark, from its allocator.
async fn pool_levels(
    env: &Env,
    kv: &KvStore,
    account: &AccountSid,
) -> Result<Vec<PoolLevel>, String> {
    let prefix = pool_key(account, "");
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

/// Voicemails whose notices are still pending (their key's metadata says
/// so): sent again, through the same once-per-channel ledger the calls
/// worker uses, so a notice never goes twice. A message stored before the
/// voicemail list had its own keys (no `listed` in its metadata) is
/// written again once, which puts it in the list.
async fn retry_voicemails(env: &Env, kv: &KvStore, account: &AccountSid) -> Result<u64, String> {
    let keys = store::list::<VoicemailMeta>(kv, &store::voicemails_prefix(account))
        .await
        .map_err(|e| e.to_string())?;
    let mut retried = 0;
    for (key, meta) in keys {
        let pending = meta.is_some_and(|m| m.pending > 0);
        let unlisted = meta.is_none_or(|m| !m.listed);
        if !pending && !unlisted {
            continue;
        }
        let Some(mut message) = store::get_json::<Message>(kv, &key)
            .await
            .map_err(|e| e.to_string())?
        else {
            continue;
        };
        let mut changed = unlisted;
        if pending {
            let line = match E164::parse(&message.to) {
                Ok(to) => store::line(kv, account, &to, Fresh::Kv)
                    .await
                    .map_err(|e| e.to_string())?,
                Err(_) => None,
            };
            if let Some(line) = line {
                notify::deliver(env, account, &mut message, &line.voicemail.notify).await;
                retried += 1;
                changed = true;
            }
        }
        if changed {
            store::put_voicemail(kv, &key, &message)
                .await
                .map_err(|e| e.to_string())?;
        }
    }
    Ok(retried)
}
