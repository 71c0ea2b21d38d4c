#!/usr/bin/env bash
# revocation-pushed.sh — revocation latency of jwt+pushed-denylist over PostgreSQL (LISTEN/NOTIFY) and
# memcached (a log polled every sync_ms): a private PostgreSQL (initdb into a temp dir, trust for the
# user authbench, as the postgres user when root) and a private memcached on free loopback ports, two
# `authbench serve --threads 2` per mechanism, `authbench revocation` across them; everything it
# started is stopped by a trap. The figures are in bench/revoke/README.md.
#
# usage: scripts/revocation-pushed.sh      (AUTHBENCH_BIN=path/to/authbench picks the program)
# knobs: SAMPLES=200 INTERVALS="1ms 100us" SYNCS="100 20"
set -euo pipefail
B=${AUTHBENCH_BIN:-$(dirname "$0")/../build/release/bench/authbench}
SAMPLES=${SAMPLES:-200}
INTERVALS=${INTERVALS:-1ms 100us}
SYNCS=${SYNCS:-100 20}
PGBIN=$(ls -d /usr/lib/postgresql/*/bin | tail -1)
D=$(mktemp -d "${TMPDIR:-/tmp}/revocation-pushed.XXXXXX")
chmod 755 "$D"
PIDS=()
cleanup() {
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    sleep 2
    for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null || true; done
    rm -rf "$D"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
as_postgres() { if [ "$(id -u)" = 0 ]; then setpriv --reuid="$(id -u postgres)" --regid="$(id -g postgres)" --clear-groups -- "$@"; else "$@"; fi; }

PGP=$(free_port)
MCP=$(free_port)
mkdir "$D/pg" && { [ "$(id -u)" != 0 ] || chown postgres "$D/pg"; }
as_postgres "$PGBIN/initdb" -D "$D/pg/data" -A trust -U authbench -E UTF8 --no-sync > "$D/initdb.log" 2>&1
as_postgres "$PGBIN/postgres" -D "$D/pg/data" -p "$PGP" -k "$D/pg" -c listen_addresses=127.0.0.1 > "$D/pg.log" 2>&1 &
PIDS+=($!)
memcached -l 127.0.0.1 -p "$MCP" -U 0 -m 64 $([ "$(id -u)" = 0 ] && echo -u nobody) > "$D/mc.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 100); do "$PGBIN/pg_isready" -h 127.0.0.1 -p "$PGP" -q && break; sleep 0.2; done
mkdir "$D/k" && "$B" jwt keygen --alg ES256 --out "$D/k/es" > /dev/null

# One mechanism over two servers at one probe interval.
measure() {
    local m=$1 iv=$2 p1 p2 s1 s2
    p1=$(free_port)
    p2=$(free_port)
    "$B" serve --mechanism "$m" --key "$D/k/es.key" --listen "127.0.0.1:$p1" --threads 2 > "$D/s1.log" 2>&1 &
    s1=$!
    "$B" serve --mechanism "$m" --key "$D/k/es.key" --listen "127.0.0.1:$p2" --threads 2 > "$D/s2.log" 2>&1 &
    s2=$!
    PIDS+=("$s1" "$s2")
    for _ in $(seq 100); do grep -q listening "$D/s1.log" && grep -q listening "$D/s2.log" && break; sleep 0.1; done
    echo "== $m, probe interval $iv, load average $(cut -d' ' -f1 /proc/loadavg)"
    "$B" revocation --targets "127.0.0.1:$p1,127.0.0.1:$p2" --samples "$SAMPLES" --probe-interval "$iv"
    kill "$s1" "$s2"
    wait "$s1" "$s2" 2>/dev/null || true
}
for iv in $INTERVALS; do
    measure "jwt+pushed-denylist:ES256,postgres://authbench@127.0.0.1:$PGP/postgres" "$iv"
    for s in $SYNCS; do
        measure "jwt+pushed-denylist:ES256,memcached://127.0.0.1:$MCP?sync_ms=$s" "$iv"
    done
done
