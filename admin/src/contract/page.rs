//! Paging: every list takes `?limit=` (1 to [`MAX_LIMIT`], [`DEFAULT_LIMIT`]
//! when left out) and `?cursor=` (as the previous page's `next_cursor` gave
//! it), and answers `next_cursor`, null on the last page.
//!
//! A cursor is opaque to clients: the store's own position (a KV list
//! cursor, a call log's last row, an allocator's last item) sealed with an
//! HMAC under the deployment's secret and the list it belongs to. So a
//! cursor that was not ours, or was another list's or another account's,
//! is a clear 422 and never reaches the store (KV refuses a cursor it did
//! not issue with an error of its own, which would read as an outage).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;

pub const DEFAULT_LIMIT: u32 = 50;
pub const MAX_LIMIT: u32 = 500;
/// Bytes of the tag kept in a cursor: forging one is a 2^-96 guess.
const TAG: usize = 12;

/// A page asked for: how many, and where the last page ended (opened).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    pub limit: u32,
    pub after: Option<String>,
}

/// Which query parameter was wrong, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageError {
    pub field: &'static str,
    pub why: String,
}

/// The key cursors are sealed with, and the list a cursor belongs to (the
/// account, the list, and what it lists: a line's entries are another
/// list than another line's).
pub struct Sealer<'a> {
    pub key: &'a [u8],
    pub list: String,
}

impl Sealer<'_> {
    fn mac(&self, inner: &str) -> Hmac<Sha256> {
        let mut mac = Hmac::<Sha256>::new_from_slice(self.key).expect("HMAC takes any key");
        mac.update(b"switchboard cursor\0");
        mac.update(self.list.as_bytes());
        mac.update(b"\0");
        mac.update(inner.as_bytes());
        mac
    }

    pub fn seal(&self, inner: &str) -> String {
        let tag = self.mac(inner).finalize().into_bytes();
        let mut bytes = tag[..TAG].to_vec();
        bytes.extend_from_slice(inner.as_bytes());
        URL_SAFE_NO_PAD.encode(bytes)
    }

    pub fn open(&self, cursor: &str) -> Option<String> {
        let bytes = URL_SAFE_NO_PAD.decode(cursor).ok()?;
        if bytes.len() < TAG {
            return None;
        }
        let (tag, inner) = bytes.split_at(TAG);
        let inner = std::str::from_utf8(inner).ok()?;
        self.mac(inner).verify_truncated_left(tag).ok()?;
        Some(inner.to_string())
    }

    /// The page a query string asks for; `other` is called with every
    /// parameter that is not `limit` or `cursor` (a list's own filters),
    /// and says whether it took it.
    pub fn page<'q>(
        &self,
        query: impl IntoIterator<Item = (&'q str, &'q str)>,
        mut other: impl FnMut(&str, &str) -> Result<(), PageError>,
    ) -> Result<Page, PageError> {
        let mut page = Page {
            limit: DEFAULT_LIMIT,
            after: None,
        };
        for (k, v) in query {
            match k {
                "limit" => page.limit = limit(v)?,
                "cursor" => {
                    page.after = Some(self.open(v).ok_or_else(|| PageError {
                        field: "cursor",
                        why: "cursor: not one this list gave (pass next_cursor as it came)".into(),
                    })?)
                }
                _ => other(k, v)?,
            }
        }
        Ok(page)
    }
}

fn limit(v: &str) -> Result<u32, PageError> {
    v.parse()
        .ok()
        .filter(|n| (1..=MAX_LIMIT).contains(n))
        .ok_or_else(|| PageError {
            field: "limit",
            why: format!("limit: a whole number from 1 to {MAX_LIMIT}"),
        })
}

/// A list that takes no parameters of its own.
pub fn no_filters(k: &str, _: &str) -> Result<(), PageError> {
    Err(PageError {
        field: "",
        why: format!("unknown query parameter {k:?}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sealer(list: &str) -> Sealer<'static> {
        Sealer {
            key: b"secret",
            list: list.into(),
        }
    }

    #[test]
    fn a_cursor_opens_only_for_the_list_that_sealed_it() {
        let lines = sealer("AC1:lines");
        let c = lines.seal("kv-cursor/with:anything");
        assert_eq!(lines.open(&c).as_deref(), Some("kv-cursor/with:anything"));
        assert_eq!(sealer("AC2:lines").open(&c), None);
        assert_eq!(sealer("AC1:blocked").open(&c), None);
        let other_key = Sealer {
            key: b"other",
            list: "AC1:lines".into(),
        };
        assert_eq!(other_key.open(&c), None);
        assert_eq!(lines.open("garbage"), None);
        assert_eq!(lines.open(""), None);
        let mut tampered = c.clone().into_bytes();
        let last = tampered.len() - 1;
        tampered[last] = if tampered[last] == b'A' { b'B' } else { b'A' };
        assert_eq!(lines.open(std::str::from_utf8(&tampered).unwrap()), None);
    }

    #[test]
    fn limits_and_cursors_are_checked_and_others_go_to_the_list() {
        let s = sealer("x");
        let page = |q: &[(&str, &str)]| s.page(q.iter().copied(), no_filters);
        assert_eq!(
            page(&[]).unwrap(),
            Page {
                limit: 50,
                after: None
            }
        );
        assert_eq!(page(&[("limit", "500")]).unwrap().limit, 500);
        for bad in ["0", "501", "-1", "ten", ""] {
            assert_eq!(page(&[("limit", bad)]).unwrap_err().field, "limit");
        }
        assert_eq!(page(&[("cursor", "abc")]).unwrap_err().field, "cursor");
        let c = s.seal("12.CA1");
        assert_eq!(
            page(&[("cursor", &c)]).unwrap().after.as_deref(),
            Some("12.CA1")
        );
        assert_eq!(page(&[("colour", "red")]).unwrap_err().field, "");
    }
}
