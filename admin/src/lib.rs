//! The admin worker: the management API (`/api/v1/…`, `api`), the Durable
//! Objects (`allocator::PoolAllocator` for masking pools, `ledger::Ledger`
//! for every exact counter and claim, bound by the calls worker too), and
//! the one thing the calls worker asks of it: reading a number someone
//! dialled in a national spelling (`/internal/v1/destination`), which needs
//! `phonenumber`'s metadata that only this worker links. Its static assets
//! are the console (`/console/`). On a schedule it
//! runs the watch (`watch`): health alerts, pool low-water, voicemail
//! notices still pending, pruning.
//!
//! `contract` (the API's route table, types and OpenAPI document) is plain
//! Rust and builds natively, so its tests run with `cargo test`; everything
//! else here runs in the Workers runtime only.

pub mod contract;

#[cfg(target_arch = "wasm32")]
mod allocator;
#[cfg(target_arch = "wasm32")]
mod api;
#[cfg(target_arch = "wasm32")]
mod call_log;
#[cfg(target_arch = "wasm32")]
mod ledger;
#[cfg(target_arch = "wasm32")]
mod tokens;
#[cfg(target_arch = "wasm32")]
mod watch;
#[cfg(target_arch = "wasm32")]
mod worker_entry;

#[cfg(target_arch = "wasm32")]
pub use worker_entry::*;
