//! Number masking: two parties talk through a proxy number from the account's
//! pool, so neither ever learns the other's number (Twilio Proxy, MessageBird's
//! masked numbers). The pure model only: time and ids come in as arguments, so
//! a Durable Object can hold one [`Pool`] as JSON and the call path can decide
//! with [`route`] without any I/O.

pub mod call;

use crate::phone::E164;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProxyNumber {
    pub number: E164,
    /// Optional market tag ("amsterdam", "nyc"); locality preference uses it, else the number's country.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub market: Option<String>,
    /// Being removed: gets no new sessions, live ones finish.
    #[serde(default)]
    pub draining: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Session {
    pub id: String,
    pub proxy: E164,
    pub a: E164,
    pub b: E164,
    pub created_at_ms: u64,
    /// Set from the TTL at creation; None = until ended.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at_ms: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ended_at_ms: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub market: Option<String>,
    /// Free-form labels, e.g. {"a_name": "Ada", "b_name": "Bob"} for announcements.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
}

/// Grace exists because people call back just after a ride or delivery ends:
/// the session still connects, and still holds its number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = SessionState))]
pub enum State {
    Live,
    Grace,
    Closed,
}

impl Session {
    /// When the session stopped being live: min(ended_at, expires_at), or None while live with no end.
    pub fn ended(&self) -> Option<u64> {
        self.ended_at_ms.into_iter().chain(self.expires_at_ms).min()
    }

    /// Live before `ended()`; Grace for `grace_ms` after it; Closed after that.
    pub fn state(&self, now_ms: u64, grace_ms: u64) -> State {
        match self.ended() {
            Some(end) if now_ms >= end.saturating_add(grace_ms) => State::Closed,
            Some(end) if now_ms >= end => State::Grace,
            _ => State::Live,
        }
    }

    /// The other party when `caller` is A or B.
    pub fn other(&self, caller: &E164) -> Option<&E164> {
        match caller {
            c if *c == self.a => Some(&self.b),
            c if *c == self.b => Some(&self.a),
            _ => None,
        }
    }

    pub fn involves(&self, party: &E164) -> bool {
        self.other(party).is_some()
    }
}

/// One proxy number serves many pairs at once. What must never happen is a
/// party holding two sessions on one number: its calls to that number could
/// not tell which session they belong to.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Pool {
    pub numbers: Vec<ProxyNumber>,
    /// Live and in-grace sessions (closed ones are pruned).
    pub sessions: Vec<Session>,
    pub grace_secs: u32,
    /// Free capacity below this raises the low-water flag in the report.
    pub low_water: u32,
    /// Highest number of simultaneously live-or-grace sessions seen.
    pub peak: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewSession {
    pub id: String,
    pub a: E164,
    pub b: E164,
    pub ttl_secs: Option<u32>,
    pub market: Option<String>,
    pub labels: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Exhausted {
    /// Numbers in the pool that are not draining.
    pub usable: usize,
    /// How many more numbers the pool needs for this pair to get one: max(1, s + 1 - usable),
    /// s being the live/grace sessions of the busier party, each on its own number. One new
    /// number always unblocks the pair now; above 1, some of those numbers are draining.
    pub short_by: usize,
}

impl fmt::Display for Exhausted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let why = match self.usable {
            0 => "the pool has no usable numbers".to_string(),
            1 => "the only usable number already connects one of these parties".to_string(),
            n => format!("all {n} usable numbers already connect one of these parties"),
        };
        let held = (self.usable + self.short_by).saturating_sub(1);
        let grow = match self.short_by {
            1 => "1 number".to_string(),
            k => format!("{k} numbers: one party holds {held} sessions, some on draining numbers"),
        };
        write!(f, "No proxy number available for this pair: {why}. ")?;
        write!(f, "Grow the pool by at least {grow}.")
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PoolError {
    SameParty,
    DuplicateId(String),
    UnknownSession(String),
    Exhausted(Exhausted),
    NotInPool(E164),
    AlreadyInPool(E164),
    /// A pool is deleted only once nothing in it still works: a number may
    /// be on a caller's phone, a session in grace still bridges.
    NotEmpty {
        numbers: usize,
        sessions: usize,
    },
}

impl fmt::Display for PoolError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use PoolError::*;
        match self {
            SameParty => f.write_str("A and B are the same number: masking needs two parties."),
            DuplicateId(id) => write!(f, "Session id {id:?} is still in use; pick another."),
            UnknownSession(id) => write!(f, "No live or in-grace session has id {id:?}."),
            Exhausted(e) => e.fmt(f),
            NotInPool(n) => write!(f, "{} is not in this pool.", n.as_str()),
            AlreadyInPool(n) => write!(f, "{} is already in this pool.", n.as_str()),
            NotEmpty { numbers, sessions } => write!(
                f,
                "The pool still has {numbers} number(s) and {sessions} live or in-grace session(s): end the sessions and remove the numbers first."
            ),
        }
    }
}

impl std::error::Error for PoolError {}

impl Pool {
    fn grace_ms(&self) -> u64 {
        u64::from(self.grace_secs) * 1000
    }

    /// Sessions that still hold their number: live or in grace.
    fn holding(&self, now_ms: u64) -> impl Iterator<Item = &Session> + '_ {
        let grace = self.grace_ms();
        let open = move |s: &&Session| s.state(now_ms, grace) != State::Closed;
        self.sessions.iter().filter(open)
    }

    fn load(&self, number: &E164, now_ms: u64) -> usize {
        self.holding(now_ms).filter(|s| s.proxy == *number).count()
    }

    /// Usable numbers (of `market`, if given) with no live/grace session of `a` or `b`.
    fn free_for(&self, a: &E164, b: &E164, now_ms: u64, market: Option<&str>) -> Vec<&ProxyNumber> {
        if a == b {
            return Vec::new();
        }
        let either = |s: &Session| s.involves(a) || s.involves(b);
        let taken = |p: &E164| self.holding(now_ms).any(|s| s.proxy == *p && either(s));
        let local = |n: &ProxyNumber| market.is_none() || n.market.as_deref() == market;
        let free = |n: &&ProxyNumber| !n.draining && local(n) && !taken(&n.number);
        self.numbers.iter().filter(free).collect()
    }

    /// The allocation rule: a number that is not draining and has no live or in-grace
    /// session with A nor with B. Numbers ARE reused across unrelated pairs (the pool
    /// does not need a number per session). Preference among candidates, in order:
    /// 1. local: same market as requested (when `market` given), then same country
    ///    (`E164::region`) as party A or B;
    /// 2. fewest live+grace sessions (spreads load);
    /// 3. lowest number (deterministic).
    ///
    /// A == B is refused (SameParty), as is the id of a live or in-grace session;
    /// errors leave the pool untouched. On success closed sessions are pruned, the
    /// session added (expires_at = now + ttl) and `peak` updated. None left ->
    /// Exhausted, `short_by` as documented there.
    pub fn allocate(&mut self, new: NewSession, now_ms: u64) -> Result<Session, PoolError> {
        if new.a == new.b {
            return Err(PoolError::SameParty);
        }
        if self.holding(now_ms).any(|s| s.id == new.id) {
            return Err(PoolError::DuplicateId(new.id));
        }
        let regions = [new.a.region(), new.b.region()];
        let rank = |n: &&ProxyNumber| {
            let market = new.market.is_some() && n.market == new.market;
            let region = n.number.region();
            let country = region.is_some() && regions.contains(&region);
            let load = self.load(&n.number, now_ms);
            (!market, !country, load, n.number.clone())
        };
        let free = self.free_for(&new.a, &new.b, now_ms, None);
        let Some(proxy) = free.into_iter().min_by_key(rank).map(|n| n.number.clone()) else {
            let usable = self.numbers.iter().filter(|n| !n.draining).count();
            let sessions_of = |p: &E164| self.holding(now_ms).filter(|s| s.involves(p)).count();
            let busier = sessions_of(&new.a).max(sessions_of(&new.b));
            let short_by = (busier + 1).saturating_sub(usable).max(1);
            return Err(PoolError::Exhausted(Exhausted { usable, short_by }));
        };
        let ttl_ms = new.ttl_secs.map(|t| u64::from(t) * 1000);
        let session = Session {
            id: new.id,
            proxy,
            a: new.a,
            b: new.b,
            created_at_ms: now_ms,
            expires_at_ms: ttl_ms.map(|t| now_ms.saturating_add(t)),
            ended_at_ms: None,
            market: new.market,
            labels: new.labels,
        };
        self.prune(now_ms);
        self.sessions.push(session.clone());
        let holding = u32::try_from(self.sessions.len()).unwrap_or(u32::MAX);
        self.peak = self.peak.max(holding);
        Ok(session)
    }

    /// Ends a session now (idempotent: ending an ended session keeps the first end).
    pub fn end(&mut self, id: &str, now_ms: u64) -> Result<Session, PoolError> {
        let grace = self.grace_ms();
        let open = |s: &&mut Session| s.id == id && s.state(now_ms, grace) != State::Closed;
        let unknown = || PoolError::UnknownSession(id.to_string());
        let session = self.sessions.iter_mut().find(open).ok_or_else(unknown)?;
        session.ended_at_ms.get_or_insert(now_ms);
        Ok(session.clone())
    }

    /// Re-adding a draining number puts it back in service (with the new market):
    /// the operator changed their mind before it left.
    pub fn add_number(&mut self, number: ProxyNumber) -> Result<(), PoolError> {
        let mut fresh = number;
        fresh.draining = false;
        match self.numbers.iter_mut().find(|n| n.number == fresh.number) {
            Some(n) if !n.draining => return Err(PoolError::AlreadyInPool(fresh.number)),
            Some(n) => *n = fresh,
            None => self.numbers.push(fresh),
        }
        Ok(())
    }

    /// Marks a number draining; it is deleted from `numbers` once no live/grace session uses it
    /// (call `prune` to finish). Returns whether it was removed right away.
    pub fn remove_number(&mut self, number: &E164, now_ms: u64) -> Result<bool, PoolError> {
        let idle = self.load(number, now_ms) == 0;
        let Some(i) = self.numbers.iter().position(|n| n.number == *number) else {
            return Err(PoolError::NotInPool(number.clone()));
        };
        self.numbers[i].draining = true;
        if idle {
            self.numbers.remove(i);
        }
        Ok(idle)
    }

    /// Drops closed sessions and drained numbers with no sessions left.
    pub fn prune(&mut self, now_ms: u64) {
        let grace = self.grace_ms();
        let open = |s: &Session| s.state(now_ms, grace) != State::Closed;
        self.sessions.retain(open);
        let used = |n: &E164| self.sessions.iter().any(|s| s.proxy == *n);
        self.numbers.retain(|n| !n.draining || used(&n.number));
    }

    /// Whether the pool may be deleted: no number left (a draining one
    /// counts until its last session is over) and no live or in-grace
    /// session, once [`Pool::prune`] has dropped the closed ones.
    pub fn deletable(&self, now_ms: u64) -> Result<(), PoolError> {
        let grace = self.grace_ms();
        let sessions = self
            .sessions
            .iter()
            .filter(|s| s.state(now_ms, grace) != State::Closed)
            .count();
        match (self.numbers.len(), sessions) {
            (0, 0) => Ok(()),
            (numbers, sessions) => Err(PoolError::NotEmpty { numbers, sessions }),
        }
    }

    /// The sessions that still hold their number, live and in grace, each
    /// with its state: what `GET …/sessions` lists.
    pub fn open(&self, now_ms: u64) -> Vec<(&Session, State)> {
        let grace = self.grace_ms();
        self.sessions
            .iter()
            .map(|s| (s, s.state(now_ms, grace)))
            .filter(|(_, state)| *state != State::Closed)
            .collect()
    }

    pub fn live(&self, now_ms: u64) -> Vec<&Session> {
        let grace = self.grace_ms();
        let live = |s: &&Session| s.state(now_ms, grace) == State::Live;
        self.sessions.iter().filter(live).collect()
    }

    /// With `market`, all but `peak` count only that market's numbers and their
    /// sessions: one pool can serve several cities, each needing its own stock.
    pub fn report(
        &self,
        now_ms: u64,
        pair: Option<(&E164, &E164)>,
        market: Option<&str>,
    ) -> Report {
        let grace = self.grace_ms();
        let in_market = |n: &&ProxyNumber| market.is_none() || n.market.as_deref() == market;
        let numbers: Vec<&ProxyNumber> = self.numbers.iter().filter(in_market).collect();
        let ours = |s: &&Session| numbers.iter().any(|n| n.number == s.proxy);
        let state = |s: &Session| s.state(now_ms, grace);
        let states: Vec<State> = self.sessions.iter().filter(ours).map(state).collect();
        let count = |want: State| states.iter().filter(|s| **s == want).count();
        let unused = |n: &ProxyNumber| !n.draining && self.load(&n.number, now_ms) == 0;
        let idle = numbers.iter().filter(|n| unused(n)).count();
        Report {
            size: numbers.len(),
            draining: numbers.iter().filter(|n| n.draining).count(),
            live_sessions: count(State::Live),
            in_grace: count(State::Grace),
            peak: self.peak,
            free_for_pair: pair.map(|(a, b)| self.free_for(a, b, now_ms, market).len()),
            idle,
            low: idle < self.low_water as usize,
            low_water: self.low_water,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Report {
    /// Numbers in the pool (market-filtered when a market is given).
    pub size: usize,
    pub draining: usize,
    pub live_sessions: usize,
    pub in_grace: usize,
    pub peak: u32,
    /// Numbers a new session for `pair` could get now (None when no pair given).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub free_for_pair: Option<usize>,
    /// Usable numbers with no live/grace session at all.
    pub idle: usize,
    /// idle < low_water: time to buy numbers (the periodic check OrderUp ran).
    pub low: bool,
    /// The mark `low` is judged against, so an alert can say it.
    pub low_water: u32,
}

/// What a call or text to `proxy` from `caller` gets, given the sessions on that proxy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route<'a> {
    Connect {
        session: &'a Session,
        other: &'a E164,
    },
    /// Tell the caller the session is over rather than ring a stranger.
    Expired {
        session: &'a Session,
    },
    Unknown,
}

/// Among `sessions` (those using `proxy`; others are ignored, so a pool's whole
/// list will do), the newest one involving `caller` decides:
/// Live or Grace -> Connect to the other party; Closed -> Expired; none -> Unknown.
/// The newest, because a number is reused for a party only once its older
/// session has closed, so an older one can never be the live one.
pub fn route<'a>(
    sessions: &'a [Session],
    proxy: &E164,
    caller: &E164,
    now_ms: u64,
    grace_ms: u64,
) -> Route<'a> {
    let newest = sessions
        .iter()
        .filter(|s| s.proxy == *proxy)
        .filter_map(|s| Some((s, s.other(caller)?)))
        .max_by_key(|(s, _)| s.created_at_ms);
    match newest {
        None => Route::Unknown,
        Some((session, _)) if session.state(now_ms, grace_ms) == State::Closed => {
            Route::Expired { session }
        }
        Some((session, other)) => Route::Connect { session, other },
    }
}

#[cfg(test)]
mod tests;
