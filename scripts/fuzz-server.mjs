// Runs both built workers in workerd for scripts/fuzz-api.sh, as the e2e
// tests do (tests/e2e/lib/harness.mjs), with a local recorder standing in
// for Twilio's REST API (nothing leaves the machine), and mints an account
// token through the API. Writes {url, token, account} as JSON to the file
// named by its argument, then runs until its standard input closes.
import { startWorker, SECRETS } from "../tests/e2e/lib/harness.mjs";
import { startRecorder } from "../tests/e2e/lib/recorder.mjs";
import { writeFileSync } from "node:fs";

const ACCOUNT = "AC00000000000000000000000000000001";
const recorder = await startRecorder();
const w = await startWorker({ vars: { TWILIO_API_BASE: recorder.url, TWILIO_STUDIO_BASE: recorder.url } });
const r = await fetch(`${w.url}/api/v1/accounts/${ACCOUNT}/tokens`, {
  method: "POST",
  headers: { Authorization: `Bearer ${SECRETS.ADMIN_TOKEN}`, "Content-Type": "application/json" },
  body: JSON.stringify({ scope: "write", label: "fuzz" }),
});
if (r.status !== 201) throw new Error(`token: ${r.status} ${await r.text()}`);
const { token } = await r.json();
writeFileSync(process.argv[2], JSON.stringify({ url: w.url, token, account: ACCOUNT }));

let stopping = false;
async function stop() {
  if (stopping) return;
  stopping = true;
  const fives = w.logs.filter((l) => l.includes('"status":5'));
  console.error(`fuzz-server: ${recorder.requests.length} requests reached the carrier stand-in; ${fives.length} API answers were 5xx`);
  await w.stop();
  await recorder.stop();
  process.exit(0);
}
process.stdin.on("end", stop);
process.stdin.resume();
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
