#!/usr/bin/env bash
# check-fresh-debian.sh — runs a README command as a new user would: in a minimal Debian 12 root
# (debootstrap --variant=minbase bookworm, plus git and ca-certificates), on a fresh clone of one
# commit with ../shared beside it, /proc, /sys, /dev and /dev/pts bind-mounted; prints its wall time.
#   scripts/check-fresh-debian.sh [--root DIR] [--fresh] [--commit REV] [test|run] [ARG…]
# test = scripts/test.sh (the default), run = scripts/run.sh; ARGs go to that command. The root is
# made once (default /work/chroot) and reused — what an earlier check installed stays — unless
# --fresh makes it again; the clone (/work/main in it) and the copy of shared (/work/shared) are
# made every time. Needs root. Everything mounted is unmounted on exit, also when interrupted;
# processes left inside the root are stopped first.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD

root=/work/chroot
commit=HEAD
fresh=0
while [ $# -gt 0 ]; do
  case "$1" in
    --root) root=$2; shift 2 ;;
    --commit) commit=$2; shift 2 ;;
    --fresh) fresh=1; shift ;;
    -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
    *) break ;;
  esac
done
cmd=${1:-test}
[ $# -eq 0 ] || shift
case "$cmd" in
  test|run) ;;
  *) echo "check-fresh-debian: unknown command $cmd (test or run)" >&2; exit 2 ;;
esac
[ "$(id -u)" -eq 0 ] || { echo "check-fresh-debian: needs root (debootstrap, mount, chroot)" >&2; exit 1; }
sha=$(git -C "$repo" rev-parse --verify "$commit^{commit}")
mounts=(proc sys dev dev/pts)

say() { echo "check-fresh-debian: $*" >&2; }

# The minimal root, once: debootstrap, Debian's mirrors as the host has them, no service started by
# a package's postinst (policy-rc.d), then git and ca-certificates.
make_root() {
  if [ "$fresh" -eq 1 ] && [ -e "$root" ]; then
    for m in "${mounts[@]}"; do
      mountpoint -q "$root/$m" && { say "$root/$m is mounted: not removing $root"; exit 1; }
    done
    say "removing $root (--fresh)"
    rm -rf --one-file-system "$root"
  fi
  [ -x "$root/usr/bin/apt-get" ] && return 0
  command -v debootstrap >/dev/null || apt-get install -y -qq debootstrap >/dev/null
  say "making a minimal Debian 12 root in $root (debootstrap, a few minutes)"
  debootstrap --variant=minbase bookworm "$root" http://deb.debian.org/debian >"$root.debootstrap.log" 2>&1 ||
    { say "debootstrap failed: $(tail -n1 "$root.debootstrap.log")"; exit 1; }
}

prepare_root() {
  if [ -f /etc/apt/sources.list.d/debian.sources ] && [ ! -f "$root/etc/apt/sources.list.d/debian.sources" ]; then
    cp /etc/apt/sources.list.d/debian.sources "$root/etc/apt/sources.list.d/" && rm -f "$root/etc/apt/sources.list"
  fi
  printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d" && chmod 755 "$root/usr/sbin/policy-rc.d"
  cp /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null || true
  in_root 'command -v git >/dev/null && [ -f /etc/ssl/certs/ca-certificates.crt ] ||
           { apt-get update -qq && apt-get install -y -qq --no-install-recommends git ca-certificates >/dev/null; }'
}

in_root() {
  chroot "$root" /usr/bin/env -i HOME=/root TERM="${TERM:-dumb}" LANG=C.UTF-8 \
    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin /bin/bash -c "$1"
}

mount_all() {
  for m in "${mounts[@]}"; do
    mkdir -p "$root/$m"
    mountpoint -q "$root/$m" || mount --bind "/$m" "$root/$m"
  done
}

# Stops what still runs inside the root (started by this check), then unmounts in reverse order.
cleanup() {
  trap - EXIT INT TERM HUP
  local pids=() p
  for p in /proc/[0-9]*; do
    [ "$(readlink "$p/root" 2>/dev/null)" = "$root" ] && pids+=("${p#/proc/}")
  done
  if [ ${#pids[@]} -gt 0 ]; then
    kill -TERM "${pids[@]}" 2>/dev/null || true
    sleep 2
    kill -KILL "${pids[@]}" 2>/dev/null || true
  fi
  for ((i = ${#mounts[@]} - 1; i >= 0; i--)); do
    mountpoint -q "$root/${mounts[i]}" && { umount "$root/${mounts[i]}" || umount -l "$root/${mounts[i]}"; }
  done
  return 0
}

make_root
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP
mount_all
prepare_root

say "cloning $sha into $root/work/main, copying $repo/../shared to $root/work/shared"
rm -rf "$root/work/main" "$root/work/shared"
mkdir -p "$root/work"
git clone -q --no-checkout "$repo" "$root/work/main"
git -C "$root/work/main" checkout -q --detach "$sha"
cp -a "$repo/../shared" "$root/work/shared"

script="scripts/$cmd.sh"
say "running $script${*:+ $*} inside $root"
start=$(date +%s)
rc=0
# In the background, so that a signal interrupts the wait at once and the trap cleans up.
line="cd /work/main && $script"
[ $# -eq 0 ] || line+=" $(printf '%q ' "$@")"
in_root "$line" &
wait $! || rc=$?
secs=$(( $(date +%s) - start ))
if [ "$rc" -eq 0 ]; then
  say "$script passed in ${secs} s ($(( secs / 60 )) min $(( secs % 60 )) s) wall time"
else
  say "$script FAILED (exit $rc) after ${secs} s wall time"
fi
exit "$rc"
