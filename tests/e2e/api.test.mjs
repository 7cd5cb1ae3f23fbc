// The management API and the simulator, end to end.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startWorker, SECRETS, leg } from "./lib/harness.mjs";

const ACCOUNT = "AC00000000000000000000000000000001";
const ADA = "+14155550199";
let w;
before(async () => { w = await startWorker(); });
after(async () => { await w?.stop(); });

async function api(method, path, body, { token = SECRETS.ADMIN_TOKEN, type = "application/json" } = {}) {
  const headers = { Authorization: `Bearer ${token}` };
  if (body !== undefined) headers["Content-Type"] = type;
  const r = await fetch(`${w.url}/api/v1${path}`, {
    method, headers, body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
  });
  assert.equal(r.headers.get("content-type"), "application/json");
  return { status: r.status, body: await r.json() };
}
const acct = (p) => `/accounts/${ACCOUNT}${p}`;

test("without the bearer token nothing is read or written", async () => {
  const before = await w.snapshot();
  assert.deepEqual(await api("GET", acct("/lines"), undefined, { token: "nope" }),
    { status: 401, body: { error: "missing or wrong bearer token", code: "unauthorized" } });
  assert.equal((await api("PUT", acct(`/lines/${ADA}`), { owner: { targets: [] } }, { token: "" })).status, 401);
  assert.deepEqual(await w.snapshot(), before);
});

test("lines: create, read, list, reject a bad update whole, delete", async () => {
  const line = "+14155550144";
  const config = { owner: { targets: [{ client: "bob" }] }, withheld: "reject" };
  let r = await api("PUT", acct(`/lines/${encodeURIComponent(line)}`), config);
  assert.equal(r.status, 200);
  assert.equal(r.body.withheld, "reject");
  assert.equal(r.body.challenge.digits, 3, "defaults are filled in");
  r = await api("GET", acct(`/lines/${line}`));
  assert.deepEqual(r.body.owner, { targets: [{ client: "bob" }], ring: "together", timeout_secs: 20, caller_id: "caller", record: false });
  r = await api("GET", acct("/lines"));
  assert.deepEqual(r.body.lines.sort(), ["+14155550144", "+14155550188", "+14155550199"]);

  const before = await w.kv.get(`line:${ACCOUNT}:${line}`);
  r = await api("PUT", acct(`/lines/${line}`), { owner: { targets: [{ client: "bob" }], timeout_secs: 500 } });
  assert.deepEqual(r, { status: 422, body: { error: "owner.timeout_secs: must be 5 to 120", code: "invalid", field: "owner.timeout_secs" } });
  r = await api("PUT", acct(`/lines/${line}`), "{not json");
  assert.equal(r.status, 400);
  assert.match(r.body.error, /key must be a string/);
  assert.equal(await w.kv.get(`line:${ACCOUNT}:${line}`), before, "no partial write");

  await api("PUT", acct(`/lines/${line}/entries/+12125550100`), { block: true });
  r = await api("DELETE", acct(`/lines/${line}`));
  assert.deepEqual(r.body, { deleted: line, entries_deleted: 1 });
  assert.equal((await api("GET", acct(`/lines/${line}`))).status, 404);
  assert.deepEqual(await w.keys(`entry:${ACCOUNT}:${line}:`), []);
});

test("bad paths are clear 4xx answers", async () => {
  assert.deepEqual(await api("GET", "/accounts/ACnope/lines"),
    { status: 404, body: { error: "no such API route", code: "no_route" } });
  const r = await api("GET", acct("/lines/555"));
  assert.equal(r.status, 400);
  assert.match(r.body.error, /^"555": not a phone number/);
  assert.deepEqual(await api("GET", acct("/nothing")), { status: 404, body: { error: "no such API route", code: "no_route" } });
});

test("list entries: block, allow and forward, one key per caller", async () => {
  let r = await api("PUT", acct(`/lines/${ADA}/entries/+12125550200`), { forward: { sip: "sip:desk@example.com" } });
  assert.equal(r.status, 200);
  r = await api("PUT", acct(`/lines/${ADA}/entries/+12125550201`), { allow: true, block: true });
  r = await api("PUT", acct(`/lines/${ADA}/entries/+12125550202`), { colour: "red" });
  assert.equal(r.status, 422);
  assert.match(r.body.error, /unknown field `colour`/);
  r = await api("GET", acct(`/lines/${ADA}/entries`));
  const byNumber = Object.fromEntries(r.body.entries.map((e) => [e.number, e]));
  assert.deepEqual(byNumber["+12125550200"], { number: "+12125550200", forward: { sip: "sip:desk@example.com" } });
  assert.deepEqual(byNumber["+12125550201"], { number: "+12125550201", allow: true, block: true });
  assert.deepEqual(byNumber["+14155550103"], { number: "+14155550103", forward: { number: "+14155550104" } });
  assert.equal(byNumber["+12125550202"], undefined);
  r = await api("DELETE", acct(`/lines/${ADA}/entries/+12125550200`));
  assert.deepEqual(r.body, { deleted: true });
  assert.equal(await w.kv.get(`entry:${ACCOUNT}:${ADA}:+12125550200`), null);

  r = await api("PUT", acct("/blocked/+12125550203"));
  assert.deepEqual(r.body, { number: "+12125550203", block: true });
  r = await api("GET", acct("/blocked"));
  assert.deepEqual(r.body.blocked.sort(), ["+12125550203", "+14155550177"]);
  await api("DELETE", acct("/blocked/+12125550203"));
  assert.deepEqual((await api("GET", acct("/blocked"))).body.blocked, ["+14155550177"]);
});

test("a vCard import replaces the address book and keeps other flags", async () => {
  const line = "+14155550155";
  await api("PUT", acct(`/lines/${line}`), { owner: { targets: [{ number: "+14155550100" }] }, default_country: "US" });
  await api("PUT", acct(`/lines/${line}/entries/+14155550102`), { allow: true, block: true });
  await api("PUT", acct(`/lines/${line}/entries/+14155550109`), { allow: true });
  const vcf = [
    "BEGIN:VCARD", "VERSION:3.0", "FN:Grace Hopper", "item1.TEL;type=CELL:(415) 555-0101", "TEL;type=HOME:415.555.0102", "END:VCARD",
    "BEGIN:VCARD", "VERSION:4.0", "FN:Alan", "TEL;VALUE=uri:tel:+44-20-7946-0958", "TEL:12", "END:VCARD",
  ].join("\r\n");
  let r = await api("POST", acct(`/lines/${line}/address-book`), vcf, { type: "text/vcard" });
  assert.equal(r.status, 200);
  assert.deepEqual({ ...r.body, skipped: r.body.skipped.map((s) => s.raw) },
    { numbers: 3, added: 2, removed: 1, unchanged: 1, skipped: ["12"] });
  r = await api("GET", acct(`/lines/${line}/entries`));
  assert.deepEqual(r.body.entries.map((e) => [e.number, !!e.allow, !!e.block]).sort(), [
    ["+14155550101", true, false],
    ["+14155550102", true, true],
    ["+442079460958", true, false],
  ]);
  r = await api("POST", acct(`/lines/${line}/address-book`), "hello", { type: "text/vcard" });
  assert.deepEqual(r, { status: 400, body: { error: "not a vCard file (no BEGIN:VCARD)", code: "malformed" } });
});

test("the simulator shows the decision and TwiML and writes nothing", async () => {
  const before = await w.snapshot();
  let r = await api("POST", acct("/simulate"), { To: ADA, From: "+14155550101" });
  assert.equal(r.status, 200);
  assert.equal(r.body.reason, "address_book");
  assert.equal(r.body.outcome, "connect");
  assert.equal(r.body.twiml, `<?xml version="1.0" encoding="UTF-8"?><Response><Dial action="/voice/dialed" method="POST" timeout="20"><Number ${leg("owner_dial")}>+14155550100</Number></Dial></Response>`);
  r = await api("POST", acct("/simulate"), { To: ADA, From: "+12125550300", CallSid: "CAsim1" });
  assert.equal(r.body.reason, "challenged");
  assert.deepEqual([r.body.graylist, r.body.graylist_after], [{ unanswered: 0, failed: 0 }, { unanswered: 1, failed: 0 }]);
  r = await api("POST", acct("/simulate"), { To: "+14155550000", From: "+12125550300" });
  assert.deepEqual([r.body.line, r.body.reason, r.body.outcome], [false, "unknown_line", "voicemail"]);
  assert.deepEqual(await w.snapshot(), before);
  r = await api("POST", acct("/simulate"), { To: ADA });
  assert.deepEqual(r, { status: 422, body: { error: "body: missing field `From`", code: "invalid", field: "" } });
});

test("graylist state can be read and reset; voicemails can be listed", async () => {
  const key = `gray:${ACCOUNT}:${ADA}:+12125550400`;
  await w.kv.put(key, JSON.stringify({ unanswered: 2, failed: 1, applied: [] }));
  let r = await api("GET", acct(`/lines/${ADA}/graylist/+12125550400`));
  assert.deepEqual(r.body, { unanswered: 2, failed: 1 });
  await api("DELETE", acct(`/lines/${ADA}/graylist/+12125550400`));
  r = await api("GET", acct(`/lines/${ADA}/graylist/+12125550400`));
  assert.deepEqual(r.body, { unanswered: 0, failed: 0 });

  // Messages as an older version stored them (no listing key): the
  // scheduled watch puts them in the list once.
  for (const [callSid, at] of [["CA1", 1000], ["CA2", 2000]]) {
    await w.kv.put(`vm:${ACCOUNT}:${callSid}`, JSON.stringify({
      call_sid: callSid, account_sid: ACCOUNT, from: "+12125550401", to: ADA, recording_url: "https://x/r",
      recording_sid: "RE" + callSid, duration_secs: 5, received_at_ms: at, via: "line",
    }));
  }
  assert.deepEqual((await api("GET", acct("/voicemails"))).body, { voicemails: [], next_cursor: null });
  await w.ledger("registry", { op: "claim", key: `calllog:${ACCOUNT}`, holder: "registered", until_ms: null });
  await w.scheduled();
  r = await api("GET", acct("/voicemails"));
  assert.deepEqual(r.body.voicemails.map((m) => m.call_sid), ["CA2", "CA1"], "newest first");
  assert.equal(r.body.next_cursor, null);
  r = await api("GET", acct("/voicemails?limit=1"));
  assert.deepEqual(r.body.voicemails.map((m) => m.call_sid), ["CA2"]);
  r = await api("GET", acct(`/voicemails?limit=1&cursor=${r.body.next_cursor}`));
  assert.deepEqual(r.body.voicemails.map((m) => m.call_sid), ["CA1"]);
  assert.deepEqual(await w.keys(`vmt:${ACCOUNT}:`), [
    `vmt:${ACCOUNT}:9999999997999:CA2`, `vmt:${ACCOUNT}:9999999998999:CA1`,
  ]);
});
