// Numbers and times as people read them. A number shows in its national
// format beside its E.164 form (libphonenumber-js with its smallest
// metadata, loaded as a chunk of its own after the page: until it arrives,
// and for anything it cannot read, only E.164 shows). Times show in the
// line's time zone when it has one, else the browser's.
import { useEffect, useState } from "preact/hooks";

let phone = null;
const waiting = new Set();
import("./phone.js").then((m) => {
  phone = m;
  for (const f of waiting) f();
  waiting.clear();
});

/// Re-renders the caller once the phone metadata has arrived.
export function usePhone() {
  const [, tick] = useState(0);
  const drawnWith = phone;
  useEffect(() => {
    const f = () => tick((n) => n + 1);
    // It may have arrived between this render and this effect.
    if (phone) {
      if (!drawnWith) f();
      return;
    }
    waiting.add(f);
    return () => waiting.delete(f);
  }, []);
  return phone;
}

/// `(415) 555-0199` for `+14155550199`; null when unknown or not a number.
export function national(e164) {
  if (!phone || typeof e164 !== "string" || !e164.startsWith("+")) return null;
  try {
    const n = phone.parsePhoneNumberFromString(e164);
    return n && n.isPossible() ? n.formatNational() : null;
  } catch {
    return null;
  }
}

const formats = new Map();
function formatter(zone) {
  const key = zone || "";
  if (!formats.has(key)) {
    let f;
    try {
      f = new Intl.DateTimeFormat(undefined, {
        year: "numeric", month: "short", day: "numeric",
        hour: "2-digit", minute: "2-digit", second: "2-digit",
        timeZoneName: "short", timeZone: zone || undefined,
      });
    } catch {
      // A zone the browser does not know: its own zone, said so by the name.
      f = formatter(null);
    }
    formats.set(key, f);
  }
  return formats.get(key);
}

/// A moment in `zone` (IANA), or in the browser's zone.
export function when(ms, zone) {
  if (ms === null || ms === undefined) return "—";
  return formatter(zone).format(new Date(ms));
}

export function seconds(s) {
  if (s === null || s === undefined) return "—";
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  return `${m} min ${String(s % 60).padStart(2, "0")} s`;
}

export const percent = (x, digits = 1) => (x === null || x === undefined ? "—" : `${(x * 100).toFixed(digits)}%`);
