//! Who is calling the management API. The deployment's root token
//! (`ADMIN_TOKEN`) reaches everything; an account token reaches one
//! account's paths and nothing else. Account tokens are created by the root,
//! shown once, and stored only as a SHA-256 of their secret part: they are
//! 128 random bits, so a fast hash is enough and a leaked store gives away
//! no usable token.

pub use crate::contract::tokens::{ListedToken, NewToken, Scope};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use switchboard_core::account::AccountSid;
use switchboard_edge::{clock, settings, store};
use worker::{kv::KvStore, Env};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    Root,
    Account { account: AccountSid, scope: Scope },
}

/// What is stored for a token, under `token:<AccountSid>:<id>`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Stored {
    pub id: String,
    pub scope: Scope,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    pub created_at_ms: u64,
    /// Hex SHA-256 of the secret part.
    pub hash: String,
}

/// Tokens read `sbt_<AccountSid>_<id>_<secret>`: the account and id say
/// where the hash is, so checking one is a single read.
const PREFIX: &str = "sbt_";

#[derive(Debug)]
pub enum AuthError {
    /// No token, or not one we issued: 401.
    Unknown,
    /// The root token is not configured: 503.
    Off,
    Store(String),
}

pub async fn authenticate(env: &Env, kv: &KvStore, header: &str) -> Result<Principal, AuthError> {
    let token = header.strip_prefix("Bearer ").unwrap_or("").trim();
    if let Some(rest) = token.strip_prefix(PREFIX) {
        let mut parts = rest.splitn(3, '_');
        let (Some(account), Some(id), Some(secret)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(AuthError::Unknown);
        };
        let account = AccountSid::parse(account).map_err(|_| AuthError::Unknown)?;
        if !is_id(id) {
            return Err(AuthError::Unknown);
        }
        let stored: Option<Stored> = store::get_json(kv, &store::token_key(&account, id))
            .await
            .map_err(|e| AuthError::Store(e.to_string()))?;
        let Some(stored) = stored else {
            return Err(AuthError::Unknown);
        };
        if bool::from(hash(secret).as_bytes().ct_eq(stored.hash.as_bytes())) {
            return Ok(Principal::Account {
                account,
                scope: stored.scope,
            });
        }
        return Err(AuthError::Unknown);
    }
    let root = settings::admin_token(env).ok_or(AuthError::Off)?;
    if !token.is_empty() && bool::from(token.as_bytes().ct_eq(root.as_bytes())) {
        Ok(Principal::Root)
    } else {
        Err(AuthError::Unknown)
    }
}

fn is_id(id: &str) -> bool {
    id.len() == 16 && id.bytes().all(|b| b.is_ascii_hexdigit())
}

fn hash(secret: &str) -> String {
    hex(&Sha256::digest(secret.as_bytes()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Creates a token: the whole token is in the answer and nowhere else.
pub async fn create(
    kv: &KvStore,
    account: &AccountSid,
    new: NewToken,
) -> Result<(Stored, String), String> {
    let random = clock::random_bytes(24)?;
    let (id, secret) = (hex(&random[..8]), hex(&random[8..]));
    let stored = Stored {
        id: id.clone(),
        scope: new.scope,
        label: new.label,
        created_at_ms: clock::now_ms(),
        hash: hash(&secret),
    };
    store::put_json(kv, &store::token_key(account, &id), &stored)
        .await
        .map_err(|e| e.to_string())?;
    Ok((stored, format!("{PREFIX}{account}_{id}_{secret}")))
}

/// A token as listed: never its hash.
pub fn listed(t: &Stored) -> ListedToken {
    ListedToken {
        id: t.id.clone(),
        scope: t.scope,
        label: t.label.clone(),
        created_at_ms: t.created_at_ms,
    }
}

pub fn valid_id(id: &str) -> bool {
    is_id(id)
}
