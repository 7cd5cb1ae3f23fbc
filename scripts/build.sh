#!/usr/bin/env sh
# Builds the worker into build/ (index.js and its wasm, and the entry module). Run by wrangler (wrangler.toml [build]), so
# plain `wrangler dev` works once scripts/setup.sh has run. Points worker-build
# at the locally installed tools so it downloads nothing.
set -eu
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
WASM_BINDGEN_BIN=$(command -v wasm-bindgen) || {
  echo "wasm-bindgen not installed: run scripts/setup.sh" >&2; exit 1; }
export WASM_BINDGEN_BIN
export WASM_OPT_BIN="$PWD/node_modules/binaryen/bin/wasm-opt"
export ESBUILD_BIN="$PWD/node_modules/.bin/esbuild"
worker-build --release
# The entry module wraps the Rust worker (see its header).
cp src/entry.mjs build/entry.mjs
