#!/usr/bin/env bash
# End-to-end: start riox-echo.exe under Wine on ephemeral loopback ports, read
# its ready line, and run the independent native echo client against it:
# UDP datagrams of 0..9000 bytes from many sockets and 16 concurrent TCP
# connections of 256 KiB each.
#   echo.sh ECHO_CLIENT RIOX_ECHO_EXE BACKEND [extra riox-echo args]
set -euo pipefail
client=$1 server=$2 backend=$3
shift 3
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=tests/e2e/server.sh
. "$root/tests/e2e/server.sh"
e2e_start_server echo.sh "$server" "$backend" 300 "$@"
echo "server: $line"
rc=0
"$client" --host 127.0.0.1 --udp "$udp" --tcp "$tcp" --udp-sockets 8 --udp-max 9000 --udp-step 1 \
  --tcp-conns 16 --tcp-bytes 262144 --timeout 240 --quiet || rc=$?
if ! kill -0 "$pid" 2>/dev/null; then
  echo "echo.sh: riox-echo died during the run" >&2
  cat "$e2e_err" >&2
  rc=1
fi
kill "$pid" 2>/dev/null || true
wait "$pid" 2>/dev/null || true
pid=
exit "$rc"
