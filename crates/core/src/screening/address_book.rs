//! Replacing a line's address book with the numbers of an imported file: the
//! diff against the entries the line has, as the writes to make. Pure, so
//! the import's rules are tested without a store.

use super::Entry;
use crate::phone::E164;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// What an import changes. `writes` are the entries to store (an entry that
/// ends up empty is to be deleted, which the store does for an empty one).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct Import {
    #[serde(skip)]
    pub writes: Vec<(E164, Entry)>,
    pub numbers: usize,
    pub added: usize,
    pub removed: usize,
    pub unchanged: usize,
}

/// Every number in `wanted` is allowed; every allowed number not in it is
/// allowed no longer. A caller's other flags (block, forward) are theirs and
/// survive both ways, so an import never unblocks anybody.
pub fn import(wanted: &BTreeSet<E164>, existing: &BTreeMap<E164, Entry>) -> Import {
    let mut out = Import {
        numbers: wanted.len(),
        ..Import::default()
    };
    for n in wanted {
        let mut entry = existing.get(n).cloned().unwrap_or_default();
        if entry.allow {
            out.unchanged += 1;
            continue;
        }
        entry.allow = true;
        out.writes.push((n.clone(), entry));
        out.added += 1;
    }
    for (n, entry) in existing {
        if entry.allow && !wanted.contains(n) {
            let kept = Entry {
                allow: false,
                ..entry.clone()
            };
            out.writes.push((n.clone(), kept));
            out.removed += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    // The same tests run compiled to wasm, under Node (scripts/test.sh).
    use super::*;
    use crate::outcome::Target;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn n(s: &str) -> E164 {
        E164::parse(s).unwrap()
    }

    fn allowed() -> Entry {
        Entry {
            allow: true,
            ..Entry::default()
        }
    }

    #[test]
    fn a_first_import_allows_every_number() {
        let wanted = [n("+14155550101"), n("+14155550102")].into();
        let diff = import(&wanted, &BTreeMap::new());
        assert_eq!(
            (diff.numbers, diff.added, diff.removed, diff.unchanged),
            (2, 2, 0, 0)
        );
        assert!(diff.writes.iter().all(|(_, e)| *e == allowed()));
    }

    #[test]
    fn a_second_import_writes_only_the_difference() {
        let existing: BTreeMap<E164, Entry> = [
            (n("+14155550101"), allowed()),
            (n("+14155550102"), allowed()),
        ]
        .into();
        let wanted = [n("+14155550102"), n("+14155550103")].into();
        let diff = import(&wanted, &existing);
        assert_eq!((diff.added, diff.removed, diff.unchanged), (1, 1, 1));
        assert_eq!(
            diff.writes,
            vec![
                (n("+14155550103"), allowed()),
                (n("+14155550101"), Entry::default()),
            ]
        );
    }

    #[test]
    fn blocks_and_forwards_survive_an_import_both_ways() {
        let blocked = Entry {
            block: true,
            ..Entry::default()
        };
        let forwarded = Entry {
            allow: true,
            forward: Some(Target::Number(n("+14155550199"))),
            ..Entry::default()
        };
        let existing: BTreeMap<E164, Entry> = [
            (n("+14155550101"), blocked.clone()),
            (n("+14155550102"), forwarded.clone()),
        ]
        .into();
        // The blocked caller is in the file, the forwarded one no longer is.
        let wanted = [n("+14155550101")].into();
        let diff = import(&wanted, &existing);
        assert_eq!(
            diff.writes,
            vec![
                (
                    n("+14155550101"),
                    Entry {
                        allow: true,
                        ..blocked
                    }
                ),
                (
                    n("+14155550102"),
                    Entry {
                        allow: false,
                        ..forwarded
                    }
                ),
            ]
        );
    }
}
