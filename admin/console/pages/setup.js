// Setup: the exact URLs to paste into the Twilio console for this account,
// each with a copy button, and what the account still lacks.
import { useState } from "preact/hooks";
import { html, Num, Copy, useLoad, Loading, Badge, val } from "../ui.js";
import { get, page, seg } from "../api.js";
import { href } from "../nav.js";

/// Everything the checklist reads, in one go. A missing outbound config is
/// an answer (404), not a failure.
async function facts() {
  const orNull = (p) => p.catch((e) => (e.status === 404 ? null : Promise.reject(e)));
  const [lines, outbound, monitoring, pools] = await Promise.all([
    page("/lines", "lines", { limit: 1 }),
    orNull(get("/outbound")),
    get("/monitoring"),
    page("/pools", "pools", { limit: 200 }),
  ]);
  const poolFacts = await Promise.all(
    pools.items.map(async ({ name }) => {
      const [settings, numbers, report] = await Promise.all([
        get(`/pools/${seg(name)}/settings`),
        page(`/pools/${seg(name)}/numbers`, "numbers", { limit: 200 }),
        get(`/pools/${seg(name)}/report`),
      ]);
      return { name, carrier: settings.carrier || "twilio", numbers: numbers.items, report };
    }),
  );
  return { hasLines: lines.items.length > 0, outbound, monitoring, pools: poolFacts };
}

function Url({ label, url, method = "HTTP POST", note }) {
  return html`<tr data-url=${url}>
    <th scope="row">${label}${note ? html`<small class="hint">${note}</small>` : null}</th>
    <td><code class="url">${url}</code> <span class="muted">${method}</span></td>
    <td><${Copy} text=${url} /></td>
  </tr>`;
}

export function Setup({ account }) {
  const [base, setBase] = useState(location.origin);
  const f = useLoad(facts, [account]);
  const b = base.replace(/\/+$/, "");
  return html`<section>
    <h1>Setup</h1>
    <p class="lede">Paste these into the Twilio console for each of the account's numbers (Phone Numbers → Manage → Active numbers).</p>
    <label class="base">The calls worker's URL <input name="base" value=${base} onInput=${val(setBase)} /></label>
    <small class="hint">This console is served by the calls worker, so its own address is the one Twilio calls. Change it if Twilio reaches the worker through another host.</small>
    <${Loading} state=${f}>${() => html`
      <${Missing} account=${account} f=${f.data} />
      <section class="card">
        <h2>Every number</h2>
        <table class="urls"><tbody>
          <${Url} label="Voice: A call comes in" url=${`${b}/voice/incoming`} />
          <${Url} label="Voice: Primary handler fails" url=${`${b}/voice/fallback`} />
          <${Url} label="Voice: Call status changes" url=${`${b}/voice/status`} note="Call records: the inbound leg's own progress" />
          ${f.data.outbound ? html`<${Url} label="Messaging: A message comes in" url=${`${b}/sms/incoming`} note="A reply carrying a verification code approves it" />` : null}
        </tbody></table>
      </section>
      <section class="card">
        <h2>The account</h2>
        <table class="urls"><tbody>
          <${Url} label="Debugger webhook" url=${`${b}/twilio/debugger`} note="Monitor → Debugger → Webhook, with “include subaccounts”" />
          ${f.data.outbound ? html`<${Url} label="TwiML App voice URL (Client, SIP)" url=${`${b}/voice/outbound`} note="Calls from devices get the picked caller ID" />` : null}
        </tbody></table>
      </section>
      ${f.data.pools.map((p) => html`<section class="card">
        <h2>Proxy numbers of pool ${p.name} <${Badge}>${p.carrier}</${Badge}></h2>
        <p class="hint">${p.numbers.length ? html`${p.numbers.map((n, i) => html`${i ? ", " : ""}<${Num} n=${n.number} />`)}` : "No numbers yet."}</p>
        <table class="urls"><tbody>
          ${p.carrier === "messagebird"
            ? html`<${Url} label="Voice flow: fetch call flow" url=${`${b}/messagebird/voice`} method="GET" />
                <${Url} label="SMS flow: forward to URL" url=${`${b}/messagebird/sms`} />`
            : html`<${Url} label="Voice: A call comes in" url=${`${b}/voice/proxy`} />
                <${Url} label="Messaging: A message comes in" url=${`${b}/sms/proxy`} />
                <${Url} label="Voice: Primary handler fails" url=${`${b}/voice/fallback`} />
                <${Url} label="Voice: Call status changes" url=${`${b}/voice/status`} />`}
        </tbody></table>
      </section>`)}
    `}</${Loading}>
  </section>`;
}

function Missing({ account, f }) {
  const todo = [];
  if (!f.hasLines) todo.push(["no-lines", html`No lines yet: <a href=${href(account, "lines")}>set one up</a>.`]);
  if (!f.outbound) todo.push(["no-outbound", html`No outbound config: calls and verification codes through the API are refused. <a href=${href(account, "outbound")}>Set it up</a>.`]);
  if (!f.monitoring?.alerts?.webhook_url)
    todo.push(["no-alert-webhook", html`No alert webhook: health alerts are kept but not sent (<code>PUT …/monitoring</code> with <code>alerts.webhook_url</code>).`]);
  for (const p of f.pools)
    if (p.report.low)
      todo.push([`pool-low-${p.name}`, html`Pool <a href=${href(account, "masking", p.name)}>${p.name}</a> is under its low-water mark: ${p.report.idle} idle, ${p.report.low_water} wanted.`]);
  return html`<section class="card checklist">
    <h2>Still to do</h2>
    ${todo.length
      ? html`<ul>${todo.map(([id, text]) => html`<li data-missing=${id}>${text}</li>`)}</ul>`
      : html`<p class="status ok">Nothing: lines, outbound config, alert webhook, and every pool above its low-water mark.</p>`}
  </section>`;
}
