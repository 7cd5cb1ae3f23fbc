// Outbound: the account's caller-ID pools, toll-fraud guard and
// verification settings as a form, and the caller ID a typed number would get.
import { useMemo, useState } from "preact/hooks";
import { html, Num, Field, Status, useAction, useLoad, Loading, bestField, val } from "../ui.js";
import { api, get, canWrite } from "../api.js";

const DEFAULTS = {
  default_number: "",
  country_pools: {},
  prefix_pools: {},
  guard: { allowed_countries: [], blocked_prefixes: [], allow_premium: false, max_calls_per_destination_per_hour: 5, max_calls_per_account_per_hour: 100, sip_domains: [] },
  verification: { code_length: 6, ttl_secs: 600, max_attempts: 5, languages: {}, sms_text: "Your verification code is {code}.", voice_text: "Your verification code is" },
};

/// `{"GB": ["+44…", "+44…"]}` ↔ one pool a line: `GB: +44…, +44…`.
const poolsText = (pools) => Object.entries(pools || {}).map(([k, v]) => `${k}: ${(Array.isArray(v) ? v : [v]).join(", ")}`).join("\n");
function parsePools(text) {
  const out = {};
  for (const line of text.split("\n")) {
    if (!line.trim()) continue;
    const [k, ...rest] = line.split(":");
    out[k.trim()] = rest.join(":").split(",").map((s) => s.trim()).filter(Boolean);
  }
  return out;
}
const listText = (l) => (l || []).join(", ");
const parseList = (t) => t.split(/[,\s]+/).map((s) => s.trim()).filter(Boolean);
const mapText = (m) => Object.entries(m || {}).map(([k, v]) => `${k}: ${v}`).join("\n");
function parseMap(text) {
  const out = {};
  for (const line of text.split("\n")) {
    if (!line.trim()) continue;
    const [k, ...rest] = line.split(":");
    out[k.trim()] = rest.join(":").trim();
  }
  return out;
}
const num = (v) => (/^\d+$/.test(String(v).trim()) ? Number(v) : v);

export function Outbound({ account }) {
  const loaded = useLoad(async () => {
    try {
      return { config: await get("/outbound"), exists: true };
    } catch (e) {
      if (e.status === 404 && e.code === "not_found") return { config: structuredClone(DEFAULTS), exists: false };
      throw e;
    }
  }, [account]);
  return html`<section>
    <h1>Outbound</h1>
    <p class="lede">Which number a callee sees, which destinations are never called, and how verification codes go out.</p>
    <${Loading} state=${loaded}>${() => html`<${OutboundForm} initial=${loaded.data.config} exists=${loaded.data.exists} />`}</${Loading}>
    <${CallerId} />
  </section>`;
}

function OutboundForm({ initial, exists }) {
  const c = { ...structuredClone(DEFAULTS), ...structuredClone(initial) };
  const [f, setF] = useState(() => ({
    default_number: c.default_number || "",
    default_country: c.default_country || "",
    country_pools: poolsText(c.country_pools),
    prefix_pools: poolsText(c.prefix_pools),
    allowed_countries: listText(c.guard.allowed_countries),
    blocked_prefixes: listText(c.guard.blocked_prefixes),
    allow_premium: !!c.guard.allow_premium,
    per_destination: c.guard.max_calls_per_destination_per_hour,
    per_account: c.guard.max_calls_per_account_per_hour,
    sip_domains: listText(c.guard.sip_domains),
    code_length: c.verification.code_length,
    ttl_secs: c.verification.ttl_secs,
    max_attempts: c.verification.max_attempts,
    languages: mapText(c.verification.languages),
    sms_text: c.verification.sms_text,
    voice_text: c.verification.voice_text,
  }));
  const [saved, setSaved] = useState(exists);
  const [state, run] = useAction();
  const set = (k) => val((v) => setF({ ...f, [k]: v }));
  const names = useMemo(() => ["default_number", "default_country", "country_pools", "prefix_pools", "guard.allowed_countries", "guard.blocked_prefixes",
    "guard.allow_premium", "guard.max_calls_per_destination_per_hour", "guard.max_calls_per_account_per_hour", "guard.sip_domains",
    "verification.code_length", "verification.ttl_secs", "verification.max_attempts", "verification.languages", "verification.sms_text", "verification.voice_text"], []);
  const err = state.error;
  const at = bestField(err && err.field, names);
  const e = (n) => (at === n ? err.message : null);
  const save = (ev) => {
    ev.preventDefault();
    const body = {
      default_number: f.default_number.trim(),
      country_pools: parsePools(f.country_pools),
      prefix_pools: parsePools(f.prefix_pools),
      guard: {
        allowed_countries: parseList(f.allowed_countries.toUpperCase()),
        blocked_prefixes: parseList(f.blocked_prefixes),
        allow_premium: f.allow_premium,
        max_calls_per_destination_per_hour: num(f.per_destination),
        max_calls_per_account_per_hour: num(f.per_account),
        sip_domains: parseList(f.sip_domains),
      },
      verification: {
        code_length: num(f.code_length), ttl_secs: num(f.ttl_secs), max_attempts: num(f.max_attempts),
        languages: parseMap(f.languages), sms_text: f.sms_text, voice_text: f.voice_text,
      },
    };
    if (f.default_country.trim()) body.default_country = f.default_country.trim().toUpperCase();
    run(async () => {
      await api("PUT", "/outbound", { body });
      setSaved(true);
    }, "Saved.");
  };
  const w = canWrite();
  return html`<form class="card config" onSubmit=${save} novalidate>
    <h2>Config</h2>
    ${saved ? null : html`<p class="status warn">This account has no outbound config yet: calls and codes through the API are refused until it has one.</p>`}
    ${w ? null : html`<p class="hint read-only-note">Shown as it is: this token may look, not change.</p>`}
    <fieldset class="whole" disabled=${!w}>
    <fieldset><legend>Caller ID</legend><div class="grid">
      <${Field} label="Default number" name="default_number" error=${e("default_number")} hint="Shown when no pool matches">
        <input name="default_number" inputmode="tel" value=${f.default_number} onInput=${set("default_number")} />
      </${Field}>
      <${Field} label="Country for national spellings" name="default_country" error=${e("default_country")}>
        <input name="default_country" maxlength="2" value=${f.default_country} onInput=${set("default_country")} />
      </${Field}>
      <${Field} label="Country pools" name="country_pools" error=${e("country_pools")} hint="One a line: GB: +442079460001, +442079460002" wide>
        <textarea name="country_pools" rows="3" value=${f.country_pools} onInput=${set("country_pools")}></textarea>
      </${Field}>
      <${Field} label="Prefix pools (the longest match wins)" name="prefix_pools" error=${e("prefix_pools")} hint="One a line: +1415: +14155550111, +14155550112" wide>
        <textarea name="prefix_pools" rows="3" value=${f.prefix_pools} onInput=${set("prefix_pools")}></textarea>
      </${Field}>
    </div></fieldset>
    <fieldset><legend>Toll-fraud guard</legend><div class="grid">
      <${Field} label="Countries that may be called" name="guard.allowed_countries" error=${e("guard.allowed_countries")} hint="Empty: those the account has numbers in">
        <input name="allowed_countries" value=${f.allowed_countries} onInput=${set("allowed_countries")} />
      </${Field}>
      <${Field} label="Blocked prefixes" name="guard.blocked_prefixes" error=${e("guard.blocked_prefixes")} hint="e.g. +882, +883">
        <input name="blocked_prefixes" value=${f.blocked_prefixes} onInput=${set("blocked_prefixes")} />
      </${Field}>
      <${Field} label="Allow premium-rate and shared-cost numbers" name="guard.allow_premium" error=${e("guard.allow_premium")}>
        <input type="checkbox" checked=${f.allow_premium} onChange=${set("allow_premium")} />
      </${Field}>
      <${Field} label="Calls an hour to one number" name="guard.max_calls_per_destination_per_hour" error=${e("guard.max_calls_per_destination_per_hour")}>
        <input inputmode="numeric" value=${f.per_destination} onInput=${set("per_destination")} />
      </${Field}>
      <${Field} label="Calls an hour for the account" name="guard.max_calls_per_account_per_hour" error=${e("guard.max_calls_per_account_per_hour")}>
        <input inputmode="numeric" value=${f.per_account} onInput=${set("per_account")} />
      </${Field}>
      <${Field} label="SIP domains that may be dialled" name="guard.sip_domains" error=${e("guard.sip_domains")} hint="None unless listed">
        <input name="sip_domains" value=${f.sip_domains} onInput=${set("sip_domains")} />
      </${Field}>
    </div></fieldset>
    <fieldset><legend>Verification codes</legend><div class="grid">
      <${Field} label="Digits" name="verification.code_length" error=${e("verification.code_length")} hint="4 to 10"><input inputmode="numeric" value=${f.code_length} onInput=${set("code_length")} /></${Field}>
      <${Field} label="Valid for (seconds)" name="verification.ttl_secs" error=${e("verification.ttl_secs")} hint="30 to 86400"><input inputmode="numeric" value=${f.ttl_secs} onInput=${set("ttl_secs")} /></${Field}>
      <${Field} label="Guesses" name="verification.max_attempts" error=${e("verification.max_attempts")} hint="1 to 20"><input inputmode="numeric" value=${f.max_attempts} onInput=${set("max_attempts")} /></${Field}>
      <${Field} label="Languages by country" name="verification.languages" error=${e("verification.languages")} hint="One a line: DE: de-DE"><textarea rows="2" value=${f.languages} onInput=${set("languages")}></textarea></${Field}>
      <${Field} label="SMS text" name="verification.sms_text" error=${e("verification.sms_text")} hint="{code} is the code" wide><input value=${f.sms_text} onInput=${set("sms_text")} /></${Field}>
      <${Field} label="Said before the code" name="verification.voice_text" error=${e("verification.voice_text")} wide><input value=${f.voice_text} onInput=${set("voice_text")} /></${Field}>
    </div></fieldset>
    </fieldset>
    ${err && !at ? html`<p class="status error" role="alert">${err.message}</p>` : null}
    ${w ? html`<div class="actions">
      <button type="submit" disabled=${state.busy}>Save</button>
      ${state.busy ? html`<span class="status busy" role="status"><span class="spinner"></span>Saving…</span>` : null}
      ${state.ok ? html`<span class="status ok" role="status">${state.ok}</span>` : null}
      ${err && at ? html`<span class="status error" role="alert">Not saved: see ${at}.</span>` : null}
    </div>` : null}
  </form>`;
}

const RULES = {
  prefix: "the longest matching prefix pool",
  country: "the callee's country pool",
  default: "the default number (no pool matched)",
};

/// `GET …/caller-id?to=`: the number a callee would see, the rule that
/// picked it, or the guard's refusal.
function CallerId() {
  const [to, setTo] = useState("");
  const [state, run] = useAction();
  const [r, setR] = useState(null);
  const ask = (e) => {
    e.preventDefault();
    setR(null);
    run(async () => setR(await api("GET", "/caller-id", { query: { to: to.trim() } })));
  };
  const refused = state.error && state.error.body && state.error.body.refused;
  return html`<section class="card caller-id">
    <h2>Caller ID for a number</h2>
    <form class="inline" onSubmit=${ask}>
      <${Field} label="Callee" name="to" hint="Any common spelling; national ones in the account's country">
        <input name="callee" inputmode="tel" value=${to} onInput=${val(setTo)} />
      </${Field}>
      <button type="submit" class="secondary" disabled=${state.busy}>Look up</button>
    </form>
    ${refused
      ? html`<p class="status error refusal" role="alert"><strong>The guard refuses this number</strong> (<code>${refused}</code>): ${state.error.message}</p>`
      : html`<${Status} state=${state} />`}
    ${r ? html`<dl class="report picked">
      <dt>Callee</dt><dd><${Num} n=${r.to} /> (${r.country || "no country"})</dd>
      <dt>Sees</dt><dd class="caller"><${Num} n=${r.caller_id} /></dd>
      <dt>Rule</dt><dd class="rule"><code>${r.rule}</code>${r.key ? html` <code>${r.key}</code>` : null}: ${RULES[r.rule] || ""}</dd>
    </dl>` : null}
  </section>`;
}
