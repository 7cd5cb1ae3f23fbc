// The console's weight and first load. Prints; asserts nothing.
//
// Sizes: each file of the built bundle (admin/build/assets/console/), raw
// and gzipped (zlib, level 9, as a CDN compresses text), and what the first
// page needs before it can draw (index.html, app.js, app.css) apart from the
// chunks it loads after (the phone-number metadata) or only on the Health
// view (uPlot).
//
// Load: both built workers in workerd (tests/e2e/lib/harness.mjs), Debian's
// Chromium headless (tests/browser/lib/browser.mjs), on loopback: no network
// latency, so this is the cost of the bytes, the parsing and the API round
// trips, not of a real connection. Each cold load is a new browser context
// (empty cache) already signed in (the token put in sessionStorage before
// the page runs), timed from navigation start to the lines list drawn (the
// first API answer rendered) and to the national-format numbers shown (the
// phone chunk arrived); the Navigation Timing figures of the same load say
// where the time went. A warm load is a reload in the same context (files
// revalidated: Cache-Control no-cache, ETag). The lines view's one API
// request is also timed alone from Node, for scale. Runs in turns after warm-up
// loads that are not counted; medians with the spread (min-max).
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { startWorker, SECRETS, ROOT } from "../tests/e2e/lib/harness.mjs";
import { launch } from "../tests/browser/lib/browser.mjs";

const RUNS = Number(process.env.RUNS || 15);
const WARMUP = 3;
const DIR = join(ROOT, "admin", "build", "assets", "console");
const A1 = "AC00000000000000000000000000000001";

function files(dir, prefix = "") {
  return readdirSync(dir).flatMap((f) => (statSync(join(dir, f)).isDirectory() ? files(join(dir, f), `${prefix}${f}/`) : [`${prefix}${f}`]));
}

const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
const sizes = files(DIR).map((f) => {
  const bytes = readFileSync(join(DIR, f));
  return { file: f, raw: bytes.length, gz: gzipSync(bytes, { level: 9 }).length };
});
console.log("Console bundle (admin/build/assets/console/)");
console.log("  file                              raw        gzip");
for (const s of sizes) console.log(`  ${s.file.padEnd(32)} ${kb(s.raw).padStart(9)}  ${kb(s.gz).padStart(9)}`);
const first = sizes.filter((s) => ["index.html", "app.js", "app.css"].includes(s.file));
const phone = sizes.filter((s) => s.file.startsWith("chunks/phone-"));
const sum = (l, k) => l.reduce((t, s) => t + s[k], 0);
console.log(`  first page (html, js, css)       ${kb(sum(first, "raw")).padStart(9)}  ${kb(sum(first, "gz")).padStart(9)}`);
console.log(`  + phone metadata, after drawing  ${kb(sum(phone, "raw")).padStart(9)}  ${kb(sum(phone, "gz")).padStart(9)}`);

const w = await startWorker();
const browser = await launch();
const token = (await (await fetch(`${w.url}/api/v1/accounts/${A1}/tokens`, {
  method: "POST", headers: { Authorization: `Bearer ${SECRETS.ADMIN_TOKEN}`, "Content-Type": "application/json" },
  body: JSON.stringify({ scope: "read" }),
})).json()).token;

// Noted in the page itself, the moment each first appears (a mutation
// observer installed before the page's own script), not when the driver
// next looks.
function marks() {
  const seen = (window.__marks = {});
  new MutationObserver(() => {
    const now = performance.now();
    if (!seen.drawn && document.querySelector(".rows.lines li")) seen.drawn = now;
    if (!seen.national && document.querySelector(".rows.lines .nat")) seen.national = now;
  }).observe(document, { childList: true, subtree: true });
}

async function load(context, page, reload) {
  if (reload) await page.reload();
  else await page.goto(`${w.url}/console/#/${A1}/lines`);
  await page.waitForSelector(".rows.lines .nat");
  const { drawn, national } = await page.evaluate(() => window.__marks);
  const nav = await page.evaluate(() => {
    const n = performance.getEntriesByType("navigation")[0];
    return { ttfb: n.responseStart, dcl: n.domContentLoadedEventEnd, load: n.loadEventEnd };
  });
  return { drawn, national, ...nav };
}

// The one API request the first view makes, from Node, for scale.
const rtt = [];
for (let i = 0; i < WARMUP + RUNS; i++) {
  const t0 = performance.now();
  await (await fetch(`${w.url}/api/v1/accounts/${A1}/lines?limit=50`, { headers: { Authorization: `Bearer ${token}` } })).json();
  if (i >= WARMUP) rtt.push(performance.now() - t0);
}

const cold = [], warm = [];
for (let i = 0; i < WARMUP + RUNS; i++) {
  const context = await browser.newContext();
  await context.addInitScript((t) => sessionStorage.setItem("switchboard.console", JSON.stringify({ token: t, home: "AC00000000000000000000000000000001" })), token);
  await context.addInitScript(marks);
  const page = await context.newPage();
  const c = await load(context, page, false);
  const r = await load(context, page, true);
  if (i >= WARMUP) { cold.push(c); warm.push(r); }
  await context.close();
}
await browser.close();
await w.stop();

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };
const row = (label, xs) => {
  const v = (k) => xs.map((x) => x[k]);
  const f = (k) => `${median(v(k)).toFixed(0)} ms (${Math.min(...v(k)).toFixed(0)}-${Math.max(...v(k)).toFixed(0)})`;
  console.log(`  ${label.padEnd(6)} ${f("ttfb").padEnd(16)} ${f("dcl").padEnd(16)} ${f("drawn").padEnd(18)} ${f("national")}`);
};
console.log(`\nFirst load on the local worker (Chromium headless, loopback; ${RUNS} loads, median (min-max))`);
console.log("         first byte       DOM ready        lines drawn        national numbers");
row("cold", cold);
row("warm", warm);
console.log(`  GET …/lines from Node, the view's one request: ${median(rtt).toFixed(0)} ms (${Math.min(...rtt).toFixed(0)}-${Math.max(...rtt).toFixed(0)})`);
