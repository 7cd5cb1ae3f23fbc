//! Twilio's REST API (and any JSON endpoint) over `fetch`. Base URLs come
//! from vars so tests point them at a local recorder, never the internet.

use super::intake;
use base64::{engine::general_purpose::STANDARD, Engine};
use worker::{wasm_bindgen::JsValue, Env, Fetch, Headers, Method, Request, RequestInit};

pub const API: (&str, &str) = ("TWILIO_API_BASE", "https://api.twilio.com");
pub const STUDIO: (&str, &str) = ("TWILIO_STUDIO_BASE", "https://studio.twilio.com");

/// The base URL named by `(var, default)`, without a trailing slash.
pub fn base(env: &Env, (var, default): (&str, &str)) -> String {
    let set = env.var(var).map(|v| v.to_string()).unwrap_or_default();
    match set.trim().trim_end_matches('/') {
        "" => default.to_string(),
        b => b.to_string(),
    }
}

/// Basic auth for `account`: an API key (`TWILIO_API_KEY_<AccountSid>` with
/// `TWILIO_API_SECRET_<AccountSid>`) when one is set, else the auth token.
pub fn basic_auth(env: &Env, account: &str) -> Option<String> {
    let secret = |name: String| {
        env.secret(&name)
            .ok()
            .map(|s| s.to_string())
            .filter(|s| !s.is_empty())
    };
    let (user, password) = match (
        secret(format!("TWILIO_API_KEY_{account}")),
        secret(format!("TWILIO_API_SECRET_{account}")),
    ) {
        (Some(key), Some(secret)) => (key, secret),
        _ => (account.to_string(), intake::auth_token(env, account)?),
    };
    Some(format!(
        "Basic {}",
        STANDARD.encode(format!("{user}:{password}"))
    ))
}

/// POSTs `body`; a 2xx answer's body is returned, anything else is an error
/// naming the status.
pub async fn post(
    url: &str,
    content_type: &str,
    body: String,
    auth: Option<&str>,
) -> Result<String, String> {
    let headers = Headers::new();
    let set = |k: &str, v: &str| headers.set(k, v).map_err(|e| e.to_string());
    set("Content-Type", content_type)?;
    if let Some(a) = auth {
        set("Authorization", a)?;
    }
    let mut init = RequestInit::new();
    init.with_method(Method::Post)
        .with_headers(headers)
        .with_body(Some(JsValue::from_str(&body)));
    let req = Request::new_with_init(url, &init).map_err(|e| e.to_string())?;
    let mut resp = Fetch::Request(req)
        .send()
        .await
        .map_err(|e| e.to_string())?;
    let text = resp.text().await.unwrap_or_default();
    match resp.status_code() {
        200..=299 => Ok(text),
        code => Err(format!("HTTP {code}")),
    }
}

/// The `sid` of a created resource, from Twilio's JSON answer.
pub fn sid_of(answer: &str) -> Option<String> {
    serde_json::from_str::<serde_json::Value>(answer)
        .ok()?
        .get("sid")?
        .as_str()
        .map(str::to_string)
}
