#!/usr/bin/env bash
# scripts/fuzz.sh [SECONDS]: build every libFuzzer target of tests/fuzz in
# build/fuzz (clang, -fsanitize=fuzzer,address,undefined; cmake/fuzz.cmake)
# and run each for SECONDS (default 60), starting from its seed corpus and
# its regression inputs (tests/fuzz/corpus/<target>,
# tests/fuzz/regressions/<target>). New inputs go to build/fuzz/corpus/
# <target>, crashes to build/fuzz/crashes/<target>/ (copy one into
# tests/fuzz/regressions/<target>/ with the fix that it found). Exits
# non-zero when a target crashed, leaked, timed out or failed a check.
set -euo pipefail
secs=${1:-60}
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build="$root/build/fuzz"
targets=(fuzz_addr fuzz_perf_proto fuzz_perf_opts fuzz_api)
cc=${RIOX_FUZZ_CC:-clang}
if ! command -v "$cc" >/dev/null; then
  echo "fuzz.sh: no $cc (Debian: clang, libclang-rt-14-dev; scripts/setup.sh installs them)" >&2
  exit 1
fi
cmake -S "$root" -B "$build" -DCMAKE_C_COMPILER="$cc" -DCMAKE_C_FLAGS="-O1 -g" \
  -DRIOX_FUZZ=ON -DRIOX_BUILD_TESTS=OFF -DRIOX_BUILD_EXAMPLES=OFF -DRIOX_INSTALL=OFF \
  -DRIOX_SANITIZE=ON -DRIOX_TEST_HOOKS=ON >/dev/null
cmake --build "$build" -j 2 >/dev/null
status=0
for t in "${targets[@]}"; do
  mkdir -p "$build/corpus/$t" "$build/crashes/$t"
  seeds=("$root/tests/fuzz/corpus/$t")
  [ -d "$root/tests/fuzz/regressions/$t" ] && seeds+=("$root/tests/fuzz/regressions/$t")
  echo "== fuzz: $t for ${secs} s"
  if ! "$build/bin/$t" -max_total_time="$secs" -timeout=30 -rss_limit_mb=2560 -print_final_stats=1 \
      -artifact_prefix="$build/crashes/$t/" "$build/corpus/$t" "${seeds[@]}" \
      >"$build/$t.log" 2>&1; then
    status=1
    echo "fuzz.sh: $t FAILED (log $build/$t.log):"
    grep -E 'ERROR|check failed|runtime error|Test unit written' "$build/$t.log" | head -20 || true
  else
    grep -E '^stat::number_of_executed_units|^stat::new_units_added' "$build/$t.log" | tr '\n' ' '
    echo
  fi
done
[ "$status" -eq 0 ] && echo "fuzz.sh: every target ran ${secs} s without a failure"
exit "$status"
