//! One JSON line per webhook, the request's log [`Event`]. Phone numbers are
//! masked before they get here; tokens never do.

use crate::clock;
use serde_json::{Map, Value};

/// What happened to one request, written once when it is answered.
pub struct Event {
    fields: Map<String, Value>,
    started_ms: u64,
}

impl Event {
    /// Starts the request's clock too: `ms` in the line is wall time from
    /// here, which in a Worker advances only across I/O, so it is time spent
    /// waiting, not CPU.
    pub fn new(route: &str) -> Event {
        let mut fields = Map::new();
        fields.insert("route".into(), route.into());
        Event {
            fields,
            started_ms: clock::now_ms(),
        }
    }

    /// A request's line, carrying its id (`crate::request_id`): the same id
    /// the client got in `X-Request-Id`.
    pub fn request(route: &str, request_id: &str) -> Event {
        let mut event = Event::new(route);
        event.set("request_id", request_id);
        event
    }

    pub fn set(&mut self, key: &str, value: impl Into<Value>) -> &mut Event {
        self.fields.insert(key.into(), value.into());
        self
    }

    /// A text field already set (the reason a handler gave, for the record).
    pub fn get(&self, key: &str) -> Option<&str> {
        self.fields.get(key).and_then(|v| v.as_str())
    }

    pub fn emit(&mut self) {
        let ms = clock::now_ms().saturating_sub(self.started_ms);
        self.set("ms", ms);
        let level_error = self.fields.contains_key("error");
        let text = Value::Object(std::mem::take(&mut self.fields)).to_string();
        if level_error {
            worker::console_error!("{text}");
        } else {
            worker::console_log!("{text}");
        }
    }
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
