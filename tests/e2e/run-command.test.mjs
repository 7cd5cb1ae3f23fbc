// The README's run command, as a user runs it: scripts/dev.sh seeds local KV
// and starts `wrangler dev` (which builds through wrangler.toml). A signed
// request with the token from .dev.vars must be answered.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createServer } from "node:net";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ROOT, leg } from "./lib/harness.mjs";
import { post, callParams } from "../../scripts/twilio.mjs";

function freePort() {
  return new Promise((resolve) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

// A hang guard, not a measure: wrangler dev runs each worker's build command
// twice as it starts (once for the entry, once when its watcher is ready),
// and each admin build re-optimises its 3.5 MB wasm; on a busy two-core
// machine that took 235 s of the 240 this was.
test("scripts/dev.sh serves signed webhooks through wrangler dev", { timeout: 480_000 }, async () => {
  const port = await freePort();
  const state = mkdtempSync(join(tmpdir(), "switchboard-dev-"));
  const child = spawn("bash", ["scripts/dev.sh"], {
    cwd: ROOT,
    env: { ...process.env, PORT: String(port), STATE_DIR: state },
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.on("data", (d) => (output += d));
  child.stderr.on("data", (d) => (output += d));
  try {
    await new Promise((resolve, reject) => {
      const timer = setInterval(() => {
        if (output.includes(`Ready on http://127.0.0.1:${port}`)) { clearInterval(timer); resolve(); }
      }, 100);
      child.on("exit", (code) => { clearInterval(timer); reject(new Error(`dev.sh exited ${code}:\n${output}`)); });
    });
    assert.match(output, /curl -sS -X POST 'http:\/\/127\.0\.0\.1:\d+\/voice\/incoming'/);
    const base = `http://127.0.0.1:${port}`;
    const health = await fetch(`${base}/health`);
    assert.equal(health.status, 200);
    const token = /^TWILIO_AUTH_TOKEN=(.*)$/m.exec(readFileSync(join(ROOT, ".dev.vars"), "utf8"))[1];
    // The demo line was seeded into wrangler's local KV: its address-book
    // caller is put through to the owner.
    const r = await post(base, "/voice/incoming", callParams({ From: "+14155550101", To: "+14155550199" }), { token });
    assert.equal(r.status, 200);
    assert.equal(await r.text(), `<?xml version="1.0" encoding="UTF-8"?><Response><Dial action="/voice/dialed" method="POST" timeout="20"><Number ${leg("owner_dial")}>+14155550100</Number></Dial></Response>`);
    // And the sample curl the command printed works as pasted.
    const curl = /(curl -sS -X POST (?:[^\n]*\\\n)*[^\n]*)/.exec(output)[1].replace(/\\\n\s*/g, " ");
    const { execSync } = await import("node:child_process");
    assert.match(execSync(curl, { encoding: "utf8" }), /<Dial action="\/voice\/dialed"/);
    // The admin worker answers on the same port: the seeded demo line.
    const admin = /^ADMIN_TOKEN=(.*)$/m.exec(readFileSync(join(ROOT, ".dev.vars"), "utf8"))[1];
    const lines = await fetch(`${base}/api/v1/accounts/AC00000000000000000000000000000001/lines`, { headers: { Authorization: `Bearer ${admin}` } });
    assert.equal(lines.status, 200);
    assert.ok((await lines.json()).lines.includes("+14155550199"));
    // The console on the same port, with what to sign in with printed.
    assert.match(output, new RegExp(`Console: http://127\\.0\\.0\\.1:${port}/console/`));
    assert.match(output, new RegExp(`Sign in with the root token \\(ADMIN_TOKEN in \\.dev\\.vars\\): ${admin}\\n`));
    assert.match(output, /open the demo account: AC00000000000000000000000000000001/);
    const page = await fetch(`${base}/console/`);
    assert.equal(page.status, 200);
    assert.match(page.headers.get("content-security-policy"), /^default-src 'self'/);
    assert.match(await page.text(), /<script type="module" src="app.js">/);
    const bad = await post(base, "/voice/fallback", callParams(), { token: "wrong" });
    assert.equal(bad.status, 403);
  } finally {
    try { process.kill(-child.pid, "SIGTERM"); } catch {}
    await new Promise((r) => (child.exitCode !== null ? r() : child.on("exit", r)));
    rmSync(state, { recursive: true, force: true });
  }
});
