#!/usr/bin/env bash
# check-report-html.sh — renders RUN_DIR/report.html in headless Chromium and saves a full-page screenshot.
# usage: scripts/check-report-html.sh RUN_DIR OUT_PNG [WIDTH] [HEIGHT]   (installs chromium when missing)
set -euo pipefail

if [ $# -lt 2 ] || [ "$1" = "-h" ] || [ "$1" = "--help" ]; then
  echo "usage: $0 RUN_DIR OUT_PNG [WIDTH (1200)] [HEIGHT (12000)]" >&2
  exit 2
fi
run_dir=$1 out=$2 width=${3:-1200} height=${4:-12000}
html="$(cd "$run_dir" && pwd)/report.html"
[ -f "$html" ] || { echo "check-report-html: $html not found (run 'authbench report $run_dir' first)" >&2; exit 1; }

browser=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$browser" ]; then
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  echo "check-report-html: installing chromium" >&2
  $SUDO apt-get update -qq && $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  browser=$(command -v chromium)
fi

profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
# The page must be self-contained: no network at all while it renders.
"$browser" --headless --no-sandbox --disable-gpu --disable-background-networking --disable-component-update \
  --disable-sync --no-first-run --user-data-dir="$profile" --hide-scrollbars \
  --window-size="$width,$height" --screenshot="$(realpath -m "$out")" "file://$html" >/dev/null 2>&1
[ -s "$out" ] || { echo "check-report-html: chromium wrote no screenshot" >&2; exit 1; }
echo "check-report-html: $out (${width}x${height})"
