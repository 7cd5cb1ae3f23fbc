// The pieces every page is made of: numbers, fields that carry the API's
// error for them, actions that show progress then the outcome in words,
// lists that page, and a copy button.
import { h } from "preact";
import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import htm from "htm";
import { national, usePhone } from "./format.js";

export const html = htm.bind(h);

/// A number as people read it, beside its E.164 form. Anything that is not
/// a number (`anonymous`, `client:alice`) shows as it is.
export function Num({ n }) {
  usePhone();
  if (!n) return html`<span class="muted">—</span>`;
  const nat = national(n);
  if (!nat) return html`<span class="num"><span class="e164">${n}</span></span>`;
  return html`<span class="num" title=${n}><span class="nat">${nat}</span> <span class="e164">${n}</span></span>`;
}

/// Runs an action and remembers how it went: `busy` while it runs, then
/// `ok` (a sentence) or `error` (an ApiError, in words).
export function useAction() {
  const [state, setState] = useState({ busy: false, ok: null, error: null });
  const alive = useRef(true);
  useEffect(() => () => (alive.current = false), []);
  const run = useCallback(async (fn, ok) => {
    setState({ busy: true, ok: null, error: null });
    try {
      const out = await fn();
      if (alive.current) setState({ busy: false, ok: typeof ok === "function" ? ok(out) : ok || null, error: null });
      return out;
    } catch (error) {
      if (alive.current) setState({ busy: false, ok: null, error });
      return undefined;
    }
  }, []);
  const clear = useCallback(() => setState({ busy: false, ok: null, error: null }), []);
  return [state, run, clear];
}

/// What an action is doing or did, for people and for screen readers. A
/// form that shows an error under the field it names passes
/// `fieldErrors={false}`, so that one is not said twice.
export function Status({ state, working = "Working…", fieldErrors = true }) {
  if (state.busy) return html`<p class="status busy" role="status"><span class="spinner"></span>${working}</p>`;
  if (state.error && (fieldErrors || !state.error.field))
    return html`<p class="status error" role="alert">${state.error.message}</p>`;
  if (state.ok) return html`<p class="status ok" role="status">${state.ok}</p>`;
  return null;
}

/// Of the fields a form shows, the one an error names (or the nearest
/// field above it: `owner.targets[0].client` belongs to `owner.targets[0]`).
export function bestField(field, names) {
  if (!field) return null;
  let best = null;
  for (const n of names) {
    const under = field === n || field.startsWith(n + ".") || field.startsWith(n + "[");
    if (under && (!best || n.length > best.length)) best = n;
  }
  return best;
}

/// A labelled input whose API error shows right under it.
export function Field({ label, name, error, hint, children, wide }) {
  return html`<div class=${`field${error ? " has-error" : ""}${wide ? " wide" : ""}`} data-field=${name}>
    <label>${label}${children}</label>
    ${hint && !error ? html`<small class="hint">${hint}</small>` : null}
    ${error ? html`<small class="field-error" role="alert">${error}</small>` : null}
  </div>`;
}

/// Loads something when the page opens (and when `deps` change).
export function useLoad(fn, deps) {
  const [state, setState] = useState({ loading: true, data: null, error: null });
  const [n, setN] = useState(0);
  useEffect(() => {
    let live = true;
    setState((s) => ({ ...s, loading: true, error: null }));
    fn().then(
      (data) => live && setState({ loading: false, data, error: null }),
      (error) => live && setState({ loading: false, data: null, error }),
    );
    return () => (live = false);
  }, [...deps, n]);
  return { ...state, reload: () => setN((x) => x + 1) };
}

export function Loading({ state, children }) {
  if (state.loading && !state.data) return html`<p class="status busy" role="status"><span class="spinner"></span>Loading…</p>`;
  if (state.error) return html`<p class="status error" role="alert">${state.error.message}</p>`;
  return children();
}

/// A list that pages: the first page on open, "More" while the API says
/// there is a next one (`next_cursor`; none means no more).
export function usePaged(load, deps) {
  const [state, setState] = useState({ items: [], next: null, loading: true, error: null });
  const [n, setN] = useState(0);
  useEffect(() => {
    let live = true;
    setState({ items: [], next: null, loading: true, error: null });
    load(null).then(
      ({ items, next }) => live && setState({ items, next, loading: false, error: null }),
      (error) => live && setState({ items: [], next: null, loading: false, error }),
    );
    return () => (live = false);
  }, [...deps, n]);
  const more = async () => {
    setState((s) => ({ ...s, loading: true }));
    try {
      const { items, next } = await load(state.next);
      setState((s) => ({ items: [...s.items, ...items], next, loading: false, error: null }));
    } catch (error) {
      setState((s) => ({ ...s, loading: false, error }));
    }
  };
  return { ...state, more, reload: () => setN((x) => x + 1) };
}

export function Pager({ list }) {
  if (list.error) return html`<p class="status error" role="alert">${list.error.message}</p>`;
  if (list.loading) return html`<p class="status busy" role="status"><span class="spinner"></span>Loading…</p>`;
  if (!list.next) return null;
  return html`<p><button type="button" class="secondary" onClick=${list.more}>More</button></p>`;
}

/// Copies `text`, and says that it did.
export function Copy({ text, label = "Copy" }) {
  const [done, setDone] = useState(null);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(text);
      setDone("Copied");
    } catch {
      setDone("Copy failed: select the text and copy it by hand");
    }
    setTimeout(() => setDone(null), 2500);
  };
  return html`<button type="button" class="secondary copy" onClick=${copy} aria-label=${`${label}: ${text}`}>${done || label}</button>`;
}

export function Badge({ kind, children }) {
  return html`<span class=${`badge ${kind || ""}`}>${children}</span>`;
}

/// The value of an input event, for `onInput` handlers.
export const val = (f) => (e) => f(e.currentTarget.type === "checkbox" ? e.currentTarget.checked : e.currentTarget.value);
