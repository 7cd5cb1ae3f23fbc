//! Lines, their lists, the account's block list, voicemail and the
//! simulator: what the API reads and answers.

use serde::{Deserialize, Serialize};
use switchboard_core::outcome::Target;
use switchboard_core::phone::E164;
use switchboard_core::screening::address_book::Import;
use switchboard_core::screening::Entry;
use switchboard_core::voicemail::Message;
#[cfg(not(target_arch = "wasm32"))]
use utoipa::ToSchema;

/// `GET …/lines`: the account's lines by number.
#[derive(Debug, Serialize, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ToSchema))]
pub struct LinePage {
    pub lines: Vec<E164>,
    pub next_cursor: Option<String>,
}

/// `DELETE …/lines/{To}`.
#[derive(Debug, Serialize, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ToSchema))]
pub struct LineDeleted {
    pub deleted: E164,
    pub entries_deleted: usize,
}

/// A caller on a line's lists: the number and its [`Entry`]'s fields. (Not
/// a flattened `Entry`: that type refuses unknown fields, so its schema
/// would refuse `number` too.)
#[derive(Debug, Serialize, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ToSchema))]
pub struct ListedEntry {
    pub number: E164,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub allow: bool,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub block: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub forward: Option<Target>,
}

impl ListedEntry {
    pub fn new(number: E164, entry: Entry) -> ListedEntry {
        ListedEntry {
            number,
            allow: entry.allow,
            block: entry.block,
            forward: entry.forward,
        }
    }
}

/// `GET …/lines/{To}/entries`.
#[derive(Debug, Serialize, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ToSchema))]
pub struct EntryPage {
    pub entries: Vec<ListedEntry>,
    pub next_cursor: Option<String>,
}

/// A key deleted (or already absent).
#[derive(Debug, Serialize, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ToSchema))]
pub struct Deleted {
    pub deleted: bool,
}

/// A number in the vCard file that is not a phone number.
#[derive(Debug, Serialize, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ToSchema))]
pub struct Skipped {
    pub raw: String,
    pub name: Option<String>,
    pub why: String,
}

/// `POST …/address-book`: what the import changed.
#[derive(Debug, Serialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ToSchema))]
pub struct ImportReport {
    /// Numbers in the file.
    pub numbers: usize,
    pub added: usize,
    pub removed: usize,
    pub unchanged: usize,
    pub skipped: Vec<Skipped>,
}

impl ImportReport {
    pub fn new(import: &Import, skipped: Vec<Skipped>) -> ImportReport {
        ImportReport {
            numbers: import.numbers,
            added: import.added,
            removed: import.removed,
            unchanged: import.unchanged,
            skipped,
        }
    }
}

/// A caller's graylist counters on a line.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ToSchema))]
pub struct Counters {
    pub unanswered: u8,
    pub failed: u8,
}

/// A caller a line counts, with the counters.
#[derive(Debug, Serialize, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ToSchema))]
pub struct CountedCaller {
    pub number: E164,
    pub unanswered: u8,
    pub failed: u8,
}

/// `GET …/lines/{To}/graylist`: the callers the line counts, by number.
#[derive(Debug, Serialize, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ToSchema))]
pub struct GraylistPage {
    pub graylist: Vec<CountedCaller>,
    pub next_cursor: Option<String>,
}

/// `GET …/blocked`: callers blocked on every line.
#[derive(Debug, Serialize, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ToSchema))]
pub struct BlockedPage {
    pub blocked: Vec<E164>,
    pub next_cursor: Option<String>,
}

/// `PUT …/blocked/{From}`.
#[derive(Debug, Serialize, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ToSchema))]
pub struct Blocked {
    pub number: E164,
    pub block: bool,
}

/// `GET …/voicemails`: newest first.
#[derive(Debug, Serialize, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ToSchema))]
pub struct VoicemailPage {
    pub voicemails: Vec<Message>,
    pub next_cursor: Option<String>,
}

/// `POST …/simulate`: the parameters of the call to try, as Twilio names them.
#[derive(Debug, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ToSchema))]
#[serde(deny_unknown_fields)]
#[allow(non_snake_case)]
#[cfg_attr(not(target_arch = "wasm32"), schema(examples(json!({"To": "+14155550199", "From": "+14155550101"}))))]
pub struct SimulatedCall {
    pub To: String,
    pub From: String,
    #[serde(default)]
    pub Digits: Option<String>,
    #[serde(default)]
    pub CallSid: Option<String>,
    #[serde(default)]
    pub StirVerstat: Option<String>,
}

/// What the simulated call would get. `line` is false for a number with no
/// line (the deployment's fallback answers it, and the counters are null).
#[derive(Debug, Serialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ToSchema))]
pub struct Simulation {
    pub line: bool,
    /// Why: `address_book`, `blocked`, `challenged`, … or `unknown_line`.
    pub reason: String,
    /// The outcome's kind: `connect`, `challenge`, `reject`, `voicemail`, …
    pub outcome: String,
    pub twiml: String,
    pub graylist: Option<Counters>,
    /// The counters after this call, when it would change them.
    pub graylist_after: Option<Counters>,
    /// Whether the line's hours have it open now.
    pub open: Option<bool>,
}
