//! Masking pools: their settings, numbers and sessions.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use switchboard_core::masking::call::Carrier;
use switchboard_core::masking::{ProxyNumber, Session, State};
#[cfg(not(target_arch = "wasm32"))]
use utoipa::ToSchema;

/// Pool-wide settings kept beside the pool.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ToSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(not(target_arch = "wasm32"), schema(examples(json!({"grace_secs": 600, "low_water": 1}))))]
pub struct Settings {
    pub grace_secs: u32,
    pub low_water: u32,
    /// Said to the caller before bridging; `{name}` is the other party's
    /// `a_name`/`b_name` label.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub announce: Option<String>,
    #[serde(default)]
    pub record: bool,
    #[serde(default)]
    pub carrier: Carrier,
}

/// `PATCH …/settings`: only the fields given change.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SettingsPatch {
    #[serde(default)]
    pub grace_secs: Option<u32>,
    #[serde(default)]
    pub low_water: Option<u32>,
    /// `null` removes the announcement.
    #[serde(default, with = "double_option")]
    #[cfg_attr(not(target_arch = "wasm32"), schema(value_type = Option<String>))]
    pub announce: Option<Option<String>>,
    #[serde(default)]
    pub record: Option<bool>,
    #[serde(default)]
    pub carrier: Option<Carrier>,
}

/// Tells a field that is absent (`None`) from one set to `null` (`Some(None)`).
mod double_option {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};
    pub fn deserialize<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
        d: D,
    ) -> Result<Option<Option<T>>, D::Error> {
        Option::<T>::deserialize(d).map(Some)
    }
    pub fn serialize<S: Serializer, T: Serialize>(
        v: &Option<Option<T>>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        match v {
            None => s.serialize_none(),
            Some(inner) => inner.serialize(s),
        }
    }
}

impl SettingsPatch {
    pub fn apply(self, s: &mut Settings) {
        if let Some(v) = self.grace_secs {
            s.grace_secs = v;
        }
        if let Some(v) = self.low_water {
            s.low_water = v;
        }
        if let Some(v) = self.announce {
            s.announce = v;
        }
        if let Some(v) = self.record {
            s.record = v;
        }
        if let Some(v) = self.carrier {
            s.carrier = v;
        }
    }
}

/// `PUT …/numbers/{Number}`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NumberSettings {
    #[serde(default)]
    pub market: Option<String>,
}

/// `POST …/sessions`.
#[derive(Debug, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ToSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(not(target_arch = "wasm32"), schema(examples(json!({"a": "+14155550199", "b": "+14155550402", "ttl_secs": 3600}))))]
pub struct NewSessionRequest {
    pub a: String,
    pub b: String,
    #[serde(default)]
    pub ttl_secs: Option<u32>,
    #[serde(default)]
    pub market: Option<String>,
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    /// Texts sent to each party from the proxy number once the session exists.
    #[serde(default)]
    pub notify: Option<PartyTexts>,
}

#[derive(Debug, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PartyTexts {
    #[serde(default)]
    pub a: Option<String>,
    #[serde(default)]
    pub b: Option<String>,
}

/// Whether each party's text went out.
#[derive(Debug, Default, Serialize, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ToSchema))]
pub struct Notified {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub a: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub b: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// `POST …/sessions`.
#[derive(Debug, Serialize, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ToSchema))]
pub struct CreatedSession {
    pub session: Session,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notified: Option<Notified>,
}

/// `GET …/sessions`: live and in-grace sessions, oldest first, each with
/// its state.
#[derive(Debug, Serialize, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ToSchema))]
pub struct SessionPage {
    pub sessions: Vec<SessionListed>,
    pub next_cursor: Option<String>,
}

/// A session as `GET …/sessions` lists it: its fields and its state.
#[derive(Debug, Serialize, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ToSchema))]
pub struct SessionListed {
    #[serde(flatten)]
    pub session: Session,
    pub state: State,
}

/// `GET …/sessions/{SessionId}`.
#[derive(Debug, Serialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ToSchema))]
pub struct SessionShown {
    pub session: Session,
    pub state: State,
}

/// A pool of the account's, as `GET …/pools` lists it.
#[derive(Debug, Serialize, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ToSchema))]
pub struct PoolListed {
    pub name: String,
}

/// `GET …/pools`: by name.
#[derive(Debug, Serialize, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ToSchema))]
pub struct PoolPage {
    pub pools: Vec<PoolListed>,
    pub next_cursor: Option<String>,
}

/// `GET …/numbers`: by number.
#[derive(Debug, Serialize, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ToSchema))]
pub struct NumberPage {
    pub numbers: Vec<ProxyNumber>,
    pub next_cursor: Option<String>,
}

/// `PUT …/numbers/{Number}`: every number of the pool now.
#[derive(Debug, Serialize, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ToSchema))]
pub struct PoolNumbers {
    pub numbers: Vec<ProxyNumber>,
}

/// `DELETE …/numbers/{Number}`: gone now, or draining until its sessions end.
#[derive(Debug, Serialize, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ToSchema))]
pub struct NumberRemoved {
    pub removed: bool,
    pub draining: bool,
}

#[derive(Debug, Serialize, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ToSchema))]
pub struct Reindexed {
    pub reindexed: usize,
}
