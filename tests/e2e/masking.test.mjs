// Number masking end to end: pools and sessions through the API and the
// pool's Durable Object, calls and texts through proxy numbers on Twilio and
// MessageBird, and many sessions created at once.
import { test, before, after, beforeEach } from "node:test";
import assert from "node:assert/strict";
import { startWorker, SECRETS, leg } from "./lib/harness.mjs";
import { startRecorder } from "./lib/recorder.mjs";
import { post, callParams } from "../../scripts/twilio.mjs";
import { signJwt } from "../../scripts/messagebird.mjs";

const DECL = '<?xml version="1.0" encoding="UTF-8"?>';
const ACCOUNT = "AC00000000000000000000000000000001";
const token = SECRETS.TWILIO_AUTH_TOKEN;
const UNKNOWN = "Sorry, we cannot identify your transaction. Make sure you call in from the number you registered.";
const EXPIRED = "Sorry, this connection has ended. Please contact us through the app.";
const ADA = "+14155550401", BOB = "+14155550402", EVE = "+14155550403";
let w, recorder;

before(async () => {
  recorder = await startRecorder();
  w = await startWorker({ vars: { TWILIO_API_BASE: recorder.url, MESSAGEBIRD_API_BASE: recorder.url } });
});
after(async () => { await w?.stop(); await recorder?.stop(); });
beforeEach(() => { recorder.requests.length = 0; recorder.succeed(); });

async function api(method, path, body) {
  const r = await fetch(`${w.url}/api/v1/accounts/${ACCOUNT}/pools${path}`, {
    method, headers: { Authorization: `Bearer ${SECRETS.ADMIN_TOKEN}`, "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: r.status, body: await r.json() };
}

async function pool(name, numbers, settings = {}) {
  for (const [n, market] of numbers) assert.equal((await api("PUT", `/${name}/numbers/${encodeURIComponent(n)}`, market ? { market } : {})).status, 200);
  assert.equal((await api("PUT", `/${name}/settings`, { grace_secs: 0, low_water: 1, ...settings })).status, 200);
}

async function voice(from, proxy) {
  const r = await post(w.url, "/voice/proxy", callParams({ From: from, To: proxy }), { token });
  assert.equal(r.status, 200);
  return (await r.text()).replace(DECL, "");
}

async function sms(from, proxy, body) {
  const r = await post(w.url, "/sms/proxy", [["AccountSid", ACCOUNT], ["MessageSid", "SM1"], ["From", from], ["To", proxy], ["Body", body]], { token });
  assert.equal(r.status, 200);
  return (await r.text()).replace(DECL, "");
}

test("a session bridges both parties through its proxy; strangers hear the guide's message", async () => {
  await pool("rides", [["+14155550301"], ["+14155550302"]], { announce: "Connecting you with {name}", grace_secs: 600 });
  const r = await api("POST", "/rides/sessions", { a: ADA, b: "+1 (415) 555-0402", ttl_secs: 3600, labels: { a_name: "Ada", b_name: "Bob" } });
  assert.equal(r.status, 201);
  const s = r.body.session;
  assert.match(s.id, /^KS[0-9a-f]{32}$/);
  assert.deepEqual([s.a, s.b], [ADA, BOB]);
  assert.ok(["+14155550301", "+14155550302"].includes(s.proxy));
  assert.equal(s.expires_at_ms - s.created_at_ms, 3_600_000);

  assert.equal(await voice(ADA, s.proxy),
    `<Response><Say>Connecting you with Bob</Say><Dial callerId="${s.proxy}" timeout="30"><Number ${leg("masked_bridge", s.id)}>${BOB}</Number></Dial></Response>`);
  assert.equal(await voice(BOB, s.proxy),
    `<Response><Say>Connecting you with Ada</Say><Dial callerId="${s.proxy}" timeout="30"><Number ${leg("masked_bridge", s.id)}>${ADA}</Number></Dial></Response>`);
  assert.equal(await voice(EVE, s.proxy),
    `<Response><Say language="en-GB" voice="female">${UNKNOWN}</Say><Hangup/></Response>`);
  assert.equal(await voice("anonymous", s.proxy),
    `<Response><Say language="en-GB" voice="female">${UNKNOWN}</Say><Hangup/></Response>`);

  assert.equal(await sms(ADA, s.proxy, "I'm outside"), `<Response><Message from="${s.proxy}" to="${BOB}">I&apos;m outside</Message></Response>`);
  assert.equal(await sms(BOB, s.proxy, "Coming!"), `<Response><Message from="${s.proxy}" to="${ADA}">Coming!</Message></Response>`);
  assert.equal(await sms(EVE, s.proxy, "hi"), "<Response/>");

  // The index the call path reads: one key per (proxy, party).
  assert.ok(await w.kv.get(`proxy:${s.proxy}:${ADA}`));
  const listed = await api("GET", "/rides/sessions");
  assert.deepEqual(listed.body.sessions.map((x) => x.id), [s.id]);
});

test("a session can text both parties from the proxy number on creation", async () => {
  await pool("notify", [["+14155550311"]]);
  const r = await api("POST", "/notify/sessions", { a: ADA, b: BOB, notify: { a: "Bob will pick you up at 8", b: "Pick up Ada at 8" } });
  assert.equal(r.status, 201);
  assert.deepEqual(r.body.notified, { a: true, b: true });
  const bodies = recorder.requests.map((q) => Object.fromEntries(new URLSearchParams(q.body)));
  assert.deepEqual(bodies, [
    { To: ADA, From: "+14155550311", Body: "Bob will pick you up at 8" },
    { To: BOB, From: "+14155550311", Body: "Pick up Ada at 8" },
  ]);
  await api("POST", `/notify/sessions/${r.body.session.id}/end`);
});

test("an ended session stays reachable in its grace period, then says it has ended", async () => {
  await pool("graceful", [["+14155550321"]], { grace_secs: 3600 });
  let s = (await api("POST", "/graceful/sessions", { a: ADA, b: BOB })).body.session;
  const ended = await api("POST", `/graceful/sessions/${s.id}/end`);
  assert.equal(ended.status, 200);
  assert.match(await voice(ADA, s.proxy), /<Dial /, "in grace: still connected");

  await pool("strict", [["+14155550322"]], { grace_secs: 0 });
  s = (await api("POST", "/strict/sessions", { a: ADA, b: BOB })).body.session;
  await api("POST", `/strict/sessions/${s.id}/end`);
  assert.equal(await voice(ADA, s.proxy), `<Response><Say language="en-GB" voice="female">${EXPIRED}</Say><Hangup/></Response>`);
  assert.equal(await sms(ADA, s.proxy, "hello?"), "<Response/>");
  // The number is free again for the same parties.
  const again = await api("POST", "/strict/sessions", { a: ADA, b: BOB });
  assert.equal(again.status, 201);
  assert.equal(again.body.session.proxy, "+14155550322");
});

test("a session past its TTL says it has ended; the message is the deployment's", async () => {
  await pool("ttl", [["+14155550323"]], { grace_secs: 0 });
  const s = (await api("POST", "/ttl/sessions", { a: ADA, b: BOB, ttl_secs: 1 })).body.session;
  assert.match(await voice(BOB, s.proxy), /<Dial /);
  await new Promise((r) => setTimeout(r, 1100));
  assert.equal(await voice(BOB, s.proxy), `<Response><Say language="en-GB" voice="female">${EXPIRED}</Say><Hangup/></Response>`);
  const custom = await startWorker({ vars: { MASKING_UNKNOWN_MESSAGE: "Wrong number & goodbye." } });
  try {
    const r = await post(custom.url, "/voice/proxy", callParams({ From: EVE, To: "+14155550323" }), { token });
    assert.equal(await r.text(), `${DECL}<Response><Say language="en-GB" voice="female">Wrong number &amp; goodbye.</Say><Hangup/></Response>`);
  } finally {
    await custom.stop();
  }
});

test("a small pool is exhausted with a 409 that says how much to grow it", async () => {
  await pool("tiny", [["+14155550331"], ["+14155550332"]]);
  assert.equal((await api("POST", "/tiny/sessions", { a: ADA, b: "+14155550501" })).status, 201);
  assert.equal((await api("POST", "/tiny/sessions", { a: ADA, b: "+14155550502" })).status, 201);
  const r = await api("POST", "/tiny/sessions", { a: ADA, b: "+14155550503" });
  assert.equal(r.status, 409);
  assert.deepEqual(r.body, {
    error: "No proxy number available for this pair: all 2 usable numbers already connect one of these parties. Grow the pool by at least 1 number.",
    code: "pool_exhausted", usable: 2, short_by: 1,
  });
  // Unrelated parties reuse the same numbers.
  assert.equal((await api("POST", "/tiny/sessions", { a: "+14155550601", b: "+14155550602" })).status, 201);
  const report = await api("GET", `/tiny/report?a=${encodeURIComponent(ADA)}&b=${encodeURIComponent("+14155550504")}`);
  assert.equal(report.status, 200);
  assert.equal(report.body.size, 2);
  assert.equal(report.body.live_sessions, 3);
  assert.equal(report.body.free_for_pair, 0);
  assert.equal(report.body.low, true);
});

test("a draining number finishes its sessions and gets no new ones", async () => {
  await pool("drain", [["+14155550341"], ["+14155550342"]]);
  const s = (await api("POST", "/drain/sessions", { a: ADA, b: BOB })).body.session;
  const d = await api("DELETE", `/drain/numbers/${encodeURIComponent(s.proxy)}`);
  assert.deepEqual(d.body, { removed: false, draining: true });
  assert.match(await voice(ADA, s.proxy), /<Dial /, "live sessions finish");
  const other = (await api("POST", "/drain/sessions", { a: "+14155550611", b: "+14155550612" })).body.session;
  assert.notEqual(other.proxy, s.proxy);
});

test("many sessions created at the same moment never break the rule", async () => {
  const numbers = Array.from({ length: 8 }, (_, i) => [`+1415555036${i}`]);
  await pool("burst", numbers);
  // 24 sessions at once, all involving the same driver: at most 8 can exist.
  const riders = Array.from({ length: 24 }, (_, i) => `+141555507${String(i).padStart(2, "0")}`);
  const results = await Promise.all(riders.map((rider) => api("POST", "/burst/sessions", { a: "+14155550799", b: rider })));
  const created = results.filter((r) => r.status === 201).map((r) => r.body.session);
  const refused = results.filter((r) => r.status === 409);
  assert.equal(created.length, 8);
  assert.equal(refused.length, 16);
  assert.equal(new Set(created.map((s) => s.proxy)).size, 8, "no proxy twice for the driver");
  // And a second burst of disjoint pairs shares the numbers freely.
  const pairs = Array.from({ length: 16 }, (_, i) => [`+141555508${String(i).padStart(2, "0")}`, `+141555509${String(i).padStart(2, "0")}`]);
  const second = await Promise.all(pairs.map(([a, b]) => api("POST", "/burst/sessions", { a, b })));
  assert.ok(second.every((r) => r.status === 201));
  const live = (await api("GET", "/burst/sessions")).body.sessions;
  assert.equal(live.length, 24);
  const seen = new Set();
  for (const s of live) for (const p of [s.a, s.b]) {
    const k = `${s.proxy}|${p}`;
    assert.ok(!seen.has(k), `party ${p} twice on ${s.proxy}`);
    seen.add(k);
  }
});

test("the sessions list holds live and in-grace sessions, each with its state, and filters by it", async () => {
  await pool("states", [["+14155550381"], ["+14155550382"]], { grace_secs: 600 });
  const one = (await api("POST", "/states/sessions", { a: ADA, b: BOB })).body.session;
  const two = (await api("POST", "/states/sessions", { a: ADA, b: EVE })).body.session;
  assert.equal((await api("POST", `/states/sessions/${one.id}/end`, {})).status, 200);
  const listed = async (q = "") => (await api("GET", `/states/sessions${q}`)).body;
  const all = await listed();
  assert.deepEqual(all.sessions.map((s) => [s.id, s.state]), [[one.id, "grace"], [two.id, "live"]]);
  assert.equal(all.sessions[1].proxy, two.proxy, "each session with its own fields");
  assert.deepEqual((await listed("?state=live")).sessions.map((s) => s.id), [two.id]);
  assert.deepEqual((await listed("?state=grace")).sessions.map((s) => s.id), [one.id]);
  // Paged with the filter: one at a time, no gap, no repeat.
  const first = await listed("?limit=1");
  assert.deepEqual(first.sessions.map((s) => s.id), [one.id]);
  assert.deepEqual((await listed(`?limit=1&cursor=${encodeURIComponent(first.next_cursor)}`)).sessions.map((s) => s.id), [two.id]);
  assert.deepEqual(await api("GET", "/states/sessions?state=closed"), { status: 422, body: {
    error: "state: live or grace (closed sessions are not kept)", code: "invalid", field: "state",
  } });
  assert.equal((await api("GET", "/states/sessions?colour=red")).status, 400);
});

test("a pool is deleted only once it is empty; then it is gone from the list and the watch's registry", async () => {
  await pool("gone", [["+14155550391"]], { grace_secs: 0 });
  const s = (await api("POST", "/gone/sessions", { a: ADA, b: BOB })).body.session;
  const del = () => api("DELETE", "/gone");
  const listed = async () => (await api("GET", "?limit=500")).body.pools.map((p) => p.name);
  assert.deepEqual(await del(), { status: 409, body: {
    error: "The pool still has 1 number(s) and 1 live or in-grace session(s): end the sessions and remove the numbers first.",
    code: "pool_not_empty", numbers: 1, sessions: 1,
  } });
  assert.ok((await listed()).includes("gone"), "refused: still listed");
  assert.equal(await w.kv.get(`pool:${ACCOUNT}:gone`), "", "and still in the registry");
  assert.equal(await voice(ADA, "+14155550391"), `<Response><Dial callerId="+14155550391" timeout="30"><Number ${leg("masked_bridge", s.id)}>${BOB}</Number></Dial></Response>`, "and still bridges");
  assert.equal((await api("POST", `/gone/sessions/${s.id}/end`, {})).status, 200);
  let r = await del();
  assert.equal(r.status, 409);
  assert.deepEqual([r.body.numbers, r.body.sessions], [1, 0]);
  assert.equal((await api("DELETE", `/gone/numbers/${encodeURIComponent("+14155550391")}`)).status, 200);
  assert.deepEqual(await del(), { status: 200, body: { deleted: true } });
  assert.ok(!(await listed()).includes("gone"));
  assert.equal(await w.kv.get(`pool:${ACCOUNT}:gone`), null);
  // Its number is free for another pool; deleting again finds nothing.
  assert.equal((await api("PUT", `/other/numbers/${encodeURIComponent("+14155550391")}`, {})).status, 200);
  assert.deepEqual(await del(), { status: 200, body: { deleted: false } });
  assert.equal((await api("GET", "/gone/numbers")).body.numbers.length, 0);
  // A pool's name is its account's: another account deleting "other" deletes
  // its own (nothing), not this one.
  const theirs = await fetch(`${w.url}/api/v1/accounts/AC00000000000000000000000000000002/pools/other`, { method: "DELETE", headers: { Authorization: `Bearer ${SECRETS.ADMIN_TOKEN}` } });
  assert.deepEqual([theirs.status, await theirs.json()], [200, { deleted: false }]);
  assert.ok((await listed()).includes("other"));
  assert.equal((await api("GET", "/other/numbers")).body.numbers.length, 1);
});

// A call's record, once the worker has written it after answering.
async function callRecord(id, { account = ACCOUNT } = {}) {
  for (let i = 0; i < 50; i++) {
    const r = await fetch(`${w.url}/api/v1/accounts/${account}/calls/${id}`, { headers: { Authorization: `Bearer ${SECRETS.ADMIN_TOKEN}` } });
    if (r.status === 200) return r.json();
    await new Promise((ok) => setTimeout(ok, 50));
  }
  return null;
}

test("MessageBird: a verified call-flow fetch transfers masked, and the call gets its record; a stranger hears the message", async () => {
  await pool("birdcar", [["+31610000001"]], { carrier: "messagebird" });
  const s = (await api("POST", "/birdcar/sessions", { a: "+31612345678", b: "+31687654321" })).body.session;
  const fetchFlow = async (source, { key = SECRETS.MESSAGEBIRD_SIGNING_KEY, sign = true, callID = "c1" } = {}) => {
    const url = `${w.url}/messagebird/voice?callID=${callID}&destination=31610000001&source=${source}`;
    const headers = sign ? { "MessageBird-Signature-JWT": signJwt(key, url) } : {};
    const r = await fetch(url, { headers });
    return { status: r.status, type: r.headers.get("content-type"), body: await r.text() };
  };
  const first = "f1aa71c0-8f2a-4fe8-b5ef-9a330454ef58", second = "0b2c3d4e-5f60-4718-8293-a4b5c6d7e8f9";
  let r = await fetchFlow("31612345678", { callID: first });
  assert.deepEqual(r, { status: 200, type: "application/xml", body: `${DECL}<Transfer destination="31687654321" mask="true"/>` });
  r = await fetchFlow("31687654321", { callID: second });
  assert.equal(r.body, `${DECL}<Transfer destination="31612345678" mask="true"/>`);
  // Each call's record is in the session's account, numbers whole, as a
  // Twilio masked call's is.
  const one = await callRecord(first);
  assert.ok(one, "the first call has a record");
  assert.equal(one.call_sid, first);
  assert.deepEqual([one.from, one.to, one.direction, one.feature], ["+31612345678", "+31610000001", "inbound", "inbound"]);
  assert.deepEqual(one.decision, { route: "messagebird/voice", outcome: "connect", reason: "connect" });
  assert.equal(one.stir_verstat ?? null, null, "MessageBird gives no SHAKEN/STIR verdict");
  assert.equal((await callRecord(second))?.from, "+31687654321");
  // The call log lists them, and pages through MessageBird's ids.
  const listed = await fetch(`${w.url}/api/v1/accounts/${ACCOUNT}/calls?to=${encodeURIComponent("+31610000001")}&limit=1`, { headers: { Authorization: `Bearer ${SECRETS.ADMIN_TOKEN}` } }).then((x) => x.json());
  assert.equal(listed.calls.length, 1);
  const next = await fetch(`${w.url}/api/v1/accounts/${ACCOUNT}/calls?to=${encodeURIComponent("+31610000001")}&limit=1&cursor=${encodeURIComponent(listed.next_cursor)}`, { headers: { Authorization: `Bearer ${SECRETS.ADMIN_TOKEN}` } }).then((x) => x.json());
  assert.deepEqual([...listed.calls, ...next.calls].map((c) => c.call_sid).sort(), [first, second].sort());
  // Nobody's: a stranger's call (no session names its account), a callID
  // that is not MessageBird's, a fetch that was refused.
  const stranger = "1a2b3c4d-0000-4000-8000-000000000001";
  r = await fetchFlow("Restricted", { callID: stranger });
  assert.equal(r.body, `${DECL}<Say language="en-GB" voice="female">${UNKNOWN}</Say>`);
  assert.equal((await fetchFlow("31612345678", { callID: "c1" })).status, 200);
  // Nor can MessageBird's request name a Twilio call's record.
  const twilioLike = "CA" + "9".repeat(32);
  assert.equal((await fetchFlow("31612345678", { callID: twilioLike })).status, 200);
  const refused = "1a2b3c4d-0000-4000-8000-000000000002";
  assert.equal((await fetchFlow("31612345678", { sign: false, callID: refused })).status, 403);
  r = await fetchFlow("31612345678", { key: "wrong", callID: refused });
  assert.equal(r.status, 403);
  assert.equal(r.body, "invalid jwt: signature is invalid\n");
  for (const id of [stranger, refused, twilioLike]) assert.equal(await callRecord(id), null, `no record for ${id}`);
  const all = await fetch(`${w.url}/api/v1/accounts/${ACCOUNT}/calls?to=${encodeURIComponent("+31610000001")}&limit=50`, { headers: { Authorization: `Bearer ${SECRETS.ADMIN_TOKEN}` } }).then((x) => x.json());
  assert.equal(all.calls.length, 2, "only the two known callers' calls");
  // Another account's token never reaches them.
  assert.equal((await fetch(`${w.url}/api/v1/accounts/AC00000000000000000000000000000002/calls/${first}`, { headers: { Authorization: `Bearer ${SECRETS.ADMIN_TOKEN}` } })).status, 404);
  assert.ok(s.id);
});

test("MessageBird: a text is relayed through MessageBird's REST API", async () => {
  const url = `${w.url}/messagebird/sms`;
  const body = new URLSearchParams({ originator: "31612345678", recipient: "31610000001", payload: "Where are you?" }).toString();
  const r = await fetch(url, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded", "MessageBird-Signature-JWT": signJwt(SECRETS.MESSAGEBIRD_SIGNING_KEY, url, body) },
    body,
  });
  assert.equal(r.status, 200);
  assert.equal(recorder.requests.length, 1);
  const sent = recorder.requests[0];
  assert.equal(sent.url, "/messages");
  assert.equal(sent.headers.authorization, `AccessKey ${SECRETS.MESSAGEBIRD_ACCESS_KEY}`);
  assert.deepEqual(JSON.parse(sent.body), { originator: "31610000001", recipients: ["31687654321"], body: "Where are you?" });
});
