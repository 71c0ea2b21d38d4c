#!/usr/bin/env bash
# test.sh — the whole test suite on a fresh machine: install what is missing, build with
# ASan+UBSan and -Werror, run every test with ctest. Tests that need Redis start their own.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh
build=${AUTHBENCH_TEST_BUILD:-build/test}
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Debug -DAUTHBENCH_SANITIZE=ON -DAUTHBENCH_WERROR=ON \
      -DAUTHBENCH_WITH_LIBJWT=ON >/dev/null
cmake --build "$build" -j"$(nproc)"
# detect_leaks stays on; OpenSSL's one-time global allocations are freed at exit in OpenSSL 3.
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=0:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
ctest --test-dir "$build" --output-on-failure -j2 "$@"
