#!/usr/bin/env bash
# compare-wrk.sh — measures `authbench load` against wrk on one `authbench serve --mechanism none`
# (same threads, connections and duration, alternating rounds), then runs an open-loop load at half
# the measured capacity while the server is stopped for 200 ms (SIGSTOP/SIGCONT): the stall must show
# in the corrected p99 (from intended send times) and not in the uncorrected one.
#
# usage: scripts/compare-wrk.sh            (AUTHBENCH_BIN=path/to/authbench to pick the program)
# knobs: THREADS=2 CONNS=50 DURATION=10 ROUNDS=3 SERVE_THREADS=1
set -euo pipefail

AB=${AUTHBENCH_BIN:-build-load-rel/bench/authbench}
THREADS=${THREADS:-2}
CONNS=${CONNS:-50}
DURATION=${DURATION:-10}
ROUNDS=${ROUNDS:-3}
SERVE_THREADS=${SERVE_THREADS:-1}

command -v wrk >/dev/null || { echo "compare-wrk: wrk is not installed (scripts/setup.sh installs it)" >&2; exit 1; }
[ -x "$AB" ] || { echo "compare-wrk: no authbench program at $AB (set AUTHBENCH_BIN)" >&2; exit 1; }

tmp=$(mktemp -d)
srv_pid=""
cleanup() {
  if [ -n "$srv_pid" ]; then
    kill -CONT "$srv_pid" 2>/dev/null || true
    kill "$srv_pid" 2>/dev/null || true
    wait "$srv_pid" 2>/dev/null || true
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Starts the server on a free loopback port and waits for its ready line.
"$AB" serve --mechanism none --listen 127.0.0.1:0 --threads "$SERVE_THREADS" >"$tmp/serve.out" 2>"$tmp/serve.err" &
srv_pid=$!
for _ in $(seq 100); do
  grep -q '^listening on ' "$tmp/serve.out" 2>/dev/null && break
  sleep 0.1
done
addr=$(sed -n 's/^listening on //p' "$tmp/serve.out")
[ -n "$addr" ] || { echo "compare-wrk: authbench serve did not start: $(cat "$tmp/serve.err")" >&2; exit 1; }
echo "server: authbench serve --mechanism none --threads $SERVE_THREADS on $addr (pid $srv_pid)"
echo "clients: $THREADS threads, $CONNS connections, ${DURATION}s per run, $ROUNDS alternating rounds"

# Prints the median of its arguments.
median() { printf '%s\n' "$@" | sort -g | awk '{v[NR]=$1} END {print (NR % 2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}'; }

wrk_rps=()
load_rps=()
for r in $(seq "$ROUNDS"); do
  # wrk: the credential a logged-in user of mechanism none would send
  w=$(wrk -t "$THREADS" -c "$CONNS" -d "${DURATION}s" -H 'Cookie: sid=user0' "http://$addr/api/x" |
      awk '/^Requests\/sec:/ {print $2}')
  "$AB" load --targets "$addr" --threads "$THREADS" --connections "$CONNS" --duration "$DURATION" \
    --warmup 0 --users "$CONNS" --no-progress --no-server-stats --json "$tmp/closed.json" >"$tmp/closed.txt"
  l=$(sed -n 's/^[[:space:]]*"requests_per_sec":[[:space:]]*\([0-9.e+]*\),*/\1/p' "$tmp/closed.json")
  printf 'round %d: wrk %10.0f req/s   authbench load %10.0f req/s   ratio %.3f\n' "$r" "$w" "$l" \
    "$(awk -v a="$l" -v b="$w" 'BEGIN {print a / b}')"
  wrk_rps+=("$w")
  load_rps+=("$l")
done
mw=$(median "${wrk_rps[@]}")
ml=$(median "${load_rps[@]}")
ratio=$(awk -v a="$ml" -v b="$mw" 'BEGIN {printf "%.3f", a / b}')
echo "median: wrk $mw req/s, authbench load $ml req/s, ratio $ratio (target >= 0.9)"

# Open loop at half the capacity authbench load measured, with a 200 ms stall 3 s into the window.
rate=$(awk -v c="$ml" 'BEGIN {printf "%d", c / 2}')
echo "stall: open loop at $rate req/s for 6 s (1 s warm-up); server stopped for 200 ms at t=3 s"
"$AB" load --targets "$addr" --threads "$THREADS" --connections "$CONNS" --duration 6 --warmup 1 \
  --rate "$rate" --users "$CONNS" --no-progress --no-server-stats --json "$tmp/open.json" >"$tmp/open.txt" &
load_pid=$!
sleep 4
kill -STOP "$srv_pid"
sleep 0.2
kill -CONT "$srv_pid"
wait "$load_pid"
grep -E '^  (requests|latency|uncorrected|errors)' "$tmp/open.txt"
p99() { awk -v l="$1" '$1 == l { for (i = 2; i < NF; i++) if ($i == "p99") print $(i + 1) }' "$tmp/open.txt"; }
corr=$(p99 latency)
unc=$(p99 uncorrected)
echo "p99 corrected $corr us, uncorrected $unc us"
status=0
awk -v r="$ratio" 'BEGIN {exit !(r >= 0.9)}' || { echo "FAIL: throughput ratio $ratio < 0.9"; status=1; }
# 200 ms stall at half capacity: ~4% of the window's requests wait up to 200 ms, so the corrected
# p99 lands near the stall; from the actual send times almost nothing waits.
awk -v c="$corr" -v u="$unc" 'BEGIN {exit !(c >= 50000 && u < 0.25 * c)}' ||
  { echo "FAIL: the stall is not visible in the corrected p99 only"; status=1; }
[ "$status" -eq 0 ] && echo "PASS"
exit "$status"
