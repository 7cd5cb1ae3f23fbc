// The worker's entry module: the Rust worker (build/index.js, made by
// worker-build) behind what Rust cannot do for itself. A panic aborts
// the wasm instance in the middle of a request: the runtime gets a fresh
// instance for the next request, but the requests in flight on the dead one
// never settle, and the runtime ends them as errors. For a carrier webhook
// that is a caller hearing "an application error has occurred". So the
// panic hook (crates/edge/src/panic.rs) calls `__switchboardPanicked`, which fails
// every request in flight here; each carrier request among them is handed to
// the fresh instance once more, marked, and Rust answers it with the
// deployment's fallback plan after verifying it like any other request.
// It also hands the admin worker's paths (/api/, and the console at
// /console) to it over the ADMIN service binding, before the wasm is
// touched, so one URL serves both.
// Every request gets its id here (request-id.mjs), and every answer carries it.
// Copied next to index.js by scripts/build.sh.
import { WorkerEntrypoint } from "cloudflare:workers";
import Rust from "./index.js";
import { requestId, withId, stamped, failed } from "./request-id.mjs";
export * from "./index.js";

const CARRIER = /^\/(voice|sms|messagebird)\//;
const ADMIN = /^\/(api\/|console(\/|$))/;
const AFTER_PANIC = "X-Switchboard-After-Panic";

class Panicked extends Error {}
const inFlight = new Set();
globalThis.__switchboardPanicked = () => {
  for (const fail of inFlight) fail(new Panicked("the worker panicked"));
  inFlight.clear();
};

export default class Switchboard extends WorkerEntrypoint {
  async fetch(original) {
    const id = requestId(original);
    const request = withId(original, id);
    try {
      return stamped(await this.answer(request), id);
    } catch (error) {
      console.error(JSON.stringify({ level: "error", worker: "calls", request_id: id, error: "unanswered: " + (error?.name ?? "error") }));
      return failed(request, id);
    }
  }

  async answer(request) {
    if (ADMIN.test(new URL(request.url).pathname)) {
      if (!this.env.ADMIN) return failed(request, request.headers.get("X-Request-Id"), 503);
      return this.env.ADMIN.fetch(request);
    }
    const retry = CARRIER.test(new URL(request.url).pathname) ? request.clone() : null;
    let fail;
    const panicked = new Promise((_, reject) => inFlight.add((fail = reject)));
    try {
      return await Promise.race([new Rust(this.ctx, this.env).fetch(request), panicked]);
    } catch (error) {
      const died = error instanceof Panicked || error instanceof WebAssembly.RuntimeError;
      if (!retry || !died) throw error;
      const headers = new Headers(retry.headers);
      headers.set(AFTER_PANIC, "1");
      return await new Rust(this.ctx, this.env).fetch(new Request(retry, { headers }));
    } finally {
      inFlight.delete(fail);
    }
  }
}
