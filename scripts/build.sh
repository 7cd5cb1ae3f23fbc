#!/usr/bin/env sh
# Builds both workers: calls into build/ (its wasm, index.js and the entry
# module), admin into admin/build/. Run by wrangler (each wrangler.toml's
# [build]), so plain `wrangler dev` works once scripts/setup.sh has run.
# `sh scripts/build.sh calls` or `… admin` builds one (admin with the console,
# its static assets); `… floor` builds the
# benchmark's floor (benches/floor) with the same tools. Points worker-build at
# the locally installed tools so it downloads nothing.
set -eu
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
WASM_BINDGEN_BIN=$(command -v wasm-bindgen) || {
  echo "wasm-bindgen not installed: run scripts/setup.sh" >&2; exit 1; }
export WASM_BINDGEN_BIN
export WASM_OPT_BIN="$PWD/node_modules/binaryen/bin/wasm-opt"
export ESBUILD_BIN="$PWD/node_modules/.bin/esbuild"

which=${1:-all}

# worker-build always keeps the wasm's name section (it runs wasm-opt with
# --debuginfo): function names for stack traces, some 180 KB of a worker that
# every fresh isolate downloads and parses. Our panics are logged by message
# (crates/edge/src/panic.rs), so each worker ships without it. The floor is
# stripped the same way, so the benchmark compares like with like.
# A second argument adds passes: the calls worker (and the floor, again like
# with like) gets -Oz once more once the names are gone, which finds about
# 2.5 KB (1 KB gzipped) that worker-build's own -Oz, run with the names
# kept, leaves (a second -Oz inside worker-build made the gzipped wasm
# larger, not smaller). About 5 s of build.
strip_names() {
  "$WASM_OPT_BIN" "$1" --strip-debug --strip-producers ${2:-} \
    --enable-mutable-globals --enable-sign-ext --enable-nontrapping-float-to-int \
    --enable-bulk-memory --enable-multivalue --enable-reference-types \
    --enable-exception-handling -o "$1"
}

# The calls worker must never link phonenumber: its metadata is most of a
# megabyte of wasm that every caller's first request would wait for.
if [ "$which" = all ] || [ "$which" = calls ]; then
  if cargo tree -p switchboard --target wasm32-unknown-unknown -e normal --prefix none 2>/dev/null |
    grep -q '^phonenumber '; then
    echo "the calls worker links phonenumber (cargo tree -p switchboard -i phonenumber --target wasm32-unknown-unknown)" >&2
    exit 1
  fi
  worker-build --release
  strip_names build/index_bg.wasm -Oz
  # The entry module wraps the Rust worker (see its header).
  cp src/entry.mjs src/request-id.mjs build/
fi
if [ "$which" = all ] || [ "$which" = admin ]; then
  (cd admin && worker-build --release)
  strip_names admin/build/index_bg.wasm
  cp admin/src/entry.mjs src/request-id.mjs admin/build/
fi
# The console's page and bundle, the admin worker's static assets
# (admin/build/assets/); `… console` builds only it (about a second).
if [ "$which" = all ] || [ "$which" = admin ] || [ "$which" = console ]; then
  node scripts/console.mjs
fi
if [ "$which" = floor ]; then
  (cd benches/floor && worker-build --release)
  strip_names benches/floor/build/index_bg.wasm -Oz
fi
