// The foundation, end to end: the built worker in workerd, real HTTP, signed
// webhooks, exact answers, and the KV state afterwards.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { startWorker, SECRETS, leg } from "./lib/harness.mjs";
import { post, sign, callParams, encode } from "../../scripts/twilio.mjs";

const DECL = '<?xml version="1.0" encoding="UTF-8"?>';
const FALLBACK_XML =
  DECL +
  "<Response><Say>Sorry, we cannot take your call right now. Please leave a message after the tone.</Say>" +
  '<Record action="/voice/fallback/recorded" maxLength="120" method="POST" playBeep="true"/><Hangup/></Response>';
const token = SECRETS.TWILIO_AUTH_TOKEN;

let w;
before(async () => { w = await startWorker(); });
after(async () => { await w?.stop(); });

test("health reports the build version", async () => {
  const r = await fetch(`${w.url}/health`);
  assert.equal(r.status, 200);
  const body = await r.json();
  assert.equal(body.status, "ok");
  assert.match(body.version, /^0\.1\.0\+[0-9a-f]{12}$|^0\.1\.0\+unknown$/);
});

test("a signed fallback request gets the deployment's safe TwiML", async () => {
  const params = callParams({ ErrorCode: "11200", ErrorUrl: "https://primary.example.com/voice" });
  const r = await post(w.url, "/voice/fallback", params, { token });
  assert.equal(r.status, 200);
  assert.equal(r.headers.get("content-type"), "text/xml; charset=utf-8");
  assert.equal(await r.text(), FALLBACK_XML);
  const line = w.logs.map((l) => l.trim()).find((l) => l.includes('"error_code":"11200"'));
  assert.ok(line, "the fallback logs ErrorCode");
  const logged = JSON.parse(line.slice(line.indexOf("{")));
  assert.equal(logged.from, "***0100");
  assert.equal(logged.error_url, "https://primary.example.com/voice");
  assert.ok(!w.logs.join("").includes("+14155550100"), "no full number in the logs");
});

test("a wrong signature is refused and changes nothing", async () => {
  const before = await w.snapshot();
  const params = callParams({ RecordingUrl: "https://api.twilio.com/r/RE1", RecordingDuration: "5" });
  const r = await post(w.url, "/voice/fallback/recorded", params, { token: "not-the-token" });
  assert.equal(r.status, 403);
  assert.equal(await r.text(), "X-Twilio-Signature does not match this request\n");
  assert.deepEqual(await w.snapshot(), before);
});

test("a missing signature is refused", async () => {
  const r = await post(w.url, "/voice/fallback", callParams(), { signature: null });
  assert.equal(r.status, 403);
  assert.equal(await r.text(), "missing X-Twilio-Signature header\n");
});

test("a signature over other parameters is refused", async () => {
  const url = `${w.url}/voice/fallback`;
  const sig = sign(url, callParams(), token);
  const r = await post(w.url, "/voice/fallback", callParams({ From: "+14155550101" }), { signature: sig });
  assert.equal(r.status, 403);
});

test("a malformed body is a 400 that names the problem", async () => {
  const r = await fetch(`${w.url}/voice/fallback`, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": "x" },
    body: "From=%2B1415&To=%zz",
  });
  assert.equal(r.status, 400);
  assert.equal(await r.text(), "malformed form: bad percent escape at byte 16\n");
});

test("an oversized body is a 413", async () => {
  const r = await fetch(`${w.url}/voice/fallback`, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": "x" },
    body: "Pad=" + "a".repeat(70 * 1024),
  });
  assert.equal(r.status, 413);
  assert.equal(await r.text(), "request body over 64 KiB\n");
});

test("an unknown content type is a 415", async () => {
  const r = await fetch(`${w.url}/voice/fallback`, {
    method: "POST",
    headers: { "Content-Type": "text/plain", "X-Twilio-Signature": "x" },
    body: "hello",
  });
  assert.equal(r.status, 415);
});

test("subaccounts sign with their own token", async () => {
  const sub = "AC00000000000000000000000000000002";
  const params = callParams({ AccountSid: sub });
  let r = await post(w.url, "/voice/fallback", params, { token: SECRETS[`TWILIO_AUTH_TOKEN_${sub}`] });
  assert.equal(r.status, 200);
  assert.equal(await r.text(), FALLBACK_XML);
  // The main account's token is not the subaccount's.
  r = await post(w.url, "/voice/fallback", params, { token });
  assert.equal(r.status, 403);
});

test("shared keys verify with HMAC-SHA256, two live at once for rotation", async () => {
  for (const id of ["HKold", "HKnew"]) {
    const r = await post(w.url, "/voice/fallback", callParams(), {
      token: SECRETS[`TWILIO_SHARED_KEY_${id}`], algorithm: "HMAC_SHA256", keyId: id,
    });
    assert.equal(r.status, 200, id);
    assert.equal(await r.text(), FALLBACK_XML);
  }
  let r = await post(w.url, "/voice/fallback", callParams(), {
    token: "whatever", algorithm: "HMAC_SHA256", keyId: "HKretired",
  });
  assert.equal(r.status, 403);
  assert.equal(await r.text(), "no signing key for this request\n");
  r = await post(w.url, "/voice/fallback", callParams(), {
    token: SECRETS.TWILIO_SHARED_KEY_HKnew, algorithm: "HMAC_MD5", keyId: "HKnew",
  });
  assert.equal(r.status, 403);
  assert.equal(await r.text(), 'unsupported signature algorithm "HMAC_MD5"\n');
});

test("GET webhooks sign the URL alone", async () => {
  const path = "/voice/fallback?" + encode(callParams());
  const r = await fetch(w.url + path, { headers: { "X-Twilio-Signature": sign(w.url + path, null, token) } });
  assert.equal(r.status, 200);
  assert.equal(await r.text(), FALLBACK_XML);
});

test("JSON bodies are verified through bodySHA256", async () => {
  const body = JSON.stringify({ AccountSid: "AC00000000000000000000000000000001", CallSid: "CA1", ErrorCode: "11205" });
  const hash = createHash("sha256").update(body).digest("hex");
  const url = `${w.url}/voice/fallback?bodySHA256=${hash}`;
  const headers = { "Content-Type": "application/json", "X-Twilio-Signature": sign(url, null, token) };
  let r = await fetch(url, { method: "POST", headers, body });
  assert.equal(r.status, 200);
  r = await fetch(url, { method: "POST", headers, body: body.replace("11205", "11206") });
  assert.equal(r.status, 403);
  assert.equal(await r.text(), "bodySHA256 does not match the body\n");
});

test("a recorded fallback voicemail is stored", async () => {
  const params = callParams({
    CallSid: "CA" + "7".repeat(32),
    RecordingUrl: "https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE1",
    RecordingSid: "RE1",
    RecordingDuration: "9",
  });
  const r = await post(w.url, "/voice/fallback/recorded", params, { token });
  assert.equal(r.status, 200);
  assert.equal(await r.text(), DECL + "<Response><Say>Thank you. Goodbye.</Say><Hangup/></Response>");
  const keys = await w.keys("vm:AC00000000000000000000000000000001:");
  const mine = keys.filter((k) => k.includes("CA" + "7".repeat(32)));
  // Its own key: a fallback recording never overwrites a line's message.
  assert.deepEqual(mine, [`vm:AC00000000000000000000000000000001:CA${"7".repeat(32)}:fallback`]);
  const stored = JSON.parse(await w.kv.get(mine[0]));
  assert.deepEqual({ ...stored, received_at_ms: 0 }, {
    call_sid: "CA" + "7".repeat(32),
    account_sid: "AC00000000000000000000000000000001",
    from: "+14155550100",
    to: "+14155550199",
    recording_url: "https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE1",
    recording_sid: "RE1",
    duration_secs: 9,
    received_at_ms: 0,
    via: "fallback",
  });
});

test("an unanswered fallback forward still takes a message", async () => {
  const r = await post(w.url, "/voice/fallback/dialed", callParams({ DialCallStatus: "no-answer" }), { token });
  assert.equal(r.status, 200);
  assert.equal(await r.text(),
    DECL + '<Response><Record action="/voice/fallback/recorded" maxLength="120" method="POST" playBeep="true"/><Hangup/></Response>');
});

test("unknown routes are 404", async () => {
  const r = await fetch(`${w.url}/nope`);
  assert.equal(r.status, 404);
  assert.equal(await r.text(), "no such route\n");
});

test("behind a proxy, the signature covers PUBLIC_BASE_URL", async () => {
  const proxied = await startWorker({ vars: { PUBLIC_BASE_URL: "https://calls.example.com/" } });
  try {
    const params = callParams();
    let r = await post(proxied.url, "/voice/fallback", params, { token, publicUrl: "https://calls.example.com/voice/fallback" });
    assert.equal(r.status, 200);
    r = await post(proxied.url, "/voice/fallback", params, { token });
    assert.equal(r.status, 403);
  } finally {
    await proxied.stop();
  }
});

test("with KV unreachable and the fallback config broken, the caller still gets safe TwiML", async () => {
  const broken = await startWorker({
    kv: false,
    vars: { FALLBACK_ACTION: "forward", FALLBACK_FORWARD_TO: "call bob" },
  });
  try {
    let r = await post(broken.url, "/voice/fallback", callParams(), { token });
    assert.equal(r.status, 200);
    assert.equal(await r.text(), FALLBACK_XML);
    const params = callParams({ RecordingUrl: "https://api.twilio.com/r/RE2", RecordingSid: "RE2", RecordingDuration: "3" });
    r = await post(broken.url, "/voice/fallback/recorded", params, { token });
    assert.equal(r.status, 200);
    assert.equal(await r.text(), DECL + "<Response><Say>Thank you. Goodbye.</Say><Hangup/></Response>");
    assert.ok(broken.logs.some((l) => l.includes("voicemail not stored") && l.includes("RE2")));
    assert.ok(broken.logs.some((l) => l.includes("FALLBACK_FORWARD_TO")));
  } finally {
    await broken.stop();
  }
});

test("hot config: a warm calls isolate keeps a line for HOT_CONFIG_SECS, then reads the change", async () => {
  const hot = await startWorker({ vars: { HOT_CONFIG_SECS: "2" } });
  try {
    const call = async () => (await post(hot.url, "/voice/incoming", callParams({ From: "+14155550101", To: "+14155550199" }), { token })).text();
    const dial = (n) => DECL + `<Response><Dial action="/voice/dialed" method="POST" timeout="20"><Number ${leg("owner_dial")}>${n}</Number></Dial></Response>`;
    assert.equal(await call(), dial("+14155550100"));
    const key = "line:AC00000000000000000000000000000001:+14155550199";
    const line = JSON.parse(await hot.kv.get(key));
    line.owner.targets = [{ number: "+14155550111" }];
    await hot.kv.put(key, JSON.stringify(line));
    const changed = Date.now();
    // Within the bound the isolate answers from its copy (no KV read) ...
    assert.equal(await call(), dial("+14155550100"));
    // ... and after it, from KV.
    await new Promise((r) => setTimeout(r, Math.max(0, 2100 - (Date.now() - changed))));
    assert.equal(await call(), dial("+14155550111"));
  } finally {
    await hot.stop();
  }
});
