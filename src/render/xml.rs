//! A small element tree and the one place where XML is written (and so
//! escaped): by `quick-xml`. Both dialects build trees; neither writes text.

use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};
use quick_xml::Writer;
use std::collections::BTreeMap;

/// An element with sorted attributes (as Twilio's own libraries write them),
/// and either text or child elements.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Element {
    name: &'static str,
    attrs: BTreeMap<&'static str, String>,
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
            attrs: BTreeMap::new(),
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
        self.attrs.insert(name, value.to_string());
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

    fn write(&self, w: &mut Writer<Vec<u8>>) -> std::io::Result<()> {
        let mut start = BytesStart::new(self.name);
        for (k, v) in &self.attrs {
            start.push_attribute((*k, v.as_str()));
        }
        match &self.body {
            Body::Empty => w.write_event(Event::Empty(start)),
            Body::Text(t) => {
                w.write_event(Event::Start(start))?;
                w.write_event(Event::Text(BytesText::new(t)))?;
                w.write_event(Event::End(BytesEnd::new(self.name)))
            }
            Body::Children(children) => {
                w.write_event(Event::Start(start))?;
                for c in children {
                    c.write(w)?;
                }
                w.write_event(Event::End(BytesEnd::new(self.name)))
            }
        }
    }
}

/// The document: XML declaration, then `root` holding `children`.
pub fn document(root: &'static str, children: Vec<Element>) -> String {
    single(Element::new(root).children(children))
}

/// The document: XML declaration, then `doc` as the root element.
pub fn single(doc: Element) -> String {
    let mut w = Writer::new(Vec::with_capacity(256));
    // Writing into a Vec cannot fail.
    w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))
        .and_then(|_| doc.write(&mut w))
        .expect("writing to memory");
    String::from_utf8(w.into_inner()).expect("quick-xml writes UTF-8")
}

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
    fn empty_elements_close_themselves() {
        assert_eq!(
            document("Response", vec![]),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response/>"
        );
    }
}
