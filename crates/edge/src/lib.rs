//! The Workers runtime both workers share. Everything that touches `Env`,
//! KV, a Durable Object, the clock or outbound HTTP is here or in a worker's
//! own handlers; the decisions they feed are in `switchboard_core`.
//!
//! - `settings`: secrets and vars, the auth tokens, the base URLs
//! - `store`: every KV key and the typed reads and writes
//! - `clock`: the one clock (and a line's local time, randomness)
//! - `log`: one JSON line per request, numbers masked
//! - `body`: request bodies with a cap
//! - `objects`, `ledger`: typed Durable Object calls
//! - `rest`: the carrier REST APIs
//! - `notify`: a voicemail's notice to the owner, sent once per channel
//! - `facts`, `outbound`, `fallback`: what a call's decision reads, shared
//!   with the admin worker's simulator and API
#![cfg(target_arch = "wasm32")]

pub mod body;
pub mod clock;
pub mod facts;
pub mod fallback;
pub mod ledger;
pub mod log;
pub mod notify;
pub mod objects;
pub mod outbound;
pub mod outgoing;
pub mod panic;
pub mod request_id;
pub mod respond;
pub mod rest;
pub mod settings;
pub mod store;

/// The KV namespace both workers share.
pub const KV_BINDING: &str = "SWITCHBOARD";

/// The accounts' `CallLog` objects (class in the admin worker, bound by
/// both): the calls worker writes to them, the API and the watch read them.
pub const CALL_LOG_BINDING: &str = "CALL_LOG";

/// The build: crate version and the commit it came from (`GET /health`).
pub const VERSION: &str = concat!(env!("CARGO_PKG_VERSION"), "+", env!("SWITCHBOARD_COMMIT"));
