#!/usr/bin/env sh
# Builds the floor worker into benches/floor/build/, with the same tools,
# environment and worker-build invocation as scripts/build.sh.
set -eu
cd "$(dirname "$0")"
ROOT=$(cd ../.. && pwd)
export PATH="$HOME/.cargo/bin:$PATH"
WASM_BINDGEN_BIN=$(command -v wasm-bindgen) || {
  echo "wasm-bindgen not installed: run scripts/setup.sh" >&2; exit 1; }
export WASM_BINDGEN_BIN
export WASM_OPT_BIN="$ROOT/node_modules/binaryen/bin/wasm-opt"
export ESBUILD_BIN="$ROOT/node_modules/.bin/esbuild"
worker-build --release
