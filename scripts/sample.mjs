// Prints the local webhook URLs, a ready-to-paste curl that sends a
// correctly signed sample call (the token in .dev.vars), and the console's
// URL with what to sign in with.
import { readFileSync } from "node:fs";
import { sign, encode, callParams } from "./twilio.mjs";

const port = process.argv[2] ?? "8787";
const base = `http://127.0.0.1:${port}`;
const vars = Object.fromEntries(
  readFileSync(new URL("../.dev.vars", import.meta.url), "utf8")
    .split("\n").filter((l) => /^\w+=/.test(l)).map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]),
);
// An address-book caller of the demo line (kv-seed/demo.json): put through.
const path = "/voice/incoming";
const params = callParams({ From: "+14155550101", To: "+14155550199" });
const signature = sign(base + path, params, vars.TWILIO_AUTH_TOKEN);
console.log(`
Switchboard is starting on ${base}

Webhooks (set these on your numbers; the public URL replaces ${base}):
  Voice URL (a call comes in):       POST ${base}/voice/incoming
  Primary handler fails (fallback):  POST ${base}/voice/fallback
  (follow-ups the TwiML points at:   /voice/challenge, /voice/dialed, /voice/voicemail, /voice/voicemail/ready)
Management API (Bearer ADMIN_TOKEN from .dev.vars): ${base}/api/v1/...
Health: GET ${base}/health

Console: ${base}/console/
  Sign in with the root token (ADMIN_TOKEN in .dev.vars): ${vars.ADMIN_TOKEN}
  and open the demo account: AC00000000000000000000000000000001

A correctly signed sample call (token from .dev.vars):
  curl -sS -X POST '${base}${path}' \\
    -H 'X-Twilio-Signature: ${signature}' \\
    -H 'Content-Type: application/x-www-form-urlencoded' \\
    --data '${encode(params)}'
`);
