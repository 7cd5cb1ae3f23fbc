// The console: one page, its views chosen by the address's hash
// (`#/<AccountSid>/<view>/…`). The account in the hash is the one every
// request names; the API alone decides whether the token reaches it.
import "uplot/dist/uPlot.min.css";
import "./style.css";
import { render } from "preact";
import { useEffect, useState } from "preact/hooks";
import { html } from "./ui.js";
import { session, setAccount, signOut, isAccountSid, tokenAccount, canWrite } from "./api.js";
import { go } from "./nav.js";
import { SignIn, AccountPicker } from "./pages/signin.js";
import { Lines } from "./pages/lines.js";
import { Line } from "./pages/line.js";
import { TryCall } from "./pages/try.js";
import { Voicemail } from "./pages/voicemail.js";
import { Masking, Pool } from "./pages/masking.js";
import { Outbound } from "./pages/outbound.js";
import { Calls, Call } from "./pages/calls.js";
import { Health } from "./pages/health.js";
import { Setup } from "./pages/setup.js";

const VIEWS = [
  ["lines", "Lines"],
  ["try", "Try a call"],
  ["voicemail", "Voicemail"],
  ["masking", "Masking"],
  ["outbound", "Outbound"],
  ["calls", "Calls"],
  ["health", "Health"],
  ["setup", "Setup"],
];

function parseHash() {
  const parts = location.hash.replace(/^#\/?/, "").split("/").map((p) => {
    try {
      return decodeURIComponent(p);
    } catch {
      return p;
    }
  });
  const [account, view, ...rest] = parts;
  return { account: account || null, view: view || "lines", rest };
}


function useRoute() {
  const [route, setRoute] = useState(parseHash);
  useEffect(() => {
    const on = () => setRoute(parseHash());
    window.addEventListener("hashchange", on);
    return () => window.removeEventListener("hashchange", on);
  }, []);
  return route;
}

function App() {
  const [s, setS] = useState(session);
  const [notice, setNotice] = useState(null);
  const route = useRoute();
  useEffect(() => {
    const out = () => setS(null);
    const refused = (e) => {
      setNotice(`${e.detail} Sign in again.`);
      signOut();
    };
    window.addEventListener("signed-out", out);
    window.addEventListener("token-refused", refused);
    return () => {
      window.removeEventListener("signed-out", out);
      window.removeEventListener("token-refused", refused);
    };
  }, []);

  if (!s) {
    return html`<${SignIn} notice=${notice} onSignedIn=${(next, account) => {
      setNotice(null);
      setS(next);
      go(account, "lines");
    }} />`;
  }
  // A signed-in person with no account in the address goes to their own
  // (an account token's; the root token's was chosen at sign-in).
  if (!route.account || !isAccountSid(route.account)) {
    if (s.home) {
      setTimeout(() => go(s.home, "lines"));
      return null;
    }
    return html`<${AccountPicker} />`;
  }
  const account = route.account;
  setAccount(account);
  return html`<div class="shell">
    <header class="top">
      <a class="brand" href=${`#/${account}/lines`}>Switchboard</a>
      <span class="account" title="The account every request on this page names">${account}</span>
      ${canWrite() ? null : html`<span class="badge read-only" title="This token may look, not change: the pages offer no changes">Read-only</span>`}
      ${tokenAccount(s.token) ? null : html`<${AccountPicker} />`}
      <button type="button" class="link" onClick=${signOut}>Sign out</button>
    </header>
    <nav class="views" aria-label="Views">
      ${VIEWS.map(([v, label]) => html`<a href=${`#/${account}/${v}`} class=${route.view === v ? "active" : ""} aria-current=${route.view === v ? "page" : undefined}>${label}</a>`)}
    </nav>
    <main key=${`${account}/${route.view}/${route.rest.join("/")}`}>${view(account, route)}</main>
  </div>`;
}

function view(account, { view, rest }) {
  switch (view) {
    case "lines":
      return rest[0] ? html`<${Line} account=${account} number=${rest[0]} />` : html`<${Lines} account=${account} />`;
    case "try":
      return html`<${TryCall} account=${account} />`;
    case "voicemail":
      return html`<${Voicemail} account=${account} />`;
    case "masking":
      return rest[0] ? html`<${Pool} account=${account} pool=${rest[0]} />` : html`<${Masking} account=${account} />`;
    case "outbound":
      return html`<${Outbound} account=${account} />`;
    case "calls":
      return rest[0] ? html`<${Call} account=${account} sid=${rest[0]} />` : html`<${Calls} account=${account} />`;
    case "health":
      return html`<${Health} account=${account} />`;
    case "setup":
      return html`<${Setup} account=${account} />`;
    default:
      return html`<p class="status error" role="alert">No such view: ${view}</p>`;
  }
}

const root = document.getElementById("app");
root.textContent = "";
render(html`<${App} />`, root);
