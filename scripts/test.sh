#!/usr/bin/env bash
# Quick start, step 2: the whole test suite. A normal build (build/) and an ASan+UBSan build
# (build-asan/), each running every CTest test (unit, golden, diag, cli, e2e, fuzz-corpus replay).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
jobs=$(nproc)
run_suite() {
  local dir=$1; shift
  echo "== $dir: configure and build"
  cmake -S . -B "$dir" -DOPENMIG_WERROR=ON "$@" >/dev/null
  cmake --build "$dir" -j"$jobs"
  echo "== $dir: tests"
  ctest --test-dir "$dir" -j"$jobs" --output-on-failure --timeout 300
}
run_suite build -DCMAKE_BUILD_TYPE=RelWithDebInfo
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  run_suite build-asan -DCMAKE_BUILD_TYPE=Debug -DOPENMIG_SANITIZE=ON
echo "== all tests passed"
