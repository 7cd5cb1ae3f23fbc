// The admin worker's entry module: the Rust worker (build/index.js, made by
// worker-build) behind two things Rust cannot do for itself. Every request
// gets its id here (request-id.mjs, shared with the calls worker), and every
// answer carries it. And a request no Rust code answered (a panic aborts the
// wasm instance; the panic hook in crates/edge/src/panic.rs calls
// `__switchboardPanicked`, which fails the requests in flight, else they
// would never settle) still gets the API's error shape: 500, `internal`.
// Copied next to index.js by scripts/build.sh.
import { WorkerEntrypoint } from "cloudflare:workers";
import Rust from "./index.js";
import { requestId, withId, stamped, failed } from "./request-id.mjs";
export * from "./index.js";

class Panicked extends Error {}
const inFlight = new Set();
globalThis.__switchboardPanicked = () => {
  for (const fail of inFlight) fail(new Panicked("the worker panicked"));
  inFlight.clear();
};

export default class Admin extends WorkerEntrypoint {
  async fetch(original) {
    const id = requestId(original);
    const request = withId(original, id);
    let fail;
    const panicked = new Promise((_, reject) => inFlight.add((fail = reject)));
    try {
      return stamped(await Promise.race([new Rust(this.ctx, this.env).fetch(request), panicked]), id);
    } catch (error) {
      console.error(JSON.stringify({ level: "error", worker: "admin", request_id: id, error: "unanswered: " + (error?.name ?? "error") }));
      return failed(request, id);
    } finally {
      inFlight.delete(fail);
    }
  }

  async scheduled(controller) {
    return new Rust(this.ctx, this.env).scheduled(controller);
  }
}
