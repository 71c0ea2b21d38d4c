#!/usr/bin/env bash
# setup.sh — install the Debian packages authbench needs, only those missing (idempotent, fast when all is there).
# It says what it does while apt works: one line per step and one per tenth of apt's progress. Two
# copies may run at once: one waits while the other holds apt's or dpkg's locks (up to 10 minutes),
# then finds less to install. When apt cannot install, one line says why.
set -euo pipefail

# python3 runs tests/jwt/check_micro.py and tests/jwt/interop.py; python3-jwcrypto is the independent
# JOSE implementation the interop test checks us against (Debian 12 packages it; joserfc it does not).
PKGS=(build-essential cmake pkg-config clang libclang-rt-14-dev
      libssl-dev libhiredis-dev libcjson-dev libbenchmark-dev libcmocka-dev libjwt-dev libhttp-parser-dev
      gnuplot-nox redis-server redis-tools wrk valgrind python3 python3-jwcrypto
      libpq-dev postgresql postgresql-contrib memcached)
# (libmemcached-dev is not needed: memcached:// speaks the protocol itself, session_store/src/mc_async.c)

declare -A installed=()
while read -r name status; do
  [ "$status" = ii ] && installed[$name]=1
done < <(dpkg-query -W -f='${Package} ${db:Status-Abbrev}\n' "${PKGS[@]}" 2>/dev/null || true)
missing=()
for p in "${PKGS[@]}"; do
  [ -n "${installed[$p]:-}" ] || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "setup: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
  SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
log=$(mktemp -t authbench-setup.XXXXXX)
trap 'rm -f "$log"' EXIT

# Runs apt-get "$@" once with its output in $log, its status lines (APT::Status-Fd) turned into a
# line per tenth of each phase (download, install).
apt_once() {
  $SUDO apt-get -o APT::Status-Fd=3 "$@" 3>&1 >"$log" 2>&1 </dev/null |
    awk -F: '$1 ~ /^(dl|pm)status$/ {
               step = int($3 / 10); phase = ($1 == "dlstatus") ? "downloading" : "installing"
               if (phase != last || step > shown) { printf "setup:   %s %3d%% %s\n", phase, $3, $4; fflush() }
               last = phase; shown = step }' >&2
}

# apt_once, again every 2 s while another apt holds one of apt's or dpkg's locks (saying so every
# 30 s, up to 10 minutes); on failure one line with apt's first error.
apt_step() {
  local what=$1 waited=0 err; shift
  echo "setup: $what" >&2
  until apt_once "$@"; do
    if grep -q '^E: Could not get lock' "$log" && [ "$waited" -lt 600 ]; then
      [ $((waited % 30)) -ne 0 ] || echo "setup:   waiting for another apt-get to finish (${waited} s): $(grep -m1 -o 'held by process.*' "$log")" >&2
      sleep 2; waited=$((waited + 2))
      continue
    fi
    err=$(grep -m1 '^E:' "$log" || tail -n1 "$log")
    echo "setup: failed $what: ${err:-apt-get failed}" >&2
    exit 1
  done
}

apt_step "updating the package lists (apt-get update)" update
apt_step "installing ${missing[*]}" install -y --no-install-recommends "${missing[@]}"
echo "setup: installed ${missing[*]}" >&2
# Debian's redis-server package starts a system instance on 6379; authbench never uses it, and
# leaving it running would only steal CPU from measurements.
if [[ " ${missing[*]} " == *" redis-server "* ]] && command -v systemctl >/dev/null; then
  $SUDO systemctl disable --now redis-server >/dev/null 2>&1 || true
fi
