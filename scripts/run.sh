#!/usr/bin/env bash
# run.sh — the main job on a fresh machine: install what is missing, build a Release tree, run the
# quick scenario (`authbench run --quick`) and say where the run directory and the report are.
# Extra arguments go to `authbench run` (e.g. scripts/run.sh --no-micro, or --scenario FILE
# instead of the quick one: give --full to run the built-in default matrix).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh
build=${AUTHBENCH_RUN_BUILD:-build/release}
# Tests are not needed to run; authbench_micro is built when libbenchmark-dev is there, with its
# libjwt peer when libjwt-dev is (setup installs both).
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DAUTHBENCH_BUILD_TESTS=OFF >/dev/null
cmake --build "$build" -j"$(nproc)" >/dev/null

mode=(--quick)
args=()
for a in "$@"; do
  case "$a" in
    --full) mode=() ;;
    --scenario) mode=(); args+=("$a") ;;
    *) args+=("$a") ;;
  esac
done

start=$(date +%s)
"$build/bench/authbench" run "${mode[@]}" "${args[@]}"
echo "run.sh: the run took $(( $(date +%s) - start )) s after the build" >&2
