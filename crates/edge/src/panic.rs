//! What a panic does in either worker.

use crate::{log, VERSION};
use worker::js_sys::{self, Function, Reflect};
use worker::wasm_bindgen::{JsCast, JsValue};

static HOOK: std::sync::Once = std::sync::Once::new();

/// Installs [`on_panic`] once per isolate, in place of the runtime's default
/// hook (which logs the message whole). Called at the top of every fetch.
pub fn install(worker: &'static str) {
    HOOK.call_once(|| std::panic::set_hook(Box::new(move |info| on_panic(worker, info))));
}

/// A panic must never be silent nor leak what caused it: it is logged as one
/// JSON line, with every run of digits in its text cut to its last four (a
/// panic's message may quote the input). It then marks this wasm instance as
/// dead, so the next request gets a fresh one, and tells the entry module
/// (`src/entry.mjs` in the calls worker), whose requests in flight would
/// otherwise hang: carrier requests are answered again there.
fn on_panic(worker: &str, info: &std::panic::PanicHookInfo) {
    let text = log::mask_digits(&info.to_string());
    worker::console_error!(
        "{}",
        serde_json::json!({ "level": "panic", "worker": worker, "error": text, "version": VERSION })
    );
    let global = js_sys::global();
    if let Ok(state) = Reflect::get(&global, &"__worker_init_state".into()) {
        let _ = Reflect::set(&state, &"criticalError".into(), &JsValue::TRUE);
    }
    if let Ok(f) = Reflect::get(&global, &"__switchboardPanicked".into()) {
        if let Ok(f) = f.dyn_into::<Function>() {
            let _ = f.call0(&JsValue::NULL);
        }
    }
}
