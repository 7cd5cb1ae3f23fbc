//! Calling a Durable Object with a typed request and reading its typed
//! answer: the same serde types on both sides, JSON on the wire.

use serde::de::DeserializeOwned;
use serde::Serialize;
use worker::{Env, Method, Request, RequestInit, Response};

/// Sends `body` to `path` of the object named `name` in `binding`, and reads
/// the answer as `T` (or the error text the object answered with).
pub async fn ask<B: Serialize, T: DeserializeOwned>(
    env: &Env,
    binding: &str,
    name: &str,
    method: Method,
    path: &str,
    body: Option<&B>,
    headers: &[(&str, &str)],
) -> Result<(u16, Result<T, serde_json::Value>), String> {
    let stub = env
        .durable_object(binding)
        .and_then(|ns| ns.get_by_name(name))
        .map_err(|e| format!("{binding}: {e}"))?;
    let mut init = RequestInit::new();
    let h = worker::Headers::new();
    for (k, v) in headers {
        h.set(k, v).map_err(|e| e.to_string())?;
    }
    init.with_method(method).with_headers(h);
    if let Some(b) = body {
        let text = serde_json::to_string(b).map_err(|e| e.to_string())?;
        init.with_body(Some(text.into()));
    }
    let req = Request::new_with_init(&format!("https://object{path}"), &init)
        .map_err(|e| e.to_string())?;
    let mut resp = stub
        .fetch_with_request(req)
        .await
        .map_err(|e| format!("{binding}: {e}"))?;
    let status = resp.status_code();
    let text = resp.text().await.map_err(|e| e.to_string())?;
    if (200..300).contains(&status) {
        let value = serde_json::from_str(&text).map_err(|e| format!("{binding} answer: {e}"))?;
        Ok((status, Ok(value)))
    } else {
        let value = serde_json::from_str(&text).unwrap_or(serde_json::json!({ "error": text }));
        Ok((status, Err(value)))
    }
}

/// A JSON answer from inside an object.
pub fn answer<T: Serialize>(status: u16, value: &T) -> worker::Result<Response> {
    Ok(Response::from_json(value)?.with_status(status))
}

/// Sends `body` as JSON to `path` of the worker bound as `binding` (a
/// service binding: no network hop, the other worker runs beside this one)
/// and reads its JSON answer as `T`.
pub async fn call_service<B: Serialize, T: DeserializeOwned>(
    env: &Env,
    binding: &str,
    path: &str,
    body: &B,
) -> Result<T, String> {
    let service = env
        .service(binding)
        .map_err(|e| format!("{binding}: {e}"))?;
    let mut init = RequestInit::new();
    let headers = worker::Headers::new();
    headers
        .set("Content-Type", "application/json")
        .map_err(|e| e.to_string())?;
    let text = serde_json::to_string(body).map_err(|e| e.to_string())?;
    init.with_method(Method::Post)
        .with_headers(headers)
        .with_body(Some(text.into()));
    let req = Request::new_with_init(
        &format!("https://{}{path}", binding.to_ascii_lowercase()),
        &init,
    )
    .map_err(|e| e.to_string())?;
    let mut resp = service
        .fetch_request(req)
        .await
        .map_err(|e| format!("{binding}: {e}"))?;
    let status = resp.status_code();
    let text = resp.text().await.map_err(|e| e.to_string())?;
    if status != 200 {
        return Err(format!("{binding} answered {status}: {text}"));
    }
    serde_json::from_str(&text).map_err(|e| format!("{binding} answer: {e}"))
}
