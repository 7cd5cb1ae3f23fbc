//! Workers KV: the key layout and the typed reads and writes.
//!
//! | key | value | written by |
//! |---|---|---|
//! | `line:<AccountSid>:<To>` | `LineConfig` | management API |
//! | `entry:<AccountSid>:<To>:<From>` | `Entry` (allow, block, forward), also as metadata | management API, vCard import |
//! | `entry:<AccountSid>:*:<From>` | `Entry` (account-wide block) | management API |
//! | `gray:<AccountSid>:<To>:<From>` | `Graylist` counters | calls (only when they change) |
//! | `vm:<AccountSid>:<CallSid>` | `voicemail::Message` | voicemail callbacks |
//! | `vm:<AccountSid>:<CallSid>:fallback` | `voicemail::Message` taken by the fallback | fallback callbacks |
//! | `vmt:<AccountSid>:<newest-first time>:<CallSid>[:fallback]` | empty: the voicemail list's order | voicemail callbacks, the watch (for older messages) |
//! | `acct:<AccountSid>` | `outbound::Outbound` | management API |
//! | `token:<AccountSid>:<id>` | an account API token (its hash) | management API (root) |
//! | `proxy:<proxy>:<party>` | the masking index entry | the pool's allocator |
//!
//! A call reads its line and both list entries in one bulk read (cached at the
//! edge for `CONFIG_CACHE_SECS`, and in a warm calls isolate for
//! `HOT_CONFIG_SECS`: see [`Fresh`]), and its counters in a second read only
//! when the lists leave the decision to them.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use switchboard_core::account::AccountSid;
use switchboard_core::config::{ConfigError, LineConfig};
use switchboard_core::phone::E164;
use switchboard_core::screening::graylist::Graylist;
use switchboard_core::screening::{needs_counters, Entry};
use switchboard_core::voicemail::Message;
use worker::kv::KvStore;

/// How stale config and lists may be at one edge location. KV's own
/// propagation between locations adds up to about a minute on top.
pub const CONFIG_CACHE_SECS: u64 = 60;

pub fn line_key(account: &AccountSid, to: &E164) -> String {
    format!("line:{account}:{to}")
}

pub fn lines_prefix(account: &AccountSid) -> String {
    format!("line:{account}:")
}

pub fn entry_key(account: &AccountSid, to: &E164, from: &E164) -> String {
    format!("entry:{account}:{to}:{from}")
}

/// Every list entry of one line.
pub fn entries_prefix(account: &AccountSid, to: &E164) -> String {
    format!("entry:{account}:{to}:")
}

pub fn account_entry_key(account: &AccountSid, from: &E164) -> String {
    format!("entry:{account}:*:{from}")
}

pub fn account_entries_prefix(account: &AccountSid) -> String {
    format!("entry:{account}:*:")
}

pub fn gray_key(account: &AccountSid, to: &E164, from: &E164) -> String {
    format!("gray:{account}:{to}:{from}")
}

/// Every caller counted on one line.
pub fn gray_prefix(account: &AccountSid, to: &E164) -> String {
    format!("gray:{account}:{to}:")
}

pub fn voicemail_key(account: &AccountSid, call_sid: &str) -> String {
    format!("vm:{account}:{call_sid}")
}

/// A message the fallback took: its own key, so it can never overwrite the
/// message a line's own voicemail stored for the same call.
pub fn fallback_voicemail_key(account: &AccountSid, call_sid: &str) -> String {
    format!("vm:{account}:{call_sid}:fallback")
}

pub fn voicemails_prefix(account: &AccountSid) -> String {
    format!("vm:{account}:")
}

/// The latest time a listing key can order (year 2286).
const TIME_SPAN: u64 = 9_999_999_999_999;

/// The voicemail list's key for the message at `message_key`: KV lists keys
/// in byte order, so the time is written counting down from [`TIME_SPAN`]
/// in 13 digits, and the newest message comes first. A page of the list is
/// one KV list call and one bulk read of its messages, never all of them.
/// Messages stay under their call's key (`vm:…:<CallSid>`) because the
/// callbacks that update them know the call, not its time.
pub fn voicemail_listing_key(
    account: &AccountSid,
    message_key: &str,
    received_at_ms: u64,
) -> String {
    let rest = message_key
        .strip_prefix(&voicemails_prefix(account))
        .unwrap_or(message_key);
    let countdown = TIME_SPAN.saturating_sub(received_at_ms.min(TIME_SPAN));
    format!("vmt:{account}:{countdown:013}:{rest}")
}

pub fn voicemail_listing_prefix(account: &AccountSid) -> String {
    format!("vmt:{account}:")
}

/// The message a listing key points to.
pub fn voicemail_of_listing(account: &AccountSid, listing_key: &str) -> Option<String> {
    let rest = listing_key.strip_prefix(&voicemail_listing_prefix(account))?;
    let (_, call) = rest.split_once(':')?;
    Some(format!("{}{call}", voicemails_prefix(account)))
}

/// The account's outbound config.
pub fn outbound_key(account: &AccountSid) -> String {
    format!("acct:{account}")
}

pub fn token_key(account: &AccountSid, id: &str) -> String {
    format!("token:{account}:{id}")
}

pub fn tokens_prefix(account: &AccountSid) -> String {
    format!("token:{account}:")
}

/// The masking index: what a call from `party` to `proxy` reaches.
pub fn proxy_key(proxy: &E164, party: &E164) -> String {
    format!("proxy:{proxy}:{party}")
}

/// The registry of an account's masking pools (an empty value), written
/// when a pool gets settings or a number and removed when it is deleted:
/// what `GET …/pools` lists and the scheduled watch asks. `pool = ""` is
/// the account's prefix.
pub fn pool_key(account: &AccountSid, pool: &str) -> String {
    format!("pool:{account}:{pool}")
}

/// The account's watch settings (`PUT …/monitoring`).
pub fn watch_key(account: &AccountSid) -> String {
    format!("watch:{account}")
}

/// A key as it may appear in a log line or an error: phone numbers in it
/// masked to their last four digits, like everywhere else in the logs.
pub fn loggable(key: &str) -> String {
    key.split(':')
        .map(|part| match E164::parse(part) {
            Ok(n) => n.masked(),
            Err(_) if part.starts_with('+') => "***".to_string(),
            Err(_) => part.to_string(),
        })
        .collect::<Vec<_>>()
        .join(":")
}

#[derive(Debug)]
pub enum StoreError {
    Kv(String),
    /// A stored value no longer parses or validates.
    Broken {
        key: String,
        why: String,
    },
}

impl std::fmt::Display for StoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StoreError::Kv(e) => write!(f, "KV: {e}"),
            StoreError::Broken { key, why } => {
                write!(f, "stored value {} is broken: {why}", loggable(key))
            }
        }
    }
}

impl From<worker::kv::KvError> for StoreError {
    fn from(e: worker::kv::KvError) -> StoreError {
        StoreError::Kv(e.to_string())
    }
}

pub type Result<T> = std::result::Result<T, StoreError>;

/// How fresh a read of configuration must be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fresh {
    /// From KV (its edge cache included): the API reads what it just wrote.
    Kv,
    /// From this isolate's copy when that is younger than `ttl_ms`, else KV.
    /// The call path's hot configuration (lines, list entries, outbound
    /// configs, masking index entries) is read on every call and changes
    /// rarely; a warm isolate answers without a KV round trip. The API lives
    /// in the other worker and cannot clear this copy, so a change reaches a
    /// warm calls isolate within `ttl_ms` (the README's staleness table).
    Isolate { ttl_ms: u64 },
}

/// The most keys an isolate keeps; past it the copy starts over (a lookup
/// that misses costs one KV read, never a wrong answer).
const HOT_MAX_KEYS: usize = 4096;

/// What the isolate holds of one key.
struct Hot {
    /// When it was read from KV.
    at: u64,
    text: Option<String>,
    /// The line config `text` parses to, once a call has parsed it: a warm
    /// call then skips the parse, the largest step of a screened call after
    /// the signature. It goes with the text it came from.
    line: Option<LineConfig>,
}

thread_local! {
    /// key -> what this isolate read. Workers run one isolate per thread.
    static HOT: std::cell::RefCell<std::collections::HashMap<String, Hot>> =
        std::cell::RefCell::new(std::collections::HashMap::new());
}

/// The line config stored as `text` under `key`: this isolate's parse of
/// that same text when it holds one, else parsed (and kept if the isolate
/// holds the key).
fn line_config(key: &str, text: String) -> Result<LineConfig> {
    let same = |hot: &Hot| hot.text.as_deref() == Some(text.as_str());
    let known = HOT.with(|hot| {
        let hot = hot.borrow();
        let held = hot.get(key).filter(|h| same(h))?;
        held.line.clone()
    });
    if let Some(config) = known {
        return Ok(config);
    }
    let config = LineConfig::from_stored(&text).map_err(|e| broken(key, e))?;
    HOT.with(|hot| {
        if let Some(held) = hot.borrow_mut().get_mut(key).filter(|h| same(h)) {
            held.line = Some(config.clone());
        }
    });
    Ok(config)
}

/// The text of each of `keys` (absent: `None`), in one KV bulk read for
/// those this isolate does not hold fresh enough.
async fn texts(
    kv: &KvStore,
    keys: &[String],
    fresh: Fresh,
) -> Result<std::collections::HashMap<String, Option<String>>> {
    let now = crate::clock::now_ms();
    let mut out = std::collections::HashMap::new();
    if let Fresh::Isolate { ttl_ms } = fresh {
        HOT.with(|hot| {
            let hot = hot.borrow();
            for k in keys {
                if let Some(held) = hot.get(k) {
                    if now.saturating_sub(held.at) < ttl_ms {
                        out.insert(k.clone(), held.text.clone());
                    }
                }
            }
        });
    }
    let missing: Vec<String> = keys
        .iter()
        .filter(|k| !out.contains_key(*k))
        .cloned()
        .collect();
    if missing.is_empty() {
        return Ok(out);
    }
    let mut read = if let [key] = missing.as_slice() {
        let text = kv.get(key).cache_ttl(CONFIG_CACHE_SECS).text().await?;
        std::collections::HashMap::from([(key.clone(), text)])
    } else {
        kv.get_bulk(&missing)
            .cache_ttl(CONFIG_CACHE_SECS)
            .text()
            .await?
    };
    for k in missing {
        let v = read.remove(&k).flatten();
        if matches!(fresh, Fresh::Isolate { .. }) {
            HOT.with(|hot| {
                let mut hot = hot.borrow_mut();
                if hot.len() >= HOT_MAX_KEYS {
                    hot.clear();
                }
                hot.insert(
                    k.clone(),
                    Hot {
                        at: now,
                        text: v.clone(),
                        line: None,
                    },
                );
            });
        }
        out.insert(k, v);
    }
    Ok(out)
}

/// One value of hot configuration as JSON (`None`: absent).
pub async fn get_config<T: DeserializeOwned>(
    kv: &KvStore,
    key: &str,
    fresh: Fresh,
) -> Result<Option<T>> {
    let mut read = texts(kv, &[key.to_string()], fresh).await?;
    parse_json(key, read.remove(key).flatten())
}

/// What one call needs from the store.
pub struct CallFacts {
    pub line: Option<LineConfig>,
    pub entry: Entry,
    pub account_blocked: bool,
    pub graylist: Graylist,
}

/// One KV operation for the line and both list entries (a bulk read), and a
/// second for the counters only when the lists do not decide the call. A
/// withheld caller has no entries or counters to read.
pub async fn call_facts(
    kv: &KvStore,
    account: &AccountSid,
    to: &E164,
    from: Option<&E164>,
    fresh: Fresh,
) -> Result<CallFacts> {
    let line_key = line_key(account, to);
    let mut keys = vec![line_key.clone()];
    if let Some(from) = from {
        keys.push(entry_key(account, to, from));
        keys.push(account_entry_key(account, from));
    }
    let mut cached = texts(kv, &keys, fresh).await?;
    let mut take = |key: &str| cached.remove(key).flatten();
    let line = take(&line_key)
        .map(|text| line_config(&line_key, text))
        .transpose()?;
    let entry: Entry = match keys.get(1) {
        Some(k) => parse_or_default(k, take(k))?,
        None => Entry::default(),
    };
    let account_entry: Entry = match keys.get(2) {
        Some(k) => parse_or_default(k, take(k))?,
        None => Entry::default(),
    };
    let graylist = match from {
        Some(from) if line.is_some() && needs_counters(&entry, account_entry.block) => {
            let key = gray_key(account, to, from);
            let text = kv.get(&key).text().await?;
            parse_or_default(&key, text)?
        }
        _ => Graylist::default(),
    };
    Ok(CallFacts {
        line,
        entry,
        account_blocked: account_entry.block,
        graylist,
    })
}

/// A line's config alone (follow-up steps of a call, the API's imports).
pub async fn line(
    kv: &KvStore,
    account: &AccountSid,
    to: &E164,
    fresh: Fresh,
) -> Result<Option<LineConfig>> {
    let key = line_key(account, to);
    texts(kv, std::slice::from_ref(&key), fresh)
        .await?
        .remove(&key)
        .flatten()
        .map(|text| line_config(&key, text))
        .transpose()
}

pub async fn get_json<T: DeserializeOwned>(kv: &KvStore, key: &str) -> Result<Option<T>> {
    parse_json(key, kv.get(key).text().await?)
}

/// A stored value that no longer parses is reported with its (masked) key.
fn parse_json<T: DeserializeOwned>(key: &str, text: Option<String>) -> Result<Option<T>> {
    text.map(|t| {
        serde_json::from_str(&t).map_err(|e| StoreError::Broken {
            key: key.into(),
            why: e.to_string(),
        })
    })
    .transpose()
}

/// Values are written as their UTF-8 bytes (`put_bytes`), which read back
/// as the same text. `put` would take the text as any `Serialize` value:
/// through `serde_wasm_bindgen`, with a branch that formats numbers, some
/// kilobytes of the calls worker's wasm for nothing we store.
pub async fn put_json<T: Serialize>(kv: &KvStore, key: &str, value: &T) -> Result<()> {
    let text = serde_json::to_string(value).map_err(|e| StoreError::Kv(e.to_string()))?;
    kv.put_bytes(key, text.as_bytes())?.execute().await?;
    Ok(())
}

/// What a stored voicemail says of itself in the key's metadata: how many
/// notices are still to go, so the scheduled watch finds the messages to
/// retry by listing keys, without reading every message.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize)]
pub struct VoicemailMeta {
    pub pending: usize,
    /// Its listing key is written ([`voicemail_listing_key`]); messages
    /// stored before the list had one are given it by the watch.
    #[serde(default)]
    pub listed: bool,
}

/// Stores a message and, the first time, its place in the voicemail list
/// (after the message: a listing key never points to nothing).
pub async fn put_voicemail(kv: &KvStore, key: &str, message: &Message) -> Result<()> {
    let account = AccountSid::parse(&message.account_sid).ok();
    let text = serde_json::to_string(message).map_err(|e| StoreError::Kv(e.to_string()))?;
    let meta = VoicemailMeta {
        pending: message.pending.len(),
        listed: account.is_some(),
    };
    kv.put_bytes(key, text.as_bytes())?
        .metadata(meta)
        .map_err(StoreError::from)?
        .execute()
        .await?;
    if let Some(account) = account {
        let listing = voicemail_listing_key(&account, key, message.received_at_ms);
        kv.put_bytes(&listing, b"")?.execute().await?;
    }
    Ok(())
}

/// List entries carry themselves as metadata too, so a line's lists can be
/// listed without reading every key.
pub async fn put_entry(kv: &KvStore, key: &str, entry: &Entry) -> Result<()> {
    if entry.is_empty() {
        kv.delete(key).await?;
        return Ok(());
    }
    let text = serde_json::to_string(entry).map_err(|e| StoreError::Kv(e.to_string()))?;
    kv.put_bytes(key, text.as_bytes())?
        .metadata(entry)
        .map_err(StoreError::from)?
        .execute()
        .await?;
    Ok(())
}

/// Every key under `prefix`, with its metadata, following the cursor.
pub async fn list<M: DeserializeOwned>(
    kv: &KvStore,
    prefix: &str,
) -> Result<Vec<(String, Option<M>)>> {
    let mut out = Vec::new();
    let mut cursor = None;
    loop {
        let mut req = kv.list().prefix(prefix.to_string());
        if let Some(c) = cursor.take() {
            req = req.cursor(c);
        }
        let page = req.execute().await?;
        for key in page.keys {
            let meta = key.metadata.and_then(|m| serde_json::from_value(m).ok());
            out.push((key.name, meta));
        }
        if page.list_complete {
            return Ok(out);
        }
        cursor = page.cursor;
        if cursor.is_none() {
            return Ok(out);
        }
    }
}

/// One page of the keys under `prefix`: at most `limit`, from where the
/// KV cursor `after` left off, and the cursor of the next page (None on
/// the last).
pub struct KeyPage<M> {
    pub keys: Vec<(String, Option<M>)>,
    pub next: Option<String>,
}

pub async fn list_page<M: DeserializeOwned>(
    kv: &KvStore,
    prefix: &str,
    limit: u32,
    after: Option<String>,
) -> Result<KeyPage<M>> {
    let mut req = kv.list().prefix(prefix.to_string()).limit(limit.into());
    if let Some(c) = after {
        req = req.cursor(c);
    }
    let page = req.execute().await?;
    let keys = page
        .keys
        .into_iter()
        .map(|k| {
            let meta = k.metadata.and_then(|m| serde_json::from_value(m).ok());
            (k.name, meta)
        })
        .collect();
    let next = if page.list_complete {
        None
    } else {
        page.cursor
    };
    Ok(KeyPage { keys, next })
}

/// The values of `keys` as JSON, in one bulk read per hundred (KV's most),
/// in the order asked; an absent key is `None`.
pub async fn get_many<T: DeserializeOwned>(
    kv: &KvStore,
    keys: &[String],
) -> Result<Vec<Option<T>>> {
    let mut out = Vec::with_capacity(keys.len());
    for chunk in keys.chunks(100) {
        let mut read = kv.get_bulk(chunk).text().await?;
        for k in chunk {
            out.push(parse_json(k, read.remove(k).flatten())?);
        }
    }
    Ok(out)
}

fn parse_or_default<T: DeserializeOwned + Default>(key: &str, text: Option<String>) -> Result<T> {
    Ok(parse_json(key, text)?.unwrap_or_default())
}

fn broken(key: &str, e: ConfigError) -> StoreError {
    StoreError::Broken {
        key: key.into(),
        why: e.to_string(),
    }
}
