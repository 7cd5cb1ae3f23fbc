//! Outbound calls: which of the account's numbers the callee sees, and
//! whether the destination may be called at all (toll-fraud guard).

pub mod verification;

use crate::config::ConfigError;
use crate::ledger::Limit;
use crate::phone::plan::{self, Kind};
use crate::phone::E164;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

/// An account's outbound settings, stored at `acct:<AccountSid>`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Outbound {
    /// Shown when no pool matches.
    pub default_number: E164,
    /// ISO 3166 country (as `phonenumber` reports it: `GB`, not `UK`) -> numbers.
    #[serde(default)]
    pub country_pools: BTreeMap<String, Vec<E164>>,
    /// Any prefix of an E.164 number (`+1415`, `+447`, `+49`) -> numbers.
    #[serde(default)]
    pub prefix_pools: BTreeMap<String, Vec<E164>>,
    /// For national spellings of dialled numbers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_country: Option<String>,
    #[serde(default)]
    pub guard: Guard,
    #[serde(default)]
    pub verification: VerificationSettings,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Guard {
    /// Countries that may be called. Empty: those the account has numbers in.
    pub allowed_countries: Vec<String>,
    /// Never called, whatever the country (high-risk ranges).
    pub blocked_prefixes: Vec<String>,
    pub allow_premium: bool,
    pub max_calls_per_destination_per_hour: u32,
    pub max_calls_per_account_per_hour: u32,
    /// SIP domains `/voice/outbound` may dial (`pbx.example.com`). A SIP URI
    /// reaches any carrier's trunk, so none is dialled unless listed here.
    pub sip_domains: Vec<String>,
}

impl Default for Guard {
    fn default() -> Self {
        Guard {
            allowed_countries: Vec::new(),
            blocked_prefixes: Vec::new(),
            allow_premium: false,
            max_calls_per_destination_per_hour: 5,
            max_calls_per_account_per_hour: 100,
            sip_domains: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VerificationSettings {
    pub code_length: u8,
    pub ttl_secs: u32,
    pub max_attempts: u8,
    /// ISO country -> speech language for voice codes (`DE` -> `de-DE`).
    pub languages: BTreeMap<String, String>,
    /// `{code}` is replaced by the code.
    pub sms_text: String,
    /// Said before the digits, twice.
    pub voice_text: String,
}

impl Default for VerificationSettings {
    fn default() -> Self {
        VerificationSettings {
            code_length: 6,
            ttl_secs: 600,
            max_attempts: 5,
            languages: BTreeMap::new(),
            sms_text: "Your verification code is {code}.".into(),
            voice_text: "Your verification code is".into(),
        }
    }
}

impl Outbound {
    /// Strictly a JSON object of this shape (`crate::body`), then validated.
    pub fn from_json(text: &str) -> Result<Outbound, ConfigError> {
        let config: Outbound = crate::body::parse(text)?;
        config.validate()?;
        Ok(config)
    }

    /// What the admin worker stored after [`Outbound::from_json`]: read back
    /// with plain serde, since it was validated on the way in (and the
    /// validation needs what the call path does not link).
    pub fn from_stored(text: &str) -> Result<Outbound, ConfigError> {
        serde_json::from_str(text).map_err(|e| ConfigError {
            field: String::new(),
            why: e.to_string(),
        })
    }

    pub fn validate(&self) -> Result<(), ConfigError> {
        let bad = |field: String, why: &str| ConfigError {
            field,
            why: why.into(),
        };
        for (country, pool) in &self.country_pools {
            if !is_country(country) {
                return Err(bad(
                    format!("country_pools.{country}"),
                    "keys are ISO 3166 codes such as GB",
                ));
            }
            if pool.is_empty() {
                return Err(bad(
                    format!("country_pools.{country}"),
                    "a pool needs a number",
                ));
            }
        }
        for (prefix, pool) in &self.prefix_pools {
            if !is_prefix(prefix) {
                return Err(bad(
                    format!("prefix_pools.{prefix}"),
                    "keys are + and digits, e.g. +1415",
                ));
            }
            if pool.is_empty() {
                return Err(bad(
                    format!("prefix_pools.{prefix}"),
                    "a pool needs a number",
                ));
            }
        }
        for p in &self.guard.blocked_prefixes {
            if !is_prefix(p) {
                return Err(bad(
                    "guard.blocked_prefixes".into(),
                    "entries are + and digits, e.g. +882",
                ));
            }
        }
        for (i, d) in self.guard.sip_domains.iter().enumerate() {
            let ok = !d.is_empty()
                && d.len() <= 253
                && d.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-');
            if !ok {
                return Err(bad(
                    format!("guard.sip_domains[{i}]"),
                    "a domain name such as pbx.example.com",
                ));
            }
        }
        for c in &self.guard.allowed_countries {
            if !is_country(c) {
                return Err(bad(
                    "guard.allowed_countries".into(),
                    "entries are ISO 3166 codes such as GB",
                ));
            }
        }
        let v = &self.verification;
        if !(4..=10).contains(&v.code_length) {
            return Err(bad("verification.code_length".into(), "must be 4 to 10"));
        }
        if !(30..=86_400).contains(&v.ttl_secs) {
            return Err(bad("verification.ttl_secs".into(), "must be 30 to 86400"));
        }
        if !(1..=20).contains(&v.max_attempts) {
            return Err(bad("verification.max_attempts".into(), "must be 1 to 20"));
        }
        if !v.sms_text.contains("{code}") {
            return Err(bad("verification.sms_text".into(), "must contain {code}"));
        }
        Ok(())
    }

    /// Whether `country` may be called. The common case (a country with its
    /// own pool) answers without parsing any of the account's numbers.
    pub fn country_allowed(&self, country: &str) -> bool {
        if !self.guard.allowed_countries.is_empty() {
            return self.guard.allowed_countries.iter().any(|c| c == country);
        }
        self.country_pools.contains_key(country) || self.allowed_countries().contains(country)
    }

    /// The countries that may be called: the explicit list, or else every
    /// country the account has a number in (a fresh deployment calls only
    /// where it is present).
    pub fn allowed_countries(&self) -> BTreeSet<String> {
        if !self.guard.allowed_countries.is_empty() {
            return self.guard.allowed_countries.iter().cloned().collect();
        }
        let own = std::iter::once(&self.default_number)
            .chain(self.country_pools.values().flatten())
            .chain(self.prefix_pools.values().flatten());
        own.filter_map(region_of)
            .chain(self.country_pools.keys().cloned())
            .collect()
    }
}

/// A region the numbering plan knows, spelled as `phonenumber` reports it
/// (`GB`, never `UK`).
fn is_country(c: &str) -> bool {
    plan::is_region(c)
}

fn is_prefix(p: &str) -> bool {
    p.len() >= 2 && p.starts_with('+') && p[1..].bytes().all(|b| b.is_ascii_digit())
}

/// The exact region of a number (`CA` inside `+1`), from the numbering
/// plan; `None` for a number it does not know, or one in no region.
pub fn region_of(n: &E164) -> Option<String> {
    plan::read(n)
        .map(|r| r.region)
        .filter(|r| *r != "001")
        .map(str::to_string)
}

/// A dialled number, parsed and classified.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Destination {
    pub number: E164,
    pub region: Option<String>,
    pub premium: bool,
}

/// Why a destination is not called.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "refused", rename_all = "snake_case")]
pub enum Refused {
    Invalid { why: String },
    Premium,
    CountryNotAllowed { country: String },
    BlockedPrefix { prefix: String },
    RateLimited { scope: RateScope, limit: u32 },
    SipDomainNotAllowed { domain: String },
}

/// Which hourly limit a call ran into.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum RateScope {
    #[serde(rename = "to one number")]
    Destination,
    #[serde(rename = "for the account")]
    Account,
}

impl fmt::Display for RateScope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            RateScope::Destination => "to one number",
            RateScope::Account => "for the account",
        })
    }
}

impl fmt::Display for Refused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refused::Invalid { why } => write!(f, "not a number that can be called: {why}"),
            Refused::Premium => write!(f, "premium-rate and shared-cost numbers are not called"),
            Refused::CountryNotAllowed { country } => {
                write!(f, "calls to {country} are not allowed for this account")
            }
            Refused::BlockedPrefix { prefix } => write!(f, "numbers starting {prefix} are blocked"),
            Refused::RateLimited { scope, limit } => {
                write!(f, "rate limit: at most {limit} calls an hour {scope}")
            }
            Refused::SipDomainNotAllowed { domain } => {
                write!(f, "SIP domain {domain:?} is not in guard.sip_domains")
            }
        }
    }
}

/// What a Client or SIP device dialled, in a national spelling the calls
/// worker cannot read (it links no `phonenumber`): the request it sends the
/// admin worker over the `ADMIN` service binding, and the answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Dialled {
    pub input: String,
    #[serde(default)]
    pub default_country: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Parsed {
    Number(Destination),
    Invalid { why: String },
}

/// The static checks: premium rate, blocked prefixes, allowed countries.
pub fn check(config: &Outbound, dest: &Destination) -> Result<(), Refused> {
    check_for(Some(config), &[], dest)
}

/// The guard wherever else a number leaves the system (a masking party, a
/// forward or owner target): the account's config when it has one, else the
/// defaults (no premium or shared-cost numbers). `home` are numbers the
/// account is known to have here (the line's own, the pool's), and their
/// countries count as the account's, as the outbound config's own do.
pub fn check_for(
    config: Option<&Outbound>,
    home: &[E164],
    dest: &Destination,
) -> Result<(), Refused> {
    let default = Guard::default();
    let guard = config.map_or(&default, |c| &c.guard);
    if let Some(prefix) = guard
        .blocked_prefixes
        .iter()
        .find(|p| dest.number.as_str().starts_with(p.as_str()))
    {
        return Err(Refused::BlockedPrefix {
            prefix: prefix.clone(),
        });
    }
    if dest.premium && !guard.allow_premium {
        return Err(Refused::Premium);
    }
    let country = dest.region.clone().unwrap_or_else(|| "001".into());
    let allowed = config.is_some_and(|c| c.country_allowed(&country))
        || (guard.allowed_countries.is_empty()
            && home
                .iter()
                .any(|n| region_of(n).as_deref() == Some(&country)));
    if !allowed {
        return Err(Refused::CountryNotAllowed { country });
    }
    Ok(())
}

/// A number already in E.164 (a stored target, a masking party), classified
/// for the guard.
pub fn classify(number: &E164) -> Result<Destination, Refused> {
    let reading = plan::read(number).ok_or_else(|| Refused::Invalid {
        why: crate::phone::PhoneError::Invalid.to_string(),
    })?;
    Ok(Destination {
        number: number.clone(),
        region: (reading.region != "001").then(|| reading.region.to_string()),
        premium: matches!(reading.kind, Kind::PremiumRate | Kind::SharedCost),
    })
}

/// A SIP URI's domain must be one the account listed.
pub fn check_sip(guard: &Guard, uri: &str) -> Result<(), Refused> {
    let domain = sip_domain(uri);
    if guard
        .sip_domains
        .iter()
        .any(|d| d.eq_ignore_ascii_case(&domain))
    {
        Ok(())
    } else {
        Err(Refused::SipDomainNotAllowed { domain })
    }
}

/// `sip:alice@pbx.example.com:5060;transport=tls` -> `pbx.example.com`.
fn sip_domain(uri: &str) -> String {
    let rest = uri
        .strip_prefix("sips:")
        .or_else(|| uri.strip_prefix("sip:"))
        .unwrap_or(uri);
    let host = rest.rsplit_once('@').map_or(rest, |(_, h)| h);
    host.split([';', '?', '>'])
        .next()
        .unwrap_or("")
        .split(':')
        .next()
        .unwrap_or("")
        .to_ascii_lowercase()
}

/// A Studio Flow SID: `FW` and 32 hex digits. Anything else would be put
/// into the REST URL's path.
pub fn is_flow_sid(s: &str) -> bool {
    s.len() == 34 && s.starts_with("FW") && s.bytes().skip(2).all(|b| b.is_ascii_hexdigit())
}

/// The hourly limits one call to `destination` (an E.164 number or a SIP
/// URI) counts against. The account's ledger takes them all or none, in one
/// step (`crate::ledger::take`).
pub fn hourly_limits(guard: &Guard, destination: &str) -> Vec<Limit> {
    vec![
        Limit {
            key: format!("to:{destination}"),
            limit: guard.max_calls_per_destination_per_hour,
        },
        Limit {
            key: ACCOUNT_LIMIT.into(),
            limit: guard.max_calls_per_account_per_hour,
        },
    ]
}

const ACCOUNT_LIMIT: &str = "account";

/// The refusal for the one of [`hourly_limits`] the ledger found reached.
pub fn rate_limited(reached: &Limit) -> Refused {
    Refused::RateLimited {
        scope: if reached.key == ACCOUNT_LIMIT {
            RateScope::Account
        } else {
            RateScope::Destination
        },
        limit: reached.limit,
    }
}

/// Which rule chose the caller ID.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "rule", content = "key", rename_all = "snake_case")]
pub enum Rule {
    Prefix(String),
    Country(String),
    Default,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Pick {
    pub caller_id: E164,
    #[serde(flatten)]
    pub rule: Rule,
}

/// The longest matching prefix pool, else the country pool, else the default.
pub fn pick(config: &Outbound, dest: &Destination) -> Pick {
    let to = dest.number.as_str();
    let by_prefix = config
        .prefix_pools
        .iter()
        .filter(|(prefix, _)| to.starts_with(prefix.as_str()))
        .max_by_key(|(prefix, _)| prefix.len());
    if let Some((prefix, pool)) = by_prefix {
        return Pick {
            caller_id: sticky(pool, &dest.number),
            rule: Rule::Prefix(prefix.clone()),
        };
    }
    let by_country = dest
        .region
        .as_ref()
        .and_then(|r| config.country_pools.get_key_value(r));
    if let Some((country, pool)) = by_country {
        return Pick {
            caller_id: sticky(pool, &dest.number),
            rule: Rule::Country(country.clone()),
        };
    }
    Pick {
        caller_id: config.default_number.clone(),
        rule: Rule::Default,
    }
}

/// Rendezvous hashing: the same callee always sees the same number (so
/// calling back reaches the same pool member), callees spread evenly, and
/// adding a number to a pool moves only the callees it wins.
fn sticky(pool: &[E164], dest: &E164) -> E164 {
    pool.iter()
        .max_by_key(|n| {
            let h = Sha256::new()
                .chain_update(dest.as_str())
                .chain_update(b"\0")
                .chain_update(n.as_str())
                .finalize();
            u64::from_be_bytes(h[..8].try_into().expect("8 bytes"))
        })
        .cloned()
        .expect("pools are validated non-empty")
}
