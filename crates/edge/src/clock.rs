//! The time, and the weekday and minute in a line's time zone. The runtime's
//! `Intl` carries the zone data, so the wasm carries none.

use worker::js_sys::{Array, Date, Function, Object, Promise, Reflect, Uint8Array};
use worker::wasm_bindgen::{JsCast, JsValue};
use worker::wasm_bindgen_futures::JsFuture;

pub fn now_ms() -> u64 {
    Date::now() as u64
}

/// Resolves on a later turn of the event loop (the runtime's
/// `scheduler.wait(0)`), or at once where there is no scheduler. Not
/// `worker::Delay`, whose timer closure costs the calls worker 2 KB of wasm.
pub async fn next_turn() {
    let scheduler = Reflect::get(&worker::js_sys::global(), &"scheduler".into());
    let wait = scheduler.and_then(|s| {
        let wait: Function = Reflect::get(&s, &"wait".into())?.dyn_into()?;
        wait.call1(&s, &JsValue::from(0))
    });
    if let Ok(promise) = wait.and_then(|p| p.dyn_into::<Promise>()) {
        let _ = JsFuture::from(promise).await;
    }
}

/// (weekday with 0 = Monday, minutes since local midnight) in `zone`, or an
/// error naming the zone. Every JS call here catches: an unknown zone throws
/// a RangeError, which must not abort the isolate.
pub fn local_weekday_minute(zone: &str, at_ms: u64) -> Result<(usize, u16), String> {
    let bad = |_| format!("unknown time zone {zone:?}");
    let intl = Reflect::get(&worker::js_sys::global(), &"Intl".into()).map_err(bad)?;
    let ctor: Function = Reflect::get(&intl, &"DateTimeFormat".into())
        .map_err(bad)?
        .into();
    let options = Object::new();
    for (k, v) in [
        ("timeZone", zone),
        ("weekday", "short"),
        ("hour", "numeric"),
        ("minute", "numeric"),
        ("hourCycle", "h23"),
    ] {
        Reflect::set(&options, &k.into(), &v.into()).map_err(bad)?;
    }
    let args = Array::of2(&"en-US".into(), &options);
    let format = Reflect::construct(&ctor, &args).map_err(bad)?;
    let to_parts: Function = Reflect::get(&format, &"formatToParts".into())
        .map_err(bad)?
        .into();
    let parts: Array = to_parts
        .call1(&format, &Date::new(&JsValue::from_f64(at_ms as f64)))
        .map_err(bad)?
        .into();
    let (mut weekday, mut hour, mut minute) = (None, None, None);
    for part in parts.iter() {
        let field = |name: &str| {
            Reflect::get(&part, &name.into())
                .ok()
                .and_then(|v| v.as_string())
        };
        let value = field("value").unwrap_or_default();
        match field("type").as_deref() {
            Some("weekday") => {
                weekday = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
                    .iter()
                    .position(|d| *d == value)
            }
            Some("hour") => hour = value.parse::<u16>().ok(),
            Some("minute") => minute = value.parse::<u16>().ok(),
            _ => {}
        }
    }
    match (weekday, hour, minute) {
        (Some(d), Some(h), Some(m)) => Ok((d, (h % 24) * 60 + m)),
        _ => Err(format!("could not read the local time in {zone:?}")),
    }
}

/// Cryptographically random bytes from the runtime's Web Crypto.
pub fn random_bytes(n: u32) -> Result<Vec<u8>, String> {
    let bad = |_| "Web Crypto getRandomValues is unavailable".to_string();
    let crypto = Reflect::get(&worker::js_sys::global(), &"crypto".into()).map_err(bad)?;
    let get: Function = Reflect::get(&crypto, &"getRandomValues".into())
        .map_err(bad)?
        .into();
    let bytes = Uint8Array::new_with_length(n);
    get.call1(&crypto, &bytes).map_err(bad)?;
    Ok(bytes.to_vec())
}
