// Inbound screening end to end: the old phone-system's test scenarios,
// replayed as signed webhooks against the worker in workerd, with the KV
// state checked after each step.
import { test, before, after, beforeEach } from "node:test";
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { startWorker, SECRETS, leg } from "./lib/harness.mjs";
import { startRecorder } from "./lib/recorder.mjs";
import { post, callParams } from "../../scripts/twilio.mjs";

const DECL = '<?xml version="1.0" encoding="UTF-8"?>';
const ACCOUNT = "AC00000000000000000000000000000001";
const ADA = "+14155550199"; // a line: owner +14155550100, SMS notification
const OFFICE = "+14155550188"; // a line: client then number, in turn
const token = SECRETS.TWILIO_AUTH_TOKEN;
const ADA_VOICEMAIL =
  "<Say>Ada is not available. Please leave a message after the tone.</Say>" +
  '<Record action="/voice/voicemail" maxLength="120" method="POST" playBeep="true" ' +
  'recordingStatusCallback="/voice/voicemail/ready" recordingStatusCallbackMethod="POST"/><Hangup/>';

// The challenge digits, computed independently of the worker.
function digitsFor(callSid, n = 3) {
  const mac = createHmac("sha256", SECRETS.CHALLENGE_SECRET).update("switchboard challenge\0" + callSid).digest();
  return [...mac.subarray(0, n)].map((b) => String(b % 10)).join("");
}

let w, recorder, calls = 0;
const sid = () => "CA" + String(++calls).padStart(32, "0");

before(async () => {
  recorder = await startRecorder();
  w = await startWorker({ vars: { TWILIO_API_BASE: recorder.url } });
});
after(async () => { await w?.stop(); await recorder?.stop(); });
beforeEach(() => { recorder.requests.length = 0; recorder.succeed(); });

async function call(path, params) {
  const r = await post(w.url, path, callParams(params), { token });
  assert.equal(r.status, 200, `${path} answered ${r.status}`);
  assert.equal(r.headers.get("content-type"), "text/xml; charset=utf-8");
  return (await r.text()).replace(DECL, "");
}
const gray = async (to, from) => JSON.parse((await w.kv.get(`gray:${ACCOUNT}:${to}:${from}`)) ?? "null");

test("an address-book caller is put through to the owner, and nothing is written", async () => {
  const before = await w.snapshot();
  const xml = await call("/voice/incoming", { CallSid: sid(), From: "+14155550101", To: ADA });
  assert.equal(xml, `<Response><Dial action="/voice/dialed" method="POST" timeout="20"><Number ${leg("owner_dial")}>+14155550100</Number></Dial></Response>`);
  assert.deepEqual(await w.snapshot(), before);
});

test("the forward list is honoured", async () => {
  const xml = await call("/voice/incoming", { CallSid: sid(), From: "+14155550103", To: ADA });
  assert.equal(xml, `<Response><Dial action="/voice/dialed" method="POST" timeout="20"><Number ${leg("forward")}>+14155550104</Number></Dial></Response>`);
});

test("per-line and account-wide blocks are rejected unanswered", async () => {
  assert.equal(await call("/voice/incoming", { CallSid: sid(), From: "+14155550166", To: ADA }),
    '<Response><Reject reason="rejected"/></Response>');
  assert.equal(await call("/voice/incoming", { CallSid: sid(), From: "+14155550177", To: ADA }),
    '<Response><Reject reason="rejected"/></Response>');
  // The account-wide block holds on the other line too, with its own reason.
  assert.equal(await call("/voice/incoming", { CallSid: sid(), From: "+14155550177", To: OFFICE }),
    '<Response><Reject reason="busy"/></Response>');
  // The per-line block does not.
  assert.match(await call("/voice/incoming", { CallSid: sid(), From: "+14155550166", To: OFFICE }), /<Gather /);
});

test("a caller who never answers is rejected on the fourth call", async () => {
  const from = "+12125550001";
  for (let i = 1; i <= 3; i++) {
    const callSid = sid();
    const xml = await call("/voice/incoming", { CallSid: callSid, From: from, To: ADA });
    const spoken = digitsFor(callSid).split("").join(" ");
    assert.equal(xml,
      '<Response><Gather action="/voice/challenge" method="POST" numDigits="3" timeout="10"><Pause length="1"/>' +
      `<Say>Please enter ${spoken} followed by the pound key.</Say></Gather><Hangup/></Response>`);
    assert.equal((await gray(ADA, from)).unanswered, i);
  }
  assert.equal(await call("/voice/incoming", { CallSid: sid(), From: from, To: ADA }),
    '<Response><Reject reason="rejected"/></Response>');
  assert.equal((await gray(ADA, from)).unanswered, 3, "a rejection writes nothing");
});

test("a retried webhook changes the counters once", async () => {
  const from = "+12125550002";
  const callSid = sid();
  const first = await call("/voice/incoming", { CallSid: callSid, From: from, To: ADA });
  const again = await call("/voice/incoming", { CallSid: callSid, From: from, To: ADA });
  assert.equal(again, first);
  assert.equal((await gray(ADA, from)).unanswered, 1);
});

test("the right digits reach voicemail and reset the counters", async () => {
  const from = "+12125550003";
  await call("/voice/incoming", { CallSid: sid(), From: from, To: ADA });
  const callSid = sid();
  await call("/voice/incoming", { CallSid: callSid, From: from, To: ADA });
  assert.equal((await gray(ADA, from)).unanswered, 2);
  const xml = await call("/voice/challenge", { CallSid: callSid, From: from, To: ADA, Digits: digitsFor(callSid) });
  assert.equal(xml, `<Response>${ADA_VOICEMAIL}</Response>`);
  const g = await gray(ADA, from);
  assert.deepEqual([g.unanswered, g.failed], [0, 0]);
});

test("wrong digits three times give the two failed messages, then rejection", async () => {
  const from = "+12125550004";
  const heard = [];
  for (let i = 0; i < 3; i++) {
    const callSid = sid();
    await call("/voice/incoming", { CallSid: callSid, From: from, To: ADA });
    const wrong = digitsFor(callSid) === "000" ? "111" : "000";
    heard.push(await call("/voice/challenge", { CallSid: callSid, From: from, To: ADA, Digits: wrong }));
  }
  const failed = "<Response><Say>Sorry, that was not right. Goodbye.</Say><Hangup/></Response>";
  const final = "<Response><Say>Sorry, that was not right again. Calls from your number will no longer be accepted. Goodbye.</Say><Hangup/></Response>";
  assert.deepEqual(heard, [failed, failed, final]);
  assert.deepEqual([(await gray(ADA, from)).failed, (await gray(ADA, from)).unanswered], [3, 0]);
  assert.equal(await call("/voice/incoming", { CallSid: sid(), From: from, To: ADA }),
    '<Response><Reject reason="rejected"/></Response>');
});

test("in-turn ringing moves to the next target, then to voicemail", async () => {
  const from = "+12125550005";
  const callSid = sid();
  // The office line puts callers who pass the challenge through to its owner.
  await call("/voice/incoming", { CallSid: callSid, From: from, To: OFFICE });
  let xml = await call("/voice/challenge", { CallSid: callSid, From: from, To: OFFICE, Digits: digitsFor(callSid) });
  assert.equal(xml, `<Response><Dial action="/voice/dialed?next=1" callerId="+14155550188" method="POST" timeout="20"><Client ${leg("owner_dial")}>front-desk</Client></Dial></Response>`);
  xml = await call("/voice/dialed?next=1", { CallSid: callSid, From: from, To: OFFICE, DialCallStatus: "no-answer" });
  assert.equal(xml, `<Response><Dial action="/voice/dialed" callerId="+14155550188" method="POST" timeout="20"><Number ${leg("owner_dial")}>+14155550100</Number></Dial></Response>`);
  xml = await call("/voice/dialed", { CallSid: callSid, From: from, To: OFFICE, DialCallStatus: "busy" });
  assert.match(xml, /^<Response><Say>Please leave a message after the tone\.<\/Say><Record /);
  xml = await call("/voice/dialed", { CallSid: callSid, From: from, To: OFFICE, DialCallStatus: "completed" });
  assert.equal(xml, "<Response><Hangup/></Response>");
});

test("withheld callers follow the line's policy", async () => {
  assert.match(await call("/voice/incoming", { CallSid: sid(), From: "anonymous", To: OFFICE }), /^<Response><Say>Please leave a message/);
  assert.match(await call("/voice/incoming", { CallSid: sid(), From: "Restricted", To: ADA }), /<Gather /);
  assert.deepEqual(await w.keys(`gray:${ACCOUNT}:${ADA}:anonymous`), []);
});

test("a voicemail is stored and the owner is texted through the REST API", async () => {
  const callSid = sid();
  const xml = await call("/voice/voicemail", {
    CallSid: callSid, From: "+12125550006", To: ADA,
    RecordingUrl: "https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE9", RecordingSid: "RE9", RecordingDuration: "14",
  });
  assert.equal(xml, "<Response><Say>Thank you. Goodbye.</Say><Hangup/></Response>");
  assert.equal(recorder.requests.length, 1);
  const sms = recorder.requests[0];
  assert.equal(sms.method, "POST");
  assert.equal(sms.url, `/2010-04-01/Accounts/${ACCOUNT}/Messages.json`);
  assert.equal(sms.headers.authorization, "Basic " + Buffer.from(`${ACCOUNT}:${token}`).toString("base64"));
  assert.equal(sms.headers["content-type"], "application/x-www-form-urlencoded");
  assert.deepEqual(Object.fromEntries(new URLSearchParams(sms.body)), {
    To: "+14155550100", From: ADA,
    Body: "New voicemail on +14155550199 from +12125550006 (14 s): https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE9",
  });
  const stored = JSON.parse(await w.kv.get(`vm:${ACCOUNT}:${callSid}`));
  assert.equal(stored.duration_secs, 14);
  assert.equal(stored.pending, undefined, "nothing left to send");
});

test("a failed notification stays pending and is retried on the next callback", async () => {
  const callSid = sid();
  recorder.failWith(500);
  await call("/voice/voicemail", {
    CallSid: callSid, From: "+12125550007", To: ADA,
    RecordingUrl: "https://api.twilio.com/r/RE10", RecordingSid: "RE10", RecordingDuration: "3",
  });
  let stored = JSON.parse(await w.kv.get(`vm:${ACCOUNT}:${callSid}`));
  assert.deepEqual(stored.pending, ["sms"]);
  assert.equal(stored.last_error, "sms: HTTP 500");
  recorder.succeed();
  const r = await post(w.url, "/voice/voicemail/ready", [
    ["AccountSid", ACCOUNT], ["CallSid", callSid], ["RecordingSid", "RE10"], ["RecordingStatus", "completed"],
    ["RecordingUrl", "https://api.twilio.com/r/RE10"], ["RecordingDuration", "3"],
  ], { token });
  assert.equal(r.status, 200);
  assert.equal(recorder.requests.length, 2, "sent again");
  stored = JSON.parse(await w.kv.get(`vm:${ACCOUNT}:${callSid}`));
  assert.equal(stored.pending, undefined);
  assert.equal(stored.last_error, undefined);
  // Once delivered, a further callback sends nothing.
  await post(w.url, "/voice/voicemail/ready", [["AccountSid", ACCOUNT], ["CallSid", callSid]], { token });
  assert.equal(recorder.requests.length, 2);
});

test("an unknown number gets the deployment's safe default", async () => {
  const xml = await call("/voice/incoming", { CallSid: sid(), From: "+12125550008", To: "+14155550111" });
  assert.match(xml, /^<Response><Say>Sorry, we cannot take your call right now\. Please leave a message after the tone\.<\/Say><Record action="\/voice\/fallback\/recorded"/);
});

test("a broken line config still gets safe TwiML, and the log says why", async () => {
  await w.kv.put(`line:${ACCOUNT}:+14155550122`, '{"owner": {"targets": []}}');
  const xml = await call("/voice/incoming", { CallSid: sid(), From: "+12125550009", To: "+14155550122" });
  assert.match(xml, /<Record action="\/voice\/fallback\/recorded"/);
  assert.ok(w.logs.some((l) => l.includes("owner.targets: needs at least one target")));
});

test("out of hours, callers go straight to voicemail with the closed greeting", async () => {
  const admin = { Authorization: `Bearer ${SECRETS.ADMIN_TOKEN}`, "Content-Type": "application/json" };
  const closedLine = "+14155550133";
  let r = await fetch(`${w.url}/api/v1/accounts/${ACCOUNT}/lines/${closedLine}`, {
    method: "PUT", headers: admin,
    body: JSON.stringify({ owner: { targets: [{ number: "+14155550100" }] },
      hours: { time_zone: "Europe/London", open: {}, closed_greeting: { say: "We are closed." } } }),
  });
  assert.equal(r.status, 200);
  const xml = await call("/voice/incoming", { CallSid: sid(), From: "+12125550010", To: closedLine });
  assert.match(xml, /^<Response><Say>We are closed\.<\/Say><Record /);
  r = await fetch(`${w.url}/api/v1/accounts/${ACCOUNT}/lines/${closedLine}`, {
    method: "PUT", headers: admin,
    body: JSON.stringify({ owner: { targets: [{ number: "+14155550100" }] }, hours: { time_zone: "Mars/Olympus", open: {} } }),
  });
  assert.equal(r.status, 422);
  assert.deepEqual(await r.json(), { error: 'hours.time_zone: unknown time zone "Mars/Olympus"', code: "invalid", field: "hours.time_zone" });
});
