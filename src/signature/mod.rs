//! Proof that a request came from the carrier.

pub mod twilio;
