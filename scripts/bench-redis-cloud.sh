#!/usr/bin/env bash
# Lists 20 Redis Cloud subscriptions × 150 databases (3000 databases, two pages each) through
# the built-in emulator with 100 ms of added latency per request, and reports the wall time.
# Target: about three round trips (subscriptions, first page, second page), not one
# subscription after another (which would be 1 + 20 × 2 = 41 round trips, ~4.1 s).
#
# Usage: scripts/bench-redis-cloud.sh [RUNS] [SUBSxDBS] [LATENCY_MS]
set -euo pipefail
cd "$(dirname "$0")/.."

runs=${1:-5}
size=${2:-20x150}
latency=${3:-100}

cargo build --release --quiet
bin=target/release/dbctl

out=$(mktemp)
DBCTL_EMULATOR_REDIS_CLOUD_BENCH=$size "$bin" emulator serve --port 0 --latency-ms "$latency" >"$out" 2>/dev/null &
emulator=$!
trap 'kill "$emulator" 2>/dev/null || true; rm -f "$out"' EXIT
for _ in $(seq 1 100); do
  grep -q REDIS_CLOUD_API_URL "$out" && break
  sleep 0.05
done
env_args=()
while IFS= read -r line; do
  env_args+=("${line#export }")
done < <(grep '^export REDIS_CLOUD_' "$out")
[ ${#env_args[@]} -gt 0 ] || { echo "the emulator did not start" >&2; exit 1; }

subs=${size%x*}
per=${size#*x}
pages=$(( (per + 100) / 100 ))   # a full last page needs one more, empty, page
expected=$(( subs * per ))
echo "redis-cloud list: ${subs} subscriptions × ${per} databases, ${latency} ms latency per request"
echo "dependent chain: subscriptions + ${pages} page(s) = $(( 1 + pages )) round trips ≈ $(( (1 + pages) * latency )) ms; one after another ≈ $(( (1 + subs * pages) * latency )) ms"
times=()
for run in $(seq 1 "$runs"); do
  start=$(date +%s%N)
  count=$(env -i PATH="$PATH" HOME="$(mktemp -d)" "${env_args[@]}" "$bin" db list -p redis-cloud --json | grep -c '"provider": "redis-cloud"')
  end=$(date +%s%N)
  ms=$(( (end - start) / 1000000 ))
  times+=("$ms")
  if [ "$count" -ne "$expected" ]; then
    echo "run $run: listed $count databases, expected $expected" >&2
    exit 1
  fi
  echo "run $run: ${ms} ms, ${count} databases"
done
sorted=($(printf '%s\n' "${times[@]}" | sort -n))
echo "min ${sorted[0]} ms, median ${sorted[$(( ${#sorted[@]} / 2 ))]} ms, max ${sorted[-1]} ms"
