//! A small element tree and the one place where XML is written, and so
//! escaped (by `quick-xml`'s escaper). Both dialects build trees; neither
//! writes text.
//!
//! Text and attribute values come from callers, carriers and configuration,
//! so they may hold characters XML 1.0 cannot carry at all (most C0 controls,
//! U+FFFE, U+FFFF). One of those makes the whole document unreadable to the
//! carrier, so they are dropped here, not replaced: a Say would read a
//! replacement character out.

use quick_xml::escape::escape;
use std::borrow::Cow;
use std::fmt::Write as _;

/// An element with sorted attributes (as Twilio's own libraries write them),
/// and either text or child elements.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Element {
    name: &'static str,
    /// Sorted by name, one value per name: a few, so a vector (a map would
    /// allocate a node per element).
    attrs: Vec<(&'static str, String)>,
    body: Body,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Body {
    Empty,
    Text(String),
    Children(Vec<Element>),
}

impl Element {
    pub fn new(name: &'static str) -> Element {
        Element {
            name,
            attrs: Vec::new(),
            body: Body::Empty,
        }
    }

    pub fn text(name: &'static str, text: impl Into<String>) -> Element {
        Element {
            body: Body::Text(text.into()),
            ..Element::new(name)
        }
    }

    pub fn attr(mut self, name: &'static str, value: impl ToString) -> Element {
        let value = value.to_string();
        match self.attrs.binary_search_by(|(k, _)| k.cmp(&name)) {
            Ok(i) => self.attrs[i].1 = value,
            Err(i) => self.attrs.insert(i, (name, value)),
        }
        self
    }

    pub fn attr_opt<V: ToString>(self, name: &'static str, value: Option<V>) -> Element {
        match value {
            Some(v) => self.attr(name, v),
            None => self,
        }
    }

    pub fn child(mut self, child: Element) -> Element {
        match &mut self.body {
            Body::Children(c) => c.push(child),
            _ => self.body = Body::Children(vec![child]),
        }
        self
    }

    pub fn children(self, children: impl IntoIterator<Item = Element>) -> Element {
        children.into_iter().fold(self, Element::child)
    }

    /// Writes the element onto `out`, each value escaped on the way. The
    /// tags are plain text around the escaped values, so they are written
    /// straight into the document's one buffer: no tag is built apart and
    /// copied in (that was most of a render's allocations).
    fn write(&self, out: &mut String) {
        out.push('<');
        out.push_str(self.name);
        for (k, v) in &self.attrs {
            out.push(' ');
            out.push_str(k);
            out.push_str("=\"");
            out.push_str(&escaped(v, ATTRIBUTE_WHITESPACE));
            out.push('"');
        }
        match &self.body {
            Body::Empty => {
                out.push_str("/>");
                return;
            }
            Body::Text(t) => {
                out.push('>');
                out.push_str(&escaped(t, TEXT_WHITESPACE));
            }
            Body::Children(children) => {
                out.push('>');
                for c in children {
                    c.write(out);
                }
            }
        }
        out.push_str("</");
        out.push_str(self.name);
        out.push('>');
    }
}

/// XML 1.0's `Char` production: everything else cannot appear in a document,
/// not even as a character reference.
fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

/// A parser turns a literal CR in text into LF, and tab, CR and LF in an
/// attribute value into spaces; written as character references they come
/// through as sent (Twilio's Python library writes attributes the same way).
const TEXT_WHITESPACE: &[char] = &['\r'];
const ATTRIBUTE_WHITESPACE: &[char] = &['\t', '\n', '\r'];

/// `s` ready to write: characters XML cannot carry dropped, markup escaped by
/// quick-xml, and `keep` as character references. Borrows when `s` needs
/// none of it, the usual case.
fn escaped<'a>(s: &'a str, keep: &[char]) -> Cow<'a, str> {
    // The usual value (a URL, a number, a greeting in plain ASCII) needs
    // nothing: one pass over its bytes says so. Everything in `keep` is
    // below U+0020, so it takes the long way too.
    let plain =
        |b: &u8| (0x20..0x7f).contains(b) && !matches!(b, b'<' | b'>' | b'&' | b'\'' | b'"');
    if s.as_bytes().iter().all(plain) {
        return Cow::Borrowed(s);
    }
    let carriable: Cow<'a, str> = if s.chars().all(is_xml_char) {
        Cow::Borrowed(s)
    } else {
        Cow::Owned(s.chars().filter(|&c| is_xml_char(c)).collect())
    };
    let escaped = escape(carriable);
    if !escaped.contains(keep) {
        return escaped;
    }
    let mut out = String::with_capacity(escaped.len() + 8);
    for c in escaped.chars() {
        if keep.contains(&c) {
            // Writing to a String cannot fail.
            let _ = write!(out, "&#{};", u32::from(c));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// The document: XML declaration, then `root` holding `children`.
pub fn document(root: &'static str, children: Vec<Element>) -> String {
    single(Element::new(root).children(children))
}

/// The document: XML declaration, then `doc` as the root element.
pub fn single(doc: Element) -> String {
    // Room for a typical answer (a Dial with its callbacks is some 500
    // bytes), so the buffer is not grown on the way.
    let mut out = String::with_capacity(1024);
    out.push_str(DECLARATION);
    doc.write(&mut out);
    out
}

const DECLARATION: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>";

#[cfg(test)]
mod tests {
    // The same tests run compiled to wasm, under Node (scripts/test.sh).
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn attributes_are_sorted_and_everything_is_escaped() {
        let doc = document(
            "Response",
            vec![Element::text("Say", "Tom & Jerry's <\"cafe\"> é 📞")
                .attr("voice", "a\"b<c>&'")
                .attr("language", "en-GB")],
        );
        assert_eq!(
            doc,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response>\
             <Say language=\"en-GB\" voice=\"a&quot;b&lt;c&gt;&amp;&apos;\">\
             Tom &amp; Jerry&apos;s &lt;&quot;cafe&quot;&gt; é 📞</Say></Response>"
        );
    }

    #[test]
    fn characters_xml_cannot_carry_are_dropped() {
        let doc = document(
            "Response",
            vec![Element::text(
                "Say",
                "a\u{0}b\u{8}c\u{b}d\u{c}e\u{1b}f\u{1f}g\u{fffe}h\u{ffff}",
            )
            .attr("voice", "x\u{1}y\u{ffff}")],
        );
        assert_eq!(
            doc,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response>\
             <Say voice=\"xy\">abcdefgh</Say></Response>"
        );
        // Tab, LF, CR and everything from U+0020 on (DEL and C1 included) stay.
        let kept = "\t\n\u{7f}\u{85}\u{9f}\u{d7ff}\u{e000}\u{fffd}\u{10000}\u{10ffff}";
        assert_eq!(escaped(kept, TEXT_WHITESPACE), kept);
    }

    #[test]
    fn whitespace_a_parser_would_normalise_is_a_reference() {
        let doc = document(
            "Response",
            vec![Element::text("Say", "one\r\ntwo\tthree\n").attr("voice", "a\tb\nc\rd & e")],
        );
        assert_eq!(
            doc,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response>\
             <Say voice=\"a&#9;b&#10;c&#13;d &amp; e\">one&#13;\ntwo\tthree\n</Say></Response>"
        );
    }

    #[test]
    fn clean_text_is_not_copied() {
        assert!(matches!(
            escaped("Hello, world", TEXT_WHITESPACE),
            Cow::Borrowed(_)
        ));
        assert!(matches!(
            escaped("a\tb\nc", TEXT_WHITESPACE),
            Cow::Borrowed(_)
        ));
        assert!(matches!(
            escaped("", ATTRIBUTE_WHITESPACE),
            Cow::Borrowed(_)
        ));
        assert_eq!(escaped("\u{0}\u{1}", ATTRIBUTE_WHITESPACE), "");
    }

    #[test]
    fn empty_elements_close_themselves() {
        assert_eq!(
            document("Response", vec![]),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response/>"
        );
    }
}
