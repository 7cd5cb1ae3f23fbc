//! Call records, Debugger events, traffic health, usage and alerts, as the
//! account's `CallLog` object answers them and the API shows them.

use serde::{Deserialize, Serialize};
use switchboard_core::records::alerts::Alert;
use switchboard_core::records::health::{Health, Thresholds};
use switchboard_core::records::trend::Day;
#[cfg(not(target_arch = "wasm32"))]
use utoipa::ToSchema;

/// A call record.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ToSchema))]
pub struct CallRecord {
    pub call_sid: String,
    pub parent_call_sid: Option<String>,
    /// `inbound`, `outbound-api`, `outbound-dial`, … as Twilio reports it.
    pub direction: String,
    pub from: String,
    pub to: String,
    /// What placed or took the leg: `inbound`, `owner_dial`, `api_call`, …
    pub feature: String,
    pub session: Option<String>,
    /// What we decided, for a call we answered.
    pub decision: Option<CallDecision>,
    pub stir_verstat: Option<String>,
    pub status: Option<String>,
    pub started_ms: i64,
    pub updated_ms: i64,
    pub duration_secs: Option<i64>,
    pub sip_response_code: Option<i64>,
    pub answered_by: Option<String>,
    pub queue_time_ms: Option<i64>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ToSchema))]
pub struct CallDecision {
    pub route: Option<String>,
    pub outcome: String,
    pub reason: Option<String>,
}

/// `GET …/calls`: newest first.
#[derive(Debug, Serialize, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ToSchema))]
pub struct CallPage {
    pub calls: Vec<CallRecord>,
    pub next_cursor: Option<String>,
}

/// One status event of a call, once by sequence number.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ToSchema))]
pub struct CallEvent {
    pub seq: i64,
    pub status: String,
    pub at_ms: i64,
}

/// `GET …/calls/{CallId}`: the record and its events in order.
#[derive(Debug, Serialize, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ToSchema))]
pub struct CallDetail {
    #[serde(flatten)]
    pub record: CallRecord,
    pub events: Vec<CallEvent>,
}

/// One Debugger event.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ToSchema))]
pub struct DebuggerEventShown {
    pub sid: String,
    pub level: String,
    pub code: String,
    pub resource: Option<String>,
    pub more_info: String,
    pub at_ms: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ToSchema))]
pub struct CodeCount {
    pub code: String,
    pub count: i64,
}

/// `GET …/debugger-events`: newest first, and every event's count by code.
#[derive(Debug, Serialize, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ToSchema))]
pub struct DebuggerPage {
    pub events: Vec<DebuggerEventShown>,
    pub by_code: Vec<CodeCount>,
    pub next_cursor: Option<String>,
}

/// `GET …/health`.
#[derive(Debug, Serialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ToSchema))]
pub struct HealthReport {
    pub now_ms: u64,
    pub thresholds: Thresholds,
    pub windows: Vec<HealthWindow>,
}

/// One window (`24h`, `7d`): the account's health and each placing number's.
#[derive(Debug, Serialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ToSchema))]
pub struct HealthWindow {
    pub window: String,
    pub account: Health,
    pub numbers: Vec<NumberHealth>,
}

#[derive(Debug, Serialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ToSchema))]
pub struct NumberHealth {
    pub number: String,
    #[serde(flatten)]
    pub health: Health,
}

/// `GET …/health/days`: the health figures a UTC day at a time, oldest first.
#[derive(Debug, Serialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ToSchema))]
pub struct HealthDays {
    pub days: Vec<Day>,
}

/// Calls and minutes over a span.
#[derive(Debug, Serialize, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ToSchema))]
pub struct UsageTotals {
    pub from_ms: u64,
    pub to_ms: u64,
    pub calls: i64,
    pub minutes: i64,
    pub seconds: i64,
    pub by_direction_and_feature: Vec<UsageRow>,
}

#[derive(Debug, Serialize, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ToSchema))]
pub struct UsageRow {
    pub direction: String,
    pub feature: String,
    pub calls: i64,
    pub seconds: i64,
    /// Per call, rounded up, as Twilio bills a leg.
    pub minutes: i64,
}

/// `GET …/usage`: one UTC month.
#[derive(Debug, Serialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ToSchema))]
pub struct Usage {
    /// `YYYY-MM`.
    pub month: String,
    #[serde(flatten)]
    pub totals: UsageTotals,
}

/// An alert the watch raised.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ToSchema))]
pub struct RaisedAlert {
    pub id: i64,
    pub at_ms: i64,
    pub alert: Alert,
    /// When it went out (or was settled with nowhere to go); null while due.
    pub delivered_ms: Option<i64>,
}

/// `GET …/alerts`: newest first.
#[derive(Debug, Serialize, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ToSchema))]
pub struct AlertPage {
    pub alerts: Vec<RaisedAlert>,
    pub next_cursor: Option<String>,
}
