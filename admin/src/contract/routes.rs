//! The management API's route table: every route, once. The worker routes
//! requests by it (`crate::api`) and the OpenAPI document lists it
//! (`super::document`), so the two cannot drift apart.

/// An HTTP method the API answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Verb {
    Get,
    Put,
    Post,
    Patch,
    Delete,
}

impl Verb {
    pub fn parse(method: &str) -> Option<Verb> {
        Some(match method {
            "GET" => Verb::Get,
            "PUT" => Verb::Put,
            "POST" => Verb::Post,
            "PATCH" => Verb::Patch,
            "DELETE" => Verb::Delete,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Verb::Get => "GET",
            Verb::Put => "PUT",
            Verb::Post => "POST",
            Verb::Patch => "PATCH",
            Verb::Delete => "DELETE",
        }
    }
}

/// What a route does: one per operation of the document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Endpoint {
    OpenApi,
    ListLines,
    GetLine,
    PutLine,
    DeleteLine,
    ListEntries,
    PutEntry,
    DeleteEntry,
    ImportAddressBook,
    ListGraylist,
    GetGraylist,
    ResetGraylist,
    ListBlocked,
    Block,
    Unblock,
    ListVoicemails,
    GetRecording,
    Simulate,
    ListTokens,
    CreateToken,
    RevokeToken,
    GetOutbound,
    PutOutbound,
    CallerId,
    StartCall,
    SendCode,
    CheckCode,
    ListCalls,
    GetCall,
    ListDebuggerEvents,
    Health,
    HealthDays,
    Usage,
    ListAlerts,
    GetMonitoring,
    PutMonitoring,
    ListPools,
    DeletePool,
    Access,
    CreateSession,
    ListSessions,
    GetSession,
    EndSession,
    ListNumbers,
    AddNumber,
    RemoveNumber,
    GetPoolSettings,
    PutPoolSettings,
    PatchPoolSettings,
    Reindex,
    PoolReport,
}

impl Endpoint {
    /// Changes nothing: a read-only token may call it. The simulator is a
    /// POST that writes nothing.
    pub fn reads_only(self) -> bool {
        use Endpoint::*;
        matches!(self, Simulate | CallerId) || route_of(self).is_some_and(|r| r.verb == Verb::Get)
    }

    /// Only the root token may call it.
    pub fn root_only(self) -> bool {
        matches!(
            self,
            Endpoint::ListTokens | Endpoint::CreateToken | Endpoint::RevokeToken
        )
    }

    /// Answers without a token (it holds no data).
    pub fn public(self) -> bool {
        self == Endpoint::OpenApi
    }

    /// Takes an `Idempotency-Key`.
    pub fn idempotent(self) -> bool {
        matches!(
            self,
            Endpoint::StartCall | Endpoint::SendCode | Endpoint::CreateSession
        )
    }
}

fn route_of(e: Endpoint) -> Option<&'static Route> {
    ROUTES.iter().find(|r| r.endpoint == e)
}

/// One route: a method and a path template under `/api/v1`, where
/// `{Name}` stands for one path segment.
#[derive(Debug, Clone, Copy)]
pub struct Route {
    pub verb: Verb,
    pub path: &'static str,
    pub endpoint: Endpoint,
}

const fn r(verb: Verb, path: &'static str, endpoint: Endpoint) -> Route {
    Route {
        verb,
        path,
        endpoint,
    }
}

pub const PREFIX: &str = "/api/v1";

use Endpoint as E;
use Verb::*;

pub const ROUTES: &[Route] = &[
    r(Get, "/openapi.json", E::OpenApi),
    r(Get, "/accounts/{AccountSid}/lines", E::ListLines),
    r(Get, "/accounts/{AccountSid}/lines/{To}", E::GetLine),
    r(Put, "/accounts/{AccountSid}/lines/{To}", E::PutLine),
    r(Delete, "/accounts/{AccountSid}/lines/{To}", E::DeleteLine),
    r(
        Get,
        "/accounts/{AccountSid}/lines/{To}/entries",
        E::ListEntries,
    ),
    r(
        Put,
        "/accounts/{AccountSid}/lines/{To}/entries/{From}",
        E::PutEntry,
    ),
    r(
        Delete,
        "/accounts/{AccountSid}/lines/{To}/entries/{From}",
        E::DeleteEntry,
    ),
    r(
        Post,
        "/accounts/{AccountSid}/lines/{To}/address-book",
        E::ImportAddressBook,
    ),
    r(
        Get,
        "/accounts/{AccountSid}/lines/{To}/graylist",
        E::ListGraylist,
    ),
    r(
        Get,
        "/accounts/{AccountSid}/lines/{To}/graylist/{From}",
        E::GetGraylist,
    ),
    r(
        Delete,
        "/accounts/{AccountSid}/lines/{To}/graylist/{From}",
        E::ResetGraylist,
    ),
    r(Get, "/accounts/{AccountSid}/blocked", E::ListBlocked),
    r(Put, "/accounts/{AccountSid}/blocked/{From}", E::Block),
    r(Delete, "/accounts/{AccountSid}/blocked/{From}", E::Unblock),
    r(Get, "/accounts/{AccountSid}/voicemails", E::ListVoicemails),
    r(
        Get,
        "/accounts/{AccountSid}/voicemails/{CallSid}/recording",
        E::GetRecording,
    ),
    r(Post, "/accounts/{AccountSid}/simulate", E::Simulate),
    r(Get, "/accounts/{AccountSid}/tokens", E::ListTokens),
    r(Post, "/accounts/{AccountSid}/tokens", E::CreateToken),
    r(
        Delete,
        "/accounts/{AccountSid}/tokens/{TokenId}",
        E::RevokeToken,
    ),
    r(Get, "/accounts/{AccountSid}/outbound", E::GetOutbound),
    r(Put, "/accounts/{AccountSid}/outbound", E::PutOutbound),
    r(Get, "/accounts/{AccountSid}/caller-id", E::CallerId),
    r(Post, "/accounts/{AccountSid}/calls", E::StartCall),
    r(Post, "/accounts/{AccountSid}/verifications", E::SendCode),
    r(
        Post,
        "/accounts/{AccountSid}/verifications/check",
        E::CheckCode,
    ),
    r(Get, "/accounts/{AccountSid}/calls", E::ListCalls),
    r(Get, "/accounts/{AccountSid}/calls/{CallId}", E::GetCall),
    r(
        Get,
        "/accounts/{AccountSid}/debugger-events",
        E::ListDebuggerEvents,
    ),
    r(Get, "/accounts/{AccountSid}/health", E::Health),
    r(Get, "/accounts/{AccountSid}/health/days", E::HealthDays),
    r(Get, "/accounts/{AccountSid}/usage", E::Usage),
    r(Get, "/accounts/{AccountSid}/alerts", E::ListAlerts),
    r(Get, "/accounts/{AccountSid}/monitoring", E::GetMonitoring),
    r(Put, "/accounts/{AccountSid}/monitoring", E::PutMonitoring),
    r(Get, "/accounts/{AccountSid}/access", E::Access),
    r(Get, "/accounts/{AccountSid}/pools", E::ListPools),
    r(Delete, "/accounts/{AccountSid}/pools/{Pool}", E::DeletePool),
    r(
        Post,
        "/accounts/{AccountSid}/pools/{Pool}/sessions",
        E::CreateSession,
    ),
    r(
        Get,
        "/accounts/{AccountSid}/pools/{Pool}/sessions",
        E::ListSessions,
    ),
    r(
        Get,
        "/accounts/{AccountSid}/pools/{Pool}/sessions/{SessionId}",
        E::GetSession,
    ),
    r(
        Post,
        "/accounts/{AccountSid}/pools/{Pool}/sessions/{SessionId}/end",
        E::EndSession,
    ),
    r(
        Get,
        "/accounts/{AccountSid}/pools/{Pool}/numbers",
        E::ListNumbers,
    ),
    r(
        Put,
        "/accounts/{AccountSid}/pools/{Pool}/numbers/{Number}",
        E::AddNumber,
    ),
    r(
        Delete,
        "/accounts/{AccountSid}/pools/{Pool}/numbers/{Number}",
        E::RemoveNumber,
    ),
    r(
        Get,
        "/accounts/{AccountSid}/pools/{Pool}/settings",
        E::GetPoolSettings,
    ),
    r(
        Put,
        "/accounts/{AccountSid}/pools/{Pool}/settings",
        E::PutPoolSettings,
    ),
    r(
        Patch,
        "/accounts/{AccountSid}/pools/{Pool}/settings",
        E::PatchPoolSettings,
    ),
    r(
        Post,
        "/accounts/{AccountSid}/pools/{Pool}/reindex",
        E::Reindex,
    ),
    r(
        Get,
        "/accounts/{AccountSid}/pools/{Pool}/report",
        E::PoolReport,
    ),
];

/// What the table says of a request's method and path.
#[derive(Debug, PartialEq, Eq)]
pub enum Found<'a> {
    /// The route, and the path's parameters in the template's order.
    Route(Endpoint, Vec<&'a str>),
    /// The path exists, not with this method: the ones it has.
    OtherMethods(Vec<Verb>),
    NoRoute,
}

/// Matches `segments` (the path under `/api/v1`, split on `/` and
/// percent-decoded) against the table. A literal segment must be equal; a
/// `{Name}` takes any one segment that is not empty.
pub fn find<'a>(verb: Verb, segments: &[&'a str]) -> Found<'a> {
    let mut other = Vec::new();
    for route in ROUTES {
        if let Some(params) = matches(route.path, segments) {
            if route.verb == verb {
                return Found::Route(route.endpoint, params);
            }
            other.push(route.verb);
        }
    }
    if other.is_empty() {
        Found::NoRoute
    } else {
        other.sort();
        other.dedup();
        Found::OtherMethods(other)
    }
}

/// Every method the path has (for a method no route has: 405 or 404).
pub fn methods(segments: &[&str]) -> Vec<Verb> {
    let mut out: Vec<Verb> = ROUTES
        .iter()
        .filter(|r| matches(r.path, segments).is_some())
        .map(|r| r.verb)
        .collect();
    out.sort();
    out.dedup();
    out
}

fn matches<'a>(template: &str, segments: &[&'a str]) -> Option<Vec<&'a str>> {
    let parts: Vec<&str> = template.trim_start_matches('/').split('/').collect();
    if parts.len() != segments.len() {
        return None;
    }
    let mut params = Vec::new();
    for (part, seg) in parts.iter().zip(segments) {
        if part.starts_with('{') {
            if seg.is_empty() {
                return None;
            }
            params.push(*seg);
        } else if part != seg {
            return None;
        }
    }
    Some(params)
}

/// The names of a template's parameters, in order.
pub fn params(template: &str) -> Vec<&str> {
    template
        .split('/')
        .filter_map(|p| p.strip_prefix('{').and_then(|p| p.strip_suffix('}')))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(path: &str) -> Vec<&str> {
        path.trim_start_matches('/').split('/').collect()
    }

    #[test]
    fn a_path_finds_its_route_and_parameters() {
        let path = split("/accounts/AC1/lines/+14155550100/entries/+12125550100");
        assert_eq!(
            find(Verb::Put, &path),
            Found::Route(
                Endpoint::PutEntry,
                vec!["AC1", "+14155550100", "+12125550100"]
            )
        );
        assert_eq!(
            find(Verb::Post, &path),
            Found::OtherMethods(vec![Verb::Put, Verb::Delete])
        );
        assert_eq!(
            find(Verb::Get, &split("/accounts/AC1/nothing")),
            Found::NoRoute
        );
        assert_eq!(
            find(Verb::Get, &split("/accounts/AC1/lines/")),
            Found::NoRoute
        );
    }

    #[test]
    fn literal_segments_are_never_taken_for_parameters() {
        assert_eq!(
            find(Verb::Post, &split("/accounts/AC1/verifications/check")),
            Found::Route(Endpoint::CheckCode, vec!["AC1"])
        );
    }

    #[test]
    fn every_route_is_one_method_and_path() {
        let mut seen = std::collections::BTreeSet::new();
        for r in ROUTES {
            assert!(
                seen.insert((r.verb, r.path)),
                "{} {} twice",
                r.verb.as_str(),
                r.path
            );
            assert_eq!(
                ROUTES.iter().filter(|x| x.endpoint == r.endpoint).count(),
                1
            );
        }
    }

    #[test]
    fn who_may_call_what() {
        assert!(Endpoint::Simulate.reads_only());
        assert!(Endpoint::ListCalls.reads_only());
        assert!(!Endpoint::StartCall.reads_only());
        assert!(Endpoint::CreateToken.root_only());
        assert!(Endpoint::OpenApi.public());
        assert!(!Endpoint::ListLines.public());
    }
}
