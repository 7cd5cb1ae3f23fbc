//! Everything the deployment is configured with: secrets (`wrangler secret
//! put`, locally `.dev.vars`) and plain vars (`wrangler.toml`). An empty
//! value counts as unset, so a blank line in `.dev.vars` never becomes a key.

use std::cell::RefCell;
use switchboard_core::account::AccountSid;
use worker::Env;

pub fn secret(env: &Env, name: &str) -> Option<String> {
    remembered(Kind::Secret, name, Misses::Kept, || read_secret(env, name))
}

pub fn var(env: &Env, name: &str) -> Option<String> {
    remembered(Kind::Var, name, Misses::Kept, || read_var(env, name))
}

/// A secret whose name a request chose (`TWILIO_AUTH_TOKEN_<AccountSid>`,
/// looked up before the request's signature is checked): only a secret
/// that exists is kept, so the names nobody configured, which anyone can
/// send, never take the isolate's room.
pub(crate) fn secret_named_by_request(env: &Env, name: &str) -> Option<String> {
    remembered(Kind::Secret, name, Misses::Read, || read_secret(env, name))
}

fn read_secret(env: &Env, name: &str) -> Option<String> {
    env.secret(name)
        .ok()
        .map(|s| s.to_string())
        .filter(|s| !s.is_empty())
}

fn read_var(env: &Env, name: &str) -> Option<String> {
    env.var(name)
        .ok()
        .map(|v| v.to_string())
        .filter(|v| !v.trim().is_empty())
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Var,
    Secret,
}

/// Whether a name that is not set is kept as such, or read again next time.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Misses {
    Kept,
    Read,
}

/// The most settings an isolate keeps: more than a deployment configures,
/// and a bound whatever happens.
const KEPT: usize = 256;

thread_local! {
    /// What this isolate has read of its settings. An isolate serves one
    /// version of the deployment, and a changed var or secret is a new
    /// version in new isolates, so a value read once stays right for the
    /// isolate's life. Each read from the runtime is a call into JavaScript
    /// and a string copied out of it, some of them on every webhook.
    static READ: RefCell<Vec<(Kind, String, Option<String>)>> = const { RefCell::new(Vec::new()) };
}

fn remembered(
    kind: Kind,
    name: &str,
    misses: Misses,
    read: impl FnOnce() -> Option<String>,
) -> Option<String> {
    let known = READ.with_borrow(|r| {
        r.iter()
            .find(|(k, n, _)| *k == kind && n == name)
            .map(|(_, _, v)| v.clone())
    });
    if let Some(value) = known {
        return value;
    }
    let value = read();
    if value.is_none() && misses == Misses::Read {
        return value;
    }
    READ.with_borrow_mut(|r| {
        if r.len() < KEPT {
            r.push((kind, name.to_string(), value.clone()));
        }
    });
    value
}

/// The auth token of `account`: its own secret if it has one, else the main
/// account's. Also the REST API password for that account.
pub fn auth_token(env: &Env, account: &AccountSid) -> Option<String> {
    secret_named_by_request(env, &format!("TWILIO_AUTH_TOKEN_{account}"))
        .or_else(|| secret(env, "TWILIO_AUTH_TOKEN"))
}

/// A shared signing key and the accounts it may sign for. A key signs for
/// the accounts listed in `TWILIO_SHARED_KEY_<id>_ACCOUNTS` (comma-separated
/// AccountSids) and for no other: a key that names none is unusable, so a
/// key created for one tenant can never vouch for another's request.
pub fn shared_key(env: &Env, id: &str) -> Option<(String, Vec<String>)> {
    let key = secret_named_by_request(env, &format!("TWILIO_SHARED_KEY_{id}"))?;
    // Past here the key exists, so the names below are configured ones.
    let accounts = secret(env, &format!("TWILIO_SHARED_KEY_{id}_ACCOUNTS"))
        .or_else(|| var(env, &format!("TWILIO_SHARED_KEY_{id}_ACCOUNTS")))
        .unwrap_or_default()
        .split(',')
        .map(|a| a.trim().to_string())
        .filter(|a| !a.is_empty())
        .collect();
    Some((key, accounts))
}

/// Keys the verification-code hashes and derives challenge digits.
pub fn challenge_secret(env: &Env) -> Result<String, String> {
    secret(env, "CHALLENGE_SECRET").ok_or_else(|| "the CHALLENGE_SECRET secret is not set".into())
}

/// The management API's root token.
pub fn admin_token(env: &Env) -> Option<String> {
    secret(env, "ADMIN_TOKEN")
}

/// The base URL named by `(var, default)`, without a trailing slash.
pub fn base_url(env: &Env, (name, default): (&str, &str)) -> String {
    match var(env, name) {
        Some(b) => b.trim().trim_end_matches('/').to_string(),
        None => default.to_string(),
    }
}

/// How fresh the calls worker's hot configuration must be
/// (`HOT_CONFIG_SECS`, default 10; `0` reads KV on every call).
pub fn hot_config(env: &Env) -> crate::store::Fresh {
    let secs = var(env, "HOT_CONFIG_SECS")
        .and_then(|v| v.trim().parse::<u64>().ok())
        .unwrap_or(10);
    match secs {
        0 => crate::store::Fresh::Kv,
        s => crate::store::Fresh::Isolate {
            ttl_ms: s.saturating_mul(1000),
        },
    }
}
