//! Proof that a request came from the carrier.

pub mod messagebird;
pub mod twilio;
