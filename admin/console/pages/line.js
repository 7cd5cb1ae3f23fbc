// One line: its config as a form (the API validates it; its error shows
// beside the field it names), its lists with one-click block and unblock,
// the address-book import, and the callers its graylist counts.
import { useMemo, useState } from "preact/hooks";
import { html, Num, Field, Status, useAction, useLoad, usePaged, Pager, Loading, Badge, bestField, val } from "../ui.js";
import { api, get, page, seg, ApiError, canWrite } from "../api.js";
import { href } from "../nav.js";
import { Hours, HOURS_FIELDS } from "./hours.js";
import { Prompt } from "./prompt.js";
import { forget } from "../lines-cache.js";

const DEFAULTS = () => ({
  owner: { targets: [{ number: "" }], ring: "together", timeout_secs: 20, caller_id: "caller", record: false },
  reject_reason: "rejected",
  withheld: "challenge",
  skip_challenge_when_attested: false,
  challenge: {
    digits: 3, timeout_secs: 10, threshold: 3, prefix: "Please enter", suffix: "followed by the pound key.",
    failed_message: "Sorry, that was not right. Goodbye.",
    final_message: "Sorry, that was not right again. Calls from your number will no longer be accepted. Goodbye.",
    on_success: "voicemail",
  },
  voicemail: { greeting: { say: "Please leave a message after the tone." }, max_length_secs: 120, notify: {} },
});

const KINDS = [
  ["number", "Number"],
  ["client", "Twilio Client"],
  ["sip", "SIP URI"],
  ["conference", "Conference"],
];
const kindOf = (t) => KINDS.map(([k]) => k).find((k) => k in t) || "number";

/// A stored config names only what it sets: the form shows the defaults
/// the API applies for the rest.
function withDefaults(stored) {
  const merge = (d, v) => {
    if (v === undefined) return structuredClone(d);
    if (d && typeof d === "object" && !Array.isArray(d) && v && typeof v === "object" && !Array.isArray(v)) {
      const out = { ...v };
      for (const k of Object.keys(d)) out[k] = merge(d[k], v[k]);
      return out;
    }
    return v;
  };
  return merge(DEFAULTS(), stored);
}

/// A number typed into a field that wants one: sent as a number when it
/// reads as one, else as typed, so the API names what is wrong with it.
const asNumber = (v) => (v === "" || v === null || v === undefined ? v : /^\d+$/.test(String(v)) ? Number(v) : v);

/// The config as the form holds it → the body the API takes: optional
/// fields left empty are left out.
export function toBody(c) {
  const out = structuredClone(c);
  out.owner.timeout_secs = asNumber(out.owner.timeout_secs);
  for (const k of ["digits", "timeout_secs", "threshold"]) out.challenge[k] = asNumber(out.challenge[k]);
  out.voicemail.max_length_secs = asNumber(out.voicemail.max_length_secs);
  for (const k of ["default_country", "voice", "language"]) if (!out[k]) delete out[k];
  const notify = out.voicemail.notify || {};
  for (const k of Object.keys(notify)) if (!notify[k]) delete notify[k];
  if (out.hours) {
    const open = {};
    for (const [day, spans] of Object.entries(out.hours.open || {})) {
      const list = (Array.isArray(spans) ? spans : String(spans).split(",")).map((s) => s.trim()).filter(Boolean);
      if (list.length) open[day] = list;
    }
    out.hours.open = open;
    const g = out.hours.closed_greeting;
    if (g && !g.say && !g.play) delete out.hours.closed_greeting;
  }
  return out;
}

export function Line({ account, number }) {
  const loaded = useLoad(async () => {
    try {
      return { config: withDefaults(await get(`/lines/${seg(number)}`)), exists: true };
    } catch (e) {
      if (e.status === 404 && e.code === "not_found") return { config: DEFAULTS(), exists: false };
      throw e;
    }
  }, [account, number]);
  return html`<section>
    <p class="crumbs"><a href=${href(account, "lines")}>Lines</a> /</p>
    <h1><${Num} n=${number} /></h1>
    <${Loading} state=${loaded}>${() => html`
      <${LineForm} key=${loaded.data.exists} number=${number} initial=${loaded.data.config} exists=${loaded.data.exists} onSaved=${loaded.reload} />
      ${loaded.data.exists
        ? html`<${Lists} number=${number} />
            ${canWrite() ? html`<${AddressBook} number=${number} />` : null}
            <${Graylist} number=${number} />`
        : html`<p class="hint">${canWrite() ? "Save the line first: its lists, address book and graylist come next." : "No line is set up on this number."}</p>`}
    `}</${Loading}>
  </section>`;
}

function LineForm({ number, initial, exists, onSaved }) {
  const [c, setC] = useState(() => structuredClone(initial));
  const [state, run] = useAction();
  // Edits one value at a dotted path of the draft.
  const set = (path, value) =>
    setC((old) => {
      const next = structuredClone(old);
      const keys = path.split(".");
      let o = next;
      for (const k of keys.slice(0, -1)) o = o[k] ??= {};
      o[keys[keys.length - 1]] = value;
      return next;
    });
  const targets = c.owner.targets;
  const names = useMemo(
    () => [
      "owner.targets", ...targets.map((_, i) => `owner.targets[${i}]`), "owner.ring", "owner.timeout_secs", "owner.caller_id", "owner.record",
      "default_country", "reject_reason", "withheld", "skip_challenge_when_attested", "voice", "language",
      ...["digits", "timeout_secs", "threshold", "prefix", "suffix", "failed_message", "final_message", "on_success"].map((k) => `challenge.${k}`),
      "voicemail.greeting", "voicemail.max_length_secs", "voicemail.notify", "voicemail.notify.sms_to", "voicemail.notify.sms_from", "voicemail.notify.webhook_url",
      ...HOURS_FIELDS,
    ],
    [targets.length],
  );
  const err = state.error;
  const at = bestField(err && err.field, names);
  const e = (name) => (at === name ? err.message : null);
  const save = (ev) => {
    ev.preventDefault();
    run(async () => {
      await api("PUT", `/lines/${seg(number)}`, { body: toBody(c) });
      forget(number);
      if (!exists) onSaved();
    }, exists ? "Saved." : "Line created.");
  };
  const setTarget = (i, t) => set("owner.targets", targets.map((x, j) => (j === i ? t : x)));
  const w = canWrite();
  return html`<form class="card config" onSubmit=${save} novalidate>
    <h2>Config</h2>
    ${w ? null : html`<p class="hint read-only-note">Shown as it is: this token may look, not change.</p>`}
    <fieldset class="whole" disabled=${!w}>
    <fieldset>
      <legend>Owner: who the line rings</legend>
      <div class="field" data-field="owner.targets">
        ${targets.map((t, i) => {
          const kind = kindOf(t);
          return html`<div class=${`target${e(`owner.targets[${i}]`) ? " has-error" : ""}`} data-field=${`owner.targets[${i}]`}>
            <select aria-label=${`Target ${i + 1} kind`} value=${kind} onChange=${(ev) => setTarget(i, { [ev.currentTarget.value]: t[kind] || "" })}>
              ${KINDS.map(([k, label]) => html`<option value=${k}>${label}</option>`)}
            </select>
            <input aria-label=${`Target ${i + 1}`} name=${`target-${i}`} value=${t[kind] ?? ""} placeholder=${kind === "number" ? "+14155550100" : kind === "sip" ? "sip:desk@example.com" : "name"}
              onInput=${(ev) => setTarget(i, { [kind]: ev.currentTarget.value })} />
            <button type="button" class="secondary small" aria-label=${`Remove target ${i + 1}`} onClick=${() => set("owner.targets", targets.filter((_, j) => j !== i))}>Remove</button>
            ${e(`owner.targets[${i}]`) ? html`<small class="field-error" role="alert">${e(`owner.targets[${i}]`)}</small>` : null}
          </div>`;
        })}
        ${e("owner.targets") ? html`<small class="field-error" role="alert">${e("owner.targets")}</small>` : null}
        <button type="button" class="secondary small" onClick=${() => set("owner.targets", [...targets, { number: "" }])}>Add a target</button>
      </div>
      <div class="grid">
        <${Field} label="Ring" name="owner.ring" error=${e("owner.ring")}>
          <select value=${c.owner.ring} onChange=${val((v) => set("owner.ring", v))}>
            <option value="together">All together</option><option value="in_turn">One after another</option>
          </select>
        </${Field}>
        <${Field} label="Ring for (seconds)" name="owner.timeout_secs" error=${e("owner.timeout_secs")} hint="5 to 120">
          <input name="timeout_secs" inputmode="numeric" value=${c.owner.timeout_secs} onInput=${val((v) => set("owner.timeout_secs", v))} />
        </${Field}>
        <${Field} label="The owner sees" name="owner.caller_id" error=${e("owner.caller_id")}>
          <select value=${c.owner.caller_id} onChange=${val((v) => set("owner.caller_id", v))}>
            <option value="caller">The caller's number</option><option value="line">This line's number</option>
          </select>
        </${Field}>
        <${Field} label="Record put-through calls" name="owner.record" error=${e("owner.record")}>
          <input type="checkbox" checked=${c.owner.record} onChange=${val((v) => set("owner.record", v))} />
        </${Field}>
      </div>
    </fieldset>
    <fieldset>
      <legend>Screening</legend>
      <div class="grid">
        <${Field} label="Withheld numbers" name="withheld" error=${e("withheld")}>
          <select value=${c.withheld} onChange=${val((v) => set("withheld", v))}>
            <option value="challenge">Challenge them</option><option value="reject">Reject</option><option value="voicemail">Straight to voicemail</option>
          </select>
        </${Field}>
        <${Field} label="Turn callers away as" name="reject_reason" error=${e("reject_reason")}>
          <select value=${c.reject_reason} onChange=${val((v) => set("reject_reason", v))}>
            <option value="rejected">Rejected</option><option value="busy">Busy</option>
          </select>
        </${Field}>
        <${Field} label="Skip the challenge when fully attested (SHAKEN/STIR A)" name="skip_challenge_when_attested" error=${e("skip_challenge_when_attested")}>
          <input type="checkbox" checked=${c.skip_challenge_when_attested} onChange=${val((v) => set("skip_challenge_when_attested", v))} />
        </${Field}>
        <${Field} label="Country for national spellings" name="default_country" error=${e("default_country")} hint="ISO code, e.g. US">
          <input value=${c.default_country || ""} maxlength="2" onInput=${val((v) => set("default_country", v.toUpperCase()))} />
        </${Field}>
        <${Field} label="Voice" name="voice" error=${e("voice")} hint="e.g. Polly.Joanna">
          <input value=${c.voice || ""} onInput=${val((v) => set("voice", v))} />
        </${Field}>
        <${Field} label="Language" name="language" error=${e("language")} hint="e.g. en-US">
          <input value=${c.language || ""} onInput=${val((v) => set("language", v))} />
        </${Field}>
      </div>
    </fieldset>
    <fieldset>
      <legend>Challenge</legend>
      <div class="grid">
        <${Field} label="Digits" name="challenge.digits" error=${e("challenge.digits")} hint="1 to 8">
          <input inputmode="numeric" value=${c.challenge.digits} onInput=${val((v) => set("challenge.digits", v))} />
        </${Field}>
        <${Field} label="Seconds to answer" name="challenge.timeout_secs" error=${e("challenge.timeout_secs")} hint="3 to 60">
          <input inputmode="numeric" value=${c.challenge.timeout_secs} onInput=${val((v) => set("challenge.timeout_secs", v))} />
        </${Field}>
        <${Field} label="Reject after (unanswered or failed)" name="challenge.threshold" error=${e("challenge.threshold")} hint="1 to 20">
          <input inputmode="numeric" value=${c.challenge.threshold} onInput=${val((v) => set("challenge.threshold", v))} />
        </${Field}>
        <${Field} label="Once passed" name="challenge.on_success" error=${e("challenge.on_success")}>
          <select value=${c.challenge.on_success} onChange=${val((v) => set("challenge.on_success", v))}>
            <option value="voicemail">Voicemail</option><option value="owner">Ring the owner</option>
          </select>
        </${Field}>
        <${Field} label="Said before the digits" name="challenge.prefix" error=${e("challenge.prefix")} wide>
          <input value=${c.challenge.prefix} onInput=${val((v) => set("challenge.prefix", v))} />
        </${Field}>
        <${Field} label="Said after the digits" name="challenge.suffix" error=${e("challenge.suffix")} wide>
          <input value=${c.challenge.suffix} onInput=${val((v) => set("challenge.suffix", v))} />
        </${Field}>
        <${Field} label="Wrong digits" name="challenge.failed_message" error=${e("challenge.failed_message")} wide>
          <input value=${c.challenge.failed_message} onInput=${val((v) => set("challenge.failed_message", v))} />
        </${Field}>
        <${Field} label="Wrong digits, last time" name="challenge.final_message" error=${e("challenge.final_message")} wide>
          <input value=${c.challenge.final_message} onInput=${val((v) => set("challenge.final_message", v))} />
        </${Field}>
      </div>
    </fieldset>
    <fieldset>
      <legend>Voicemail</legend>
      <div class="grid">
        <${Prompt} label="Greeting" name="voicemail.greeting" error=${e("voicemail.greeting")} value=${c.voicemail.greeting} onChange=${(p) => set("voicemail.greeting", p)} />
        <${Field} label="Longest message (seconds)" name="voicemail.max_length_secs" error=${e("voicemail.max_length_secs")} hint="5 to 3600">
          <input inputmode="numeric" value=${c.voicemail.max_length_secs} onInput=${val((v) => set("voicemail.max_length_secs", v))} />
        </${Field}>
        <${Field} label="Text the owner at" name="voicemail.notify.sms_to" error=${e("voicemail.notify.sms_to") || e("voicemail.notify")}>
          <input inputmode="tel" placeholder="+14155550100" value=${c.voicemail.notify.sms_to || ""} onInput=${val((v) => set("voicemail.notify.sms_to", v))} />
        </${Field}>
        <${Field} label="Text from (one of the account's numbers)" name="voicemail.notify.sms_from" error=${e("voicemail.notify.sms_from")}>
          <input inputmode="tel" value=${c.voicemail.notify.sms_from || ""} onInput=${val((v) => set("voicemail.notify.sms_from", v))} />
        </${Field}>
        <${Field} label="Webhook (https)" name="voicemail.notify.webhook_url" error=${e("voicemail.notify.webhook_url")} wide>
          <input type="url" placeholder="https://example.com/hooks/voicemail" value=${c.voicemail.notify.webhook_url || ""} onInput=${val((v) => set("voicemail.notify.webhook_url", v))} />
        </${Field}>
      </div>
    </fieldset>
    <${Hours} hours=${c.hours} onChange=${(h) => set("hours", h)} error=${e} />
    </fieldset>
    ${err && !at ? html`<p class="status error" role="alert">${err.message}</p>` : null}
    ${err && at ? html`<p class="status error" role="alert">Not saved: see ${at}.</p>` : null}
    ${w ? html`<div class="actions">
      <button type="submit" disabled=${state.busy}>${exists ? "Save" : "Create the line"}</button>
      ${state.busy ? html`<span class="status busy" role="status"><span class="spinner"></span>Saving…</span>` : null}
      ${state.ok ? html`<span class="status ok" role="status">${state.ok}</span>` : null}
    </div>` : null}
  </form>`;
}

/// The line's allow, block and forward lists.
function Lists({ number }) {
  const list = usePaged((cursor) => page(`/lines/${seg(number)}/entries`, "entries", { cursor }), [number]);
  const [search, setSearch] = useState("");
  const [adding, setAdding] = useState({ number: "", kind: "block", target: "" });
  const [state, run] = useAction();
  const digits = (s) => s.replace(/\D/g, "");
  const shown = search.trim()
    ? list.items.filter((x) => digits(x.number).includes(digits(search)) || x.number.includes(search.trim()))
    : list.items;
  const write = (n, entry) => {
    const body = {};
    if (entry.allow) body.allow = true;
    if (entry.block) body.block = true;
    if (entry.forward) body.forward = entry.forward;
    return Object.keys(body).length
      ? api("PUT", `/lines/${seg(number)}/entries/${seg(n)}`, { body })
      : api("DELETE", `/lines/${seg(number)}/entries/${seg(n)}`);
  };
  const toggle = (x) =>
    run(async () => {
      await write(x.number, { ...x, block: !x.block });
      list.reload();
    }, x.block ? `${x.number} is unblocked.` : `${x.number} is blocked.`);
  const remove = (x) =>
    run(async () => {
      await api("DELETE", `/lines/${seg(number)}/entries/${seg(x.number)}`);
      list.reload();
    }, `${x.number} is off the lists.`);
  const add = (ev) => {
    ev.preventDefault();
    const n = adding.number.trim();
    run(async () => {
      if (!n) throw new ApiError(0, { error: "Type the caller's number." });
      const old = list.items.find((x) => x.number === n) || {};
      const entry = { ...old };
      if (adding.kind === "allow") entry.allow = true;
      if (adding.kind === "block") entry.block = true;
      if (adding.kind.startsWith("forward:")) entry.forward = { [adding.kind.slice(8)]: adding.target.trim() };
      await write(n, entry);
      setAdding({ ...adding, number: "", target: "" });
      list.reload();
    }, adding.kind === "block" ? `${n} is blocked.` : "Saved.");
  };
  return html`<section class="card lists">
    <h2>Lists</h2>
    <p class="hint">The address book puts callers through to the owner, the forward list to its own target; blocked callers are turned away unanswered. Allowed beats blocked.</p>
    <input type="search" class="search" aria-label="Search the lists" placeholder="Search a number" value=${search} onInput=${val(setSearch)} />
    ${shown.length === 0 && !list.loading ? html`<p class="empty">${search ? "No caller matches." : "Nobody is on this line's lists."}</p>` : null}
    <table class="entries">
      <thead><tr><th>Caller</th><th>Lists</th><th><span class="visually-hidden">Actions</span></th></tr></thead>
      <tbody>
        ${shown.map((x) => html`<tr data-number=${x.number}>
          <td><${Num} n=${x.number} /></td>
          <td>
            ${x.allow ? html`<${Badge} kind="ok">address book</${Badge}>` : null}
            ${x.block ? html`<${Badge} kind="bad">blocked</${Badge}>` : null}
            ${x.forward ? html`<${Badge}>forward → ${Object.values(x.forward)[0]}</${Badge}>` : null}
          </td>
          <td class="row-actions">${canWrite() ? html`
            <button type="button" class=${x.block ? "secondary small" : "danger small"} disabled=${state.busy} onClick=${() => toggle(x)}>${x.block ? "Unblock" : "Block"}</button>
            <button type="button" class="secondary small" disabled=${state.busy} onClick=${() => remove(x)}>Remove</button>` : null}
          </td>
        </tr>`)}
      </tbody>
    </table>
    <${Pager} list=${list} />
    ${canWrite() ? html`<form class="inline add-entry" onSubmit=${add}>
      <${Field} label="Caller" name="entry.number">
        <input name="entry-number" inputmode="tel" placeholder="+14155550166" value=${adding.number} onInput=${val((v) => setAdding({ ...adding, number: v }))} />
      </${Field}>
      <${Field} label="Put on" name="entry.kind">
        <select name="entry-kind" value=${adding.kind} onChange=${val((v) => setAdding({ ...adding, kind: v }))}>
          <option value="block">Block list</option>
          <option value="allow">Address book</option>
          <option value="forward:number">Forward to a number</option>
          <option value="forward:client">Forward to a Client</option>
          <option value="forward:sip">Forward to a SIP URI</option>
        </select>
      </${Field}>
      ${adding.kind.startsWith("forward:") ? html`<${Field} label="Forward to" name="forward">
        <input name="entry-target" value=${adding.target} onInput=${val((v) => setAdding({ ...adding, target: v }))} />
      </${Field}>` : null}
      <button type="submit" disabled=${state.busy}>${adding.kind === "block" ? "Block" : "Add"}</button>
    </form>` : null}
    <${Status} state=${state} />
  </section>`;
}

/// A vCard file becomes the line's address book; the API says what changed.
function AddressBook({ number }) {
  const [state, run] = useAction();
  const [report, setReport] = useState(null);
  const upload = (ev) => {
    ev.preventDefault();
    const file = ev.currentTarget.elements.vcard.files[0];
    run(async () => {
      if (!file) throw new ApiError(0, { error: "Choose a vCard file (.vcf) first." });
      if (file.size > 1024 * 1024) throw new ApiError(413, { error: `The file is ${Math.round(file.size / 1024)} KiB; the API takes at most 1 MiB.` });
      const r = await api("POST", `/lines/${seg(number)}/address-book`, { body: await file.text(), type: "text/vcard" });
      setReport(r);
      return r;
    }, (r) => `Imported: ${r.numbers} numbers.`);
  };
  return html`<section class="card">
    <h2>Address book</h2>
    <p class="hint">Import a vCard export (iCloud, Google, Outlook): its numbers become the address book; blocks and forwards are kept.</p>
    <form class="inline" onSubmit=${upload}>
      <input type="file" name="vcard" accept=".vcf,text/vcard,text/x-vcard" aria-label="vCard file" />
      <button type="submit" disabled=${state.busy}>Import</button>
    </form>
    <${Status} state=${state} working="Importing…" />
    ${report ? html`<dl class="report import-report">
      <dt>Numbers in the file</dt><dd>${report.numbers}</dd>
      <dt>Added</dt><dd>${report.added}</dd>
      <dt>Removed</dt><dd>${report.removed}</dd>
      <dt>Unchanged</dt><dd>${report.unchanged}</dd>
      <dt>Skipped</dt><dd>${report.skipped.length}</dd>
    </dl>
    ${report.skipped.length ? html`<table class="skipped"><thead><tr><th>Entry</th><th>Name</th><th>Why</th></tr></thead><tbody>
      ${report.skipped.map((s) => html`<tr><td>${s.raw}</td><td>${s.name || ""}</td><td>${s.why}</td></tr>`)}
    </tbody></table>` : null}` : null}
  </section>`;
}

/// The callers the line counts: unanswered and failed challenges.
function Graylist({ number }) {
  const list = usePaged((cursor) => page(`/lines/${seg(number)}/graylist`, "graylist", { cursor }), [number]);
  const [state, run] = useAction();
  const reset = (n) =>
    run(async () => {
      await api("DELETE", `/lines/${seg(number)}/graylist/${seg(n)}`);
      list.reload();
    }, `${n}'s counters are reset.`);
  return html`<section class="card graylist">
    <h2>Graylist</h2>
    <p class="hint">Callers who left a challenge unanswered or keyed wrong digits. At the line's threshold they are turned away; a reset gives them a fresh start.</p>
    ${list.items.length === 0 && !list.loading && !list.error ? html`<p class="empty">Nobody is counted.</p>` : null}
    ${list.items.length ? html`<table>
      <thead><tr><th>Caller</th><th>Unanswered</th><th>Failed</th><th><span class="visually-hidden">Actions</span></th></tr></thead>
      <tbody>${list.items.map((g) => html`<tr data-number=${g.number}>
        <td><${Num} n=${g.number} /></td><td>${g.unanswered}</td><td>${g.failed}</td>
        <td>${canWrite() ? html`<button type="button" class="secondary small" disabled=${state.busy} onClick=${() => reset(g.number)}>Reset</button>` : null}</td>
      </tr>`)}</tbody>
    </table>` : null}
    <${Pager} list=${list} />
    <${Status} state=${state} />
  </section>`;
}
