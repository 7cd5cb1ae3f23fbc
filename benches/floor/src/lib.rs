//! A minimal workers-rs worker: one fixed answer, `200 ok`, to any request.

use worker::*;

#[event(fetch)]
async fn fetch(_req: Request, _env: Env, _ctx: Context) -> Result<Response> {
    Response::ok("ok")
}
