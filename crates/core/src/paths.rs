//! The calls worker's paths, in one table: the router reads a request's
//! route from it, and the renderers write follow-up URLs (`action`,
//! `recordingStatusCallback`) from it, so the two can never disagree.

use crate::outcome::{Leg, Step};
use crate::records::status::Feature;

/// A webhook the calls worker answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    Incoming,
    Outbound,
    SmsIncoming,
    ProxyVoice,
    ProxySms,
    ChallengeAnswer,
    Dialed,
    Voicemail,
    VoicemailReady,
    Fallback,
    FallbackDialed,
    FallbackRecorded,
    MessagebirdVoice,
    MessagebirdSms,
    /// Progress of a leg we created (`statusCallback`), and of an inbound
    /// call when the number's status callback points here.
    Status,
    /// Twilio's Debugger event webhook.
    Debugger,
}

/// Which carrier signs a route's requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signer {
    Twilio,
    Messagebird,
}

const TABLE: [(Route, &str); 16] = [
    (Route::Incoming, "/voice/incoming"),
    (Route::Outbound, "/voice/outbound"),
    (Route::SmsIncoming, "/sms/incoming"),
    (Route::ProxyVoice, "/voice/proxy"),
    (Route::ProxySms, "/sms/proxy"),
    (Route::ChallengeAnswer, "/voice/challenge"),
    (Route::Dialed, "/voice/dialed"),
    (Route::Voicemail, "/voice/voicemail"),
    (Route::VoicemailReady, "/voice/voicemail/ready"),
    (Route::Fallback, "/voice/fallback"),
    (Route::FallbackDialed, "/voice/fallback/dialed"),
    (Route::FallbackRecorded, "/voice/fallback/recorded"),
    (Route::MessagebirdVoice, "/messagebird/voice"),
    (Route::MessagebirdSms, "/messagebird/sms"),
    (Route::Status, "/voice/status"),
    (Route::Debugger, "/twilio/debugger"),
];

impl Route {
    /// Every route, in the table's order.
    pub fn all() -> impl Iterator<Item = Route> {
        TABLE.iter().map(|(r, _)| *r)
    }

    pub fn from_path(path: &str) -> Option<Route> {
        TABLE.iter().find(|(_, p)| *p == path).map(|(r, _)| *r)
    }

    pub fn path(self) -> &'static str {
        TABLE
            .iter()
            .find(|(r, _)| *r == self)
            .map(|(_, p)| *p)
            .expect("every route is in the table")
    }

    /// The path without its leading `/`, as the log names the route.
    pub fn name(self) -> &'static str {
        &self.path()[1..]
    }

    pub fn signer(self) -> Signer {
        match self {
            Route::MessagebirdVoice | Route::MessagebirdSms => Signer::Messagebird,
            _ => Signer::Twilio,
        }
    }
}

/// The URL (a path on the calls worker) of a call's next step. Twilio
/// resolves paths against the URL it just requested, so the deployment's
/// host and any proxy in front need not be known here.
pub fn step_url(step: &Step) -> String {
    let route = match step {
        Step::ChallengeAnswer => Route::ChallengeAnswer,
        Step::Dialed { .. } => Route::Dialed,
        Step::VoicemailRecorded => Route::Voicemail,
        Step::VoicemailReady => Route::VoicemailReady,
        Step::FallbackDialed => Route::FallbackDialed,
        Step::FallbackRecorded => Route::FallbackRecorded,
    };
    match step {
        Step::Dialed { next: Some(i) } => format!("{}?next={i}", route.path()),
        _ => route.path().to_string(),
    }
}

/// The events a leg reports, as `statusCallbackEvent` takes them.
pub const STATUS_EVENTS: &str = "initiated ringing answered completed";

/// Where a leg we create reports its progress: the status route, with what
/// placed the leg in the query. Twilio signs the whole URL, query included,
/// so what comes back there is ours, unchanged.
pub fn status_url(leg: &Leg) -> String {
    let feature = Feature::from(leg).as_str();
    // Joined, not `format!`: this runs for every leg of every call.
    let mut url = [Route::Status.path(), "?leg=", feature].concat();
    if let Leg::MaskedBridge { session } = leg {
        url.push_str("&session=");
        crate::form::encode_into(&mut url, session);
    }
    url
}

/// The parameters that make a call placed through Twilio's REST API report
/// its progress to the status route, as the legs we dial do. `base` is the
/// deployment's public URL (REST calls have no document to resolve a path
/// against); `leg` is `api_call` or `verification`.
pub fn rest_status_callback(base: &str, leg: &str) -> Vec<(&'static str, String)> {
    let base = base.trim_end_matches('/');
    let mut out = vec![
        (
            "StatusCallback",
            format!("{base}{}?leg={leg}", Route::Status.path()),
        ),
        ("StatusCallbackMethod", "POST".to_string()),
    ];
    out.extend(
        STATUS_EVENTS
            .split(' ')
            .map(|e| ("StatusCallbackEvent", e.to_string())),
    );
    out
}

/// A request's URL as the runtime hands it over, taken apart without a URL
/// parser. The runtime has already parsed and serialised it (WHATWG), so the
/// text is canonical: `scheme://authority/path[?query]`, never a fragment.
/// The calls worker reads its URLs this way, not with the `url` crate
/// (`worker::Request::url`), because `url` brings IDNA and ICU's Unicode
/// tables into the wasm for host names it never needs to convert.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RequestUrl<'a> {
    /// `scheme://authority`, as Twilio's signature covers it.
    pub origin: &'a str,
    /// From the first `/` after the authority; `/` when there is none.
    pub path: &'a str,
    /// After the first `?`, without it; `None` when there is no `?`.
    pub query: Option<&'a str>,
}

impl<'a> RequestUrl<'a> {
    pub fn split(url: &'a str) -> RequestUrl<'a> {
        // A fragment never reaches a worker; cut one anyway rather than sign it.
        let url = url.split_once('#').map_or(url, |(u, _)| u);
        let (rest, query) = match url.split_once('?') {
            Some((r, q)) => (r, Some(q)),
            None => (url, None),
        };
        let after_scheme = rest.find("://").map_or(0, |i| i + 3);
        match rest[after_scheme..].find('/') {
            Some(i) => RequestUrl {
                origin: &rest[..after_scheme + i],
                path: &rest[after_scheme + i..],
                query,
            },
            None => RequestUrl {
                origin: rest,
                path: "/",
                query,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    // The same tests run compiled to wasm, under Node (scripts/test.sh).
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn every_path_routes_back_to_its_route() {
        for route in Route::all() {
            assert_eq!(Route::from_path(route.path()), Some(route));
            assert_eq!(format!("/{}", route.name()), route.path());
        }
        assert_eq!(Route::from_path("/voice/incoming/"), None);
        assert_eq!(Route::from_path("/api/v1/accounts"), None);
    }

    #[test]
    fn every_follow_up_url_is_a_route_of_the_same_worker() {
        let steps = [
            Step::ChallengeAnswer,
            Step::Dialed { next: Some(2) },
            Step::Dialed { next: None },
            Step::VoicemailRecorded,
            Step::VoicemailReady,
            Step::FallbackDialed,
            Step::FallbackRecorded,
        ];
        for step in &steps {
            let url = step_url(step);
            let path = url.split('?').next().unwrap();
            let route = Route::from_path(path).expect(&url);
            assert_eq!(route.signer(), Signer::Twilio, "{url}");
        }
        assert_eq!(
            step_url(&Step::Dialed { next: Some(2) }),
            "/voice/dialed?next=2"
        );
    }

    #[test]
    fn a_request_url_comes_apart_as_the_signature_and_the_router_read_it() {
        let u = RequestUrl::split("https://sb.example.com/voice/dialed?next=2&x=%20");
        assert_eq!(u.origin, "https://sb.example.com");
        assert_eq!(u.path, "/voice/dialed");
        assert_eq!(u.query, Some("next=2&x=%20"));

        let u = RequestUrl::split("http://127.0.0.1:8787/voice/incoming");
        assert_eq!(
            (u.origin, u.path, u.query),
            ("http://127.0.0.1:8787", "/voice/incoming", None)
        );

        // An empty query is still a query: Twilio signs the `?`.
        assert_eq!(RequestUrl::split("https://h/p?").query, Some(""));
        // A `/` inside the query is not the path's.
        let u = RequestUrl::split("https://h?to=/x");
        assert_eq!(
            (u.origin, u.path, u.query),
            ("https://h", "/", Some("to=/x"))
        );
        assert_eq!(RequestUrl::split("https://h/p#frag").path, "/p");
        assert_eq!(RequestUrl::split("https://h/a/b?c#d").query, Some("c"));
    }
}
