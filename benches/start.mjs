// Every worker of benches/workers.mjs beside the floor (benches/floor: a
// workers-rs worker that answers `200 ok`, same worker version, profile and
// worker-build): wasm size, start-to-first-answer of a fresh isolate, warm
// p50 of one simple request, and start-to-first-answer across a runtime
// restart, each with its ratio to the floor's figure from the same run.
// Prints; asserts nothing.
//
// start→first: the worker loaded into an already running workerd and timed
// from the load until its first answer. The runtime is one Miniflare whose
// only worker is a loader holding a Worker Loader binding (the runtime's
// dynamic-worker API). For each load the loader is given, beforehand and off
// the clock, the worker's modules as a WorkerCode under a fresh id; the
// clock then runs, in Node, from sending `/load?id=…` until the last byte of
// the loaded worker's answer to its probe request. With a new id the runtime
// creates a new isolate, compiles the wasm, evaluates the modules (the wasm
// is instantiated there, by worker-build's index.js) and dispatches the
// probe. Not counted: the runtime process's start, Miniflare, reading files.
// Counted, and the same for every worker: one loopback HTTP round trip to
// the loader and the loader's call into the new isolate (about 1.5-2 ms on
// the bench machine); the empty JS worker row shows this fixed part plus a
// bare isolate. Each load's modules are made unique (a comment appended to
// each JS module, a custom section to each wasm module): V8 shares compiled
// wasm between isolates of one process by content, which made a repeated
// load of our 3.4 MB wasm about 7 ms cheaper than a first one; unique bytes
// compile from scratch, as after a deploy. The loaded worker gets the
// plain-value bindings of its config (vars and secrets) but not its KV
// namespaces or Durable Objects: those cannot be handed to a dynamically
// loaded worker (DataCloneError), and the probe touches neither. Loads are
// taken in turns (floor, each worker, the empty JS worker; again), after
// warm-up rounds that are not counted; the median is printed with the
// spread (min-max) of the counted loads.
//
// restart→first: the same worker given to a running Miniflare with
// setOptions, timed until its first answer. This does not load the worker
// into the running runtime: Miniflare's setOptions kills the workerd process
// (SIGKILL) and spawns a new one with the whole new config (Runtime.
// updateConfig in miniflare 4.20260426.0; the workerd pid changes). So it
// counts Miniflare's own config assembly (reading and parsing the modules),
// the process start, Miniflare's internal services, the services behind the
// worker's real bindings (KV, SQLite-backed Durable Objects: an empty JS
// worker given switchboard's bindings restarts some 20-40 ms slower than a
// bare one), the worker's own load and its first request. The empty JS
// worker row is the part any worker pays. It is the figure closest to a
// local cold start, and the one the loads above take apart.
import { readFileSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { performance } from "node:perf_hooks";
import { Miniflare, Log, LogLevel } from "miniflare";
import { WORKERS, miniflareOptions, modulesOf, wasmOf } from "./workers.mjs";
import { sign, encode, callParams } from "../scripts/twilio.mjs";
import { SECRETS } from "../tests/e2e/lib/harness.mjs";

// 25: on a shared 2-core machine the median of 9 loads moved by 0.2x
// between runs (1.48-1.68x); of 25, by 0.06x (1.53-1.59x).
const LOADS = Number(process.env.START_SAMPLES ?? 25);
const WARMUP_ROUNDS = 2;
const WARM_REQUESTS = Number(process.env.WARM_REQUESTS ?? 400);

// The runtime's output is drained, not read: a webhook logs a line per
// request, and an unread pipe would stall workerd once full.
const quiet = { host: "127.0.0.1", port: 0, cf: false, log: new Log(LogLevel.NONE), handleRuntimeStdio(out, err) { out.resume(); err.resume(); } };
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const kib = (n) => `${(n / 1024).toFixed(1)} KiB`;

// The reference: an empty JS worker, loaded and restarted the same way.
const EMPTY_JS = "export default { fetch() { return new Response('ok'); } };\n";
const reference = { name: "(empty JS worker)", probe: "/", status: 200 };
// What a caller at a fresh location waits for: the calls worker again, its
// first request a signed webhook (the number's fallback URL, which needs no
// KV: the loaded worker has none) rather than /health. It verifies the
// signature, parses the body, decides and renders TwiML.
const calls = WORKERS.find((w) => w.name === "calls");
const firstCall = { ...calls, name: "calls, a webhook", probe: "/voice/fallback", params: callParams({ ErrorCode: "11200" }) };
const measured = [...WORKERS, firstCall];
// Where a fresh isolate's time goes, for the floor and the calls worker:
// the same loads cut short. "compiled": a module that imports the worker's
// wasm (the runtime compiles it) and answers itself; "instantiated": one
// that imports worker-build's index.js (which instantiates the wasm and
// runs its start) and answers itself, the Rust fetch never called. The
// rest of a first answer is the first request's own work, including V8
// compiling each wasm function the first time it is called.
const PHASE_JS = {
  compiled: 'import wasm from "./index_bg.wasm";\nexport default { fetch() { return new Response(typeof wasm); } };\n',
  instantiated: 'import "./index.js";\nexport default { fetch() { return new Response("ok"); } };\n',
};
const phases = ["floor", "calls"].flatMap((name) =>
  Object.keys(PHASE_JS).map((phase) => ({ name: `${name}: ${phase}`, of: WORKERS.find((w) => w.name === name), phase, probe: "/", status: 200 })),
);
const all = [...measured, ...phases, reference];
const DATE = miniflareOptions(WORKERS[0]).compatibilityDate;

// GETs the probe, or POSTs it signed for `origin` + probe (the URL the
// worker sees) when the worker's probe is a webhook.
async function get(url, status, what, w, origin) {
  const r = await fetch(url, w?.params
    ? { method: "POST", body: encode(w.params), headers: { "Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": sign(origin + w.probe, w.params, SECRETS.TWILIO_AUTH_TOKEN) } }
    : {});
  await r.arrayBuffer();
  if (r.status !== status) throw new Error(`${what}: status ${r.status}`);
}

// ---- start→first: loads into one running workerd ----

const LOADER = `
const prepared = new Map();
const bytes = (s) => new TextEncoder().encode(s);
const leb = (n) => { const out = []; do { let b = n & 127; n >>>= 7; if (n) b |= 128; out.push(b); } while (n); return out; };
// The wasm module with a custom section appended: same code, new bytes.
function tagged(wasm, tag) {
  const name = bytes(tag);
  const section = [...leb(name.length), ...name];
  const head = [0, ...leb(section.length), ...section];
  const out = new Uint8Array(wasm.byteLength + head.length);
  out.set(new Uint8Array(wasm));
  out.set(head, wasm.byteLength);
  return out.buffer;
}
export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const id = url.searchParams.get("id");
    if (url.pathname === "/prepare") {
      const w = env.MANIFEST[url.searchParams.get("worker")];
      const modules = {};
      for (const m of w.modules) {
        modules[m.name] = m.type === "wasm"
          ? { wasm: tagged(env[m.binding], "load " + id) }
          : { js: (m.inline ?? new TextDecoder().decode(env[m.binding])) + "\\n// load " + id + "\\n" };
      }
      prepared.set(id, { compatibilityDate: w.compatibilityDate, compatibilityFlags: w.compatibilityFlags, mainModule: w.modules[0].name, modules, env: w.env });
      return new Response("prepared");
    }
    const code = prepared.get(id);
    prepared.delete(id);
    const worker = env.LOADER.get(id, async () => code);
    // The probe is sent as the loader got it: a GET, or a signed POST.
    const probe = new URL(url.searchParams.get("probe"), "http://worker.local");
    const post = request.method === "POST";
    return worker.getEntrypoint().fetch(new Request(probe, { method: request.method, headers: request.headers, body: post ? await request.arrayBuffer() : undefined }));
  },
};`;

function loaderOptions() {
  const manifest = {};
  const blobs = {};
  for (const w of measured) {
    const opts = miniflareOptions(w);
    const env = Object.fromEntries(Object.entries(opts.bindings).filter(([, v]) => typeof v === "string"));
    const modules = modulesOf(w).map((m) => {
      const binding = `MODULE_${Object.keys(blobs).length}`;
      blobs[binding] = m.path;
      return { name: m.name, type: m.type, binding };
    });
    manifest[w.name] = { compatibilityDate: opts.compatibilityDate, compatibilityFlags: opts.compatibilityFlags ?? [], env, modules };
  }
  for (const p of phases) {
    const own = manifest[p.of.name];
    const keep = p.phase === "compiled" ? ["index_bg.wasm"] : ["index.js", "index_bg.wasm"];
    const modules = [{ name: "phase.js", type: "js", inline: PHASE_JS[p.phase] }, ...own.modules.filter((m) => keep.includes(m.name))];
    manifest[p.name] = { ...own, modules };
  }
  manifest[reference.name] = { compatibilityDate: DATE, compatibilityFlags: [], env: {}, modules: [{ name: "index.js", type: "js", inline: EMPTY_JS }] };
  return {
    ...quiet,
    name: "loader",
    modules: true,
    script: LOADER,
    compatibilityDate: DATE,
    workerLoaders: { LOADER: {} },
    bindings: { MANIFEST: manifest },
    dataBlobBindings: blobs,
  };
}

const start = Object.fromEntries(all.map((w) => [w.name, []]));
{
  const mf = new Miniflare(loaderOptions());
  const base = (await mf.ready).toString().replace(/\/$/, "");
  let loads = 0;
  try {
    for (let round = 0; round < WARMUP_ROUNDS + LOADS; round++) {
      for (const w of all) {
        const id = String(++loads);
        await get(`${base}/prepare?worker=${encodeURIComponent(w.name)}&id=${id}`, 200, `${w.name}: prepare`);
        const t = performance.now();
        await get(`${base}/load?id=${id}&probe=${encodeURIComponent(w.probe)}`, w.status, `${w.name}: first answer`, w, "http://worker.local");
        const ms = performance.now() - t;
        if (round >= WARMUP_ROUNDS) start[w.name].push(ms);
      }
    }
  } finally {
    await mf.dispose();
  }
}

// ---- restart→first: setOptions on one running Miniflare ----

const restart = Object.fromEntries([...measured, reference].map((w) => [w.name, []]));
{
  const optionsOf = (w) => (w === reference
    ? { ...quiet, name: "reference", modules: true, script: EMPTY_JS, compatibilityDate: DATE }
    : { ...miniflareOptions(w), ...quiet });
  const mf = new Miniflare(optionsOf(reference));
  await mf.ready;
  try {
    for (let round = 0; round < 1 + LOADS; round++) {
      for (const w of [...measured, reference]) {
        const t = performance.now();
        await mf.setOptions(optionsOf(w));
        const base = (await mf.ready).toString().replace(/\/$/, "");
        await get(base + w.probe, w.status, `${w.name}: first answer after restart`, w, base);
        const ms = performance.now() - t;
        if (round >= 1) restart[w.name].push(ms);
      }
    }
  } finally {
    await mf.dispose();
  }
}

// ---- warm p50: each worker in its own workerd, requests interleaved ----

const warm = Object.fromEntries(measured.map((w) => [w.name, []]));
{
  const running = await Promise.all(measured.map(async (w) => {
    const mf = new Miniflare({ ...miniflareOptions(w), ...quiet });
    return { w, mf, base: (await mf.ready).toString().replace(/\/$/, "") };
  }));
  try {
    const once = async ({ w, base }) => {
      const t = performance.now();
      await get(base + w.probe, w.status, `${w.name}: warm`, w, base);
      return performance.now() - t;
    };
    for (let i = 0; i < 20; i++) for (const r of running) await once(r);
    for (let i = 0; i < WARM_REQUESTS; i++) for (const r of running) warm[r.w.name].push(await once(r));
  } finally {
    await Promise.all(running.map(({ mf }) => mf.dispose()));
  }
}

// ---- the table ----

const floor = WORKERS[0].name;
const ratio = (xs, name) => `${(median(xs[name]) / median(xs[floor])).toFixed(2)}x`;
const spread = (xs) => `${Math.min(...xs).toFixed(1)}-${Math.max(...xs).toFixed(1)}`;
console.log(`Beside the floor (benches/floor: a workers-rs worker answering 200 ok), workerd via Miniflare`);
console.log(
  `${"worker".padEnd(19)} ${"wasm raw".padStart(11)} ${"gzip".padStart(10)}` +
    ` ${"start→first".padStart(11)} ${"(min-max)".padStart(13)} ${"x floor".padStart(7)}` +
    ` ${"warm p50".padStart(9)} ${"x floor".padStart(7)}` +
    ` ${"restart→first".padStart(13)} ${"x floor".padStart(7)}   probe`,
);
for (const w of [...measured, reference]) {
  const wasm = w === reference ? [] : wasmOf(w);
  const raw = wasm.reduce((n, b) => n + b.length, 0);
  const gz = wasm.reduce((n, b) => n + gzipSync(b, { level: 9 }).length, 0);
  const warmCols = warm[w.name]
    ? `${median(warm[w.name]).toFixed(3).padStart(6)} ms ${ratio(warm, w.name).padStart(7)}`
    : `${"-".padStart(9)} ${"".padStart(7)}`;
  console.log(
    `${w.name.padEnd(19)} ${(w === reference ? "-" : kib(raw)).padStart(11)} ${(w === reference ? "-" : kib(gz)).padStart(10)}` +
      ` ${median(start[w.name]).toFixed(1).padStart(8)} ms ${`(${spread(start[w.name])})`.padStart(13)} ${ratio(start, w.name).padStart(7)}` +
      ` ${warmCols}` +
      ` ${median(restart[w.name]).toFixed(1).padStart(10)} ms ${ratio(restart, w.name).padStart(7)}   ${w.params ? "signed POST " : ""}${w.probe}`,
  );
}
console.log(
  `(start→first: a fresh isolate loaded into a running workerd, load to first answer, median of ${LOADS} loads in turns;` +
    ` restart→first: setOptions, which restarts workerd, to first answer, median of ${LOADS};` +
    ` warm: ${WARM_REQUESTS} requests each, interleaved; see benches/start.mjs for what each counts)`,
);
const at = (name) => median(start[name]);
console.log(`\nWhere a fresh isolate's time goes (start→first medians from the same loads; each step's cost is its increase over the one before)`);
console.log(`${"".padEnd(19)} ${"isolate".padStart(9)} ${"+ compile".padStart(10)} ${"+ instantiate".padStart(14)} ${"+ /health".padStart(10)} ${"+ a webhook".padStart(12)}`);
for (const name of ["floor", "calls"]) {
  const steps = [at(reference.name), at(`${name}: compiled`), at(`${name}: instantiated`), at(name)];
  const hook = name === "calls" ? `${(at(firstCall.name) - steps[3]).toFixed(1)} ms` : "-";
  console.log(
    `${name.padEnd(19)} ${steps[0].toFixed(1).padStart(6)} ms ${(steps[1] - steps[0]).toFixed(1).padStart(7)} ms` +
      ` ${(steps[2] - steps[1]).toFixed(1).padStart(11)} ms ${(steps[3] - steps[2]).toFixed(1).padStart(7)} ms ${hook.padStart(12)}`,
  );
}
