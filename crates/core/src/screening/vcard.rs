//! Telephone numbers from address-book exports (vCard 2.1, 3.0 and 4.0), so a
//! caller can be matched against the owner's contacts. Numbers come back as
//! written; normalising them is the caller's job.

use std::fmt;

/// One telephone number found in a vCard, as written there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tel {
    /// The value as written, with a `tel:` URI scheme removed and surrounding whitespace trimmed
    /// (e.g. "+1 (415) 555-0100", "415.555.0100", "+44 20 7946 0958"). Extensions after ";ext=" in a tel: URI are dropped.
    pub raw: String,
    /// The card's FN (formatted name), unescaped, if it has one.
    pub name: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VcardError {
    /// The text contains no BEGIN:VCARD at all: not an address book.
    NotAVcard,
    /// A card was opened with BEGIN:VCARD and never closed with END:VCARD.
    Unterminated { line: usize },
}

impl fmt::Display for VcardError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            VcardError::NotAVcard => f.write_str("not a vCard file (no BEGIN:VCARD)"),
            VcardError::Unterminated { line } => write!(
                f,
                "vCard opened on line {line} is never closed (END:VCARD missing)"
            ),
        }
    }
}

impl std::error::Error for VcardError {}

/// Every TEL of every card, in file order.
pub fn tels(text: &str) -> Result<Vec<Tel>, VcardError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let (mut out, mut depth, mut start, mut card) = (Vec::new(), 0usize, None, Card::default());
    let lines = unfold(text);
    let props = lines
        .iter()
        .filter_map(|(n, l)| Some((*n, Prop::parse(l)?)));
    for (line, p) in props {
        let is_vcard = p.value.trim().eq_ignore_ascii_case("VCARD");
        match p.name.as_str() {
            // Depth keeps a vCard 2.1 AGENT's embedded card from closing its parent.
            "BEGIN" if is_vcard => {
                depth += 1;
                if depth == 1 {
                    (start, card) = (Some(line), Card::default());
                }
            }
            "END" if is_vcard && depth > 0 => {
                depth -= 1;
                if depth == 0 {
                    let name = card.fn_.take().or(card.n.take());
                    card.tels.iter_mut().for_each(|t| t.name.clone_from(&name));
                    out.append(&mut card.tels);
                }
            }
            _ if depth != 1 => {}
            "TEL" => card.tels.extend(p.tel().map(|raw| Tel { raw, name: None })),
            "FN" if card.fn_.is_none() => card.fn_ = tidy(p.text(p.value)),
            "N" if card.n.is_none() => {
                let part = |i| components(p.value).nth(i).map(|c| p.text(c));
                let (family, given) = (part(0).unwrap_or_default(), part(1).unwrap_or_default());
                card.n = tidy(format!("{given} {family}"));
            }
            _ => {}
        }
    }
    match (depth, start) {
        (1.., Some(line)) => Err(VcardError::Unterminated { line }),
        (_, None) => Err(VcardError::NotAVcard),
        _ => Ok(out),
    }
}

#[derive(Default)]
struct Card {
    tels: Vec<Tel>,
    fn_: Option<String>,
    n: Option<String>,
}

/// Logical lines with the physical line number each starts on.
fn unfold(text: &str) -> Vec<(usize, String)> {
    let mut lines: Vec<(usize, String)> = Vec::new();
    for (i, phys) in text.lines().enumerate() {
        if let Some((_, last)) = lines.last_mut() {
            // vCard 2.1 quoted-printable soft breaks: the next line carries on
            // unindented. Android and Outlook both write these.
            let soft_break = last.ends_with('=')
                && !phys.trim().eq_ignore_ascii_case("END:VCARD")
                && Prop::parse(last).is_some_and(|p| p.quoted_printable());
            if soft_break {
                last.pop();
                last.push_str(phys);
                continue;
            }
            if let Some(rest) = phys.strip_prefix([' ', '\t']) {
                last.push_str(rest);
                continue;
            }
        }
        lines.push((i + 1, phys.to_owned()));
    }
    lines
}

struct Prop<'a> {
    /// Upper-cased, group prefix (`item1.`) removed.
    name: String,
    params: &'a str,
    value: &'a str,
}

impl<'a> Prop<'a> {
    fn parse(line: &'a str) -> Option<Self> {
        let mut quoted = false;
        let (colon, _) = line.char_indices().find(|&(_, c)| {
            quoted ^= c == '"';
            c == ':' && !quoted
        })?;
        let (head, value) = (&line[..colon], &line[colon + 1..]);
        let (name, params) = head.split_once(';').unwrap_or((head, ""));
        let name = name.rsplit('.').next().unwrap_or(name);
        Some(Prop {
            name: name.trim().to_ascii_uppercase(),
            params,
            value,
        })
    }

    fn quoted_printable(&self) -> bool {
        let mut quoted = false;
        let mut params = self.params.split(|c| {
            quoted ^= c == '"';
            c == ';' && !quoted
        });
        params.any(|param| {
            // vCard 2.1 allows the bare value (`FN;QUOTED-PRINTABLE:`).
            let (key, v) = param.split_once('=').unwrap_or(("ENCODING", param));
            key.trim().eq_ignore_ascii_case("ENCODING")
                && v.trim()
                    .trim_matches('"')
                    .eq_ignore_ascii_case("QUOTED-PRINTABLE")
        })
    }

    /// A text value (or one component of it), decoded and unescaped.
    fn text(&self, raw: &str) -> String {
        if self.quoted_printable() {
            unescape(&qp_decode(raw))
        } else {
            unescape(raw)
        }
    }

    fn tel(&self) -> Option<String> {
        let v = self.value.trim();
        let uri = v
            .split_at_checked(4)
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("tel:"));
        let raw = match uri {
            // `;ext=`, `;phone-context=` and `;isub=` all go.
            Some((_, number)) => number.split(';').next().map(str::to_owned),
            None => Some(self.text(v)),
        }?;
        let raw = raw.trim();
        (!raw.is_empty()).then(|| raw.to_owned())
    }
}

/// Splits a structured value (N) on unescaped `;`.
fn components(v: &str) -> impl Iterator<Item = &str> {
    let mut escaped = false;
    v.split(move |c| {
        let split = c == ';' && !escaped;
        escaped = c == '\\' && !escaped;
        split
    })
}

fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        out.push(match c {
            '\\' => match chars.next() {
                Some('n' | 'N') => ' ',
                Some(next) => next,
                None => '\\',
            },
            _ => c,
        });
    }
    out
}

fn qp_decode(s: &str) -> String {
    let b = s.as_bytes();
    let hex = |i: usize| b.get(i).and_then(|&c| (c as char).to_digit(16));
    let (mut out, mut i) = (Vec::with_capacity(b.len()), 0);
    while let Some(&c) = b.get(i) {
        match (c, hex(i + 1), hex(i + 2)) {
            (b'=', Some(h), Some(l)) => (out.push((h * 16 + l) as u8), i += 3),
            _ => (out.push(c), i += 1),
        };
    }
    // Older Outlook and Nokia exports say CHARSET=ISO-8859-1 (or nothing) and mean it.
    String::from_utf8(out).unwrap_or_else(|e| e.into_bytes().iter().map(|&c| c as char).collect())
}

/// Collapses runs of whitespace; an all-blank name is no name.
fn tidy(name: String) -> Option<String> {
    let name = name.split_whitespace().collect::<Vec<_>>().join(" ");
    (!name.is_empty()).then_some(name)
}

#[cfg(test)]
mod tests {
    // The same tests run compiled to wasm, under Node (scripts/test.sh).
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn tel(raw: &str, name: Option<&str>) -> Tel {
        let (raw, name) = (raw.into(), name.map(Into::into));
        Tel { raw, name }
    }

    #[test]
    fn an_icloud_export_with_grouped_tels() {
        let vcf = "\u{feff}BEGIN:VCARD\nVERSION:3.0\nPRODID:-//Apple Inc.//iPhone OS 17.2//EN\n\
            N:Appleseed;Jane;;;\nFN:Jane Appleseed\nORG:Example Corp;\n\
            item1.TEL;type=pref:+1 (415) 555-0100\ntel;type=CELL;type=VOICE:415.555.0101\n\
            item2.TEL:(415) 555-0102\nitem2.X-ABLabel:_$!<Other>!$_\n\
            item3.EMAIL;type=INTERNET;type=pref:jane@example.com\nEND:VCARD\n"
            .replace('\n', "\r\n");
        let jane = Some("Jane Appleseed");
        let want = vec![
            tel("+1 (415) 555-0100", jane),
            tel("415.555.0101", jane),
            tel("(415) 555-0102", jane),
        ];
        assert_eq!(tels(&vcf), Ok(want));
    }

    #[test]
    fn google_export_with_several_cards() {
        let vcf = "BEGIN:VCARD\nVERSION:3.0\nFN:Ravi Kumar\nN:Kumar;Ravi;;;\n\
            TEL;TYPE=CELL:+91 (80) 22223333\nTEL;TYPE=WORK:+44 20 7946 0958\nEND:VCARD\n\
            BEGIN:VCARD\nVERSION:3.0\nFN:O'Brien\\, Pat\\nHome\\; Office \\\\ 2\nN:O'Brien;Pat;;;\n\
            TEL;TYPE=HOME:415.555.0101\nitem1.TEL:+1 415 555 0100\nitem1.X-ABLabel:Pager\nEND:VCARD\n\
            BEGIN:VCARD\nVERSION:3.0\nFN:No Phone\nEMAIL;TYPE=INTERNET:np@example.com\nEND:VCARD\n";
        let (ravi, pat) = (Some("Ravi Kumar"), Some("O'Brien, Pat Home; Office \\ 2"));
        let want = vec![
            tel("+91 (80) 22223333", ravi),
            tel("+44 20 7946 0958", ravi),
            tel("415.555.0101", pat),
            tel("+1 415 555 0100", pat),
        ];
        assert_eq!(tels(vcf), Ok(want));
    }

    #[test]
    fn folded_lines_are_unfolded() {
        let vcf = "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Alexandra Montgomery-\r\n Fitzwilliam\r\n\
            TEL;TYPE=\"voice,cell\":+1 415 5\r\n 55 0100\r\nTEL;TYPE=WORK\r\n\t:415.555.0101\r\n\
            END:VCARD\r\n";
        let name = Some("Alexandra Montgomery-Fitzwilliam");
        let want = vec![tel("+1 415 555 0100", name), tel("415.555.0101", name)];
        assert_eq!(tels(vcf), Ok(want));
    }

    #[test]
    fn vcard_21_quoted_printable_names() {
        let vcf = "BEGIN:VCARD\nVERSION:2.1\n\
            N;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:=E7=94=B0=E4=B8=AD;=E5=A4=AA=E9=83=8E;;;\n\
            FN;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:=E7=94=B0=E4=B8=AD =E5=A4=\n=AA=E9=83=8E\n\
            TEL;CELL;PREF:+91 (80) 22223333\nEND:VCARD\n\
            BEGIN:VCARD\nVERSION:2.1\nN;CHARSET=ISO-8859-1;QUOTED-PRINTABLE:Dubois;Ren=E9e\n\
            TEL;WORK;VOICE:(415) 555-0102\nTEL;HOME:+44 20 7946 0958\nEND:VCARD\n\
            BEGIN:VCARD\nVERSION:2.1\nFN;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:J=C3=BCrgen =\nM=C3=BCller\n\
            TEL;CELL:415.555.0101\nEND:VCARD\n";
        let want = vec![
            tel("+91 (80) 22223333", Some("田中 太郎")),
            tel("(415) 555-0102", Some("Renée Dubois")),
            tel("+44 20 7946 0958", Some("Renée Dubois")),
            tel("415.555.0101", Some("Jürgen Müller")),
        ];
        assert_eq!(tels(vcf), Ok(want));
    }

    #[test]
    fn tel_uris_lose_scheme_and_extension() {
        let vcf = "BEGIN:VCARD\nVERSION:4.0\n\
            TEL;VALUE=uri;TYPE=\"voice,cell\";PREF=1:tel:+1-415-555-0100\n\
            TEL;VALUE=uri;TYPE=work:TEL:+14155550100;ext=123\n\
            TEL;TYPE=CELL,VOICE;PREF=1:+44 20 7946 0958\n\
            TEL;TYPE=\"x:odd\";VALUE=text: 415.555.0101 \n\
            FN:Dana Whitfield\nEND:VCARD\n";
        let dana = Some("Dana Whitfield");
        let want = vec![
            tel("+1-415-555-0100", dana),
            tel("+14155550100", dana),
            tel("+44 20 7946 0958", dana),
            tel("415.555.0101", dana),
        ];
        assert_eq!(tels(vcf), Ok(want));
    }

    #[test]
    fn nameless_cards_fall_back_to_n_or_nothing() {
        let vcf = "BEGIN:VCARD\nN:Smith;John;;Dr.;\nFN:\nTEL:(415) 555-0102\nEND:VCARD\n\
            BEGIN:VCARD\nN:;;;;\nTEL:415.555.0101\nEND:VCARD\n";
        let john = tel("(415) 555-0102", Some("John Smith"));
        let want = vec![john, tel("415.555.0101", None)];
        assert_eq!(tels(vcf), Ok(want));
    }

    #[test]
    fn empty_tels_and_text_outside_cards_are_ignored() {
        let vcf = "Exported by Contacts\nTEL:+1 415 555 0199\n\
            BEGIN:VCARD\nVERSION:2.1\nFN:Kim Lee\nTEL;HOME:\nTEL:   \nTEL;VALUE=uri:tel:\n\
            AGENT:\nBEGIN:VCARD\nVERSION:2.1\nFN:Assistant\nTEL:+1 415 555 0198\nEND:VCARD\n\
            X-CUSTOM;FOO=\"a;b:c\":whatever\nTEL;WORK:+1 415 555 0100\nEND:VCARD\nEND:VCARD\ntrailer\n";
        assert_eq!(tels(vcf), Ok(vec![tel("+1 415 555 0100", Some("Kim Lee"))]));
        assert_eq!(tels("begin:vcard\nend:vcard"), Ok(vec![]));
    }

    #[test]
    fn not_a_vcard_is_an_error() {
        for text in [
            "",
            "\u{feff}",
            "Name,Phone\nJane,+1 415 555 0100",
            "TEL:1\nEND:VCARD",
        ] {
            assert_eq!(tels(text), Err(VcardError::NotAVcard), "{text:?}");
        }
        let msg = VcardError::NotAVcard.to_string();
        assert_eq!(msg, "not a vCard file (no BEGIN:VCARD)");
    }

    #[test]
    fn unterminated_card_is_an_error() {
        let vcf = "BEGIN:VCARD\nFN:A\nEND:VCARD\n\nBEGIN:VCARD\nFN:B\nTEL:415.555.0101\n\
            BEGIN:VCARD\nFN:C\nEND:VCARD\n";
        let err = tels(vcf).unwrap_err();
        assert_eq!(err, VcardError::Unterminated { line: 5 });
        let msg = "vCard opened on line 5 is never closed (END:VCARD missing)";
        assert_eq!(err.to_string(), msg);
        // A dangling soft break must not swallow END:VCARD.
        let qp = "BEGIN:VCARD\nFN;ENCODING=QUOTED-PRINTABLE:Ann=\nEND:VCARD\nBEGIN:VCARD\nTEL:1";
        assert_eq!(tels(qp), Err(VcardError::Unterminated { line: 4 }));
    }

    #[test]
    fn odd_input_never_panics() {
        let odd = [
            "BEGIN:VCARD\nTEL;TYPE=\"unclosed:+1\nFN:=\nN:\\\nEND:VCARD",
            "BEGIN:VCARD\nFN;ENCODING=QUOTED-PRINTABLE:=\n=E\n=ZZ=C3\nTEL:tel\nEND:VCARD",
            "BEGIN:VCARD\n\u{e9}:\u{1f600}\nTEL:t\u{e9}l:\u{1f600}\n\t\u{1f600}\nEND:VCARD",
            " \n\t\n:\n;\n.\n\"\nBEGIN:VCARD\r\rEND:VCARD\n",
            "BEGIN:VCARD\nPHOTO;ENCODING=b:AAAA\nFN;ENCODING=BASE64:SmFuZQ==\nEND:VCARD",
        ];
        for text in odd {
            for (i, _) in text.char_indices() {
                let _ = tels(&text[..i]);
                let _ = tels(&text[i..]);
            }
        }
    }
}
