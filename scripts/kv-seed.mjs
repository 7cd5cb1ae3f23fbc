// Reads kv-seed/*.json (each an object of key -> value) into KV entries.
// Values that are not strings are stored as JSON. Used by the run command
// (through `wrangler kv bulk put`) and by the end-to-end tests.
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";

export const SEED_DIR = join(dirname(fileURLToPath(import.meta.url)), "..", "kv-seed");

export function seedEntries(dir = SEED_DIR) {
  const entries = [];
  for (const file of readdirSync(dir).filter((f) => f.endsWith(".json")).sort()) {
    const doc = JSON.parse(readFileSync(join(dir, file), "utf8"));
    for (const [key, value] of Object.entries(doc)) {
      if (key.startsWith("//")) continue; // comments
      const entry = { key, value: typeof value === "string" ? value : JSON.stringify(value) };
      // List entries carry themselves as metadata, as the management API writes them.
      if (key.startsWith("entry:")) entry.metadata = value;
      entries.push(entry);
    }
  }
  return entries;
}

// `node scripts/kv-seed.mjs OUT.json` writes the bulk-put file for wrangler.
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const out = process.argv[2];
  writeFileSync(out, JSON.stringify(seedEntries()));
  console.log(`${seedEntries().length} keys`);
}
