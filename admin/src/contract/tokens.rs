//! The account's API tokens (managed by the root token only).

use serde::{Deserialize, Serialize};
#[cfg(not(target_arch = "wasm32"))]
use utoipa::ToSchema;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    /// GET requests, and the simulator (which writes nothing).
    Read,
    Write,
}

/// `GET …/access`: what the token that asks may do on this account, so a
/// client (the console) offers only what the API would accept.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ToSchema))]
pub struct Access {
    /// `root` (everything, tokens too), `write`, or `read` (GET requests
    /// and the simulator).
    #[cfg_attr(not(target_arch = "wasm32"), schema(examples("read")))]
    pub scope: String,
    /// Whether writes are accepted: false for a read-only token.
    pub writes: bool,
}

/// The longest label a token may carry.
pub const MAX_LABEL: usize = 200;

/// `POST …/tokens`.
#[derive(Debug, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ToSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(not(target_arch = "wasm32"), schema(examples(json!({"scope": "read", "label": "dashboard"}))))]
pub struct NewToken {
    pub scope: Scope,
    #[serde(default)]
    #[cfg_attr(not(target_arch = "wasm32"), schema(max_length = 200))]
    pub label: Option<String>,
}

/// A token as listed: never its secret or hash.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ToSchema))]
pub struct ListedToken {
    pub id: String,
    pub scope: Scope,
    pub label: Option<String>,
    pub created_at_ms: u64,
}

/// `POST …/tokens`: the whole token, shown this once.
#[derive(Debug, Serialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ToSchema))]
pub struct CreatedToken {
    #[serde(flatten)]
    pub listed: ListedToken,
    pub token: String,
}

#[derive(Debug, Serialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ToSchema))]
pub struct TokenPage {
    pub tokens: Vec<ListedToken>,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Serialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ToSchema))]
pub struct Revoked {
    pub revoked: String,
}
