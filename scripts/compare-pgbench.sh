#!/usr/bin/env bash
# compare-pgbench.sh — `authbench store-bench` PostgreSQL GET throughput against pgbench running the
# same SELECT by primary key with the same clients, on one private PostgreSQL (initdb into a temp dir,
# free loopback port, stopped by a trap), in alternating rounds; prints every round, the medians and
# the ratio store-bench / pgbench. In the same rounds store-bench GETs from a private redis-server and
# memcached, so the three stores' figures come from one run on one machine state.
#
# The same work on both sides: store-bench prepares
#   SELECT data, last_seen_ms, (extract(epoch FROM expires_at) * 1000)::int8 FROM authbench_sessions WHERE id = $1
# (session_store/src/pg_store.c) and runs it with one statement in flight per connection
# (--pipeline 1), as pgbench -M prepared does with the custom script below. pgbench reads random rows
# among SESSIONS copies of one of store-bench's rows (keys of 19 digits: pgbench's integers, against
# store-bench's 22-character ids), so both read random keys of one table and index. pgbench can only
# ask for text results: its sessions run with bytea_output=escape, in which the record (ASCII JSON and
# one newline) comes back at nearly its own size, as store-bench's binary results do (hex would double
# it). Rounds alternate store-bench, pgbench, pgbench in pipeline mode, store-bench redis, store-bench
# memcached; the 1-minute load average ends each round: the machine's other work weighs on all.
#
# The figure is the median of the rounds' ratios store-bench / pgbench (each round's two runs are
# neighbours in time, so a machine whose load drifts between rounds moves both), beside the ratio of
# the medians. On 2 CPUs the client competes with the CLIENTS backends and whatever else runs: when the
# machine is busy the single-threaded client is what is short of CPU, and the ratio tends to the
# ratio of the two clients' CPU per GET — printed for both (user + sys; pgbench's over its whole
# run, its 16 connects included, a few ms). What the two clients still do differently per GET:
# store-bench's engine runs libpq in pipeline mode (it pipelines when a server submits while a
# statement is in flight), whose Sync per statement libpq answers with a result object of its own,
# and it decodes and CRC-checks the session record it read; pgbench does neither. The third
# client, pgbench with \startpipeline/\endpipeline around the SELECT, runs the statement in
# pipeline mode with its own Sync as store-bench does: the same libpq protocol on both sides.
# Client instructions per GET (valgrind --tool=callgrind, user space, c=16): store-bench 9,260
# (libpq's parsing 3,700, the record's decode and CRC 1,140), pgbench 7,380, pgbench pipelined 8,890.
# System calls per GET (strace -c -f): store-bench one send, one recv, 0.09 epoll_wait; pgbench one
# send, 1.36 recv, 0.03 ppoll (a getsockopt per reply for the byte counters is gone from
# session_store/src/pg_async.c: they read TCP_INFO when asked). ROUNDS=5 on 2026-12-04 beside a
# benchmark run and four builds, 1-minute load average 15-18 on 2 CPUs: store-bench 22,548 ops/s,
# pgbench 15,685 tps, ratio 0.99 (median of the rounds' ratios; 0.84-3.67 round to round), against
# pgbench pipelined 1.28; client CPU per GET 11.4 us, 11.2 us, 11.4 us (medians). Again after
# merging main, load 10-15: ratio 1.05 (0.55-1.26; ratio of the medians 0.82), pipelined 1.05, CPU
# per GET 11.1 us, 10.3 us, 10.5 us. The ratio of one round moves with the load; its median holds.
#
# usage: scripts/compare-pgbench.sh          (AUTHBENCH_BIN=path/to/authbench picks the program)
# knobs: CLIENTS=16 THREADS=1 DURATION=10 WARMUP=2 ROUNDS=3 SESSIONS=1000 VALUE_BYTES=256
set -euo pipefail

AB=${AUTHBENCH_BIN:-build/release/bench/authbench}
CLIENTS=${CLIENTS:-16}
THREADS=${THREADS:-1}
DURATION=${DURATION:-10}
WARMUP=${WARMUP:-2}
ROUNDS=${ROUNDS:-3}
SESSIONS=${SESSIONS:-1000}
VALUE_BYTES=${VALUE_BYTES:-256}

PGBIN=$(dirname "$(ls -d /usr/lib/postgresql/*/bin/initdb 2>/dev/null | sort -V | tail -1)" 2>/dev/null || true)
for tool in "$PGBIN/initdb" "$PGBIN/postgres" "$PGBIN/pgbench" psql redis-server memcached; do
  command -v "$tool" >/dev/null || { echo "compare-pgbench: $tool is not installed (scripts/setup.sh installs it)" >&2; exit 1; }
done
[ -x "$AB" ] || { echo "compare-pgbench: no authbench program at $AB (set AUTHBENCH_BIN)" >&2; exit 1; }

tmp=$(mktemp -d)
pids=()
cleanup() {
  local p
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# PostgreSQL refuses to run as root: as the postgres user then (setpriv execs, so the pid is the server's).
asuser=()
if [ "$(id -u)" = 0 ]; then
  asuser=(setpriv --reuid="$(id -u postgres)" --regid="$(id -g postgres)" --clear-groups --)
  chown postgres: "$tmp"
fi

free_port() {
  local p
  for _ in $(seq 100); do
    p=$((20000 + RANDOM % 40000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "$p"; return 0; fi
  done
  echo "compare-pgbench: no free port found" >&2
  return 1
}

# Waits until "$@" succeeds (up to 10 s).
wait_for() {
  for _ in $(seq 200); do "$@" >/dev/null 2>&1 && return 0; sleep 0.05; done
  return 1
}

# Starts server $1 ("$2…" its command line, PORT in it replaced by a free port) and waits until
# "check PORT" answers; a port taken in between is tried again (3 times). Sets $port.
start_server() {
  local name=$1 check=$2 try
  shift 2
  for try in 1 2 3; do
    port=$(free_port)
    "${@//PORT/$port}" >"$tmp/$name.log" 2>&1 &
    pids+=($!)
    wait_for "$check" "$port" && return 0
    kill "${pids[-1]}" 2>/dev/null || true
  done
  echo "compare-pgbench: $name did not start:" >&2; cat "$tmp/$name.log" >&2
  exit 1
}
pg_up() { psql -X -q -At -h 127.0.0.1 -p "$1" -U authbench -d postgres -c "SELECT 1"; }
redis_up() { redis-cli -p "$1" ping; }
mc_up() { bash -c "exec 3<>/dev/tcp/127.0.0.1/$1"; }

"${asuser[@]}" "$PGBIN/initdb" -D "$tmp/data" -A trust -U authbench -E UTF8 --no-sync >"$tmp/initdb.log" 2>&1 ||
  { echo "compare-pgbench: initdb failed (see below)" >&2; cat "$tmp/initdb.log" >&2; exit 1; }
start_server postgres pg_up "${asuser[@]}" "$PGBIN/postgres" -D "$tmp/data" -p PORT -k "$tmp" \
  -c listen_addresses=127.0.0.1 -c max_connections=200
pgport=$port
psqlc() { psql -X -q -At -h 127.0.0.1 -p "$pgport" -U authbench -d postgres -c "$1"; }
start_server redis redis_up redis-server --port PORT --bind 127.0.0.1 --dir "$tmp" --save "" --appendonly no \
  --daemonize no
rport=$port
mcuser=(); [ "$(id -u)" = 0 ] && mcuser=(-u nobody)
start_server memcached mc_up memcached -l 127.0.0.1 -p PORT -U 0 -m 256 -c 4096 "${mcuser[@]}"
mport=$port

# timeout_ms: pgbench waits for a reply as long as it takes; store-bench's default 2 s, which a
# backend stalled by a busy machine did exceed (one GET in 92,000 at load 14), would fail the
# operation and reconnect. Both wait alike; a stall shows in the latency, not as an error.
pguri="postgres://authbench@127.0.0.1:$pgport/postgres?timeout_ms=60000"
median() { sort -g | awk '{v[NR]=$1} END {print (NR % 2) ? v[(NR+1)/2] : (v[NR/2] + v[NR/2+1]) / 2}'; }

# store-bench GET on $1: prints "ops/s p50-µs p99-µs client-CPU-µs/op".
store_bench() {
  local out
  out=$("$AB" store-bench --store "$1" --op get --threads "$THREADS" --clients "$CLIENTS" --pipeline 1 \
        --sessions "$SESSIONS" --value-bytes "$VALUE_BYTES" --duration "$DURATION" --warmup "$WARMUP" --json \
        2>"$tmp/sb.err") || { cat "$tmp/sb.err" >&2; exit 1; }
  grep -q '"errors":0,' <<<"$out" || { echo "compare-pgbench: store-bench reported errors: $out" >&2; exit 1; }
  echo "$(sed -n 's/.*"ops_per_sec":\([0-9.e+]*\).*/\1/p' <<<"$out")" \
       "$(sed -n 's/.*"p50":\([0-9.e+]*\).*/\1/p' <<<"$out")" \
       "$(sed -n 's/.*"p99":\([0-9.e+]*\).*/\1/p' <<<"$out")" \
       "$(sed -n 's/.*"client_cpu_us_per_op":\([0-9.e+-]*\).*/\1/p' <<<"$out")"
}

# SESSIONS copies of one of store-bench's rows under 19-digit keys, and pgbench's scripts reading them
# (get.sql as pgbench -M prepared runs any statement; getp.sql in pipeline mode, one Sync each).
copy_rows() {
  psqlc "DELETE FROM authbench_sessions WHERE id ~ '^[0-9]{19}\$';
         INSERT INTO authbench_sessions SELECT (1000000000000000000 + n)::text, s.data, s.last_seen_ms, s.expires_at
         FROM (SELECT * FROM authbench_sessions LIMIT 1) s CROSS JOIN generate_series(0, $SESSIONS - 1) n; ANALYZE authbench_sessions"
  cat >"$tmp/get.sql" <<SQL
\\set k 1000000000000000000 + random(0, $SESSIONS - 1)
SELECT data, last_seen_ms, (extract(epoch FROM expires_at) * 1000)::int8 FROM authbench_sessions WHERE id = :k;
SQL
  { sed -n 1p "$tmp/get.sql"; echo '\startpipeline'; sed -n 2p "$tmp/get.sql"; echo '\endpipeline'; } >"$tmp/getp.sql"
}

# pgbench with script $1: prints its tps (without the initial connection time) and its client CPU
# (user + sys over its whole run) per transaction in µs.
pg_bench() {
  local TIMEFORMAT='%U %S'
  { time PGOPTIONS="-c bytea_output=escape" "$PGBIN/pgbench" -n -M prepared -f "$tmp/$1" -c "$CLIENTS" \
      -j "$THREADS" -T "$DURATION" -h 127.0.0.1 -p "$pgport" -U authbench postgres >"$tmp/pgb.out" 2>&1 ||
    { cat "$tmp/pgb.out" >&2; exit 1; }; } 2>"$tmp/pgb.time"
  if grep -q '^number of failed transactions: [1-9]' "$tmp/pgb.out"; then
    echo "compare-pgbench: pgbench had failed transactions:" >&2; cat "$tmp/pgb.out" >&2; exit 1
  fi
  echo "$(sed -n 's/^tps = \([0-9.]*\) (without initial connection time)/\1/p' "$tmp/pgb.out")" \
       "$(awk -v n="$(sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' "$tmp/pgb.out")" \
          '{print (n > 0) ? ($1 + $2) * 1e6 / n : -1}' "$tmp/pgb.time")"
}

echo "compare-pgbench: PostgreSQL $(psqlc 'SHOW server_version') on 127.0.0.1:$pgport," \
     "redis $(redis-server --version | sed 's/.*v=\([^ ]*\).*/\1/'), memcached $(memcached -V | cut -d' ' -f2)," \
     "$(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "  c=$CLIENTS, one statement/GET in flight per connection, GET of $VALUE_BYTES B claims among $SESSIONS sessions, ${DURATION}s per figure"
all=""  # one line per round: sb pb pp sbcpu pbcpu ppcpu rd mc load
for r in $(seq "$ROUNDS"); do
  read -r sb sb50 sb99 sbcpu < <(store_bench "$pguri")
  copy_rows
  read -r pb pbcpu < <(pg_bench get.sql)
  [ -n "$pb" ] || { echo "compare-pgbench: no tps in pgbench's output:" >&2; cat "$tmp/pgb.out" >&2; exit 1; }
  read -r pp ppcpu < <(pg_bench getp.sql)
  [ -n "$pp" ] || { echo "compare-pgbench: no tps in pgbench's output:" >&2; cat "$tmp/pgb.out" >&2; exit 1; }
  read -r rd rd50 rd99 rdcpu < <(store_bench "redis://127.0.0.1:$rport")
  read -r mc mc50 mc99 mccpu < <(store_bench "memcached://127.0.0.1:$mport")
  load=$(cut -d' ' -f1 /proc/loadavg)
  printf '  round %d  postgres: store-bench %6.0f ops/s (p50 %.0f us, p99 %.0f us, client CPU %.1f us/op)  pgbench %6.0f tps (client CPU %.1f us/tx) ratio %.2f  pgbench pipelined %6.0f tps (client CPU %.1f us/tx) ratio %.2f   redis %6.0f ops/s (p99 %.0f us)   memcached %6.0f ops/s (p99 %.0f us)   load %s\n' \
    "$r" "$sb" "$sb50" "$sb99" "$sbcpu" "$pb" "$pbcpu" "$(awk -v a="$sb" -v b="$pb" 'BEGIN {print a / b}')" \
    "$pp" "$ppcpu" "$(awk -v a="$sb" -v b="$pp" 'BEGIN {print a / b}')" "$rd" "$rd99" "$mc" "$mc99" "$load"
  all+="$sb $pb $pp $sbcpu $pbcpu $ppcpu $rd $mc $load"$'\n'
done
col() { printf '%s' "$all" | awk -v k="$1" '{print $k}' | median; }
ratios() { printf '%s' "$all" | awk -v k="$1" '{print $1 / $k}' | median; }
awk -v c="$CLIENTS" -v n="$ROUNDS" -v s="$(col 1)" -v b="$(col 2)" -v p="$(col 3)" -v rb="$(ratios 2)" -v rp="$(ratios 3)" \
    -v sc="$(col 4)" -v bc="$(col 5)" -v pc="$(col 6)" -v r="$(col 7)" -v m="$(col 8)" -v l="$(col 9)" 'BEGIN {
  printf "c=%d P=1  PostgreSQL GET  store-bench %.0f ops/s   pgbench %.0f tps   ratio %.2f (median of %d rounds'"'"' ratios; ratio of the medians %.2f)\n", c, s, b, rb, n, s / b
  printf "c=%d P=1  PostgreSQL GET  store-bench %.0f ops/s   pgbench pipelined %.0f tps   ratio %.2f (median of %d rounds'"'"' ratios; ratio of the medians %.2f)\n", c, s, p, rp, n, s / p
  printf "c=%d P=1  client CPU per GET (medians): store-bench %.1f us   pgbench %.1f us   pgbench pipelined %.1f us   (1-minute load average, median of the rounds: %s)\n", c, sc, bc, pc, l
  printf "c=%d P=1  store-bench GET medians: postgres %.0f ops/s   redis %.0f ops/s   memcached %.0f ops/s\n", c, s, r, m }'
