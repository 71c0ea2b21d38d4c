#!/usr/bin/env bash
# compare-redis.sh — `authbench store-bench` Redis GET throughput against redis-benchmark on one private
# redis-server (free loopback port, temp dir, stopped by a trap), at 50 clients without and with a
# pipeline of 16, in alternating rounds; prints both figures (medians), every round, and the ratio.
#
# Same bytes on the wire and the same keys' spread: store-bench prepopulates its sessions
# ("sess:<id>" → header line + claims); SESSIONS copies of one of those records are then stored under
# keys of the same length ending in a 12-digit number, which redis-benchmark reads at random with
# -r SESSIONS and __rand_int__ (a custom command). So key and value sizes match exactly (the value size
# is printed) and both read random keys among SESSIONS: reading one hot key instead costs the server
# less (measured here: store-bench over 1000 keys 0.93x of redis-benchmark on one key, over 50 keys
# 1.03x), which would compare the key sets, not the clients. Both drive their 50 connections from event loops with P operations in flight on each
# (store-bench --threads THREADS, default 1 as redis-benchmark's one loop; --pipeline P against -P P).
# The rounds alternate store-bench, redis-benchmark, store-bench, … and the ratio is of the medians.
# Each round ends with the 1-minute load average: the machine's other work weighs on both.
#
# usage: scripts/compare-redis.sh           (AUTHBENCH_BIN=path/to/authbench picks the program)
# knobs: CLIENTS=50 THREADS=1 PIPELINES="1 16" DURATION=10 WARMUP=2 ROUNDS=3 SESSIONS=1000 VALUE_BYTES=256
set -euo pipefail

AB=${AUTHBENCH_BIN:-build/rel/bench/authbench}
CLIENTS=${CLIENTS:-50}
THREADS=${THREADS:-1}
PIPELINES=${PIPELINES:-"1 16"}
DURATION=${DURATION:-10}
WARMUP=${WARMUP:-2}
ROUNDS=${ROUNDS:-3}
SESSIONS=${SESSIONS:-1000}
VALUE_BYTES=${VALUE_BYTES:-256}

for tool in redis-server redis-cli redis-benchmark; do
  command -v "$tool" >/dev/null || { echo "compare-redis: $tool is not installed (scripts/setup.sh installs it)" >&2; exit 1; }
done
[ -x "$AB" ] || { echo "compare-redis: no authbench program at $AB (set AUTHBENCH_BIN)" >&2; exit 1; }

tmp=$(mktemp -d)
redis_pid=""
cleanup() {
  if [ -n "$redis_pid" ]; then
    kill "$redis_pid" 2>/dev/null || true
    wait "$redis_pid" 2>/dev/null || true
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# A loopback port nothing answers on.
free_port() {
  local p
  for _ in $(seq 100); do
    p=$((20000 + RANDOM % 40000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
      echo "$p"
      return 0
    fi
  done
  echo "compare-redis: no free port found" >&2
  return 1
}

port=$(free_port)
redis-server --port "$port" --bind 127.0.0.1 --dir "$tmp" --save "" --appendonly no --daemonize no \
  --logfile "$tmp/redis.log" &
redis_pid=$!
for _ in $(seq 100); do
  redis-cli -p "$port" ping >/dev/null 2>&1 && break
  sleep 0.05
done
redis-cli -p "$port" ping >/dev/null || { echo "compare-redis: redis-server did not start (see $tmp/redis.log)" >&2; exit 1; }
uri="redis://127.0.0.1:$port"

# Median of the numbers on stdin.
median() { sort -g | awk '{v[NR]=$1} END {print (NR % 2) ? v[(NR+1)/2] : (v[NR/2] + v[NR/2+1]) / 2}'; }

# store-bench GET at pipeline $1: prints "ops/s client-CPU-µs/op ops-per-round-trip" (its sessions stay
# in Redis).
store_bench() {
  local out
  out=$("$AB" store-bench --store "$uri" --op get --threads "$THREADS" --clients "$CLIENTS" --pipeline "$1" --sessions "$SESSIONS" \
        --value-bytes "$VALUE_BYTES" --duration "$DURATION" --warmup "$WARMUP" --json 2>"$tmp/sb.err") || {
    cat "$tmp/sb.err" >&2
    exit 1
  }
  grep -q '"errors":0,' <<<"$out" || { echo "compare-redis: store-bench reported errors: $out" >&2; exit 1; }
  echo "$(sed -n 's/.*"ops_per_sec":\([0-9.e+]*\).*/\1/p' <<<"$out")" \
       "$(sed -n 's/.*"client_cpu_us_per_op":\([0-9.e+-]*\).*/\1/p' <<<"$out")" \
       "$(sed -n 's/.*"ops_per_round_trip":\([0-9.e+-]*\).*/\1/p' <<<"$out")"
}

# SESSIONS copies of the record at key $1 under keys as long as it, "sess:rrr…" + 12 digits (what
# redis-benchmark's __rand_int__ becomes); prints the pattern redis-benchmark reads.
copy_keys() {
  local pad last
  pad=$(printf 'r%.0s' $(seq $(( ${#1} - 5 - 12 ))))
  redis-cli -p "$port" eval "local v = redis.call('GET', KEYS[1])
    for i = 0, tonumber(ARGV[1]) - 1 do redis.call('SET', ARGV[2] .. string.format('%012d', i), v) end
    return 1" 1 "$1" "$SESSIONS" "sess:$pad" >/dev/null
  last="sess:$pad$(printf '%012d' $((SESSIONS - 1)))"
  [ "$(redis-cli -p "$port" strlen "$last")" = "$(redis-cli -p "$port" strlen "$1")" ] && [ ${#last} -eq ${#1} ] ||
    { echo "compare-redis: the copies for redis-benchmark were not made ($last)" >&2; exit 1; }
  echo "sess:${pad}__rand_int__"
}

# redis-benchmark GET of keys $2 (random among SESSIONS) at pipeline $1 for about DURATION seconds at
# rate $3: prints "requests/s client-CPU-µs/request" (its whole CPU time, user + sys, over its requests).
redis_bench() {
  local n rps cpu TIMEFORMAT='%U %S'
  n=$(awk -v r="$3" -v d="$DURATION" 'BEGIN {n = int(r * d); print (n < 100000) ? 100000 : n}')
  { time redis-benchmark -p "$port" -c "$CLIENTS" -P "$1" -n "$n" -r "$SESSIONS" --csv GET "$2" >"$tmp/rb.out"; } 2>"$tmp/rb.time"
  rps=$(tail -1 "$tmp/rb.out" | cut -d, -f2 | tr -d '"')
  cpu=$(awk -v n="$n" '{print ($1 + $2) * 1e6 / n}' "$tmp/rb.time")
  echo "$rps $cpu"
}

echo "compare-redis: redis-server $(redis-server --version | sed 's/.*v=\([^ ]*\).*/\1/') on 127.0.0.1:$port," \
     "$(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg)"
for p in $PIPELINES; do
  sb_all="" rb_all=""
  for r in $(seq "$ROUNDS"); do
    read -r sb sbcpu sbprt < <(store_bench "$p")
    key=$(redis-cli -p "$port" --scan --pattern 'sess:*' | grep -v '^sess:rrr' | head -1 || true)
    [ -n "$key" ] || { echo "compare-redis: no session key in Redis after store-bench" >&2; exit 1; }
    size=$(redis-cli -p "$port" strlen "$key")
    pattern=$(copy_keys "$key")
    read -r rb rbcpu < <(redis_bench "$p" "$pattern" "$sb")
    printf '  round %d  c=%d P=%-2d  store-bench %8.0f ops/s (client CPU %5.2f us/op, %5.2f ops/round trip)   redis-benchmark %8.0f req/s (client CPU %5.2f us/req)   load %s\n' \
      "$r" "$CLIENTS" "$p" "$sb" "$sbcpu" "$sbprt" "$rb" "$rbcpu" "$(cut -d' ' -f1 /proc/loadavg)"
    sb_all+="$sb"$'\n' rb_all+="$rb"$'\n'
  done
  sbm=$(printf '%s' "$sb_all" | median)
  rbm=$(printf '%s' "$rb_all" | median)
  awk -v p="$p" -v c="$CLIENTS" -v s="$sbm" -v b="$rbm" -v v="$size" -v k="$key" 'BEGIN {
    printf "c=%d P=%-2d  GET of %d B values   store-bench %.0f ops/s   redis-benchmark %.0f req/s   ratio %.2f (medians)\n",
           c, p, v, s, b, s / b }'
done
