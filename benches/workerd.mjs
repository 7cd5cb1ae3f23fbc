// Figures for the built worker in workerd (through Miniflare, no wrangler
// proxy): wasm size, first-request time of a fresh worker and warm round-trip
// medians, each webhook beside GET /health from the same run so that ratios
// hold on a noisy machine. Both workers run as deployed, with the calls
// worker's isolate copy of hot config on (HOT_CONFIG_SECS as in wrangler.toml).
// Prints; asserts nothing.
import { readFileSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { startWorker, ROOT, SECRETS } from "../tests/e2e/lib/harness.mjs";
import { sign, encode, callParams } from "../scripts/twilio.mjs";

const COLD_SAMPLES = Number(process.env.COLD_SAMPLES ?? 7);
const WARM_REQUESTS = Number(process.env.WARM_REQUESTS ?? 400);
const token = SECRETS.TWILIO_AUTH_TOKEN;

let challenged = 0;

const admin = { Authorization: `Bearer ${SECRETS.ADMIN_TOKEN}` };

// A signed form POST, prepared before the clock starts.
function signed(path, params) {
  return (base) => {
    const headers = {
      "Content-Type": "application/x-www-form-urlencoded",
      "X-Twilio-Signature": sign(base + path, params, token),
    };
    return [base + path, { method: "POST", headers, body: encode(params) }];
  };
}

// Each scenario is one request; `status` guards against timing an error page.
export const scenarios = [
  { name: "GET /health", prepare: (base) => [`${base}/health`, {}], status: 200 },
  { name: "POST /voice/fallback (signed)", prepare: signed("/voice/fallback", callParams({ ErrorCode: "11200" })), status: 200 },
  // The demo line (kv-seed): an address-book caller (2 KV reads, no write),
  // and an unknown caller who is challenged (2 reads, 1 counter write).
  { name: "POST /voice/incoming (address book)", prepare: signed("/voice/incoming", callParams({ From: "+14155550101", To: "+14155550199" })), status: 200 },
  // Caller-ID selection (phonenumber parse + guard + pick; 1 cached KV read).
  { name: "GET /api/v1/accounts/{AccountSid}/caller-id", prepare: (base) => [`${base}/api/v1/accounts/AC00000000000000000000000000000001/caller-id?to=%28415%29+555-0123`, { headers: admin }], status: 200 },
  { name: "POST /voice/incoming (challenge)", prepare: (base) => signed("/voice/incoming", callParams({ From: "+12125550100", To: "+14155550199", CallSid: "CA" + String(++challenged).padStart(32, "0") }))(base), status: 200 },
];

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const pct = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))];

async function timed(s, base) {
  const [url, init] = s.prepare(base);
  const t = performance.now();
  const r = await fetch(url, init);
  await r.arrayBuffer();
  const ms = performance.now() - t;
  if (r.status !== s.status) throw new Error(`${s.name}: status ${r.status}`);
  return ms;
}

const wasm = readFileSync(join(ROOT, "build", "index_bg.wasm"));
console.log(`wasm: ${(wasm.length / 1024).toFixed(0)} KiB raw, ${(gzipSync(wasm, { level: 9 }).length / 1024).toFixed(0)} KiB gzip`);

// Cold: a fresh workerd per sample, scenarios interleaved. `first` is the
// first request alone; `boot` adds the worker's start-up (process start to
// first answer), so work moved into start-up is not hidden.
const cold = Object.fromEntries(scenarios.map((s) => [s.name, []]));
const boot = Object.fromEntries(scenarios.map((s) => [s.name, []]));
for (let i = 0; i < COLD_SAMPLES; i++) {
  for (const s of scenarios) {
    const t = performance.now();
    const w = await startWorker({ vars: { HOT_CONFIG_SECS: "10" } });
    try {
      cold[s.name].push(await timed(s, w.url));
      boot[s.name].push(performance.now() - t);
    } finally { await w.stop(); }
  }
}

// Masking, warm only (it needs a pool and a session first): a call to a
// proxy number (1 KV read) and creating a session (the pool's Durable Object:
// 1 storage read + 1 write, then 2 KV index writes).
const poolApi = (base, path) => `${base}/api/v1/accounts/AC00000000000000000000000000000001/pools/bench${path}`;
let pairs = 0;
const warmOnly = [
  { name: "POST /voice/proxy (live session)", prepare: signed("/voice/proxy", callParams({ From: "+14155550401", To: "+14155550301" })), status: 200 },
  {
    name: "POST …/pools/bench/sessions (create)",
    prepare: (base) => {
      pairs++;
      const body = JSON.stringify({ a: `+1212555${String(pairs).padStart(4, "0")}`, b: `+1646555${String(pairs).padStart(4, "0")}` });
      return [poolApi(base, "/sessions"), { method: "POST", headers: { ...admin, "Content-Type": "application/json" }, body }];
    },
    status: 201,
  },
];

// Warm: one worker, scenarios interleaved request by request.
const warm = Object.fromEntries([...scenarios, ...warmOnly].map((s) => [s.name, []]));
const w = await startWorker({ vars: { HOT_CONFIG_SECS: "10" } });
try {
  const setup = (method, path, body) => fetch(poolApi(w.url, path), { method, headers: { ...admin, "Content-Type": "application/json" }, body: JSON.stringify(body) });
  await setup("PUT", "/numbers/%2B14155550301", {});
  await setup("POST", "/sessions", { a: "+14155550401", b: "+14155550402" });
  scenarios.push(...warmOnly);
  for (const s of scenarios) for (let i = 0; i < 20; i++) await timed(s, w.url);
  for (let i = 0; i < WARM_REQUESTS; i++) for (const s of scenarios) warm[s.name].push(await timed(s, w.url));
} finally {
  await w.stop();
}

const base = scenarios[0].name;
console.log(`\nworkerd via Miniflare, loopback HTTP, one request at a time`);
console.log(`${"scenario".padEnd(36)} ${"start+first".padStart(11)} ${"cold first".padStart(11)} ${"x health".padStart(9)} ${"warm p50".padStart(9)} ${"warm p90".padStart(9)} ${"x health".padStart(9)}`);
for (const s of scenarios) {
  const m = median(warm[s.name]);
  if (!cold[s.name]) {
    console.log(`${s.name.padEnd(36)} ${"(warm only)".padStart(35)} ${m.toFixed(3).padStart(6)} ms ${pct(warm[s.name], 0.9).toFixed(3).padStart(6)} ms ${(m / median(warm[base])).toFixed(2).padStart(8)}x`);
    continue;
  }
  const c = median(cold[s.name]);
  console.log(
    `${s.name.padEnd(36)} ${median(boot[s.name]).toFixed(1).padStart(8)} ms ${c.toFixed(2).padStart(8)} ms ${(c / median(cold[base])).toFixed(2).padStart(8)}x` +
      ` ${m.toFixed(3).padStart(6)} ms ${pct(warm[s.name], 0.9).toFixed(3).padStart(6)} ms ${(m / median(warm[base])).toFixed(2).padStart(8)}x`,
  );
}
console.log(`(cold: median of ${COLD_SAMPLES} fresh workers each; warm: ${WARM_REQUESTS} requests each)`);
