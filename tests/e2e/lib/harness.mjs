// Starts the built worker in workerd (through Miniflare) on a free loopback
// port, configured from wrangler.toml itself, with its own in-memory KV
// seeded from kv-seed/. Tests talk to it over real HTTP and read its KV.
import { Miniflare, Log, LogLevel } from "miniflare";
import { unstable_getMiniflareWorkerOptions } from "wrangler";
import { seedEntries } from "../../../scripts/kv-seed.mjs";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");

// Secrets for tests only; .dev.vars is the developer's and is ignored here.
export const SECRETS = {
  TWILIO_AUTH_TOKEN: "test-main-auth-token",
  TWILIO_AUTH_TOKEN_AC00000000000000000000000000000002: "test-subaccount-token",
  TWILIO_SHARED_KEY_HKold: "test-shared-key-old",
  TWILIO_SHARED_KEY_HKnew: "test-shared-key-new",
  TWILIO_SHARED_KEY_HKold_ACCOUNTS: "AC00000000000000000000000000000001",
  TWILIO_SHARED_KEY_HKnew_ACCOUNTS: "AC00000000000000000000000000000001, AC00000000000000000000000000000002",
  ADMIN_TOKEN: "test-admin-token",
  CHALLENGE_SECRET: "test-challenge-secret",
  MESSAGEBIRD_SIGNING_KEY: "test-messagebird-signing-key",
  MESSAGEBIRD_ACCESS_KEY: "test-messagebird-access-key",
};

// The two workers as the README deploys them: calls (the entry, serving
// every URL) and admin, bound to each other as their wrangler configs say.
export const WORKERS = [
  { name: "switchboard", config: "wrangler.toml", dir: "build", script: "entry.mjs" },
  { name: "switchboard-admin", config: "admin/wrangler.toml", dir: "admin/build", script: "entry.mjs" },
];

// Miniflare options for one worker, from its wrangler config.
export function workerOptionsFor({ name, config, dir, script }, { vars = {}, kv = true } = {}) {
  const { workerOptions } = unstable_getMiniflareWorkerOptions(join(ROOT, config));
  const bindings = { ...workerOptions.bindings };
  for (const k of Object.keys(bindings)) if (k.includes("TOKEN") || k.includes("SHARED_KEY")) delete bindings[k];
  return {
    ...workerOptions,
    name,
    modules: true,
    scriptPath: join(ROOT, dir, script),
    modulesRoot: join(ROOT, dir),
    // worker-build's index.js is an ES module too (the entry imports it).
    modulesRules: [{ type: "ESModule", include: ["**/*.js", "**/*.mjs"] }, { type: "CompiledWasm", include: ["**/*.wasm"] }],
    bindings: { ...bindings, ...SECRETS, ...vars },
    kvNamespaces: kv ? workerOptions.kvNamespaces : undefined,
  };
}

// The suite changes config through the API and calls at once, so the calls
// worker's isolate copy of hot config is off unless a test turns it on (its
// own test checks the bound it keeps). `extra` are more Miniflare workers
// run beside the two (a bench's own helper worker), reached through `mf`.
export async function startWorker({ vars = {}, kv = true, seed = true, extra = [] } = {}) {
  vars = { HOT_CONFIG_SECS: "0", ...vars };
  const logs = [];
  const mf = new Miniflare({
    workers: [...WORKERS.map((w) => workerOptionsFor(w, { vars, kv })), ...extra],
    host: "127.0.0.1",
    port: 0,
    cf: false,
    log: new (class extends Log {
      constructor() { super(LogLevel.INFO); }
      log(message) { logs.push(message); }
    })(),
    handleRuntimeStdio(stdout, stderr) {
      for (const s of [stdout, stderr]) s.on("data", (d) => logs.push(String(d)));
    },
  });
  const url = (await mf.ready).toString().replace(/\/$/, "");
  const store = kv ? await mf.getKVNamespace("SWITCHBOARD") : null;
  if (store && seed) for (const { key, value, metadata } of seedEntries()) await store.put(key, value, { metadata });
  const stubs = new Map();
  return {
    url,
    mf,
    kv: store,
    logs,
    async keys(prefix = "") {
      const out = [];
      let cursor;
      do {
        const page = await store.list({ prefix, cursor });
        out.push(...page.keys.map((k) => k.name));
        cursor = page.list_complete ? undefined : page.cursor;
      } while (cursor);
      return out;
    },
    async snapshot() {
      const all = {};
      for (const k of await this.keys()) all[k] = await store.get(k);
      return all;
    },
    // Sends one operation to a scope's Ledger object, as the worker does.
    async ledger(scope, op) {
      const ns = await mf.getDurableObjectNamespace("LEDGER", "switchboard-admin");
      const r = await ns.get(ns.idFromName(scope)).fetch("https://object/", { method: "POST", body: JSON.stringify(op) });
      return r.json();
    },
    // Sends one operation to any of the admin worker's objects by name, as
    // the worker's `ask` does: the name rides in the path (the CallLog reads
    // its account there). The stub is kept: resolving one costs Miniflare's
    // proxy several blocking round trips, each time.
    async object(binding, name, op) {
      const key = `${binding}/${name}`;
      if (!stubs.has(key)) {
        const ns = await mf.getDurableObjectNamespace(binding, "switchboard-admin");
        stubs.set(key, ns.get(ns.idFromName(name)));
      }
      const r = await stubs.get(key).fetch(`https://object/${name}`, { method: "POST", body: JSON.stringify(op) });
      return r.json();
    },
    // Runs the admin worker's Cron Trigger once (the scheduled watch), as
    // `wrangler dev --test-scheduled` would, and waits for it to finish.
    async scheduled(cron = "*/10 * * * *") {
      const admin = await mf.getWorker("switchboard-admin");
      return admin.scheduled({ cron, scheduledTime: new Date() });
    },
    stop: () => mf.dispose(),
  };
}

// A deterministic generator (a linear congruence), so a run of made-up
// calls is the same every time and a failure can be replayed.
export function random(seed) {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

// What every number, client and SIP leg we dial carries: where it reports
// its progress (`leg` names the feature; a masked bridge names its session).
export const leg = (name, session) =>
  `statusCallback="/voice/status?leg=${name}${session ? `&amp;session=${session}` : ""}" ` +
  `statusCallbackEvent="initiated ringing answered completed" statusCallbackMethod="POST"`;
