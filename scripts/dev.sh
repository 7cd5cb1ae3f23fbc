#!/usr/bin/env bash
# The run command: sets up what is missing, seeds local KV from kv-seed/,
# prints the webhook URLs and a signed sample request, and starts both
# workers in one `wrangler dev` (which builds each through its config's build
# command): calls (wrangler.toml) serves the port and hands /api/ to admin
# (admin/wrangler.toml) over its service binding, as in production.
# PORT and STATE_DIR override the defaults (8787, .wrangler/state).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export PATH="$HOME/.cargo/bin:$PATH"
export WRANGLER_SEND_METRICS=false CLOUDFLARE_CF_FETCH_ENABLED=false
port=${PORT:-8787}
state=${STATE_DIR:-.wrangler/state}

seed=$(mktemp)
trap 'rm -f "$seed"' EXIT
node scripts/kv-seed.mjs "$seed" >/dev/null
npx wrangler kv bulk put "$seed" --binding SWITCHBOARD --local --persist-to "$state" >/dev/null
echo "Seeded local KV from kv-seed/ ($(node -e "console.log(JSON.parse(require('fs').readFileSync('$seed')).length)") keys) into $state"
node scripts/sample.mjs "$port"
exec npx wrangler dev -c wrangler.toml -c admin/wrangler.toml --ip 127.0.0.1 --port "$port" --persist-to "$state"
