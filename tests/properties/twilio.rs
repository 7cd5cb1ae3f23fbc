//! `signature::twilio`: `X-Twilio-Signature`, checked before anything else.

use crate::{cases, nasty_char, nasty_string};
use base64::{engine::general_purpose::STANDARD, Engine};
use hmac::{Hmac, Mac};
use proptest::prelude::*;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet};
use switchboard_core::form::Params;
use switchboard_core::signature::twilio::{
    key_choice, validate, Algorithm, Payload, SignatureError,
};

/// Twilio's own recipe (its helper libraries' `compute_signature`): the URL,
/// then each distinct name in order, each followed by its distinct values in
/// order, HMAC-SHA1 (or -SHA256) with the token, base64.
fn twilio_signature(
    url: &str,
    params: &[(String, String)],
    key: &[u8],
    algorithm: Algorithm,
) -> String {
    let message = signed_text(url, params);
    let tag = match algorithm {
        Algorithm::HmacSha1 => {
            let mut mac = <Hmac<sha1::Sha1> as Mac>::new_from_slice(key).expect("any key length");
            mac.update(message.as_bytes());
            mac.finalize().into_bytes().to_vec()
        }
        Algorithm::HmacSha256 => {
            let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).expect("any key length");
            mac.update(message.as_bytes());
            mac.finalize().into_bytes().to_vec()
        }
    };
    STANDARD.encode(tag)
}

fn signed_text(url: &str, params: &[(String, String)]) -> String {
    let mut by_name: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for (name, value) in params {
        by_name.entry(name).or_default().insert(value);
    }
    let mut message = url.to_string();
    for (name, values) in by_name {
        for value in values {
            message.push_str(name);
            message.push_str(value);
        }
    }
    message
}

fn algorithm() -> impl Strategy<Value = Algorithm> {
    prop_oneof![Just(Algorithm::HmacSha1), Just(Algorithm::HmacSha256)]
}

/// `(URL as signed, the same URL with the other port spelling)`.
fn urls() -> impl Strategy<Value = (String, String)> {
    (
        prop_oneof![Just("https"), Just("http")],
        prop_oneof![Just(""), Just("user:pass@"), Just("user@")],
        prop_oneof!["[a-z]{1,10}\\.(com|example)", Just("[::1]".to_string())],
        any::<bool>(),
        "(/[a-zA-Z0-9._~%-]{0,8}){0,3}",
        // A query as a form encodes it: the edge refuses a broken escape before this.
        prop::option::of(prop::collection::vec(
            (nasty_string(6), nasty_string(6)),
            0..3,
        ))
        .prop_map(|q| q.map(|pairs| Params::from_pairs(pairs).encode())),
    )
        .prop_map(|(scheme, userinfo, host, with_port, path, query)| {
            let port = if scheme == "https" { ":443" } else { ":80" };
            let query = query.map(|q| format!("?{q}")).unwrap_or_default();
            let with = format!("{scheme}://{userinfo}{host}{port}{path}{query}");
            let without = format!("{scheme}://{userinfo}{host}{path}{query}");
            if with_port {
                (with, without)
            } else {
                (without, with)
            }
        })
}

fn params() -> impl Strategy<Value = Vec<(String, String)>> {
    let name = prop_oneof![
        prop::sample::select(vec!["CallSid", "From", "To", "Digits", "Body", ""])
            .prop_map(str::to_string),
        nasty_string(8),
    ];
    prop::collection::vec((name, nasty_string(16)), 0..8)
}

proptest! {
    #![proptest_config(cases(512))]

    #[test]
    fn anything_is_checked_without_panicking(
        url in prop_oneof![any::<String>(), urls().prop_map(|u| u.0), "[a-z]{0,5}://[^/]{0,10}(/.{0,10})?"],
        pairs in params(),
        body in prop::collection::vec(any::<u8>(), 0..32),
        kind in 0..3u8,
        signature in prop_oneof![any::<String>(), prop::collection::vec(any::<u8>(), 0..40).prop_map(|b| STANDARD.encode(b))],
        key in prop::collection::vec(any::<u8>(), 0..40),
        algorithm in algorithm(),
        settings in prop::option::of(prop_oneof![any::<String>(), "(key=[A-Za-z0-9_]{0,8}|algorithm=[A-Z_0-9]{0,12}|,|=| ){0,4}"]),
    ) {
        let form = Params::from_pairs(pairs);
        let payload = match kind {
            0 => Payload::Form(&form),
            1 => Payload::Query,
            _ => Payload::Json(&body),
        };
        let _ = validate(&url, payload, &signature, &key, algorithm);
        let _ = key_choice(settings.as_deref());
    }

    #[test]
    fn twilio_s_signature_verifies_and_a_changed_parameter_fails(
        (url, other_port) in urls(),
        pairs in params(),
        key in prop::collection::vec(any::<u8>(), 0..40),
        algorithm in algorithm(),
        which in any::<prop::sample::Index>(),
        extra in prop::collection::vec(nasty_char(), 1..=3).prop_map(String::from_iter),
    ) {
        let signature = twilio_signature(&url, &pairs, &key, algorithm);
        let form = Params::from_pairs(pairs.clone());
        prop_assert_eq!(validate(&url, Payload::Form(&form), &signature, &key, algorithm), Ok(()));
        // Twilio has signed both port spellings at some point.
        prop_assert_eq!(validate(&other_port, Payload::Form(&form), &signature, &key, algorithm), Ok(()));

        // A changed value, or a new parameter, is another request.
        let mut changed = pairs.clone();
        match changed.is_empty() {
            true => changed.push((extra.clone(), String::new())),
            false => changed[which.index(pairs.len())].1.push_str(&extra),
        }
        // Twilio signs each distinct pair once, and an empty name and value
        // add nothing: such a change leaves the signed text as it was.
        prop_assume!(signed_text(&url, &changed) != signed_text(&url, &pairs));
        let changed = Params::from_pairs(changed);
        prop_assert_eq!(
            validate(&url, Payload::Form(&changed), &signature, &key, algorithm),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn a_json_body_is_bound_by_its_hash(
        (url, _) in urls(),
        body in prop::collection::vec(any::<u8>(), 0..64),
        other in prop::collection::vec(any::<u8>(), 0..64),
        key in prop::collection::vec(any::<u8>(), 0..40),
        algorithm in algorithm(),
    ) {
        let hash: String = Sha256::digest(&body).iter().map(|b| format!("{b:02x}")).collect();
        let url = format!("{url}{}bodySHA256={hash}", if url.contains('?') { "&" } else { "?" });
        let signature = twilio_signature(&url, &[], &key, algorithm);
        prop_assert_eq!(validate(&url, Payload::Json(&body), &signature, &key, algorithm), Ok(()));
        let other = if other == body { [&body[..], b"x"].concat() } else { other };
        prop_assert_eq!(
            validate(&url, Payload::Json(&other), &signature, &key, algorithm),
            Err(SignatureError::BodyHashMismatch)
        );
    }
}
