//! Opening hours. The edge turns "now" into a weekday and minute in the line's
//! time zone (the runtime has the zone data); this decides.

use crate::config::{parse_span, Hours, WEEKDAYS};

/// `weekday`: 0 is Monday. `minute`: minutes since local midnight.
pub fn is_open(hours: &Hours, weekday: usize, minute: u16) -> bool {
    let Some(day) = WEEKDAYS.get(weekday) else {
        return false;
    };
    hours.open.get(*day).is_some_and(|spans| {
        spans
            .iter()
            .filter_map(|s| parse_span(s))
            .any(|(start, end)| (start..end).contains(&minute))
    })
}

#[cfg(test)]
mod tests {
    // The same tests run compiled to wasm, under Node (scripts/test.sh).
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn open_inside_a_span_closed_outside_and_on_unlisted_days() {
        let hours: Hours = serde_json::from_str(
            r#"{"time_zone":"Europe/London","open":{"mon":["09:00-12:00","13:00-17:30"],"sat":["10:00-12:00"]}}"#,
        )
        .unwrap();
        assert!(is_open(&hours, 0, 9 * 60));
        assert!(!is_open(&hours, 0, 12 * 60), "end is exclusive");
        assert!(is_open(&hours, 0, 17 * 60 + 29));
        assert!(!is_open(&hours, 0, 8 * 60 + 59));
        assert!(!is_open(&hours, 1, 10 * 60), "tuesday is not listed");
        assert!(is_open(&hours, 5, 11 * 60));
        assert!(!is_open(&hours, 7, 11 * 60));
    }
}
