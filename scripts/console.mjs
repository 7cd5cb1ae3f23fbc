// Builds the console (admin/console/) into the admin worker's static assets
// (admin/build/assets/, `[assets]` in admin/wrangler.toml): one page under
// /console/, its script and style bundled by esbuild, and `_headers`, which
// gives every console file its Content-Security-Policy. Run by
// scripts/build.sh (admin), so by wrangler's build command, dev.sh and test.sh.
// `node scripts/console.mjs` builds it alone, in about a second.
import { build } from "esbuild";
import { mkdirSync, rmSync, copyFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
export const ASSETS = join(ROOT, "admin", "build", "assets");
const SOURCE = join(ROOT, "admin", "console");

// Everything the page loads comes from its own origin: no inline script or
// style element, no third party. Media may be a blob: the page fetches a
// recording with its bearer token and plays what it got (README, Console).
export const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "media-src 'self' blob:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join("; ");

// The rules Workers Static Assets read from `_headers` (Miniflare too).
const HEADERS = `/console/*
  Content-Security-Policy: ${CSP}
  X-Content-Type-Options: nosniff
  Referrer-Policy: no-referrer
  X-Frame-Options: DENY
  Cross-Origin-Opener-Policy: same-origin
  Cache-Control: no-cache
`;

export async function buildConsole({ outdir = ASSETS } = {}) {
  rmSync(outdir, { recursive: true, force: true });
  const out = join(outdir, "console");
  mkdirSync(out, { recursive: true });
  const result = await build({
    entryPoints: { app: join(SOURCE, "main.js") },
    bundle: true,
    format: "esm",
    // The phone-number metadata and the chart library are chunks of their
    // own, loaded when a page needs them: the first page waits for neither.
    splitting: true,
    chunkNames: "chunks/[name]-[hash]",
    minify: true,
    target: ["es2020"],
    outdir: out,
    metafile: true,
    logLevel: "warning",
  });
  copyFileSync(join(SOURCE, "index.html"), join(out, "index.html"));
  writeFileSync(join(outdir, "_headers"), HEADERS);
  return result.metafile;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await buildConsole();
}
