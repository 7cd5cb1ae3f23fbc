// A line's weekly hours: a grid of the week's hours to click, and each day's
// spans as text (`09:00-12:00, 13:00-17:30`) for the minutes a grid of hours
// cannot show. The text is what is sent: the API checks every span.
import { html, Field, val } from "../ui.js";
import { Prompt } from "./prompt.js";

export const DAYS = [
  ["mon", "Mon"], ["tue", "Tue"], ["wed", "Wed"], ["thu", "Thu"], ["fri", "Fri"], ["sat", "Sat"], ["sun", "Sun"],
];
export const HOURS_FIELDS = ["hours", "hours.time_zone", "hours.closed_greeting", ...DAYS.map(([d]) => `hours.open.${d}`)];

const pad = (n) => String(n).padStart(2, "0");
const clock = (m) => `${pad(Math.floor(m / 60))}:${pad(m % 60)}`;

/// `09:00-17:30` → [540, 1050]; null when it is not a span.
export function parseSpan(s) {
  const m = /^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$/.exec(s);
  if (!m) return null;
  const [a, b] = [Number(m[1]) * 60 + Number(m[2]), Number(m[3]) * 60 + Number(m[4])];
  return Number(m[2]) < 60 && Number(m[4]) < 60 && a < b && b <= 1440 ? [a, b] : null;
}

const spansOf = (text) => (Array.isArray(text) ? text : String(text || "").split(",")).map((s) => s.trim()).filter(Boolean);

/// The minutes a day's spans cover (1,440 of them), and back.
function minutes(spans) {
  const open = new Uint8Array(1440);
  for (const s of spans) {
    const p = parseSpan(s);
    if (p) open.fill(1, p[0], p[1]);
  }
  return open;
}

function toSpans(open) {
  const out = [];
  let start = null;
  for (let m = 0; m <= 1440; m++) {
    const on = m < 1440 && open[m];
    if (on && start === null) start = m;
    if (!on && start !== null) {
      out.push(`${clock(start)}-${clock(m)}`);
      start = null;
    }
  }
  return out;
}

/// One hour of a day: open (the whole hour), part (some minutes), or closed.
function hourState(open, h) {
  let n = 0;
  for (let m = h * 60; m < h * 60 + 60; m++) n += open[m];
  return n === 60 ? "open" : n ? "part" : "closed";
}

const zones = (() => {
  try {
    return Intl.supportedValuesOf("timeZone");
  } catch {
    return [];
  }
})();

export function Hours({ hours, onChange, error }) {
  const on = !!hours;
  const h = hours || { time_zone: Intl.DateTimeFormat().resolvedOptions().timeZone, open: {} };
  const setDay = (day, spans) => onChange({ ...h, open: { ...h.open, [day]: spans } });
  const toggle = (day, hour) => {
    const spans = spansOf(h.open[day]);
    // Text that is not a span stays where it was: the API names it.
    const bad = spans.filter((s) => !parseSpan(s));
    const open = minutes(spans);
    open.fill(hourState(open, hour) === "open" ? 0 : 1, hour * 60, hour * 60 + 60);
    setDay(day, [...toSpans(open), ...bad]);
  };
  return html`<fieldset class="hours">
    <legend>Hours</legend>
    <label class="check"><input type="checkbox" name="hours-on" checked=${on} onChange=${val((v) =>
      onChange(v ? { time_zone: h.time_zone, open: { mon: ["09:00-17:00"], tue: ["09:00-17:00"], wed: ["09:00-17:00"], thu: ["09:00-17:00"], fri: ["09:00-17:00"] } } : undefined))} />
      Open only at set hours (outside them, callers go to voicemail)</label>
    ${error("hours") ? html`<small class="field-error" role="alert">${error("hours")}</small>` : null}
    ${on ? html`
      <${Field} label="Time zone" name="hours.time_zone" error=${error("hours.time_zone")} hint="IANA name, e.g. America/New_York">
        <input name="time_zone" list="zones" value=${h.time_zone} onInput=${val((v) => onChange({ ...h, time_zone: v }))} />
        <datalist id="zones">${zones.map((z) => html`<option value=${z} />`)}</datalist>
      </${Field}>
      <div class="week" role="group" aria-label="Open hours of the week">
        <div class="week-head" aria-hidden="true"><span></span>${[0, 6, 12, 18].map((x) => html`<span style=${{ gridColumn: `${x + 2} / span 6` }}>${pad(x)}:00</span>`)}</div>
        ${DAYS.map(([day, label]) => {
          const spans = spansOf(h.open[day]);
          const open = minutes(spans);
          const err = error(`hours.open.${day}`);
          return html`<div class=${`day${err ? " has-error" : ""}`} data-field=${`hours.open.${day}`}>
            <span class="day-name">${label}</span>
            <div class="cells">
              ${Array.from({ length: 24 }, (_, hour) => {
                const st = hourState(open, hour);
                return html`<button type="button" class=${`cell ${st}`} aria-pressed=${st === "open"}
                  aria-label=${`${label} ${pad(hour)}:00 to ${pad(hour + 1)}:00: ${st}`} onClick=${() => toggle(day, hour)}></button>`;
              })}
            </div>
            <input class="spans" aria-label=${`${label} spans`} value=${spans.join(", ")} placeholder="closed"
              onChange=${val((v) => setDay(day, spansOf(v)))} />
            ${err ? html`<small class="field-error" role="alert">${err}</small>` : null}
          </div>`;
        })}
      </div>
      <${Prompt} label="Closed greeting" name="hours.closed_greeting" error=${error("hours.closed_greeting")}
        value=${h.closed_greeting || { say: "" }} onChange=${(p) => onChange({ ...h, closed_greeting: p })} />
    ` : null}
  </fieldset>`;
}
