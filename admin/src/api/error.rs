//! Every way an API request can fail, and the one place each becomes a
//! status, a stable `code` and a JSON body: `{"error": <message>, "code":
//! <code>, ...detail}`. Messages are for people and may change; codes are for
//! programs and do not.

use crate::allocator::Refusal;
use crate::contract::page::PageError;
use crate::contract::routes::Verb;
use serde_json::{json, Map, Value};
use switchboard_core::body::BodyError;
use switchboard_core::config::ConfigError;
use switchboard_core::masking::PoolError;
use switchboard_core::outbound::Refused;
use switchboard_edge::body::Unread;
use switchboard_edge::store::StoreError;

#[derive(Debug)]
pub enum ApiError {
    /// No bearer token, or one we do not know.
    Unauthorized,
    /// `ADMIN_TOKEN` is not set: the API is off.
    Off,
    /// No such route, or another account's (they look the same).
    NoRoute,
    /// The path exists, not with this method: the ones it has.
    MethodNotAllowed(Vec<Verb>),
    /// The same Idempotency-Key's first request is still running.
    IdempotencyInProgress,
    /// The Idempotency-Key was used with another request.
    IdempotencyKeyReused,
    /// The route exists, the thing it names does not.
    NotFound(String),
    /// A read-only token tried to write.
    ReadOnly,
    /// An account token tried to manage tokens.
    RootOnly,
    /// Not JSON, not UTF-8, a bad percent escape: the request cannot be read.
    Malformed(String),
    /// Readable, but a value is wrong; `field` names it when there is one.
    Invalid {
        field: Option<String>,
        why: String,
    },
    /// The toll-fraud guard said no; `at` names where (`field` or `party`).
    Refused {
        refused: Refused,
        at: Option<(&'static str, String)>,
    },
    /// The pool's rules said no.
    Pool(PoolError),
    /// The thing is taken (a number in another pool).
    Conflict(String),
    TooLarge(String),
    /// The carrier's API refused or failed.
    Upstream(String),
    /// Our side: KV, a Durable Object, a missing secret.
    Unavailable(String),
}

pub type Reply = Result<(u16, Value), ApiError>;

impl ApiError {
    pub fn invalid(field: &str, why: impl Into<String>) -> ApiError {
        ApiError::Invalid {
            field: Some(field.to_string()),
            why: why.into(),
        }
    }

    pub fn status(&self) -> u16 {
        match self {
            ApiError::Unauthorized => 401,
            ApiError::ReadOnly | ApiError::RootOnly => 403,
            ApiError::NoRoute | ApiError::NotFound(_) => 404,
            ApiError::MethodNotAllowed(_) => 405,
            ApiError::IdempotencyInProgress => 409,
            ApiError::IdempotencyKeyReused => 422,
            ApiError::Malformed(_) => 400,
            ApiError::Invalid { .. } | ApiError::Refused { .. } => 422,
            ApiError::Pool(PoolError::SameParty) => 400,
            ApiError::Pool(PoolError::UnknownSession(_) | PoolError::NotInPool(_)) => 404,
            ApiError::Pool(_) | ApiError::Conflict(_) => 409,
            ApiError::TooLarge(_) => 413,
            ApiError::Upstream(_) => 502,
            ApiError::Off | ApiError::Unavailable(_) => 503,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            ApiError::Unauthorized => "unauthorized",
            ApiError::Off => "api_off",
            ApiError::NoRoute => "no_route",
            ApiError::MethodNotAllowed(_) => "method_not_allowed",
            ApiError::IdempotencyInProgress => "idempotency_in_progress",
            ApiError::IdempotencyKeyReused => "idempotency_key_reused",
            ApiError::NotFound(_) => "not_found",
            ApiError::ReadOnly => "read_only_token",
            ApiError::RootOnly => "root_only",
            ApiError::Malformed(_) => "malformed",
            ApiError::Invalid { .. } => "invalid",
            ApiError::Refused { .. } => "refused_by_guard",
            ApiError::Pool(PoolError::SameParty) => "same_party",
            ApiError::Pool(PoolError::DuplicateId(_)) => "duplicate_session",
            ApiError::Pool(PoolError::UnknownSession(_)) => "no_such_session",
            ApiError::Pool(PoolError::Exhausted(_)) => "pool_exhausted",
            ApiError::Pool(PoolError::NotInPool(_)) => "not_in_pool",
            ApiError::Pool(PoolError::AlreadyInPool(_)) => "already_in_pool",
            ApiError::Pool(PoolError::NotEmpty { .. }) => "pool_not_empty",
            ApiError::Conflict(_) => "conflict",
            ApiError::TooLarge(_) => "too_large",
            ApiError::Upstream(_) => "upstream",
            ApiError::Unavailable(_) => "unavailable",
        }
    }

    fn message(&self) -> String {
        match self {
            ApiError::Unauthorized => "missing or wrong bearer token".into(),
            ApiError::Off => "the management API is off: ADMIN_TOKEN is not set".into(),
            ApiError::NoRoute => "no such API route".into(),
            ApiError::MethodNotAllowed(allowed) => {
                let names: Vec<&str> = allowed.iter().map(|v| v.as_str()).collect();
                format!("this path takes {}", names.join(", "))
            }
            ApiError::IdempotencyInProgress => {
                "a request with this Idempotency-Key is still running; retry in a moment".into()
            }
            ApiError::IdempotencyKeyReused => {
                "this Idempotency-Key was used with another request; use a new key".into()
            }
            ApiError::ReadOnly => "this token is read-only".into(),
            ApiError::RootOnly => "only the root token manages tokens".into(),
            ApiError::Invalid { why, .. } => why.clone(),
            ApiError::Refused {
                refused,
                at: Some((_, at)),
            } => format!("{at}: {refused}"),
            ApiError::Refused { refused, at: None } => refused.to_string(),
            ApiError::Pool(e) => e.to_string(),
            ApiError::NotFound(m)
            | ApiError::Malformed(m)
            | ApiError::Conflict(m)
            | ApiError::TooLarge(m)
            | ApiError::Upstream(m)
            | ApiError::Unavailable(m) => m.clone(),
        }
    }

    /// What the log line keeps of a failure on our side: the message, its
    /// digits masked (a store error may quote a key).
    pub fn logged(&self) -> String {
        switchboard_edge::log::mask_digits(&self.message())
    }

    /// The fields beside `error` and `code`.
    fn detail(&self) -> Map<String, Value> {
        let mut out = Map::new();
        match self {
            ApiError::Invalid {
                field: Some(field), ..
            } => {
                out.insert("field".into(), json!(field));
            }
            ApiError::Refused { refused, at } => {
                if let Ok(Value::Object(fields)) = serde_json::to_value(refused) {
                    out.extend(fields);
                }
                if let Some((key, at)) = at {
                    out.insert((*key).into(), json!(at));
                }
            }
            ApiError::IdempotencyKeyReused => {
                out.insert("field".into(), json!("Idempotency-Key"));
            }
            ApiError::Pool(PoolError::Exhausted(x)) => {
                if let Ok(Value::Object(fields)) = serde_json::to_value(x) {
                    out.extend(fields);
                }
            }
            ApiError::Pool(PoolError::NotEmpty { numbers, sessions }) => {
                out.insert("numbers".into(), json!(numbers));
                out.insert("sessions".into(), json!(sessions));
            }
            _ => {}
        }
        out
    }

    pub fn body(&self) -> Value {
        let mut body = Map::new();
        body.insert("error".into(), json!(self.message()));
        body.insert("code".into(), json!(self.code()));
        body.extend(self.detail());
        Value::Object(body)
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> ApiError {
        ApiError::Unavailable(e.to_string())
    }
}

impl From<worker::kv::KvError> for ApiError {
    fn from(e: worker::kv::KvError) -> ApiError {
        StoreError::from(e).into()
    }
}

/// Not JSON: 400. JSON of the wrong shape, or a value that does not
/// validate: 422, naming the field.
impl From<BodyError> for ApiError {
    fn from(e: BodyError) -> ApiError {
        if e.malformed {
            return ApiError::Malformed(e.to_string());
        }
        ApiError::Invalid {
            field: Some(e.field.clone()),
            why: e.to_string(),
        }
    }
}

/// A bad `limit` or `cursor` names its field (422); an unknown query
/// parameter is a malformed request (400), as everywhere.
impl From<PageError> for ApiError {
    fn from(e: PageError) -> ApiError {
        if e.field.is_empty() {
            ApiError::Malformed(e.why)
        } else {
            ApiError::invalid(e.field, e.why)
        }
    }
}

impl From<ConfigError> for ApiError {
    fn from(e: ConfigError) -> ApiError {
        ApiError::Invalid {
            field: Some(e.field.clone()),
            why: e.to_string(),
        }
    }
}

impl From<Unread> for ApiError {
    fn from(e: Unread) -> ApiError {
        match e {
            Unread::TooLarge { .. } => ApiError::TooLarge(e.to_string()),
            Unread::Unreadable => ApiError::Malformed(e.to_string()),
        }
    }
}

impl From<Refused> for ApiError {
    fn from(refused: Refused) -> ApiError {
        ApiError::Refused { refused, at: None }
    }
}

impl From<Refusal> for ApiError {
    fn from(r: Refusal) -> ApiError {
        match r {
            Refusal::Pool(e) => ApiError::Pool(e),
            Refusal::Guard { party, refused } => ApiError::Refused {
                refused,
                at: Some(("party", party)),
            },
        }
    }
}
