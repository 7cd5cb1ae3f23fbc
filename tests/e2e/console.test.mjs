// What the console stands on, end to end: its page served through the
// calls worker with its headers, and the API routes it reads that no other
// client needed before (the account's pools, a line's counted callers, a
// voicemail's recording), each a page at a time and each kept to its account.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startWorker, SECRETS } from "./lib/harness.mjs";
import { startRecorder } from "./lib/recorder.mjs";
import { wav } from "./lib/wav.mjs";
import { post, callParams } from "../../scripts/twilio.mjs";
import { CSP } from "../../scripts/console.mjs";

const A1 = "AC00000000000000000000000000000001";
const A2 = "AC00000000000000000000000000000002";
const ADA = "+14155550199";
let w, recorder, a1Token;

before(async () => {
  recorder = await startRecorder();
  w = await startWorker({ vars: { TWILIO_API_BASE: recorder.url } });
  a1Token = (await api("POST", `/accounts/${A1}/tokens`, { scope: "read" })).body.token;
});
after(async () => { await w?.stop(); await recorder?.stop(); });

async function api(method, path, body, token = SECRETS.ADMIN_TOKEN) {
  const headers = { Authorization: `Bearer ${token}` };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const r = await fetch(`${w.url}/api/v1${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: r.status, body: await r.json() };
}

test("the console is served through the calls worker with a strict CSP header", async () => {
  let r = await fetch(`${w.url}/console`, { redirect: "manual" });
  assert.equal(r.status, 307);
  assert.equal(r.headers.get("location"), "/console/");
  for (const path of ["/console/", "/console/app.js", "/console/app.css"]) {
    r = await fetch(w.url + path);
    assert.equal(r.status, 200, path);
    assert.equal(r.headers.get("content-security-policy"), CSP, path);
    assert.equal(r.headers.get("x-content-type-options"), "nosniff");
    assert.equal(r.headers.get("x-frame-options"), "DENY");
    const text = await r.text();
    if (path.endsWith("/")) {
      assert.match(text, /<script type="module" src="app.js"><\/script>/);
      assert.doesNotMatch(text, /<script>|<style|\sstyle=|\son[a-z]+=/i, "no inline script, style or handler");
    }
  }
  assert.match(CSP, /default-src 'self'/);
  assert.doesNotMatch(CSP, /unsafe-inline|unsafe-eval|https?:/);
  // The build's own rules are not a page; a missing file is the worker's 404.
  assert.equal((await fetch(`${w.url}/_headers`)).status, 404);
  assert.equal((await fetch(`${w.url}/console/nothing.js`)).status, 404);
  // A request that reaches the admin worker itself, past the assets'
  // router, is handed to the assets: the same page, the same headers.
  const admin = await w.mf.getWorker("switchboard-admin");
  r = await admin.fetch("http://admin.internal/console/");
  assert.equal(r.status, 200);
  assert.equal(r.headers.get("content-security-policy"), CSP);
  assert.match(await r.text(), /<script type="module" src="app.js"><\/script>/);
  assert.equal((await admin.fetch("http://admin.internal/console/nothing.js")).status, 404);
  assert.equal((await admin.fetch("http://admin.internal/health")).status, 200);
});

test("GET …/pools lists the account's pools, a page at a time", async () => {
  for (const name of ["bikes", "rides", "vans"])
    assert.equal((await api("PUT", `/accounts/${A1}/pools/${name}/settings`, { grace_secs: 0, low_water: 1 })).status, 200);
  assert.equal((await api("PUT", `/accounts/${A2}/pools/theirs/settings`, { grace_secs: 0, low_water: 1 })).status, 200);
  let r = await api("GET", `/accounts/${A1}/pools?limit=2`);
  assert.equal(r.status, 200);
  assert.deepEqual(r.body.pools, [{ name: "bikes" }, { name: "rides" }]);
  assert.equal(typeof r.body.next_cursor, "string");
  r = await api("GET", `/accounts/${A1}/pools?limit=2&cursor=${encodeURIComponent(r.body.next_cursor)}`);
  assert.deepEqual(r.body, { pools: [{ name: "vans" }], next_cursor: null });
  r = await api("GET", `/accounts/${A1}/pools`);
  assert.deepEqual(r.body, { pools: [{ name: "bikes" }, { name: "rides" }, { name: "vans" }], next_cursor: null });
  // An account token sees its own, and another account's path is no route.
  assert.deepEqual((await api("GET", `/accounts/${A1}/pools`, undefined, a1Token)).body.pools.length, 3);
  assert.deepEqual(await api("GET", `/accounts/${A2}/pools`, undefined, a1Token), { status: 404, body: { error: "no such API route", code: "no_route" } });
  assert.deepEqual((await api("GET", `/accounts/${A2}/pools`)).body.pools, [{ name: "theirs" }]);
  // Bad paging is a clear 4xx.
  assert.deepEqual((await api("GET", `/accounts/${A1}/pools?limit=0`)).body, { error: "limit: 1 to 200", code: "invalid", field: "limit" });
  assert.equal((await api("GET", `/accounts/${A1}/pools?limit=9999`)).status, 422);
  assert.equal((await api("GET", `/accounts/${A1}/pools?colour=red`)).status, 400);
  assert.equal((await api("GET", `/accounts/${A1}/pools?cursor=`)).body.code, "invalid");
});

test("GET …/lines/{To}/graylist lists the callers a line counts, and a reset takes one off", async () => {
  const callers = ["+12125550301", "+12125550302", "+12125550303"];
  for (const [i, from] of callers.entries()) {
    const r = await post(w.url, "/voice/incoming", callParams({ CallSid: `CA${String(900 + i).padStart(32, "0")}`, From: from, To: ADA }), { token: SECRETS.TWILIO_AUTH_TOKEN });
    assert.match(await r.text(), /<Gather /, "an unknown caller is challenged and counted");
  }
  let r = await api("GET", `/accounts/${A1}/lines/${encodeURIComponent(ADA)}/graylist?limit=2`);
  assert.equal(r.status, 200);
  assert.deepEqual(r.body.graylist, callers.slice(0, 2).map((number) => ({ number, unanswered: 1, failed: 0 })));
  const rest = await api("GET", `/accounts/${A1}/lines/${encodeURIComponent(ADA)}/graylist?limit=2&cursor=${encodeURIComponent(r.body.next_cursor)}`);
  assert.deepEqual(rest.body, { graylist: [{ number: callers[2], unanswered: 1, failed: 0 }], next_cursor: null });
  assert.equal((await api("DELETE", `/accounts/${A1}/lines/${ADA}/graylist/${callers[0]}`)).status, 200);
  r = await api("GET", `/accounts/${A1}/lines/${ADA}/graylist`);
  assert.deepEqual(r.body.graylist.map((g) => g.number), callers.slice(1));
  // Counters back at zero count nobody.
  await w.kv.put(`gray:${A1}:${ADA}:+12125550304`, JSON.stringify({ unanswered: 0, failed: 0, applied: ["CA1:passed"] }));
  assert.deepEqual((await api("GET", `/accounts/${A1}/lines/${ADA}/graylist`)).body.graylist.map((g) => g.number), callers.slice(1));
  assert.equal((await api("GET", `/accounts/${A2}/lines/${ADA}/graylist`, undefined, a1Token)).status, 404);
  assert.equal((await api("GET", `/accounts/${A2}/lines/${ADA}/graylist`)).body.graylist.length, 0, "another account's line of the same number counts nobody");
  assert.equal((await api("GET", `/accounts/${A1}/lines/${ADA}/graylist?limit=101`)).body.error, "limit: 1 to 100");
});

test("GET …/voicemails/{CallSid}/recording hands on the message's audio from Twilio, with the account's credentials", async () => {
  const callSid = "CA" + "7".repeat(32), rec = "RE" + "a".repeat(32);
  const audio = wav(0.5);
  recorder.serve(`/2010-04-01/Accounts/${A1}/Recordings/${rec}.mp3`, audio, "audio/wav");
  const r0 = await post(w.url, "/voice/voicemail", callParams({
    CallSid: callSid, From: "+12125550310", To: ADA, RecordingUrl: `https://api.twilio.com/2010-04-01/Accounts/${A1}/Recordings/${rec}`,
    RecordingSid: rec, RecordingDuration: "1",
  }), { token: SECRETS.TWILIO_AUTH_TOKEN });
  assert.equal(r0.status, 200);
  recorder.requests.length = 0;
  const r = await fetch(`${w.url}/api/v1/accounts/${A1}/voicemails/${callSid}/recording`, { headers: { Authorization: `Bearer ${a1Token}` } });
  assert.equal(r.status, 200);
  assert.equal(r.headers.get("content-type"), "audio/wav");
  assert.equal(r.headers.get("cache-control"), "private, no-store");
  assert.deepEqual(Buffer.from(await r.arrayBuffer()), audio);
  assert.equal(recorder.requests.length, 1);
  assert.equal(recorder.requests[0].headers.authorization, "Basic " + Buffer.from(`${A1}:${SECRETS.TWILIO_AUTH_TOKEN}`).toString("base64"));
  // Only a message this account stored names a recording; anything else is 404.
  assert.equal((await api("GET", `/accounts/${A1}/voicemails/CA${"8".repeat(32)}/recording`)).body.code, "not_found");
  assert.equal((await api("GET", `/accounts/${A1}/voicemails/nope/recording`)).status, 404);
  assert.equal((await api("GET", `/accounts/${A2}/voicemails/${callSid}/recording`)).status, 404);
  assert.deepEqual(await api("GET", `/accounts/${A2}/voicemails/${callSid}/recording`, undefined, a1Token), { status: 404, body: { error: "no such API route", code: "no_route" } });
  assert.equal((await api("GET", `/accounts/${A1}/voicemails/${callSid}/recording?via=elsewhere`)).body.field, "via");
  // Twilio's refusal is the upstream's, said so.
  recorder.serve(`/2010-04-01/Accounts/${A1}/Recordings/${rec}.mp3`, null);
  recorder.failWith(404);
  const gone = await api("GET", `/accounts/${A1}/voicemails/${callSid}/recording`);
  assert.equal(recorder.requests.length, 2);
  assert.deepEqual([gone.status, gone.body.code], [502, "upstream"]);
});
