// Figures for call records in workerd (through Miniflare), each beside a
// floor from the same run so that ratios hold on a noisy machine:
// 1. a status callback's warm round trip beside GET /health;
// 2. callbacks per second into one account's CallLog at 8 in flight, beside
//    GET /health at 8 in flight, against the goal;
// 3. GET …/health (the aggregate query) on an account of 10,000 and then
//    100,000 records, beside a page of records and GET /health.
// Prints; asserts nothing but the status codes that keep an error page from
// being timed, and that the records written are there.
import { performance } from "node:perf_hooks";
import { startWorker, SECRETS, random } from "../tests/e2e/lib/harness.mjs";
import { sign, encode, stamp } from "../scripts/twilio.mjs";

const WARM_REQUESTS = Number(process.env.WARM_REQUESTS ?? 400);
const CALLBACK_CALLS = Number(process.env.CALLBACK_CALLS ?? 3000);
const RECORDS = Number(process.env.RECORDS ?? 100_000);
const FIRST_RECORDS = Math.min(RECORDS, 10_000);
const INFLIGHT = 8;
// What the issue asks of one account's store.
const GOAL_PER_SEC = 500;

const A1 = "AC00000000000000000000000000000001";
const token = SECRETS.TWILIO_AUTH_TOKEN;
const admin = { Authorization: `Bearer ${SECRETS.ADMIN_TOKEN}` };
const DAY = 86_400_000;

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const pct = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))];
const int = (n) => Math.round(n).toLocaleString("en-US");



// Every call this run makes has its own CallSid, so every timed callback is
// a new event that really writes.
let serial = 0;
const callSid = () => "CA" + (++serial).toString(16).padStart(32, "0");

// One event of an outbound leg, as Twilio reports it (see final() in
// tests/e2e/health.test.mjs), signed: [url, init] ready to send.
function callback(base, call, seq, status, extra = {}) {
  const path = "/voice/status?leg=outbound";
  const params = Object.entries({
    AccountSid: A1, CallSid: call.sid, CallStatus: status, Direction: "outbound-dial",
    From: call.from, To: call.to, SequenceNumber: String(seq), Timestamp: stamp(call.at + seq * 1000),
    CallbackSource: "call-progress-events", ...extra,
  });
  const headers = { "Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": sign(base + path, params, token) };
  return [base + path, { method: "POST", headers, body: encode(params) }];
}

async function send([url, init], status, name) {
  const r = await fetch(url, init);
  const body = await r.text();
  if (r.status !== status) throw new Error(`${name}: status ${r.status}: ${body.slice(0, 300)}`);
  return body;
}

// One request timed; prepared (and signed) before the clock starts.
async function timed(s, base) {
  const req = s.prepare(base);
  const t = performance.now();
  const r = await fetch(...req);
  await r.arrayBuffer();
  const ms = performance.now() - t;
  if (r.status !== s.status) throw new Error(`${s.name}: status ${r.status}`);
  return ms;
}

// `n` requests from `requests` kept in flight until all are answered;
// answers the rate and the statuses that were not `status`.
async function sustained(requests, n, status) {
  let next = 0;
  const wrong = [];
  const t = performance.now();
  await Promise.all(Array.from({ length: n }, async () => {
    while (next < requests.length) {
      const r = await fetch(...requests[next++]);
      const body = await r.text();
      if (r.status !== status) wrong.push(`${r.status} ${body.slice(0, 200)}`);
    }
  }));
  const secs = (performance.now() - t) / 1000;
  return { perSec: requests.length / secs, secs, wrong };
}

// A helper worker beside the two, never measured: it takes a batch of
// LogOps and sends each to the CallLog from inside workerd. Sent one by one
// from Node, through Miniflare's proxy, they go at about 300 a second:
// 100,000 records would take longer than the whole bench may. Batches
// stay well under a request's subrequest limit.
const filler = {
  name: "fill",
  modules: true,
  compatibilityDate: "2024-09-23",
  durableObjects: { CALL_LOG: { className: "CallLog", scriptName: "switchboard-admin" } },
  script: `export default {
    async fetch(req, env) {
      const { name, ops, inflight } = await req.json();
      const stub = env.CALL_LOG.get(env.CALL_LOG.idFromName(name));
      let next = 0, stored = 0;
      const wrong = [];
      await Promise.all(Array.from({ length: inflight }, async () => {
        while (next < ops.length) {
          const r = await stub.fetch("https://object/" + name, { method: "POST", body: JSON.stringify(ops[next++]) });
          const text = await r.text();
          if (r.status !== 200) wrong.push(r.status + " " + text);
          else if (JSON.parse(text).stored) stored++;
        }
      }));
      return Response.json({ stored, wrong: wrong.slice(0, 3), failures: wrong.length });
    },
  };`,
};

const w = await startWorker({ vars: { HOT_CONFIG_SECS: "10" } });

try {
  const api = (path) => [`${w.url}/api/v1/accounts/${A1}${path}`, { headers: admin }];
  const probe = { name: "GET /health", prepare: (base) => [`${base}/health`, {}], status: 200 };

  // 1. One at a time, warm. A new call's first event inserts the record;
  // its final event (duration, SIP code) updates it. Both are new events.
  const open = [];
  const first = {
    name: "POST /voice/status (new call, seq 0)",
    prepare: (base) => {
      const call = { sid: callSid(), from: "+14155550301", to: `+1212555${String(1000 + (serial % 1000)).padStart(4, "0")}`, at: Date.now() - 60_000 };
      open.push(call);
      return callback(base, call, 0, "initiated");
    },
    status: 200,
  };
  const last = {
    name: "POST /voice/status (its final, seq 3)",
    prepare: (base) => callback(base, open.pop(), 3, "completed", { CallDuration: "42", SipResponseCode: "200" }),
    status: 200,
  };
  const scenarios = [probe, first, last];
  const warm = Object.fromEntries(scenarios.map((s) => [s.name, []]));
  for (let i = 0; i < 20; i++) for (const s of scenarios) await timed(s, w.url);
  for (let i = 0; i < WARM_REQUESTS; i++) for (const s of scenarios) warm[s.name].push(await timed(s, w.url));

  console.log(`status callbacks in workerd via Miniflare, loopback HTTP, one request at a time`);
  console.log(`${"scenario".padEnd(38)} ${"warm p50".padStart(9)} ${"warm p90".padStart(9)} ${"x health".padStart(9)}`);
  for (const s of scenarios) {
    const m = median(warm[s.name]);
    console.log(`${s.name.padEnd(38)} ${m.toFixed(3).padStart(6)} ms ${pct(warm[s.name], 0.9).toFixed(3).padStart(6)} ms ${(m / median(warm[probe.name])).toFixed(2).padStart(8)}x`);
  }
  console.log(`(${WARM_REQUESTS} requests each, interleaved)`);

  // 2. Sustained, 8 in flight, one account: each call's three events
  // (initiated, ringing, completed) queued in order; with 8 in flight a
  // call's events may overlap and land out of order, as Twilio's may.
  const rnd = random(20261122);
  const now = Date.now();
  const calls = Array.from({ length: CALLBACK_CALLS }, (_, i) => ({
    sid: callSid(), from: `+1415555${String(310 + (i % 20)).padStart(4, "0")}`,
    to: `+1646555${String(Math.floor(rnd() * 10_000)).padStart(4, "0")}`, at: now - 3_600_000 + i * 1000,
  }));
  const callbacks = calls.flatMap((c) => [
    callback(w.url, c, 0, "initiated"),
    callback(w.url, c, 1, "ringing"),
    callback(w.url, c, 3, "completed", { CallDuration: String(1 + Math.floor(rnd() * 300)), SipResponseCode: "200" }),
  ]);
  const probes = Array.from({ length: callbacks.length }, () => probe.prepare(w.url));
  const floor = await sustained(probes, INFLIGHT, 200);
  const load = await sustained(callbacks, INFLIGHT, 200);
  if (floor.wrong.length || load.wrong.length) {
    throw new Error(`non-200 answers: ${floor.wrong.length} probes, ${load.wrong.length} callbacks; first: ${[...floor.wrong, ...load.wrong][0]}`);
  }
  // Read back: the newest record, and the first and last call whole.
  const page = JSON.parse(await send(api("/calls?limit=1"), 200, "GET …/calls?limit=1"));
  if (page.calls.length !== 1) throw new Error(`GET …/calls?limit=1 answered ${JSON.stringify(page)}`);
  for (const c of [calls[0], calls.at(-1)]) {
    const rec = JSON.parse(await send(api(`/calls/${c.sid}`), 200, `GET …/calls/${c.sid}`));
    if (rec.status !== "completed" || rec.events.length !== 3) throw new Error(`record ${c.sid}: ${JSON.stringify(rec)}`);
  }
  console.log(`\nsustained, ${INFLIGHT} in flight, one account's CallLog`);
  console.log(`${probe.name.padEnd(38)} ${int(floor.perSec).padStart(7)} requests/s`);
  console.log(
    `${"POST /voice/status".padEnd(38)} ${int(load.perSec).padStart(7)} callbacks/s ${(load.perSec / floor.perSec).toFixed(2).padStart(6)}x health` +
      `  (${int(CALLBACK_CALLS)} calls x 3 events in ${load.secs.toFixed(1)} s: ${int((load.perSec / 3) * 60)} calls/minute)`,
  );
  console.log(`goal (issue): ${GOAL_PER_SEC} callbacks/s per account. All ${int(callbacks.length)} callbacks and ${int(probes.length)} probes answered 200; records read back`);
} finally {
  await w.stop();
}

// 3. The aggregate query on a full account. A fresh worker, so the account
// holds exactly the records sent; they go straight to its CallLog as the
// calls worker would send them (LogOp::Status, one final event per call):
// the last 6 days, ~20 placing numbers, ~5,000 destinations, mixed outcomes,
// a quarter placed through the API with a queue time.
const v = await startWorker({ vars: { HOT_CONFIG_SECS: "10" }, extra: [filler] });
try {
  const rnd = random(20261123);
  const pick = (xs) => xs[Math.floor(rnd() * xs.length)];
  const placing = Array.from({ length: 20 }, (_, i) => `+1415555${String(300 + i).padStart(4, "0")}`);
  const destinations = Array.from({ length: 5000 }, (_, i) => `+1212${String(5_550_000 + i)}`);
  const now = Date.now();
  const record = () => {
    const api = rnd() < 0.25;
    const status = pick(["completed", "completed", "completed", "completed", "completed", "completed", "busy", "no-answer", "failed", "canceled"]);
    const op = {
      op: "status", call_sid: callSid(), direction: api ? "outbound-api" : "outbound-dial",
      from: pick(placing), to: pick(destinations), status, sequence: 3,
      at_ms: now - 60_000 - Math.floor(rnd() * 6 * DAY), feature: api ? "api_call" : "outbound",
    };
    if (status === "completed") Object.assign(op, { duration_secs: pick([0, 3, 6, 7, 12, 13, 25, 31, 45, 60, 95, 180, 600]), sip_response_code: 200 });
    else if (status !== "canceled" && rnd() < 0.8) op.sip_response_code = pick([486, 480, 603, 404]);
    if (api) op.queue_time_ms = Math.floor(rnd() * 3000);
    return op;
  };

  // The shape checked once: one op sent by the harness, read back whole.
  const one = record();
  const put = await v.object("CALL_LOG", A1, one);
  const back = await fetch(`${v.url}/api/v1/accounts/${A1}/calls/${one.call_sid}`, { headers: admin });
  const got = await back.json();
  if (!put.stored || back.status !== 200 || got.status !== one.status || got.started_ms !== one.at_ms || got.from !== one.from) {
    throw new Error(`a LogOp sent straight to the CallLog did not read back: ${JSON.stringify(put)} ${back.status} ${JSON.stringify(got)}`);
  }
  let filled = 1;

  const fill = await v.mf.getWorker("fill");
  async function fillTo(n) {
    const t = performance.now();
    const from = filled;
    while (filled < n) {
      const ops = Array.from({ length: Math.min(500, n - filled) }, record);
      const r = await fill.fetch("https://fill/", { method: "POST", body: JSON.stringify({ name: A1, ops, inflight: 32 }) });
      const out = await r.json();
      if (out.failures || out.stored !== ops.length) throw new Error(`fill: ${JSON.stringify(out)}`);
      filled += ops.length;
    }
    const secs = (performance.now() - t) / 1000;
    return `${int(filled - from)} records added in ${secs.toFixed(1)} s (${int((filled - from) / secs)}/s)`;
  }

  const queries = [
    { name: "GET …/health", req: () => [`${v.url}/api/v1/accounts/${A1}/health`, { headers: admin }] },
    { name: "GET …/calls?limit=50", req: () => [`${v.url}/api/v1/accounts/${A1}/calls?limit=50`, { headers: admin }] },
    { name: "GET /health", req: () => [`${v.url}/health`, {}] },
  ];
  const RUNS = 7;
  async function timeQueries() {
    const ms = Object.fromEntries(queries.map((q) => [q.name, []]));
    let counted;
    for (let i = 0; i <= RUNS; i++) {
      for (const q of queries) {
        const req = q.req();
        const t = performance.now();
        const r = await fetch(...req);
        const body = await r.text();
        const took = performance.now() - t;
        if (r.status !== 200) throw new Error(`${q.name}: status ${r.status}: ${body.slice(0, 300)}`);
        if (q === queries[0]) counted = JSON.parse(body).windows.map((x) => x.account.calls);
        if (i > 0) ms[q.name].push(took); // the first run warms up
      }
    }
    return { ms, counted };
  }

  const rows = [];
  for (const n of [FIRST_RECORDS, RECORDS]) {
    if (rows.length && n === FIRST_RECORDS) break;
    const how = await fillTo(n);
    rows.push({ n, how, ...(await timeQueries()) });
  }
  console.log(`\nthe health query on one account, records sent straight to its CallLog (not timed through HTTP)`);
  for (const r of rows) console.log(`${int(r.n).padStart(7)}: ${r.how}`);
  console.log(`${"records".padStart(7)}  ${"request".padEnd(22)} ${"p50".padStart(11)} ${"max".padStart(11)} ${"x health".padStart(9)}`);
  for (const r of rows) {
    const floor = median(r.ms["GET /health"]);
    for (const q of queries) {
      const m = median(r.ms[q.name]);
      console.log(`${int(r.n).padStart(7)}  ${q.name.padEnd(22)} ${m.toFixed(2).padStart(8)} ms ${Math.max(...r.ms[q.name]).toFixed(2).padStart(8)} ms ${(m / floor).toFixed(1).padStart(8)}x`);
    }
    console.log(`${"".padStart(7)}  (calls counted by …/health, 24h / 7d: ${r.counted.map(int).join(" / ")})`);
  }
  console.log(`(median and max of ${RUNS} runs each, after one warm-up, interleaved; same worker, same account)`);
} finally {
  await v.stop();
}
