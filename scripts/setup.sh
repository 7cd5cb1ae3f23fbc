#!/usr/bin/env bash
# Installs what building and testing the worker needs, at pinned versions.
# Idempotent: a second run checks versions and returns in about a second.
# Only package registries are used (crates.io, npm, Debian's for Chromium);
# nothing from GitHub.
set -euo pipefail
cd "$(dirname "$0")/.."

WORKER_BUILD_VERSION=0.8.7
# Must equal the wasm-bindgen in Cargo.lock: worker-build runs that exact CLI.
WASM_BINDGEN_VERSION=0.2.130
MIN_RUST=1.91

export PATH="$HOME/.cargo/bin:$PATH"
say() { printf 'setup: %s\n' "$*" >&2; }

command -v cargo >/dev/null || { say "cargo not found: install Rust with rustup (>= $MIN_RUST)"; exit 1; }
command -v node >/dev/null || { say "node not found: install Node.js 20 or newer"; exit 1; }
rust=$(rustc --version | awk '{print $2}')
if [ "$(printf '%s\n%s\n' "$MIN_RUST" "$rust" | sort -V | head -n1)" != "$MIN_RUST" ]; then
  say "Rust $rust is older than $MIN_RUST (worker 0.8 needs it): rustup update"; exit 1
fi

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

installed_version() { "$1" --version 2>/dev/null | grep -oE '[0-9]+\.[0-9]+\.[0-9]+' | head -n1; }
if [ "$(installed_version worker-build)" != "$WORKER_BUILD_VERSION" ]; then
  say "installing worker-build $WORKER_BUILD_VERSION (about 5 minutes, once)"
  cargo install worker-build --version "$WORKER_BUILD_VERSION"
fi
if [ "$(installed_version wasm-bindgen)" != "$WASM_BINDGEN_VERSION" ]; then
  # --locked fails for this release; its own lock file is out of date.
  say "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION (about 5 minutes, once)"
  cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION"
fi

# npm: wrangler, workerd, wasm-opt (binaryen), esbuild, the console's
# libraries and playwright-core, as locked.
stamp=node_modules/.switchboard-lock
want=$(sha256sum package-lock.json | cut -c1-64)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  say "installing npm packages (wrangler, workerd, binaryen, esbuild, the console's, playwright-core)"
  npm ci --no-audit --no-fund --loglevel=error
  echo "$want" > "$stamp"
fi

# Schemathesis, for scripts/fuzz-api.sh (and the short run in scripts/test.sh),
# in its own virtualenv under the repository (.venv/, ignored by git).
SCHEMATHESIS_VERSION=4.32.5
if [ "$(.venv/bin/schemathesis --version 2>/dev/null | grep -oE '[0-9]+\.[0-9]+\.[0-9]+')" != "$SCHEMATHESIS_VERSION" ]; then
  command -v python3 >/dev/null || { say "python3 not found: install Python 3.9 or newer (for Schemathesis)"; exit 1; }
  say "installing schemathesis $SCHEMATHESIS_VERSION into .venv (about a minute, once)"
  python3 -m venv .venv
  .venv/bin/pip install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION"
fi

# A browser for the console's tests (tests/browser/): Debian's Chromium,
# driven by playwright-core, which downloads no browser of its own.
chromium=${CHROMIUM:-/usr/bin/chromium}
if [ ! -x "$chromium" ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    say "installing Chromium (Debian's package) for the console's browser tests"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null
  else
    say "Chromium is missing: install it (sudo apt-get install -y chromium), or set CHROMIUM to a Chromium binary"
    exit 1
  fi
fi

# Local secrets for wrangler dev, fresh random values. Never committed
# (.gitignore). A secret added by a later version is appended, others kept.
[ -f .dev.vars ] || echo "# Local secrets for wrangler dev. Production uses 'wrangler secret put'." > .dev.vars
for name in TWILIO_AUTH_TOKEN ADMIN_TOKEN CHALLENGE_SECRET; do
  if ! grep -q "^$name=" .dev.vars; then
    say "adding a local $name to .dev.vars"
    echo "$name=$(node -e 'console.log(require("crypto").randomBytes(16).toString("hex"))')" >> .dev.vars
  fi
done
# The admin worker reads the same local secrets (wrangler dev looks for
# .dev.vars beside each config).
[ -e admin/.dev.vars ] || ln -s ../.dev.vars admin/.dev.vars
