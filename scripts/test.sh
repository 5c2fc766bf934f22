#!/usr/bin/env bash
# The README's test command: install what is missing, build both trees, check
# the MSVC view of every Windows source (scripts/msvc-check.sh), install
# the library four ways and build programs against it from outside the tree
# (scripts/install-check.sh), run every
# test through CTest (Windows tests under Wine, native tests with Criterion
# under ASan+UBSan, end-to-end echo against the server under Wine).
# Exits non-zero when anything fails.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
# shellcheck source=scripts/setup.sh
. "$root/scripts/setup.sh"
riox_setup
riox_build
riox_wine_prefix

status=0
echo "== MSVC view: every Windows source as cl.exe /W4 /WX reads it (clang, Wine's SDK headers)"
"$root/scripts/msvc-check.sh" || status=1
echo "== riox as a user gets it: install Linux/Windows, static/shared; consumers via find_package and pkg-config"
"$root/scripts/install-check.sh" || status=1
echo "== native tests (Criterion, ASan+UBSan) and end-to-end echo under Wine"
ctest --test-dir build/native --output-on-failure -j 2 || status=1
echo "== fuzzing: every libFuzzer target for 10 s (scripts/fuzz.sh; corpus and regressions ran above)"
"$root/scripts/fuzz.sh" 10 || status=1
echo "== Windows tests under Wine"
ctest --test-dir build/windows --output-on-failure -j 2 || status=1
if [ "$status" -ne 0 ]; then
  echo "test.sh: FAILED"
  exit 1
fi
echo "test.sh: all tests passed"
