// Voicemail: the account's messages, newest first, each with its player,
// the caller, the time in the line's zone, and how its notification went.
import { useEffect, useState } from "preact/hooks";
import { html, Num, Status, useAction, usePaged, Pager, Badge } from "../ui.js";
import { api, page, seg } from "../api.js";
import { when, seconds } from "../format.js";
import { lineConfig } from "../lines-cache.js";

export function Voicemail({ account }) {
  const list = usePaged((cursor) => page("/voicemails", "voicemails", { cursor }), [account]);
  return html`<section>
    <h1>Voicemail</h1>
    ${list.items.length === 0 && !list.loading && !list.error ? html`<p class="empty">No messages yet.</p>` : null}
    <ul class="messages">${list.items.map((m) => html`<${Message} key=${m.call_sid + m.via} m=${m} />`)}</ul>
    <${Pager} list=${list} />
  </section>`;
}

function Message({ m }) {
  const [line, setLine] = useState(undefined);
  useEffect(() => {
    let live = true;
    if (m.to && m.to.startsWith("+")) lineConfig(m.to).then((c) => live && setLine(c), () => live && setLine(null));
    else setLine(null);
    return () => (live = false);
  }, [m.to]);
  const zone = line?.hours?.time_zone || null;
  return html`<li class="card message" data-call=${m.call_sid}>
    <div class="message-head">
      <span class="from">${m.from ? html`<${Num} n=${m.from} />` : html`<span class="muted">withheld number</span>`}</span>
      <span class="muted">to</span> <${Num} n=${m.to} />
      ${m.via === "fallback" ? html`<${Badge}>taken by the fallback</${Badge}>` : null}
    </div>
    <div class="message-meta">
      <time datetime=${new Date(m.received_at_ms).toISOString()}>${when(m.received_at_ms, zone)}</time>
      <span>${seconds(m.duration_secs)}</span>
      <${Notice} m=${m} line=${line} />
    </div>
    <${Player} m=${m} />
  </li>`;
}

/// How the owner's notification went: sent, still pending (and why), or
/// not set up on the line.
function Notice({ m, line }) {
  const pending = m.pending || [];
  if (pending.length)
    return html`<span class="notice pending"><${Badge} kind="warn">notification pending</${Badge}> ${m.last_error ? html`<span class="last-error">${m.last_error}</span>` : pending.join(" and ")}</span>`;
  if (line === undefined) return null;
  const notify = line?.voicemail?.notify || {};
  const channels = [notify.sms_to ? "SMS" : null, notify.webhook_url ? "webhook" : null].filter(Boolean);
  if (m.via === "line" && channels.length)
    return html`<span class="notice sent"><${Badge} kind="ok">notification sent</${Badge}> ${channels.join(" and ")}</span>`;
  return html`<span class="notice none"><${Badge}>no notification set</${Badge}></span>`;
}

/// The recording, fetched with the bearer token through the API (Twilio's
/// media wants its own auth, which an <audio> element cannot send) and
/// played from memory. Fetched when asked for, not with the list.
function Player({ m }) {
  const [src, setSrc] = useState(null);
  const [state, run] = useAction();
  useEffect(() => () => src && URL.revokeObjectURL(src), [src]);
  const load = () =>
    run(async () => {
      const r = await api("GET", `/voicemails/${seg(m.call_sid)}/recording`, { raw: true, query: { via: m.via === "fallback" ? "fallback" : undefined } });
      setSrc(URL.createObjectURL(await r.blob()));
    });
  return html`<div class="player">
    ${src
      ? html`<audio controls autoplay src=${src} aria-label=${`Message from ${m.from || "a withheld number"}`}></audio>`
      : html`<button type="button" class="secondary play" onClick=${load} disabled=${state.busy}>▶ Play</button>`}
    <${Status} state=${state} working="Fetching the recording…" />
  </div>`;
}
