// The same tests run compiled to wasm, under Node (scripts/test.sh).
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use super::parse_destination;
use std::collections::BTreeMap;
use switchboard_core::outbound::*;
use switchboard_core::phone::E164;

fn n(s: &str) -> E164 {
    E164::parse(s).unwrap()
}

fn config() -> Outbound {
    Outbound::from_json(
        r#"{
          "default_number": "+14155550100",
          "country_pools": { "GB": ["+442079460001"], "DE": ["+493012345601"], "CA": ["+16135550101"] },
          "prefix_pools": {
            "+1415": ["+14155550111", "+14155550112", "+14155550113", "+14155550114"],
            "+1": ["+12125550101"],
            "+44": ["+442079460099"]
          },
          "default_country": "US"
        }"#,
    )
    .unwrap()
}

fn dest(s: &str) -> Destination {
    parse_destination(s, Some("US")).unwrap()
}

#[test]
fn the_longest_matching_prefix_wins() {
    let c = config();
    let p = pick(&c, &dest("+1 415 555 0199"));
    assert_eq!(p.rule, Rule::Prefix("+1415".into()));
    assert!(c.prefix_pools["+1415"].contains(&p.caller_id));
    let p = pick(&c, &dest("(212) 555-0199"));
    assert_eq!(
        p,
        Pick {
            caller_id: n("+12125550101"),
            rule: Rule::Prefix("+1".into())
        }
    );
}

#[test]
fn countries_come_from_phonenumber_so_gb_and_de_stay_apart() {
    let mut c = config();
    c.prefix_pools.clear();
    let uk = pick(&c, &dest("+44 20 7946 0958"));
    assert_eq!(
        uk,
        Pick {
            caller_id: n("+442079460001"),
            rule: Rule::Country("GB".into())
        }
    );
    let de = pick(&c, &dest("+49 30 901820"));
    assert_eq!(
        de,
        Pick {
            caller_id: n("+493012345601"),
            rule: Rule::Country("DE".into())
        }
    );
    // Canada is inside +1 but is its own country.
    let ca = pick(&c, &dest("+1 613 555 0199"));
    assert_eq!(ca.rule, Rule::Country("CA".into()));
}

#[test]
fn no_pool_falls_back_to_the_default() {
    let c = config();
    let p = pick(&c, &dest("+33 1 23 45 67 89"));
    assert_eq!(
        p,
        Pick {
            caller_id: n("+14155550100"),
            rule: Rule::Default
        }
    );
}

#[test]
fn the_pick_is_sticky_per_destination() {
    let c = config();
    for d in ["+14155550123", "+14155550124", "+14155550999"] {
        let first = pick(&c, &dest(d));
        for _ in 0..3 {
            assert_eq!(pick(&c, &dest(d)), first);
        }
    }
}

#[test]
fn destinations_spread_evenly_over_a_pool() {
    let c = config();
    let mut counts: BTreeMap<E164, u32> = BTreeMap::new();
    for i in 0..2000 {
        let d = Destination {
            number: n(&format!("+1415555{i:04}")),
            region: Some("US".into()),
            premium: false,
        };
        *counts.entry(pick(&c, &d).caller_id).or_default() += 1;
    }
    assert_eq!(counts.len(), 4);
    for (number, count) in &counts {
        assert!(
            (400..=600).contains(count),
            "{number:?} got {count} of 2000"
        );
    }
}

#[test]
fn a_fresh_account_calls_only_where_it_has_numbers() {
    let c = config();
    assert_eq!(
        c.allowed_countries().into_iter().collect::<Vec<_>>(),
        ["CA", "DE", "GB", "US"]
    );
    assert_eq!(check(&c, &dest("+44 20 7946 0958")), Ok(()));
    assert_eq!(
        check(&c, &dest("+33 1 23 45 67 89")),
        Err(Refused::CountryNotAllowed {
            country: "FR".into()
        })
    );
    let mut open = config();
    open.guard.allowed_countries = vec!["FR".into()];
    assert_eq!(check(&open, &dest("+33 1 23 45 67 89")), Ok(()));
    assert!(check(&open, &dest("+44 20 7946 0958")).is_err());
}

#[test]
fn blocked_prefixes_and_premium_numbers_are_refused() {
    let mut c = config();
    c.guard.blocked_prefixes = vec!["+4420794".into()];
    assert_eq!(
        check(&c, &dest("+44 20 7946 0958")),
        Err(Refused::BlockedPrefix {
            prefix: "+4420794".into()
        })
    );
    let premium = dest("+44 909 879 0000");
    assert!(premium.premium);
    assert_eq!(check(&config(), &premium), Err(Refused::Premium));
    c.guard.allow_premium = true;
    c.guard.blocked_prefixes.clear();
    assert_eq!(check(&c, &premium), Ok(()));
}

#[test]
fn numbers_that_are_not_numbers_say_why() {
    let err = parse_destination("12345", Some("US")).unwrap_err();
    assert_eq!(
        err,
        Refused::Invalid {
            why: "not a valid number in its country's numbering plan".into()
        }
    );
    assert_eq!(
        err.to_string(),
        "not a number that can be called: not a valid number in its country's numbering plan"
    );
    assert!(matches!(
        parse_destination("pizza", None),
        Err(Refused::Invalid { .. })
    ));
}

#[test]
fn rate_limits_per_destination_and_per_account() {
    use switchboard_core::ledger::take;
    let g = Guard::default();
    let limits = hourly_limits(&g, "+14155550100");
    // This hour's counts so far, per destination and for the account.
    let check = |to: u32, account: u32| take(&[to, account], &limits).map_err(|l| rate_limited(&l));
    assert_eq!(check(4, 99), Ok(vec![5, 100]));
    assert_eq!(
        check(5, 0),
        Err(Refused::RateLimited {
            scope: RateScope::Destination,
            limit: 5
        })
    );
    assert_eq!(
        check(0, 100).unwrap_err().to_string(),
        "rate limit: at most 100 calls an hour for the account"
    );
}

#[test]
fn config_errors_name_the_field() {
    let err = |json: &str| Outbound::from_json(json).unwrap_err().to_string();
    assert_eq!(
        err(r#"{"default_number":"+14155550100","country_pools":{"UK":["+442079460001"]}}"#),
        "country_pools.UK: keys are ISO 3166 codes such as GB"
    );
    assert_eq!(
        err(r#"{"default_number":"+14155550100","prefix_pools":{"1415":["+14155550111"]}}"#),
        "prefix_pools.1415: keys are + and digits, e.g. +1415"
    );
    assert_eq!(
        err(r#"{"default_number":"+14155550100","verification":{"sms_text":"hello"}}"#),
        "verification.sms_text: must contain {code}"
    );
    assert!(err(r#"{"country_pools":{}}"#).contains("missing field `default_number`"));
}

#[test]
fn a_pick_reads_flat_in_json() {
    let p = Pick {
        caller_id: n("+14155550111"),
        rule: Rule::Prefix("+1415".into()),
    };
    assert_eq!(
        serde_json::to_string(&p).unwrap(),
        r#"{"caller_id":"+14155550111","rule":"prefix","key":"+1415"}"#
    );
    let d = Pick {
        caller_id: n("+14155550111"),
        rule: Rule::Default,
    };
    assert_eq!(
        serde_json::to_string(&d).unwrap(),
        r#"{"caller_id":"+14155550111","rule":"default"}"#
    );
}

#[test]
fn a_masking_party_or_forward_target_meets_the_guard_without_an_outbound_config() {
    let home = [E164::parse("+14155550199").unwrap()];
    // A country the account has a number in (the line's, the pool's) is fine.
    assert_eq!(check_for(None, &home, &dest("+1 415 555 0100")), Ok(()));
    // Any other is not, and neither is a premium number.
    assert_eq!(
        check_for(None, &home, &dest("+44 20 7946 0958")),
        Err(Refused::CountryNotAllowed {
            country: "GB".into()
        })
    );
    assert_eq!(
        check_for(None, &home, &dest("+1 900 555 0100")),
        Err(Refused::Premium)
    );
    // With no known number at all, nothing is allowed.
    assert!(check_for(None, &[], &dest("+1 415 555 0100")).is_err());
}

#[test]
fn the_accounts_allow_list_wins_over_its_home_numbers() {
    let mut c = config();
    c.guard.allowed_countries = vec!["GB".into()];
    let home = [E164::parse("+14155550199").unwrap()];
    assert!(check_for(Some(&c), &home, &dest("+1 415 555 0100")).is_err());
    assert_eq!(
        check_for(Some(&c), &home, &dest("+44 20 7946 0958")),
        Ok(())
    );
}

#[test]
fn a_sip_uri_is_dialled_only_to_a_listed_domain() {
    let mut g = Guard::default();
    assert_eq!(
        check_sip(&g, "sip:alice@pbx.example.com"),
        Err(Refused::SipDomainNotAllowed {
            domain: "pbx.example.com".into()
        })
    );
    g.sip_domains = vec!["PBX.example.com".into()];
    for ok in [
        "sip:alice@pbx.example.com",
        "sips:alice@pbx.example.com:5061;transport=tls",
        "sip:pbx.example.com",
    ] {
        assert_eq!(check_sip(&g, ok), Ok(()), "{ok}");
    }
    for bad in [
        "sip:alice@evil.example.com",
        "sip:pbx.example.com@evil.example.com",
        "sip:alice@pbx.example.com.evil.example",
    ] {
        assert!(check_sip(&g, bad).is_err(), "{bad}");
    }
}

#[test]
fn a_flow_sid_is_fw_and_32_hex_digits() {
    assert!(is_flow_sid("FW0123456789abcdef0123456789abcdef"));
    for bad in [
        "FW123",
        "FW0123456789abcdef0123456789abcdeg",
        "FW0123456789abcdef0123456789abcdef/../x",
    ] {
        assert!(!is_flow_sid(bad), "{bad}");
    }
}
