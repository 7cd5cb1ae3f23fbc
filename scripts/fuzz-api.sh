#!/usr/bin/env bash
# Fuzzes the management API from its own OpenAPI document with Schemathesis
# (pinned in scripts/setup.sh, in .venv/): starts both built workers in
# workerd (scripts/fuzz-server.mjs), then runs two phases within the time
# given (default 300 s, three quarters and one quarter):
#   1. with an account token: no 5xx (not_a_server_error), every status
#      and body as documented (status_code_conformance,
#      response_schema_conformance, content_type_conformance,
#      response_headers_conformance), auth enforced (ignored_auth);
#   2. without a token: every answer but the document's is 401
#      (scripts/fuzz_checks.py).
# Exits non-zero when either phase found a problem. Reports go to
# tests/output/fuzz/ (ignored by git).
#   bash scripts/fuzz-api.sh [seconds]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-300}
[ -x .venv/bin/schemathesis ] || { echo "fuzz-api: run scripts/setup.sh first" >&2; exit 1; }
[ -f build/index_bg.wasm ] && [ -f admin/build/index_bg.wasm ] || sh scripts/build.sh
out=tests/output/fuzz
mkdir -p "$out"

# The workers run as a child reading a pipe: closing it stops them.
rm -f "$out/server.json"
exec 3> >(node scripts/fuzz-server.mjs "$out/server.json" > "$out/server.log" 2>&1)
for _ in $(seq 1 600); do
  [ -s "$out/server.json" ] && break
  sleep 0.1
done
[ -s "$out/server.json" ] || { echo "fuzz-api: the workers did not start" >&2; cat "$out/server.log" >&2; exit 1; }
read -r url token account < <(node -e 'const s=JSON.parse(require("fs").readFileSync(process.argv[1],"utf8"));console.log(s.url,s.token,s.account)' "$out/server.json")
schema="$url/api/v1/openapi.json"

# Paths name the seeded account (the token's): another account's paths
# only ever answer 404, which teaches the fuzzer nothing.
cat > "$out/schemathesis.toml" <<TOML
[parameters]
"path.AccountSid" = "$account"
[generation]
codec = "ascii"
TOML

with_token=$(( seconds * 3 / 4 ))
without=$(( seconds - with_token ))
status=0
echo "== fuzz: with a token, ${with_token} s"
.venv/bin/schemathesis --config-file "$out/schemathesis.toml" run "$schema" \
  -H "Authorization: Bearer $token" \
  --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,response_headers_conformance,ignored_auth \
  --max-time "$with_token" --seed 1 --workers 1 --request-timeout 20 \
  --report junit --report-junit-path "$out/with-token.xml" || status=1
echo "== fuzz: without a token, ${without} s"
PYTHONPATH=scripts SCHEMATHESIS_HOOKS=fuzz_checks .venv/bin/schemathesis --config-file "$out/schemathesis.toml" run "$schema" \
  --checks not_a_server_error,unauthorized_without_token \
  --max-time "$without" --seed 2 --workers 1 --request-timeout 20 \
  --report junit --report-junit-path "$out/without-token.xml" || status=1
exec 3>&-
sleep 1
cat "$out/server.log"
exit $status
