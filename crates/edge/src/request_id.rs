//! The request's id (`switchboard_core::request_id`): set by the entry
//! module before the wasm runs (so a panic's answer carries it too), read
//! here for the log line. A request that reached the wasm without one (a
//! test calling it directly) gets a fresh one.

use switchboard_core::request_id::{acceptable, from_random, HEADER};
use worker::Request;

pub fn of(req: &Request) -> String {
    match req.headers().get(HEADER).ok().flatten() {
        Some(id) if acceptable(&id) => id,
        _ => fresh(),
    }
}

/// 16 random bytes as hex; the clock's if the runtime's randomness fails.
pub fn fresh() -> String {
    crate::clock::random_bytes(16)
        .map(|b| from_random(&b))
        .unwrap_or_else(|_| format!("t{}", crate::clock::now_ms()))
}
