//! Calling a Durable Object or a bound worker with a typed request and
//! reading its typed answer: the same serde types on both sides, JSON on the
//! wire.

use serde::de::DeserializeOwned;
use serde::Serialize;
use worker::{Env, Method, Request, Response};

/// Sends `body` to the object named `name` in `binding`, and reads the
/// answer as `T` (or the error text the object answered with).
pub async fn ask<B: Serialize, T: DeserializeOwned>(
    env: &Env,
    binding: &str,
    name: &str,
    body: &B,
) -> Result<(u16, Result<T, serde_json::Value>), String> {
    let stub = env
        .durable_object(binding)
        .and_then(|ns| ns.get_by_name(name))
        .map_err(|e| format!("{binding}: {e}"))?;
    let resp = stub
        // The name rides in the path: an object may need to know whose it
        // is (the call log registers its account).
        .fetch_with_request(json_post(&format!("https://object/{name}"), body)?)
        .await
        .map_err(|e| format!("{binding}: {e}"))?;
    let (status, text) = read(resp).await?;
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
    let url = format!("https://{}{path}", binding.to_ascii_lowercase());
    let resp = service
        .fetch_request(json_post(&url, body)?)
        .await
        .map_err(|e| format!("{binding}: {e}"))?;
    let (status, text) = read(resp).await?;
    if status != 200 {
        return Err(format!("{binding} answered {status}: {text}"));
    }
    serde_json::from_str(&text).map_err(|e| format!("{binding} answer: {e}"))
}

fn json_post<B: Serialize>(url: &str, body: &B) -> Result<Request, String> {
    let text = serde_json::to_string(body).map_err(|e| e.to_string())?;
    let headers = worker::Headers::new();
    headers
        .set("Content-Type", "application/json")
        .map_err(|e| e.to_string())?;
    crate::outgoing::request(Method::Post, url, &headers, Some(&text))
}

async fn read(resp: Response) -> Result<(u16, String), String> {
    let status = resp.status_code();
    let text = crate::outgoing::text(resp).await?;
    Ok((status, text))
}
