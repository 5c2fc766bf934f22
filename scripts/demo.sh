#!/usr/bin/env bash
# The README's main-job command: install what is missing, build, print the
# capability probe, then run riox-echo under Wine and drive it with the
# independent Linux echo client (UDP and TCP), printing what happened.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
. "$root/scripts/setup.sh"
riox_setup
riox_build >/dev/null
riox_wine_prefix
run="$root/scripts/wine-run.sh"

echo "== riox-probe (under Wine: no RIO here, IOCP is used)"
"$run" build/windows/bin/riox-probe.exe
"$run" build/windows/bin/riox-probe.exe --json

for backend in iocp; do
  echo
  echo "== riox-echo --backend $backend, driven by build/native/bin/echo_client"
  tests/e2e/echo.sh build/native/bin/echo_client build/windows/bin/riox-echo.exe "$backend"
done
