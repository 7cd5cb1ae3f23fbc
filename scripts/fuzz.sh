#!/usr/bin/env bash
# The long property run: each target of tests/properties/ (form, phone, typed,
# vcard, messagebird, twilio, config, render) gets as many cases as fit in
# FUZZ_SECS seconds (default 60), natively, optimised but with overflow and
# debug checks on. Prints per target the cases run and "no finding", or the
# failure with its smallest input. A failure's seed is saved under
# tests/proptest-regressions/ and replayed first by every later run, cargo
# test included: commit it with the fix. Exits 1 if anything was found.
#   bash scripts/fuzz.sh                    # every target, a minute each
#   FUZZ_SECS=10 bash scripts/fuzz.sh vcard render
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
budget="${FUZZ_SECS:-60}"

# Its own profile (target/fuzz/): dev's checks, at a speed worth running.
profile=(--profile fuzz
  --config 'profile.fuzz.inherits="dev"'
  --config 'profile.fuzz.opt-level=2'
  --config 'profile.fuzz.debug="line-tables-only"')
echo "building the property tests (profile fuzz)..."
bin=$(cargo test "${profile[@]}" --test properties --no-run 2>&1 |
  sed -n 's/^ *Executable .*(\(.*\))$/\1/p')
[ -x "$bin" ] || { echo "no test binary built" >&2; exit 2; }

if [ $# -gt 0 ]; then
  targets=("$@")
else
  mapfile -t targets < <("$bin" --list --format terse | sed -n 's/^\([a-z_]*\)::.*: test$/\1/p' | uniq)
fi

now_ms() { echo $(($(date +%s%N) / 1000000)); }
found=0
printf '%-12s %12s %10s %8s  %s\n' target cases properties seconds result
for target in "${targets[@]}"; do
  props=$("$bin" --list --format terse "$target::" | grep -c ': test$' || true)
  [ "$props" -gt 0 ] || { echo "no target $target" >&2; exit 2; }
  per_property=0 chunk=64 result="no finding"
  start=$(now_ms) deadline=$(($(now_ms) + budget * 1000))
  while [ "$(now_ms)" -lt "$deadline" ]; do
    t0=$(now_ms)
    if ! out=$(RUST_BACKTRACE=0 PROPTEST_CASES=$chunk "$bin" "$target::" 2>&1); then
      result="FOUND:"$'\n'$(printf '%s\n' "$out" |
        grep -E '^---- |^Test failed|^minimal failing input|^proptest: Saving|panicked at' || true)
      found=1
      break
    fi
    per_property=$((per_property + chunk))
    # Size the next chunk to about 10 s, or what is left of the budget.
    took=$(($(now_ms) - t0 + 1)) left=$((deadline - $(now_ms)))
    aim=$((left < 10000 ? left : 10000))
    chunk=$((chunk * aim / took))
    [ "$chunk" -ge 16 ] || chunk=16
  done
  secs=$((($(now_ms) - start) / 1000))
  printf '%-12s %12d %10d %8d  %s\n' "$target" "$((per_property * props))" "$props" "$secs" "$result"
done
exit "$found"
