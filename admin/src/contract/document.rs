//! The OpenAPI 3.1 document (`GET /api/v1/openapi.json`), built from the
//! route table (`super::routes::ROUTES`) and the Rust types each route reads
//! and answers (`ToSchema`). Each endpoint's [`spec`] names its types; the
//! paths, methods and parameters come from the table itself.

use super::errors::ErrorBody;
use super::masking::*;
use super::outbound::*;
use super::page::{DEFAULT_LIMIT, MAX_LIMIT};
use super::records::*;
use super::routes::{params, Endpoint, Verb, PREFIX, ROUTES};
use super::screening::*;
use super::tokens::*;
use super::NoFields;
use switchboard_core::config::LineConfig;
use switchboard_core::masking::{Report, Session};
use switchboard_core::outbound::Outbound;
use switchboard_core::records::watch::WatchSettings;
use switchboard_core::screening::Entry;
use utoipa::openapi::path::{HttpMethod, OperationBuilder, ParameterBuilder, ParameterIn};
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{
    ComponentsBuilder, ContentBuilder, HeaderBuilder, InfoBuilder, OpenApi, OpenApiBuilder,
    PathItem, PathsBuilder, Ref, RefOr, Required, ResponseBuilder, ResponsesBuilder,
};
use utoipa::ToSchema;

/// A request or response body: its media type and schema, and the
/// schemas it refers to.
struct Body {
    media: &'static str,
    schema: RefOr<Schema>,
    components: Vec<(String, RefOr<Schema>)>,
}

fn json<T: ToSchema>() -> Body {
    let mut components = vec![(T::name().into_owned(), T::schema())];
    T::schemas(&mut components);
    Body {
        media: "application/json",
        schema: Ref::from_schema_name(T::name()).into(),
        components,
    }
}

fn text(media: &'static str) -> Body {
    Body {
        media,
        schema: ObjectBuilder::new().schema_type(Type::String).into(),
        components: Vec::new(),
    }
}

/// A query parameter.
struct Query {
    name: &'static str,
    required: bool,
    schema: RefOr<Schema>,
    description: &'static str,
}

fn string(pattern: Option<&str>) -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .pattern(pattern)
}

fn query(name: &'static str, schema: impl Into<RefOr<Schema>>, description: &'static str) -> Query {
    Query {
        name,
        required: false,
        schema: schema.into(),
        description,
    }
}

fn number_query(name: &'static str, description: &'static str) -> Query {
    query(name, Ref::from_schema_name("E164"), description)
}

fn paging() -> Vec<Query> {
    vec![
        query(
            "limit",
            ObjectBuilder::new()
                .schema_type(Type::Integer)
                .minimum(Some(1))
                .maximum(Some(MAX_LIMIT))
                .default(Some(DEFAULT_LIMIT.into())),
            "How many items, 1 to 500 (50 when left out).",
        ),
        query(
            "cursor",
            string(None).min_length(Some(1)),
            "Where the previous page ended: its `next_cursor`, as it came.",
        ),
    ]
}

/// What one endpoint reads and answers.
struct Spec {
    summary: &'static str,
    tag: &'static str,
    request: Option<Body>,
    ok: (u16, Body),
    query: Vec<Query>,
    /// Error statuses beyond those every authorised route may answer.
    errors: &'static [u16],
}

fn spec(e: Endpoint) -> Spec {
    use Endpoint::*;
    let s = |summary, tag, request, ok, query, errors| Spec {
        summary,
        tag,
        request,
        ok,
        query,
        errors,
    };
    let none = Vec::new;
    match e {
        OpenApi => s(
            "This document",
            "meta",
            None,
            (200, text("application/json")),
            none(),
            &[],
        ),
        ListLines => s(
            "The account's lines",
            "lines",
            None,
            (200, json::<LinePage>()),
            paging(),
            &[],
        ),
        GetLine => s(
            "A line's config",
            "lines",
            None,
            (200, json::<LineConfig>()),
            none(),
            &[],
        ),
        PutLine => s(
            "Create or replace a line",
            "lines",
            Some(json::<LineConfig>()),
            (200, json::<LineConfig>()),
            none(),
            &[413],
        ),
        DeleteLine => s(
            "Delete a line and its lists",
            "lines",
            None,
            (200, json::<LineDeleted>()),
            none(),
            &[],
        ),
        ListEntries => s(
            "A line's allow, block and forward entries",
            "lists",
            None,
            (200, json::<EntryPage>()),
            paging(),
            &[],
        ),
        PutEntry => s(
            "Set a caller's entry on a line",
            "lists",
            Some(json::<Entry>()),
            (200, json::<Entry>()),
            none(),
            &[413],
        ),
        DeleteEntry => s(
            "Remove a caller's entry",
            "lists",
            None,
            (200, json::<Deleted>()),
            none(),
            &[],
        ),
        ImportAddressBook => s(
            "Replace the address book from a vCard file",
            "lists",
            Some(text("text/vcard")),
            (200, json::<ImportReport>()),
            none(),
            &[413],
        ),
        ListGraylist => s(
            "The callers a line counts (unanswered calls, failed challenges)",
            "lists",
            None,
            (200, json::<GraylistPage>()),
            paging(),
            &[],
        ),
        GetGraylist => s(
            "A caller's graylist counters",
            "lists",
            None,
            (200, json::<Counters>()),
            none(),
            &[],
        ),
        ResetGraylist => s(
            "Reset a caller's counters",
            "lists",
            None,
            (200, json::<Deleted>()),
            none(),
            &[],
        ),
        ListBlocked => s(
            "Callers blocked on every line",
            "lists",
            None,
            (200, json::<BlockedPage>()),
            paging(),
            &[],
        ),
        Block => s(
            "Block a caller on every line",
            "lists",
            Some(json::<NoFields>()),
            (200, json::<Blocked>()),
            none(),
            &[413],
        ),
        Unblock => s(
            "Unblock a caller",
            "lists",
            None,
            (200, json::<Deleted>()),
            none(),
            &[],
        ),
        ListVoicemails => s(
            "Voicemail, newest first",
            "voicemail",
            None,
            (200, json::<VoicemailPage>()),
            paging(),
            &[],
        ),
        GetRecording => s(
            "A message's audio, fetched from Twilio with the account's credentials",
            "voicemail",
            None,
            (200, text("audio/mpeg")),
            vec![query(
                "via",
                string(Some("^(line|fallback)$")),
                "`fallback` for a message the fallback took (the line's own when left out).",
            )],
            &[502],
        ),
        Simulate => s(
            "What a call would get (writes nothing)",
            "lines",
            Some(json::<SimulatedCall>()),
            (200, json::<Simulation>()),
            none(),
            &[413],
        ),
        ListTokens => s(
            "The account's API tokens (root only)",
            "tokens",
            None,
            (200, json::<TokenPage>()),
            paging(),
            &[],
        ),
        CreateToken => s(
            "Create an API token (root only)",
            "tokens",
            Some(json::<NewToken>()),
            (201, json::<CreatedToken>()),
            none(),
            &[413],
        ),
        RevokeToken => s(
            "Revoke an API token (root only)",
            "tokens",
            None,
            (200, json::<Revoked>()),
            none(),
            &[],
        ),
        GetOutbound => s(
            "The outbound config",
            "outbound",
            None,
            (200, json::<Outbound>()),
            none(),
            &[],
        ),
        PutOutbound => s(
            "Replace the outbound config",
            "outbound",
            Some(json::<Outbound>()),
            (200, json::<Outbound>()),
            none(),
            &[413],
        ),
        CallerId => s(
            "The caller ID a callee would see",
            "outbound",
            None,
            (200, json::<super::outbound::CallerId>()),
            vec![Query {
                required: true,
                ..query(
                    "to",
                    string(None).min_length(Some(1)),
                    "The number to call, in any spelling.",
                )
            }],
            &[],
        ),
        StartCall => s(
            "Place a call",
            "outbound",
            Some(json::<CallRequest>()),
            (201, json::<CallStarted>()),
            none(),
            &[409, 413, 502],
        ),
        SendCode => s(
            "Send a verification code",
            "outbound",
            Some(json::<CodeRequest>()),
            (201, json::<CodeSent>()),
            none(),
            &[409, 413, 502],
        ),
        CheckCode => s(
            "Check a verification code",
            "outbound",
            Some(json::<CheckRequest>()),
            (200, json::<CheckResult>()),
            none(),
            &[413],
        ),
        ListCalls => s(
            "Call records, newest first",
            "records",
            None,
            (200, json::<CallPage>()),
            {
                let mut q = paging();
                q.push(number_query("from", "Only calls from this number."));
                q.push(number_query("to", "Only calls to this number."));
                q.push(number_query("number", "Only calls from or to this number."));
                q.push(query(
                    "status",
                    string(None).enum_values(Some([
                        "queued",
                        "initiated",
                        "ringing",
                        "in-progress",
                        "completed",
                        "busy",
                        "no-answer",
                        "failed",
                        "canceled",
                    ])),
                    "Only calls in this status.",
                ));
                q.push(query(
                    "since",
                    ObjectBuilder::new()
                        .schema_type(Type::Integer)
                        .minimum(Some(0)),
                    "Only calls started at or after this time (ms since the epoch).",
                ));
                q
            },
            &[],
        ),
        GetCall => s(
            "A call record and its events",
            "records",
            None,
            (200, json::<CallDetail>()),
            none(),
            &[],
        ),
        ListDebuggerEvents => s(
            "Debugger events, newest first",
            "records",
            None,
            (200, json::<DebuggerPage>()),
            paging(),
            &[],
        ),
        Health => s(
            "Traffic health over 24 hours and 7 days",
            "records",
            None,
            (200, json::<HealthReport>()),
            none(),
            &[],
        ),
        HealthDays => s(
            "The health figures a UTC day at a time, oldest first",
            "records",
            None,
            (200, json::<super::records::HealthDays>()),
            vec![
                query(
                    "days",
                    ObjectBuilder::new()
                        .schema_type(Type::Integer)
                        .minimum(Some(1))
                        .maximum(Some(switchboard_core::records::trend::MAX_DAYS))
                        .default(Some(14.into())),
                    "How many days, ending today (14 when left out).",
                ),
                number_query(
                    "number",
                    "One placing number's calls (the account's when left out).",
                ),
            ],
            &[],
        ),
        Usage => s(
            "Calls and minutes in a month",
            "records",
            None,
            (200, json::<super::records::Usage>()),
            vec![query(
                "month",
                string(Some(r"^[0-9]{4}-[0-9]{2}$")),
                "The UTC month, `YYYY-MM` (this month when left out).",
            )],
            &[],
        ),
        ListAlerts => s(
            "Alerts the watch raised, newest first",
            "records",
            None,
            (200, json::<AlertPage>()),
            paging(),
            &[],
        ),
        GetMonitoring => s(
            "The watch settings",
            "records",
            None,
            (200, json::<WatchSettings>()),
            none(),
            &[],
        ),
        PutMonitoring => s(
            "Replace the watch settings",
            "records",
            Some(json::<WatchSettings>()),
            (200, json::<WatchSettings>()),
            none(),
            &[413],
        ),
        CreateSession => s(
            "Create a masking session",
            "masking",
            Some(json::<NewSessionRequest>()),
            (201, json::<CreatedSession>()),
            none(),
            &[409, 413],
        ),
        ListSessions => s(
            "Live and in-grace sessions, each with its state",
            "masking",
            None,
            (200, json::<SessionPage>()),
            {
                let mut q = paging();
                q.push(query(
                    "state",
                    string(None).enum_values(Some(["live", "grace"])),
                    "Only sessions in this state (closed ones are not kept).",
                ));
                q
            },
            &[],
        ),
        GetSession => s(
            "A session and its state",
            "masking",
            None,
            (200, json::<SessionShown>()),
            none(),
            &[],
        ),
        EndSession => s(
            "End a session (its grace period starts)",
            "masking",
            Some(json::<NoFields>()),
            (200, json::<Session>()),
            none(),
            &[413],
        ),
        ListNumbers => s(
            "The pool's numbers",
            "masking",
            None,
            (200, json::<NumberPage>()),
            paging(),
            &[],
        ),
        AddNumber => s(
            "Add a number to the pool",
            "masking",
            Some(json::<NumberSettings>()),
            (200, json::<PoolNumbers>()),
            none(),
            &[409, 413],
        ),
        RemoveNumber => s(
            "Remove a number (it drains first)",
            "masking",
            None,
            (200, json::<NumberRemoved>()),
            none(),
            &[],
        ),
        GetPoolSettings => s(
            "The pool's settings",
            "masking",
            None,
            (200, json::<Settings>()),
            none(),
            &[],
        ),
        PutPoolSettings => s(
            "Replace the pool's settings",
            "masking",
            Some(json::<Settings>()),
            (200, json::<Settings>()),
            none(),
            &[413],
        ),
        PatchPoolSettings => s(
            "Change some of the pool's settings",
            "masking",
            Some(json::<SettingsPatch>()),
            (200, json::<Settings>()),
            none(),
            &[413],
        ),
        Reindex => s(
            "Write every session's call-path index again",
            "masking",
            Some(json::<NoFields>()),
            (200, json::<Reindexed>()),
            none(),
            &[413],
        ),
        ListPools => s(
            "The account's pools (once they have settings or a number)",
            "masking",
            None,
            (200, json::<PoolPage>()),
            paging(),
            &[],
        ),
        Access => s(
            "What the token in hand may do on this account",
            "tokens",
            None,
            (200, json::<crate::contract::tokens::Access>()),
            none(),
            &[],
        ),
        DeletePool => s(
            "Delete a pool with no numbers and no live or in-grace sessions",
            "masking",
            None,
            (200, json::<Deleted>()),
            none(),
            &[409],
        ),
        PoolReport => s(
            "The pool's load, and what a pair could get",
            "masking",
            None,
            (200, json::<Report>()),
            vec![
                number_query("a", "One party of a pair."),
                number_query("b", "The other party."),
                query("market", string(None), "Only numbers of this market."),
            ],
            &[],
        ),
    }
}

/// A path parameter's schema, by its name in the table.
fn path_param(name: &str) -> RefOr<Schema> {
    match name {
        "AccountSid" => string(Some("^AC[0-9a-fA-F]{32}$"))
            .examples([serde_json::json!("AC00000000000000000000000000000001")])
            .into(),
        "To" | "From" | "Number" => Ref::from_schema_name("E164").into(),
        "Pool" => string(Some("^[A-Za-z0-9_-]{1,64}$")).into(),
        "SessionId" => string(Some("^KS[0-9a-f]{32}$")).into(),
        "CallSid" => string(Some(CALL_SID)).into(),
        // A call's record: Twilio's CallSid, or MessageBird's callID for a
        // masked call through MessageBird (`switchboard_core::records::CallId`).
        "CallId" => string(Some(&format!("{CALL_SID}|{MESSAGEBIRD_CALL_ID}")))
            .examples([serde_json::json!("CA00000000000000000000000000000001")])
            .into(),
        "TokenId" => string(Some("^[0-9a-f]{16}$")).into(),
        other => unreachable!("no schema for path parameter {other}"),
    }
}

fn method(v: Verb) -> HttpMethod {
    match v {
        Verb::Get => HttpMethod::Get,
        Verb::Put => HttpMethod::Put,
        Verb::Post => HttpMethod::Post,
        Verb::Patch => HttpMethod::Patch,
        Verb::Delete => HttpMethod::Delete,
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        400 => "Malformed: not JSON, a bad path or query value, an unknown query parameter",
        401 => "No bearer token, or one we do not know",
        403 => "A read-only token that tried to write, or an account token on a root-only route",
        404 => "No such route (another account's paths look the same), or no such thing",
        405 => "The path exists, not with this method",
        409 => "A conflict: a pool's rule, a number in another pool, or the same Idempotency-Key still in flight",
        413 => "The body is over 1 MiB",
        422 => "Readable but wrong: `field` names the value (or the toll-fraud guard refused)",
        502 => "The carrier's API refused or failed",
        503 => "Our side failed (storage, a Durable Object), or the API is off",
        _ => "Error",
    }
}

/// Every error status an operation may answer.
const CALL_SID: &str = "^CA[0-9A-Za-z]{1,62}$";
const MESSAGEBIRD_CALL_ID: &str = "^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$";

const ERRORS: [u16; 10] = [400, 401, 403, 404, 405, 409, 413, 422, 502, 503];

fn request_id_header() -> utoipa::openapi::Header {
    HeaderBuilder::new()
        .schema(string(Some("^[A-Za-z0-9._-]{1,64}$")))
        .description(Some("The request's id, as in its log line."))
        .build()
}

/// The whole document.
pub fn document() -> OpenApi {
    let mut paths = PathsBuilder::new();
    let mut schemas: Vec<(String, RefOr<Schema>)> = Vec::new();
    let error = json::<ErrorBody>();
    schemas.extend(error.components);
    schemas.push((
        "E164".into(),
        <switchboard_core::phone::E164 as utoipa::PartialSchema>::schema(),
    ));
    for route in ROUTES {
        let spec = spec(route.endpoint);
        let public = route.endpoint.public();
        let mut op = OperationBuilder::new()
            .operation_id(Some(format!("{:?}", route.endpoint)))
            .summary(Some(spec.summary))
            .tag(spec.tag);
        for name in params(route.path) {
            op = op.parameter(
                ParameterBuilder::new()
                    .name(name)
                    .parameter_in(ParameterIn::Path)
                    .required(Required::True)
                    .schema(Some(path_param(name))),
            );
        }
        for q in spec.query {
            op = op.parameter(
                ParameterBuilder::new()
                    .name(q.name)
                    .parameter_in(ParameterIn::Query)
                    .required(if q.required {
                        Required::True
                    } else {
                        Required::False
                    })
                    .description(Some(q.description))
                    .schema(Some(q.schema)),
            );
        }
        if route.endpoint.idempotent() {
            op = op.parameter(
                ParameterBuilder::new()
                    .name("Idempotency-Key")
                    .parameter_in(ParameterIn::Header)
                    .required(Required::False)
                    .description(Some(
                        "Makes a retry safe: a repeat with the same key within 24 hours answers the first answer again (with `Idempotent-Replayed: true`) and does nothing twice.",
                    ))
                    .schema(Some(
                        string(Some("^[\\x20-\\x7E]+$")).min_length(Some(1)).max_length(Some(255)),
                    )),
            );
        }
        if let Some(body) = spec.request {
            schemas.extend(body.components);
            op = op.request_body(Some(
                RequestBodyBuilder::new()
                    .content(
                        body.media,
                        ContentBuilder::new().schema(Some(body.schema)).build(),
                    )
                    .required(Some(Required::True))
                    .build(),
            ));
        }
        let (status, body) = spec.ok;
        schemas.extend(body.components);
        let mut ok = ResponseBuilder::new()
            .description("Done")
            .content(
                body.media,
                ContentBuilder::new().schema(Some(body.schema)).build(),
            )
            .header("X-Request-Id", request_id_header());
        if route.endpoint.idempotent() {
            ok = ok.header(
                "Idempotent-Replayed",
                HeaderBuilder::new()
                    .schema(string(None).enum_values(Some(["true"])))
                    .description(Some(
                        "Present on a repeat that answers the first answer again.",
                    ))
                    .build(),
            );
        }
        let mut responses = ResponsesBuilder::new().response(status.to_string(), ok.build());
        let mut errors: Vec<u16> = if public {
            Vec::new()
        } else {
            vec![400, 401, 403, 404, 422, 503]
        };
        if !public && route.endpoint.idempotent() {
            errors.push(409);
        }
        errors.extend(spec.errors);
        errors.sort();
        errors.dedup();
        for status in errors {
            // Each failure is one shared response: the error body.
            responses = responses.response(
                status.to_string(),
                Ref::from_response_name(format!("Error{status}")),
            );
        }
        op = op.responses(responses.build());
        if public {
            op = op.securities(Some(Vec::<SecurityRequirement>::new()));
        }
        paths = paths.path(
            format!("{PREFIX}{}", route.path),
            PathItem::new(method(route.verb), op.build()),
        );
    }
    OpenApiBuilder::new()
        .info(
            InfoBuilder::new()
                .title("Switchboard management API")
                .version(env!("CARGO_PKG_VERSION"))
                .description(Some(
                    "Every account-scoped route takes the account's token (or the root token). Errors answer `{\"error\", \"code\", …}`; lists page with `limit` and `cursor`; every answer carries `X-Request-Id`.",
                ))
                .build(),
        )
        .paths(paths.build())
        .components(Some(
            ComponentsBuilder::new()
                .schemas_from_iter(schemas)
                .responses_from_iter(ERRORS.iter().map(|&status| {
                    (
                        format!("Error{status}"),
                        ResponseBuilder::new()
                            .description(reason(status))
                            .content(
                                "application/json",
                                ContentBuilder::new()
                                    .schema(Some(Ref::from_schema_name("ErrorBody")))
                                    .build(),
                            )
                            .header("X-Request-Id", request_id_header())
                            .build(),
                    )
                }))
                .security_scheme(
                    "bearer",
                    SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
                )
                .build(),
        ))
        .security(Some([SecurityRequirement::new("bearer", Vec::<String>::new())]))
        .build()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    /// The document as a client reads it: its JSON.
    fn served() -> serde_json::Value {
        serde_json::from_str(&document().to_json().unwrap()).unwrap()
    }

    const METHODS: [&str; 5] = ["get", "put", "post", "patch", "delete"];

    /// The worker serves `admin/openapi.json` as it is: it must be the
    /// document this code generates. `UPDATE_OPENAPI=1` writes it.
    #[test]
    fn the_served_file_is_the_generated_document() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/openapi.json");
        // One space a level: the file is read in review, and the worker
        // carries it whole.
        let mut text = Vec::new();
        let mut writer = serde_json::Serializer::with_formatter(
            &mut text,
            serde_json::ser::PrettyFormatter::with_indent(b" "),
        );
        serde::Serialize::serialize(&served(), &mut writer).unwrap();
        let generated = format!("{}\n", String::from_utf8(text).unwrap());
        if std::env::var_os("UPDATE_OPENAPI").is_some() {
            std::fs::write(path, &generated).unwrap();
        }
        let committed = std::fs::read_to_string(path).unwrap_or_default();
        assert!(
            committed == generated,
            "admin/openapi.json is not the document the code generates: \
             run `UPDATE_OPENAPI=1 cargo test -p switchboard-admin` and commit it"
        );
    }

    #[test]
    fn the_document_lists_exactly_the_routes_the_router_serves() {
        let doc = served();
        let mut documented = BTreeSet::new();
        for (path, item) in doc["paths"].as_object().unwrap() {
            for (m, _) in item.as_object().unwrap() {
                if METHODS.contains(&m.as_str()) {
                    documented.insert((m.to_uppercase(), path.clone()));
                }
            }
        }
        let routed: BTreeSet<(String, String)> = ROUTES
            .iter()
            .map(|r| (r.verb.as_str().to_string(), format!("{PREFIX}{}", r.path)))
            .collect();
        assert_eq!(documented, routed);
    }

    /// Each documented operation, with its parameters filled in with
    /// sample values, routes to the operation the document named.
    #[test]
    fn every_documented_operation_reaches_its_endpoint() {
        use super::super::routes::{find, Found};
        let doc = served();
        let mut count = 0;
        for (path, item) in doc["paths"].as_object().unwrap() {
            for (m, op) in item.as_object().unwrap() {
                let Some(verb) = Verb::parse(&m.to_uppercase()) else {
                    continue;
                };
                let concrete = path
                    .strip_prefix(PREFIX)
                    .unwrap()
                    .split('/')
                    .map(|s| if s.starts_with('{') { "x" } else { s })
                    .collect::<Vec<_>>()
                    .join("/");
                let segments: Vec<&str> = concrete.trim_start_matches('/').split('/').collect();
                let Found::Route(endpoint, _) = find(verb, &segments) else {
                    panic!("{m} {path} is documented but not routed");
                };
                assert_eq!(op["operationId"], format!("{endpoint:?}"), "{m} {path}");
                count += 1;
            }
        }
        assert_eq!(count, ROUTES.len());
    }

    #[test]
    fn every_schema_referred_to_is_in_the_components() {
        let doc = served();
        let text = doc.to_string();
        let components = doc["components"]["schemas"].as_object().unwrap();
        for piece in text.split("\"#/components/schemas/").skip(1) {
            let name = piece.split('"').next().unwrap();
            assert!(
                components.contains_key(name),
                "{name} is referred to but missing"
            );
        }
    }

    /// A type that refuses unknown fields, flattened beside other fields,
    /// documents an answer no client could validate (`allOf` with a schema
    /// of `additionalProperties: false`): the fuzzer found one such.
    #[test]
    fn no_closed_schema_is_combined_with_other_fields() {
        let doc = served();
        let components = doc["components"]["schemas"].as_object().unwrap();
        fn walk(v: &serde_json::Value, components: &serde_json::Map<String, serde_json::Value>) {
            match v {
                serde_json::Value::Object(o) => {
                    if let Some(parts) = o.get("allOf").and_then(|a| a.as_array()) {
                        for part in parts.iter().filter(|_| parts.len() > 1) {
                            let name = part["$ref"]
                                .as_str()
                                .and_then(|r| r.strip_prefix("#/components/schemas/"));
                            if let Some(name) = name {
                                assert_ne!(
                                    components[name]["additionalProperties"],
                                    serde_json::json!(false),
                                    "{name} is closed but combined with other fields"
                                );
                            }
                        }
                    }
                    o.values().for_each(|x| walk(x, components));
                }
                serde_json::Value::Array(a) => a.iter().for_each(|x| walk(x, components)),
                _ => {}
            }
        }
        walk(&doc, components);
    }

    #[test]
    fn it_is_openapi_3_1_with_bearer_auth_and_a_public_document_route() {
        let doc = served();
        assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
        assert_eq!(
            doc["components"]["securitySchemes"]["bearer"]["scheme"],
            "bearer"
        );
        assert_eq!(
            doc["paths"]["/api/v1/openapi.json"]["get"]["security"],
            serde_json::json!([])
        );
        let lines = &doc["paths"]["/api/v1/accounts/{AccountSid}/lines"]["get"];
        let names: Vec<&str> = lines["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["AccountSid", "limit", "cursor"]);
        assert_eq!(
            lines["responses"]["401"]["$ref"],
            "#/components/responses/Error401"
        );
        let error = &doc["components"]["responses"]["Error401"]["content"]["application/json"];
        assert_eq!(error["schema"]["$ref"], "#/components/schemas/ErrorBody");
    }
}
