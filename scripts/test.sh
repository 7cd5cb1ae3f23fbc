#!/usr/bin/env bash
# The test command: sets up what is missing, then runs every layer.
#   1. format and lints (native and wasm)
#   2. native unit tests (cargo test)
#   3. the same unit tests compiled to wasm, under Node (wasm-bindgen-test)
#   4. the release build of both workers, then end-to-end tests against
#      them in workerd,
#      including one through the README's run command (wrangler dev)
#   5. the console in a real browser (Chromium), against the same workers
#   6. a short fuzz of the management API from its OpenAPI document
#      (scripts/fuzz-api.sh, 60 s)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export PATH="$HOME/.cargo/bin:$PATH"
export WRANGLER_SEND_METRICS=false CLOUDFLARE_CF_FETCH_ENABLED=false
step() { printf '\n== %s\n' "$*"; }

step "format and lints"
cargo fmt --all -- --check
cargo clippy --workspace --all-targets -- -D warnings
cargo clippy --workspace --target wasm32-unknown-unknown --lib -- -D warnings

step "native tests"
cargo test --workspace

step "wasm tests (wasm-bindgen-test under Node)"
CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner \
  cargo test --target wasm32-unknown-unknown --lib -p switchboard-core -p switchboard-numbers

step "release build"
sh scripts/build.sh

step "end-to-end tests (workerd)"
node --test --test-concurrency=1 tests/e2e/

step "browser tests of the console (Chromium)"
node --test --test-concurrency=1 tests/browser/

step "API fuzz (Schemathesis, 60 s)"
bash scripts/fuzz-api.sh 60
