// The console in a real browser (Debian's Chromium, headless, driven by
// playwright-core), against both built workers in workerd: each test does
// what a person would, and checks what they would see and what the API then
// holds. Each saves a screenshot under tests/output/console/.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { startWorker, SECRETS, ROOT } from "../e2e/lib/harness.mjs";
import { startRecorder } from "../e2e/lib/recorder.mjs";
import { wav } from "../e2e/lib/wav.mjs";
import { post, callParams, stamp } from "../../scripts/twilio.mjs";
import { launch, watch } from "./lib/browser.mjs";

const A1 = "AC00000000000000000000000000000001";
const A2 = "AC00000000000000000000000000000002";
const ADA = "+14155550199";
const OUT = join(ROOT, "tests", "output", "console");
let w, recorder, browser, write, read;
let calls = 0;
const sid = (p = "CA") => p + String(++calls).padStart(32, "0");

before(async () => {
  mkdirSync(OUT, { recursive: true });
  recorder = await startRecorder();
  w = await startWorker({ vars: { TWILIO_API_BASE: recorder.url } });
  browser = await launch();
  write = (await api("POST", `/accounts/${A1}/tokens`, { scope: "write", label: "console test" })).body.token;
  read = (await api("POST", `/accounts/${A1}/tokens`, { scope: "read" })).body.token;
});
after(async () => {
  await browser?.close();
  await w?.stop();
  await recorder?.stop();
});

async function api(method, path, body, token = SECRETS.ADMIN_TOKEN) {
  const headers = { Authorization: `Bearer ${token}` };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const r = await fetch(`${w.url}/api/v1${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: r.status, body: await r.json() };
}

/// A signed Twilio webhook, as the e2e tests send them.
async function webhook(path, params, token = SECRETS.TWILIO_AUTH_TOKEN) {
  const r = await post(w.url, path, params, { token });
  assert.equal(r.status, 200, `${path} answered ${r.status}`);
  return r.text();
}

/// A fresh browser context (its own sessionStorage), a page in it, and the
/// page's console watched for errors and CSP violations.
async function open({ viewport = { width: 1280, height: 900 }, mobile = false } = {}) {
  const context = await browser.newContext({
    viewport, isMobile: mobile, hasTouch: mobile, deviceScaleFactor: 1,
    permissions: ["clipboard-read", "clipboard-write"],
  });
  const page = await context.newPage();
  const problems = watch(page);
  await page.goto(`${w.url}/console/`);
  return { page, problems, close: () => context.close() };
}

async function signIn(page, token, account) {
  await page.fill("input[name=token]", token);
  if (account) await page.fill("input[name=account]", account);
  await page.click("form button[type=submit]");
}

/// Signed in: the views are there (and the address names the account).
async function signedIn(page, token) {
  await signIn(page, token);
  await page.locator("nav.views").waitFor();
}

/// The button whose whole label is `name` (a text selector would also
/// match "Masking" for "Ask").
const button = (scope, name) => scope.getByRole("button", { name, exact: true });

const shot = (page, name) => page.screenshot({ path: join(OUT, `${name}.png`), fullPage: true });
const text = async (page, selector) => (await page.locator(selector).first().textContent()).replace(/\s+/g, " ").trim();
const go = (page, hash) => page.evaluate((h) => (location.hash = h), hash);

test("sign in: a wrong token is refused; an account token opens its account and lives only in sessionStorage", async () => {
  const { page, problems, close } = await open();
  const wrong = write.replace(/_[0-9a-f]+$/, "_" + "0".repeat(32));
  await signIn(page, wrong);
  await page.locator(".signin .status.error").waitFor();
  assert.match(await text(page, ".signin .status.error"), /The token was refused/);
  await signIn(page, "not-the-root-token", A1);
  await page.locator(".signin .status.error").waitFor();
  assert.match(await text(page, ".signin .status.error"), /The token was refused/);
  // The root token with an account that is not one: said before any request.
  await signIn(page, SECRETS.ADMIN_TOKEN, "ACnope");
  await page.locator("[data-field=account] .field-error").waitFor();
  await shot(page, "sign-in-refused");

  await page.fill("input[name=token]", write);
  assert.equal(await page.locator("input[name=account]").count(), 0, "an account token names its account");
  await page.click("form button[type=submit]");
  await page.locator(".rows.lines li").first().waitFor();
  assert.equal(new URL(page.url()).hash, `#/${A1}/lines`);
  assert.deepEqual((await page.locator(".rows.lines .e164").allTextContents()).sort(), ["+14155550188", ADA]);
  const kept = await page.evaluate(() => ({ session: { ...sessionStorage }, local: { ...localStorage }, cookie: document.cookie, url: location.href }));
  assert.equal(JSON.parse(kept.session["switchboard.console"]).token, write);
  assert.deepEqual(kept.local, {});
  assert.equal(kept.cookie, "");
  assert.ok(!kept.url.includes(write.slice(-12)), "the token is in no URL");
  await shot(page, "lines");
  // Signing out forgets it.
  await button(page, "Sign out").click();
  await page.locator("input[name=token]").waitFor();
  assert.deepEqual(await page.evaluate(() => ({ ...sessionStorage })), {});
  assert.deepEqual(problems, []);
  await close();
});

test("a new line: the API's validation error shows on the field it names, then the fix saves", async () => {
  const { page, problems, close } = await open();
  await signIn(page, write);
  await page.fill("input[name=new-line]", "+1 415 555 0155");
  await button(page, "Set it up").click();
  await page.locator("form.config").waitFor();
  assert.equal(new URL(page.url()).hash, `#/${A1}/lines/%2B14155550155`);
  // A Client target with no name: the error belongs to that target.
  await page.selectOption("select[aria-label='Target 1 kind']", "client");
  await page.fill("[data-field=default_country] input", "us");
  await page.fill("input[name=timeout_secs]", "500");
  await button(page, "Create the line").click();
  await page.locator("[data-field='owner.targets[0]'] .field-error").waitFor();
  assert.equal(await text(page, "[data-field='owner.targets[0]'] .field-error"), "owner.targets[0]: is empty");
  await page.fill("input[name=target-0]", "front-desk");
  await button(page, "Create the line").click();
  await page.locator("[data-field='owner.timeout_secs'] .field-error").waitFor();
  assert.equal(await text(page, "[data-field='owner.timeout_secs'] .field-error"), "owner.timeout_secs: must be 5 to 120");
  assert.equal(await page.locator("[data-field='owner.targets[0]'] .field-error").count(), 0, "the fixed field is clear");
  assert.equal(await w.kv.get(`line:${A1}:+14155550155`), null, "nothing was written");
  await shot(page, "line-validation-error");
  await page.fill("input[name=timeout_secs]", "25");
  await button(page, "Create the line").click();
  await page.locator("section.lists").waitFor();
  const stored = JSON.parse(await w.kv.get(`line:${A1}:+14155550155`));
  assert.deepEqual(stored.owner, { targets: [{ client: "front-desk" }], ring: "together", timeout_secs: 25, caller_id: "caller", record: false });
  // The address book from a vCard file: the API's report, skipped entries named.
  await page.setInputFiles("input[name=vcard]", {
    name: "contacts.vcf", mimeType: "text/vcard",
    buffer: Buffer.from("BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Ada\r\nTEL;TYPE=CELL:(212) 555-0131\r\nTEL:+1 646 555 0132\r\nEND:VCARD\r\nBEGIN:VCARD\r\nVERSION:3.0\r\nFN:Nobody\r\nTEL:12\r\nEND:VCARD\r\n"),
  });
  await button(page, "Import").click();
  await page.locator(".import-report").waitFor();
  assert.deepEqual(await page.locator(".import-report dd").allTextContents(), ["2", "2", "0", "0", "1"]);
  assert.deepEqual(await page.locator("table.skipped tbody td").allTextContents(), ["12", "Nobody", "not a phone number: the number is too short after the country code"]);
  assert.deepEqual(JSON.parse(await w.kv.get(`entry:${A1}:+14155550155:+12125550131`)), { allow: true });
  // Hours from the grid: a click opens Monday 09:00-10:00.
  await page.check("input[name=hours-on]");
  await page.fill("input[name=time_zone]", "Europe/Amsterdam");
  await page.fill("input[aria-label='Mon spans']", "");
  await page.locator("input[aria-label='Mon spans']").dispatchEvent("change");
  await page.click("button[aria-label='Mon 09:00 to 10:00: closed']");
  await page.click("button[aria-label='Mon 10:00 to 11:00: closed']");
  assert.equal(await page.inputValue("input[aria-label='Mon spans']"), "09:00-11:00");
  await page.click("form.config button[type=submit]");
  await page.locator("form.config .status.ok").waitFor();
  const hours = JSON.parse(await w.kv.get(`line:${A1}:+14155550155`)).hours;
  assert.equal(hours.time_zone, "Europe/Amsterdam");
  assert.deepEqual(hours.open.mon, ["09:00-11:00"]);
  assert.deepEqual(hours.open.tue, ["09:00-17:00"]);
  assert.deepEqual(problems, []);
  await close();
});

test("block a caller with one click: their signed call is rejected; unblock, and they are challenged again", async () => {
  const caller = "+12125550111";
  const call = () => webhook("/voice/incoming", callParams({ CallSid: sid(), From: caller, To: ADA }));
  assert.match(await call(), /<Gather /, "an unknown caller is challenged");
  const { page, problems, close } = await open();
  await signedIn(page, write);
  await go(page, `#/${A1}/lines/${encodeURIComponent(ADA)}`);
  await page.locator("section.lists tbody tr").first().waitFor();
  await page.fill("input[name=entry-number]", caller);
  await page.click("form.add-entry button[type=submit]");
  await page.locator(`section.lists tr[data-number='${caller}'] .badge.bad`).waitFor();
  assert.match(await text(page, "section.lists .status.ok"), /is blocked/);
  assert.match(await call(), /^<\?xml version="1.0" encoding="UTF-8"\?><Response><Reject reason="rejected"\/><\/Response>$/);
  // The search finds the caller by any digits of the number.
  await page.fill("section.lists input[type=search]", "555 0111");
  assert.deepEqual(await page.locator("section.lists tbody tr").evaluateAll((rows) => rows.map((r) => r.dataset.number)), [caller]);
  await shot(page, "lists-blocked");
  await button(page.locator(`section.lists tr[data-number='${caller}']`), "Unblock").click();
  await page.locator(`section.lists tr[data-number='${caller}']`).waitFor({ state: "detached" });
  assert.equal(await w.kv.get(`entry:${A1}:${ADA}:${caller}`), null);
  assert.match(await call(), /<Gather /);
  // The graylist shows the caller the line now counts, and resets them.
  await page.fill("section.lists input[type=search]", "");
  await page.reload();
  await page.locator(`section.graylist tr[data-number='${caller}']`).waitFor();
  assert.equal(await text(page, `section.graylist tr[data-number='${caller}'] td:nth-child(2)`), "2");
  await button(page.locator(`section.graylist tr[data-number='${caller}']`), "Reset").click();
  await page.locator(`section.graylist tr[data-number='${caller}']`).waitFor({ state: "detached" });
  assert.equal(await w.kv.get(`gray:${A1}:${ADA}:${caller}`), null);
  assert.deepEqual(problems, []);
  await close();
});

test("try a call: the reason, the outcome in words, the TwiML and the counters, and nothing is written", async () => {
  const { page, problems, close } = await open();
  await signedIn(page, write);
  await go(page, `#/${A1}/try`);
  await page.fill("input[name=From]", "+12125550112");
  await page.fill("input[name=To]", ADA);
  const before = await w.snapshot();
  await button(page, "Try it").click();
  await page.locator(".result").waitFor();
  assert.equal(await page.getAttribute(".result .outcome", "data-outcome"), "challenge");
  assert.match(await text(page, ".result .reason"), /^challenged: An unknown caller/);
  assert.match(await text(page, ".result .twiml"), /<Gather action="\/voice\/challenge"/);
  assert.equal(await text(page, ".result .before"), "0 unanswered, 0 failed");
  assert.equal(await text(page, ".result .after"), "1 unanswered, 0 failed");
  await shot(page, "try-a-call");
  // The address book puts a friend straight through.
  await page.fill("input[name=From]", "+14155550101");
  await button(page, "Try it").click();
  await page.locator(".result .outcome[data-outcome=connect]").waitFor();
  assert.match(await text(page, ".result .twiml"), /<Number [^>]*>\+14155550100<\/Number>/);
  assert.deepEqual(await w.snapshot(), before, "the simulator writes nothing");
  assert.deepEqual(problems, []);
  await close();
});

test("voicemail: newest first, with the player, the caller, the time in the line's zone, and how the notice went", async () => {
  const rec = (n) => "RE" + String(n).padStart(32, "0");
  const audio = wav(1);
  recorder.serve(`/2010-04-01/Accounts/${A1}/Recordings/${rec(1)}.mp3`, audio, "audio/wav");
  const message = (callSid, from, n) => webhook("/voice/voicemail", callParams({
    CallSid: callSid, From: from, To: ADA, RecordingSid: rec(n), RecordingDuration: "1",
    RecordingUrl: `https://api.twilio.com/2010-04-01/Accounts/${A1}/Recordings/${rec(n)}`,
  }));
  const sent = sid(), pending = sid(), tokyo = sid();
  // A line with hours in Tokyo: its message's time shows in Tokyo's zone.
  const TOKYO = "+14155550156";
  const always = Object.fromEntries(["mon", "tue", "wed", "thu", "fri", "sat", "sun"].map((d) => [d, ["00:00-24:00"]]));
  assert.equal((await api("PUT", `/accounts/${A1}/lines/${encodeURIComponent(TOKYO)}`, { owner: { targets: [{ client: "desk" }] }, hours: { time_zone: "Asia/Tokyo", open: always } })).status, 200);
  await webhook("/voice/voicemail", callParams({ CallSid: tokyo, From: "+12125550123", To: TOKYO, RecordingSid: rec(3), RecordingDuration: "2", RecordingUrl: `https://api.twilio.com/r/${rec(3)}` }));
  await message(sent, "+12125550121", 1);
  recorder.failWith(500);
  await message(pending, "+12125550122", 2);
  recorder.succeed();
  const { page, problems, close } = await open();
  await signedIn(page, write);
  await go(page, `#/${A1}/voicemail`);
  await page.locator(`.message[data-call='${pending}'] .notice`).waitFor();
  assert.deepEqual(await page.locator(".message").evaluateAll((m) => m.map((x) => x.dataset.call)).then((l) => l.filter((c) => c === sent || c === pending)), [pending, sent], "newest first");
  assert.match(await text(page, `.message[data-call='${pending}'] .notice`), /^notification pending sms: HTTP 500$/);
  await page.locator(`.message[data-call='${sent}'] .notice.sent`).waitFor();
  assert.match(await text(page, `.message[data-call='${sent}'] .from`), /\(212\) 555-0121 \+12125550121/);
  // No hours on Ada's line: the browser's zone (UTC here), named; Tokyo's line: Tokyo's.
  assert.match(await text(page, `.message[data-call='${sent}'] time`), /\d{1,2}:\d{2}:\d{2}.*UTC$/);
  await page.waitForFunction((c) => /GMT\+9$/.test(document.querySelector(`.message[data-call='${c}'] time`).textContent), tokyo);
  assert.match(await text(page, `.message[data-call='${tokyo}'] .notice`), /no notification set/);
  await page.click(`.message[data-call='${sent}'] button.play`);
  const audioEl = page.locator(`.message[data-call='${sent}'] audio`);
  await audioEl.waitFor();
  await page.waitForFunction((s) => document.querySelector(`.message[data-call='${s}'] audio`).readyState >= 1, sent);
  const played = await audioEl.evaluate((a) => ({ src: a.src, duration: a.duration, error: a.error && a.error.code }));
  assert.match(played.src, /^blob:/);
  assert.equal(played.error, null);
  assert.ok(Math.abs(played.duration - 1) < 0.05, `a one-second recording, got ${played.duration}`);
  await shot(page, "voicemail");
  assert.deepEqual(problems, []);
  await close();
});

test("masking: a session created in the console changes the pool's utilisation, and ends into its grace period", async () => {
  for (const n of ["+14155550601", "+14155550602"]) assert.equal((await api("PUT", `/accounts/${A1}/pools/rides/numbers/${encodeURIComponent(n)}`, {})).status, 200);
  assert.equal((await api("PUT", `/accounts/${A1}/pools/rides/settings`, { grace_secs: 600, low_water: 2 })).status, 200);
  const { page, problems, close } = await open();
  await signedIn(page, write);
  await go(page, `#/${A1}/masking`);
  await page.locator(".pool-card h2:text('rides')").waitFor();
  await page.click(".pool-card:has(h2:text('rides'))");
  const figure = (name) => text(page, `section.card .utilisation [data-figure=${name}]`);
  await page.locator(".utilisation [data-figure=live]").waitFor();
  assert.equal(await figure("live"), "0");
  assert.equal(await figure("idle"), "2 of 2");
  await page.fill(".new-session input[name=a]", "+14155550701");
  await page.fill(".new-session input[name=b]", "+14155550702");
  await button(page, "Create session").click();
  await page.locator(".sessions .status.ok").waitFor();
  await page.waitForFunction(() => document.querySelector("[data-figure=live]").textContent === "1");
  assert.equal(await figure("idle"), "1 of 2");
  assert.match(await text(page, "section.card .utilisation"), /Under the low-water mark: 1 idle, 2 wanted/);
  // The pair's lookup: the number that connects them is not free for them.
  await page.fill("input[name=pair-a]", "+14155550701");
  await page.fill("input[name=pair-b]", "+14155550799");
  await button(page, "Ask").click();
  await page.locator("[data-figure=free]").waitFor();
  assert.equal(await text(page, "[data-figure=free]"), "1");
  await shot(page, "masking");
  await button(page.locator(".sessions tbody tr:not(.ended)"), "End").click();
  await page.locator(".sessions tr.ended .badge.warn").waitFor();
  assert.equal(await text(page, ".sessions tr.ended .badge"), "grace");
  await page.waitForFunction(() => document.querySelector("[data-figure=grace]").textContent === "1");
  assert.equal(await figure("live"), "0");
  // A pool with something in it says how to get to deleting it.
  assert.equal(await page.locator(".delete-pool button").count(), 0);
  assert.match(await text(page, ".delete-pool .hint"), /end its sessions and remove its numbers first/);
  // An empty pool is deleted with one click, and leaves the list.
  assert.equal((await api("PUT", `/accounts/${A1}/pools/spare/settings`, { grace_secs: 0, low_water: 0 })).status, 200);
  await go(page, `#/${A1}/masking/spare`);
  await button(page, "Delete pool spare").click();
  await page.waitForFunction(() => location.hash.endsWith("/masking"));
  await page.locator(".pool-card h2:text('rides')").waitFor();
  assert.equal(await page.locator(".pool-card h2:text('spare')").count(), 0);
  assert.deepEqual((await api("GET", `/accounts/${A1}/pools`)).body.pools.map((p) => p.name).includes("spare"), false);
  // A read token sees the pool, and nothing that would change it.
  const ro = await open();
  await signedIn(ro.page, read);
  await go(ro.page, `#/${A1}/masking/rides`);
  await ro.page.locator(".utilisation [data-figure=live]").waitFor();
  assert.equal(await ro.page.locator(".new-session, .sessions button.danger, .numbers form, .numbers button, .delete-pool").count(), 0);
  assert.equal(await ro.page.locator("form.grid fieldset.whole[disabled]").count(), 1, "settings shown, disabled");
  assert.equal(await ro.page.locator("input[name=pair-a]").count(), 1, "the pair lookup reads: still offered");
  await ro.close();
  assert.deepEqual(problems, []);
  await close();
});

test("the call log: a call with its decision and the timeline of its events", async () => {
  const callSid = sid();
  assert.match(await webhook("/voice/incoming", callParams({ CallSid: callSid, From: "+14155550101", To: ADA })), /<Dial /);
  for (const [seq, status, extra] of [[0, "ringing", {}], [1, "in-progress", {}], [2, "completed", { CallDuration: "42" }]]) {
    await webhook("/voice/status", callParams({ CallSid: callSid, From: "+14155550101", To: ADA, CallStatus: status, SequenceNumber: String(seq), Timestamp: `Sun, 22 Nov 2026 10:00:0${seq * 3} +0000`, ...extra }));
  }
  const { page, problems, close } = await open();
  await signedIn(page, write);
  await go(page, `#/${A1}/calls`);
  await page.locator(`li[data-call='${callSid}']`).waitFor();
  assert.match(await text(page, `li[data-call='${callSid}']`), /completed/);
  await page.fill("input[name=filter-from]", "+14155550101");
  await page.selectOption("select[name=filter-status]", "completed");
  await button(page, "Filter").click();
  await page.locator(`li[data-call='${callSid}']`).waitFor();
  await shot(page, "calls");
  await page.click(`li[data-call='${callSid}'] a`);
  await page.locator(".timeline li").nth(2).waitFor();
  assert.deepEqual(await page.locator(".timeline li").evaluateAll((l) => l.map((x) => x.dataset.status)), ["ringing", "in-progress", "completed"]);
  assert.match(await text(page, ".timeline li:nth-child(3)"), /\+6 s/);
  assert.match(await text(page, ".call-detail .decision"), /connect \(voice\/incoming\): The caller is in the line's address book/);
  assert.match(await text(page, ".call-detail"), /42 s/);
  await shot(page, "call-timeline");
  assert.deepEqual(problems, []);
  await close();
});

test("setup: each URL to paste has a copy button that copies it exactly; the checklist says what is missing", async () => {
  const { page, problems, close } = await open();
  await signedIn(page, write);
  await go(page, `#/${A1}/setup`);
  const incoming = `${w.url}/voice/incoming`;
  await page.locator(`tr[data-url='${incoming}'] button`).waitFor();
  await page.click(`tr[data-url='${incoming}'] button`);
  await page.locator(`tr[data-url='${incoming}'] button:text('Copied')`).waitFor();
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), incoming);
  for (const path of ["/voice/fallback", "/voice/status", "/twilio/debugger", "/voice/proxy", "/sms/proxy"])
    assert.equal(await page.locator(`tr[data-url='${w.url}${path}']`).count() > 0, true, path);
  assert.equal(await page.locator("[data-missing=no-alert-webhook]").count(), 1);
  assert.equal(await page.locator("[data-missing=no-outbound]").count(), 0, "the demo account has an outbound config");
  await shot(page, "setup");
  // Once the webhook is set, it is no longer missing.
  await api("PUT", `/accounts/${A1}/monitoring`, { alerts: { webhook_url: "https://example.com/alerts" } });
  await page.reload();
  await page.locator(".checklist").waitFor();
  assert.equal(await page.locator("[data-missing=no-alert-webhook]").count(), 0);
  assert.deepEqual(problems, []);
  await close();
});

test("a token of one account cannot see another's data, even by editing the address", async () => {
  assert.equal((await api("PUT", `/accounts/${A2}/lines/${encodeURIComponent("+14155550899")}`, { owner: { targets: [{ client: "theirs" }] } })).status, 200);
  const { page, close } = await open();
  await signIn(page, read);
  await page.locator(".rows.lines li").first().waitFor();
  for (const view of ["lines", "voicemail", "calls", "masking", "setup", "lines/%2B14155550899"]) {
    await go(page, `#/${A2}/${view}`);
    await page.locator("main .status.error").first().waitFor();
    assert.match(await text(page, "main .status.error"), /Not found: this token reaches nothing here/, view);
    assert.ok(!(await page.content()).includes("14155550899") || view.startsWith("lines/"), `no data of ${A2} in ${view}`);
  }
  await shot(page, "another-account");
  // The page's own token, used by hand, is refused the same way.
  const status = await page.evaluate(async (a2) => {
    const { token } = JSON.parse(sessionStorage.getItem("switchboard.console"));
    return (await fetch(`/api/v1/accounts/${a2}/lines`, { headers: { Authorization: `Bearer ${token}` } })).status;
  }, A2);
  assert.equal(status, 404);
  // A read token can look but not change, and the pages offer no change:
  // the config is shown disabled, the lists without their buttons.
  assert.equal(await text(page, "header .badge.read-only"), "Read-only");
  await go(page, `#/${A1}/lines/${encodeURIComponent(ADA)}`);
  await page.locator("section.lists tbody tr").first().waitFor();
  assert.equal(await page.locator("form.config fieldset.whole[disabled]").count(), 1);
  assert.ok(await page.locator("form.config input").first().isDisabled());
  assert.equal(await page.locator("form.config button[type=submit]").count(), 0, "no Save");
  assert.equal(await page.locator("section.lists .row-actions button, form.add-entry, input[name=vcard]").count(), 0);
  assert.equal(await page.locator("section.graylist button").count(), 0);
  await shot(page, "read-only-line");
  await go(page, `#/${A1}/lines`);
  await page.locator(".rows.lines li").first().waitFor();
  assert.equal(await page.locator("input[name=new-line], input[name=account-block]").count(), 0);
  await go(page, `#/${A1}/outbound`);
  await page.locator("form.config").waitFor();
  assert.equal(await page.locator("form.config fieldset.whole[disabled]").count(), 1);
  assert.equal(await page.locator("form.config button[type=submit]").count(), 0);
  assert.equal(await page.locator(".caller-id button[type=submit]").count(), 1, "a lookup reads: still offered");
  // Its writes, sent by hand, are refused all the same, and nothing changes.
  const refused = await page.evaluate(async ([a1, ada]) => {
    const { token } = JSON.parse(sessionStorage.getItem("switchboard.console"));
    const r = await fetch(`/api/v1/accounts/${a1}/lines/${encodeURIComponent(ada)}/entries/%2B14155550166`, { method: "DELETE", headers: { Authorization: `Bearer ${token}` } });
    return [r.status, (await r.json()).code];
  }, [A1, ADA]);
  assert.deepEqual(refused, [403, "read_only_token"]);
  assert.equal(JSON.parse(await w.kv.get(`entry:${A1}:${ADA}:+14155550166`)).block, true);
  await close();
});

test("health: each figure beside Twilio's line, and charts of the last 14 days for the account or one number", async () => {
  // Calls placed from a pool number over the last three days: ended,
  // answered or not, as their final status callbacks report them.
  const from = "+14155550111", DAY = 86_400_000;
  for (let back = 0; back < 3; back++) {
    for (let i = 0; i < 4; i++) {
      const answered = i < 3 - back;
      await webhook("/voice/status?leg=outbound", [
        ["AccountSid", A1], ["CallSid", sid()], ["CallStatus", answered ? "completed" : "no-answer"], ["Direction", "outbound-dial"],
        ["From", from], ["To", `+1212555${String(1000 + back * 10 + i)}`], ["SequenceNumber", "3"],
        ["Timestamp", stamp(Date.now() - back * DAY - 60_000)], ["CallDuration", answered ? String(20 + 10 * i) : "0"],
      ]);
    }
  }
  const { page, problems, close } = await open();
  await signedIn(page, write);
  await go(page, `#/${A1}/health`);
  await page.locator(`.window .scope[data-scope='${from}']`).first().waitFor();
  const row = `.window:first-of-type .scope[data-scope='${from}'] tr[data-figure=asr]`;
  assert.match(await text(page, `${row} .line`), /^≥ 70\.0%$/);
  assert.match(await text(page, `${row} .value`), /^\d+\.\d%$/);
  await page.locator(".chart canvas").nth(2).waitFor();
  assert.equal(await page.locator(".chart canvas").count(), 3, "ASR, ACD and the short-call share");
  await page.selectOption("select[name=chart-number]", from);
  await page.waitForFunction(() => document.querySelectorAll(".chart canvas").length === 3 && !document.querySelector(".charts .status.busy"));
  assert.deepEqual(await page.locator(".chart figcaption").allTextContents().then((c) => c.map((x) => x.split(" (")[0])), ["Answer-seizure ratio", "Average call duration", "Calls of 12 s or less"]);
  await shot(page, "health");
  assert.deepEqual(problems, []);
  await close();
});

test("outbound: the config as a form with its errors on their fields, and the caller ID a typed number gets, or the guard's refusal", async () => {
  const { page, problems, close } = await open();
  await signedIn(page, write);
  await go(page, `#/${A1}/outbound`);
  await page.locator("textarea[name=prefix_pools]").waitFor();
  assert.equal(await page.inputValue("textarea[name=prefix_pools]"), "+1415: +14155550111, +14155550112");
  // The callee's rule: a national spelling read in the account's country.
  await page.fill("input[name=callee]", "(415) 555-0234");
  await button(page, "Look up").click();
  await page.locator(".picked .rule").waitFor();
  assert.match(await text(page, ".picked .rule"), /^prefix \+1415: the longest matching prefix pool$/);
  assert.match(await text(page, ".picked .caller"), /\+1415555011[12]$/);
  await page.fill("input[name=callee]", "+33 1 23 45 67 89");
  await button(page, "Look up").click();
  await page.locator(".caller-id .refusal").waitFor();
  assert.match(await text(page, ".caller-id .refusal"), /The guard refuses this number \(country_not_allowed\): calls to FR are not allowed for this account/);
  // A prefix pool with a bad key: the error lands on that field, nothing is stored.
  const before = await w.kv.get(`acct:${A1}`);
  await page.fill("textarea[name=prefix_pools]", "+1415: +14155550111\n1212: +12125550100");
  await button(page, "Save").click();
  await page.locator("[data-field=prefix_pools] .field-error").waitFor();
  assert.equal(await text(page, "[data-field=prefix_pools] .field-error"), "prefix_pools.1212: keys are + and digits, e.g. +1415");
  assert.equal(await w.kv.get(`acct:${A1}`), before);
  await page.fill("textarea[name=prefix_pools]", "+1415: +14155550111\n+1212: +12125550100");
  await button(page, "Save").click();
  await page.locator("form.config .status.ok").waitFor();
  assert.deepEqual(JSON.parse(await w.kv.get(`acct:${A1}`)).prefix_pools, { "+1415": ["+14155550111"], "+1212": ["+12125550100"] });
  await shot(page, "outbound");
  assert.deepEqual(problems, []);
  await close();
});

test("a phone screen: every view fits the width, nothing scrolls sideways", async () => {
  const { page, problems, close } = await open({ viewport: { width: 375, height: 740 }, mobile: true });
  await signIn(page, write);
  await page.locator(".rows.lines li").first().waitFor();
  const views = ["lines", `lines/${encodeURIComponent(ADA)}`, "try", "voicemail", "masking", "masking/rides", "outbound", "calls", "health", "setup"];
  for (const view of views) {
    await go(page, `#/${A1}/${view}`);
    await page.locator("main h1").waitFor();
    await page.waitForFunction(() => !document.querySelector("main .status.busy"));
    // A phone widens its layout to fit what is wider than the screen, so
    // the page is measured against the screen, not against itself.
    const scroll = await page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(scroll <= 375, `${view}: ${scroll} px wide on a 375 px screen`);
    if (view === `lines/${encodeURIComponent(ADA)}` || view === "masking/rides") await shot(page, `phone-${view.split("/")[0]}`);
  }
  assert.deepEqual(problems, []);
  await close();
});
