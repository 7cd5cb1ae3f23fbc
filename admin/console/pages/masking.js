// Number masking: the account's pools with their load, and one pool's
// numbers, settings and sessions, with the "free for this pair" lookup.
import { useState } from "preact/hooks";
import { html, Num, Field, Status, useAction, useLoad, usePaged, Pager, Loading, Badge, val } from "../ui.js";
import { api, get, page, seg, ApiError, canWrite } from "../api.js";
import { href, go } from "../nav.js";
import { when } from "../format.js";

export function Masking({ account }) {
  const pools = usePaged((cursor) => page("/pools", "pools", { cursor }), [account]);
  const [name, setName] = useState("");
  const [state, run] = useAction();
  const create = (e) => {
    e.preventDefault();
    const n = name.trim();
    run(async () => {
      if (!/^[A-Za-z0-9_-]{1,64}$/.test(n)) throw new ApiError(0, { error: "Pool names are letters, digits, - and _ (at most 64)." });
      go(account, "masking", n);
    });
  };
  return html`<section>
    <h1>Masking</h1>
    <p class="lede">Two parties talk and text through a proxy number from a pool; neither learns the other's number.</p>
    ${pools.items.length === 0 && !pools.loading && !pools.error ? html`<p class="empty">No pools yet.</p>` : null}
    <div class="pools">${pools.items.map((p) => html`<${PoolCard} key=${p.name} account=${account} name=${p.name} />`)}</div>
    <${Pager} list=${pools} />
    ${canWrite() ? html`<form class="card inline" onSubmit=${create}>
      <h2>New pool</h2>
      <${Field} label="Name" name="pool" error=${state.error ? state.error.message : null}>
        <input name="pool-name" placeholder="rides" value=${name} onInput=${val(setName)} />
      </${Field}>
      <button type="submit">Set it up</button>
    </form>` : null}
  </section>`;
}

function PoolCard({ account, name }) {
  const report = useLoad(() => get(`/pools/${seg(name)}/report`), [account, name]);
  return html`<a class="card pool-card" href=${href(account, "masking", name)}>
    <h2>${name}</h2>
    <${Loading} state=${report}>${() => html`<${Utilisation} r=${report.data} />`}</${Loading}>
  </a>`;
}

/// The pool's numbers at a glance: in use, idle and draining, against the
/// low-water mark (fewer idle numbers than that: time to buy numbers).
export function Utilisation({ r }) {
  const usable = r.size - r.draining;
  const busy = Math.max(0, usable - r.idle);
  const width = (n) => ({ width: `${r.size ? (100 * n) / r.size : 0}%` });
  const mark = r.size ? Math.min(100, (100 * Math.max(0, usable - r.low_water)) / r.size) : 0;
  return html`<div class="utilisation">
    <div class="bar" role="img" aria-label=${`${busy} numbers in use, ${r.idle} idle, ${r.draining} draining, of ${r.size}`}>
      <span class="seg busy" style=${width(busy)}></span>
      <span class="seg idle" style=${width(r.idle)}></span>
      <span class="seg draining" style=${width(r.draining)}></span>
      ${r.low_water ? html`<span class="low-water" style=${{ left: `${mark}%` }} title=${`low-water mark: ${r.low_water} idle`}></span>` : null}
    </div>
    <dl class="figures">
      <div><dt>Live sessions</dt><dd data-figure="live">${r.live_sessions}</dd></div>
      <div><dt>In grace</dt><dd data-figure="grace">${r.in_grace}</dd></div>
      <div><dt>Idle numbers</dt><dd data-figure="idle">${r.idle} of ${r.size}</dd></div>
      <div><dt>Low-water mark</dt><dd data-figure="low-water">${r.low_water}</dd></div>
      <div><dt>Peak</dt><dd data-figure="peak">${r.peak}</dd></div>
      <div><dt>Draining</dt><dd data-figure="draining">${r.draining}</dd></div>
    </dl>
    ${r.low ? html`<p class="status error">Under the low-water mark: ${r.idle} idle, ${r.low_water} wanted. Buy numbers.</p>` : null}
  </div>`;
}

export function Pool({ account, pool }) {
  const report = useLoad(() => get(`/pools/${seg(pool)}/report`), [account, pool]);
  const settings = useLoad(() => get(`/pools/${seg(pool)}/settings`), [account, pool]);
  const refresh = () => report.reload();
  return html`<section>
    <p class="crumbs"><a href=${href(account, "masking")}>Masking</a> /</p>
    <h1>Pool ${pool}</h1>
    <section class="card"><h2>Utilisation</h2>
      <${Loading} state=${report}>${() => html`<${Utilisation} r=${report.data} />`}</${Loading}>
    </section>
    <${Sessions} pool=${pool} grace=${settings.data?.grace_secs || 0} onChange=${refresh} />
    <${FreeForPair} pool=${pool} />
    <${Numbers} pool=${pool} onChange=${refresh} />
    <${Loading} state=${settings}>${() => html`<${Settings} pool=${pool} initial=${settings.data} onSaved=${() => { settings.reload(); refresh(); }} />`}</${Loading}>
    ${canWrite() && report.data ? html`<${DeletePool} account=${account} pool=${pool} r=${report.data} />` : null}
  </section>`;
}

/// Deleting the pool: offered once nothing in it works any more (no
/// number, no live or in-grace session), which is when the API allows it.
function DeletePool({ account, pool, r }) {
  const [state, run] = useAction();
  const empty = r.size === 0 && r.live_sessions === 0 && r.in_grace === 0;
  const remove = () =>
    run(async () => {
      await api("DELETE", `/pools/${seg(pool)}`);
      go(account, "masking");
    });
  return html`<section class="card delete-pool">
    <h2>Delete the pool</h2>
    ${empty
      ? html`<p class="hint">It has no numbers and no sessions: its settings go with it.</p>
          <button type="button" class="danger" disabled=${state.busy} onClick=${remove}>Delete pool ${pool}</button>`
      : html`<p class="hint">A pool is deleted once it has no numbers and no live or in-grace sessions: end its sessions and remove its numbers first.</p>`}
    <${Status} state=${state} working="Deleting…" />
  </section>`;
}

function Sessions({ pool, grace, onChange }) {
  const listed = usePaged((cursor) => page(`/pools/${seg(pool)}/sessions`, "sessions", { cursor }), [pool]);
  const [ended, setEnded] = useState([]);
  const [form, setForm] = useState({ a: "", b: "", ttl_secs: "", market: "", a_name: "", b_name: "" });
  const [state, run] = useAction();
  const [lookup, setLookup] = useState("");
  const [found, setFound] = useState(null);
  const set = (k) => val((v) => setForm({ ...form, [k]: v }));
  const create = (e) => {
    e.preventDefault();
    const body = { a: form.a.trim(), b: form.b.trim() };
    if (form.ttl_secs.trim()) body.ttl_secs = /^\d+$/.test(form.ttl_secs.trim()) ? Number(form.ttl_secs.trim()) : form.ttl_secs;
    if (form.market.trim()) body.market = form.market.trim();
    const labels = {};
    if (form.a_name.trim()) labels.a_name = form.a_name.trim();
    if (form.b_name.trim()) labels.b_name = form.b_name.trim();
    if (Object.keys(labels).length) body.labels = labels;
    run(async () => {
      const r = await api("POST", `/pools/${seg(pool)}/sessions`, { body });
      setForm({ ...form, a: "", b: "" });
      listed.reload();
      onChange();
      return r.session;
    }, (s) => `Session ${s.id} connects them through ${s.proxy}.`);
  };
  const end = (s) =>
    run(async () => {
      await api("POST", `/pools/${seg(pool)}/sessions/${seg(s.id)}/end`);
      const now = await sessionState(pool, s.id);
      setEnded([{ ...s, state: now }, ...ended.filter((x) => x.id !== s.id)]);
      listed.reload();
      onChange();
    }, grace ? `Ended: in grace for ${grace} s, then closed.` : "Ended.");
  const find = (e) => {
    e.preventDefault();
    run(async () => setFound({ id: lookup.trim(), ...(await lookupSession(pool, lookup.trim())) }));
  };
  const err = state.error;
  const fe = (n) => (err && (err.field === n || err.body.party === n) ? err.message : null);
  // The pool lists live and in-grace sessions; one ended here that it no
  // longer has (closed at once, with no grace) is still shown, as closed.
  const shown = [...listed.items, ...ended.filter((s) => !listed.items.some((x) => x.id === s.id))];
  return html`<section class="card sessions">
    <h2>Sessions</h2>
    <table>
      <thead><tr><th>Parties</th><th>Proxy</th><th>State</th><th>Ends</th><th><span class="visually-hidden">Actions</span></th></tr></thead>
      <tbody>
        ${shown.map((s) => html`<tr data-session=${s.id} class=${s.state === "live" ? "" : "ended"}>
          <td><${Num} n=${s.a} /><br /><${Num} n=${s.b} /></td><td><${Num} n=${s.proxy} /></td>
          <td><${Badge} kind=${s.state === "live" ? "ok" : s.state === "grace" ? "warn" : ""}>${s.state}</${Badge}></td>
          <td>${s.state !== "live" ? "ended" : s.expires_at_ms ? when(s.expires_at_ms) : "when ended"}</td>
          <td>${s.state === "live" && canWrite() ? html`<button type="button" class="danger small" disabled=${state.busy} onClick=${() => end(s)}>End</button>` : null}</td>
        </tr>`)}
      </tbody>
    </table>
    ${shown.length === 0 && !listed.loading ? html`<p class="empty">No live or in-grace sessions.</p>` : null}
    <${Pager} list=${listed} />
    ${canWrite() ? html`<form class="grid new-session" onSubmit=${create}>
      <h3 class="wide">New session</h3>
      <${Field} label="Party A" name="a" error=${fe("a")}><input name="a" inputmode="tel" value=${form.a} onInput=${set("a")} /></${Field}>
      <${Field} label="Party B" name="b" error=${fe("b")}><input name="b" inputmode="tel" value=${form.b} onInput=${set("b")} /></${Field}>
      <${Field} label="A's name (for the announcement)" name="labels.a_name"><input name="a_name" value=${form.a_name} onInput=${set("a_name")} /></${Field}>
      <${Field} label="B's name" name="labels.b_name"><input name="b_name" value=${form.b_name} onInput=${set("b_name")} /></${Field}>
      <${Field} label="Lasts (seconds)" name="ttl_secs" error=${fe("ttl_secs")} hint="Empty: until ended"><input name="ttl_secs" inputmode="numeric" value=${form.ttl_secs} onInput=${set("ttl_secs")} /></${Field}>
      <${Field} label="Market" name="market" error=${fe("market")}><input name="market" value=${form.market} onInput=${set("market")} /></${Field}>
      <div class="actions wide"><button type="submit" disabled=${state.busy}>Create session</button></div>
    </form>` : null}
    <form class="inline" onSubmit=${find}>
      <${Field} label="A session by id" name="session-id"><input name="session-id" placeholder="KS…" value=${lookup} onInput=${val(setLookup)} /></${Field}>
      <button type="submit" class="secondary" disabled=${state.busy}>Look up</button>
    </form>
    ${found ? html`<p class="found">Session <code>${found.id}</code>: <${Badge} kind=${found.state === "live" ? "ok" : found.state === "grace" ? "warn" : ""}>${found.state}</${Badge}>
      ${found.session ? html` between <${Num} n=${found.session.a} /> and <${Num} n=${found.session.b} /> through <${Num} n=${found.session.proxy} />` : null}</p>` : null}
    <${Status} state=${state} />
  </section>`;
}

/// A session's state: live or in grace while the pool keeps it; closed
/// sessions are pruned, so a session the pool no longer has is closed.
async function lookupSession(pool, id) {
  try {
    return await get(`/pools/${seg(pool)}/sessions/${seg(id)}`);
  } catch (e) {
    if (e.status === 404) return { state: "closed (or never existed)" };
    throw e;
  }
}
const sessionState = async (pool, id) => (await lookupSession(pool, id)).state;

function FreeForPair({ pool }) {
  const [form, setForm] = useState({ a: "", b: "", market: "" });
  const [state, run] = useAction();
  const [r, setR] = useState(null);
  const set = (k) => val((v) => setForm({ ...form, [k]: v }));
  const ask = (e) => {
    e.preventDefault();
    run(async () => setR({ ...(await api("GET", `/pools/${seg(pool)}/report`, { query: { a: form.a.trim(), b: form.b.trim(), market: form.market.trim() } })), asked: { ...form } }));
  };
  return html`<section class="card">
    <h2>Free for this pair</h2>
    <p class="hint">How many numbers a new session between these two could get now: a number already connecting either of them is not free for them.</p>
    <form class="inline" onSubmit=${ask}>
      <${Field} label="A" name="pair-a"><input name="pair-a" inputmode="tel" value=${form.a} onInput=${set("a")} /></${Field}>
      <${Field} label="B" name="pair-b"><input name="pair-b" inputmode="tel" value=${form.b} onInput=${set("b")} /></${Field}>
      <${Field} label="Market" name="pair-market"><input name="pair-market" value=${form.market} onInput=${set("market")} /></${Field}>
      <button type="submit" class="secondary" disabled=${state.busy}>Ask</button>
    </form>
    <${Status} state=${state} />
    ${r && r.free_for_pair !== undefined ? html`<p class="free-for-pair"><strong data-figure="free">${r.free_for_pair}</strong> of ${r.size} numbers are free for this pair.</p>` : null}
  </section>`;
}

function Numbers({ pool, onChange }) {
  const list = usePaged((cursor) => page(`/pools/${seg(pool)}/numbers`, "numbers", { cursor }), [pool]);
  const [form, setForm] = useState({ number: "", market: "" });
  const [state, run] = useAction();
  const add = (e) => {
    e.preventDefault();
    run(async () => {
      await api("PUT", `/pools/${seg(pool)}/numbers/${seg(form.number.trim())}`, { body: form.market.trim() ? { market: form.market.trim() } : {} });
      setForm({ number: "", market: "" });
      list.reload();
      onChange();
    }, "Added to the pool.");
  };
  const remove = (n) =>
    run(async () => {
      const r = await api("DELETE", `/pools/${seg(pool)}/numbers/${seg(n)}`);
      list.reload();
      onChange();
      return r;
    }, (r) => (r.draining ? `${n} is draining: no new sessions; it leaves once its live ones end.` : `${n} left the pool.`));
  return html`<section class="card numbers">
    <h2>Numbers</h2>
    <table>
      <thead><tr><th>Number</th><th>Market</th><th>State</th><th><span class="visually-hidden">Actions</span></th></tr></thead>
      <tbody>${list.items.map((n) => html`<tr data-number=${n.number}>
        <td><${Num} n=${n.number} /></td><td>${n.market || html`<span class="muted">—</span>`}</td>
        <td>${n.draining ? html`<${Badge} kind="warn">draining</${Badge}>` : html`<${Badge} kind="ok">in service</${Badge}>`}</td>
        <td>${n.draining || !canWrite() ? null : html`<button type="button" class="secondary small" disabled=${state.busy} onClick=${() => remove(n.number)}>Remove</button>`}</td>
      </tr>`)}</tbody>
    </table>
    ${list.items.length === 0 && !list.loading ? html`<p class="empty">No numbers yet.</p>` : null}
    <${Pager} list=${list} />
    ${canWrite() ? html`<form class="inline" onSubmit=${add}>
      <${Field} label="Number" name="number"><input name="pool-number" inputmode="tel" value=${form.number} onInput=${val((v) => setForm({ ...form, number: v }))} /></${Field}>
      <${Field} label="Market" name="market"><input name="pool-market" value=${form.market} onInput=${val((v) => setForm({ ...form, market: v }))} /></${Field}>
      <button type="submit" disabled=${state.busy}>Add number</button>
    </form>` : null}
    <${Status} state=${state} />
  </section>`;
}

function Settings({ pool, initial, onSaved }) {
  const [s, setS] = useState({ grace_secs: initial.grace_secs, low_water: initial.low_water, announce: initial.announce || "", record: !!initial.record, carrier: initial.carrier || "twilio" });
  const [state, run] = useAction();
  const set = (k) => val((v) => setS({ ...s, [k]: v }));
  const num = (v) => (/^\d+$/.test(String(v)) ? Number(v) : v);
  const save = (e) => {
    e.preventDefault();
    const body = { grace_secs: num(s.grace_secs), low_water: num(s.low_water), record: s.record, carrier: s.carrier };
    if (s.announce.trim()) body.announce = s.announce;
    run(async () => {
      await api("PUT", `/pools/${seg(pool)}/settings`, { body });
      onSaved();
    }, "Settings saved.");
  };
  const err = state.error;
  const fe = (n) => (err && err.field === n ? err.message : null);
  const w = canWrite();
  return html`<form class="card grid" onSubmit=${save}>
    <h2 class="wide">Settings</h2>
    <fieldset class="whole" disabled=${!w}>
    <${Field} label="Grace after a session ends (seconds)" name="grace_secs" error=${fe("grace_secs")}><input name="grace_secs" inputmode="numeric" value=${s.grace_secs} onInput=${set("grace_secs")} /></${Field}>
    <${Field} label="Low-water mark (idle numbers)" name="low_water" error=${fe("low_water")}><input name="low_water" inputmode="numeric" value=${s.low_water} onInput=${set("low_water")} /></${Field}>
    <${Field} label="Announcement" name="announce" error=${fe("announce")} hint="e.g. Connecting you with {name}" wide><input name="announce" value=${s.announce} onInput=${set("announce")} /></${Field}>
    <${Field} label="Record bridged calls" name="record"><input type="checkbox" checked=${s.record} onChange=${set("record")} /></${Field}>
    <${Field} label="Carrier" name="carrier" error=${fe("carrier")}>
      <select value=${s.carrier} onChange=${set("carrier")}><option value="twilio">Twilio</option><option value="messagebird">MessageBird</option></select>
    </${Field}>
    </fieldset>
    ${w ? html`<div class="actions wide"><button type="submit" disabled=${state.busy}>Save settings</button></div>` : null}
    <${Status} state=${state} />
  </form>`;
}
