//! The one shape every failure answers: `{"error": <words>, "code":
//! <stable_snake_case>}` and the fields some failures add.

use serde::Serialize;
#[cfg(not(target_arch = "wasm32"))]
use utoipa::ToSchema;

/// Every `code` the API answers. Messages are for people and may change;
/// codes are for programs and do not.
pub const CODES: &[&str] = &[
    "unauthorized",
    "api_off",
    "no_route",
    "method_not_allowed",
    "not_found",
    "read_only_token",
    "root_only",
    "malformed",
    "invalid",
    "refused_by_guard",
    "same_party",
    "duplicate_session",
    "no_such_session",
    "pool_exhausted",
    "not_in_pool",
    "already_in_pool",
    "pool_not_empty",
    "conflict",
    "idempotency_in_progress",
    "idempotency_key_reused",
    "too_large",
    "upstream",
    "unavailable",
    "internal",
];

/// A failed request's answer.
#[derive(Debug, Serialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ToSchema))]
pub struct ErrorBody {
    /// What went wrong, in words.
    pub error: String,
    /// What went wrong, for programs: one of a fixed set.
    #[cfg_attr(not(target_arch = "wasm32"), schema(schema_with = code_schema))]
    pub code: String,
    /// The request field a 422 is about (`owner.targets[0]`, `limit`, …).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// The party (`a`, `b`) the toll-fraud guard refused.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub party: Option<String>,
    /// Why the guard refused: `invalid`, `premium`, `country_not_allowed`, …
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refused: Option<String>,
    /// How many more numbers a pool needs (`pool_exhausted`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub short_by: Option<u64>,
    /// What a pool still holds (`pool_not_empty`): numbers, and live or
    /// in-grace sessions.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub numbers: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sessions: Option<u64>,
}

#[cfg(not(target_arch = "wasm32"))]
fn code_schema() -> utoipa::openapi::schema::Object {
    utoipa::openapi::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::String)
        .enum_values(Some(CODES.iter().copied()))
        .build()
}
