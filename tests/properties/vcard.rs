//! `screening::vcard::tels`: address books uploaded through the management API.

use crate::{cases, nasty_char, nasty_string};
use proptest::prelude::*;
use switchboard_core::screening::vcard::tels;

/// Real-world shapes: iCloud groups, Google, 2.1 quoted-printable with soft
/// breaks and Latin-1, a nested AGENT card, 4.0 tel: URIs, folded lines.
const CARDS: &[&str] = &[
    "BEGIN:VCARD\r\nVERSION:3.0\r\nN:Appleseed;Jane;;;\r\nFN:Jane Appleseed\r\n\
     item1.TEL;type=pref:+1 (415) 555-0100\r\ntel;type=CELL;type=VOICE:415.555.0101\r\n\
     item2.TEL:(415) 555-0102\r\nitem2.X-ABLabel:_$!<Other>!$_\r\nEND:VCARD\r\n",
    "BEGIN:VCARD\nVERSION:3.0\nFN:O'Brien\\, Pat\\nHome\\; Office\nN:O'Brien;Pat;;;\n\
     TEL;TYPE=HOME:415.555.0101\nitem1.TEL:+1 415 555 0100\nEND:VCARD\n\
     BEGIN:VCARD\nVERSION:3.0\nFN:No Phone\nEMAIL;TYPE=INTERNET:np@example.com\nEND:VCARD\n",
    "BEGIN:VCARD\nVERSION:2.1\n\
     N;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:=E7=94=B0=E4=B8=AD;=E5=A4=AA=E9=83=8E;;;\n\
     FN;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:=E7=94=B0=E4=B8=AD =E5=A4=\n=AA=E9=83=8E\n\
     TEL;CELL;PREF:+91 (80) 22223333\nEND:VCARD\n\
     BEGIN:VCARD\nVERSION:2.1\nN;CHARSET=ISO-8859-1;QUOTED-PRINTABLE:Dubois;Ren=E9e\n\
     TEL;WORK;VOICE:(415) 555-0102\nEND:VCARD\n",
    "BEGIN:VCARD\nVERSION:2.1\nFN:Kim Lee\nTEL;HOME:\n\
     AGENT:\nBEGIN:VCARD\nVERSION:2.1\nFN:Assistant\nTEL:+1 415 555 0198\nEND:VCARD\n\
     X-CUSTOM;FOO=\"a;b:c\":whatever\nTEL;WORK:+1 415 555 0100\nEND:VCARD\n",
    "BEGIN:VCARD\r\nVERSION:4.0\r\nTEL;VALUE=uri;TYPE=\"voice,cell\";PREF=1:tel:+1-415-555-0100\r\n\
     TEL;VALUE=uri;TYPE=work:TEL:+14155550100;ext=123\r\nFN:Dana Whit\r\n field\r\n\
     TEL;TYPE=WORK\r\n\t:415.555.0101\r\nEND:VCARD\r\n",
];

/// One edit of a card, at a position taken modulo its length in characters.
#[derive(Debug, Clone)]
enum Edit {
    Insert(usize, String),
    Delete(usize, usize),
    Fold(usize),
    DuplicateLine(usize),
    Truncate(usize),
}

fn edit() -> impl Strategy<Value = Edit> {
    let piece = prop_oneof![
        nasty_string(4),
        prop::sample::select(vec![
            "\r\n",
            "\n ",
            "=\r\n",
            "=E9",
            "=C3",
            "BEGIN:VCARD\n",
            "END:VCARD\n",
            "AGENT:",
            "TEL:",
            "TEL;ENCODING=QUOTED-PRINTABLE:",
            "tel:",
            ";ext=",
            "item9.",
            "\"",
            "\\",
            "\u{feff}",
        ])
        .prop_map(str::to_string),
    ];
    prop_oneof![
        (any::<usize>(), piece).prop_map(|(at, s)| Edit::Insert(at, s)),
        (any::<usize>(), 1..8usize).prop_map(|(at, n)| Edit::Delete(at, n)),
        any::<usize>().prop_map(Edit::Fold),
        any::<usize>().prop_map(Edit::DuplicateLine),
        any::<usize>().prop_map(Edit::Truncate),
    ]
}

/// The byte offset of character `at % (chars + 1)`.
fn boundary(s: &str, at: usize) -> usize {
    let n = s.chars().count() + 1;
    s.char_indices()
        .map(|(i, _)| i)
        .chain([s.len()])
        .nth(at % n)
        .unwrap_or(s.len())
}

fn apply(mut s: String, edit: &Edit) -> String {
    match edit {
        Edit::Insert(at, piece) => s.insert_str(boundary(&s, *at), piece),
        Edit::Delete(at, n) => {
            let from = boundary(&s, *at);
            let to = s[from..]
                .char_indices()
                .nth(*n)
                .map_or(s.len(), |(i, _)| from + i);
            s.replace_range(from..to, "");
        }
        Edit::Fold(at) => s.insert_str(boundary(&s, *at), "\r\n "),
        Edit::DuplicateLine(at) => {
            let lines: Vec<&str> = s.split_inclusive('\n').collect();
            if !lines.is_empty() {
                let i = at % lines.len();
                let line = lines[i].to_string();
                let mut out: String = lines[..i].concat();
                out.push_str(&line);
                out.push_str(&lines[i..].concat());
                s = out;
            }
        }
        Edit::Truncate(at) => s.truncate(boundary(&s, *at)),
    }
    s
}

/// Folds line `line` (taken modulo the count) after character `at` of it, as
/// RFC 6350 allows anywhere: CRLF and one space.
fn fold(card: &str, line: usize, at: usize) -> String {
    let lines: Vec<&str> = card.split_inclusive('\n').collect();
    let i = line % lines.len();
    let content = lines[i].trim_end_matches(['\r', '\n']);
    let mut out: String = lines[..i].concat();
    if content.chars().count() > 1 {
        // After the first character: a fold at the very start joins the previous line.
        let cut = content
            .char_indices()
            .map(|(b, _)| b)
            .nth(1 + at % (content.chars().count() - 1));
        let cut = cut.unwrap_or(content.len());
        out.push_str(&content[..cut]);
        out.push_str("\r\n ");
        out.push_str(&lines[i][cut..]);
    } else {
        out.push_str(lines[i]);
    }
    out.push_str(&lines[i + 1..].concat());
    out
}

proptest! {
    #![proptest_config(cases(384))]

    #[test]
    fn any_text_is_read_or_refused(text in prop_oneof![any::<String>(), nasty_string(64)]) {
        let _ = tels(&text);
    }

    #[test]
    fn mutated_real_cards_are_read_or_refused(
        card in prop::sample::select(CARDS),
        edits in prop::collection::vec(edit(), 1..6),
        junk in prop::collection::vec(nasty_char(), 0..3),
    ) {
        let mut text = edits.iter().fold(card.to_string(), apply);
        text.extend(junk);
        if let Ok(found) = tels(&text) {
            for tel in found {
                prop_assert!(!tel.raw.is_empty() && tel.raw.trim() == tel.raw, "{tel:?}");
            }
        }
    }

    #[test]
    fn folding_a_3_0_or_4_0_line_changes_nothing(
        card in prop::sample::select(vec![CARDS[0], CARDS[1], CARDS[4]]),
        line in any::<usize>(),
        at in any::<usize>(),
    ) {
        let want = tels(card);
        prop_assert!(want.is_ok());
        prop_assert_eq!(tels(&fold(card, line, at)), want);
    }
}
