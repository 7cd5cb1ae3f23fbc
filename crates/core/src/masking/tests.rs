//! Pools, sessions and routes as scenarios, with exact values.

// The same tests run compiled to wasm, under Node (scripts/test.sh).
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use super::*;

const S: u64 = 1000;
const ADA: &str = "+14155550101";
const BOB: &str = "+14155550102";
const CY: &str = "+14155550103";
const DEE: &str = "+14155550104";
const EVE: &str = "+14155550105";
const P1: &str = "+14155550001";
const P2: &str = "+14155550002";
const P3: &str = "+14155550003";
const P4: &str = "+14155550004";

fn n(s: &str) -> E164 {
    E164::parse(s).unwrap()
}

fn number(s: &str, market: Option<&str>) -> ProxyNumber {
    let (number, market) = (n(s), market.map(str::to_string));
    ProxyNumber {
        number,
        market,
        draining: false,
    }
}

/// Untagged numbers, 30 s of grace.
fn pool(numbers: &[&str]) -> Pool {
    let numbers = numbers.iter().map(|s| number(s, None)).collect();
    Pool {
        numbers,
        grace_secs: 30,
        ..Pool::default()
    }
}

fn new(id: &str, a: &str, b: &str) -> NewSession {
    let (id, a, b, labels) = (id.to_string(), n(a), n(b), BTreeMap::new());
    NewSession {
        id,
        a,
        b,
        ttl_secs: None,
        market: None,
        labels,
    }
}

/// Allocates; the proxy number it got.
fn open(pool: &mut Pool, id: &str, a: &str, b: &str, now: u64) -> Result<String, PoolError> {
    let session = pool.allocate(new(id, a, b), now)?;
    Ok(session.proxy.as_str().to_string())
}

fn ok(proxy: &str) -> Result<String, PoolError> {
    Ok(proxy.to_string())
}

fn short(usable: usize, short_by: usize) -> Result<String, PoolError> {
    Err(PoolError::Exhausted(Exhausted { usable, short_by }))
}

/// What a call to `proxy` from `caller` gets, in a few words.
fn routed(pool: &Pool, proxy: &str, caller: &str, now: u64) -> String {
    let grace = u64::from(pool.grace_secs) * S;
    match route(&pool.sessions, &n(proxy), &n(caller), now, grace) {
        Route::Connect { session, other } => format!("{} to {}", session.id, other.as_str()),
        Route::Expired { session } => format!("{} expired", session.id),
        Route::Unknown => "unknown".to_string(),
    }
}

#[test]
fn a_pair_gets_a_number_and_both_sides_route_through_it() {
    let mut pool = pool(&[P1]);
    let mut req = new("s1", ADA, BOB);
    req.ttl_secs = Some(600);
    let session = pool.allocate(req, S).unwrap();
    assert_eq!(session.proxy.as_str(), P1);
    assert_eq!(session.expires_at_ms, Some(601 * S));
    assert_eq!((pool.live(2 * S), pool.peak), (vec![&session], 1));
    assert_eq!(routed(&pool, P1, ADA, 2 * S), "s1 to +14155550102");
    assert_eq!(routed(&pool, P1, BOB, 2 * S), "s1 to +14155550101");
}

#[test]
fn numbers_are_reused_across_unrelated_pairs() {
    let mut pool = pool(&[P1]);
    assert_eq!(open(&mut pool, "s1", ADA, BOB, 0), ok(P1));
    assert_eq!(open(&mut pool, "s2", CY, DEE, 0), ok(P1));
    assert_eq!(routed(&pool, P1, BOB, 0), "s1 to +14155550101");
    assert_eq!(routed(&pool, P1, DEE, 0), "s2 to +14155550103");
}

#[test]
fn a_party_never_gets_the_same_proxy_twice_while_live_or_in_grace() {
    let mut pool = pool(&[P1, P2, P3]);
    assert_eq!(open(&mut pool, "s1", ADA, BOB, 0), ok(P1));
    assert_eq!(open(&mut pool, "s2", ADA, CY, 0), ok(P2));
    assert_eq!(open(&mut pool, "s3", BOB, ADA, 0), ok(P3));
    assert_eq!(open(&mut pool, "s4", ADA, DEE, 0), short(3, 1));
    pool.end("s1", 10 * S).unwrap();
    assert_eq!(open(&mut pool, "s4", ADA, DEE, 39_999), short(3, 1));
    assert_eq!(open(&mut pool, "s4", ADA, DEE, 40 * S), ok(P1));
}

#[test]
fn grace_keeps_a_session_reachable_then_it_expires() {
    let mut pool = pool(&[P1]);
    let mut req = new("s1", ADA, BOB);
    req.ttl_secs = Some(60);
    let s = pool.allocate(req, 0).unwrap();
    let at = |t: u64| (s.state(t, 30 * S), routed(&pool, P1, ADA, t));
    assert_eq!(at(59_999), (State::Live, "s1 to +14155550102".into()));
    assert_eq!(at(60_000), (State::Grace, "s1 to +14155550102".into()));
    assert_eq!(at(89_999), (State::Grace, "s1 to +14155550102".into()));
    assert_eq!(at(90_000), (State::Closed, "s1 expired".into()));
    assert_eq!((pool.live(59_999).len(), pool.live(60 * S).len()), (1, 0));
    // Ending after expiry keeps the expiry; once closed the id is unknown.
    assert_eq!(pool.end("s1", 70 * S).unwrap().ended(), Some(60 * S));
    let unknown = Err(PoolError::UnknownSession("s1".into()));
    assert_eq!(pool.end("s1", 90 * S), unknown);
}

#[test]
fn ended_sessions_free_the_number_after_grace() {
    let mut pool = pool(&[P1]);
    assert_eq!(open(&mut pool, "s1", ADA, BOB, 0), ok(P1));
    assert_eq!(pool.end("s1", 10 * S).unwrap().ended(), Some(10 * S));
    assert_eq!(pool.end("s1", 15 * S).unwrap().ended(), Some(10 * S));
    assert_eq!(open(&mut pool, "s2", ADA, CY, 39_999), short(1, 1));
    assert_eq!(open(&mut pool, "s2", ADA, CY, 40 * S), ok(P1));
    let ids: Vec<&str> = pool.sessions.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(ids, ["s2"]);
}

#[test]
fn draining_numbers_get_no_new_sessions_and_leave_when_idle() {
    let mut pool = pool(&[P1, P2]);
    assert_eq!(open(&mut pool, "s1", ADA, BOB, 0), ok(P1));
    assert_eq!(pool.remove_number(&n(P2), S), Ok(true));
    assert_eq!(pool.remove_number(&n(P1), S), Ok(false));
    let gone = pool.remove_number(&n(P3), S);
    assert_eq!(gone, Err(PoolError::NotInPool(n(P3))));
    assert_eq!(open(&mut pool, "s2", CY, DEE, S), short(0, 1));
    assert_eq!(routed(&pool, P1, ADA, S), "s1 to +14155550102");
    pool.end("s1", 5 * S).unwrap();
    pool.prune(34_999);
    assert_eq!((pool.numbers.len(), pool.sessions.len()), (1, 1));
    pool.prune(35 * S);
    assert_eq!((pool.numbers.len(), pool.sessions.len()), (0, 0));
    // Adding it again is refused, unless it is draining: that cancels the drain.
    assert_eq!(pool.add_number(number(P1, None)), Ok(()));
    let twice = pool.add_number(number(P1, None));
    assert_eq!(twice, Err(PoolError::AlreadyInPool(n(P1))));
    assert_eq!(open(&mut pool, "s3", ADA, BOB, 40 * S), ok(P1));
    assert_eq!(pool.remove_number(&n(P1), 40 * S), Ok(false));
    assert_eq!(pool.add_number(number(P1, Some("nyc"))), Ok(()));
    assert_eq!(pool.numbers, vec![number(P1, Some("nyc"))]);
}

#[test]
fn locality_prefers_the_market_then_the_country() {
    // The US number is the lowest: it wins whenever locality does not decide.
    let mut pool = pool(&["+31201234000", "+442071234000"]);
    pool.numbers.push(number("+12125550001", Some("nyc")));
    pool.numbers.push(number("+31201234001", Some("amsterdam")));
    let pick = |market: Option<&str>, a: &str, b: &str| {
        let mut req = new("s", a, b);
        req.market = market.map(str::to_string);
        pool.clone().allocate(req, 0).unwrap().proxy
    };
    let (nl, nl2, gb) = ("+31612345678", "+31612345679", "+447700900123");
    let (de, de2) = ("+4930123456", "+4930123457");
    assert_eq!(pick(Some("amsterdam"), nl, nl2), n("+31201234001"));
    assert_eq!(pick(None, nl, nl2), n("+31201234000"));
    assert_eq!(pick(Some("rotterdam"), de, gb), n("+442071234000"));
    assert_eq!(pick(None, de, de2), n("+12125550001"));
    assert_eq!(pick(Some("nyc"), nl, nl2), n("+12125550001"));
}

#[test]
fn load_spreads_to_the_least_used_number() {
    let mut pool = pool(&[P1, P2]);
    assert_eq!(open(&mut pool, "s1", ADA, BOB, 0), ok(P1));
    assert_eq!(open(&mut pool, "s2", CY, DEE, 0), ok(P2));
    assert_eq!(open(&mut pool, "s3", EVE, "+14155550106", 0), ok(P1));
    // Once P2's session has closed it is the least used, though not the lowest.
    pool.end("s2", 0).unwrap();
    assert_eq!(open(&mut pool, "s4", CY, DEE, 30 * S), ok(P2));
}

#[test]
fn exhaustion_says_how_many_numbers_to_add() {
    let why = "No proxy number available for this pair:";
    let text = |r: Result<String, PoolError>| r.unwrap_err().to_string();
    let mut empty = Pool::default();
    assert_eq!(open(&mut empty, "s", ADA, BOB, 0), short(0, 1));
    let grow = "Grow the pool by at least 1 number.";
    let none = format!("{why} the pool has no usable numbers. {grow}");
    assert_eq!(text(open(&mut empty, "s", ADA, BOB, 0)), none);
    // All busy with A; with B; partly with each. One more number is enough.
    let all = format!("{why} all 3 usable numbers already connect one of these parties. {grow}");
    for busy in [[ADA, ADA, ADA], [BOB, BOB, BOB], [ADA, BOB, ADA]] {
        let mut pool = self::pool(&[P1, P2, P3]);
        for (a, b) in busy.into_iter().zip([CY, DEE, EVE]) {
            open(&mut pool, b, a, b, 0).unwrap();
        }
        assert_eq!(open(&mut pool, "s", ADA, BOB, 0), short(3, 1));
        assert_eq!(text(open(&mut pool, "s", ADA, BOB, 0)), all);
        pool.add_number(number(P4, None)).unwrap();
        assert_eq!(open(&mut pool, "s", ADA, BOB, 0), ok(P4));
    }
    // A holds 3 sessions, 2 on draining numbers: 4 usable are needed.
    let mut pool = pool(&[P1, P2, P3]);
    for (id, other) in [("c", CY), ("d", DEE), ("e", EVE)] {
        open(&mut pool, id, ADA, other, 0).unwrap();
    }
    pool.remove_number(&n(P2), 0).unwrap();
    pool.remove_number(&n(P3), 0).unwrap();
    assert_eq!(open(&mut pool, "s", ADA, BOB, 0), short(1, 3));
    let only = format!(
        "{why} the only usable number already connects one of these parties. Grow the pool \
         by at least 3 numbers: one party holds 3 sessions, some on draining numbers."
    );
    assert_eq!(text(open(&mut pool, "s", ADA, BOB, 0)), only);
}

#[test]
fn same_party_and_duplicate_ids_are_refused() {
    let mut pool = pool(&[P1, P2]);
    let same = open(&mut pool, "s1", ADA, ADA, 0);
    assert_eq!(same, Err(PoolError::SameParty));
    assert_eq!(open(&mut pool, "s1", ADA, BOB, 0), ok(P1));
    let before = pool.clone();
    let duplicate = open(&mut pool, "s1", CY, DEE, 0).unwrap_err();
    assert_eq!(duplicate, PoolError::DuplicateId("s1".into()));
    let text = "Session id \"s1\" is still in use; pick another.";
    assert_eq!((duplicate.to_string(), pool == before), (text.into(), true));
    // The id is free again once its session has closed.
    pool.end("s1", 10 * S).unwrap();
    assert_eq!(open(&mut pool, "s1", CY, DEE, 40 * S), ok(P1));
}

#[test]
fn the_report_counts_live_grace_idle_and_free_for_a_pair() {
    let mut pool = pool(&[P1, P2]);
    pool.numbers.push(number(P3, Some("nyc")));
    pool.numbers.push(number(P4, Some("nyc")));
    assert_eq!(open(&mut pool, "s1", ADA, BOB, 0), ok(P1));
    assert_eq!(open(&mut pool, "s2", CY, DEE, 0), ok(P2));
    assert_eq!(open(&mut pool, "s3", EVE, "+14155550106", 0), ok(P3));
    assert_eq!(pool.remove_number(&n(P3), 0), Ok(false));
    pool.end("s2", 10 * S).unwrap();
    let (ada, cy, eve) = (n(ADA), n(CY), n(EVE));
    let json = |pair, market| {
        let report = pool.report(20 * S, pair, market);
        serde_json::to_string(&report).unwrap()
    };
    let all = r#"{"size":4,"draining":1,"live_sessions":2,"in_grace":1,"peak":3,"#;
    let free = r#""free_for_pair":1,"idle":1,"low":false,"low_water":0}"#;
    assert_eq!(json(Some((&ada, &cy)), None), format!("{all}{free}"));
    let nyc = r#"{"size":2,"draining":1,"live_sessions":1,"in_grace":0,"peak":3,"#;
    assert_eq!(json(Some((&ada, &cy)), Some("nyc")), format!("{nyc}{free}"));
    let free = |a, b| pool.report(20 * S, Some((a, b)), None).free_for_pair;
    assert_eq!((free(&ada, &eve), free(&ada, &ada)), (Some(2), Some(0)));
    let later = pool.report(40 * S, None, None);
    assert_eq!((later.in_grace, later.idle), (0, 2));
}

#[test]
fn low_water_flags_the_pool() {
    let mut pool = pool(&[P1, P2, P3]);
    pool.low_water = 2;
    let low = |pool: &Pool, now| {
        let report = pool.report(now, None, None);
        (report.idle, report.low)
    };
    assert_eq!(low(&pool, 0), (3, false));
    open(&mut pool, "s1", ADA, BOB, 0).unwrap();
    assert_eq!(low(&pool, 0), (2, false));
    open(&mut pool, "s2", CY, DEE, 0).unwrap();
    assert_eq!(low(&pool, 0), (1, true));
    pool.end("s2", 0).unwrap();
    assert_eq!(low(&pool, 29_999), (1, true));
    assert_eq!(low(&pool, 30 * S), (2, false));
}

#[test]
fn pruning_drops_closed_sessions_and_keeps_the_peak() {
    let mut pool = pool(&[P1, P2]);
    for (id, a, b) in [("s1", ADA, BOB), ("s2", CY, DEE), ("s3", EVE, BOB)] {
        open(&mut pool, id, a, b, 0).unwrap();
        pool.end(id, 10 * S).unwrap();
    }
    pool.prune(39_999);
    assert_eq!((pool.sessions.len(), pool.peak), (3, 3));
    pool.prune(40 * S);
    assert_eq!((pool.sessions.len(), pool.peak), (0, 3));
    open(&mut pool, "s4", ADA, BOB, 40 * S).unwrap();
    assert_eq!(pool.report(40 * S, None, None).peak, 3);
}

#[test]
fn route_picks_the_newest_session_of_the_caller() {
    let mut pool = pool(&[P1, P2]);
    assert_eq!(open(&mut pool, "old", ADA, BOB, 0), ok(P1));
    pool.end("old", 10 * S).unwrap();
    let old = pool.sessions[0].clone();
    assert_eq!(open(&mut pool, "new", ADA, CY, 40 * S), ok(P1));
    assert_eq!(open(&mut pool, "far", ADA, DEE, 40 * S), ok(P2));
    // The pool pruned the closed session; a caller's list may still hold it.
    pool.sessions.insert(0, old);
    assert_eq!(routed(&pool, P1, ADA, 50 * S), "new to +14155550103");
    assert_eq!(routed(&pool, P1, CY, 50 * S), "new to +14155550101");
    assert_eq!(routed(&pool, P1, BOB, 50 * S), "old expired");
    assert_eq!(routed(&pool, P2, ADA, 50 * S), "far to +14155550104");
    let (ada, cy) = (n(ADA), n(CY));
    let (session, other) = (&pool.sessions[1], &cy);
    let connect = Route::Connect { session, other };
    assert_eq!(route(&pool.sessions, &n(P1), &ada, 50 * S, 30 * S), connect);
}

#[test]
fn a_stranger_is_unknown() {
    let mut pool = pool(&[P1, P2]);
    assert_eq!(open(&mut pool, "s1", ADA, BOB, 0), ok(P1));
    assert_eq!(routed(&pool, P1, EVE, 0), "unknown");
    assert_eq!(routed(&pool, P2, ADA, 0), "unknown");
    let s = &pool.sessions[0];
    assert_eq!((s.other(&n(EVE)), s.involves(&n(EVE))), (None, false));
}

#[test]
fn serde_round_trip_of_a_pool() {
    let mut pool = pool(&[P1]);
    pool.numbers.push(number(P2, Some("nyc")));
    pool.low_water = 1;
    let mut req = new("s1", ADA, BOB);
    (req.market, req.ttl_secs) = (Some("nyc".into()), Some(60));
    req.labels.insert("a_name".into(), "Ada".into());
    assert_eq!(pool.allocate(req, 5).unwrap().proxy, n(P2));
    pool.remove_number(&n(P2), 5).unwrap();
    let json = serde_json::to_string(&pool).unwrap();
    let want = r#"{"numbers":[{"number":"+14155550001","draining":false},{"number":"+14155550002","market":"nyc","draining":true}],"sessions":[{"id":"s1","proxy":"+14155550002","a":"+14155550101","b":"+14155550102","created_at_ms":5,"expires_at_ms":60005,"market":"nyc","labels":{"a_name":"Ada"}}],"grace_secs":30,"low_water":1,"peak":1}"#;
    assert_eq!(json, want);
    assert_eq!(serde_json::from_str::<Pool>(&json).unwrap(), pool);
    assert_eq!(serde_json::from_str::<Pool>("{}").unwrap(), Pool::default());
    assert_eq!(serde_json::to_string(&State::Grace).unwrap(), r#""grace""#);
}

#[test]
fn a_pool_is_deletable_only_once_its_numbers_and_sessions_are_gone() {
    let mut p = pool(&[P1]);
    assert_eq!(
        p.deletable(0),
        Err(PoolError::NotEmpty {
            numbers: 1,
            sessions: 0
        })
    );
    assert_eq!(open(&mut p, "s1", ADA, BOB, 0), ok(P1));
    // Removing a number in use drains it: it stays until its session is over.
    assert_eq!(p.remove_number(&n(P1), S), Ok(false));
    assert_eq!(
        p.deletable(S),
        Err(PoolError::NotEmpty {
            numbers: 1,
            sessions: 1
        })
    );
    p.end("s1", 2 * S).unwrap();
    // In grace, the session still bridges: not yet.
    assert_eq!(
        p.deletable(10 * S),
        Err(PoolError::NotEmpty {
            numbers: 1,
            sessions: 1
        })
    );
    // Past grace the session is closed, and pruning lets the number go.
    assert_eq!(
        p.deletable(40 * S),
        Err(PoolError::NotEmpty {
            numbers: 1,
            sessions: 0
        })
    );
    p.prune(40 * S);
    assert_eq!(p.deletable(40 * S), Ok(()));
    assert_eq!(Pool::default().deletable(0), Ok(()));
}
