// The call log: the account's calls, newest first, filtered and paged, and
// one call's record with the timeline of its events.
import { useEffect, useState } from "preact/hooks";
import { html, Num, Field, useLoad, usePaged, Pager, Loading, Badge, val } from "../ui.js";
import { get, page, seg } from "../api.js";
import { href } from "../nav.js";
import { when, seconds } from "../format.js";
import { zoneOf } from "../lines-cache.js";
import { reason, STATUSES } from "../words.js";

const FEATURES = {
  owner_dial: "to the owner", forward: "forwarded", outbound: "from a device", masked_bridge: "masked",
  fallback_forward: "fallback forward", api_call: "API call", verification: "verification code",
};

/// The zone of whichever end of a call is one of the account's lines.
function useZone(call) {
  const [zone, setZone] = useState(null);
  useEffect(() => {
    let live = true;
    (async () => (await zoneOf(call.to)) || (await zoneOf(call.from)))().then((z) => live && setZone(z));
    return () => (live = false);
  }, [call.to, call.from]);
  return zone;
}

const statusKind = (s) => (s === "completed" ? "ok" : ["busy", "no-answer", "failed", "canceled"].includes(s) ? "bad" : "");

export function Calls({ account }) {
  const [filters, setFilters] = useState({ from: "", to: "", number: "", status: "", since: "" });
  const [applied, setApplied] = useState(filters);
  const query = () => {
    const q = {};
    for (const k of ["from", "to", "number", "status"]) if (applied[k].trim()) q[k] = applied[k].trim();
    if (applied.since) q.since = String(new Date(applied.since).getTime());
    return q;
  };
  const list = usePaged((cursor) => page("/calls", "calls", { cursor, query: query() }), [account, JSON.stringify(applied)]);
  const set = (k) => val((v) => setFilters({ ...filters, [k]: v }));
  return html`<section>
    <h1>Calls</h1>
    <form class="card filters" onSubmit=${(e) => { e.preventDefault(); setApplied(filters); }}>
      <${Field} label="From" name="from"><input name="filter-from" inputmode="tel" value=${filters.from} onInput=${set("from")} /></${Field}>
      <${Field} label="To" name="to"><input name="filter-to" inputmode="tel" value=${filters.to} onInput=${set("to")} /></${Field}>
      <${Field} label="Either end" name="number"><input name="filter-number" inputmode="tel" value=${filters.number} onInput=${set("number")} /></${Field}>
      <${Field} label="Status" name="status">
        <select name="filter-status" value=${filters.status} onChange=${set("status")}>
          <option value="">Any</option>${STATUSES.map((s) => html`<option value=${s}>${s}</option>`)}
        </select>
      </${Field}>
      <${Field} label="Since" name="since"><input name="filter-since" type="datetime-local" value=${filters.since} onInput=${set("since")} /></${Field}>
      <div class="actions"><button type="submit">Filter</button>
        <button type="button" class="secondary" onClick=${() => { const none = { from: "", to: "", number: "", status: "", since: "" }; setFilters(none); setApplied(none); }}>Clear</button></div>
    </form>
    ${list.items.length === 0 && !list.loading && !list.error ? html`<p class="empty">No calls${Object.keys(query()).length ? " match" : " yet"}.</p>` : null}
    <ul class="rows calls">${list.items.map((c) => html`<${CallRow} key=${c.call_sid} account=${account} c=${c} />`)}</ul>
    <${Pager} list=${list} />
  </section>`;
}

function CallRow({ account, c }) {
  const zone = useZone(c);
  return html`<li data-call=${c.call_sid}><a class="call-row" href=${href(account, "calls", c.call_sid)}>
    <span class="when">${when(c.started_ms, zone)}</span>
    <span class="ends"><${Num} n=${c.from} /> → <${Num} n=${c.to} /></span>
    <span class="what">
      <${Badge} kind=${statusKind(c.status)}>${c.status || "decided"}</${Badge}>
      ${c.feature ? html`<${Badge}>${FEATURES[c.feature] || c.feature}</${Badge}>` : null}
      ${c.decision ? html`<${Badge}>${c.decision.outcome}: ${c.decision.reason}</${Badge}>` : null}
      ${c.duration_secs !== null && c.duration_secs !== undefined ? html`<span>${seconds(c.duration_secs)}</span>` : null}
    </span>
  </a></li>`;
}

export function Call({ account, sid }) {
  const call = useLoad(() => get(`/calls/${seg(sid)}`), [account, sid]);
  return html`<section>
    <p class="crumbs"><a href=${href(account, "calls")}>Calls</a> /</p>
    <h1><code>${sid}</code></h1>
    <${Loading} state=${call}>${() => html`<${CallDetail} account=${account} c=${call.data} />`}</${Loading}>
  </section>`;
}

function CallDetail({ account, c }) {
  const zone = useZone(c);
  const first = c.events.length ? c.events[0].at_ms : c.started_ms;
  return html`<div class="call-detail">
    <dl class="report card">
      <dt>From</dt><dd><${Num} n=${c.from} /></dd>
      <dt>To</dt><dd><${Num} n=${c.to} /></dd>
      <dt>Direction</dt><dd>${c.direction || "—"}${c.feature ? ` (${FEATURES[c.feature] || c.feature})` : ""}</dd>
      <dt>Status</dt><dd><${Badge} kind=${statusKind(c.status)}>${c.status || "decided, no status yet"}</${Badge}></dd>
      ${c.decision ? html`<dt>Our decision</dt><dd class="decision"><strong>${c.decision.outcome}</strong> (${c.decision.route}): ${reason(c.decision.reason)}</dd>` : null}
      <dt>Talk time</dt><dd>${seconds(c.duration_secs)}</dd>
      ${c.sip_response_code ? html`<dt>SIP response</dt><dd>${c.sip_response_code}</dd>` : null}
      ${c.answered_by ? html`<dt>Answered by</dt><dd>${c.answered_by}</dd>` : null}
      ${c.stir_verstat ? html`<dt>Attestation</dt><dd>${c.stir_verstat}</dd>` : null}
      ${c.queue_time_ms !== null && c.queue_time_ms !== undefined ? html`<dt>Queue time</dt><dd>${c.queue_time_ms} ms</dd>` : null}
      ${c.session ? html`<dt>Masking session</dt><dd><code>${c.session}</code></dd>` : null}
      ${c.parent_call_sid ? html`<dt>Leg of</dt><dd><a href=${href(account, "calls", c.parent_call_sid)}><code>${c.parent_call_sid}</code></a></dd>` : null}
      <dt>Times shown in</dt><dd>${zone || "this browser's time zone"}</dd>
    </dl>
    <section class="card">
      <h2>Timeline</h2>
      ${c.events.length === 0 ? html`<p class="empty">No status events yet: point the number's status callback at /voice/status to see its progress.</p>` : null}
      <ol class="timeline">
        ${c.events.map((ev) => html`<li data-status=${ev.status}>
          <span class="dot"></span>
          <strong>${ev.status}</strong>
          <time datetime=${new Date(ev.at_ms).toISOString()}>${when(ev.at_ms, zone)}</time>
          <span class="muted">${ev.at_ms > first ? `+${((ev.at_ms - first) / 1000).toFixed(0)} s` : ""} #${ev.seq}</span>
        </li>`)}
      </ol>
    </section>
  </div>`;
}
