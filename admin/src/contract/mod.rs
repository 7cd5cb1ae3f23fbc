//! The management API's contract, plain Rust (built and tested natively):
//! the route table, the types each route reads and answers, paging, the
//! error body, and the OpenAPI document generated from all of them. The
//! worker's handlers (`crate::api`) use these same types, so the document
//! describes what is really sent.

pub mod document;
pub mod errors;
pub mod masking;
pub mod outbound;
pub mod page;
pub mod records;
pub mod routes;
pub mod screening;
pub mod tokens;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A request that takes no fields: no body, or `{}`.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NoFields {}
