#!/usr/bin/env bash
# setup.sh — install the Debian packages authbench needs, only those missing (idempotent, fast when all is there).
# It says what it does while apt works: one line per step and one per tenth of apt's progress. Two
# copies may run at once: each waits for apt's and dpkg's locks, and the second finds less to install.
set -euo pipefail

# python3 runs tests/jwt/check_micro.py and tests/jwt/interop.py; python3-jwcrypto is the independent
# JOSE implementation the interop test checks us against (Debian 12 packages it; joserfc it does not).
PKGS=(build-essential cmake pkg-config clang libclang-rt-14-dev
      libssl-dev libhiredis-dev libcjson-dev libbenchmark-dev libcmocka-dev libjwt-dev libhttp-parser-dev
      gnuplot-nox redis-server redis-tools wrk valgrind python3 python3-jwcrypto)

missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
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

# Runs apt-get "$@" with its output in $log and its status lines (APT::Status-Fd) turned into a
# line per tenth of each phase (download, install); on failure one line with apt's first error.
apt_step() {
  local what=$1; shift
  echo "setup: $what" >&2
  if ! $SUDO apt-get -o DPkg::Lock::Timeout=600 -o APT::Status-Fd=3 "$@" 3>&1 >"$log" 2>&1 </dev/null |
       awk -F: '$1 ~ /^(dl|pm)status$/ {
                  step = int($3 / 10); phase = ($1 == "dlstatus") ? "downloading" : "installing"
                  if (phase != last || step > shown) { printf "setup:   %s %3d%% %s\n", phase, $3, $4; fflush() }
                  last = phase; shown = step }' >&2; then
    local err
    err=$(grep -m1 '^E:' "$log" || tail -n1 "$log")
    echo "setup: cannot $what: ${err:-apt-get failed}" >&2
    exit 1
  fi
}

apt_step "updating the package lists (apt-get update)" update
apt_step "installing ${missing[*]}" install -y --no-install-recommends "${missing[@]}"
echo "setup: installed ${missing[*]}" >&2
# Debian's redis-server package starts a system instance on 6379; authbench never uses it, and
# leaving it running would only steal CPU from measurements.
if [[ " ${missing[*]} " == *" redis-server "* ]] && command -v systemctl >/dev/null; then
  $SUDO systemctl disable --now redis-server >/dev/null 2>&1 || true
fi
