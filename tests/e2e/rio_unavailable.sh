#!/usr/bin/env bash
# riox-echo --backend rio where RIO is absent (Wine, no emulation opt-in)
# must exit non-zero with a message that says RIO is unavailable; it must not
# fall back to IOCP silently.
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
unset RIOX_RIO_EMULATION RIOX_BACKEND
out=$(timeout 60 "$root/scripts/wine-run.sh" "$1" --udp 0 --backend rio --seconds 5 2>&1)
rc=$?
echo "$out"
if [ "$rc" -eq 0 ]; then
  echo "rio_unavailable.sh: expected a non-zero exit, got 0" >&2
  exit 1
fi
if grep -q '^ready ' <<<"$out"; then
  echo "rio_unavailable.sh: the server started anyway" >&2
  exit 1
fi
if ! grep -qi 'Registered I/O is not usable' <<<"$out"; then
  echo "rio_unavailable.sh: the message does not say RIO is unavailable" >&2
  exit 1
fi
echo "rio_unavailable.sh: PASS (exit $rc)"
