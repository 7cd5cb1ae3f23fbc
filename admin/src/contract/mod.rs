//! The management API's contract, plain Rust (built and tested natively):
//! the route table, the types each route reads and answers, paging, the
//! error body, and the OpenAPI document generated from all of them. The
//! worker's handlers (`crate::api`) use these same types, so the document
//! describes what is really sent. The document is generated natively and
//! kept in `admin/openapi.json`, which the worker serves as it is: the
//! worker's wasm carries no schema code (a native test fails when the file
//! is not the one the code generates; `UPDATE_OPENAPI=1 cargo test -p
//! switchboard-admin` writes it).

#[cfg(not(target_arch = "wasm32"))]
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
#[cfg(not(target_arch = "wasm32"))]
use utoipa::ToSchema;

/// A request that takes no fields: no body, or `{}`.
#[derive(Debug, Deserialize, Serialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NoFields {}
