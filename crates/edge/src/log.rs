//! One JSON line per webhook. Phone numbers are masked before they get here;
//! tokens never do.

use serde_json::{Map, Value};

pub struct Line(Map<String, Value>);

impl Line {
    pub fn new(route: &str) -> Line {
        let mut m = Map::new();
        m.insert("route".into(), route.into());
        Line(m)
    }

    pub fn set(&mut self, key: &str, value: impl Into<Value>) -> &mut Line {
        self.0.insert(key.into(), value.into());
        self
    }

    pub fn emit(&mut self, started_ms: f64) {
        self.set("ms", now_ms() - started_ms);
        let level_error = self.0.contains_key("error");
        let text = Value::Object(std::mem::take(&mut self.0)).to_string();
        if level_error {
            worker::console_error!("{text}");
        } else {
            worker::console_log!("{text}");
        }
    }
}

/// Wall-clock milliseconds. In a Worker this advances only across I/O, so the
/// logged duration is time spent waiting, not CPU.
pub fn now_ms() -> f64 {
    worker::js_sys::Date::now()
}

/// `text` with every run of five or more digits cut to its last four
/// (`+14155550100` -> `+***0100`): for text we did not write ourselves, such
/// as a panic's message, which may quote a phone number from the input.
pub fn mask_digits(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut run = String::new();
    let flush = |run: &mut String, out: &mut String| {
        if run.len() > 4 {
            out.push_str("***");
            out.push_str(&run[run.len() - 4..]);
        } else {
            out.push_str(run);
        }
        run.clear();
    };
    for c in text.chars() {
        if c.is_ascii_digit() {
            run.push(c);
        } else {
            flush(&mut run, &mut out);
            out.push(c);
        }
    }
    flush(&mut run, &mut out);
    out
}
