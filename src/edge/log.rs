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
