// The README's screenshots of the console (docs/console/*.png): the built
// workers in workerd with the demo data and a little traffic, Chromium at a
// laptop's size. `node scripts/console-shots.mjs` after a build.
import { join } from "node:path";
import { startWorker, SECRETS, ROOT } from "../tests/e2e/lib/harness.mjs";
import { launch } from "../tests/browser/lib/browser.mjs";
import { post, callParams, stamp } from "./twilio.mjs";

const A1 = "AC00000000000000000000000000000001";
const OUT = join(ROOT, "docs", "console");
const w = await startWorker();
const api = (method, path, body) =>
  fetch(`${w.url}/api/v1/accounts/${A1}${path}`, {
    method, headers: { Authorization: `Bearer ${SECRETS.ADMIN_TOKEN}`, "Content-Type": "application/json" },
    body: body && JSON.stringify(body),
  });
const hook = (path, params) => post(w.url, path, params, { token: SECRETS.TWILIO_AUTH_TOKEN });

// A pool with a few sessions, and two weeks of calls placed from a number.
for (const n of ["+14155550601", "+14155550602", "+14155550603", "+14155550604"]) await api("PUT", `/pools/rides/numbers/${encodeURIComponent(n)}`, {});
await api("PUT", "/pools/rides/settings", { grace_secs: 600, low_water: 2, announce: "Connecting you with {name}" });
for (const [a, b] of [["+14155550701", "+14155550702"], ["+14155550703", "+14155550704"], ["+14155550701", "+14155550705"]])
  await api("POST", "/pools/rides/sessions", { a, b });
let n = 0;
for (let day = 13; day >= 0; day--) {
  for (let i = 0; i < 6; i++) {
    const answered = (i + day) % 5 !== 0;
    await hook("/voice/status?leg=outbound", [
      ["AccountSid", A1], ["CallSid", "CA" + String(++n).padStart(32, "0")], ["CallStatus", answered ? "completed" : "no-answer"],
      ["Direction", "outbound-dial"], ["From", "+14155550111"], ["To", `+1212555${String(1000 + n)}`], ["SequenceNumber", "3"],
      ["Timestamp", stamp(Date.now() - day * 86_400_000 - 3_600_000)], ["CallDuration", answered ? String(25 + ((i * 17 + day * 7) % 60)) : "0"],
    ]);
  }
}
await hook("/voice/incoming", callParams({ CallSid: "CA" + "9".repeat(32), From: "+12125550111", To: "+14155550199" }));

const browser = await launch();
async function shoot(name, hash, { width = 1100, height = 760, ready, part }) {
  const context = await browser.newContext({ viewport: { width, height }, deviceScaleFactor: 1 });
  await context.addInitScript((t) => sessionStorage.setItem("switchboard.console", JSON.stringify({ token: t, home: "AC00000000000000000000000000000001" })), SECRETS.ADMIN_TOKEN);
  const page = await context.newPage();
  await page.goto(`${w.url}/console/${hash}`);
  await page.locator(ready).first().waitFor();
  await page.waitForFunction(() => !document.querySelector(".status.busy"));
  await page.locator(".num .nat").first().waitFor(); // the national formats' chunk is in
  if (part) await page.locator(part).screenshot({ path: join(OUT, `${name}.png`) });
  else await page.screenshot({ path: join(OUT, `${name}.png`) });
  await context.close();
}
await shoot("lists", `#/${A1}/lines/%2B14155550199`, { ready: "section.lists tbody tr", part: "section.lists" });
await shoot("masking", `#/${A1}/masking/rides`, { ready: ".sessions tbody tr" });
await shoot("health", `#/${A1}/health`, { ready: ".chart canvas", part: ".charts" });
await browser.close();
await w.stop();
