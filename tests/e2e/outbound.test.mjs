// Outbound end to end: the voice webhook for Client/SIP calls, the caller-ID
// API, calls started through a local stand-in for Twilio's REST API, and
// verification codes by voice and SMS.
import { test, before, after, beforeEach } from "node:test";
import assert from "node:assert/strict";
import { startWorker, SECRETS, leg } from "./lib/harness.mjs";
import { startRecorder } from "./lib/recorder.mjs";
import { post, callParams } from "../../scripts/twilio.mjs";

const DECL = '<?xml version="1.0" encoding="UTF-8"?>';
const ACCOUNT = "AC00000000000000000000000000000001";
const FLOW = "FW" + "0123456789abcdef".repeat(2);
const token = SECRETS.TWILIO_AUTH_TOKEN;
const BASIC = "Basic " + Buffer.from(`${ACCOUNT}:${token}`).toString("base64");
let w, recorder;

before(async () => {
  recorder = await startRecorder();
  w = await startWorker({ vars: { TWILIO_API_BASE: recorder.url, TWILIO_STUDIO_BASE: recorder.url } });
});
after(async () => { await w?.stop(); await recorder?.stop(); });
beforeEach(() => { recorder.requests.length = 0; recorder.succeed(); });

async function api(method, path, body) {
  const r = await fetch(`${w.url}/api/v1${path}`, {
    method, headers: { Authorization: `Bearer ${SECRETS.ADMIN_TOKEN}`, "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: r.status, body: await r.json() };
}

async function dial(to, from = "client:alice") {
  const r = await post(w.url, "/voice/outbound", callParams({ From: from, To: to, Direction: "outbound-dial" }), { token });
  assert.equal(r.status, 200);
  return (await r.text()).replace(DECL, "");
}

test("a dialled number gets the caller ID of its pool", async () => {
  assert.equal(await dial("(415) 555-0123"),
    `<Response><Dial callerId="+14155550112" timeout="30"><Number ${leg("outbound")}>+14155550123</Number></Dial></Response>`);
  assert.equal(await dial("+44 20 7946 0958"),
    `<Response><Dial callerId="+442079460001" timeout="30"><Number ${leg("outbound")}>+442079460958</Number></Dial></Response>`);
  assert.equal(await dial("212-555-0199"),
    `<Response><Dial callerId="+14155550199" timeout="30"><Number ${leg("outbound")}>+12125550199</Number></Dial></Response>`);
});

test("client and SIP destinations get the matching noun", async () => {
  assert.equal(await dial("client:bob"), `<Response><Dial timeout="30"><Client ${leg("outbound")}>bob</Client></Dial></Response>`);
  assert.equal(await dial("sip:desk@example.com"), `<Response><Dial timeout="30"><Sip ${leg("outbound")}>sip:desk@example.com</Sip></Dial></Response>`);
});

test("a country the account has no numbers in is refused with a short message", async () => {
  assert.equal(await dial("+33 1 23 45 67 89"),
    "<Response><Say>This number cannot be called from here. Goodbye.</Say><Hangup/></Response>");
  assert.ok(w.logs.some((l) => l.includes("calls to FR are not allowed for this account")));
});

test("the caller-ID API shows the pick and the rule", async () => {
  let r = await api("GET", `/accounts/${ACCOUNT}/caller-id?to=${encodeURIComponent("+1 415 555 0123")}`);
  assert.deepEqual(r, { status: 200, body: { to: "+14155550123", country: "US", caller_id: "+14155550112", rule: "prefix", key: "+1415" } });
  r = await api("GET", `/accounts/${ACCOUNT}/caller-id?to=%2B493090182000`);
  assert.deepEqual(r.body, { to: "+493090182000", country: "DE", caller_id: "+493012345601", rule: "country", key: "DE" });
  r = await api("GET", `/accounts/${ACCOUNT}/caller-id?to=%2B12125550199`);
  assert.deepEqual(r.body.rule, "default");
  r = await api("GET", `/accounts/${ACCOUNT}/caller-id?to=%2B19002345678`);
  assert.deepEqual(r, { status: 422, body: { error: "premium-rate and shared-cost numbers are not called", code: "refused_by_guard", refused: "premium" } });
  r = await api("GET", `/accounts/${ACCOUNT}/caller-id?to=12`);
  assert.equal(r.status, 422);
  assert.equal(r.body.refused, "invalid");
});

test("a call started through the API reaches Twilio with the picked caller ID", async () => {
  recorder.requests.length = 0;
  const r = await api("POST", `/accounts/${ACCOUNT}/calls`, { to: "+1 415 555 0124", message: "Your table is ready & waiting." });
  assert.equal(r.status, 201);
  assert.deepEqual(r.body, { sid: "SM" + "0".repeat(32), to: "+14155550124", caller_id: "+14155550112", rule: "prefix", key: "+1415" });
  const sent = recorder.requests[0];
  assert.equal(sent.url, `/2010-04-01/Accounts/${ACCOUNT}/Calls.json`);
  assert.equal(sent.headers.authorization, BASIC);
  const form = new URLSearchParams(sent.body);
  assert.deepEqual(Object.fromEntries(form), {
    To: "+14155550124", From: "+14155550112",
    Twiml: DECL + "<Response><Say>Your table is ready &amp; waiting.</Say><Hangup/></Response>",
    // The call reports its progress, so it gets a record (tests/e2e/records.test.mjs).
    StatusCallback: `${w.url}/voice/status?leg=api_call`, StatusCallbackMethod: "POST", StatusCallbackEvent: "completed",
  });
  assert.deepEqual(form.getAll("StatusCallbackEvent"), ["initiated", "ringing", "answered", "completed"]);

  await api("POST", `/accounts/${ACCOUNT}/calls`, { to: "+14155550124", url: "https://example.com/twiml" });
  assert.equal(new URLSearchParams(recorder.requests[1].body).get("Url"), "https://example.com/twiml");

  await api("POST", `/accounts/${ACCOUNT}/calls`, { to: "+14155550124", flow_sid: FLOW, parameters: { code: "4242" } });
  const flow = recorder.requests[2];
  assert.equal(flow.url, `/v2/Flows/${FLOW}/Executions`);
  assert.deepEqual(Object.fromEntries(new URLSearchParams(flow.body)), { To: "+14155550124", From: "+14155550112", Parameters: '{"code":"4242"}' });

  assert.deepEqual(await api("POST", `/accounts/${ACCOUNT}/calls`, { to: "+14155550124" }),
    { status: 400, body: { error: "give exactly one of message, url, flow_sid", code: "malformed" } });
  recorder.failWith(400);
  assert.deepEqual(await api("POST", `/accounts/${ACCOUNT}/calls`, { to: "+14155550125", message: "x" }),
    { status: 502, body: { error: "Twilio refused the call: HTTP 400", code: "upstream" } });
});

test("calls to one number are rate limited", async () => {
  const to = "+14155550177";
  for (let i = 0; i < 5; i++) assert.equal((await api("POST", `/accounts/${ACCOUNT}/calls`, { to, message: "hi" })).status, 201);
  const r = await api("POST", `/accounts/${ACCOUNT}/calls`, { to, message: "hi" });
  assert.deepEqual(r, { status: 422, body: { error: "rate limit: at most 5 calls an hour to one number", code: "refused_by_guard", refused: "rate_limited", scope: "to one number", limit: 5 } });
  assert.equal(recorder.requests.length, 5, "the sixth never reached Twilio");
});

const codeIn = (text) => /(\d{6})/.exec(text)[1];

test("an SMS code is sent, a wrong code is denied, the right one approved once", async () => {
  const to = "+14155550140";
  let r = await api("POST", `/accounts/${ACCOUNT}/verifications`, { to, channel: "sms" });
  assert.deepEqual(r, { status: 201, body: { status: "pending", to, channel: "sms", caller_id: "+14155550111", expires_in_secs: 600 } });
  const sms = Object.fromEntries(new URLSearchParams(recorder.requests[0].body));
  assert.equal(recorder.requests[0].url, `/2010-04-01/Accounts/${ACCOUNT}/Messages.json`);
  assert.match(sms.Body, /^Your verification code is \d{6}\.$/);
  const code = codeIn(sms.Body);
  // The code in flight lives in its own ledger (exact under a burst), not in KV.
  assert.deepEqual(await w.keys(`verify:`), []);
  const wrong = code === "000000" ? "111111" : "000000";
  r = await api("POST", `/accounts/${ACCOUNT}/verifications/check`, { to, code: wrong });
  assert.deepEqual(r.body, { to, status: "denied", reason: "wrong_code", message: "wrong code" });
  r = await api("POST", `/accounts/${ACCOUNT}/verifications/check`, { to, code });
  assert.deepEqual(r.body, { to, status: "approved" });
  r = await api("POST", `/accounts/${ACCOUNT}/verifications/check`, { to, code });
  assert.equal(r.body.reason, "none_sent");
});

test("a voice code is spoken slowly, twice, in the callee's language", async () => {
  const to = "+49 30 90182000";
  const r = await api("POST", `/accounts/${ACCOUNT}/verifications`, { to, channel: "voice" });
  assert.equal(r.status, 201);
  const call = Object.fromEntries(new URLSearchParams(recorder.requests[0].body));
  assert.equal(recorder.requests[0].url, `/2010-04-01/Accounts/${ACCOUNT}/Calls.json`);
  assert.equal(call.From, "+493012345601");
  assert.equal(call.StatusCallback, `${w.url}/voice/status?leg=verification`);
  const m = /^<\?xml version="1\.0" encoding="UTF-8"\?><Response><Say language="de-DE">Your verification code is ((?:\d, ){5}\d)\.<\/Say><Say language="de-DE">Your verification code is \1\.<\/Say><Hangup\/><\/Response>$/.exec(call.Twiml);
  assert.ok(m, call.Twiml);
  const code = m[1].replace(/, /g, "");
  const check = await api("POST", `/accounts/${ACCOUNT}/verifications/check`, { to, code });
  assert.equal(check.body.status, "approved");
});

test("an expired code and too many attempts are denied and say why", async () => {
  const to = "+14155550141";
  await api("POST", `/accounts/${ACCOUNT}/verifications`, { to, channel: "sms" });
  // Ten minutes later, as far as the code's ledger is concerned.
  const expired = { channel: "sms", code_hash: "0".repeat(64), created_at_ms: 0, expires_at_ms: Date.now() - 1, attempts: 0, max_attempts: 5 };
  assert.deepEqual(await w.ledger(`verify:${ACCOUNT}:${to}`, { op: "issue", pending: expired }), { answer: "issued" });
  let r = await api("POST", `/accounts/${ACCOUNT}/verifications/check`, { to, code: "123456" });
  assert.deepEqual(r.body, { to, status: "denied", reason: "expired", message: "the code has expired: request a new one" });
  r = await api("POST", `/accounts/${ACCOUNT}/verifications/check`, { to, code: "123456" });
  assert.equal(r.body.reason, "none_sent", "an expired code is gone");

  await api("POST", `/accounts/${ACCOUNT}/verifications`, { to, channel: "sms" });
  const code = codeIn(Object.fromEntries(new URLSearchParams(recorder.requests.at(-1).body)).Body);
  const wrong = code === "000000" ? "111111" : "000000";
  const reasons = [];
  for (let i = 0; i < 5; i++) reasons.push((await api("POST", `/accounts/${ACCOUNT}/verifications/check`, { to, code: wrong })).body.reason);
  assert.deepEqual(reasons, ["wrong_code", "wrong_code", "wrong_code", "wrong_code", "wrong_code"]);
  r = await api("POST", `/accounts/${ACCOUNT}/verifications/check`, { to, code });
  assert.equal(r.body.reason, "too_many_attempts", "a spent code is refused; the right code no longer works");
});

test("an SMS reply carrying the code approves it", async () => {
  const to = "+14155550142";
  await api("POST", `/accounts/${ACCOUNT}/verifications`, { to, channel: "sms" });
  const code = codeIn(Object.fromEntries(new URLSearchParams(recorder.requests[0].body)).Body);
  const reply = await post(w.url, "/sms/incoming", [
    ["AccountSid", ACCOUNT], ["MessageSid", "SM1"], ["From", to], ["To", "+14155550112"], ["Body", `Yes it's ${code.slice(0, 3)}-${code.slice(3)} thanks`],
  ], { token });
  assert.equal(reply.status, 200);
  assert.equal(await reply.text(), DECL + "<Response><Message>Thank you, your number is verified.</Message></Response>");
  assert.equal(await w.kv.get(`verify:${ACCOUNT}:${to}`), null);
  // A text from someone with nothing pending gets no answer.
  const other = await post(w.url, "/sms/incoming", [["AccountSid", ACCOUNT], ["From", "+14155550143"], ["To", "+14155550112"], ["Body", "hello"]], { token });
  assert.equal(await other.text(), DECL + "<Response/>");
});

test("the outbound config is managed through the API and validated", async () => {
  let r = await api("GET", `/accounts/${ACCOUNT}/outbound`);
  assert.equal(r.body.default_number, "+14155550199");
  r = await api("PUT", `/accounts/${ACCOUNT}/outbound`, { default_number: "+14155550199", country_pools: { UK: ["+442079460001"] } });
  assert.deepEqual(r, { status: 422, body: { error: "country_pools.UK: keys are ISO 3166 codes such as GB", code: "invalid", field: "country_pools.UK" } });
  assert.equal((await api("GET", `/accounts/${ACCOUNT}/outbound`)).body.country_pools.GB[0], "+442079460001", "unchanged");
});
