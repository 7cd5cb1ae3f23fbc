// The management API's contract end to end: request ids on every answer and
// in the log line, one error shape, paging on every list, idempotency keys,
// and the OpenAPI document.
import { test, before, after, beforeEach } from "node:test";
import assert from "node:assert/strict";
import { startWorker, SECRETS } from "./lib/harness.mjs";
import { startRecorder } from "./lib/recorder.mjs";
import { post, callParams } from "../../scripts/twilio.mjs";

const ACCOUNT = "AC00000000000000000000000000000001";
const OTHER = "AC00000000000000000000000000000002";
const ADA = "+14155550199";
let w, recorder;

before(async () => {
  recorder = await startRecorder();
  w = await startWorker({ vars: { TWILIO_API_BASE: recorder.url } });
});
after(async () => { await w?.stop(); await recorder?.stop(); });
beforeEach(() => { recorder.requests.length = 0; recorder.succeed(); });

async function api(method, path, body, { token = SECRETS.ADMIN_TOKEN, headers = {} } = {}) {
  const h = { ...headers };
  if (token) h.Authorization = `Bearer ${token}`;
  if (body !== undefined) h["Content-Type"] = "application/json";
  const r = await fetch(`${w.url}/api/v1${path}`, {
    method, headers: h, body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
  });
  const text = await r.text();
  return { status: r.status, headers: r.headers, body: text ? JSON.parse(text) : null };
}
const acct = (p) => `/accounts/${ACCOUNT}${p}`;
const HEX32 = /^[0-9a-f]{32}$/;

// The log line of one request, by its id.
function logLine(id) {
  return w.logs.flatMap((l) => l.split("\n")).map((l) => l.trim()).find((l) => l.startsWith("{") && l.includes(`"request_id":"${id}"`));
}

test("every answer carries X-Request-Id; a safe client id is kept and is in the log line", async () => {
  const answers = [
    await fetch(`${w.url}/api/v1${acct("/lines")}`, { headers: { Authorization: `Bearer ${SECRETS.ADMIN_TOKEN}` } }),
    await fetch(`${w.url}/api/v1${acct("/lines")}`),
    await fetch(`${w.url}/api/v1${acct("/nothing")}`, { headers: { Authorization: `Bearer ${SECRETS.ADMIN_TOKEN}` } }),
    await fetch(`${w.url}/api/v1/openapi.json`),
    await fetch(`${w.url}/api/v2/anything`),
    await fetch(`${w.url}/health`),
    await fetch(`${w.url}/nothing`),
    await post(w.url, "/voice/incoming", callParams({ From: "+14155550101" }), { token: SECRETS.TWILIO_AUTH_TOKEN }),
    await post(w.url, "/voice/incoming", callParams(), { signature: "wrong" }),
    await fetch(`${w.url}/api/v1${acct(`/lines/${ADA}`)}`, {
      method: "PUT", headers: { Authorization: `Bearer ${SECRETS.ADMIN_TOKEN}`, "Content-Type": "application/json" },
      body: "x".repeat(1024 * 1024 + 1),
    }),
  ];
  const statuses = answers.map((r) => r.status);
  assert.deepEqual(statuses, [200, 401, 404, 200, 404, 200, 404, 200, 403, 413]);
  const ids = answers.map((r) => r.headers.get("x-request-id"));
  for (const id of ids) assert.match(id, HEX32);
  assert.equal(new Set(ids).size, ids.length, "one id per request");
  for (const r of answers) await r.arrayBuffer();

  // A client's safe id is kept end to end (through the calls worker into
  // the admin worker: one id), and its log line carries it.
  let r = await api("GET", acct("/lines"), undefined, { headers: { "X-Request-Id": "client-req.1_A" } });
  assert.equal(r.headers.get("x-request-id"), "client-req.1_A");
  const line = JSON.parse(logLine("client-req.1_A"));
  assert.equal(line.route, "api");
  assert.equal(line.endpoint, "ListLines");
  assert.equal(line.status, 200);
  const hook = await post(w.url, "/voice/incoming", callParams({ From: "+14155550101" }),
    { token: SECRETS.TWILIO_AUTH_TOKEN, headers: { "X-Request-Id": "hook-1" } });
  assert.equal(hook.headers.get("x-request-id"), "hook-1");
  await hook.text();
  assert.equal(JSON.parse(logLine("hook-1")).route, "voice/incoming");
  // Anything else is replaced, never logged.
  for (const unsafe of ["has space", "x".repeat(65), "+14155550100\nforged"]) {
    r = await api("GET", acct("/lines"), undefined, { headers: { "X-Request-Id": unsafe.replace("\n", "%0A") } });
    assert.match(r.headers.get("x-request-id"), HEX32);
    assert.ok(logLine(r.headers.get("x-request-id")));
  }
  assert.ok(!w.logs.join("").includes("has space"));
});

test("every failure answers {error, code} and the fields it carries", async () => {
  // Each code is one the contract lists, so a client can rely on the set.
  const spec = await (await fetch(`${w.url}/api/v1/openapi.json`)).json();
  const codes = spec.components.schemas.ErrorBody.properties.code.enum;
  const expectError = (r, status, code) => {
    assert.equal(r.status, status);
    assert.equal(r.headers.get("content-type"), "application/json");
    assert.equal(r.body.code, code);
    assert.ok(codes.includes(code), `${code} is in the contract's list`);
    assert.equal(typeof r.body.error, "string");
  };
  expectError(await api("GET", acct("/lines"), undefined, { token: "nope" }), 401, "unauthorized");
  expectError(await api("GET", acct("/nothing")), 404, "no_route");
  expectError(await api("GET", "/nothing"), 404, "no_route");
  expectError(await api("GET", acct(`/lines/${ADA}/nothing`)), 404, "no_route");
  let r = await api("POST", acct("/lines"));
  expectError(r, 405, "method_not_allowed");
  assert.equal(r.headers.get("allow"), "GET");
  r = await api("PATCH", acct(`/lines/${ADA}`));
  assert.equal(r.headers.get("allow"), "GET, PUT, DELETE");
  // Another account's paths are missing routes, whatever the method.
  const { body: made } = await api("POST", `/accounts/${OTHER}/tokens`, { scope: "write" });
  r = await api("PATCH", acct(`/lines/${ADA}`), undefined, { token: made.token });
  expectError(r, 404, "no_route");
  expectError(await api("GET", acct(`/lines/${ADA}`), undefined, { token: made.token }), 404, "no_route");
  expectError(await api("PUT", acct(`/lines/${ADA}`), "x".repeat(1024 * 1024 + 1)), 413, "too_large");
  expectError(await api("PUT", acct(`/lines/${ADA}`), "{"), 400, "malformed");
  r = await api("PUT", acct("/lines/+14155550166"), { owner: { targets: [{ client: "bob" }], timeout_secs: 500 } });
  expectError(r, 422, "invalid");
  assert.equal(r.body.field, "owner.timeout_secs");
  expectError(await api("GET", acct("/calls/CA404")), 404, "not_found");
  expectError(await api("POST", acct("/tokens"), { scope: "read", label: "x".repeat(201) }), 422, "invalid");
  assert.equal((await api("PUT", acct("/pools/full/numbers/+14155550388"), {})).status, 200);
  r = await api("DELETE", acct("/pools/full"));
  expectError(r, 409, "pool_not_empty");
  assert.deepEqual([r.body.numbers, r.body.sessions], [1, 0]);
  const unreachable = await fetch(`${w.url}/api/v1${acct("/lines")}`, { method: "DELETE", headers: { Authorization: `Bearer ${SECRETS.ADMIN_TOKEN}` } });
  assert.equal(unreachable.status, 405);
  assert.equal((await unreachable.json()).code, "method_not_allowed");
});

test("a failure in storage or inside a Durable Object answers the same shape", async () => {
  // A stored value that no longer reads: 503, the key's number masked.
  await w.kv.put(`line:${ACCOUNT}:+14155550155`, "{broken");
  let r = await api("GET", acct("/lines/+14155550155"));
  assert.deepEqual([r.status, r.body.code], [503, "unavailable"]);
  assert.ok(!r.body.error.includes("4155550155"), r.body.error);
  await w.kv.delete(`line:${ACCOUNT}:+14155550155`);
  // The Ledger object fails (no CHALLENGE_SECRET to check a code with).
  const bare = await startWorker({ vars: { CHALLENGE_SECRET: "" } });
  try {
    const res = await fetch(`${bare.url}/api/v1${acct("/verifications/check")}`, {
      method: "POST", headers: { Authorization: `Bearer ${SECRETS.ADMIN_TOKEN}`, "Content-Type": "application/json" },
      body: JSON.stringify({ to: "+14155550124", code: "123456" }),
    });
    const body = await res.json();
    assert.deepEqual([res.status, body.code, typeof body.error], [503, "unavailable", "string"]);
    assert.match(res.headers.get("x-request-id"), HEX32);
  } finally {
    await bare.stop();
  }
});

// Every list, paged: the default page has `next_cursor`, a bad limit or
// cursor is a 422 naming it, and a cursor of one list is refused by another.
const LISTS = [
  "/lines", `/lines/${ADA}/entries`, "/blocked", "/voicemails", "/tokens", "/calls",
  "/debugger-events", "/alerts", "/pools/p1/sessions", "/pools/p1/numbers",
];

test("every list takes limit and cursor and answers next_cursor", async () => {
  for (const list of LISTS) {
    let r = await api("GET", acct(list));
    assert.equal(r.status, 200, list);
    assert.ok("next_cursor" in r.body, list);
    for (const limit of ["0", "501", "x"]) {
      r = await api("GET", acct(`${list}?limit=${limit}`));
      assert.deepEqual([r.status, r.body.code, r.body.field], [422, "invalid", "limit"], list);
    }
    r = await api("GET", acct(`${list}?cursor=bm90LW91cnM`));
    assert.deepEqual([r.status, r.body.code, r.body.field], [422, "invalid", "cursor"], list);
    r = await api("GET", acct(`${list}?colour=red`));
    assert.equal(r.status, 400, list);
  }
});

// Walks a list `limit` at a time: every item once, the last cursor null.
async function walk(list, key, limit) {
  const seen = [];
  let cursor = null;
  let pages = 0;
  do {
    const r = await api("GET", acct(`${list}${list.includes("?") ? "&" : "?"}limit=${limit}${cursor ? `&cursor=${cursor}` : ""}`));
    assert.equal(r.status, 200, `${list}: ${JSON.stringify(r.body)}`);
    assert.ok(r.body[key].length <= limit);
    seen.push(...r.body[key]);
    cursor = r.body.next_cursor;
    pages++;
  } while (cursor && pages < 50);
  return seen;
}

test("paging walks every list once, with no gap and no repeat", async () => {
  assert.equal((await api("PUT", acct("/lines/+14155550177"), { owner: { targets: [{ client: "bob" }] } })).status, 200);
  for (let i = 0; i < 5; i++) {
    assert.equal((await api("PUT", acct(`/lines/${ADA}/entries/+1212555070${i}`), { block: true })).status, 200);
    assert.equal((await api("PUT", acct(`/blocked/+1212555071${i}`))).status, 200);
    assert.equal((await api("PUT", acct(`/pools/walk/numbers/+1415555072${i}`), {})).status, 200);
    assert.equal((await api("POST", acct("/tokens"), { scope: "read" })).status, 201);
  }
  const lists = [["/lines", "lines"], [`/lines/${ADA}/entries`, "entries"], ["/blocked", "blocked"], ["/tokens", "tokens"], ["/pools/walk/numbers", "numbers"]];
  for (const [list, key] of lists) {
    const all = (await api("GET", acct(`${list}?limit=500`))).body[key];
    assert.ok(all.length >= 3, list);
    for (const limit of [1, 2]) assert.deepEqual(await walk(list, key, limit), all, `${list} by ${limit}`);
  }
  // Call records and Debugger events, from the account's call log.
  for (let i = 0; i < 5; i++) {
    await w.object("CALL_LOG", ACCOUNT, { op: "decided", call_sid: `CAwalk${i}`, from: "+14155550101", to: ADA, route: "voice/incoming", outcome: "connect", at_ms: 1000 + (i % 2) });
    await w.object("CALL_LOG", ACCOUNT, { op: "debugger", sid: `NOwalk${i}`, level: "ERROR", error_code: "11200", more_info: "x", at_ms: 1000 });
  }
  const calls = await walk("/calls", "calls", 2);
  assert.deepEqual(calls.map((c) => c.call_sid).filter((c) => c.startsWith("CAwalk")), ["CAwalk3", "CAwalk1", "CAwalk4", "CAwalk2", "CAwalk0"]);
  assert.equal(new Set(calls.map((c) => c.call_sid)).size, calls.length);
  assert.equal((await walk("/debugger-events", "events", 3)).length, 5);
  // Sessions, oldest first.
  assert.equal((await api("PUT", acct("/pools/walk/settings"), { grace_secs: 0, low_water: 0 })).status, 200);
  const made = [];
  for (let i = 0; i < 3; i++) {
    const r = await api("POST", acct("/pools/walk/sessions"), { a: `+1415555080${i}`, b: `+1415555081${i}` });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    made.push(r.body.session.id);
  }
  assert.deepEqual((await walk("/pools/walk/sessions", "sessions", 2)).map((s) => s.id).sort(), made.sort());
  // A cursor belongs to its list and its account.
  const first = await api("GET", acct("/blocked?limit=1"));
  assert.ok(first.body.next_cursor);
  let r = await api("GET", acct(`/lines?cursor=${first.body.next_cursor}`));
  assert.deepEqual([r.status, r.body.field], [422, "cursor"]);
  r = await api("GET", `/accounts/${OTHER}/blocked?cursor=${first.body.next_cursor}`);
  assert.deepEqual([r.status, r.body.field], [422, "cursor"]);
});

const calls = () => recorder.requests.filter((q) => q.url.endsWith("/Calls.json"));

test("one Idempotency-Key, ten concurrent POSTs: one call placed, one answer for all", async () => {
  const key = "order-4711";
  const body = { to: "+14155550124", message: "Your order is ready." };
  const answers = await Promise.all(Array.from({ length: 10 }, () =>
    api("POST", acct("/calls"), body, { headers: { "Idempotency-Key": key } })));
  assert.deepEqual(answers.map((a) => a.status), Array(10).fill(201));
  for (const a of answers) assert.deepEqual(a.body, answers[0].body);
  assert.equal(calls().length, 1, "exactly one call at the carrier");
  assert.equal(answers.filter((a) => a.headers.get("idempotent-replayed") === "true").length, 9);
  const token = calls()[0].headers["i-twilio-idempotency-token"];
  assert.match(token, HEX32);

  // Finished: a repeat gets the first answer, marked, and places nothing.
  let r = await api("POST", acct("/calls"), { message: "Your order is ready.", to: "+14155550124" }, { headers: { "Idempotency-Key": key } });
  assert.deepEqual([r.status, r.body, r.headers.get("idempotent-replayed")], [201, answers[0].body, "true"]);
  assert.equal(calls().length, 1);
  // The same key with another body is refused.
  r = await api("POST", acct("/calls"), { ...body, message: "Another" }, { headers: { "Idempotency-Key": key } });
  assert.deepEqual([r.status, r.body.code, r.body.field], [422, "idempotency_key_reused", "Idempotency-Key"]);
  // Another route with the same key is another key.
  r = await api("POST", acct("/verifications"), { to: "+14155550124", channel: "sms" }, { headers: { "Idempotency-Key": key } });
  assert.equal(r.status, 201);
  // A bad key is refused before anything runs.
  for (const bad of ["x".repeat(256), "tab\there"]) {
    r = await api("POST", acct("/calls"), body, { headers: { "Idempotency-Key": bad } });
    assert.deepEqual([r.status, r.body.field], [422, "Idempotency-Key"]);
  }
  // Without a key, each POST is its own call, with its own carrier token.
  recorder.requests.length = 0;
  await api("POST", acct("/calls"), body);
  await api("POST", acct("/calls"), body);
  assert.equal(calls().length, 2);
  assert.notEqual(calls()[0].headers["i-twilio-idempotency-token"], calls()[1].headers["i-twilio-idempotency-token"]);
});

test("a refused or failed first request keeps nothing: the fixed retry with the same key runs", async () => {
  const key = "retry-me";
  let r = await api("POST", acct("/calls"), { to: "+14155550131" }, { headers: { "Idempotency-Key": key } });
  assert.equal(r.status, 400, "give exactly one of message, url, flow_sid");
  recorder.failWith(500);
  r = await api("POST", acct("/calls"), { to: "+14155550131", message: "hi" }, { headers: { "Idempotency-Key": key } });
  assert.equal(r.status, 502);
  recorder.succeed();
  r = await api("POST", acct("/calls"), { to: "+14155550131", message: "hi" }, { headers: { "Idempotency-Key": key } });
  assert.equal(r.status, 201);
  assert.equal(r.headers.get("idempotent-replayed"), null);
  const [failed, placed] = calls();
  assert.equal(failed.headers["i-twilio-idempotency-token"], placed.headers["i-twilio-idempotency-token"],
    "a retry carries the same carrier token");
});

test("a repeat while the first still runs answers 409 idempotency_in_progress", async () => {
  recorder.hang();
  const body = { a: "+14155550901", b: "+14155550902", notify: { a: "Your driver is on the way" } };
  assert.equal((await api("PUT", acct("/pools/slow/numbers/+14155550930"), {})).status, 200);
  const first = api("POST", acct("/pools/slow/sessions"), body, { headers: { "Idempotency-Key": "ride-1" } });
  while (recorder.requests.length === 0) await new Promise((r) => setTimeout(r, 20));
  const r = await api("POST", acct("/pools/slow/sessions"), body, { headers: { "Idempotency-Key": "ride-1" } });
  assert.deepEqual([r.status, r.body.code], [409, "idempotency_in_progress"]);
  recorder.succeed();
  const done = await first;
  assert.equal(done.status, 201);
  const again = await api("POST", acct("/pools/slow/sessions"), body, { headers: { "Idempotency-Key": "ride-1" } });
  assert.deepEqual([again.status, again.body.session.id], [201, done.body.session.id]);
});

test("the OpenAPI document is served without a token and lists every route", async () => {
  const r = await fetch(`${w.url}/api/v1/openapi.json`);
  assert.equal(r.status, 200);
  const doc = await r.json();
  assert.match(doc.openapi, /^3\.1\./);
  assert.ok(doc.paths["/api/v1/accounts/{AccountSid}/calls"].post.parameters.some((p) => p.name === "Idempotency-Key"));
  assert.ok(doc.components.schemas.ErrorBody);
  const ops = Object.values(doc.paths).flatMap((p) => Object.keys(p));
  assert.ok(ops.length >= 45);
});
