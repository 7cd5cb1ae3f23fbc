// Debian's Chromium (scripts/setup.sh installs it), headless, driven by
// playwright-core: no browser is downloaded. Playwright gives each launch a
// fresh profile directory (--user-data-dir) of its own.
import { chromium } from "playwright-core";
import { existsSync } from "node:fs";

export const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";

// The flags that work on a machine without a GPU, a sandbox or the network.
export const FLAGS = [
  "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync",
];

export function launch() {
  if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: run scripts/setup.sh (apt-get install -y chromium), or set CHROMIUM`);
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: FLAGS });
}

/// What went wrong on the page that a person would not see: script errors,
/// and anything the Content-Security-Policy refused. A 4xx the API answered
/// on purpose is the console's to show, not a problem, so failed requests
/// are left out.
export function watch(page) {
  const problems = [];
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  page.on("console", (m) => {
    if (m.type() !== "error") return;
    const text = m.text();
    if (/^Failed to load resource: the server responded with a status of 4\d\d/.test(text)) return;
    problems.push(`console: ${text}`);
  });
  return problems;
}
