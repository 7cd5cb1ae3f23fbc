// Traffic health: each figure of the account and of each number that places
// calls, beside the line carriers judge it by; ASR, ACD and the short-call
// share day by day; and the alerts the scheduled watch raised.
import { useEffect, useRef, useState } from "preact/hooks";
import { html, Num, useLoad, usePaged, Pager, Loading, Badge, val } from "../ui.js";
import { get, page } from "../api.js";
import { when, percent } from "../format.js";

const FIGURES = {
  asr: ["Answer-seizure ratio", "share", "≥"],
  acd_secs: ["Average call duration", "secs", ">"],
  short_12_share: ["Calls of 12 s or less", "share", "≤"],
  short_6_share: ["Calls of 6 s or less", "share", ""],
  repeat_destination_share: ["Calls to the most-called number", "share", "≤"],
  attestation_a_share: ["Inbound fully attested (A)", "share", ""],
  queue_time_p50_ms: ["Queue time, median", "ms", ""],
  queue_time_p95_ms: ["Queue time, 95th percentile", "ms", ""],
};
const STATE_KIND = { healthy: "ok", watch: "warn", breach: "bad", quiet: "" };

function value(name, v) {
  const unit = FIGURES[name]?.[1];
  if (v === null || v === undefined) return "—";
  if (unit === "share") return percent(v);
  if (unit === "secs") return `${v.toFixed(1)} s`;
  if (unit === "ms") return `${Math.round(v)} ms`;
  return String(v);
}

export function Health({ account }) {
  const health = useLoad(() => get("/health"), [account]);
  return html`<section>
    <h1>Health</h1>
    <p class="lede">Carriers label or block numbers whose calls look unhealthy. These are the figures they judge by, against the lines of Twilio's voice guide for ISVs. Fewer than ${health.data?.thresholds?.min_sample ?? 20} calls in a window are not judged (quiet).</p>
    <${Loading} state=${health}>${() => html`
      ${health.data.windows.map((w) => html`<${Window} w=${w} />`)}
      <${Charts} numbers=${[...new Set(health.data.windows.flatMap((w) => w.numbers.map((n) => n.number)))]} thresholds=${health.data.thresholds} />
    `}</${Loading}>
    <${Alerts} account=${account} />
  </section>`;
}

function Window({ w }) {
  const scopes = [{ label: "The account", ...w.account }, ...w.numbers.map((n) => ({ ...n, label: null }))];
  return html`<section class="card window">
    <h2>Last ${w.window === "24h" ? "24 hours" : w.window === "7d" ? "7 days" : w.window}</h2>
    <div class="scopes">
      ${scopes.map((s) => html`<div class="scope" data-scope=${s.number || "account"}>
        <h3>${s.label || html`<${Num} n=${s.number} />`} <${Badge} kind=${STATE_KIND[s.state]}>${s.state}</${Badge}> <span class="muted">${s.calls} calls</span></h3>
        <table class="figures-table">
          <thead><tr><th>Figure</th><th>Value</th><th>Twilio's line</th><th>State</th></tr></thead>
          <tbody>${s.figures.map((f) => html`<tr data-figure=${f.name}>
            <td>${FIGURES[f.name]?.[0] || f.name}</td>
            <td class="value">${value(f.name, f.value)}</td>
            <td class="line" title=${f.source}>${f.threshold === null || f.threshold === undefined ? html`<span class="muted">none</span>` : `${FIGURES[f.name]?.[2] || ""} ${value(f.name, f.threshold)}`}</td>
            <td><${Badge} kind=${STATE_KIND[f.state]}>${f.state}</${Badge}></td>
          </tr>`)}</tbody>
        </table>
      </div>`)}
    </div>
  </section>`;
}

/// ASR, ACD and the short-call share day by day, from `…/health/days`,
/// with the line each is judged by (uPlot, loaded with this view only).
function Charts({ numbers, thresholds }) {
  const [number, setNumber] = useState("");
  const days = useLoad(() => get("/health/days", { days: 14, number: number || undefined }), [number]);
  return html`<section class="card charts">
    <h2>The last 14 days</h2>
    <label>Calls placed by <select name="chart-number" value=${number} onChange=${val(setNumber)}>
      <option value="">the whole account</option>
      ${numbers.map((n) => html`<option value=${n}>${n}</option>`)}
    </select></label>
    <${Loading} state=${days}>${() => {
      const d = days.data.days || [];
      if (!d.some((x) => x.calls)) return html`<p class="empty">No calls placed in these days.</p>`;
      return html`<div class="chart-grid">
        <${Chart} title="Answer-seizure ratio" days=${d} pick=${(x) => (x.asr === null ? null : x.asr * 100)} line=${thresholds.asr_min * 100} unit="%" />
        <${Chart} title="Average call duration" days=${d} pick=${(x) => x.acd_secs} line=${thresholds.acd_min_secs} unit=" s" />
        <${Chart} title="Calls of 12 s or less" days=${d} pick=${(x) => { const s = x.short_12_share ?? x.short_share; return s === null || s === undefined ? null : s * 100; }} line=${thresholds.short_12_max * 100} unit="%" />
      </div>`;
    }}</${Loading}>
  </section>`;
}

function Chart({ title, days, pick, line, unit }) {
  const box = useRef(null);
  useEffect(() => {
    let plot = null;
    let live = true;
    import("uplot").then(({ default: uPlot }) => {
      if (!live || !box.current) return;
      const xs = days.map((d) => Date.parse(`${d.day}T00:00:00Z`) / 1000);
      const ys = days.map(pick);
      const width = Math.max(240, Math.min(520, box.current.clientWidth || 320));
      plot = new uPlot(
        {
          width, height: 160,
          tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), "Etc/UTC"),
          legend: { show: false },
          scales: { x: { time: true } },
          axes: [{}, { values: (u, vals) => vals.map((v) => `${v}${unit}`) }],
          series: [
            {},
            { label: title, stroke: "#2563eb", width: 2, points: { show: true, size: 5 }, spanGaps: false },
            { label: "Twilio's line", stroke: "#dc2626", width: 1, dash: [4, 4], points: { show: false } },
          ],
        },
        [xs, ys, xs.map(() => line)],
        box.current,
      );
    });
    return () => {
      live = false;
      plot && plot.destroy();
    };
  }, [days]);
  return html`<figure class="chart"><figcaption>${title} <span class="muted">(dashed: the line, ${line}${unit})</span></figcaption><div ref=${box} class="plot"></div></figure>`;
}

const ALERTS = {
  breach_started: (a) => `${a.scope === "account" ? "The account" : a.scope} is in breach over ${a.window}: ${a.figures.join(", ")}`,
  breach_cleared: (a) => `${a.scope === "account" ? "The account" : a.scope} is healthy again over ${a.window}`,
  new_error_code: (a) => `A new Twilio error code: ${a.code} (${a.count} times)`,
  pool_low: (a) => `Pool ${a.pool} is under its low-water mark: ${a.idle} idle, ${a.low_water} wanted`,
  pool_recovered: (a) => `Pool ${a.pool} is back above its low-water mark (${a.idle} idle)`,
};

function Alerts({ account }) {
  const list = usePaged((cursor) => page("/alerts", "alerts", { cursor }), [account]);
  return html`<section class="card alerts">
    <h2>Alerts</h2>
    ${list.items.length === 0 && !list.loading && !list.error ? html`<p class="empty">No alerts.</p>` : null}
    <ul class="rows">${list.items.map((a) => html`<li data-alert=${a.alert.kind}>
      <time>${when(a.at_ms)}</time> ${(ALERTS[a.alert.kind] || ((x) => x.kind))(a.alert)}
      ${a.delivered_ms ? html`<${Badge} kind="ok">delivered</${Badge}>` : html`<${Badge} kind="warn">not delivered</${Badge}>`}
    </li>`)}</ul>
    <${Pager} list=${list} />
  </section>`;
}
