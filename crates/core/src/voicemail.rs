//! A recorded message, as kept in the store and listed to the owner.

use crate::form::{FormError, Params};
use crate::phone::Party;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Message {
    pub call_sid: String,
    pub account_sid: String,
    /// The caller as the carrier gave it (E.164, or `anonymous`, ...).
    pub from: String,
    /// The line that was called.
    pub to: String,
    pub recording_url: String,
    pub recording_sid: String,
    pub duration_secs: u32,
    pub received_at_ms: u64,
    /// Which handler took it: `line` or `fallback`.
    pub via: String,
    /// Notifications not yet delivered (`sms`, `webhook`); retried on the
    /// next callback for this call.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pending: Vec<Channel>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = NoticeChannel))]
pub enum Channel {
    Sms,
    Webhook,
}

impl Message {
    /// From a `<Record>` action request.
    pub fn from_recording(
        params: &Params,
        received_at_ms: u64,
        via: &str,
    ) -> Result<Message, FormError> {
        let field = |name: &'static str| params.require(name).map(str::to_string);
        let duration_secs = params
            .get("RecordingDuration")
            .unwrap_or("0")
            .parse()
            .map_err(|_| FormError::BadField {
                field: "RecordingDuration",
                why: "not a whole number of seconds".into(),
            })?;
        Ok(Message {
            call_sid: field("CallSid")?,
            account_sid: field("AccountSid")?,
            from: params.get("From").unwrap_or("").to_string(),
            to: params.get("To").unwrap_or("").to_string(),
            recording_url: field("RecordingUrl")?,
            recording_sid: params.get("RecordingSid").unwrap_or("").to_string(),
            duration_secs,
            received_at_ms,
            via: via.to_string(),
            pending: Vec::new(),
            last_error: None,
        })
    }

    /// The text the owner gets.
    pub fn sms_body(&self) -> String {
        format!(
            "New voicemail on {} from {} ({} s): {}",
            self.to,
            if self.from.is_empty() {
                "a withheld number"
            } else {
                &self.from
            },
            self.duration_secs,
            self.recording_url
        )
    }

    pub fn caller_masked(&self) -> String {
        Party::from_carrier(&self.from, false).masked()
    }
}

#[cfg(test)]
mod tests {
    // The same tests run compiled to wasm, under Node (scripts/test.sh).
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn a_recording_callback_becomes_a_message() {
        let p = Params::parse(
            "CallSid=CA1&AccountSid=AC1&From=%2B14155550100&To=%2B14155550199\
             &RecordingUrl=https%3A%2F%2Fapi.twilio.com%2Fr%2FRE1&RecordingSid=RE1&RecordingDuration=7",
        )
        .unwrap();
        let m = Message::from_recording(&p, 1_700_000_000_000, "fallback").unwrap();
        assert_eq!(m.duration_secs, 7);
        assert_eq!(m.recording_url, "https://api.twilio.com/r/RE1");
        assert_eq!(
            m.sms_body(),
            "New voicemail on +14155550199 from +14155550100 (7 s): https://api.twilio.com/r/RE1"
        );
        assert_eq!(m.caller_masked(), "***0100");
    }

    #[test]
    fn a_callback_without_a_recording_is_refused() {
        let p = Params::parse("CallSid=CA1&AccountSid=AC1").unwrap();
        assert_eq!(
            Message::from_recording(&p, 0, "line"),
            Err(FormError::MissingField("RecordingUrl"))
        );
        let p =
            Params::parse("CallSid=CA1&AccountSid=AC1&RecordingUrl=u&RecordingDuration=x").unwrap();
        assert!(Message::from_recording(&p, 0, "line").is_err());
    }
}
