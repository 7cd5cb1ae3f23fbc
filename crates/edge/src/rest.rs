//! Twilio's REST API (and any JSON endpoint) over `fetch`. Base URLs come
//! from vars so tests point them at a local recorder, never the internet.

use crate::settings;
use switchboard_core::account::AccountSid;
use worker::js_sys::{self, Reflect};
use worker::wasm_bindgen::{JsCast, JsValue};
use worker::{AbortSignal, Env, Fetch, Headers, Method};

pub const API: (&str, &str) = ("TWILIO_API_BASE", "https://api.twilio.com");
pub const STUDIO: (&str, &str) = ("TWILIO_STUDIO_BASE", "https://studio.twilio.com");
pub const MESSAGEBIRD: (&str, &str) = ("MESSAGEBIRD_API_BASE", "https://rest.messagebird.com");

/// Basic auth for `account`: an API key (`TWILIO_API_KEY_<AccountSid>` with
/// `TWILIO_API_SECRET_<AccountSid>`) when one is set, else the auth token.
pub fn basic_auth(env: &Env, account: &AccountSid) -> Option<String> {
    let (user, password) = match (
        settings::secret_named_by_request(env, &format!("TWILIO_API_KEY_{account}")),
        settings::secret_named_by_request(env, &format!("TWILIO_API_SECRET_{account}")),
    ) {
        (Some(key), Some(secret)) => (key, secret),
        _ => (account.to_string(), settings::auth_token(env, account)?),
    };
    Some(format!(
        "Basic {}",
        ascii_base64(&format!("{user}:{password}"))?
    ))
}

/// Base64 by the runtime's `btoa`: credentials are ASCII (SIDs, API keys,
/// auth tokens), and the calls worker then needs no base64 encoder of its
/// own (it only decodes, for signatures).
fn ascii_base64(text: &str) -> Option<String> {
    let btoa: js_sys::Function = Reflect::get(&js_sys::global(), &"btoa".into())
        .ok()?
        .dyn_into()
        .ok()?;
    btoa.call1(&JsValue::NULL, &text.into()).ok()?.as_string()
}

/// The header Twilio reads to tell a retried request from a new one.
pub const IDEMPOTENCY_TOKEN: &str = "I-Twilio-Idempotency-Token";

/// How long any outbound request may take. A slow receiver (a customer's
/// webhook) must not hold the carrier's callback open until it gives up.
pub const TIMEOUT_MS: u32 = 10_000;

/// POSTs `body`; a 2xx answer's body is returned, anything else (a status,
/// no answer within `TIMEOUT_MS`) is an error saying which. A request with
/// credentials (to the carrier's REST API) carries a fresh
/// `I-Twilio-Idempotency-Token`.
pub async fn post(
    url: &str,
    content_type: &str,
    body: String,
    auth: Option<&str>,
) -> Result<String, String> {
    post_once(url, content_type, body, auth, None).await
}

/// As [`post`], with the carrier's idempotency token given: the same token
/// for a retry of the same request (derived from the API client's
/// `Idempotency-Key`), so the carrier can tell a retry from a new request.
pub async fn post_once(
    url: &str,
    content_type: &str,
    body: String,
    auth: Option<&str>,
    token: Option<String>,
) -> Result<String, String> {
    let token = auth.map(|_| token.unwrap_or_else(crate::request_id::fresh));
    send(Method::Post, url, Some((content_type, body)), auth, token).await
}

/// GETs a resource, as [`post`] answers.
pub async fn get(url: &str, auth: Option<&str>) -> Result<String, String> {
    send(Method::Get, url, None, auth, None).await
}

async fn send(
    method: Method,
    url: &str,
    body: Option<(&str, String)>,
    auth: Option<&str>,
    token: Option<String>,
) -> Result<String, String> {
    let resp = success(request(method, url, body, auth, token, TIMEOUT_MS).await?)?;
    Ok(crate::outgoing::text(resp).await.unwrap_or_default())
}

/// The answer when it is a 2xx, else an error naming its status.
fn success(resp: worker::Response) -> Result<worker::Response, String> {
    match resp.status_code() {
        200..=299 => Ok(resp),
        code => Err(format!("HTTP {code}")),
    }
}

/// How long a media file (a voicemail recording) may take to arrive whole:
/// the abort covers the body too, and a message may be an hour long.
pub const MEDIA_TIMEOUT_MS: u32 = 60_000;

/// GETs a file to hand on as it arrives (a recording): the answer itself
/// when it is a 2xx, else an error saying which.
pub async fn get_media(url: &str, auth: Option<&str>) -> Result<worker::Response, String> {
    success(request(Method::Get, url, None, auth, None, MEDIA_TIMEOUT_MS).await?)
}

async fn request(
    method: Method,
    url: &str,
    body: Option<(&str, String)>,
    auth: Option<&str>,
    token: Option<String>,
    timeout_ms: u32,
) -> Result<worker::Response, String> {
    let headers = Headers::new();
    let set = |k: &str, v: &str| headers.set(k, v).map_err(|e| e.to_string());
    if let Some((content_type, _)) = &body {
        set("Content-Type", content_type)?;
    }
    if let Some(a) = auth {
        set("Authorization", a)?;
    }
    if let Some(t) = &token {
        set(IDEMPOTENCY_TOKEN, t)?;
    }
    let body = body.map(|(_, text)| text);
    let req = crate::outgoing::request(method, url, &headers, body.as_deref())?;
    match timeout_signal(timeout_ms) {
        Some(signal) => Fetch::Request(req).send_with_signal(&signal).await,
        None => Fetch::Request(req).send().await,
    }
    .map_err(|e| {
        let e = e.to_string();
        if e.contains("abort") || e.contains("Timeout") || e.contains("timed out") {
            format!("no answer within {} s", timeout_ms / 1000)
        } else {
            e
        }
    })
}

/// The `sid` of a created resource, from Twilio's JSON answer.
pub fn sid_of(answer: &str) -> Option<String> {
    serde_json::from_str::<serde_json::Value>(answer)
        .ok()?
        .get("sid")?
        .as_str()
        .map(str::to_string)
}

/// `AbortSignal.timeout(ms)` from the runtime.
fn timeout_signal(ms: u32) -> Option<AbortSignal> {
    let class = Reflect::get(&js_sys::global(), &"AbortSignal".into()).ok()?;
    let timeout: js_sys::Function = Reflect::get(&class, &"timeout".into())
        .ok()?
        .dyn_into()
        .ok()?;
    let signal = timeout.call1(&class, &JsValue::from(ms)).ok()?;
    Some(AbortSignal::from(
        signal.unchecked_into::<worker::web_sys::AbortSignal>(),
    ))
}
