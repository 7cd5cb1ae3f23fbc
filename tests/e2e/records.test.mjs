// Call records end to end: the decision written when we answer, every leg's
// status callbacks (out of order, repeated) folded into one record in the
// account's CallLog object, Debugger events, paging, and tenants kept apart.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startWorker, SECRETS } from "./lib/harness.mjs";
import { post, callParams } from "../../scripts/twilio.mjs";

const A1 = "AC00000000000000000000000000000001";
const A2 = "AC00000000000000000000000000000002";
const LINE = "+14155550199", OWNER = "+14155550100", FRIEND = "+14155550101";
const T1 = SECRETS.TWILIO_AUTH_TOKEN, T2 = SECRETS.TWILIO_AUTH_TOKEN_AC00000000000000000000000000000002;
let w;

before(async () => { w = await startWorker(); });
after(async () => { await w?.stop(); });

let n = 0;
const sid = (prefix = "CA") => prefix + String(++n).padStart(32, "0");

async function api(path, { account = A1, token = SECRETS.ADMIN_TOKEN } = {}) {
  const r = await fetch(`${w.url}/api/v1/accounts/${account}${path}`, { headers: { Authorization: `Bearer ${token}` } });
  return { status: r.status, body: await r.json() };
}

// A status callback as Twilio sends it for a leg we dialled.
function status(callSid, seq, callStatus, extra = {}, { account = A1, leg = "owner_dial", token = T1 } = {}) {
  const params = Object.entries({
    AccountSid: account, CallSid: callSid, CallStatus: callStatus, Direction: "outbound-dial",
    From: LINE, To: OWNER, SequenceNumber: String(seq),
    Timestamp: `Sat, 21 Nov 2026 22:00:0${seq} +0000`, CallbackSource: "call-progress-events",
    ...extra,
  });
  return post(w.url, `/voice/status?leg=${leg}`, params, { token });
}

// The decision is written after the answer has gone: wait for it.
async function record(callSid, ready = (b) => b) {
  for (let i = 0; i < 50; i++) {
    const r = await api(`/calls/${callSid}`);
    if (r.status === 200 && ready(r.body)) return r.body;
    await new Promise((ok) => setTimeout(ok, 50));
  }
  throw new Error(`no record for ${callSid}`);
}

test("an answered call's record: our decision, then its leg's events in any order, each once", async () => {
  const parent = sid();
  const r = await post(w.url, "/voice/incoming", callParams({ CallSid: parent, From: FRIEND, To: LINE, StirVerstat: "TN-Validation-Passed-A" }), { token: T1 });
  assert.equal(r.status, 200);
  assert.match(await r.text(), /<Number statusCallback="\/voice\/status\?leg=owner_dial" statusCallbackEvent="initiated ringing answered completed" statusCallbackMethod="POST">/);
  const decided = await record(parent, (b) => b.decision);
  assert.deepEqual(decided.decision, { route: "voice/incoming", outcome: "connect", reason: "address_book" });
  assert.equal(decided.stir_verstat, "TN-Validation-Passed-A");
  assert.equal(decided.from, FRIEND, "numbers are kept whole in the store");

  // Twilio's events for the owner's leg, delivered out of order and twice.
  const child = sid();
  const leg = { ParentCallSid: parent };
  for (const [seq, s, extra] of [
    [0, "initiated", leg], [2, "in-progress", leg], [1, "ringing", leg],
    [3, "completed", { ...leg, CallDuration: "42", SipResponseCode: "200", AnsweredBy: "human" }],
    [3, "completed", { ...leg, CallDuration: "42", SipResponseCode: "200", AnsweredBy: "human" }],
    [2, "in-progress", leg],
  ]) {
    const resp = await status(child, seq, s, extra);
    assert.equal(resp.status, 200);
    assert.equal(await resp.text(), '<?xml version="1.0" encoding="UTF-8"?><Response/>');
  }
  const got = await api(`/calls/${child}`);
  assert.equal(got.status, 200);
  assert.deepEqual(got.body, {
    call_sid: child, parent_call_sid: parent, direction: "outbound-dial", from: LINE, to: OWNER,
    feature: "owner_dial", session: null, decision: null, stir_verstat: null,
    status: "completed", started_ms: Date.UTC(2026, 10, 21, 22, 0, 0), updated_ms: Date.UTC(2026, 10, 21, 22, 0, 3),
    duration_secs: 42, sip_response_code: 200, answered_by: "human", queue_time_ms: null,
    events: [
      { seq: 0, status: "initiated", at_ms: Date.UTC(2026, 10, 21, 22, 0, 0) },
      { seq: 1, status: "ringing", at_ms: Date.UTC(2026, 10, 21, 22, 0, 1) },
      { seq: 2, status: "in-progress", at_ms: Date.UTC(2026, 10, 21, 22, 0, 2) },
      { seq: 3, status: "completed", at_ms: Date.UTC(2026, 10, 21, 22, 0, 3) },
    ],
  });
  // The inbound leg's own status (the number's status callback): same record, no leg.
  const own = await post(w.url, "/voice/status", callParams({ CallSid: parent, From: FRIEND, To: LINE, CallStatus: "completed", SequenceNumber: "0", CallDuration: "45" }), { token: T1 });
  assert.equal(own.status, 200);
  const whole = await api(`/calls/${parent}`);
  assert.equal(whole.body.status, "completed");
  assert.equal(whole.body.duration_secs, 45);
  assert.equal(whole.body.decision.reason, "address_book", "the decision survives the status");
});

test("an unreadable or unsigned status is refused and stores nothing", async () => {
  const callSid = sid();
  let r = await status(callSid, 0, "dancing");
  assert.equal(r.status, 400);
  assert.match(await r.text(), /unreadable CallStatus/);
  r = await post(w.url, "/voice/status?leg=teleport", [["AccountSid", A1], ["CallSid", callSid], ["CallStatus", "ringing"]], { token: T1 });
  assert.equal(r.status, 400);
  r = await status(callSid, 0, "ringing", {}, { token: "not-the-token" });
  assert.equal(r.status, 403);
  // The leg named in the URL is signed: changing it breaks the signature.
  const params = [["AccountSid", A1], ["CallSid", callSid], ["CallStatus", "ringing"]];
  const { sign } = await import("../../scripts/twilio.mjs");
  const signature = sign(`${w.url}/voice/status?leg=owner_dial`, params, T1);
  r = await post(w.url, "/voice/status?leg=verification", params, { signature });
  assert.equal(r.status, 403);
  assert.equal((await api(`/calls/${callSid}`)).status, 404);
});

test("paging walks every record newest first, with no gap and no repeat", async () => {
  const mine = [];
  for (let i = 0; i < 23; i++) {
    const callSid = sid();
    mine.push(callSid);
    // Several share a time: the cursor orders by (time, sid).
    assert.equal((await status(callSid, 0, "initiated", { Timestamp: `Sun, 22 Nov 2026 10:00:${String(Math.floor(i / 4)).padStart(2, "0")} +0000` }, { leg: "outbound" })).status, 200);
  }
  const seen = [];
  let cursor = null, pages = 0;
  do {
    // To the owner: the first test's inbound call, decided at the real
    // clock's now, is not one of these whatever the date.
    const r = await api(`/calls?since=${Date.UTC(2026, 10, 22)}&to=${encodeURIComponent(OWNER)}&limit=5${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`);
    assert.equal(r.status, 200);
    seen.push(...r.body.calls.map((c) => [c.started_ms, c.call_sid]));
    cursor = r.body.next_cursor;
    pages++;
  } while (cursor);
  assert.equal(pages, 5);
  assert.deepEqual(seen.map(([, s]) => s).sort(), [...mine].sort());
  const sorted = [...seen].sort((a, b) => b[0] - a[0] || (b[1] < a[1] ? -1 : 1));
  assert.deepEqual(seen, sorted, "newest first");
  // Filters, and a bad one is named.
  const one = await api(`/calls?status=initiated&to=${encodeURIComponent(OWNER)}&limit=200&since=${Date.UTC(2026, 10, 22)}`);
  assert.equal(one.body.calls.length, 23);
  assert.deepEqual((await api("/calls?limit=501")).body.code, "invalid");
  assert.deepEqual((await api("/calls?cursor=nope")).body.code, "invalid");
  assert.deepEqual((await api("/calls?colour=red")).status, 400);
});

test("a tenant never sees another's records", async () => {
  const theirs = sid();
  assert.equal((await status(theirs, 0, "initiated", {}, { account: A2, token: T2 })).status, 200);
  // A2's callback signed with A1's token is refused: the account picks the key.
  assert.equal((await status(sid(), 0, "initiated", {}, { account: A2, token: T1 })).status, 403);
  const create = await fetch(`${w.url}/api/v1/accounts/${A1}/tokens`, {
    method: "POST", headers: { Authorization: `Bearer ${SECRETS.ADMIN_TOKEN}`, "Content-Type": "application/json" },
    body: JSON.stringify({ scope: "read" }),
  });
  const a1 = (await create.json()).token;
  assert.equal((await api(`/calls/${theirs}`, { account: A2, token: a1 })).status, 404);
  assert.equal((await api(`/calls`, { account: A2, token: a1 })).status, 404);
  assert.equal((await api(`/calls/${theirs}`, { token: a1 })).status, 404, "not in A1's log either");
  assert.equal((await api(`/calls/${theirs}`, { account: A2 })).body.call_sid, theirs);
});

test("debugger events are verified with their account's token and kept once", async () => {
  const event = (sidValue, code) => [
    ["AccountSid", A2], ["Sid", sidValue], ["Level", "ERROR"], ["Timestamp", "2026-11-21T22:00:05Z"],
    ["PayloadType", "application/json"], ["Payload", JSON.stringify({ resource_sid: "CA1", error_code: code, more_info: {} })],
  ];
  assert.equal((await post(w.url, "/twilio/debugger", event("NO1", "11200"), { token: T1 })).status, 403);
  for (const [s, code] of [["NO1", "11200"], ["NO1", "11200"], ["NO2", "11200"], ["NO3", "13227"]]) {
    assert.equal((await post(w.url, "/twilio/debugger", event(s, code), { token: T2 })).status, 200);
  }
  assert.equal((await post(w.url, "/twilio/debugger", event("NO4", "<script>"), { token: T2 })).status, 400);
  const r = await api("/debugger-events", { account: A2 });
  assert.equal(r.status, 200);
  assert.deepEqual(r.body.events.map((e) => e.sid).sort(), ["NO1", "NO2", "NO3"]);
  assert.deepEqual(r.body.by_code, [{ code: "11200", count: 2 }, { code: "13227", count: 1 }]);
  assert.equal(r.body.events[0].more_info, "https://www.twilio.com/docs/errors/13227");
  assert.deepEqual((await api("/debugger-events")).body.events, [], "A1 has none");
});
