// Signing in: an account token names its account; the root token needs the
// account to open (there is no route that lists accounts). The token is
// tried against the API before it is kept (`GET …/access`, which also says
// whether it may write), so a wrong one is refused here.
import { useState } from "preact/hooks";
import { html, Field, Status, useAction, val } from "../ui.js";
import { ApiError, isAccountSid, saveSession, session, tokenAccount } from "../api.js";
import { go } from "../nav.js";

async function tryToken(token, account) {
  let r;
  try {
    r = await fetch(`/api/v1/accounts/${encodeURIComponent(account)}/access`, {
      headers: { Authorization: `Bearer ${token}` },
      cache: "no-store",
      credentials: "omit",
    });
  } catch (e) {
    throw new ApiError(0, { error: `Could not reach the API: ${e.message}` });
  }
  if (r.ok) return r.json();
  let body = null;
  try {
    body = await r.json();
  } catch {
    body = null;
  }
  if (r.status === 404 && body && body.code === "no_route")
    throw new ApiError(404, { error: `This token cannot open account ${account}.`, code: "wrong_account" });
  throw new ApiError(r.status, body);
}

export function SignIn({ notice, onSignedIn }) {
  const [token, setToken] = useState("");
  const [account, setAccount] = useState("");
  const [state, run] = useAction();
  const own = tokenAccount(token.trim());
  const submit = (e) => {
    e.preventDefault();
    const t = token.trim();
    const acct = own || account.trim();
    run(async () => {
      if (!t) throw new ApiError(0, { error: "Paste an API token.", field: "token" });
      if (!isAccountSid(acct))
        throw new ApiError(0, { error: "The root token needs an account to open: AC followed by 32 hex digits.", field: "account" });
      const access = await tryToken(t, acct);
      saveSession(t, acct, access.writes !== false);
      onSignedIn(session(), acct);
    });
  };
  const err = state.error;
  return html`<main class="signin">
    <h1>Switchboard console</h1>
    <p class="lede">Sign in with an API token. It is kept in this tab only, and forgotten when the tab closes.</p>
    ${notice ? html`<p class="status error" role="alert">${notice}</p>` : null}
    <form onSubmit=${submit} class="card">
      <${Field} label="API token" name="token" error=${err && err.field === "token" ? err.message : null}
        hint="An account token (sbt_AC…) or the deployment's root token.">
        <input type="password" autocomplete="off" spellcheck="false" name="token" value=${token} onInput=${val(setToken)} />
      </${Field}>
      ${own
        ? html`<p class="hint">Account <code>${own}</code>, from the token.</p>`
        : html`<${Field} label="Account (AccountSid)" name="account" error=${err && err.field === "account" ? err.message : null}
            hint="With the root token: the account to open.">
            <input name="account" autocomplete="off" spellcheck="false" placeholder="AC…" value=${account} onInput=${val(setAccount)} />
          </${Field}>`}
      <button type="submit" disabled=${state.busy}>Sign in</button>
      <${Status} state=${state} working="Checking the token…" fieldErrors=${false} />
    </form>
  </main>`;
}

/// Another account, with the root token (an account token opens only its own).
export function AccountPicker() {
  const [account, setAccount] = useState("");
  const [state, run] = useAction();
  const s = session();
  const submit = (e) => {
    e.preventDefault();
    const acct = account.trim();
    run(async () => {
      if (!isAccountSid(acct)) throw new ApiError(0, { error: "AC followed by 32 hex digits.", field: "account" });
      await tryToken(s.token, acct);
      go(acct, "lines");
    });
  };
  return html`<form class="picker" onSubmit=${submit}>
    <input name="open-account" aria-label="Open another account (root token)" autocomplete="off" spellcheck="false" placeholder="Open account AC…" value=${account} onInput=${val(setAccount)} />
    <button type="submit" class="secondary small" disabled=${state.busy}>Open</button>
    ${state.error ? html`<small class="field-error" role="alert">${state.error.message}</small>` : null}
  </form>`;
}
