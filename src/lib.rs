//! Switchboard: answers phone calls at the edge.
//!
//! The domain modules are plain Rust and build and test natively; only
//! `edge` (compiled for wasm) knows about the Workers runtime.

pub mod account;
pub mod body;
pub mod config;
pub mod fallback;
pub mod form;
pub mod ledger;
pub mod masking;
pub mod outbound;
pub mod outcome;
pub mod phone;
pub mod render;
pub mod screening;
pub mod signature;
pub mod voicemail;

#[cfg(target_arch = "wasm32")]
mod edge;
