//! Per caller and line: how many challenges went unanswered and how many in a
//! row were answered wrong. Robots never answer; people seldom fail three times.

use serde::{Deserialize, Serialize};

/// How many recent (call, step) pairs are remembered, so that a carrier's
/// retry of the same webhook does not count twice.
const REMEMBERED: usize = 8;

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Graylist {
    pub unanswered: u8,
    pub failed: u8,
    /// `CallSid:step` of the latest changes, newest last.
    pub applied: Vec<String>,
}

/// The two requests of a challenge that change counters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    /// The challenge was put to the caller.
    Challenged,
    /// The caller keyed an answer.
    Answered { right: bool },
}

impl Graylist {
    pub fn over(&self, threshold: u8) -> bool {
        self.unanswered >= threshold || self.failed >= threshold
    }

    /// The counters after `event` in call `call_sid`, or `None` when this call
    /// already applied this step (a retried webhook) or nothing changes.
    pub fn after(&self, call_sid: &str, event: Event) -> Option<Graylist> {
        let step = match event {
            Event::Challenged => "challenged",
            Event::Answered { .. } => "answered",
        };
        let mark = format!("{call_sid}:{step}");
        if self.applied.contains(&mark) {
            return None;
        }
        let mut next = self.clone();
        match event {
            Event::Challenged => next.unanswered = next.unanswered.saturating_add(1),
            Event::Answered { right } => {
                next.unanswered = next.unanswered.saturating_sub(1);
                if right {
                    next.unanswered = 0;
                    next.failed = 0;
                } else {
                    next.failed = next.failed.saturating_add(1);
                }
            }
        }
        next.applied.push(mark);
        let excess = next.applied.len().saturating_sub(REMEMBERED);
        next.applied.drain(..excess);
        Some(next)
    }
}

#[cfg(test)]
mod tests {
    // The same tests run compiled to wasm, under Node (scripts/test.sh).
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn unanswered_challenges_add_up() {
        let g = Graylist::default();
        let g = g.after("CA1", Event::Challenged).unwrap();
        let g = g.after("CA2", Event::Challenged).unwrap();
        assert_eq!((g.unanswered, g.failed), (2, 0));
        assert!(!g.over(3));
        let g = g.after("CA3", Event::Challenged).unwrap();
        assert!(g.over(3));
    }

    #[test]
    fn a_retried_webhook_counts_once() {
        let g = Graylist::default().after("CA1", Event::Challenged).unwrap();
        assert_eq!(g.after("CA1", Event::Challenged), None);
        let g = g.after("CA1", Event::Answered { right: false }).unwrap();
        assert_eq!((g.unanswered, g.failed), (0, 1));
        assert_eq!(g.after("CA1", Event::Answered { right: false }), None);
    }

    #[test]
    fn a_right_answer_clears_both_counters() {
        let g = Graylist {
            unanswered: 2,
            failed: 2,
            applied: vec![],
        };
        let g = g.after("CA9", Event::Answered { right: true }).unwrap();
        assert_eq!((g.unanswered, g.failed), (0, 0));
    }

    #[test]
    fn only_recent_steps_are_remembered() {
        let mut g = Graylist::default();
        for i in 0..20 {
            g = g.after(&format!("CA{i}"), Event::Challenged).unwrap();
        }
        assert_eq!(g.applied.len(), REMEMBERED);
        assert_eq!(g.applied[0], "CA12:challenged");
        assert_eq!(g.unanswered, 20);
    }
}
