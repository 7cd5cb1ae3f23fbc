// Traffic health, usage and the scheduled watch, end to end: a synthetic
// day of calls reported through signed status callbacks, the figures the
// API answers checked against the same figures computed here from what was
// sent, and the Cron Trigger's alerts (once when a condition starts, once
// when it clears) delivered to a real receiver.
import { test } from "node:test";
import assert from "node:assert/strict";
import { startWorker, SECRETS, random } from "./lib/harness.mjs";
import { startRecorder } from "./lib/recorder.mjs";
import { post, callParams, stamp } from "../../scripts/twilio.mjs";

const A1 = "AC00000000000000000000000000000001";
const A2 = "AC00000000000000000000000000000002";
const T1 = SECRETS.TWILIO_AUTH_TOKEN;
const LINE = "+14155550199";
const HOUR = 3_600_000;

function client(w) {
  return async function api(method, path, body, { account = A1, token = SECRETS.ADMIN_TOKEN } = {}) {
    const r = await fetch(`${w.url}/api/v1/accounts/${account}${path}`, {
      method, headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: r.status, body: await r.json() };
  };
}



let serial = 0;
const callSid = () => "CA" + (++serial).toString(16).padStart(32, "0");

// One leg's final status callback, as Twilio sends it.
function final(w, call, seq = 3) {
  const params = Object.entries({
    AccountSid: A1, CallSid: call.sid, CallStatus: call.status, Direction: call.direction,
    From: call.from, To: call.to, SequenceNumber: String(seq), Timestamp: stamp(call.at),
    CallbackSource: "call-progress-events",
    ...(call.duration === undefined ? {} : { CallDuration: String(call.duration) }),
    ...(call.sip === undefined ? {} : { SipResponseCode: String(call.sip) }),
    ...(call.queue === undefined ? {} : { QueueTime: String(call.queue) }),
  });
  return post(w.url, `/voice/status?leg=${call.leg}`, params, { token: T1 });
}

async function inTurns(items, n, f) {
  let next = 0;
  await Promise.all(Array.from({ length: n }, async () => {
    while (next < items.length) {
      const item = items[next++];
      const r = await f(item);
      assert.equal(r.status, 200, await r.text());
    }
  }));
}

// The figures of one scope, computed here the way the issue defines them.
function expected(calls, inbound) {
  const ended = calls.filter((c) => ["completed", "busy", "no-answer", "failed", "canceled"].includes(c.status));
  const answered = ended.filter((c) => c.status === "completed" && c.duration > 0);
  const talk = answered.reduce((t, c) => t + c.duration, 0);
  const count = (xs, key) => xs.reduce((m, x) => m.set(key(x), (m.get(key(x)) ?? 0) + 1), new Map());
  const byDest = [...count(ended, (c) => c.to)].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  const queue = ended.filter((c) => c.queue !== undefined).map((c) => c.queue).sort((a, b) => a - b);
  const rank = (p) => queue[Math.max(1, Math.ceil((p * queue.length) / 100)) - 1];
  const failed = [...count(ended.filter((c) => !answered.includes(c)), (c) => c.sip ?? 0)]
    .sort((a, b) => b[1] - a[1] || a[0] - b[0]);
  const stirred = inbound.filter((c) => c.stir);
  const attestation = [...count(inbound, (c) => c.stir ?? "")].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  return {
    calls: ended.length,
    failed_by_sip: failed,
    attestation,
    values: {
      asr: answered.length / ended.length,
      acd_secs: talk / answered.length,
      short_12_share: answered.filter((c) => c.duration <= 12).length / answered.length,
      short_6_share: answered.filter((c) => c.duration <= 6).length / answered.length,
      repeat_destination_share: byDest[0][1] / ended.length,
      attestation_a_share: stirred.length ? stirred.filter((c) => c.stir.endsWith("-Passed-A")).length / stirred.length : null,
      queue_time_p50_ms: queue.length ? rank(50) : null,
      queue_time_p95_ms: queue.length ? rank(95) : null,
    },
  };
}

function assertScope(got, want, what) {
  assert.equal(got.calls, want.calls, `${what}: calls`);
  const values = Object.fromEntries(got.figures.map((f) => [f.name, f.value]));
  assert.deepEqual(values, want.values, what);
  assert.deepEqual(got.failed_by_sip, want.failed_by_sip, `${what}: failed by SIP code`);
  assert.deepEqual(got.attestation, want.attestation, `${what}: attestation`);
}

test("a synthetic day of 1,000 calls gives exactly the figures computed here, per account and per placing number", async () => {
  const w = await startWorker();
  const api = client(w);
  try {
    const now = Date.now();
    const rnd = random(20261121);
    const pick = (xs) => xs[Math.floor(rnd() * xs.length)];
    const placing = ["+14155550301", "+14155550302", "+14155550303"];
    const destinations = Array.from({ length: 40 }, (_, i) => `+1212555${String(1000 + i)}`);
    const calls = Array.from({ length: 1000 }, (_, i) => {
      const rest = i % 4 === 0; // a quarter placed through the API, with a QueueTime
      const status = pick(["completed", "completed", "completed", "completed", "completed", "completed", "busy", "no-answer", "failed", "canceled"]);
      const call = {
        sid: callSid(), from: pick(placing), status,
        // One destination takes a larger share, as a caller ID that keeps calling one number would.
        to: rnd() < 0.15 ? destinations[0] : pick(destinations),
        leg: rest ? "api_call" : "outbound", direction: rest ? "outbound-api" : "outbound-dial",
        at: now - Math.floor(rnd() * 23 * HOUR) - 60_000,
      };
      if (status === "completed") call.duration = pick([0, 3, 6, 7, 12, 13, 25, 31, 45, 60, 95, 180, 600]);
      else if (status !== "canceled" && rnd() < 0.8) call.sip = pick([486, 480, 603, 404]);
      if (rest) call.queue = Math.floor(rnd() * 3000);
      return call;
    });
    await inTurns(calls, 8, (c) => final(w, c));
    // Late and repeated events change nothing: an earlier sequence number,
    // and the same final event again.
    await inTurns(calls.slice(0, 50), 8, (c) => final(w, { ...c, status: "initiated", duration: undefined, sip: undefined }, 0));
    await inTurns(calls.slice(50, 100), 8, (c) => final(w, c));

    // Inbound calls, screened: their SHAKEN/STIR verdicts make the attestation mix.
    const stirs = [...Array(30).fill("TN-Validation-Passed-A"), ...Array(15).fill("TN-Validation-Passed-B"), ...Array(5).fill("TN-Validation-Failed-A"), ...Array(10).fill(undefined)];
    const inbound = stirs.map((stir) => ({ sid: callSid(), stir }));
    for (const c of inbound) {
      const r = await post(w.url, "/voice/incoming", callParams({ CallSid: c.sid, From: "+14155550101", To: LINE, StirVerstat: c.stir }), { token: T1 });
      assert.equal(r.status, 200);
    }
    // The decisions are written after the answer: wait until all are in.
    for (let i = 0; i < 100; i++) {
      const page = await api("GET", `/calls?number=${encodeURIComponent(LINE)}&limit=200`);
      if (page.body.calls.filter((c) => c.feature === "inbound").length === inbound.length) break;
      await new Promise((ok) => setTimeout(ok, 50));
    }

    const r = await api("GET", "/health");
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.deepEqual(r.body.windows.map((x) => x.window), ["24h", "7d"]);
    assert.deepEqual(r.body.thresholds, { min_sample: 20, asr_min: 0.7, acd_min_secs: 30, short_12_max: 0.1, repeat_max: 0.2, watch_margin: 0.1 });
    for (const window of r.body.windows) {
      assertScope(window.account, expected(calls, inbound), `account ${window.window}`);
      assert.deepEqual(window.numbers.map((n) => n.number), placing, "every placing number, and only those");
      for (const n of window.numbers) {
        assertScope(n, expected(calls.filter((c) => c.from === n.number), []), `${n.number} ${window.window}`);
      }
      // Each figure beside its line and source.
      const asr = window.account.figures.find((f) => f.name === "asr");
      assert.equal(asr.threshold, 0.7);
      assert.match(asr.source, /ASR above 70%/);
      assert.ok(["healthy", "watch", "breach"].includes(asr.state));
    }

    // Usage for billing: calls and minutes (per call, rounded up) by direction and feature, this month.
    const month = new Date(now).toISOString().slice(0, 7);
    const usage = await api("GET", `/usage?month=${month}`);
    assert.equal(usage.status, 200);
    const rows = new Map();
    const add = (direction, feature, c) => {
      const k = `${direction}/${feature}`;
      const row = rows.get(k) ?? { direction, feature, calls: 0, seconds: 0, minutes: 0 };
      row.calls++; row.seconds += c.duration ?? 0; row.minutes += Math.ceil((c.duration ?? 0) / 60);
      rows.set(k, row);
    };
    for (const c of calls) if (new Date(c.at).toISOString().startsWith(month)) add(c.direction, c.leg, c);
    for (const c of inbound) add("inbound", "inbound", c);
    const want = [...rows.values()].sort((a, b) => (a.direction + a.feature < b.direction + b.feature ? -1 : 1));
    assert.deepEqual(usage.body.by_direction_and_feature, want);
    assert.equal(usage.body.month, month);
    assert.equal(usage.body.calls, want.reduce((t, r) => t + r.calls, 0));
    assert.equal(usage.body.minutes, want.reduce((t, r) => t + r.minutes, 0));
    assert.deepEqual((await api("GET", "/usage?month=2026-13")).body.field, "month");
    assert.equal((await api("GET", "/usage?month=1999-01")).body.calls, 0);

    // The same calls a UTC day at a time, the charts' points: the last 3
    // days (the calls span 23 hours, so one or two of them have calls).
    const DAY = 86_400_000;
    const trend = (xs) => [2, 1, 0].map((back) => {
      const start = (Math.floor(now / DAY) - back) * DAY;
      const day = xs.filter((c) => c.at >= start && c.at < start + DAY);
      const ended = day.filter((c) => ["completed", "busy", "no-answer", "failed", "canceled"].includes(c.status));
      const answered = ended.filter((c) => c.status === "completed" && c.duration > 0);
      const share = (n, d) => (d ? n / d : null);
      return {
        day: new Date(start).toISOString().slice(0, 10), calls: ended.length, answered: answered.length,
        asr: share(answered.length, ended.length),
        acd_secs: share(answered.reduce((t, c) => t + c.duration, 0), answered.length),
        short_12_share: share(answered.filter((c) => c.duration <= 12).length, answered.length),
      };
    });
    const days = await api("GET", "/health/days?days=3");
    assert.equal(days.status, 200, JSON.stringify(days.body));
    assert.deepEqual(days.body.days, trend(calls));
    assert.equal(days.body.days.reduce((t, d) => t + d.calls, 0), expected(calls, inbound).calls);
    const one = await api("GET", `/health/days?days=3&number=${encodeURIComponent(placing[1])}`);
    assert.deepEqual(one.body.days, trend(calls.filter((c) => c.from === placing[1])));
    assert.equal((await api("GET", "/health/days")).body.days.length, 14, "two weeks unless asked");
    for (const [query, status, field] of [["days=0", 422, "days"], ["days=91", 422, "days"], ["days=x", 422, "days"], ["number=12", 400], ["window=7d", 400]]) {
      const bad = await api("GET", `/health/days?${query}`);
      assert.equal(bad.status, status, query);
      assert.equal(bad.body.field, field, query);
    }

    // Another tenant's token sees none of it.
    const other = { token: SECRETS.ADMIN_TOKEN };
    const theirs = await api("GET", "/health", undefined, { account: A2, ...other });
    assert.equal(theirs.status, 200);
    assert.deepEqual(theirs.body.windows.map((x) => x.account.calls), [0, 0]);
    const token = (await api("POST", "/tokens", { scope: "read" }, { account: A2 })).body.token;
    for (const path of ["/health", "/health/days", "/usage", "/alerts", "/monitoring"]) {
      assert.equal((await api("GET", path, undefined, { token })).status, 404, path);
    }
  } finally { await w.stop(); }
});

test("the watch: a number crossing the 10% short-call line alerts once, clearing it alerts once more", async () => {
  const recorder = await startRecorder();
  const w = await startWorker({ vars: { TWILIO_API_BASE: recorder.url } });
  const api = client(w);
  try {
    const number = "+14155550311";
    let r = await api("PUT", "/monitoring", { alerts: { webhook_url: `${recorder.url}/alerts`, sms_to: "+14155550100", sms_from: LINE } });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.retention_days, 90);
    const now = Date.now();
    const leg = (duration, i) => ({
      sid: callSid(), from: number, to: `+1212555${String(2000 + (i % 10))}`, status: "completed", duration,
      leg: "outbound", direction: "outbound-dial", at: now - 2 * HOUR + i * 1000,
    });
    // 89 calls of a minute and 11 of 5 s: 11% at or under 12 s.
    const first = [...Array.from({ length: 89 }, (_, i) => leg(60, i)), ...Array.from({ length: 11 }, (_, i) => leg(5, 89 + i))];
    await inTurns(first, 8, (c) => final(w, c));

    const alerts = () => recorder.requests.filter((q) => q.url === "/alerts").map((q) => JSON.parse(q.body));
    const texts = () => recorder.requests.filter((q) => q.url.endsWith("/Messages.json")).map((q) => new URLSearchParams(q.body).get("Body"));
    await w.scheduled();
    const started = alerts();
    assert.deepEqual(
      started.map((a) => [a.alert.kind, a.alert.scope, a.alert.window, a.alert.figures]).sort(),
      [
        ["breach_started", "+14155550311", "24h", ["short_12_share"]],
        ["breach_started", "+14155550311", "7d", ["short_12_share"]],
        ["breach_started", "account", "24h", ["short_12_share"]],
        ["breach_started", "account", "7d", ["short_12_share"]],
      ],
    );
    assert.ok(started.every((a) => a.account_sid === A1 && a.event === "alert"));
    assert.equal(texts().length, 4);
    assert.ok(texts().includes("Switchboard: Calls from +14155550311 are over Twilio's line (24h): short_12_share. Carriers may label or block it."), texts().join("\n"));

    // The next run finds the same breach: nothing is sent again.
    await w.scheduled();
    assert.equal(alerts().length, 4);

    // Twenty more minute-long calls: 11 of 120 is 9.2%, back under the line.
    await inTurns(Array.from({ length: 20 }, (_, i) => leg(60, 100 + i)), 8, (c) => final(w, c));
    await w.scheduled();
    const cleared = alerts().slice(4);
    assert.deepEqual(
      cleared.map((a) => [a.alert.kind, a.alert.scope, a.alert.window]).sort(),
      [
        ["breach_cleared", "+14155550311", "24h"],
        ["breach_cleared", "+14155550311", "7d"],
        ["breach_cleared", "account", "24h"],
        ["breach_cleared", "account", "7d"],
      ],
    );
    await w.scheduled();
    assert.equal(alerts().length, 8);
    assert.equal(texts().length, 8);

    // The account sees them all, delivered, newest first, a page at a time.
    const page1 = await api("GET", "/alerts?limit=5");
    const page2 = await api("GET", `/alerts?limit=5&cursor=${page1.body.next_cursor}`);
    const listed = [...page1.body.alerts, ...page2.body.alerts];
    assert.equal(listed.length, 8);
    assert.equal(page2.body.next_cursor, null);
    assert.ok(listed.every((a) => a.delivered_ms !== null));
    assert.deepEqual(listed.map((a) => a.id), [8, 7, 6, 5, 4, 3, 2, 1]);

    // A receiver that fails keeps the alert due: it goes out on the next run, once.
    recorder.failWith(500);
    const failing = Array.from({ length: 30 }, (_, i) => leg(5, 200 + i));
    await inTurns(failing, 8, (c) => final(w, c));
    await w.scheduled();
    const tried = alerts().length;
    assert.ok(tried > 8);
    assert.ok((await api("GET", "/alerts?limit=1")).body.alerts[0].delivered_ms === null);
    recorder.succeed();
    await w.scheduled();
    const after = alerts().slice(tried);
    assert.equal(after.length, 4, "the four breaches, delivered on the run after");
    assert.ok(after.every((a) => a.alert.kind === "breach_started"));
    await w.scheduled();
    assert.equal(alerts().length, tried + 4);

    // One channel down: the other still goes, and neither goes twice. The
    // webhook fails while the breach clears (41 short of 420 is 9.8%).
    let posted = alerts().length;
    let texted = texts().length;
    recorder.failWith(500, "/alerts");
    await inTurns(Array.from({ length: 270 }, (_, i) => leg(60, 300 + i)), 8, (c) => final(w, c));
    await w.scheduled();
    assert.equal(alerts().length, posted + 4, "the webhook was tried");
    assert.equal(texts().length, texted + 4, "the SMS went, webhook or not");
    assert.ok((await api("GET", "/alerts?limit=1")).body.alerts[0].delivered_ms === null);
    recorder.succeed();
    await w.scheduled();
    assert.deepEqual(alerts().slice(posted + 4).map((a) => a.alert.kind), Array(4).fill("breach_cleared"));
    assert.equal(texts().length, texted + 4, "no second SMS for the webhook's retry");
    assert.ok((await api("GET", "/alerts?limit=1")).body.alerts[0].delivered_ms !== null);
    // And the other way: the SMS fails while the breach starts again.
    posted = alerts().length;
    texted = texts().length;
    recorder.failWith(500, "/Messages.json");
    await inTurns(Array.from({ length: 30 }, (_, i) => leg(5, 600 + i)), 8, (c) => final(w, c));
    await w.scheduled();
    assert.equal(alerts().length, posted + 4);
    assert.equal(texts().length, texted + 4, "the SMS was tried");
    recorder.succeed();
    await w.scheduled();
    assert.equal(alerts().length, posted + 4, "no second webhook for the SMS's retry");
    assert.equal(texts().length, texted + 8, "the SMS went on the run after");
    await w.scheduled();
    assert.equal(texts().length, texted + 8);
    assert.ok((await api("GET", "/alerts?limit=1")).body.alerts[0].delivered_ms !== null);
  } finally { await w.stop(); await recorder.stop(); }
});

test("the watch: new debugger codes once, a pool running low once, voicemail notices retried, records past retention pruned", async () => {
  const recorder = await startRecorder();
  const w = await startWorker({ vars: { TWILIO_API_BASE: recorder.url } });
  const api = client(w);
  try {
    assert.equal((await api("PUT", "/monitoring", { alerts: { webhook_url: `${recorder.url}/alerts` }, retention_days: 1 })).status, 200);
    const alerts = () => recorder.requests.filter((q) => q.url === "/alerts").map((q) => q.body && JSON.parse(q.body).alert);

    // A Debugger event, and a record two days old (past the one-day retention).
    const debug = (sid) => post(w.url, "/twilio/debugger", Object.entries({
      AccountSid: A1, Sid: sid, Level: "ERROR", Timestamp: new Date().toISOString(),
      Payload: JSON.stringify({ error_code: "11200", resource_sid: "CA1" }),
    }), { token: T1 });
    assert.equal((await debug("NO" + "1".repeat(32))).status, 200);
    const old = { sid: callSid(), from: "+14155550301", to: "+12125551000", status: "completed", duration: 30, leg: "outbound", direction: "outbound-dial", at: Date.now() - 2 * 24 * HOUR };
    const fresh = { ...old, sid: callSid(), at: Date.now() - HOUR };
    assert.equal((await final(w, old)).status, 200);
    assert.equal((await final(w, fresh)).status, 200);
    assert.equal((await api("GET", `/calls/${old.sid}`)).status, 200);

    // A pool whose one number is taken by a session: under its mark of 2.
    const pool = "rides";
    assert.equal((await api("PUT", `/pools/${pool}/numbers/${encodeURIComponent("+14155550321")}`, {})).status, 200);
    assert.equal((await api("PUT", `/pools/${pool}/settings`, { grace_secs: 0, low_water: 2 })).status, 200);

    // A voicemail whose notice failed: it stays pending on the message.
    const line = "+14155550179";
    await api("PUT", `/lines/${line}`, { owner: { targets: [{ number: "+14155550100" }] }, voicemail: { notify: { webhook_url: `${recorder.url}/hook` } } });
    recorder.failWith(500);
    const vm = callSid();
    await post(w.url, "/voice/voicemail", callParams({ CallSid: vm, From: "+12125550700", To: line, RecordingUrl: "https://api.twilio.com/r/RE1", RecordingSid: "RE1", RecordingDuration: "5" }), { token: T1 });
    assert.deepEqual(JSON.parse(await w.kv.get(`vm:${A1}:${vm}`)).pending, ["webhook"]);
    recorder.succeed();
    recorder.requests.length = 0;

    await w.scheduled();
    assert.deepEqual(alerts().sort((a, b) => (a.kind < b.kind ? -1 : 1)), [
      { kind: "new_error_code", code: "11200", count: 1 },
      { kind: "pool_low", pool, idle: 1, low_water: 2 },
    ]);
    assert.equal(recorder.requests.filter((q) => q.url === "/hook").length, 1, "the voicemail notice went out");
    assert.deepEqual(JSON.parse(await w.kv.get(`vm:${A1}:${vm}`)).pending ?? [], []);
    assert.equal((await api("GET", `/calls/${old.sid}`)).status, 404, "pruned");
    assert.equal((await api("GET", `/calls/${fresh.sid}`)).status, 200, "kept");

    // Nothing new: the same code again, the pool still low, no notice left.
    assert.equal((await debug("NO" + "2".repeat(32))).status, 200);
    await w.scheduled();
    assert.equal(alerts().length, 2);
    assert.equal(recorder.requests.filter((q) => q.url === "/hook").length, 1);

    // The pool gets a second idle number, and a third: back over the mark.
    for (const n of ["+14155550322", "+14155550323"]) {
      assert.equal((await api("PUT", `/pools/${pool}/numbers/${encodeURIComponent(n)}`, {})).status, 200);
    }
    await w.scheduled();
    assert.deepEqual(alerts().slice(2), [{ kind: "pool_recovered", pool, idle: 3 }]);
  } finally { await w.stop(); await recorder.stop(); }
});

test("the watch visits each account on its own: a tenant with many failing notices retries 20 a run, in turn, and another tenant's notice still goes", async () => {
  const recorder = await startRecorder();
  const w = await startWorker({ vars: { TWILIO_API_BASE: recorder.url } });
  const api = client(w);
  const T2 = SECRETS.TWILIO_AUTH_TOKEN_AC00000000000000000000000000000002;
  try {
    // A1's notices go to a receiver that always fails; A2's to one that works.
    const lineA = "+14155550181", lineB = "+14155550182";
    await api("PUT", `/lines/${lineA}`, { owner: { targets: [{ number: "+14155550100" }] }, voicemail: { notify: { webhook_url: `${recorder.url}/hook-a` } } });
    await api("PUT", `/lines/${lineB}`, { owner: { targets: [{ number: "+14155550100" }] }, voicemail: { notify: { webhook_url: `${recorder.url}/hook-b` } } }, { account: A2 });
    recorder.failWith(500);
    const left = [];
    for (let i = 0; i < 30; i++) {
      const sid = callSid();
      left.push(sid);
      const r = await post(w.url, "/voice/voicemail", callParams({ CallSid: sid, From: "+12125550800", To: lineA, RecordingUrl: "https://api.twilio.com/r/RE1", RecordingSid: "RE1", RecordingDuration: "5" }), { token: T1 });
      assert.equal(r.status, 200);
    }
    const theirs = callSid();
    await post(w.url, "/voice/voicemail", callParams({ AccountSid: A2, CallSid: theirs, From: "+12125550801", To: lineB, RecordingUrl: "https://api.twilio.com/r/RE2", RecordingSid: "RE2", RecordingDuration: "5" }), { token: T2 });
    assert.deepEqual(JSON.parse(await w.kv.get(`vm:${A2}:${theirs}`)).pending, ["webhook"]);
    for (const a of [A1, A2]) await w.ledger("registry", { op: "claim", key: `calllog:${a}`, holder: "registered", until_ms: null });
    recorder.failWith(500, "/hook-a");
    recorder.requests.length = 0;
    const tried = (path) => recorder.requests.filter((q) => q.url === path).map((q) => JSON.parse(q.body).call_sid);

    await w.scheduled();
    const first = tried("/hook-a");
    assert.equal(first.length, 20, "20 of A1's 30 notices this run");
    assert.equal(new Set(first).size, 20);
    assert.deepEqual(tried("/hook-b"), [theirs], "A2's notice went out all the same");
    assert.deepEqual(JSON.parse(await w.kv.get(`vm:${A2}:${theirs}`)).pending ?? [], []);
    assert.ok(w.logs.some((l) => l.includes('"voicemails_deferred":10')), "the run's line counts what waits");

    // The next run goes on from there: every message has come up.
    await w.scheduled();
    const both = tried("/hook-a");
    assert.equal(both.length, 40);
    assert.deepEqual([...new Set(both)].sort(), [...left].sort());
    assert.deepEqual(tried("/hook-b"), [theirs], "sent once");
    for (const sid of left) assert.deepEqual(JSON.parse(await w.kv.get(`vm:${A1}:${sid}`)).pending, ["webhook"], "still waiting, nothing lost");
  } finally { await w.stop(); await recorder.stop(); }
});

test("monitoring settings are checked whole, and an alert SMS passes the toll-fraud guard", async () => {
  const w = await startWorker();
  const api = client(w);
  try {
    let r = await api("GET", "/monitoring");
    assert.deepEqual(r.body, {
      alerts: {}, retention_days: 90,
      thresholds: { min_sample: 20, asr_min: 0.7, acd_min_secs: 30, short_12_max: 0.1, repeat_max: 0.2, watch_margin: 0.1 },
    });
    for (const [body, field] of [
      [{ retention_days: 0 }, "retention_days"],
      [{ thresholds: { asr_min: 70 } }, "thresholds.asr_min"],
      [{ alerts: { webhook_url: "http://example.com/x" } }, "alerts.webhook_url"],
      [{ alerts: { sms_to: "+14155550100" } }, "alerts"],
    ]) {
      r = await api("PUT", "/monitoring", body);
      assert.deepEqual([r.status, r.body.field], [422, field], JSON.stringify(body));
    }
    r = await api("PUT", "/monitoring", { retention: 30 });
    assert.equal(r.status, 422);
    assert.match(r.body.error, /unknown field `retention`/);
    // A premium-rate number would cost money on every alert.
    r = await api("PUT", "/monitoring", { alerts: { sms_to: "+19005550100", sms_from: LINE } });
    assert.deepEqual([r.status, r.body.code], [422, "refused_by_guard"]);
    // The same side door on a line's voicemail notice.
    r = await api("PUT", `/lines/${LINE}`, { owner: { targets: [{ number: "+14155550100" }] }, voicemail: { notify: { sms_to: "+19005550100", sms_from: LINE } } });
    assert.deepEqual([r.status, r.body.code], [422, "refused_by_guard"]);
    // A partial setting keeps the other lines at Twilio's.
    r = await api("PUT", "/monitoring", { thresholds: { min_sample: 50 } });
    assert.equal(r.body.thresholds.min_sample, 50);
    assert.equal((await api("GET", "/health")).body.thresholds.min_sample, 50);
    assert.equal((await api("GET", "/health?window=1h")).status, 400);
  } finally { await w.stop(); }
});

test("a REST-created call whose final callback has no QueueTime gets it from its Call resource", async () => {
  const recorder = await startRecorder();
  const w = await startWorker({ vars: { TWILIO_API_BASE: recorder.url } });
  const api = client(w);
  try {
    recorder.answerWith({ sid: "CA0", queue_time: "1234" });
    const call = { sid: callSid(), from: "+14155550301", to: "+12125551000", status: "completed", duration: 30, leg: "api_call", direction: "outbound-api", at: Date.now() - 1000 };
    assert.equal((await final(w, call)).status, 200);
    let got;
    for (let i = 0; i < 50 && !got?.queue_time_ms; i++) {
      got = (await api("GET", `/calls/${call.sid}`)).body;
      await new Promise((ok) => setTimeout(ok, 50));
    }
    assert.equal(got.queue_time_ms, 1234);
    const fetched = recorder.requests.filter((q) => q.method === "GET");
    assert.deepEqual(fetched.map((q) => q.url), [`/2010-04-01/Accounts/${A1}/Calls/${call.sid}.json`]);
    assert.match(fetched[0].headers.authorization, /^Basic /);
    // One that carried it is not fetched, and a leg we dialled has none to fetch.
    recorder.requests.length = 0;
    assert.equal((await final(w, { ...call, sid: callSid(), queue: 99 })).status, 200);
    assert.equal((await final(w, { ...call, sid: callSid(), leg: "outbound", direction: "outbound-dial" })).status, 200);
    await new Promise((ok) => setTimeout(ok, 300));
    assert.equal(recorder.requests.length, 0);
  } finally { await w.stop(); await recorder.stop(); }
});
