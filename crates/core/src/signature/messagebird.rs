//! `MessageBird-Signature-JWT`: a JWT that MessageBird signs with the
//! account's signing key (not the API key). Its claims bind the request:
//! `iss` is `MessageBird`, `nbf`/`exp` bound it in time (a minute apart),
//! `jti` names it, `url_hash` is the hex SHA-256 of the full URL as requested
//! (scheme, host, port, path and query, in the order sent), and `payload_hash`
//! the hex SHA-256 of the raw body, present exactly when the body is not empty.
//!
//! The rules and error wording follow MessageBird's SDKs and their shared
//! reference vectors (`messagebird-vectors.json`, from messagebird-nodejs
//! `lib/testdata/webhook-signature-jwt-reference.json`). Like every SDK, the
//! HMAC family (HS256, HS384, HS512) is accepted; anything else, `none` in
//! particular, is refused before the signature is looked at.
//!
//! Pure: the caller supplies the URL, body, key and time.

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use hmac::{Hmac, Mac};
use serde::Serialize;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256, Sha384, Sha512};
use std::fmt;
use subtle::ConstantTimeEq;

pub const HEADER: &str = "MessageBird-Signature-JWT";
/// The `iss` claim MessageBird puts in every token.
pub const ISSUER: &str = "MessageBird";
/// `exp - nbf` in the tokens MessageBird issues.
pub const LIFETIME_SECS: u64 = 60;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JwtError {
    /// Not three base64url segments, or a header or claims that are not a
    /// JSON object, or a header with `crit` (no extensions are understood).
    Malformed,
    /// `alg` is not HS256, HS384 or HS512 (e.g. `none`). Escaped, truncated.
    BadAlgorithm(String),
    /// The signing key is empty: nothing can be authenticated.
    NoKey,
    BadSignature,
    MissingClaim(&'static str),
    /// A claim of the wrong JSON type.
    InvalidClaim(&'static str),
    BadIssuer,
    NotYetValid,
    Expired,
    UrlMismatch,
    PayloadMismatch,
    /// The body is not empty but the token has no `payload_hash`.
    PayloadHashMissing,
    /// The token has a `payload_hash` but the body is empty.
    UnexpectedPayloadHash,
}

impl fmt::Display for JwtError {
    // Where the reference vectors name a reason, this is its exact text.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("invalid jwt: ")?;
        match self {
            JwtError::Malformed => f.write_str("token is malformed"),
            JwtError::BadAlgorithm(alg) => write!(f, "signing method {alg} is invalid"),
            JwtError::NoKey => f.write_str("no signing key configured"),
            JwtError::BadSignature => f.write_str("signature is invalid"),
            JwtError::MissingClaim(c) => write!(f, "claim {c} is empty or missing"),
            JwtError::InvalidClaim(c) => write!(f, "claim {c} has the wrong type"),
            JwtError::BadIssuer => f.write_str("claim iss has wrong value"),
            JwtError::NotYetValid => f.write_str("claim nbf is in the future"),
            JwtError::Expired => f.write_str("claim exp is in the past"),
            JwtError::UrlMismatch => f.write_str("claim url_hash is invalid"),
            JwtError::PayloadMismatch => f.write_str("claim payload_hash is invalid"),
            JwtError::PayloadHashMissing => {
                f.write_str("claim payload_hash is not set but payload is present")
            }
            JwtError::UnexpectedPayloadHash => {
                f.write_str("claim payload_hash is set but actual payload is missing")
            }
        }
    }
}

impl std::error::Error for JwtError {}

/// What a verified token says about itself: enough for the caller to refuse
/// the same token twice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// The token's id (`jti`); never empty.
    pub jti: String,
    /// Its `exp` claim (Unix seconds, clamped to `u64`). The token verifies
    /// while `now < expires_at + leeway`, so a replay guard keeps `jti` that long.
    pub expires_at: u64,
}

/// Verifies `token` (the header value) for a request to `url` with `body`
/// (empty slice when there is none), signed with `signing_key`, at time
/// `now_secs` (Unix seconds). `leeway_secs` tolerates clock skew on nbf/exp:
/// valid while `nbf <= now + leeway` and `now < exp + leeway` (the SDKs use 1).
/// `jti` must be present; replay checks on it are the caller's business, so
/// it comes back with `exp` in [`Verified`].
pub fn verify(
    token: &str,
    signing_key: &[u8],
    url: &str,
    body: &[u8],
    now_secs: u64,
    leeway_secs: u64,
) -> Result<Verified, JwtError> {
    let token = token.trim();
    let (signed, signature) = token.rsplit_once('.').ok_or(JwtError::Malformed)?;
    let mut parts = signed.split('.');
    let (Some(header), Some(claims), None) = (parts.next(), parts.next(), parts.next()) else {
        return Err(JwtError::Malformed);
    };
    let header = decode_object(header)?;
    if header.contains_key("crit") {
        return Err(JwtError::Malformed);
    }
    let alg = header
        .get("alg")
        .and_then(Value::as_str)
        .ok_or(JwtError::Malformed)?;
    let check: fn(&[u8], &[u8], &[u8]) -> bool = match alg {
        "HS256" => mac_matches::<Hmac<Sha256>>,
        "HS384" => mac_matches::<Hmac<Sha384>>,
        "HS512" => mac_matches::<Hmac<Sha512>>,
        other => {
            let shown = other.chars().take(32).flat_map(char::escape_debug);
            return Err(JwtError::BadAlgorithm(shown.collect()));
        }
    };
    if signing_key.is_empty() {
        return Err(JwtError::NoKey);
    }
    let tag = URL_SAFE_NO_PAD
        .decode(signature)
        .map_err(|_| JwtError::Malformed)?;
    if !check(signing_key, signed.as_bytes(), &tag) {
        return Err(JwtError::BadSignature);
    }

    let claims = decode_object(claims)?;
    match string_claim(&claims, "iss")? {
        None => return Err(JwtError::MissingClaim("iss")),
        Some(iss) if iss != ISSUER => return Err(JwtError::BadIssuer),
        Some(_) => {}
    }
    let (now, leeway) = (i128::from(now_secs), i128::from(leeway_secs));
    if now + leeway < time_claim(&claims, "nbf")? {
        return Err(JwtError::NotYetValid);
    }
    // Saturating: a float `exp` such as 1e300 reads as i128::MAX.
    let exp = time_claim(&claims, "exp")?;
    if now >= exp.saturating_add(leeway) {
        return Err(JwtError::Expired);
    }
    let jti = match string_claim(&claims, "jti")? {
        Some(jti) if !jti.is_empty() => jti,
        _ => return Err(JwtError::MissingClaim("jti")),
    };
    let url_hash = string_claim(&claims, "url_hash")?.ok_or(JwtError::MissingClaim("url_hash"))?;
    if !hash_matches(url.as_bytes(), url_hash) {
        return Err(JwtError::UrlMismatch);
    }
    // An empty `payload_hash` counts as absent, as in the Go and Python SDKs.
    let payload_hash = string_claim(&claims, "payload_hash")?.filter(|h| !h.is_empty());
    match (body.is_empty(), payload_hash) {
        (true, None) => {}
        (true, Some(_)) => return Err(JwtError::UnexpectedPayloadHash),
        (false, None) => return Err(JwtError::PayloadHashMissing),
        (false, Some(hash)) if hash_matches(body, hash) => {}
        (false, Some(_)) => return Err(JwtError::PayloadMismatch),
    }
    Ok(Verified {
        jti: jti.to_string(),
        expires_at: u64::try_from(exp.max(0)).unwrap_or(u64::MAX),
    })
}

/// Produces a token as MessageBird would (HS256, iss MessageBird, nbf=now,
/// exp=now+60, jti given, url_hash, payload_hash when body is non-empty):
/// for tests and for the project's own signing helper.
pub fn sign(signing_key: &[u8], url: &str, body: &[u8], now_secs: u64, jti: &str) -> String {
    // Field order is MessageBird's: the reference tokens come out byte for byte.
    #[derive(Serialize)]
    struct Claims<'a> {
        iss: &'a str,
        nbf: u64,
        exp: u64,
        jti: &'a str,
        url_hash: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        payload_hash: Option<String>,
    }
    let claims = Claims {
        iss: ISSUER,
        nbf: now_secs,
        exp: now_secs.saturating_add(LIFETIME_SECS),
        jti,
        url_hash: sha256_hex(url.as_bytes()),
        payload_hash: (!body.is_empty()).then(|| sha256_hex(body)),
    };
    let claims = serde_json::to_string(&claims).expect("strings and integers always serialise");
    encode_hs256(signing_key, r#"{"alg":"HS256","typ":"JWT"}"#, &claims)
}

/// `base64url(header).base64url(claims).base64url(HMAC-SHA256)`.
fn encode_hs256(key: &[u8], header: &str, claims: &str) -> String {
    let mut token = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header),
        URL_SAFE_NO_PAD.encode(claims)
    );
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(token.as_bytes());
    token.push('.');
    token.push_str(&URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes()));
    token
}

/// Constant-time comparison of `tag` with the MAC of `message` (lengths must match).
fn mac_matches<M: Mac + hmac::digest::KeyInit>(key: &[u8], message: &[u8], tag: &[u8]) -> bool {
    let Ok(mut mac) = <M as Mac>::new_from_slice(key) else {
        return false;
    };
    mac.update(message);
    mac.verify_slice(tag).is_ok()
}

fn decode_object(segment: &str) -> Result<Map<String, Value>, JwtError> {
    let bytes = URL_SAFE_NO_PAD
        .decode(segment)
        .map_err(|_| JwtError::Malformed)?;
    serde_json::from_slice(&bytes).map_err(|_| JwtError::Malformed)
}

/// A string claim; `None` when absent or null.
fn string_claim<'a>(
    claims: &'a Map<String, Value>,
    name: &'static str,
) -> Result<Option<&'a str>, JwtError> {
    match claims.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(JwtError::InvalidClaim(name)),
    }
}

/// A required NumericDate claim (seconds; a fraction is dropped).
fn time_claim(claims: &Map<String, Value>, name: &'static str) -> Result<i128, JwtError> {
    let value = match claims.get(name) {
        None | Some(Value::Null) => return Err(JwtError::MissingClaim(name)),
        Some(v) => v,
    };
    value
        .as_i64()
        .map(i128::from)
        .or_else(|| value.as_u64().map(i128::from))
        .or_else(|| {
            value
                .as_f64()
                .filter(|f| f.is_finite())
                .map(|f| f.floor() as i128)
        })
        .ok_or(JwtError::InvalidClaim(name))
}

/// Whether `claimed` is the hex SHA-256 of `data` (either case).
fn hash_matches(data: &[u8], claimed: &str) -> bool {
    let expected = sha256_hex(data);
    let claimed = claimed.to_ascii_lowercase();
    expected.as_bytes().ct_eq(claimed.as_bytes()).into()
}

fn sha256_hex(data: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let digest = Sha256::digest(data);
    let mut out = String::with_capacity(64);
    for byte in digest {
        out.push(char::from(DIGITS[usize::from(byte >> 4)]));
        out.push(char::from(DIGITS[usize::from(byte & 15)]));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    // The same tests run compiled to wasm, under Node (scripts/test.sh).
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use serde::Deserialize;

    /// One case of the reference vectors (the `method` field plays no part).
    #[derive(Deserialize)]
    struct Vector {
        name: String,
        secret: Option<String>,
        url: String,
        payload: Option<String>,
        timestamp: String,
        token: String,
        valid: bool,
        reason: Option<String>,
    }

    const KEY: &[u8] = b"36efdd1aace2e26cd490f0d951138253bef2f7c6d34d18981da781555cc4cebb";
    const NOW: u64 = 1_625_479_200; // 2021-07-05T12:00:00+02:00, the vectors' time
    const URL: &str = "https://example.com/path?bar=1&foo=2";

    fn vectors() -> Vec<Vector> {
        serde_json::from_str(include_str!("messagebird-vectors.json")).unwrap()
    }

    /// Unix seconds of `YYYY-MM-DDTHH:MM:SS±HH:MM`.
    fn unix_time(ts: &str) -> u64 {
        let n = |from: usize, len: usize| ts[from..from + len].parse::<i64>().unwrap();
        let sign = if &ts[19..20] == "-" { -1 } else { 1 };
        let offset_min = sign * (n(20, 2) * 60 + n(23, 2));
        let (month, day) = (n(5, 2) as u32, n(8, 2) as u32);
        let hms = (n(11, 2), n(14, 2), n(17, 2));
        crate::dates::epoch_ms(n(0, 4), month, day, hms, offset_min).unwrap() / 1000
    }

    fn expected_error(reason: &str) -> JwtError {
        match reason {
            "invalid jwt: claim nbf is in the future" => JwtError::NotYetValid,
            "invalid jwt: claim exp is in the past" => JwtError::Expired,
            "invalid jwt: claim url_hash is invalid" => JwtError::UrlMismatch,
            "invalid jwt: claim payload_hash is invalid" => JwtError::PayloadMismatch,
            "invalid jwt: signature is invalid" => JwtError::BadSignature,
            "invalid jwt: claim payload_hash is not set but payload is present" => {
                JwtError::PayloadHashMissing
            }
            "invalid jwt: claim payload_hash is set but actual payload is missing" => {
                JwtError::UnexpectedPayloadHash
            }
            "invalid jwt: signing method none is invalid" => JwtError::BadAlgorithm("none".into()),
            other => panic!("reason not mapped: {other}"),
        }
    }

    /// Signs arbitrary header and claims JSON with HS256, for hostile tokens.
    fn forge(header: &str, claims: &str) -> String {
        encode_hs256(KEY, header, claims)
    }

    #[test]
    fn every_reference_vector() {
        let vectors = vectors();
        assert_eq!(vectors.len(), 44);
        assert_eq!(unix_time("2021-07-05T12:00:00+02:00"), NOW);
        for v in &vectors {
            let key = v.secret.as_deref().unwrap_or_default().as_bytes();
            let body = v.payload.as_deref().unwrap_or_default().as_bytes();
            let got = verify(&v.token, key, &v.url, body, unix_time(&v.timestamp), 1);
            if v.valid {
                assert_eq!(got.map(|_| ()), Ok(()), "{}", v.name);
            } else {
                let reason = v.reason.as_deref().unwrap();
                let err = got.expect_err(&v.name);
                assert_eq!(err, expected_error(reason), "{}", v.name);
                assert_eq!(err.to_string(), reason, "{}", v.name);
            }
        }
    }

    #[test]
    fn sign_reproduces_reference_tokens() {
        let vectors = vectors();
        let token = |name: &str| &vectors.iter().find(|v| v.name == name).unwrap().token;
        let jti = "59a244dc-e9ad-4e23-9778-371faa238f72";
        assert_eq!(
            sign(KEY, "https://example.com/", b"", NOW, jti),
            *token("Valid JWT with no URL parameters or payload - GET")
        );
        let jti = "93e55006-a0e8-4526-a190-fa5ff00ea116";
        assert_eq!(
            sign(KEY, URL, b"Hello, World!", NOW, jti),
            *token("Valid JWT with URL parameters and payload - POST")
        );
    }

    #[test]
    fn round_trip() {
        let verified = Verified {
            jti: "jti-1".into(),
            expires_at: NOW + 60,
        };
        for body in [&b""[..], b"{\"id\":\"call-1\"}"] {
            let token = sign(b"signing key", URL, body, NOW, "jti-1");
            assert_eq!(
                verify(&token, b"signing key", URL, body, NOW, 0),
                Ok(verified.clone())
            );
            assert_eq!(
                verify(&token, b"signing key", URL, body, NOW + 59, 0),
                Ok(verified.clone())
            );
        }
    }

    #[test]
    fn time_bounds_and_leeway() {
        let token = sign(KEY, URL, b"", NOW, "jti-1");
        let at = |now, leeway| verify(&token, KEY, URL, b"", now, leeway).map(|_| ());
        assert_eq!(at(NOW - 1, 0), Err(JwtError::NotYetValid));
        assert_eq!(at(NOW - 1, 1), Ok(()));
        assert_eq!(at(NOW + 60, 0), Err(JwtError::Expired));
        assert_eq!(at(NOW + 60, 1), Ok(()));
        assert_eq!(at(NOW + 61, 1), Err(JwtError::Expired));
        assert_eq!(at(0, u64::MAX), Ok(()));
        assert_eq!(at(u64::MAX, 0), Err(JwtError::Expired));
    }

    #[test]
    fn tampered_body_removed_or_added() {
        let token = sign(KEY, URL, b"{\"status\":\"ringing\"}", NOW, "jti-1");
        let check = |body: &[u8]| verify(&token, KEY, URL, body, NOW, 1);
        assert_eq!(
            check(b"{\"status\":\"answered\"}"),
            Err(JwtError::PayloadMismatch)
        );
        assert_eq!(check(b""), Err(JwtError::UnexpectedPayloadHash));
        let bodiless = sign(KEY, URL, b"", NOW, "jti-1");
        assert_eq!(
            verify(&bodiless, KEY, URL, b"x", NOW, 1),
            Err(JwtError::PayloadHashMissing)
        );
    }

    #[test]
    fn url_must_match_exactly_query_order_included() {
        let token = sign(KEY, URL, b"", NOW, "jti-1");
        for other in [
            "https://example.com/path?foo=2&bar=1",
            "http://example.com/path?bar=1&foo=2",
            "https://example.com:443/path?bar=1&foo=2",
            "https://example.com/path?bar=1&foo=2&",
            "https://example.com/path",
        ] {
            assert_eq!(
                verify(&token, KEY, other, b"", NOW, 1),
                Err(JwtError::UrlMismatch),
                "{other}"
            );
        }
    }

    #[test]
    fn alg_none_and_others_are_refused() {
        let claims = format!(
            r#"{{"iss":"MessageBird","nbf":{NOW},"exp":{},"jti":"j","url_hash":"{}"}}"#,
            NOW + 60,
            sha256_hex(URL.as_bytes())
        );
        let claims = URL_SAFE_NO_PAD.encode(claims);
        for alg in ["none", "None", "NONE", "hs256", "RS256", "ES256", ""] {
            let header = URL_SAFE_NO_PAD.encode(format!(r#"{{"alg":"{alg}","typ":"JWT"}}"#));
            let unsigned = format!("{header}.{claims}.");
            let err = verify(&unsigned, KEY, URL, b"", NOW, 1).unwrap_err();
            assert_eq!(err, JwtError::BadAlgorithm(alg.into()));
            // A genuine HS256 tag on the same input does not rescue it.
            let forged = forge(&format!(r#"{{"alg":"{alg}"}}"#), "{}");
            assert!(matches!(
                verify(&forged, KEY, URL, b"", NOW, 1),
                Err(JwtError::BadAlgorithm(_))
            ));
        }
        let err = verify(&forge(r#"{"alg":"x\ny"}"#, "{}"), KEY, URL, b"", NOW, 1).unwrap_err();
        assert_eq!(err, JwtError::BadAlgorithm("x\\ny".into()));
    }

    #[test]
    fn wrong_or_empty_key() {
        let token = sign(KEY, URL, b"", NOW, "jti-1");
        assert_eq!(
            verify(&token, b"other", URL, b"", NOW, 1),
            Err(JwtError::BadSignature)
        );
        assert_eq!(verify(&token, b"", URL, b"", NOW, 1), Err(JwtError::NoKey));
        // Truncated and extended tags are refused too.
        let (head, tag) = token.rsplit_once('.').unwrap();
        let tag = URL_SAFE_NO_PAD.decode(tag).unwrap();
        for bad in [&tag[..31], &[&tag[..], &[0]].concat()[..], &[]] {
            let t = format!("{head}.{}", URL_SAFE_NO_PAD.encode(bad));
            assert_eq!(
                verify(&t, KEY, URL, b"", NOW, 1),
                Err(JwtError::BadSignature)
            );
        }
    }

    #[test]
    fn claims_are_checked() {
        let h = r#"{"alg":"HS256","typ":"JWT"}"#;
        let url_hash = sha256_hex(URL.as_bytes());
        let exp = NOW + 60;
        let check = |claims: String| verify(&forge(h, &claims), KEY, URL, b"", NOW, 1).map(|_| ());
        let good = format!(
            r#"{{"iss":"MessageBird","nbf":{NOW},"exp":{exp},"jti":"j","url_hash":"{url_hash}"}}"#
        );
        assert_eq!(check(good.clone()), Ok(()));
        assert_eq!(
            check(good.replace(&url_hash, &url_hash.to_uppercase())),
            Ok(())
        );
        assert_eq!(
            check(good.replace(r#""MessageBird""#, r#""MessageBirds""#)),
            Err(JwtError::BadIssuer)
        );
        assert_eq!(
            check(good.replace(r#""iss":"MessageBird","#, "")),
            Err(JwtError::MissingClaim("iss"))
        );
        assert_eq!(
            check(good.replace(r#""MessageBird""#, "1")),
            Err(JwtError::InvalidClaim("iss"))
        );
        assert_eq!(
            check(good.replace(&format!(r#""nbf":{NOW},"#), "")),
            Err(JwtError::MissingClaim("nbf"))
        );
        assert_eq!(
            check(good.replace(&format!(r#""exp":{exp}"#), r#""exp":"soon""#)),
            Err(JwtError::InvalidClaim("exp"))
        );
        assert_eq!(
            check(good.replace(&format!(r#""exp":{exp}"#), &format!(r#""exp":{exp}.5"#))),
            Ok(())
        );
        assert_eq!(
            check(good.replace(r#""jti":"j""#, r#""jti":"""#)),
            Err(JwtError::MissingClaim("jti"))
        );
        assert_eq!(
            check(good.replace(&format!(r#","url_hash":"{url_hash}""#), "")),
            Err(JwtError::MissingClaim("url_hash"))
        );
        assert_eq!(check(good.replace('}', r#","payload_hash":""}"#)), Ok(()));
        assert_eq!(
            check(good.replace('}', r#","payload_hash":7}"#)),
            Err(JwtError::InvalidClaim("payload_hash"))
        );
        assert_eq!(check("[]".into()), Err(JwtError::Malformed));
        let crit = forge(r#"{"alg":"HS256","crit":["b64"]}"#, &good);
        assert_eq!(
            verify(&crit, KEY, URL, b"", NOW, 1),
            Err(JwtError::Malformed)
        );
    }

    #[test]
    fn extreme_times_neither_overflow_nor_wrap() {
        // A huge float `exp` saturated to i128::MAX and overflowed when the
        // leeway was added (a panic where overflow is checked).
        let h = r#"{"alg":"HS256"}"#;
        let url_hash = sha256_hex(URL.as_bytes());
        let claims = |nbf: &str, exp: &str| {
            format!(
                r#"{{"iss":"MessageBird","nbf":{nbf},"exp":{exp},"jti":"j","url_hash":"{url_hash}"}}"#
            )
        };
        let at = |nbf: &str, exp: &str, leeway| {
            verify(&forge(h, &claims(nbf, exp)), KEY, URL, b"", NOW, leeway)
        };
        let forever = Verified {
            jti: "j".into(),
            expires_at: u64::MAX,
        };
        assert_eq!(at("0", "1e300", 1), Ok(forever.clone()));
        assert_eq!(at("0", "1e300", u64::MAX), Ok(forever.clone()));
        assert_eq!(at("-1e300", "18446744073709551615", 1), Ok(forever));
        assert_eq!(at("0", "-1e300", u64::MAX), Err(JwtError::Expired));
        assert_eq!(at("1e300", "1e300", u64::MAX), Err(JwtError::NotYetValid));
        // Accepted thanks to the leeway alone: the expiry reads as 0, not a wrap.
        let past = verify(&forge(h, &claims("0", "-5")), KEY, URL, b"", 0, 10);
        assert_eq!(past.map(|v| v.expires_at), Ok(0));
    }

    #[test]
    fn garbage_is_rejected_without_panicking() {
        let good = sign(KEY, URL, b"", NOW, "jti-1");
        let padded = good.replacen('.', "=.", 1);
        let inputs = [
            "",
            ".",
            "..",
            "...",
            "a.b.c",
            "a.b.c.d",
            "é.ü.ß",
            "eyJhbGciOiJIUzI1NiJ9",
            "eyJhbGciOiJIUzI1NiJ9..",
            "eyJhbGciOiJIUzI1NiJ9.e30.!!!",
            &padded,
            &good[..good.len() - 1],
            &good[1..],
        ];
        for token in inputs {
            let err = verify(token, KEY, URL, b"", NOW, 1).unwrap_err();
            assert!(!err.to_string().is_empty(), "{token}");
        }
        let padded = verify(&format!(" {good}\t"), KEY, URL, b"", NOW, 1);
        assert_eq!(padded.map(|v| v.jti), Ok("jti-1".into()));
    }

    #[test]
    fn messages_are_distinct() {
        let all = [
            JwtError::Malformed,
            JwtError::BadAlgorithm("none".into()),
            JwtError::NoKey,
            JwtError::BadSignature,
            JwtError::MissingClaim("jti"),
            JwtError::InvalidClaim("jti"),
            JwtError::BadIssuer,
            JwtError::NotYetValid,
            JwtError::Expired,
            JwtError::UrlMismatch,
            JwtError::PayloadMismatch,
            JwtError::PayloadHashMissing,
            JwtError::UnexpectedPayloadHash,
        ];
        let mut texts: Vec<String> = all.iter().map(ToString::to_string).collect();
        texts.sort();
        texts.dedup();
        assert_eq!(texts.len(), all.len());
    }
}
