//! The requests the worker itself sends (Twilio's REST API, the admin
//! worker's Durable Objects and routes), built on the runtime's `Request`.
//!
//! Not `worker::Request::new_with_init`: its `RequestInit` goes through
//! `CfProperties` and `serde_wasm_bindgen` for options we never set (image
//! resizing, minification, cache), some 14 KB of wasm in the calls worker.
//! Every KB there is compiled before a fresh isolate's first answer.

use worker::wasm_bindgen::JsValue;
use worker::wasm_bindgen_futures::JsFuture;
use worker::{web_sys, Headers, Method, Request, Response};

/// A request to `url` with these headers and, when given, this text body.
pub fn request(
    method: Method,
    url: &str,
    headers: &Headers,
    body: Option<&str>,
) -> Result<Request, String> {
    let init = web_sys::RequestInit::new();
    init.set_method(method.as_ref());
    init.set_headers(&headers.0);
    if let Some(body) = body {
        init.set_body(&JsValue::from_str(body));
    }
    web_sys::Request::new_with_str_and_init(url, &init)
        .map(Request::from)
        .map_err(|e| {
            e.as_string()
                .unwrap_or_else(|| "invalid URL or options for a request".into())
        })
}

/// An answer's body as text, read by the runtime in one call. Not
/// `worker::Response::text`, which copies the stream into wasm a chunk at a
/// time through `wasm-streams` (more code in the calls worker, more calls
/// across the boundary).
pub async fn text(resp: Response) -> Result<String, String> {
    let unreadable = |_| "could not read the answer's body".to_string();
    let promise = web_sys::Response::from(resp).text().map_err(unreadable)?;
    let text = JsFuture::from(promise).await.map_err(unreadable)?;
    text.as_string().ok_or_else(|| unreadable(JsValue::NULL))
}
