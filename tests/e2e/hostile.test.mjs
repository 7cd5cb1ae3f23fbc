// No input crashes the worker or corrupts state. Correctly signed webhooks and
// authorised API calls, full of hostile text, on every route: odd Unicode, C0
// controls, U+FFFE/U+FFFF, NUL, overlong values, repeated and conflicting
// parameters, wrong JSON types and shapes, unknown fields, bad percent escapes
// in paths. The table is generated (hostile values × routes × fields); each
// case must answer without a 5xx, leave no panic or isolate restart in the
// log, answer well-formed XML 1.0 of legal characters whenever it answers XML,
// and, when refused, leave the stored state exactly as it was.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { SaxesParser } from "saxes";
import { startWorker, SECRETS, leg } from "./lib/harness.mjs";
import { startRecorder } from "./lib/recorder.mjs";
import { post, callParams, sign } from "../../scripts/twilio.mjs";
import { signJwt } from "../../scripts/messagebird.mjs";

const DECL = '<?xml version="1.0" encoding="UTF-8"?>';
const A1 = "AC00000000000000000000000000000001";
const A2 = "AC00000000000000000000000000000002";
const T1 = SECRETS.TWILIO_AUTH_TOKEN;
const MB_KEY = SECRETS.MESSAGEBIRD_SIGNING_KEY;
const API = `/api/v1/accounts/${A1}`;
const ADA = "+14155550199"; // seeded line, owner +14155550100
const STRANGER = "+12125550123";
const RENDER_LINE = "+14155550160", RENDER_FRIEND = "+14155550171"; // hostile config is rendered here
const SPARE_LINE = "+14155550161"; // lists, graylists and address books are attacked here
const PROXY = "+14155550351", PARTY_A = "+14155550451", PARTY_B = "+14155550452"; // live Twilio session
const BIRD = "31610000051", BIRD_A = "31612345001", BIRD_B = "31612345002"; // live MessageBird session
const BAD_LOG = /panic|Reinitializing|canceled|RuntimeError|unreachable/i;

// The hostile values, each with a name for the report.
const C0 = Array.from({ length: 32 }, (_, i) => String.fromCharCode(i)).join("");
const VALUES = [
  ["RTL mark in a number", "+1415\u200f5550100"],
  ["euro sign", "+14155€"],
  ["emoji", "📞📞📞"],
  ["combining mark", "e\u0301"],
  ["zero-width joiner", "+1415\u200d5550100"],
  ["NUL", "\x00"],
  ["VT", "\x0b"],
  ["ESC", "\x1b"],
  ["controls in text", "Meet at gate\x0b5\x1b"],
  ["every C0 control", C0],
  ["U+FFFE", "\ufffe"],
  ["U+FFFF", "\uffff"],
  ["NUL after a number", "+14155550100\x00"],
  ["empty", ""],
  ["whitespace", " \t\r\n"],
  ["markup", `</Say><Hangup/><![CDATA[x]]>&amp;"'<`],
  ["character references", "&#0;&#xB;&#xFFFE;"],
  ["Arabic-Indic digits", "+١٤١٥٥٥٥٠١٠٠"],
  ["fullwidth digits", "＋１４１５５５５０１００"],
  ["line separators", "\u2028\u2029\u0085"],
  ["noncharacters", "\ufdd0\u{10ffff}"],
  ["DEL and C1", "\x7f\x80\x9f"],
  ["BOM before a number", "\ufeff+14155550100"],
  ["plus only", "+"],
  ["40 digits", "+" + "9".repeat(40)],
  ["huge integer", "18446744073709551616"],
  ["negative", "-1"],
  ["client with NUL", "client:bob\x00"],
  ["SIP with SOH", "sip:a\x01@example.com"],
  ["SIP with markup", "sip:<x>&@example.com"],
  ["percent escapes as text", "%00%ZZ%"],
  ["10 KB", "+1" + "4".repeat(10 * 1024)],
];
// The ones that matter once text is stored and later written into XML.
const XML_HOSTILE = ["emoji", "combining mark", "NUL", "VT", "ESC", "controls in text", "every C0 control", "U+FFFE", "U+FFFF", "empty", "whitespace",
  "markup", "character references", "line separators", "noncharacters", "DEL and C1", "client with NUL", "SIP with SOH", "SIP with markup", "percent escapes as text", "10 KB"];
// Message bodies also get one just under the 64 KiB webhook cap.
const BODY_VALUES = [...VALUES, ["60 KB", "x".repeat(60 * 1024 - 64) + "\x0b\x00\x1b"]];
// Path segments: the values percent-encoded, and escapes that are broken.
const BAD_ESCAPES = ["%", "%G1", "%2", "%ZZ", "%%", "%+1", "%u200F", "%00", "%FF", "%C3%28", "%E2%82", "%ED%A0%80", "%C0%80", "%F0%9F%93", "+1415%", "%2B1415%0B5550100"];
const enc = (s) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => "%" + c.charCodeAt(0).toString(16).toUpperCase());
const SEGMENTS = [...VALUES.map(([name, v]) => [name, enc(v)]), ...BAD_ESCAPES.map((e) => [`bad escape ${e}`, e])];
const show = (v) => { const s = JSON.stringify(v) ?? String(v); return s.length > 60 ? `${s.slice(0, 40)}…(${s.length} chars)` : s; };

let w, recorder, seededOutbound;
let cases = 0;
const seenBad = new Set(); // log lines already reported

before(async () => {
  recorder = await startRecorder();
  // PANIC_DRILL: only a webhook carrying Drill=panic panics; the last test
  // sends one, to prove that the log check sees a panic.
  w = await startWorker({ vars: { TWILIO_API_BASE: recorder.url, TWILIO_STUDIO_BASE: recorder.url, MESSAGEBIRD_API_BASE: recorder.url, PANIC_DRILL: "on" } });
  const must = async (method, path, body, status = 200) => {
    const r = await api(method, path, body);
    const text = await r.text();
    assert.equal(r.status, status, `${method} ${path}: ${text}`);
    return JSON.parse(text);
  };
  // Outbound limits high enough that the hundreds of dials below are not rate limited.
  seededOutbound = await must("GET", "/outbound");
  await must("PUT", "/outbound", outboundWith({}));
  await must("PUT", `/lines/${RENDER_LINE}`, renderConfig());
  await must("PUT", `/lines/${RENDER_LINE}/entries/${RENDER_FRIEND}`, { allow: true });
  await must("PUT", `/lines/${SPARE_LINE}`, { owner: { targets: [{ client: "spare" }] } });
  // A live session on a Twilio pool and on a MessageBird pool.
  await must("PUT", `/pools/hostile/numbers/${enc(PROXY)}`, {});
  await must("PUT", "/pools/hostile/settings", { grace_secs: 3600, low_water: 0 });
  const s = await must("POST", "/pools/hostile/sessions", { a: PARTY_A, b: PARTY_B }, 201);
  assert.equal(s.session.proxy, PROXY);
  await must("PUT", "/pools/hostile2/numbers/%2B14155550352", {});
  await must("PUT", "/pools/hostile2/settings", { grace_secs: 0, low_water: 0 });
  await must("PUT", `/pools/hostilebird/numbers/%2B${BIRD}`, {});
  await must("PUT", "/pools/hostilebird/settings", { grace_secs: 3600, low_water: 0, carrier: "messagebird" });
  await must("POST", "/pools/hostilebird/sessions", { a: "+" + BIRD_A, b: "+" + BIRD_B }, 201);
});
after(async () => { await w?.stop(); await recorder?.stop(); });

function outboundWith(changes) {
  const guard = { ...seededOutbound.guard, max_calls_per_destination_per_hour: 100000, max_calls_per_account_per_hour: 100000 };
  return { ...seededOutbound, guard, ...changes };
}

function renderConfig(change = (c) => c) {
  return change({
    owner: { targets: [{ client: "desk" }, { number: "+14155550100" }], timeout_secs: 20 },
    default_country: "US",
    challenge: { prefix: "Please enter", suffix: "followed by the pound key.", failed_message: "Wrong.", final_message: "Wrong again." },
    voicemail: { greeting: { say: "Please leave a message." } },
  });
}

// --- sending ---------------------------------------------------------------

function api(method, path, body, { type = "application/json", absolute = false } = {}) {
  const headers = { Authorization: `Bearer ${SECRETS.ADMIN_TOKEN}` };
  let payload;
  if (body !== undefined) {
    headers["Content-Type"] = type;
    payload = typeof body === "string" || body instanceof Uint8Array ? body : JSON.stringify(body);
  }
  return fetch(w.url + (absolute ? "" : API) + path, { method, headers, body: payload });
}

// A Twilio webhook signed over exactly the URL fetch will send.
function twilio(path, params, { token = T1 } = {}) {
  const url = new URL(w.url + path).href;
  return post("", url, params, { token });
}

// A raw body (possibly malformed), signed as if it carried `params`.
function twilioRaw(path, body, params, { type = "application/x-www-form-urlencoded", method = "POST" } = {}) {
  const url = new URL(w.url + path).href;
  return fetch(url, { method, body, headers: { "Content-Type": type, "X-Twilio-Signature": sign(url, params, T1) } });
}

// A JSON webhook, verified through bodySHA256.
function twilioJson(path, body) {
  const hash = createHash("sha256").update(body).digest("hex");
  const url = new URL(`${w.url}${path}?bodySHA256=${hash}`).href;
  return fetch(url, { method: "POST", body, headers: { "Content-Type": "application/json", "X-Twilio-Signature": sign(url, null, T1) } });
}

// MessageBird: a token is accepted once, so each send signs afresh.
function bird(path, query, body, { type = "application/x-www-form-urlencoded", method } = {}) {
  const url = new URL(w.url + path + (query ? `?${query}` : "")).href;
  const headers = { "MessageBird-Signature-JWT": signJwt(MB_KEY, url, body ?? "") };
  if (body !== undefined) headers["Content-Type"] = type;
  return fetch(url, { method: method ?? (body === undefined ? "GET" : "POST"), headers, body });
}
const query = (pairs) => pairs.map(([k, v]) => `${enc(k)}=${enc(v)}`).join("&");

// --- checking --------------------------------------------------------------

// XML 1.0, strictly: legal characters only, one root, everything closed.
function xmlProblem(text) {
  const illegal = text.match(/[^\t\n\r\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u);
  if (illegal) return `illegal XML character U+${illegal[0].codePointAt(0).toString(16).toUpperCase().padStart(4, "0")} at ${illegal.index}`;
  const parser = new SaxesParser({ defaultXMLVersion: "1.0", forceXMLVersion: true });
  let error;
  parser.on("error", (e) => { error ??= e.message; });
  try { parser.write(text).close(); } catch (e) { error ??= e.message; }
  return error;
}

// All of KV: names, values, metadata and expirations. The values of the
// names seen last time are read while the names are listed (bulk reads of up
// to 100 keys keep it quick).
let lastNames = [];
async function values(names) {
  const out = new Map();
  for (let i = 0; i < names.length; i += 100) for (const [k, v] of await w.kv.get(names.slice(i, i + 100), "text")) out.set(k, v);
  return out;
}
async function listing() {
  const out = {};
  let cursor;
  do {
    const page = await w.kv.list({ cursor });
    for (const k of page.keys) out[k.name] = { metadata: k.metadata ?? null, expiration: k.expiration ?? null };
    cursor = page.list_complete ? undefined : page.cursor;
  } while (cursor);
  return out;
}
async function state() {
  const [out, known] = await Promise.all([listing(), values(lastNames)]);
  lastNames = Object.keys(out);
  const fresh = await values(lastNames.filter((k) => !known.has(k)));
  for (const k of lastNames) out[k].value = known.has(k) ? known.get(k) : fresh.get(k);
  return out;
}

function diff(a, b) {
  const changes = [];
  for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) {
    if (!(k in a)) changes.push(`+${show(k)}`);
    else if (!(k in b)) changes.push(`-${show(k)}`);
    else if (JSON.stringify(a[k]) !== JSON.stringify(b[k])) changes.push(`~${show(k)}`);
  }
  return changes.length ? changes.join(", ") : null;
}

const badLines = (from) => w.logs.slice(from).filter((l) => BAD_LOG.test(l) && !seenBad.has(l));
const refused = (status) => status >= 400 && status < 500;

// Sends one case and checks its answer (not the state).
async function execute(c, { count = true } = {}) {
  if (count) cases++;
  const logMark = w.logs.length, recMark = recorder.requests.length;
  const problems = [];
  let r;
  try {
    r = await c.send();
    if (r === null) { // not sent: what it follows was refused
      if (count) cases--;
      return { status: 204, text: "", logMark, problems: [] };
    }
  } catch (e) {
    return { status: 0, text: "", logMark, problems: [`no answer: ${e.cause?.message ?? e.message}`] };
  }
  const type = r.headers.get("content-type") ?? "";
  const bytes = new Uint8Array(await r.arrayBuffer());
  let text;
  try {
    text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    text = Buffer.from(bytes).toString("latin1");
    problems.push("answer is not UTF-8");
  }
  if (r.status >= 500) problems.push(`status ${r.status}`);
  if (c.expect !== undefined && ![c.expect].flat().includes(r.status)) problems.push(`expected ${[c.expect].flat().join(" or ")}, got ${r.status}`);
  if (r.status === 200 && /xml/i.test(type)) {
    const p = xmlProblem(text);
    if (p) problems.push(`XML: ${p}`);
  }
  if (c.api) {
    let body;
    if (!/^application\/json/.test(type)) problems.push(`content type ${type}`);
    try { body = JSON.parse(text); } catch { problems.push("answer is not JSON"); }
    if (typeof body?.twiml === "string") {
      const p = xmlProblem(body.twiml);
      if (p) problems.push(`simulated TwiML: ${p}`);
    }
  }
  for (const q of recorder.requests.slice(recMark)) {
    const twiml = new URLSearchParams(q.body).get("Twiml");
    const p = twiml === null ? null : xmlProblem(twiml);
    if (p) problems.push(`Twiml sent to ${q.url}: ${p}`);
  }
  return { status: r.status, text, logMark, problems };
}

function describe(c, o, extra = []) {
  const answer = o.text.length > 300 ? `${o.text.slice(0, 300)}…` : o.text;
  return `${c.label} → ${o.status} ${JSON.stringify(answer)}: ${[...o.problems, ...extra].join("; ")}`;
}

// Runs one refused case again between two reads of the whole state.
async function recheck(c, problems) {
  const s1 = await state();
  const o = await execute(c, { count: false });
  const d = diff(s1, await state());
  if (d && refused(o.status)) problems.push(`${c.label} → ${o.status}: refused, but the state changed: ${d}`);
  return d;
}

// Sends cases together; when the log gained a bad line, each is sent again
// alone to find which one it was.
async function together(chunk, problems, note, count) {
  const mark = w.logs.length;
  const outs = await Promise.all(chunk.map((c) => execute(c, { count })));
  if (!count) return outs;
  if (badLines(mark).length) {
    for (const c of chunk) {
      const o = await execute(c, { count: false });
      note(c, { ...o, problems: [] });
    }
    const left = badLines(mark);
    left.forEach((l) => seenBad.add(l));
    if (left.length) problems.push(`one of ${chunk.map((c) => c.label).join(" | ")}: log: ${left.map((l) => l.trim().slice(0, 400)).join(" / ")}`);
  }
  outs.forEach((o, j) => note(chunk[j], { ...o, logMark: w.logs.length }));
  return outs;
}

// Sends a table in order, refused (or read-only) cases four at a time. A
// stretch of them is checked against one read of the state before it and one
// after; a stretch that differs is sent again case by case to find the one
// that wrote. Cases whose state before could not be pinned down (refused when
// expected to be answered, or next to an answered case that wrote) are
// returned, to be checked again.
async function sequential(table, problems, note, { count = true } = {}) {
  let base = null, run = [];
  const unsure = [];
  const quiet = (c) => c.readOnly || c.refused;
  const settle = async () => {
    if (!run.length) return;
    const now = await state();
    const d = diff(base, now);
    if (d) {
      let found = false;
      for (const c of run) found = Boolean(await recheck(c, problems)) || found;
      if (!found) problems.push(`one of ${run.map((c) => c.label).join(" | ")}: refused, but the state changed: ${d}`);
      base = await state();
    } else base = now;
    run = [];
  };
  for (let i = 0; i < table.length;) {
    if (!quiet(table[i])) {
      const c = table[i++];
      await settle();
      base = null;
      const [o] = await together([c], problems, note, count);
      if (refused(o.status)) unsure.push(c);
      else if (c.cleanup) await c.cleanup();
      continue;
    }
    const chunk = [];
    while (i < table.length && chunk.length < 4 && quiet(table[i])) chunk.push(table[i++]);
    if (run.length >= 25) await settle();
    if (!base) base = await state();
    const outs = await together(chunk, problems, note, count);
    const kept = chunk.filter((c, j) => refused(outs[j].status) || c.readOnly);
    if (kept.length === chunk.length) { run.push(...chunk); continue; }
    // Answered where a refusal was expected: if nothing changed, all so far is fine.
    const now = await state();
    if (diff(base, now)) { unsure.push(...run, ...kept); base = null; } else base = now;
    run = [];
    const cleanups = chunk.filter((c, j) => c.cleanup && !refused(outs[j].status));
    for (const c of cleanups) await c.cleanup();
    if (cleanups.length) base = null;
  }
  await settle();
  return unsure;
}

// Runs a table and returns its problems. Concurrent tables are for cases
// expected to be answered; any refusal among them is checked again after.
async function runTable(table, { concurrency = 1 } = {}) {
  const problems = [];
  const start = w.logs.length;
  const note = (c, o) => {
    const bad = badLines(o.logMark);
    bad.forEach((l) => seenBad.add(l));
    const extra = bad.map((l) => `log: ${l.trim().slice(0, 400)}`);
    if (o.problems.length || extra.length) problems.push(describe(c, o, extra));
  };
  await tidy();
  let unsure = [];
  if (concurrency > 1) {
    for (let i = 0; i < table.length; i += concurrency) {
      const chunk = table.slice(i, i + concurrency);
      const outs = await together(chunk, problems, note, true);
      outs.forEach((o, j) => { if (refused(o.status)) unsure.push(chunk[j]); });
    }
  } else {
    unsure = await sequential(table, problems, note);
  }
  // Refusals whose state before was unknown: sent again, now as a stretch of refusals.
  const left = await sequential(unsure.map((c) => ({ ...c, refused: true, cleanup: undefined })), problems, note, { count: false });
  for (const c of left) await recheck(c, problems);
  // Lines that arrived after their case was done.
  await new Promise((r) => setTimeout(r, 50));
  const late = badLines(start);
  late.forEach((l) => seenBad.add(l));
  for (const l of late) problems.push(`log (arrived late): ${l.trim().slice(0, 400)}`);
  return problems;
}

// What the webhooks left behind (counters, messages) and the API's tokens:
// removed between tables so that reading the whole state stays quick.
async function tidy() {
  const keys = (await w.keys()).filter((k) => /^(gray|vm|token):/.test(k));
  await Promise.all(keys.map((k) => w.kv.delete(k)));
}

function expectNoProblems(problems) {
  assert.deepEqual(problems, [], `${problems.length} failing case(s):\n${problems.join("\n")}`);
}

// --- the known bad cases ---------------------------------------------------

test("known bad cases: controls in a relayed text, in a client name and a SIP URI, an RTL mark in a caller's number", async () => {
  const problems = [];
  const check = async (label, send, want) => {
    const o = await execute({ label, send });
    if (o.status !== 200) o.problems.push("expected 200");
    if (want !== undefined && o.text !== want) o.problems.push(`expected ${JSON.stringify(want)}`);
    const bad = badLines(o.logMark);
    if (o.problems.length || bad.length) problems.push(describe({ label }, o, bad));
  };
  await check("/sms/proxy Body=\"Meet at gate\\x0b5\\x1b\"",
    () => twilio("/sms/proxy", [["AccountSid", A1], ["MessageSid", "SM1"], ["From", PARTY_A], ["To", PROXY], ["Body", "Meet at gate\x0b5\x1b"]]),
    `${DECL}<Response><Message from="${PROXY}" to="${PARTY_B}">Meet at gate5</Message></Response>`);
  await check("/voice/outbound To=\"client:bob\\x00\"",
    () => twilio("/voice/outbound", callParams({ From: "client:alice", To: "client:bob\x00", Direction: "outbound-dial" })));
  await check("/voice/outbound To=\"sip:a\\x01@example.com\"",
    () => twilio("/voice/outbound", callParams({ From: "client:alice", To: "sip:a\x01@example.com", Direction: "outbound-dial" })));
  await check("/voice/incoming From=\"+1415\\u200f5550100\"",
    () => twilio("/voice/incoming", callParams({ CallSid: "CA" + "f".repeat(32), From: "+1415\u200f5550100", To: ADA })));
  expectNoProblems(problems);
});

// --- signed Twilio webhooks: every field of every route ----------------------

const RECORDING = { RecordingUrl: "https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE1", RecordingSid: "RE" + "1".repeat(32), RecordingDuration: "5" };
const SMS = (o) => [["AccountSid", A1], ["MessageSid", "SM" + "1".repeat(32)], ...Object.entries(o)];
const ROUTES = [
  // path, base parameters, the fields it reads (every hostile value; the others get a few), and the form's layout
  ["/voice/incoming", { From: STRANGER, To: ADA }, ["From", "To", "CallSid", "StirVerstat"]],
  ["/voice/challenge", { From: STRANGER, To: ADA, Digits: "123" }, ["From", "To", "CallSid", "Digits"]],
  ["/voice/dialed", { From: STRANGER, To: ADA, DialCallStatus: "no-answer" }, ["From", "To", "CallSid", "DialCallStatus", "?next"]],
  ["/voice/voicemail", { From: STRANGER, To: ADA, ...RECORDING }, ["From", "To", "CallSid", "RecordingUrl", "RecordingSid", "RecordingDuration"]],
  ["/voice/voicemail/ready", { From: STRANGER, To: ADA, RecordingStatus: "completed", ...RECORDING }, ["From", "To", "CallSid", "RecordingSid", "RecordingDuration", "RecordingStatus"]],
  ["/voice/outbound", { From: "client:alice", To: "+14155550123", Direction: "outbound-dial" }, ["From", "To", "CallSid"]],
  ["/sms/incoming", { From: "+14155550150", To: ADA, Body: "123456" }, ["From", "To", "Body"], SMS],
  ["/voice/proxy", { From: PARTY_A, To: PROXY }, ["From", "To", "CallSid"]],
  ["/sms/proxy", { From: PARTY_A, To: PROXY, Body: "hi" }, ["From", "To", "Body"], SMS],
  ["/voice/fallback", { ErrorCode: "11200", ErrorUrl: "https://example.com/voice" }, ["From", "To", "CallSid", "ErrorCode", "ErrorUrl"]],
  ["/voice/fallback/dialed", { DialCallStatus: "busy" }, ["From", "CallSid", "DialCallStatus"]],
  ["/voice/fallback/recorded", { From: STRANGER, To: ADA, ...RECORDING }, ["From", "CallSid", "RecordingUrl", "RecordingSid", "RecordingDuration"]],
];
const IGNORED_SAMPLE = ["every C0 control", "markup", "10 KB"];
const ALL_FIELDS = ["From", "To", "Body", "Digits", "CallSid"];

for (const [path, base, fields, shape = (o) => callParams(o)] of ROUTES) {
  test(`signed ${path}: hostile values in ${[...new Set([...fields, ...ALL_FIELDS])].join(", ")}`, async () => {
    const table = [];
    for (const field of new Set([...fields, ...ALL_FIELDS])) {
      const reads = fields.includes(field);
      const values = (field === "Body" ? BODY_VALUES : VALUES).filter(([name]) => reads || IGNORED_SAMPLE.includes(name));
      for (const [name, v] of values) {
        const label = `POST ${path} ${field}=<${name}> ${show(v)}`;
        // A good signature is answered with TwiML, whatever the values (README: Routes).
        if (field === "?next") table.push({ label, expect: 200, send: () => twilio(`${path}?next=${enc(v)}`, shape(base)) });
        else table.push({ label, expect: 200, send: () => twilio(path, shape({ ...base, [field]: v })) });
      }
    }
    expectNoProblems(await runTable(table, { concurrency: 4 }));
  });
}

// --- Twilio webhooks: repeated, conflicting and malformed parameters ----------

test("signed webhooks with repeated, conflicting and malformed parameters, on every route", async () => {
  const table = [];
  for (const [path, base, , shape = (o) => callParams(o)] of ROUTES) {
    const params = shape(base);
    const add = (name, send, expect) => table.push({ label: `POST ${path}: ${name}`, send, expect, refused: expect !== undefined && expect >= 400 });
    add("From twice, different values", () => twilio(path, [...params, ["From", "+12125550999"]]), 200);
    add("To twice, different values", () => twilio(path, [...params, ["To", "+14155550188"]]), 200);
    add("every parameter twice", () => twilio(path, [...params, ...params.map(([k, v]) => [k, v + "0"]).filter(([k]) => k !== "AccountSid")]), 200);
    add("AccountSid twice", () => twilio(path, [...params, ["AccountSid", A1]]), 403);
    add("AccountSid twice, different accounts", () => twilio(path, [...params, ["AccountSid", A2]]), 403);
    add("AccountSid empty", () => twilio(path, params.map(([k, v]) => [k, k === "AccountSid" ? "" : v])), 403);
    add("AccountSid with NUL", () => twilio(path, params.map(([k, v]) => [k, k === "AccountSid" ? v + "\x00" : v])), 403);
    add("AccountSid in the query differs", () => twilio(`${path}?AccountSid=${A2}`, params), 403);
    add("empty values everywhere", () => twilio(path, params.map(([k, v]) => [k, k === "AccountSid" ? v : ""])), 200);
    add("empty and hostile parameter names", () => twilio(path, [...params, ["", "x"], ["\x00\x0b📞", "y"], ["From\x00", "z"]]), 200);
    add("a parameter 1,000 times", () => twilio(path, [...params, ...Array.from({ length: 1000 }, (_, i) => ["X", String(i)])]), 200);
    add("signed GET with hostile query", () => {
      const url = new URL(`${w.url}${path}?${query([...params, ["From", "\x00\uffff"], ["Body", "\x1b"]])}`).href;
      return fetch(url, { headers: { "X-Twilio-Signature": sign(url, null, T1) } });
    }, 200);
    add("bad percent escape", () => twilioRaw(path, `AccountSid=${A1}&From=%ZZ`, params), 400);
    add("lone percent sign", () => twilioRaw(path, `AccountSid=${A1}&From=%`, params), 400);
    add("truncated UTF-8 escape", () => twilioRaw(path, `AccountSid=${A1}&From=%E2%82`, params), 400);
    add("UTF-16 surrogate escape", () => twilioRaw(path, `AccountSid=${A1}&From=%ED%A0%80`, params), 400);
    add("overlong NUL escape", () => twilioRaw(path, `AccountSid=${A1}&From=%C0%80`, params), 400);
    add("raw byte 0xFF", () => twilioRaw(path, Buffer.concat([Buffer.from(`AccountSid=${A1}&From=`), Buffer.from([0xff])]), params), 400);
    add("70 KB body", () => twilio(path, [...params, ["Body", "x".repeat(70 * 1024)]]), 413);
    add("PUT", () => twilioRaw(path, "", params, { method: "PUT" }), 405);
    add("text/plain", () => twilioRaw(path, "From=x", params, { type: "text/plain" }), 415);
    add("JSON array", () => twilioJson(path, "[]"), 403);
    add("JSON AccountSid as an array", () => twilioJson(path, JSON.stringify({ AccountSid: [A1] })), 403);
    add("JSON nested 60,000 deep", () => twilioJson(path, "[".repeat(60000)), 403);
    add("JSON with hostile strings", () => twilioJson(path, JSON.stringify({ AccountSid: A1, From: "\x00\uffff", To: "\x0b", Body: "\x1b" })), 200);
  }
  expectNoProblems(await runTable(table));
});

// --- MessageBird -------------------------------------------------------------

test("signed MessageBird call flows and texts: hostile values in every field", async () => {
  const table = [];
  const voice = { callID: "c1", destination: BIRD, source: BIRD_A };
  const sms = { originator: BIRD_A, recipient: BIRD, payload: "hi" };
  for (const field of Object.keys(voice)) {
    for (const [name, v] of VALUES) {
      table.push({ label: `GET /messagebird/voice ${field}=<${name}> ${show(v)}`, expect: 200, send: () => bird("/messagebird/voice", query(Object.entries({ ...voice, [field]: v }))) });
    }
  }
  for (const field of Object.keys(sms)) {
    for (const [name, v] of field === "payload" ? BODY_VALUES : VALUES) {
      table.push({ label: `POST /messagebird/sms ${field}=<${name}> ${show(v)}`, expect: 200, send: () => bird("/messagebird/sms", "", query(Object.entries({ ...sms, [field]: v }))) });
      if (field === "payload" && name !== "60 KB") table.push({ label: `POST /messagebird/sms (JSON) ${field}=<${name}> ${show(v)}`, expect: 200, send: () => bird("/messagebird/sms", "", JSON.stringify({ ...sms, [field]: v }), { type: "application/json" }) });
    }
  }
  expectNoProblems(await runTable(table, { concurrency: 4 }));
});

test("MessageBird: repeated, conflicting and malformed requests", async () => {
  const table = [];
  const add = (label, send, expect) => table.push({ label, send, expect, refused: expect !== undefined && expect >= 400 });
  const voiceQ = query([["callID", "c1"], ["destination", BIRD], ["source", BIRD_A]]);
  const smsBody = query([["originator", BIRD_A], ["recipient", BIRD], ["payload", "hi"]]);
  add("voice: source twice", () => bird("/messagebird/voice", `${voiceQ}&source=${BIRD_B}`));
  add("voice: destination twice", () => bird("/messagebird/voice", `${voiceQ}&destination=31610000099`));
  add("voice: no parameters", () => bird("/messagebird/voice", ""));
  add("voice: bad percent escape", () => bird("/messagebird/voice", `${voiceQ}&source=%ZZ`), 400);
  add("voice: surrogate escape", () => bird("/messagebird/voice", `source=%ED%A0%80&destination=${BIRD}`), 400);
  add("voice: POST with a hostile body", () => bird("/messagebird/voice", voiceQ, "source=%00%0B&destination=\x00"));
  add("voice: a token used twice", async () => {
    const url = new URL(`${w.url}/messagebird/voice?${voiceQ}`).href;
    const jwt = signJwt(MB_KEY, url);
    await (await fetch(url, { headers: { "MessageBird-Signature-JWT": jwt } })).arrayBuffer();
    return fetch(url, { headers: { "MessageBird-Signature-JWT": jwt } });
  }, 403);
  add("sms: originator twice", () => bird("/messagebird/sms", "", `${smsBody}&originator=${BIRD_B}`));
  add("sms: recipient in query and body differ", () => bird("/messagebird/sms", "recipient=31610000099", smsBody));
  add("sms: empty body", () => bird("/messagebird/sms", "", ""));
  add("sms: bad percent escape", () => bird("/messagebird/sms", "", `${smsBody}&payload=%ZZ`), 400);
  add("sms: raw byte 0xFF", () => bird("/messagebird/sms", "", Buffer.concat([Buffer.from(`${smsBody}&payload=`), Buffer.from([0xff])])), 400);
  add("sms: 70 KB body", () => bird("/messagebird/sms", "", `${smsBody}&x=${"x".repeat(70 * 1024)}`), 413);
  for (const [name, json] of [["array", "[]"], ["array of true", "[true]"], ["truncated", "{"], ["nested 12,000 deep", "{\"a\":".repeat(12000)],
    ["payload a number", `{"originator":"${BIRD_A}","recipient":"${BIRD}","payload":5}`], ["payload null", `{"originator":"${BIRD_A}","recipient":"${BIRD}","payload":null}`],
    ["duplicate keys", `{"originator":"${BIRD_A}","originator":"${BIRD_B}","recipient":"${BIRD}","payload":"x"}`], ["lone surrogate escape", `{"originator":"${BIRD_A}","recipient":"${BIRD}","payload":"\\ud800"}`]]) {
    add(`sms: JSON ${name}`, () => bird("/messagebird/sms", "", json, { type: "application/json" }));
  }
  expectNoProblems(await runTable(table));
});

// --- the management API ------------------------------------------------------

const R = (method, template, body, opts = {}) => ({ method, template, body, ...opts });
const PATH_ROUTES = [
  R("GET", "/lines/{}", undefined, { readOnly: true }),
  R("PUT", "/lines/{}", { owner: { targets: [{ client: "desk" }] } }),
  R("DELETE", "/lines/{}"),
  R("PUT", `/lines/${SPARE_LINE}/entries/{}`, { block: true }),
  R("DELETE", `/lines/${SPARE_LINE}/entries/{}`),
  R("POST", "/lines/{}/address-book", "BEGIN:VCARD\nVERSION:3.0\nTEL:+14155550101\nEND:VCARD\n", { type: "text/vcard" }),
  R("GET", `/lines/${SPARE_LINE}/graylist/{}`, undefined, { readOnly: true }),
  R("DELETE", `/lines/${SPARE_LINE}/graylist/{}`),
  R("PUT", "/blocked/{}"),
  R("DELETE", "/blocked/{}"),
  R("DELETE", "/tokens/{}"),
  R("GET", "/caller-id?to={}", undefined, { readOnly: true }),
  R("PUT", "/pools/hostile2/numbers/{}", {}),
  R("DELETE", "/pools/hostile2/numbers/{}"),
  R("GET", "/pools/hostile2/sessions/{}", undefined, { readOnly: true }),
  R("POST", "/pools/hostile2/sessions/{}/end"),
  R("GET", "/pools/hostile2/report?a={}&b={}&market={}", undefined, { readOnly: true }),
  R("PUT", "/pools/{}/settings", { grace_secs: 0, low_water: 0 }),
  R("GET", "/{}", undefined, { readOnly: true }),
  R("GET", "/api/v1/accounts/{}/lines", undefined, { readOnly: true, absolute: true }),
];

test("management API: hostile and badly escaped path segments on every route", async () => {
  const table = [];
  for (const { method, template, body, readOnly, type, absolute } of PATH_ROUTES) {
    for (const [name, seg] of SEGMENTS) {
      const path = template.replaceAll("{}", seg);
      table.push({ label: `${method} ${template.replace("{}", `<${name}>`)}`, api: true, readOnly, refused: true, send: () => api(method, path, body, { type, absolute }) });
    }
  }
  expectNoProblems(await runTable(table));
});

// JSON bodies that are not what any route takes, and what the README says
// they get: not JSON at all is 400; JSON that is not the declared object (an
// array, a scalar, an unknown field) is 422. `declared` only where the route
// declares a body.
const SYNTAX = 400, SHAPE = 422;
const BAD_BODIES = [
  ["[]", "[]", SHAPE], ["[true]", "[true]", SHAPE], ["null", "null", SHAPE], ["true", "true", SHAPE], ["a number", "1", SHAPE], ["a string", '"x"', SHAPE],
  ["truncated", "{", SYNTAX], ["not JSON", "{not json", SYNTAX], ["duplicate keys", '{"a":1,"a":2}', "declared"], ["arrays 100,000 deep", "[".repeat(100000), SYNTAX],
  ["objects 20,000 deep", '{"a":'.repeat(20000) + "1" + "}".repeat(20000), [SYNTAX, SHAPE]], ["BOM", "\ufeff{}", SYNTAX],
  ["invalid UTF-8", new Uint8Array([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d]), SYNTAX], ["NUL key", '{"\\u0000":1}', "declared"],
  ["1e999", '{"x":1e999}', [SYNTAX, SHAPE]], ["lone surrogate escape", '{"x":"\\ud800"}', [SYNTAX, SHAPE]], ["unknown field", '{"colour":"red"}', "declared"],
];
const WRITE_ROUTES = [
  ["PUT", `/lines/${SPARE_LINE}`], ["PUT", `/lines/${SPARE_LINE}/entries/+12125550901`], ["PUT", "/blocked/+12125550902"],
  ["POST", "/simulate"], ["POST", "/calls"], ["POST", "/verifications"], ["POST", "/verifications/check"], ["PUT", "/outbound"],
  ["POST", "/tokens"], ["PUT", "/pools/hostile2/numbers/%2B14155550352"], ["PUT", "/pools/hostile2/settings"],
  ["PATCH", "/pools/hostile2/settings"], ["POST", "/pools/hostile2/sessions"], ["POST", "/pools/hostile2/sessions/KS00000000000000000000000000000000/end"],
  ["POST", "/pools/hostile2/reindex"], ["POST", `/lines/${SPARE_LINE}/address-book`],
];
const restoreOutbound = async () => { await (await api("PUT", "/outbound", outboundWith({}))).arrayBuffer(); };

// Each string field of each body: numbers with every hostile value, text
// (`text`) with the ones that matter in XML.
const FIELDS = [
  ["PUT", `/lines/${SPARE_LINE}/entries/+12125550903`, (v) => ({ forward: { number: v } })],
  ["PUT", `/lines/${SPARE_LINE}/entries/+12125550903`, (v) => ({ forward: { client: v } }), { text: true }],
  ["PUT", `/lines/${SPARE_LINE}/entries/+12125550903`, (v) => ({ forward: { sip: v } }), { text: true }],
  ["POST", "/simulate", (v) => ({ To: v, From: STRANGER }), { readOnly: true }],
  ["POST", "/simulate", (v) => ({ To: ADA, From: v }), { readOnly: true }],
  ["POST", "/simulate", (v) => ({ To: ADA, From: STRANGER, Digits: v }), { readOnly: true, text: true }],
  ["POST", "/simulate", (v) => ({ To: ADA, From: STRANGER, CallSid: v }), { readOnly: true, text: true }],
  ["POST", "/simulate", (v) => ({ To: ADA, From: STRANGER, StirVerstat: v }), { readOnly: true, text: true }],
  ["POST", "/calls", (v) => ({ to: v, message: "hi" })],
  ["POST", "/calls", (v) => ({ to: "+14155550123", message: v }), { refused: false, text: true }],
  ["POST", "/calls", (v) => ({ to: "+14155550123", url: v }), { text: true }],
  ["POST", "/calls", (v) => ({ to: "+14155550123", flow_sid: v }), { text: true }],
  ["POST", "/calls", (v) => ({ to: "+14155550123", message: "hi", parameters: { x: v } }), { text: true }],
  ["POST", "/verifications", (v) => ({ to: v, channel: "sms" })],
  ["POST", "/verifications", (v) => ({ to: "+14155550124", channel: v }), { text: true }],
  ["POST", "/verifications/check", (v) => ({ to: v, code: "123456" })],
  ["POST", "/verifications/check", (v) => ({ to: "+14155550124", code: v }), { text: true }],
  ["POST", "/tokens", (v) => ({ scope: v }), { text: true }],
  ["POST", "/tokens", (v) => ({ scope: "read", label: v }), { refused: false, text: true }],
  ["PUT", "/outbound", (v) => outboundWith({ default_number: v }), { cleanup: restoreOutbound }],
  ["PUT", "/pools/hostile2/numbers/%2B14155550352", (v) => ({ market: v }), { text: true }],
  ["PATCH", "/pools/hostile2/settings", (v) => ({ carrier: v }), { text: true }],
  ["POST", "/pools/hostile2/sessions", (v) => ({ a: v, b: "+14155550602" })],
  ["POST", "/pools/hostile2/sessions", (v) => ({ a: "+14155550601", b: v })],
  ["POST", "/pools/hostile2/sessions", (v) => ({ a: "+14155550603", b: "+14155550604", market: v, ttl_secs: 1 }), { text: true }],
];
// Wrong types, wrong shapes, unknown fields; the ones the issue names must be 422.
const SHAPES = [
  ["POST", "/pools/hostile2/sessions", { a: "+14155550605", b: "+14155550606", tll_secs: 60 }, 422],
  ["PUT", "/pools/hostile2/numbers/%2B14155550352", { colour: "red" }, 422],
  ["PUT", "/pools/hostile2/settings", [], 422],
  ["PUT", "/pools/hostile2/settings", [true], 422],
  ["PUT", `/lines/${SPARE_LINE}/entries/+12125550904`, { forward: { client: "" } }, 422],
  ["PUT", `/lines/${SPARE_LINE}/entries/+12125550904`, { forward: { sip: "desk@example.com" } }, 422],
  ["PUT", `/lines/${SPARE_LINE}/entries/+12125550904`, [], 422],
  ["PUT", `/lines/${SPARE_LINE}/entries/+12125550904`, { allow: "yes" }, 422],
  ["PUT", `/lines/${SPARE_LINE}/entries/+12125550904`, { allow: 1 }, 422],
  ["PUT", `/lines/${SPARE_LINE}/entries/+12125550904`, { forward: [] }, 422],
  ["PUT", `/lines/${SPARE_LINE}/entries/+12125550904`, { forward: "+14155550100" }, 422],
  ["PUT", `/lines/${SPARE_LINE}/entries/+12125550904`, { forward: { number: 14155550100 } }, 422],
  ["PUT", `/lines/${SPARE_LINE}/entries/+12125550904`, { forward: { number: "+14155550100", client: "x" } }],
  ["PUT", `/lines/${SPARE_LINE}/entries/+12125550904`, { colour: "red" }, 422],
  // Forward targets just past what fits in an entry's key metadata (1 KiB).
  ["PUT", `/lines/${SPARE_LINE}/entries/+12125550906`, { forward: { client: "x".repeat(1000) } }],
  ["PUT", `/lines/${SPARE_LINE}/entries/+12125550906`, { forward: { sip: `sip:${"a".repeat(2000)}@example.com` } }],
  ["PUT", `/lines/${SPARE_LINE}`, [], 422],
  ["PUT", `/lines/${SPARE_LINE}`, { owner: [] }, 422],
  ["PUT", `/lines/${SPARE_LINE}`, { owner: { targets: {} } }, 422],
  ["PUT", `/lines/${SPARE_LINE}`, { owner: { targets: [[]] } }, 422],
  ["PUT", `/lines/${SPARE_LINE}`, { owner: { targets: [{ client: "x" }], timeout_secs: "20" } }, 422],
  ["PUT", `/lines/${SPARE_LINE}`, { owner: { targets: [{ client: "x" }], timeout_secs: 1e20 } }, 422],
  ["PUT", `/lines/${SPARE_LINE}`, { owner: { targets: [{ client: "x" }], timeout_secs: 20.5 } }, 422],
  ["PUT", `/lines/${SPARE_LINE}`, { owner: { targets: [{ client: "x" }] }, hours: { time_zone: "Mars/Olympus", open: { mon: ["25:00-99:99"] } } }, 422],
  ["PUT", `/lines/${SPARE_LINE}`, { owner: { targets: [{ client: "x" }] }, tll_secs: 60 }, 422],
  ["PUT", "/blocked/+12125550905", [], 422],
  ["PUT", "/blocked/+12125550905", { block: false }],
  ["POST", "/simulate", { To: 14155550199, From: [] }, 422],
  ["POST", "/simulate", [], 422],
  ["POST", "/calls", { to: ["+14155550123"], message: "hi" }, 422],
  ["POST", "/calls", { to: "+14155550123", message: "hi", url: "https://example.com/x" }],
  ["POST", "/calls", { to: "+14155550123", message: "hi", parameters: [] }, 422],
  ["POST", "/calls", { to: "+14155550123", message: "hi", parameters: { x: {} } }],
  ["POST", "/verifications", { to: "+14155550125", channel: "sms", colour: "red" }, 422],
  ["POST", "/verifications/check", { to: "+14155550125", code: 123456 }, 422],
  ["POST", "/tokens", { scope: ["read"] }, 422],
  ["POST", "/tokens", { scope: "admin" }, 422],
  ["PUT", "/outbound", [], 422],
  ["PUT", "/outbound", { guard: [] }, 422],
  ["PUT", "/pools/hostile2/settings", { grace_secs: "0", low_water: 0 }, 422],
  ["PUT", "/pools/hostile2/settings", { grace_secs: -1, low_water: 0 }, 422],
  ["PUT", "/pools/hostile2/settings", { grace_secs: 1e20, low_water: 0 }, 422],
  ["PUT", "/pools/hostile2/settings", { grace_secs: 0.5, low_water: 0 }, 422],
  ["PUT", "/pools/hostile2/settings", { grace_secs: 0 }, 422],
  ["PATCH", "/pools/hostile2/settings", { record: "yes" }, 422],
  ["PATCH", "/pools/hostile2/settings", [], 422],
  ["POST", "/pools/hostile2/sessions", { a: "+14155550605", b: "+14155550606", ttl_secs: -1 }, 422],
  ["POST", "/pools/hostile2/sessions", { a: "+14155550605", b: "+14155550606", ttl_secs: "60" }, 422],
  ["POST", "/pools/hostile2/sessions", { a: "+14155550605", b: "+14155550606", labels: [] }, 422],
  ["POST", "/pools/hostile2/sessions", { a: "+14155550605", b: "+14155550606", notify: [true] }, 422],
  ["POST", "/pools/hostile2/sessions", { a: "+14155550605", b: "+14155550605" }],
  ["POST", "/pools/hostile2/sessions", { a: "+14155550605" }, 422],
];

test("management API: bodies of the wrong shape, wrong types, unknown fields, hostile strings", async () => {
  const table = [];
  for (const [method, path] of WRITE_ROUTES) {
    const type = path.endsWith("address-book") ? "text/vcard" : "application/json";
    const vcard = path.endsWith("address-book"), declared = !/\/(blocked\/[^/]+|end|reindex)$/.test(path);
    for (const [name, body, want] of [...BAD_BODIES, ["empty body", ""]]) {
      const expect = vcard ? undefined : want === "declared" ? (declared ? SHAPE : undefined) : want;
      table.push({ label: `${method} ${path} body <${name}>`, api: true, refused: true, readOnly: path === "/simulate", expect,
        cleanup: path === "/outbound" ? restoreOutbound : undefined, send: () => api(method, path, body, { type }) });
    }
  }
  for (const [method, path, body, expect] of SHAPES) {
    const b = path === "/outbound" && !Array.isArray(body) ? outboundWith(body) : body;
    table.push({ label: `${method} ${path} ${show(b)}`, api: true, expect, refused: expect !== undefined, send: () => api(method, path, b) });
  }
  for (const [method, path, make, { text, ...opts } = {}] of FIELDS) {
    for (const [name, v] of text ? VALUES.filter(([n]) => XML_HOSTILE.includes(n)) : VALUES) {
      const body = make(v);
      const shown = JSON.stringify(make("\u2063")).replace(/"\\u2063"|"\u2063"/, `<${name}>`);
      table.push({ label: `${method} ${path} ${shown}`, api: true, refused: true, ...opts, send: () => api(method, path, body) });
    }
  }
  const problems = await runTable(table);
  // The refused forward targets stored nothing.
  if (await w.kv.get(`entry:${A1}:${SPARE_LINE}:+12125550904`) !== null) problems.push("a refused forward target was stored");
  expectNoProblems(problems);
});

// --- hostile text that was accepted, rendered --------------------------------

test("hostile text stored through the API is rendered as well-formed XML", async () => {
  const table = [];
  let n = 0, m = 0;
  const stranger = () => `+1212555${String(1000 + (n++ % 9000)).padStart(4, "0")}`;
  const sid = () => "CA" + String(++m).padStart(32, "0");
  // Twilio sends the follow-up requests only if the line was accepted.
  const follow = (label, make) => ({ label, send: make, onlyIfAccepted: true });
  const VARIANTS = [
    ["texts", (v) => renderConfig((c) => ({ ...c, challenge: { prefix: v, suffix: v, failed_message: v, final_message: v }, voicemail: { greeting: { say: v } } })), ["challenge", "failed", "greeting"]],
    ["client", (v) => renderConfig((c) => ({ ...c, owner: { ...c.owner, targets: [{ client: v }] } })), ["friend"]],
    ["sip", (v) => renderConfig((c) => ({ ...c, owner: { ...c.owner, targets: [{ sip: v }] } })), ["friend"]],
    ["conference", (v) => renderConfig((c) => ({ ...c, owner: { ...c.owner, targets: [{ conference: v }] } })), ["friend"]],
    ["voice", (v) => renderConfig((c) => ({ ...c, voice: v })), ["challenge"]],
    ["language", (v) => renderConfig((c) => ({ ...c, language: v })), ["challenge"]],
    ["greeting play", (v) => renderConfig((c) => ({ ...c, voicemail: { greeting: { play: v } } })), ["greeting"]],
  ];
  for (const [name, v] of VALUES.filter(([name]) => XML_HOSTILE.includes(name))) {
    for (const [field, make, calls] of VARIANTS) {
      const tag = `${field}=<${name}>`;
      table.push({ label: `PUT /lines/${RENDER_LINE} ${tag}`, api: true, send: () => api("PUT", `/lines/${RENDER_LINE}`, make(v)) });
      for (const call of calls) {
        if (call === "friend") table.push(follow(`POST /voice/incoming from the address book after ${tag}`, () => twilio("/voice/incoming", callParams({ CallSid: sid(), From: RENDER_FRIEND, To: RENDER_LINE }))));
        if (call === "challenge" || call === "failed") {
          const from = stranger(), callSid = sid();
          table.push(follow(`POST /voice/incoming from a stranger after ${tag}`, () => twilio("/voice/incoming", callParams({ CallSid: callSid, From: from, To: RENDER_LINE }))));
          if (call === "failed") table.push(follow(`POST /voice/challenge wrong digits after ${tag}`, () => twilio("/voice/challenge", callParams({ CallSid: callSid, From: from, To: RENDER_LINE, Digits: "0000" }))));
        }
        if (call === "greeting") table.push(follow(`POST /voice/dialed no-answer after ${tag}`, () => twilio("/voice/dialed", callParams({ CallSid: sid(), From: STRANGER, To: RENDER_LINE, DialCallStatus: "no-answer" }))));
      }
    }
    // Masking: an announcement and the parties' names; a text through the session.
    const a = `+1415555${String(1000 + table.length % 9000).padStart(4, "0")}`, b = `+1650555${String(1000 + table.length % 9000).padStart(4, "0")}`;
    table.push({ label: `PATCH /pools/hostile/settings announce=<${name}>`, api: true, send: () => api("PATCH", "/pools/hostile/settings", { announce: `Connecting you with {name} ${v}` }) });
    table.push({ label: `POST /pools/hostile/sessions labels=<${name}>`, api: true, send: () => api("POST", "/pools/hostile/sessions", { a, b, ttl_secs: 60, labels: { a_name: v, b_name: v } }) });
    table.push({ label: `POST /voice/proxy after announce and labels <${name}>`, send: () => twilio("/voice/proxy", callParams({ From: a, To: PROXY })) });
    table.push({ label: `POST /voice/proxy (seeded session) after announce <${name}>`, send: () => twilio("/voice/proxy", callParams({ From: PARTY_A, To: PROXY })) });
    table.push({ label: `PATCH /pools/hostilebird/settings announce=<${name}>`, api: true, send: () => api("PATCH", "/pools/hostilebird/settings", { announce: v }) });
    table.push({ label: `GET /messagebird/voice after announce <${name}>`, send: () => bird("/messagebird/voice", query([["callID", "c2"], ["destination", BIRD], ["source", BIRD_A]])) });
    // Outbound: the verification call's spoken text.
    const to = `+1415555${String(2000 + VALUES.findIndex(([x]) => x === name)).padStart(4, "0")}`;
    table.push({ label: `PUT /outbound verification.voice_text=<${name}>`, api: true, send: () => api("PUT", "/outbound", outboundWith({ verification: { ...seededOutbound.verification, voice_text: v, sms_text: `{code} ${v}` } })) });
    table.push({ label: `POST /verifications voice after voice_text <${name}>`, api: true, send: () => api("POST", "/verifications", { to, channel: "voice" }) });
    table.push({ label: `POST /verifications sms after sms_text <${name}>`, api: true, send: () => api("POST", "/verifications", { to: to.replace("+1415", "+1650"), channel: "sms" }) });
  }
  // A follow-up is sent only when the line before it was accepted.
  let accepted = true;
  const gated = [];
  for (const c of table) {
    if (!c.onlyIfAccepted) {
      const send = c.send;
      gated.push({ ...c, send: async () => { const r = await send(); if (c.label.startsWith("PUT /lines")) accepted = r.status === 200; return r; } });
    } else gated.push({ ...c, send: () => (accepted ? c.send() : null) });
  }
  const problems = await runTable(gated);
  await restoreOutbound();
  await (await api("PATCH", "/pools/hostile/settings", { announce: null })).arrayBuffer();
  expectNoProblems(problems);
});

// --- afterwards --------------------------------------------------------------

test("afterwards the demo still works and every list reads", async () => {
  const r = await twilio("/voice/incoming", callParams({ CallSid: "CA" + "e".repeat(32), From: "+14155550101", To: ADA }));
  assert.equal(r.status, 200);
  assert.equal(await r.text(), `${DECL}<Response><Dial action="/voice/dialed" method="POST" timeout="20"><Number ${leg("owner_dial")}>+14155550100</Number></Dial></Response>`);
  const proxied = await twilio("/sms/proxy", SMS({ From: PARTY_B, To: PROXY, Body: "ok" }));
  assert.equal(await proxied.text(), `${DECL}<Response><Message from="${PROXY}" to="${PARTY_A}">ok</Message></Response>`);
  for (const path of ["/lines", `/lines/${ADA}`, `/lines/${ADA}/entries`, `/lines/${SPARE_LINE}/entries`, "/blocked", "/voicemails", "/tokens", "/outbound",
    "/pools/hostile/sessions", "/pools/hostile/numbers", "/pools/hostile2/sessions", "/pools/hostile/settings"]) {
    const a = await api("GET", path);
    assert.equal(a.status, 200, path);
    assert.equal(typeof (await a.json()), "object", path);
  }
});

test("the whole run: no panic, no isolate restart in the log", async (t) => {
  await new Promise((r) => setTimeout(r, 100));
  const bad = w.logs.filter((l) => BAD_LOG.test(l));
  t.diagnostic(`${cases} hostile cases sent`);
  assert.deepEqual(bad, []);
});

test("the log check sees a panic: a drilled one is answered with the fallback, and logged", async () => {
  const mark = w.logs.length;
  const r = await twilio("/voice/incoming", callParams({ CallSid: "CA" + "d".repeat(32), From: STRANGER, To: ADA, Drill: "panic" }));
  assert.equal(r.status, 200);
  assert.equal(xmlProblem(await r.text()), undefined);
  await new Promise((r) => setTimeout(r, 100));
  assert.ok(w.logs.slice(mark).some((l) => BAD_LOG.test(l)), w.logs.slice(mark).join(""));
});
