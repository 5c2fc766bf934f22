#!/usr/bin/env bash
# CTest's emulator for the Windows tree: run one test program under Wine
# (through wine-run.sh's private prefix and quiet defaults) and, when it
# fails, say how it ended. A program that fails prints why; this line is
# for the rare failure that prints nothing (a process that dies before its
# output is flushed, or Wine itself failing to start it), so the CI log
# still shows the exit status and how long the run took.
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
start=$(date +%s%N)
"$here/wine-run.sh" "$@"
rc=$?
if [ "$rc" -ne 0 ] && [ "$rc" -ne 77 ]; then
  ms=$((($(date +%s%N) - start) / 1000000))
  printf 'wine-test.sh: %s exited with status %d (0x%x) after %d ms\n' "${1:-?}" "$rc" "$rc" "$ms" >&2
fi
exit "$rc"
