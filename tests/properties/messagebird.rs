//! `signature::messagebird`: the `MessageBird-Signature-JWT` check.

use crate::{cases, nasty_string};
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use hmac::{Hmac, Mac};
use proptest::prelude::*;
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};
use switchboard_core::signature::messagebird::{sign, verify, Verified, LIFETIME_SECS};

const KEY: &[u8] = b"signing key";
const URL: &str = "https://example.com/messagebird/voice?source=31612345678";

fn b64(data: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(data)
}

/// An HS256 token over any header and claims, signed with `KEY`: gets past
/// the signature so the claims' handling is what is tried.
fn forge(header: &Value, claims: &Value) -> String {
    let signed = format!(
        "{}.{}",
        b64(header.to_string().as_bytes()),
        b64(claims.to_string().as_bytes())
    );
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(KEY).expect("any key length");
    mac.update(signed.as_bytes());
    format!("{signed}.{}", b64(&mac.finalize().into_bytes()))
}

fn hex_sha256(data: &[u8]) -> String {
    Sha256::digest(data)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// JSON values a time or string claim might hold, extremes first.
fn claim_value() -> impl Strategy<Value = Value> {
    prop_oneof![
        prop::sample::select(vec![
            json!(0),
            json!(-1),
            json!(u64::MAX),
            json!(i64::MIN),
            json!(1e300),
            json!(-1e300),
            json!(1.5),
            json!(f64::MAX),
            json!(f64::MIN_POSITIVE),
            json!(null),
            json!(""),
            json!("x"),
            json!([]),
            json!({}),
            json!(true),
        ]),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        nasty_string(8).prop_map(Value::from),
    ]
}

/// Claims with each known claim either right, absent or any value.
fn claims(now: u64) -> impl Strategy<Value = Value> {
    let right: Vec<(&str, Value)> = vec![
        ("iss", json!("MessageBird")),
        ("nbf", json!(now)),
        ("exp", json!(now.saturating_add(LIFETIME_SECS))),
        ("jti", json!("jti-1")),
        ("url_hash", json!(hex_sha256(URL.as_bytes()))),
        ("payload_hash", Value::Null),
    ];
    let fields: Vec<_> = right
        .into_iter()
        .map(|(name, good)| {
            prop_oneof![
                3 => Just(Some(good)),
                1 => Just(None),
                2 => claim_value().prop_map(Some),
            ]
            .prop_map(move |v| (name, v))
        })
        .collect();
    fields.prop_map(|fields| {
        let map: Map<String, Value> = fields
            .into_iter()
            .filter_map(|(name, v)| Some((name.to_string(), v?)))
            .collect();
        Value::Object(map)
    })
}

proptest! {
    #![proptest_config(cases(512))]

    #[test]
    fn any_token_is_refused_without_panicking(
        token in prop_oneof![
            any::<String>(),
            nasty_string(40),
            "[A-Za-z0-9_=-]{0,30}(\\.[A-Za-z0-9_=-]{0,30}){0,4}",
        ],
        url in any::<String>(),
        body in prop::collection::vec(any::<u8>(), 0..32),
        now in any::<u64>(),
        leeway in prop_oneof![Just(1u64), any::<u64>()],
    ) {
        prop_assert!(verify(&token, KEY, &url, &body, now, leeway).is_err());
    }

    #[test]
    fn segments_of_any_json_are_refused_without_panicking(
        header in prop_oneof![
            Just(json!({"alg": "HS256", "typ": "JWT"})),
            claim_value().prop_map(|alg| json!({"alg": alg})),
            claim_value(),
        ],
        claims in claim_value(),
        tag in prop::collection::vec(any::<u8>(), 0..70),
    ) {
        let token = format!("{}.{}.{}", b64(header.to_string().as_bytes()), b64(claims.to_string().as_bytes()), b64(&tag));
        prop_assert!(verify(&token, KEY, URL, b"", 0, 1).is_err());
    }

    #[test]
    fn signed_claims_of_any_value_are_judged_without_panicking(
        (now, claims) in prop_oneof![
            Just(0u64), Just(u64::MAX), 1_600_000_000..1_800_000_000u64, any::<u64>(),
        ]
        .prop_flat_map(|now| (Just(now), claims(now))),
        offset in prop_oneof![-5i64..70, any::<i64>()],
        leeway in prop_oneof![Just(0u64), Just(1u64), Just(u64::MAX), any::<u64>()],
    ) {
        let token = forge(&json!({"alg": "HS256", "typ": "JWT"}), &claims);
        let at = now.saturating_add_signed(offset);
        if let Ok(Verified { jti, expires_at }) = verify(&token, KEY, URL, b"", at, leeway) {
            prop_assert_eq!(Some(jti.as_str()), claims["jti"].as_str());
            prop_assert!(!jti.is_empty());
            // The expiry handed back is the one that was checked (clamped:
            // u64::MAX stands for anything later).
            let until = u128::from(expires_at) + u128::from(leeway);
            prop_assert!(u128::from(at) < until || expires_at == u64::MAX);
        }
    }

    #[test]
    fn a_signed_token_verifies_and_any_changed_byte_fails(
        key in prop::collection::vec(any::<u8>(), 1..80),
        url in any::<String>(),
        body in prop::collection::vec(any::<u8>(), 0..64),
        now in prop_oneof![any::<u64>(), 1_600_000_000..1_800_000_000u64],
        jti in "[ -~]{1,36}",
        within in 0..LIFETIME_SECS,
        at in any::<prop::sample::Index>(),
        step in 1u8..128,
    ) {
        let token = sign(&key, &url, &body, now, &jti);
        let expires_at = now.saturating_add(LIFETIME_SECS);
        let verified = Verified { jti: jti.clone(), expires_at };
        prop_assert_eq!(verify(&token, &key, &url, &body, now, 1), Ok(verified.clone()));
        let later = now.saturating_add(within).min(expires_at.saturating_sub(1)).max(now);
        prop_assert_eq!(verify(&token, &key, &url, &body, later, 1), Ok(verified));

        let mut changed = token.clone().into_bytes();
        let i = at.index(changed.len());
        // Another ASCII byte, so the token stays text.
        let byte = (changed[i] + step) % 128;
        changed[i] = byte;
        let changed = String::from_utf8(changed).expect("ASCII stays UTF-8");
        let got = verify(&changed, &key, &url, &body, now, 1);
        prop_assert!(got.is_err(), "byte {i} to {byte:#04x} still verifies: {got:?}");
    }
}
