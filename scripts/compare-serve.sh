#!/usr/bin/env bash
# compare-serve.sh — the throughput of two `authbench serve` programs (a baseline build, say an older
# commit's, and this one) under wrk, side by side: for each mechanism, ROUNDS rounds that alternate
# the order (old new, new old, …), each run a fresh server with --threads SERVE_THREADS, one login,
# then wrk with the credential for DURATION s. Per run: requests/s, and the server's own CPU per
# request (utime + stime from /proc/PID/stat over the wrk run, divided by the requests wrk counted):
# on a machine shared with other work the CPU per request moves less than the requests/s do. Prints
# every round with new/old and the 1-minute load average, then the medians, new/old of the
# medians and the median of the rounds' new/old (the pairs are close in time: drift cancels).
#
# usage: scripts/compare-serve.sh OLD_AUTHBENCH NEW_AUTHBENCH
#   e.g. git worktree add /tmp/old d37839c (or git archive) and a Release build there, then
#        scripts/compare-serve.sh /tmp/old/build/release/bench/authbench build/release/bench/authbench
# knobs: MECHS="session:memory:// jwt:HS256" ROUNDS=6 DURATION=10 THREADS=2 CONNS=64 SERVE_THREADS=2
#        TARGET=1.00 (the median of the rounds' new/old requests/s below it: exit status 1)
#        SIMULTANEOUS=1: each round loads both servers at once (a wrk each), so both meet the same
#        competing work; on a busy machine the pair's ratio then moves far less than runs apart
#        INSTRUCTIONS=1: instead, once per program, the user-space instructions per request of the
#        server's loop threads under callgrind (valgrind): the same on a quiet or a busy machine
set -euo pipefail

usage() { sed -n '11,21s/^# \{0,1\}//p' "$0"; }
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
SIMULTANEOUS=${SIMULTANEOUS:-0}
INSTRUCTIONS=${INSTRUCTIONS:-0}

for b in "$OLD" "$NEW"; do
  [ -x "$b" ] || { echo "compare-serve: no authbench program at $b" >&2; exit 1; }
done
command -v wrk >/dev/null || { echo "compare-serve: wrk is not installed (scripts/setup.sh installs it)" >&2; exit 1; }

tmp=$(mktemp -d)
declare -A pid=() addr=() rps=() cpu=() ir=() # by run: old, new
wrap=()                                        # what a server runs under (INSTRUCTIONS=1: callgrind)
cleanup() {
  local p
  for p in "${pid[@]}"; do
    kill "$p" 2>/dev/null || true
    wait "$p" 2>/dev/null || true
  done
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
"$NEW" jwt keygen --alg HS256 --out "$tmp/hs" >/dev/null # both servers of a jwt round share it

# Prints the median of its arguments.
median() { printf '%s\n' "$@" | sort -g | awk '{v[NR]=$1} END {print (NR % 2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}'; }

# Starts program $2's server for mechanism $3 as run $1 on a free port (pid[$1], addr[$1]).
start_server() {
  local key=()
  case $3 in jwt*) key=(--key "$tmp/hs.key") ;; esac
  rm -f "$tmp/$1.out" "$tmp/$1.cg"* # its ready line, not the last run's
  "${wrap[@]}" "$2" serve --mechanism "$3" --listen 127.0.0.1:0 --threads "$SERVE_THREADS" "${key[@]}" \
    >"$tmp/$1.out" 2>"$tmp/$1.err" &
  pid[$1]=$!
  for _ in $(seq 600); do
    grep -q '^listening on ' "$tmp/$1.out" 2>/dev/null && break
    sleep 0.05
  done
  addr[$1]=$(sed -n 's/^listening on //p' "$tmp/$1.out" 2>/dev/null)
  [ -n "${addr[$1]}" ] || { echo "compare-serve: $2 serve did not start: $(cat "$tmp/$1.err")" >&2; exit 1; }
}

# Stops run $1's server; it must exit 0.
stop_server() {
  kill "${pid[$1]}"
  wait "${pid[$1]}" || { echo "compare-serve: the $1 server did not stop cleanly" >&2; exit 1; }
  unset "pid[$1]"
}

# Logs in on address $1 (bash's /dev/tcp: no HTTP client needed) and prints the header wrk sends.
credential_header() {
  local resp cred
  exec 3<>"/dev/tcp/${1%:*}/${1##*:}"
  printf 'POST /login?user=u1 HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n' >&3
  resp=$(cat <&3)
  exec 3<&-
  cred=$(printf '%s' "$resp" | sed -n 's/.*"credential":"\([^"]*\)".*/\1/p')
  [ -n "$cred" ] || { echo "compare-serve: login failed: $resp" >&2; exit 1; }
  case $resp in *'"kind":"cookie"'*) echo "Cookie: sid=$cred" ;; *) echo "Authorization: Bearer $cred" ;; esac
}

# CPU ticks (user + system) of process $1 so far.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

# wrk against the servers of the runs given, all at once; sets rps[run] and cpu[run] (server CPU
# us per request) and stops those servers.
measure() {
  local r hdr out reqs tick c0=() c1=() wpids=()
  tick=$(getconf CLK_TCK)
  for r in "$@"; do
    hdr=$(credential_header "${addr[$r]}")
    c0+=("$(cpu_ticks "${pid[$r]}")")
    wrk -t "$THREADS" -c "$CONNS" -d "${DURATION}s" -H "$hdr" "http://${addr[$r]}/api/x" >"$tmp/$r.wrk" &
    wpids+=($!)
  done
  wait "${wpids[@]}"
  for r in "$@"; do c1+=("$(cpu_ticks "${pid[$r]}")"); done
  local i=0
  for r in "$@"; do
    stop_server "$r"
    out=$(cat "$tmp/$r.wrk")
    case $out in *Non-2xx*) echo "compare-serve: the $r server answered errors: $out" >&2; exit 1 ;; esac
    reqs=$(printf '%s\n' "$out" | awk '/ requests in / {print $1}')
    rps[$r]=$(printf '%s\n' "$out" | awk '/^Requests\/sec:/ {printf "%.0f", $2}')
    cpu[$r]=$(awk -v n="$reqs" -v c="$((c1[i] - c0[i]))" -v t="$tick" 'BEGIN {printf "%.3f", c / t * 1e6 / n}')
    i=$((i + 1))
  done
}

# Instructions per request of run $1's server (started under callgrind, counting its loop threads
# only: srv_thread_main), over DURATION s of wrk after a 1 s warm-up; sets ir[$1], stops the server.
instructions() {
  local hdr out reqs total
  hdr=$(credential_header "${addr[$1]}")
  wrk -t "$THREADS" -c "$CONNS" -d 1s -H "$hdr" "http://${addr[$1]}/api/x" >/dev/null
  callgrind_control -z "${pid[$1]}" >/dev/null 2>&1
  out=$(wrk -t "$THREADS" -c "$CONNS" -d "${DURATION}s" -H "$hdr" "http://${addr[$1]}/api/x")
  callgrind_control -d "${pid[$1]}" >/dev/null 2>&1 # to $tmp/$1.cg.1: the window only
  stop_server "$1"
  case $out in *Non-2xx*) echo "compare-serve: the $1 server answered errors: $out" >&2; exit 1 ;; esac
  reqs=$(printf '%s\n' "$out" | awk '/ requests in / {print $1}')
  total=$(cat "$tmp/$1.cg".* | awk '/^(summary|totals):/ {print $2; exit}')
  ir[$1]=$(awk -v t="$total" -v n="$reqs" 'BEGIN {printf "%.0f", t / n}')
}

echo "old: $OLD"
echo "new: $NEW"
if [ "$INSTRUCTIONS" = 1 ]; then
  command -v callgrind_control >/dev/null || { echo "compare-serve: valgrind is not installed (scripts/setup.sh installs it)" >&2; exit 1; }
  echo "user-space instructions per request of the servers' loop threads (callgrind), wrk -t$THREADS -c$CONNS -d${DURATION}s after a 1 s warm-up"
  for mech in $MECHS; do
    for run in old new; do
      prog=$OLD
      [ "$run" = new ] && prog=$NEW
      wrap=(valgrind --tool=callgrind "--callgrind-out-file=$tmp/$run.cg" --collect-atstart=no
            --toggle-collect=srv_thread_main)
      start_server "$run" "$prog" "$mech"
      instructions "$run"
    done
    printf '%s: old %d, new %d instructions per request; new/old %.3f\n' "$mech" "${ir[old]}" "${ir[new]}" \
      "$(awk -v a="${ir[new]}" -v b="${ir[old]}" 'BEGIN {print a / b}')"
  done
  exit 0
fi
how="order alternating"
[ "$SIMULTANEOUS" = 1 ] && how="both servers loaded at once"
echo "wrk -t$THREADS -c$CONNS -d${DURATION}s against serve --threads $SERVE_THREADS; $ROUNDS rounds, $how"
status=0
for mech in $MECHS; do
  old_rps=() new_rps=() old_cpu=() new_cpu=() rps_ratio=() cpu_ratio=()
  for r in $(seq "$ROUNDS"); do
    order="old new"
    [ $((r % 2)) -eq 0 ] && order="new old"
    if [ "$SIMULTANEOUS" = 1 ]; then
      order="old new"
      start_server old "$OLD" "$mech"
      start_server new "$NEW" "$mech"
      measure old new
    else
      for run in $order; do
        prog=$OLD
        [ "$run" = new ] && prog=$NEW
        start_server "$run" "$prog" "$mech"
        measure "$run"
      done
    fi
    old_rps+=("${rps[old]}") new_rps+=("${rps[new]}") old_cpu+=("${cpu[old]}") new_cpu+=("${cpu[new]}")
    rps_ratio+=("$(awk -v a="${rps[new]}" -v b="${rps[old]}" 'BEGIN {printf "%.3f", a / b}')")
    cpu_ratio+=("$(awk -v a="${cpu[new]}" -v b="${cpu[old]}" 'BEGIN {printf "%.3f", a / b}')")
    line="$mech round $r ($order):"
    for run in $order; do line+=$(printf '  %s %7d req/s %6.2f us/req' "$run" "${rps[$run]}" "${cpu[$run]}"); done
    echo "$line  new/old ${rps_ratio[-1]} req/s ${cpu_ratio[-1]} CPU/req  load $(cut -d' ' -f1 /proc/loadavg)"
  done
  mo=$(median "${old_rps[@]}") mn=$(median "${new_rps[@]}")
  co=$(median "${old_cpu[@]}") cn=$(median "${new_cpu[@]}")
  ratio=$(median "${rps_ratio[@]}")
  printf '%s median: old %.0f req/s %.2f us/req, new %.0f req/s %.2f us/req; new/old of the medians %.3f req/s, %.3f CPU/req; median of the rounds'"'"' new/old %s req/s, %s CPU/req (target >= %s req/s)\n' \
    "$mech" "$mo" "$co" "$mn" "$cn" "$(awk -v a="$mn" -v b="$mo" 'BEGIN {print a / b}')" \
    "$(awk -v a="$cn" -v b="$co" 'BEGIN {print a / b}')" "$ratio" "$(median "${cpu_ratio[@]}")" "$TARGET"
  awk -v r="$ratio" -v t="$TARGET" 'BEGIN {exit !(r >= t)}' || status=1
done
exit "$status"
