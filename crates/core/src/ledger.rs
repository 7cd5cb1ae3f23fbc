//! What must be exact under a burst: rate counters that guard money, the
//! attempts left on a verification code, one-time claims (a replayed token,
//! a notification already sent, a proxy number already in a pool). KV cannot
//! hold these: it has no increment and is eventually consistent, so two edge
//! locations can both read "4 of 5" and both go on. The edge keeps them in a
//! Durable Object per scope, which runs one request at a time; this module is
//! what that object decides, pure, with the clock passed in.

use crate::outbound::verification::{Pending, Verdict};
use crate::phone::E164;
use serde::{Deserialize, Serialize};

/// A request to one scope's ledger.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Op {
    /// Hold `key` for `holder` until `until_ms` (None: until released).
    Claim {
        key: String,
        holder: String,
        until_ms: Option<u64>,
    },
    /// Let `key` go, if `holder` holds it.
    Release { key: String, holder: String },
    /// Hand `key` from `from` to `to` (a lease becoming a permanent mark).
    Replace {
        key: String,
        from: String,
        to: String,
        until_ms: Option<u64>,
    },
    /// Count one against every limit, all or nothing, in the current hour.
    Take { limits: Vec<Limit> },
    /// Keep a new verification code for `to` (replacing any older one).
    Issue { pending: Pending },
    /// Drop the code in flight (it could not be sent).
    Withdraw,
    /// Check a code, or every code-shaped run of digits in a text message.
    Verify { to: E164, answer: Answer },
    /// Every key held under `prefix`: a registry's members.
    Keys { prefix: String },
}

/// One rate limit: at most `limit` in an hour under `key`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Limit {
    pub key: String,
    pub limit: u32,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Answer {
    Code(String),
    Text { text: String, code_length: u8 },
}

/// What the ledger answered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "answer", rename_all = "snake_case")]
pub enum Reply {
    Claimed,
    /// Someone else holds the key.
    Held {
        holder: String,
    },
    Released,
    /// Counted: the counts after this one, in the order of the limits.
    Taken {
        counts: Vec<u32>,
    },
    /// Not counted: the first limit already reached.
    Limited {
        key: String,
        limit: u32,
    },
    Issued,
    Withdrawn,
    /// The keys held under the prefix asked for, in order.
    Keys {
        keys: Vec<String>,
    },
    Verdict {
        verdict: Verdict,
    },
}

/// A held key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claim {
    pub holder: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until_ms: Option<u64>,
}

impl Claim {
    pub fn live(&self, now_ms: u64) -> bool {
        self.until_ms.is_none_or(|u| u > now_ms)
    }
}

/// Taking a key that is free, expired, or already ours succeeds (so a retry
/// of the same claim is harmless); a live claim of someone else's wins.
pub fn claim(
    current: Option<&Claim>,
    holder: &str,
    until_ms: Option<u64>,
    now_ms: u64,
) -> Result<Claim, Claim> {
    match current {
        Some(c) if c.holder != holder && c.live(now_ms) => Err(c.clone()),
        _ => Ok(Claim {
            holder: holder.to_string(),
            until_ms,
        }),
    }
}

/// Only the holder of a live claim may hand it on.
pub fn replace(
    current: Option<&Claim>,
    from: &str,
    to: &str,
    until_ms: Option<u64>,
    now_ms: u64,
) -> Result<Claim, Option<Claim>> {
    match current {
        Some(c) if c.holder == from && c.live(now_ms) => Ok(Claim {
            holder: to.to_string(),
            until_ms,
        }),
        other => Err(other.cloned()),
    }
}

/// The hour a count belongs to: counters reset on the hour, as the limits
/// are "per hour" in the account's config.
pub fn hour_of(now_ms: u64) -> u64 {
    now_ms / 3_600_000
}

/// Counts one against every limit when none is reached yet; else names the
/// first that is. `counts` are this hour's, in the order of `limits`.
pub fn take(counts: &[u32], limits: &[Limit]) -> Result<Vec<u32>, Limit> {
    if let Some((_, l)) = counts
        .iter()
        .zip(limits)
        .find(|(count, limit)| **count >= limit.limit)
    {
        return Err(l.clone());
    }
    Ok(counts.iter().map(|c| c + 1).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn limits(a: u32, b: u32) -> Vec<Limit> {
        vec![
            Limit {
                key: "to:+14155550100".into(),
                limit: a,
            },
            Limit {
                key: "account".into(),
                limit: b,
            },
        ]
    }

    #[test]
    fn a_count_is_taken_against_every_limit_or_none() {
        assert_eq!(take(&[0, 0], &limits(5, 100)), Ok(vec![1, 1]));
        assert_eq!(take(&[4, 10], &limits(5, 100)), Ok(vec![5, 11]));
        assert_eq!(
            take(&[5, 10], &limits(5, 100)).unwrap_err().key,
            "to:+14155550100"
        );
        assert_eq!(take(&[1, 100], &limits(5, 100)).unwrap_err().key, "account");
    }

    #[test]
    fn a_limit_of_zero_refuses_everything() {
        assert!(take(&[0, 0], &limits(0, 100)).is_err());
    }

    #[test]
    fn a_live_claim_of_another_holder_wins() {
        let mine = claim(None, "a", Some(1_000), 0).unwrap();
        assert_eq!(claim(Some(&mine), "b", None, 500), Err(mine.clone()));
        // The same holder again (a retried request) is not refused.
        assert!(claim(Some(&mine), "a", Some(2_000), 500).is_ok());
        // An expired lease is free again: a sender that died does not block a retry.
        assert!(claim(Some(&mine), "b", None, 1_000).is_ok());
    }

    #[test]
    fn a_claim_without_an_end_never_expires() {
        let held = claim(None, "acct/pool", None, 0).unwrap();
        assert!(claim(Some(&held), "other/pool", None, u64::MAX).is_err());
    }

    #[test]
    fn only_the_holder_hands_a_claim_on() {
        let lease = claim(None, "lease-1", Some(100), 0).unwrap();
        assert_eq!(
            replace(Some(&lease), "lease-1", "sent", None, 50),
            Ok(Claim {
                holder: "sent".into(),
                until_ms: None
            })
        );
        assert!(replace(Some(&lease), "lease-2", "sent", None, 50).is_err());
        assert!(replace(Some(&lease), "lease-1", "sent", None, 100).is_err());
        assert!(replace(None, "lease-1", "sent", None, 0).is_err());
    }

    #[test]
    fn counters_reset_on_the_hour() {
        assert_eq!(hour_of(3_599_999), 0);
        assert_eq!(hour_of(3_600_000), 1);
    }
}
