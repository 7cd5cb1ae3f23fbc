//! The worker's entry points: `fetch` and the Cron Trigger.

use crate::{allocator, api, call_log, ledger, watch};
use switchboard_core::body;
use switchboard_core::outbound::{Dialled, Parsed};
use switchboard_edge::body::read_body;
use switchboard_edge::{clock, panic, respond, VERSION};
use worker::{
    event, Context, Env, Method, Request, Response, Result, ScheduleContext, ScheduledEvent,
};

pub use allocator::PoolAllocator;
pub use call_log::CallLog;
pub use ledger::Ledger;

#[event(fetch)]
async fn fetch(req: Request, env: Env, _ctx: Context) -> Result<Response> {
    panic::install("admin");
    let path = req.path();
    // Every /api/ path answers the API's JSON, an unknown version too.
    if path.starts_with("/api/") {
        return api::handle(req, env).await;
    }
    if path == "/console" || path.starts_with("/console/") {
        return console(req, &env).await;
    }
    match (req.method(), path.as_str()) {
        (Method::Post, "/internal/v1/destination") => destination(req).await,
        (Method::Get, "/health") => respond::json(
            200,
            &serde_json::json!({ "status": "ok", "worker": "admin", "version": VERSION }),
        ),
        _ => respond::plain(404, "no such route"),
    }
}

/// The console's files are static assets, answered before this worker runs
/// (`[assets]` in wrangler.toml). A request that reaches the worker anyway
/// (one that came in by a way that skips the assets' router) is handed to
/// them, so the console answers the same, with the same headers, whichever
/// way it was asked for.
async fn console(req: Request, env: &Env) -> Result<Response> {
    match env.assets(ASSETS) {
        Ok(assets) => assets.fetch_request(req).await,
        Err(_) => respond::plain(404, "no such route"),
    }
}

/// The binding of the console's static assets.
const ASSETS: &str = "ASSETS";

/// The Cron Trigger: the scheduled watch (`watch`).
#[event(scheduled)]
async fn scheduled(_event: ScheduledEvent, env: Env, _ctx: ScheduleContext) {
    panic::install("admin");
    watch::run(&env, clock::now_ms()).await;
}

/// A dialled number in any spelling, parsed and classified for the calls
/// worker's guard. It holds no state and no secret: anyone may ask.
async fn destination(mut req: Request) -> Result<Response> {
    let parsed = async {
        let bytes = read_body(&mut req, 4096).await.map_err(|e| e.to_string())?;
        let text = String::from_utf8(bytes).map_err(|_| "body is not UTF-8".to_string())?;
        body::parse::<Dialled>(&text).map_err(|e| e.to_string())
    };
    match parsed.await {
        Err(e) => respond::plain(400, &e),
        Ok(dialled) => {
            let answer = match switchboard_numbers::parse_destination(
                &dialled.input,
                dialled.default_country.as_deref(),
            ) {
                Ok(dest) => Parsed::Number(dest),
                Err(refused) => Parsed::Invalid {
                    why: match refused {
                        switchboard_core::outbound::Refused::Invalid { why } => why,
                        other => other.to_string(),
                    },
                },
            };
            respond::json(200, &answer)
        }
    }
}
