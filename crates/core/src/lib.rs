//! Switchboard's core: what a call gets, decided without a runtime.
//!
//! Every module here is plain Rust, built and tested natively and in wasm,
//! and linked by both workers. Nothing here reads a clock, a secret, KV or
//! HTTP: the edge crates pass all of it in. `phonenumber` is not linked
//! either (its metadata is most of a megabyte of wasm); what the call path
//! needs of it is generated into `phone::codes` and `phone::plan`.

pub mod account;
pub mod body;
pub mod config;
pub mod dates;
pub mod fallback;
pub mod form;
pub mod idempotency;
pub mod ledger;
pub mod masking;
pub mod outbound;
pub mod outcome;
pub mod paths;
pub mod phone;
pub mod records;
pub mod render;
pub mod request_id;
pub mod screening;
pub mod signature;
pub mod voicemail;
