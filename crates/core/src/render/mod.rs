//! Outcomes to XML: one renderer per carrier dialect, over one XML writer.

pub mod callflow;
pub mod twiml;
mod xml;
