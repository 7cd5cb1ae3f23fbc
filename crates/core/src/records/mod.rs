//! What the call records say about an account's traffic: the figures
//! carriers judge numbers by, and the alerts worth sending about them. Pure:
//! the store counts, these modules judge.

pub mod alerts;
pub mod health;
