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

/// The body, refused over `cap` bytes. A declared length over the cap is
/// refused before reading; a body without one (chunked) is read as a stream
/// and cut off as soon as it passes the cap, so it never sits in memory
/// whole. A GET has none.
pub async fn read_body(req: &mut Request, cap: usize) -> Result<Vec<u8>, Unread> {
    let declared = req
        .headers()
        .get("Content-Length")
        .ok()
        .flatten()
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > cap) {
        return Err(too_large(cap));
    }
    if req.method() == Method::Get {
        return Ok(Vec::new());
    }
    let unreadable = |_| Unread::Unreadable;
    let Some(stream) = req.inner().body() else {
        return Ok(Vec::new());
    };
    let reader: JsValue = call(&stream, "getReader", &[]).map_err(unreadable)?;
    let mut body = Vec::new();
    loop {
        let promise: js_sys::Promise = call(&reader, "read", &[]).map_err(unreadable)?.into();
        let chunk = JsFuture::from(promise).await.map_err(unreadable)?;
        let done = Reflect::get(&chunk, &"done".into()).map_err(unreadable)?;
        if done.is_truthy() {
            return Ok(body);
        }
        let value = Reflect::get(&chunk, &"value".into()).map_err(unreadable)?;
        let bytes = js_sys::Uint8Array::new(&value);
        if body.len() + bytes.length() as usize > cap {
            let _ = call(&reader, "cancel", &[]);
            return Err(too_large(cap));
        }
        body.extend_from_slice(&bytes.to_vec());
    }
}

fn call(target: &JsValue, method: &str, args: &[JsValue]) -> Result<JsValue, JsValue> {
    let f: js_sys::Function = Reflect::get(target, &method.into())?.dyn_into()?;
    f.apply(target, &args.iter().collect::<js_sys::Array>())
}

fn too_large(cap: usize) -> Unread {
    Unread::TooLarge { cap }
}
