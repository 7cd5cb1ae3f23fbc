#!/usr/bin/env bash
# The benchmark command: native per-webhook cost, then the built worker in
# workerd beside the floor (benches/floor, a minimal workers-rs worker built
# the same way), then cold and warm per webhook beside GET /health.
# Figures only, no thresholds.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export PATH="$HOME/.cargo/bin:$PATH"
export WRANGLER_SEND_METRICS=false CLOUDFLARE_CF_FETCH_ENABLED=false
echo "native at the shipped opt-level (z, as the workers' wasm is built):"
cargo bench --bench native 2>/dev/null
echo
echo "native at opt-level 3 (the same code, optimised for speed):"
CARGO_PROFILE_BENCH_OPT_LEVEL=3 cargo bench --bench native 2>/dev/null
sh scripts/build.sh >/dev/null 2>&1
sh scripts/build.sh floor >/dev/null 2>&1
echo
node benches/start.mjs
echo
node benches/workerd.mjs
echo
node benches/records.mjs
