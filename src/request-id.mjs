// Every request's id (crates/core/src/request_id.rs says which ones a client
// may choose): decided here, in each worker's entry module, before the wasm
// runs, set on the request the wasm reads (its log lines carry it) and on
// every answer, whatever made it: the wasm, the other worker behind the
// service binding, or a failure no Rust code answered. Copied next to each
// entry module by scripts/build.sh.
export const HEADER = "X-Request-Id";
const SAFE = /^[A-Za-z0-9._-]{1,64}$/;

export function requestId(request) {
  const given = request.headers.get(HEADER);
  if (given && SAFE.test(given)) return given;
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

// The request as the wasm (or the admin worker) gets it: with the id.
export function withId(request, id) {
  if (request.headers.get(HEADER) === id) return request;
  const headers = new Headers(request.headers);
  headers.set(HEADER, id);
  return new Request(request, { headers });
}

// The answer with the id; one from a fetch (immutable headers) is copied.
export function stamped(response, id) {
  if (response.headers.get(HEADER) === id) return response;
  try {
    response.headers.set(HEADER, id);
    return response;
  } catch {
    const copy = new Response(response.body, response);
    copy.headers.set(HEADER, id);
    return copy;
  }
}

// What a request gets when no code answered it (a panic, a thrown error):
// the API's error shape on API paths, a line of text elsewhere.
export function failed(request, id, status = 500) {
  const api = new URL(request.url).pathname.startsWith("/api/");
  const headers = { "Cache-Control": "no-store", [HEADER]: id };
  if (api) {
    headers["Content-Type"] = "application/json";
    const body = { error: status === 503 ? "the admin worker is not bound (ADMIN)" : "internal error", code: status === 503 ? "unavailable" : "internal" };
    return new Response(JSON.stringify(body), { status, headers });
  }
  headers["Content-Type"] = "text/plain; charset=utf-8";
  return new Response(status === 503 ? "unavailable\n" : "internal error\n", { status, headers });
}
