//! The answers this worker gives, each with its content type.

use switchboard_core::outcome::Outcome;
use switchboard_core::render::{callflow, twiml};
use worker::{Headers, Response, Result};

pub fn twiml(outcome: &Outcome) -> Result<Response> {
    with_type(Response::ok(twiml::render(outcome))?, twiml::CONTENT_TYPE)
}

pub fn callflow(outcome: &Outcome) -> Result<Response> {
    with_type(
        Response::ok(callflow::render(outcome))?,
        callflow::CONTENT_TYPE,
    )
}

pub fn plain(status: u16, text: &str) -> Result<Response> {
    let r = Response::ok(format!("{text}\n"))?.with_status(status);
    with_type(r, "text/plain; charset=utf-8")
}

pub fn json<T: serde::Serialize>(status: u16, value: &T) -> Result<Response> {
    Ok(Response::from_json(value)?.with_status(status))
}

fn with_type(r: Response, content_type: &str) -> Result<Response> {
    let headers = Headers::new();
    headers.set("Content-Type", content_type)?;
    headers.set("Cache-Control", "no-store")?;
    Ok(r.with_headers(headers))
}
