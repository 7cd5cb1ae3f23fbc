// The account's lines, a new one, and the callers blocked on every line.
import { useState } from "preact/hooks";
import { html, Num, Field, Status, useAction, usePaged, Pager, val } from "../ui.js";
import { api, page, seg, ApiError, canWrite } from "../api.js";
import { go, href } from "../nav.js";

export function Lines({ account }) {
  const lines = usePaged((cursor) => page("/lines", "lines", { cursor }), [account]);
  const [number, setNumber] = useState("");
  const [state, run] = useAction();
  const create = (e) => {
    e.preventDefault();
    const n = number.trim().replace(/[\s().-]/g, "");
    run(async () => {
      if (!/^\+[1-9]\d{6,14}$/.test(n))
        throw new ApiError(0, { error: "A line is a number in E.164: + then the country code and number, e.g. +14155550199.", field: "number" });
      go(account, "lines", n);
    });
  };
  return html`<section>
    <h1>Lines</h1>
    <p class="lede">A line is one of the account's numbers: its owner, its hours, its lists.</p>
    ${lines.items.length === 0 && !lines.loading && !lines.error
      ? html`<p class="empty">No lines yet: create the first below.</p>`
      : html`<ul class="rows lines">
          ${lines.items.map((n) => html`<li><a href=${href(account, "lines", n)}><${Num} n=${n} /></a></li>`)}
        </ul>`}
    <${Pager} list=${lines} />
    ${canWrite() ? html`<form class="card inline" onSubmit=${create}>
      <h2>New line</h2>
      <${Field} label="Number (E.164)" name="number" error=${state.error ? state.error.message : null}>
        <input name="new-line" inputmode="tel" placeholder="+14155550199" value=${number} onInput=${val(setNumber)} />
      </${Field}>
      <button type="submit">Set it up</button>
    </form>` : null}
    <${AccountBlocked} account=${account} />
  </section>`;
}

/// `…/blocked`: callers turned away on every line of the account.
function AccountBlocked({ account }) {
  const list = usePaged((cursor) => page("/blocked", "blocked", { cursor }), [account]);
  const [number, setNumber] = useState("");
  const [state, run] = useAction();
  const add = (e) => {
    e.preventDefault();
    run(async () => {
      await api("PUT", `/blocked/${seg(number.trim())}`);
      setNumber("");
      list.reload();
    }, "Blocked on every line.");
  };
  const remove = (n) =>
    run(async () => {
      await api("DELETE", `/blocked/${seg(n)}`);
      list.reload();
    }, `${n} is no longer blocked account-wide.`);
  return html`<section class="card">
    <h2>Blocked on every line</h2>
    ${list.items.length === 0 && !list.loading ? html`<p class="empty">Nobody is blocked account-wide.</p>` : null}
    <ul class="rows">
      ${list.items.map((n) => html`<li><${Num} n=${n} />${canWrite() ? html` <button type="button" class="secondary small" onClick=${() => remove(n)}>Unblock</button>` : null}</li>`)}
    </ul>
    <${Pager} list=${list} />
    ${canWrite() ? html`<form class="inline" onSubmit=${add}>
      <${Field} label="Caller" name="blocked">
        <input name="account-block" inputmode="tel" placeholder="+14155550166" value=${number} onInput=${val(setNumber)} />
      </${Field}>
      <button type="submit" disabled=${state.busy}>Block everywhere</button>
    </form>` : null}
    <${Status} state=${state} />
  </section>`;
}
