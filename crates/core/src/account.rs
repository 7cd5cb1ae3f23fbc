//! The tenant: a Twilio account (a subaccount per ISV customer). Every
//! request belongs to exactly one, parsed once where it enters and carried as
//! this type, so nothing downstream can pick an account from somewhere else.

use serde::{Deserialize, Serialize};
use std::fmt;

/// `AC` and 32 hex digits, as Twilio issues them.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct AccountSid(String);

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotAnAccountSid;

impl fmt::Display for NotAnAccountSid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("not an account SID (AC and 32 hex digits)")
    }
}

impl std::error::Error for NotAnAccountSid {}

impl AccountSid {
    pub fn parse(s: &str) -> Result<AccountSid, NotAnAccountSid> {
        let ok = s.len() == 34
            && s.starts_with("AC")
            && s.bytes().skip(2).all(|b| b.is_ascii_hexdigit());
        if ok {
            Ok(AccountSid(s.to_string()))
        } else {
            Err(NotAnAccountSid)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for AccountSid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for AccountSid {
    type Error = NotAnAccountSid;
    fn try_from(s: String) -> Result<AccountSid, NotAnAccountSid> {
        AccountSid::parse(&s)
    }
}

impl From<AccountSid> for String {
    fn from(a: AccountSid) -> String {
        a.0
    }
}

/// Where a webhook's `AccountSid` was found: the query string and the body
/// are both signed, but they are separate places a forger could disagree in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Query,
    Body,
}

/// Why a webhook names no single account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AccountError {
    Missing,
    Malformed,
    /// Named twice in one place (`AccountSid=…&AccountSid=…`).
    Repeated,
    /// The query and the body name different accounts.
    Conflicting,
}

impl fmt::Display for AccountError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            AccountError::Missing => "the request names no AccountSid",
            AccountError::Malformed => "AccountSid is not an account SID (AC and 32 hex digits)",
            AccountError::Repeated => "AccountSid is given more than once",
            AccountError::Conflicting => "the query and the body name different accounts",
        })
    }
}

impl std::error::Error for AccountError {}

/// The one account a webhook belongs to. Each place may name it at most
/// once; when both do, they must agree. Anything else is refused, because the
/// signing key is chosen by this value and every route reads only it.
pub fn of_webhook<'a>(
    names: impl IntoIterator<Item = (Source, &'a str)>,
) -> Result<AccountSid, AccountError> {
    let (mut query, mut body) = (None, None);
    for (source, value) in names {
        let slot = match source {
            Source::Query => &mut query,
            Source::Body => &mut body,
        };
        if slot.replace(value).is_some() {
            return Err(AccountError::Repeated);
        }
    }
    let named = match (query, body) {
        (Some(q), Some(b)) if q != b => return Err(AccountError::Conflicting),
        (Some(v), _) | (None, Some(v)) => v,
        (None, None) => return Err(AccountError::Missing),
    };
    AccountSid::parse(named).map_err(|_| AccountError::Malformed)
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    const A: &str = "AC00000000000000000000000000000001";
    const B: &str = "AC00000000000000000000000000000002";

    #[test]
    fn an_account_sid_is_ac_and_32_hex_digits() {
        assert!(AccountSid::parse(A).is_ok());
        assert!(AccountSid::parse("ACabcdefABCDEF0123456789abcdef0123").is_ok());
        for bad in [
            "",
            "AC",
            "AC0000000000000000000000000000000",
            "AC000000000000000000000000000000011",
            "XX00000000000000000000000000000001",
            "AC0000000000000000000000000000000g",
            "AC000000000000000000000000000000é",
        ] {
            assert_eq!(AccountSid::parse(bad), Err(NotAnAccountSid), "{bad:?}");
        }
    }

    #[test]
    fn a_webhook_names_one_account_once_per_place() {
        use Source::*;
        assert_eq!(of_webhook([(Body, A)]).unwrap().as_str(), A);
        assert_eq!(of_webhook([(Query, A)]).unwrap().as_str(), A);
        assert_eq!(of_webhook([(Query, A), (Body, A)]).unwrap().as_str(), A);
        assert_eq!(of_webhook([]), Err(AccountError::Missing));
        assert_eq!(of_webhook([(Body, "AC1")]), Err(AccountError::Malformed));
        assert_eq!(
            of_webhook([(Body, A), (Body, A)]),
            Err(AccountError::Repeated)
        );
        assert_eq!(
            of_webhook([(Query, A), (Query, B)]),
            Err(AccountError::Repeated)
        );
    }

    #[test]
    fn the_query_cannot_name_another_account_than_the_body() {
        use Source::*;
        assert_eq!(
            of_webhook([(Query, A), (Body, B)]),
            Err(AccountError::Conflicting)
        );
    }
}
