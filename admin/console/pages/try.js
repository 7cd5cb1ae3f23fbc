// Try a call: what a call from From to To would get right now (`POST
// …/simulate`, which reads the same facts as a real call and writes nothing).
import { useState } from "preact/hooks";
import { html, Num, Field, Status, useAction, usePaged, val } from "../ui.js";
import { api, page } from "../api.js";
import { reason, outcome, VERSTATS } from "../words.js";

export function TryCall({ account }) {
  const lines = usePaged((cursor) => page("/lines", "lines", { cursor, limit: 200 }), [account]);
  const [form, setForm] = useState({ From: "", To: "", Digits: "", StirVerstat: "" });
  const [state, run] = useAction();
  const [result, setResult] = useState(null);
  const set = (k) => val((v) => setForm({ ...form, [k]: v }));
  const to = form.To || lines.items[0] || "";
  const submit = (e) => {
    e.preventDefault();
    const body = { From: form.From.trim(), To: to.trim() };
    if (form.Digits.trim()) body.Digits = form.Digits.trim();
    if (form.StirVerstat) body.StirVerstat = form.StirVerstat;
    run(async () => {
      setResult(null);
      const r = await api("POST", "/simulate", { body });
      setResult({ ...r, asked: body });
    });
  };
  const err = state.error;
  const fe = (name) => (err && err.field === name ? err.message : null);
  return html`<section>
    <h1>Try a call</h1>
    <p class="lede">What a call would get now, decided exactly as a real one is. Nothing is written: counters stay as they are.</p>
    <form class="card grid" onSubmit=${submit}>
      <${Field} label="From (the caller)" name="From" error=${fe("From")} hint="E.164, or anonymous">
        <input name="From" inputmode="tel" placeholder="+14155550100" value=${form.From} onInput=${set("From")} />
      </${Field}>
      <${Field} label="To (the line)" name="To" error=${fe("To")}>
        <input name="To" inputmode="tel" list="line-numbers" value=${to} onInput=${set("To")} />
        <datalist id="line-numbers">${lines.items.map((n) => html`<option value=${n} />`)}</datalist>
      </${Field}>
      <${Field} label="Digits keyed (answers a challenge)" name="Digits" error=${fe("Digits")}>
        <input name="Digits" inputmode="numeric" value=${form.Digits} onInput=${set("Digits")} />
      </${Field}>
      <${Field} label="Attestation (StirVerstat)" name="StirVerstat" error=${fe("StirVerstat")}>
        <select name="StirVerstat" value=${form.StirVerstat} onChange=${set("StirVerstat")}>
          ${VERSTATS.map(([v, label]) => html`<option value=${v}>${label}</option>`)}
        </select>
      </${Field}>
      <div class="actions"><button type="submit" disabled=${state.busy}>Try it</button></div>
      <${Status} state=${state} working="Deciding…" />
    </form>
    ${result ? html`<${Result} r=${result} />` : null}
  </section>`;
}

function Result({ r }) {
  const counters = (g) => (g ? `${g.unanswered} unanswered, ${g.failed} failed` : "unchanged");
  return html`<section class="card result" aria-live="polite">
    <h2>From <${Num} n=${r.asked.From} /> to <${Num} n=${r.asked.To} /></h2>
    <dl class="report">
      <dt>Outcome</dt><dd class="outcome" data-outcome=${r.outcome}><strong>${r.outcome}</strong>: ${outcome(r.outcome)}</dd>
      <dt>Why</dt><dd class="reason" data-reason=${r.reason}><code>${r.reason}</code>: ${reason(r.reason)}</dd>
      ${r.line ? html`
        <dt>Hours</dt><dd>${r.open ? "Open now" : "Closed now"}</dd>
        <dt>Counters before</dt><dd class="before">${counters(r.graylist)}</dd>
        <dt>Counters after</dt><dd class="after">${r.graylist_after ? counters(r.graylist_after) : "unchanged"}</dd>
      ` : html`<dt>Line</dt><dd>No line has this number.</dd>`}
    </dl>
    <h3>TwiML the carrier would get</h3>
    <pre class="twiml">${pretty(r.twiml)}</pre>
  </section>`;
}

/// TwiML, one element a line, for reading.
function pretty(xml) {
  let depth = 0;
  return xml
    .replace(/></g, ">\n<")
    .split("\n")
    .map((line) => {
      if (/^<\//.test(line)) depth = Math.max(0, depth - 1);
      const out = "  ".repeat(depth) + line;
      if (/^<[^/?!][^>]*[^/]>$/.test(line) && !/<\/[^>]+>$/.test(line)) depth++;
      return out;
    })
    .join("\n");
}
