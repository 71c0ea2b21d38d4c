#!/usr/bin/env bash
# compare-serve.sh — the throughput of two `authbench serve` programs (a baseline build, say an older
# commit's, and this one) under wrk, side by side: for each mechanism, ROUNDS rounds that alternate
# the order (old new, new old, …), each run a fresh server with --threads SERVE_THREADS, one login,
# then wrk with the credential for DURATION s. Per run: requests/s, and the server's own CPU per
# request (utime + stime from /proc/PID/stat over the wrk run, divided by the requests wrk counted):
# on a machine shared with other work the CPU per request moves less than the requests/s do. Prints
# every run with the 1-minute load average, then the medians and new/old of the medians.
#
# usage: scripts/compare-serve.sh OLD_AUTHBENCH NEW_AUTHBENCH
#   e.g. git worktree add /tmp/old d37839c (or git archive) and a Release build there, then
#        scripts/compare-serve.sh /tmp/old/build/release/bench/authbench build/release/bench/authbench
# knobs: MECHS="session:memory:// jwt:HS256" ROUNDS=6 DURATION=10 THREADS=2 CONNS=64 SERVE_THREADS=2
#        TARGET=1.00 (new/old of the median requests/s below it: exit status 1)
set -euo pipefail

usage() { sed -n '10,15s/^# \{0,1\}//p' "$0"; }
case "${1:-}" in -h | --help) usage; exit 0 ;; esac
[ $# -eq 2 ] || { echo "compare-serve: give the two authbench programs, old then new (--help)" >&2; exit 2; }
OLD=$1
NEW=$2
MECHS=${MECHS:-"session:memory:// jwt:HS256"}
ROUNDS=${ROUNDS:-6}
DURATION=${DURATION:-10}
THREADS=${THREADS:-2}
CONNS=${CONNS:-64}
SERVE_THREADS=${SERVE_THREADS:-2}
TARGET=${TARGET:-1.00}

for b in "$OLD" "$NEW"; do
  [ -x "$b" ] || { echo "compare-serve: no authbench program at $b" >&2; exit 1; }
done
command -v wrk >/dev/null || { echo "compare-serve: wrk is not installed (scripts/setup.sh installs it)" >&2; exit 1; }

tmp=$(mktemp -d)
srv_pid=""
cleanup() {
  if [ -n "$srv_pid" ]; then
    kill "$srv_pid" 2>/dev/null || true
    wait "$srv_pid" 2>/dev/null || true
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
"$NEW" jwt keygen --alg HS256 --out "$tmp/hs" >/dev/null # both servers of a jwt round share it

# Prints the median of its arguments.
median() { printf '%s\n' "$@" | sort -g | awk '{v[NR]=$1} END {print (NR % 2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}'; }

# Starts program $1's server for mechanism $2 on a free port; sets srv_pid and addr.
start_server() {
  local key=()
  case $2 in jwt*) key=(--key "$tmp/hs.key") ;; esac
  "$1" serve --mechanism "$2" --listen 127.0.0.1:0 --threads "$SERVE_THREADS" "${key[@]}" \
    >"$tmp/serve.out" 2>"$tmp/serve.err" &
  srv_pid=$!
  for _ in $(seq 100); do
    grep -q '^listening on ' "$tmp/serve.out" 2>/dev/null && break
    sleep 0.05
  done
  addr=$(sed -n 's/^listening on //p' "$tmp/serve.out")
  [ -n "$addr" ] || { echo "compare-serve: $1 serve did not start: $(cat "$tmp/serve.err")" >&2; exit 1; }
}

# Logs in on $addr (bash's /dev/tcp: no HTTP client needed) and prints the header wrk sends.
credential_header() {
  local resp cred
  exec 3<>"/dev/tcp/${addr%:*}/${addr##*:}"
  printf 'POST /login?user=u1 HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n' >&3
  resp=$(cat <&3)
  exec 3<&-
  cred=$(printf '%s' "$resp" | sed -n 's/.*"credential":"\([^"]*\)".*/\1/p')
  [ -n "$cred" ] || { echo "compare-serve: login failed: $resp" >&2; exit 1; }
  case $resp in *'"kind":"cookie"'*) echo "Cookie: sid=$cred" ;; *) echo "Authorization: Bearer $cred" ;; esac
}

# One run of program $1 with mechanism $2: sets rps (requests/s) and cpu (server CPU us per request).
run_one() {
  local hdr cpu0 cpu1 out reqs tick
  start_server "$1" "$2"
  hdr=$(credential_header)
  tick=$(getconf CLK_TCK)
  cpu0=$(awk '{print $14 + $15}' "/proc/$srv_pid/stat")
  out=$(wrk -t "$THREADS" -c "$CONNS" -d "${DURATION}s" -H "$hdr" "http://$addr/api/x")
  cpu1=$(awk '{print $14 + $15}' "/proc/$srv_pid/stat")
  kill "$srv_pid"
  wait "$srv_pid" || { echo "compare-serve: $1 serve did not stop cleanly" >&2; exit 1; }
  srv_pid=""
  case $out in *Non-2xx*) echo "compare-serve: $1 answered errors: $out" >&2; exit 1 ;; esac
  reqs=$(printf '%s\n' "$out" | awk '/ requests in / {print $1}')
  rps=$(printf '%s\n' "$out" | awk '/^Requests\/sec:/ {print $2}')
  rps=$(awk -v r="$rps" 'BEGIN {printf "%.0f", r}')
  cpu=$(awk -v n="$reqs" -v c="$((cpu1 - cpu0))" -v t="$tick" 'BEGIN {printf "%.3f", c / t * 1e6 / n}')
}

echo "old: $OLD"
echo "new: $NEW"
echo "wrk -t$THREADS -c$CONNS -d${DURATION}s against serve --threads $SERVE_THREADS; $ROUNDS rounds, order alternating"
status=0
for mech in $MECHS; do
  old_rps=() new_rps=() old_cpu=() new_cpu=()
  for r in $(seq "$ROUNDS"); do
    order="old new"
    [ $((r % 2)) -eq 0 ] && order="new old"
    line="round $r ($order):"
    for which in $order; do
      prog=$OLD
      [ "$which" = new ] && prog=$NEW
      run_one "$prog" "$mech"
      if [ "$which" = old ]; then old_rps+=("$rps") old_cpu+=("$cpu"); else new_rps+=("$rps") new_cpu+=("$cpu"); fi
      line+=$(printf '  %s %7d req/s %6.2f us/req' "$which" "$rps" "$cpu")
    done
    echo "$mech $line  load $(cut -d' ' -f1 /proc/loadavg)"
  done
  mo=$(median "${old_rps[@]}") mn=$(median "${new_rps[@]}")
  co=$(median "${old_cpu[@]}") cn=$(median "${new_cpu[@]}")
  ratio=$(awk -v a="$mn" -v b="$mo" 'BEGIN {printf "%.3f", a / b}')
  printf '%s median: old %.0f req/s %.2f us/req, new %.0f req/s %.2f us/req; new/old %s req/s, %.3f CPU per request (target >= %s req/s)\n' \
    "$mech" "$mo" "$co" "$mn" "$cn" "$ratio" "$(awk -v a="$cn" -v b="$co" 'BEGIN {print a / b}')" "$TARGET"
  awk -v r="$ratio" -v t="$TARGET" 'BEGIN {exit !(r >= t)}' || status=1
done
exit "$status"
