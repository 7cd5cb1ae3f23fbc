//! Call records: what happened to each call after we answered it, and the
//! traffic health computed from them. Pure: the store (the account's
//! `CallLog` object) and the clock are the edge's.

pub mod status;
