//! Reading a request body with a cap, for both workers: a body over the cap
//! is refused without ever being held whole.

use worker::js_sys::{self, Reflect};
use worker::wasm_bindgen::{JsCast, JsValue};
use worker::wasm_bindgen_futures::JsFuture;
use worker::{Method, Request};

/// Why a body was not read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unread {
    /// Over `cap` bytes, declared or streamed: 413.
    TooLarge { cap: usize },
    /// The stream broke off: 400.
    Unreadable,
}

impl Unread {
    pub fn status(&self) -> u16 {
        match self {
            Unread::TooLarge { .. } => 413,
            Unread::Unreadable => 400,
        }
    }
}

impl std::fmt::Display for Unread {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Unread::TooLarge { cap } if *cap >= 1024 * 1024 => {
                write!(f, "request body over {} MiB", cap / (1024 * 1024))
            }
            Unread::TooLarge { cap } => write!(f, "request body over {} KiB", cap / 1024),
            Unread::Unreadable => write!(f, "could not read the request body"),
        }
    }
}

/// How much of an oversized body is read and thrown away before refusing it.
/// A server that answers and closes while the client is still sending makes
/// the client's socket reset, and many clients (Node's fetch among them)
/// then report the reset, not our 413. Reading the rest first (one chunk
/// held at a time) lets the answer through; past this much the sender gets
/// the reset it asked for.
const DRAIN_BYTES: usize = 8 * 1024 * 1024;

/// The body, refused over `cap` bytes. A declared length over the cap is
/// refused without keeping any of it; a body without one (chunked) is read
/// as a stream and stops being kept as soon as it passes the cap, so it
/// never sits in memory whole. A GET has none.
pub async fn read_body(req: &mut Request, cap: usize) -> Result<Vec<u8>, Unread> {
    let declared = req
        .headers()
        .get("Content-Length")
        .ok()
        .flatten()
        .and_then(|v| v.parse::<usize>().ok());
    if req.method() == Method::Get {
        return Ok(Vec::new());
    }
    let unreadable = |_| Unread::Unreadable;
    let Some(stream) = req.inner().body() else {
        return Ok(Vec::new());
    };
    let reader: JsValue = call(&stream, "getReader", &[]).map_err(unreadable)?;
    if declared.is_some_and(|n| n > cap) {
        drain(&reader, 0).await;
        return Err(too_large(cap));
    }
    let mut body = Vec::new();
    while let Some(bytes) = next_chunk(&reader).await.map_err(unreadable)? {
        if body.len() + bytes.length() as usize > cap {
            drain(&reader, body.len() + bytes.length() as usize).await;
            return Err(too_large(cap));
        }
        body.extend_from_slice(&bytes.to_vec());
    }
    Ok(body)
}

/// The stream's next chunk, or `None` at its end.
async fn next_chunk(reader: &JsValue) -> Result<Option<js_sys::Uint8Array>, JsValue> {
    let promise: js_sys::Promise = call(reader, "read", &[])?.into();
    let chunk = JsFuture::from(promise).await?;
    if Reflect::get(&chunk, &"done".into())?.is_truthy() {
        return Ok(None);
    }
    Ok(Some(js_sys::Uint8Array::new(&Reflect::get(
        &chunk,
        &"value".into(),
    )?)))
}

/// Reads and drops the rest of a refused body, up to [`DRAIN_BYTES`] in
/// all, then cancels the stream. Errors end it quietly: the refusal stands
/// either way.
async fn drain(reader: &JsValue, mut seen: usize) {
    while seen <= DRAIN_BYTES {
        match next_chunk(reader).await {
            Ok(Some(bytes)) => seen += bytes.length() as usize,
            Ok(None) => return,
            Err(_) => break,
        }
    }
    let _ = call(reader, "cancel", &[]);
}

fn call(target: &JsValue, method: &str, args: &[JsValue]) -> Result<JsValue, JsValue> {
    let f: js_sys::Function = Reflect::get(target, &method.into())?.dyn_into()?;
    f.apply(target, &args.iter().collect::<js_sys::Array>())
}

fn too_large(cap: usize) -> Unread {
    Unread::TooLarge { cap }
}
