#!/usr/bin/env bash
# fuzz.sh — builds the libFuzzer targets of tests/fuzz with clang (ASan+UBSan) in their own tree and
# runs each for a bounded time. Crashes land in <build>/crashes/, the growing corpus in
# <build>/corpus/<target>; the seeds are regenerated from the test vectors every time.
#   scripts/fuzz.sh [--seconds N] [--runs N] [TARGET…]      (default: every target, 60 s each)
# Extra libFuzzer flags: FUZZ_FLAGS="-jobs=2 …". Exit status 1 when a target crashed or failed.
set -euo pipefail
cd "$(dirname "$0")/.."

targets_all=(jwt_verify key_load serve_http scenario requirements file_record mc_reply)
seconds=60
runs=""
targets=()
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) seconds=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    -h|--help) sed -n '2,6p' "$0"; exit 0 ;;
    -*) echo "fuzz.sh: unknown option $1" >&2; exit 2 ;;
    *) targets+=("$1"); shift ;;
  esac
done
[ ${#targets[@]} -gt 0 ] || targets=("${targets_all[@]}")
for t in "${targets[@]}"; do
  [[ " ${targets_all[*]} " == *" $t "* ]] || { echo "fuzz.sh: unknown target $t (${targets_all[*]})" >&2; exit 2; }
done

build=${AUTHBENCH_FUZZ_BUILD:-build/fuzz}
CC=clang cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DAUTHBENCH_FUZZ=ON -DAUTHBENCH_SANITIZE=ON \
      -DAUTHBENCH_BUILD_MICRO=OFF >/dev/null
cmake --build "$build" --target authbench_fuzz -j2 >/dev/null
mkdir -p "$build/crashes" "$build/seeds"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

# Inputs up to 16 KiB: enough to pass serve's 8 KiB header limit and to hold the default scenario.
limit=(-max_total_time="$seconds" -timeout=25 -max_len=16384 -print_final_stats=1)
[ -z "$runs" ] || limit+=(-runs="$runs")
failed=()
for t in "${targets[@]}"; do
  seeds="$build/seeds/$t" corpus="$build/corpus/$t"
  mkdir -p "$corpus"
  "$build/tests/fuzz/fuzz_${t}_replay" --write-seeds "$seeds" >/dev/null
  echo "fuzz.sh: $t for ${runs:+$runs runs or }${seconds}s" >&2
  # shellcheck disable=SC2086 # FUZZ_FLAGS is a list of flags
  if ! "$build/tests/fuzz/fuzz_$t" "${limit[@]}" -artifact_prefix="$build/crashes/$t-" ${FUZZ_FLAGS:-} \
         "$corpus" "$seeds" >"$build/$t.log" 2>&1; then
    failed+=("$t")
    tail -n 40 "$build/$t.log" >&2
  fi
  grep -E '^(stat::number_of_executed_units|#[0-9]+ +DONE)' "$build/$t.log" >&2 || true
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz.sh: FAILED: ${failed[*]} (inputs in $build/crashes/, logs in $build/<target>.log)" >&2
  exit 1
fi
echo "fuzz.sh: ${#targets[@]} target(s) ran clean" >&2
