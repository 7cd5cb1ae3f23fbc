// The workers the benchmark measures beside the floor. Each is a built
// worker: its entry module and the directory its modules are resolved from
// (worker-build's output), the wrangler config its compatibility date and
// bindings come from, the plain-value bindings tests give it on top (secrets),
// and the simple request whose answer is timed (`probe`, answered `status`).
// The floor comes first: every other worker's figures are read against it.
import { readFileSync } from "node:fs";
import { dirname, extname, join, relative, resolve } from "node:path";
import { unstable_getMiniflareWorkerOptions } from "wrangler";
import { ROOT, SECRETS } from "../tests/e2e/lib/harness.mjs";

export const WORKERS = [
  { name: "floor", config: "benches/floor/wrangler.toml", script: "benches/floor/build/index.js", modulesRoot: "benches/floor/build", probe: "/", status: 200 },
  { name: "calls", config: "wrangler.toml", script: "build/entry.mjs", modulesRoot: "build", secrets: SECRETS, probe: "/health", status: 200 },
  { name: "admin", config: "admin/wrangler.toml", script: "admin/build/entry.mjs", modulesRoot: "admin/build", secrets: SECRETS, probe: "/health", status: 200 },
];

// What Miniflare needs to run a worker as its own service: the wrangler
// config's options (compatibility date and flags, vars, KV namespaces,
// Durable Objects and their migrations) with the built modules. Shared with
// tests/e2e/lib/harness.mjs in spirit: same module rules, same secrets.
const configs = new Map();
export function miniflareOptions(worker) {
  // Read once per config: wrangler announces each read.
  if (!configs.has(worker.config)) configs.set(worker.config, unstable_getMiniflareWorkerOptions(join(ROOT, worker.config)).workerOptions);
  const workerOptions = configs.get(worker.config);
  const bindings = { ...workerOptions.bindings };
  // Developer secrets (.dev.vars) never reach a measurement: dropped here,
  // or replaced by the worker's test secrets below.
  for (const k of Object.keys(bindings)) if (k.includes("TOKEN") || k.includes("SHARED_KEY")) delete bindings[k];
  // Each worker is measured on its own: what binds it to the other (the
  // calls worker's ADMIN service and the Ledger in the admin worker) is
  // left out, and no probe uses it.
  const durableObjects = Object.fromEntries(
    Object.entries(workerOptions.durableObjects ?? {}).filter(([, d]) => !(typeof d === "object" && d.scriptName)),
  );
  return {
    ...workerOptions,
    serviceBindings: undefined,
    // The admin worker's static assets (the console) put Workers Static
    // Assets' router in front of it; the probes measure the worker itself,
    // as before the console existed.
    assets: undefined,
    durableObjects,
    name: worker.name,
    modules: true,
    scriptPath: join(ROOT, worker.script),
    modulesRoot: join(ROOT, worker.modulesRoot),
    modulesRules: [{ type: "ESModule", include: ["**/*.js", "**/*.mjs"] }, { type: "CompiledWasm", include: ["**/*.wasm"] }],
    bindings: { ...bindings, ...worker.secrets },
  };
}

// The worker's modules, found by following relative imports from its entry
// module, as the runtime would load them: [{ name, type, path }], the entry
// first; `name` is relative to the modules root, `type` "js" or "wasm".
export function modulesOf(worker) {
  const root = join(ROOT, worker.modulesRoot);
  const seen = new Map();
  const visit = (path) => {
    const name = relative(root, path);
    if (seen.has(name)) return;
    const ext = extname(path);
    if (ext === ".wasm") return void seen.set(name, { name, type: "wasm", path });
    if (ext !== ".js" && ext !== ".mjs") throw new Error(`${worker.name}: no rule for module ${name}`);
    seen.set(name, { name, type: "js", path });
    const source = readFileSync(path, "utf8");
    // esbuild's and our own import forms: import/export … from "./x", import "./x".
    for (const m of source.matchAll(/(?:\bfrom|\bimport)\s*\(?\s*["'](\.\.?\/[^"']+)["']/g)) visit(resolve(dirname(path), m[1]));
  };
  visit(join(ROOT, worker.script));
  return [...seen.values()];
}

// The wasm a worker ships (every wasm module it loads).
export const wasmOf = (worker) => modulesOf(worker).filter((m) => m.type === "wasm").map((m) => readFileSync(m.path));
