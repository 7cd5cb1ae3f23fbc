//! Outbound: the caller-ID lookup, calls placed through the API, and
//! verification codes.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use switchboard_core::outbound::verification::{Channel, Denied};
use switchboard_core::outbound::{Pick, Rule};
use switchboard_core::phone::E164;
#[cfg(not(target_arch = "wasm32"))]
use utoipa::ToSchema;

/// Which rule chose the caller ID, and its key (the prefix or country).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ToSchema))]
pub struct PickedBy {
    pub caller_id: E164,
    pub rule: RuleName,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum RuleName {
    Prefix,
    Country,
    Default,
}

impl From<&Pick> for PickedBy {
    fn from(p: &Pick) -> PickedBy {
        let (rule, key) = match &p.rule {
            Rule::Prefix(k) => (RuleName::Prefix, Some(k.clone())),
            Rule::Country(k) => (RuleName::Country, Some(k.clone())),
            Rule::Default => (RuleName::Default, None),
        };
        PickedBy {
            caller_id: p.caller_id.clone(),
            rule,
            key,
        }
    }
}

/// `GET …/caller-id?to=`: the number a callee would see.
#[derive(Debug, Serialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ToSchema))]
pub struct CallerId {
    pub to: E164,
    /// The destination's ISO country, when the numbering plan knows it.
    pub country: Option<String>,
    #[serde(flatten)]
    pub picked: PickedBy,
}

/// `POST …/calls`: exactly one of `message`, `url`, `flow_sid`.
#[derive(Debug, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ToSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(not(target_arch = "wasm32"), schema(examples(json!({"to": "+14155550124", "message": "Your table is ready."}))))]
pub struct CallRequest {
    pub to: String,
    #[serde(default)]
    pub message: Option<String>,
    #[serde(default)]
    pub url: Option<String>,
    #[serde(default)]
    pub flow_sid: Option<String>,
    /// Handed to the Studio Flow as its `Parameters`.
    #[serde(default)]
    pub parameters: Option<Map<String, Value>>,
}

/// `POST …/calls`: the call (or Studio execution) Twilio created.
#[derive(Debug, Serialize, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ToSchema))]
pub struct CallStarted {
    pub sid: String,
    pub to: E164,
    #[serde(flatten)]
    pub picked: PickedBy,
}

/// `POST …/verifications`.
#[derive(Debug, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ToSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(not(target_arch = "wasm32"), schema(examples(json!({"to": "+14155550124", "channel": "sms"}))))]
pub struct CodeRequest {
    pub to: String,
    pub channel: Channel,
}

/// `POST …/verifications`: the code is on its way.
#[derive(Debug, Serialize, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ToSchema))]
pub struct CodeSent {
    /// Always `pending`.
    pub status: String,
    pub to: E164,
    pub channel: Channel,
    pub caller_id: E164,
    pub expires_in_secs: u32,
}

/// `POST …/verifications/check`.
#[derive(Debug, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ToSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(not(target_arch = "wasm32"), schema(examples(json!({"to": "+14155550124", "code": "123456"}))))]
pub struct CheckRequest {
    pub to: String,
    pub code: String,
}

/// `approved`, or `denied` with the reason.
#[derive(Debug, Serialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ToSchema))]
pub struct CheckResult {
    pub to: E164,
    pub status: CheckStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<Denied>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

#[derive(Debug, Clone, Copy, Serialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum CheckStatus {
    Approved,
    Denied,
}
