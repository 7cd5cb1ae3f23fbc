//! `X-Twilio-Signature`: HMAC over the URL Twilio requested plus, for form
//! posts, the sorted parameters. Both the legacy auth-token HMAC-SHA1 and the
//! shared-key HMAC-SHA256 scheme (`X-Twilio-Webhooks-Signature-Settings`).
//!
//! Pure: the caller supplies the URL, the payload and the key; choosing the key
//! (by `AccountSid` or shared-key id) is the edge's business.

use crate::form::Params;
use crate::paths::RequestUrl;
use base64::{engine::general_purpose::STANDARD, Engine};
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use std::fmt;

pub const HEADER: &str = "X-Twilio-Signature";
pub const SETTINGS_HEADER: &str = "X-Twilio-Webhooks-Signature-Settings";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Algorithm {
    /// The auth token of the account (or subaccount) that owns the number.
    HmacSha1,
    /// A shared key from the Webhooks Configuration API.
    HmacSha256,
}

/// Which key signed the request, as the settings header says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyChoice {
    AuthToken,
    SharedKey { id: String },
}

/// What was signed besides the URL.
#[derive(Debug, Clone, Copy)]
pub enum Payload<'a> {
    /// A form-encoded POST: the parameters are appended, sorted.
    Form(&'a Params),
    /// A GET: the parameters are already in the URL.
    Query,
    /// A JSON body: its SHA-256 is in the URL's `bodySHA256` parameter.
    Json(&'a [u8]),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignatureError {
    Missing,
    NotBase64,
    Mismatch,
    BodyHashMissing,
    BodyHashMismatch,
    UnknownAlgorithm(String),
    BadSettings,
    UnknownKey,
}

impl fmt::Display for SignatureError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SignatureError::Missing => write!(f, "missing {HEADER} header"),
            SignatureError::NotBase64 => write!(f, "{HEADER} is not base64"),
            SignatureError::Mismatch => write!(f, "{HEADER} does not match this request"),
            SignatureError::BodyHashMissing => {
                write!(f, "JSON body without a bodySHA256 query parameter")
            }
            SignatureError::BodyHashMismatch => write!(f, "bodySHA256 does not match the body"),
            SignatureError::UnknownAlgorithm(a) => {
                write!(f, "unsupported signature algorithm {a:?}")
            }
            SignatureError::BadSettings => write!(f, "malformed {SETTINGS_HEADER} header"),
            SignatureError::UnknownKey => write!(f, "no signing key for this request"),
        }
    }
}

impl std::error::Error for SignatureError {}

/// Reads `X-Twilio-Webhooks-Signature-Settings` (`key=HK...,algorithm=HMAC_SHA256`).
/// No header, or no `algorithm=`, is the legacy auth-token scheme.
pub fn key_choice(settings: Option<&str>) -> Result<(KeyChoice, Algorithm), SignatureError> {
    let Some(settings) = settings else {
        return Ok((KeyChoice::AuthToken, Algorithm::HmacSha1));
    };
    let mut key = None;
    let mut algorithm = None;
    for part in settings.split(',') {
        let (name, value) = part.split_once('=').ok_or(SignatureError::BadSettings)?;
        match name.trim() {
            "key" => key = Some(value.trim()),
            "algorithm" => algorithm = Some(value.trim()),
            _ => {}
        }
    }
    match algorithm {
        None => Ok((KeyChoice::AuthToken, Algorithm::HmacSha1)),
        Some("HMAC_SHA256") => {
            let id = key
                .filter(|k| is_key_id(k))
                .ok_or(SignatureError::BadSettings)?;
            Ok((
                KeyChoice::SharedKey { id: id.to_string() },
                Algorithm::HmacSha256,
            ))
        }
        Some(other) => Err(SignatureError::UnknownAlgorithm(other.to_string())),
    }
}

/// Key ids become part of a secret's name: keep them to a safe alphabet.
fn is_key_id(s: &str) -> bool {
    !s.is_empty() && s.len() <= 64 && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// Checks `signature` (the header's value) for a request to `url`.
/// Accepts the URL as given, with its port removed, or with the scheme's
/// default port added: Twilio has signed each form at some point.
pub fn validate(
    url: &str,
    payload: Payload<'_>,
    signature: &str,
    key: &[u8],
    algorithm: Algorithm,
) -> Result<(), SignatureError> {
    let presented = STANDARD
        .decode(signature.trim())
        .map_err(|_| SignatureError::NotBase64)?;
    if let Payload::Json(body) = payload {
        check_body_hash(url, body)?;
    }
    let params = match payload {
        Payload::Form(p) => Some(p),
        _ => None,
    };
    let pairs = sorted_pairs(params);
    let verify = |candidate: &str| verify_mac(algorithm, key, candidate, &pairs, &presented);
    // The URL as received first: the other port form only if that fails.
    let matched = verify(url) || url_variants(url).iter().skip(1).any(|c| verify(c));
    if matched {
        Ok(())
    } else {
        Err(SignatureError::Mismatch)
    }
}

/// Computes the signature, base64: what Twilio would send. Used by tests and
/// by the run command's ready-to-paste sample request.
pub fn sign(url: &str, params: Option<&Params>, key: &[u8], algorithm: Algorithm) -> String {
    let pairs = sorted_pairs(params);
    let mac = match algorithm {
        Algorithm::HmacSha1 => mac::<Hmac<sha1::Sha1>>(key, url, &pairs)
            .finalize()
            .into_bytes()
            .to_vec(),
        Algorithm::HmacSha256 => mac::<Hmac<Sha256>>(key, url, &pairs)
            .finalize()
            .into_bytes()
            .to_vec(),
    };
    STANDARD.encode(mac)
}

/// `hmac`'s `verify_slice` compares in constant time.
fn verify_mac(
    algorithm: Algorithm,
    key: &[u8],
    url: &str,
    pairs: &[(&str, &str)],
    presented: &[u8],
) -> bool {
    match algorithm {
        Algorithm::HmacSha1 => mac::<Hmac<sha1::Sha1>>(key, url, pairs)
            .verify_slice(presented)
            .is_ok(),
        Algorithm::HmacSha256 => mac::<Hmac<Sha256>>(key, url, pairs)
            .verify_slice(presented)
            .is_ok(),
    }
}

/// The MAC of Twilio's string to sign: the URL, then each parameter's name
/// and value, sorted.
fn mac<M: Mac + hmac::digest::KeyInit>(key: &[u8], url: &str, pairs: &[(&str, &str)]) -> M {
    // The signed text is gathered first and hashed in one update: a
    // 27-parameter webhook would otherwise be 55 small updates, each
    // paying the hasher's buffering, which costs more than the copy.
    let len = url.len() + pairs.iter().map(|(n, v)| n.len() + v.len()).sum::<usize>();
    let mut text = Vec::with_capacity(len);
    text.extend_from_slice(url.as_bytes());
    for (name, value) in pairs {
        text.extend_from_slice(name.as_bytes());
        text.extend_from_slice(value.as_bytes());
    }
    let mut m = <M as Mac>::new_from_slice(key).expect("HMAC takes any key length");
    m.update(&text);
    m
}

/// The form's parameters as Twilio signs them: sorted by name (then value),
/// an exact repeat counted once.
fn sorted_pairs(params: Option<&Params>) -> Vec<(&str, &str)> {
    let mut pairs: Vec<(&str, &str)> = params.map(|p| p.iter().collect()).unwrap_or_default();
    pairs.sort_unstable();
    pairs.dedup();
    pairs
}

fn check_body_hash(url: &str, body: &[u8]) -> Result<(), SignatureError> {
    let query = RequestUrl::split(url).query.unwrap_or("");
    let claimed = Params::parse(query)
        .ok()
        .and_then(|p| p.get("bodySHA256").map(str::to_string))
        .ok_or(SignatureError::BodyHashMissing)?;
    let actual = hex(&Sha256::digest(body));
    if subtle::ConstantTimeEq::ct_eq(claimed.as_bytes(), actual.as_bytes()).into() {
        Ok(())
    } else {
        Err(SignatureError::BodyHashMismatch)
    }
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The URL as given, without its port, and with the default port added when it
/// had none.
fn url_variants(url: &str) -> Vec<String> {
    let mut out = vec![url.to_string()];
    let Some((scheme, rest)) = url.split_once("://") else {
        return out;
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    let (userinfo, hostport) = match authority.rfind('@') {
        Some(at) => authority.split_at(at + 1),
        None => ("", authority),
    };
    // An IPv6 host keeps its colons inside brackets.
    let host_end = if hostport.starts_with('[') {
        hostport.find(']').map(|i| i + 1).unwrap_or(hostport.len())
    } else {
        hostport.find(':').unwrap_or(hostport.len())
    };
    let (host, port) = hostport.split_at(host_end);
    if port.is_empty() {
        let default = match scheme.to_ascii_lowercase().as_str() {
            "https" => ":443",
            "http" => ":80",
            _ => return out,
        };
        out.push(format!("{scheme}://{userinfo}{host}{default}{tail}"));
    } else {
        out.push(format!("{scheme}://{userinfo}{host}{tail}"));
    }
    out
}

#[cfg(test)]
pub(crate) mod vectors {
    //! The official vectors from Twilio's helper libraries
    //! (shared/reference/twilio-signatures.md), shared with the wasm tests.
    use crate::form::Params;

    pub const TOKEN: &[u8] = b"12345";
    pub const URL: &str = "https://mycompany.com/myapp.php?foo=1&bar=2";

    pub fn params() -> Params {
        Params::from_pairs([
            ("CallSid", "CA1234567890ABCDE"),
            ("Caller", "+14158675309"),
            ("Digits", "1234"),
            ("From", "+14158675309"),
            ("To", "+18005551212"),
        ])
    }
}

#[cfg(test)]
mod tests {
    // The same tests run compiled to wasm, under Node (scripts/test.sh).
    use super::vectors::*;
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn check(url: &str, params: &Params, sig: &str) -> Result<(), SignatureError> {
        validate(url, Payload::Form(params), sig, TOKEN, Algorithm::HmacSha1)
    }

    #[test]
    fn the_fixture_as_is() {
        assert_eq!(
            sign(URL, Some(&params()), TOKEN, Algorithm::HmacSha1),
            "RSOYDt4T1cUTdK1PDd93/VVr8B8="
        );
        assert_eq!(
            check(URL, &params(), "RSOYDt4T1cUTdK1PDd93/VVr8B8="),
            Ok(())
        );
    }

    #[test]
    fn both_port_forms() {
        let with_443 = "https://mycompany.com:443/myapp.php?foo=1&bar=2";
        assert_eq!(
            sign(with_443, Some(&params()), TOKEN, Algorithm::HmacSha1),
            "kvajT1Ptam85bY51eRf/AJRuM3w="
        );
        // Signed with :443, requested without; and the reverse.
        assert_eq!(
            check(URL, &params(), "kvajT1Ptam85bY51eRf/AJRuM3w="),
            Ok(())
        );
        assert_eq!(
            check(with_443, &params(), "RSOYDt4T1cUTdK1PDd93/VVr8B8="),
            Ok(())
        );
        // http signed with :80 added.
        let http = "http://mycompany.com/myapp.php?foo=1&bar=2";
        assert_eq!(
            check(http, &params(), "0ZXoZLH/DfblKGATFgpif+LLRf4="),
            Ok(())
        );
        // A non-default port is part of what was signed.
        let port_1234 = "http://mycompany.com:1234/myapp.php?foo=1&bar=2";
        assert_eq!(
            sign(port_1234, Some(&params()), TOKEN, Algorithm::HmacSha1),
            "Zmvh+3yNM1Phv2jhDCwEM3q5ebU="
        );
        assert_eq!(
            check(port_1234, &params(), "Zmvh+3yNM1Phv2jhDCwEM3q5ebU="),
            Ok(())
        );
        // https on :1234 presenting the portless signature: port stripped.
        let https_1234 = "https://mycompany.com:1234/myapp.php?foo=1&bar=2";
        assert_eq!(
            check(https_1234, &params(), "RSOYDt4T1cUTdK1PDd93/VVr8B8="),
            Ok(())
        );
    }

    #[test]
    fn repeated_keys_count_once_per_distinct_value() {
        let p = Params::from_pairs([
            ("Sid", "CA123"),
            ("SidAccount", "AC123"),
            ("Digits", "5678"),
            ("Digits", "1234"),
            ("Digits", "1234"),
        ]);
        assert_eq!(
            sign(URL, Some(&p), TOKEN, Algorithm::HmacSha1),
            "IK+Dwps556ElfBT0I3Rgjkr1wJU="
        );
        assert_eq!(check(URL, &p, "IK+Dwps556ElfBT0I3Rgjkr1wJU="), Ok(()));
    }

    #[test]
    fn credentials_in_the_url() {
        let p = params();
        let userpass = "https://user:pass@mycompany.com/myapp.php?foo=1&bar=2";
        assert_eq!(check(userpass, &p, "CukzLTc1tT5dXEDIHm/tKBanW10="), Ok(()));
        assert_eq!(check(userpass, &p, "ZQFR1PTIZXF2MXB8ZnKCvnnA+rI="), Ok(()));
        let with_443 = "https://user:pass@mycompany.com:443/myapp.php?foo=1&bar=2";
        assert_eq!(check(with_443, &p, "CukzLTc1tT5dXEDIHm/tKBanW10="), Ok(()));
        let user = "https://user@mycompany.com/myapp.php?foo=1&bar=2";
        assert_eq!(check(user, &p, "2YRLlVAflCqxaNicjMpJcSTgzSs="), Ok(()));
    }

    #[test]
    fn docs_example() {
        let p = Params::from_pairs([
            ("CallSid", "CA1234567890ABCDE"),
            ("Caller", "+12349013030"),
            ("Digits", "1234"),
            ("From", "+12349013030"),
            ("To", "+18005551212"),
        ]);
        assert_eq!(check(URL, &p, "0/KCTR6DLpKmkAf8muzZqo1nDgQ="), Ok(()));
    }

    #[test]
    fn json_bodies_carry_their_hash_in_the_url() {
        let body = br#"{"property": "value", "boolean": true}"#;
        let hash = "0a1ff7634d9ab3b95db5c9a2dfe9416e41502b283a80c7cf19632632f96e6620";
        assert_eq!(hex(&Sha256::digest(body)), hash);
        let json = |url: &str, sig: &str| {
            validate(url, Payload::Json(body), sig, TOKEN, Algorithm::HmacSha1)
        };
        let url = format!("{URL}&bodySHA256={hash}");
        assert_eq!(json(&url, "a9nBmqA0ju/hNViExpshrM61xv4="), Ok(()));
        let url = format!("https://mycompany.com/myapp.php?bodySHA256={hash}");
        assert_eq!(json(&url, "y77kIzt2vzLz71DgmJGsen2scGs="), Ok(()));
        // Same signature, another body: the hash no longer matches.
        assert_eq!(
            validate(
                &url,
                Payload::Json(b"{}"),
                "y77kIzt2vzLz71DgmJGsen2scGs=",
                TOKEN,
                Algorithm::HmacSha1
            ),
            Err(SignatureError::BodyHashMismatch)
        );
        // No bodySHA256 at all fails.
        assert_eq!(
            json(URL, "a9nBmqA0ju/hNViExpshrM61xv4="),
            Err(SignatureError::BodyHashMissing)
        );

        let empty = "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a";
        let empty_json = |url: &str, sig: &str| {
            validate(url, Payload::Json(b"{}"), sig, TOKEN, Algorithm::HmacSha1)
        };
        // These two were computed over the fixture URL with its query kept.
        let with_port =
            format!("https://mycompany.com:443/myapp.php?foo=1&bar=2&bodySHA256={empty}");
        let without = format!("{URL}&bodySHA256={empty}");
        assert_eq!(
            empty_json(&with_port, "Ldidvp12m26NI7eqEvxnEpkd9Hc="),
            Ok(())
        );
        assert_eq!(empty_json(&without, "rw/jVviOgicj2+kHZULvebnA4ag="), Ok(()));
        assert_eq!(
            empty_json(&with_port, "rw/jVviOgicj2+kHZULvebnA4ag="),
            Ok(())
        );
        assert_eq!(empty_json(&without, "Ldidvp12m26NI7eqEvxnEpkd9Hc="), Ok(()));
    }

    #[test]
    fn get_requests_sign_the_url_alone() {
        let url = "https://example.com/voice?From=%2B14155550100&To=%2B14155550199";
        let sig = sign(url, None, TOKEN, Algorithm::HmacSha1);
        assert_eq!(
            validate(url, Payload::Query, &sig, TOKEN, Algorithm::HmacSha1),
            Ok(())
        );
        let tampered = "https://example.com/voice?From=%2B14155550101&To=%2B14155550199";
        assert_eq!(
            validate(tampered, Payload::Query, &sig, TOKEN, Algorithm::HmacSha1),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn hmac_sha256_shared_keys() {
        assert_eq!(
            sign(URL, Some(&params()), TOKEN, Algorithm::HmacSha256),
            "033hgUJA9M/hXIZsYjwkerEP/DBm35nEri5FhCYjA5s="
        );
        let ok = |url: &str, sig: &str| {
            validate(
                url,
                Payload::Form(&params()),
                sig,
                TOKEN,
                Algorithm::HmacSha256,
            )
        };
        assert_eq!(
            ok(URL, "033hgUJA9M/hXIZsYjwkerEP/DBm35nEri5FhCYjA5s="),
            Ok(())
        );
        assert_eq!(
            ok(URL, "grxRoa/VNtXxd524NGLxIdev83nh23xhrRUVm50Umq4="),
            Ok(())
        );
        // A SHA-1 signature is no SHA-256 one.
        assert_eq!(
            ok(URL, "RSOYDt4T1cUTdK1PDd93/VVr8B8="),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn settings_header_chooses_the_key() {
        assert_eq!(
            key_choice(None),
            Ok((KeyChoice::AuthToken, Algorithm::HmacSha1))
        );
        assert_eq!(
            key_choice(Some("key=HK0123abc,algorithm=HMAC_SHA256")),
            Ok((
                KeyChoice::SharedKey {
                    id: "HK0123abc".into()
                },
                Algorithm::HmacSha256
            ))
        );
        assert_eq!(
            key_choice(Some("key=HK0123abc")),
            Ok((KeyChoice::AuthToken, Algorithm::HmacSha1))
        );
        assert_eq!(
            key_choice(Some("key=HK1,algorithm=HMAC_MD5")),
            Err(SignatureError::UnknownAlgorithm("HMAC_MD5".into()))
        );
        assert_eq!(
            key_choice(Some("algorithm=HMAC_SHA256")),
            Err(SignatureError::BadSettings)
        );
        assert_eq!(
            key_choice(Some("key=../etc,algorithm=HMAC_SHA256")),
            Err(SignatureError::BadSettings)
        );
        assert_eq!(
            key_choice(Some("garbage")),
            Err(SignatureError::BadSettings)
        );
    }

    #[test]
    fn wrong_or_broken_signatures_fail() {
        let p = params();
        assert_eq!(
            check(URL, &p, "not base64!"),
            Err(SignatureError::NotBase64)
        );
        assert_eq!(check(URL, &p, ""), Err(SignatureError::Mismatch));
        // A valid signature of another request.
        assert_eq!(
            check(URL, &p, "Zmvh+3yNM1Phv2jhDCwEM3q5ebU="),
            Err(SignatureError::Mismatch)
        );
        let mut tampered = params();
        tampered.extend(Params::from_pairs([("Extra", "1")]));
        assert_eq!(
            check(URL, &tampered, "RSOYDt4T1cUTdK1PDd93/VVr8B8="),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            validate(
                URL,
                Payload::Form(&p),
                "RSOYDt4T1cUTdK1PDd93/VVr8B8=",
                b"54321",
                Algorithm::HmacSha1
            ),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn url_variants_cover_ports_userinfo_and_ipv6() {
        assert_eq!(
            url_variants("https://h.com/p?q"),
            ["https://h.com/p?q", "https://h.com:443/p?q"]
        );
        assert_eq!(
            url_variants("http://h.com"),
            ["http://h.com", "http://h.com:80"]
        );
        assert_eq!(
            url_variants("https://u:p@h.com:8443/x"),
            ["https://u:p@h.com:8443/x", "https://u:p@h.com/x"]
        );
        assert_eq!(
            url_variants("http://[::1]:8787/v"),
            ["http://[::1]:8787/v", "http://[::1]/v"]
        );
    }
}
