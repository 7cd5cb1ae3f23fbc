// The console's one way to the management API: the public /api/v1 routes,
// with the bearer token the person signed in with, exactly as any client
// calls them. The token is kept in sessionStorage only (gone when the tab
// closes), never in a URL or a cookie.

const KEY = "switchboard.console";
const ACCOUNT_SID = /^AC[0-9a-fA-F]{32}$/;

export const isAccountSid = (s) => ACCOUNT_SID.test(s);

/// The account an account token belongs to: it is written in the token
/// (`sbt_<AccountSid>_<id>_<secret>`). The root token names none.
export function tokenAccount(token) {
  const m = /^sbt_(AC[0-9a-fA-F]{32})_[0-9a-f]{16}_/.exec(token);
  return m ? m[1] : null;
}

export function session() {
  try {
    const s = JSON.parse(sessionStorage.getItem(KEY) || "null");
    return s && typeof s.token === "string" ? s : null;
  } catch {
    return null;
  }
}

/// `writes`: what `GET …/access` said of the token (false for a read-only
/// one), so the pages offer only what the API would accept.
export function saveSession(token, home, writes = true) {
  sessionStorage.setItem(KEY, JSON.stringify({ token, home, writes }));
}

/// Whether the signed-in token may change anything. The API decides either
/// way; this only keeps the pages from offering what it would refuse.
export const canWrite = () => session()?.writes !== false;

export function signOut() {
  sessionStorage.removeItem(KEY);
  window.dispatchEvent(new Event("signed-out"));
}

/// An answer other than 2xx, in words: the API's own message when it gave
/// one, and the field it names, so a form can show it where it belongs.
export class ApiError extends Error {
  constructor(status, body) {
    super(describe(status, body));
    this.status = status;
    this.body = body || {};
    this.code = this.body.code || null;
    this.field = this.body.field || null;
  }
}

function describe(status, body) {
  const code = body && body.code;
  if (status === 401) return "The token was refused: it is wrong, or it was revoked.";
  if (code === "no_route")
    return "Not found: this token reaches nothing here (another account's pages answer exactly like pages that do not exist).";
  if (code === "read_only_token") return "This token may only read: changing anything needs a write token.";
  if (code === "api_off") return "The management API is off on this deployment (ADMIN_TOKEN is not set).";
  if (body && typeof body.error === "string") {
    if (code === "refused_by_guard" && body.party) return `Party ${body.party}: ${body.error}`;
    return body.error;
  }
  return `The API answered ${status}.`;
}

let account = null;

/// The account every request is for: the one the page's address names.
export function setAccount(a) {
  account = a;
}

export function currentAccount() {
  return account;
}

/// One API request for the current account. `path` is below
/// /api/v1/accounts/{AccountSid}; `body` is sent as JSON unless it is a
/// string (a vCard file). Resolves to the parsed answer, or throws ApiError.
export async function api(method, path, { body, query, type, raw } = {}) {
  const s = session();
  if (!s) throw new ApiError(401, {});
  const url = new URL(`/api/v1/accounts/${encodeURIComponent(account)}${path}`, location.origin);
  for (const [k, v] of Object.entries(query || {})) {
    if (v !== undefined && v !== null && v !== "") url.searchParams.set(k, v);
  }
  const headers = { Authorization: `Bearer ${s.token}` };
  let payload;
  if (body !== undefined) {
    headers["Content-Type"] = type || (typeof body === "string" ? "text/plain" : "application/json");
    payload = typeof body === "string" ? body : JSON.stringify(body);
  }
  let r;
  try {
    r = await fetch(url, { method, headers, body: payload, cache: "no-store", credentials: "omit" });
  } catch (e) {
    throw new ApiError(0, { error: `Could not reach the API: ${e.message}` });
  }
  if (raw && r.ok) return r;
  let data = null;
  try {
    data = await r.json();
  } catch {
    data = null;
  }
  if (!r.ok) {
    const err = new ApiError(r.status, data);
    if (r.status === 401) window.dispatchEvent(new CustomEvent("token-refused", { detail: err.message }));
    throw err;
  }
  return data;
}

export const get = (path, query) => api("GET", path, { query });

/// One page of a list: `{items, next}`. Lists answer `next_cursor` (pass it
/// back as `cursor`); a list that answers none has no more.
export async function page(path, key, { limit = 50, cursor, query } = {}) {
  const data = await api("GET", path, { query: { ...query, limit, cursor } });
  return { items: (data && data[key]) || [], next: (data && data.next_cursor) || null, data };
}

/// Numbers in paths are E.164; `+` must travel escaped.
export const seg = (s) => encodeURIComponent(s);
