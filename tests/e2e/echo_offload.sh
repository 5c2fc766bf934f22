#!/usr/bin/env bash
# End-to-end, Linux: native riox-echo --offload on (RIOX_UDP_GRO, each
# coalesced receive echoed as one segmented send) against an independent raw
# client (tests/tools/gso_echo_client.c) that sends bursts of datagrams as
# UDP_SEGMENT sends and checks every datagram back -- size, bytes, order --
# and, with the offloads on, that each burst came back as one segmented send
# (coalesced at its UDP_GRO socket). With RIOX_UDP_OFFLOAD=0 in the
# environment riox splits and coalesces nothing; the datagrams must still
# all come back intact.
#   echo_offload.sh GSO_ECHO_CLIENT RIOX_ECHO BACKEND [extra riox-echo args]
set -euo pipefail
client=$1 server=$2 backend=$3
shift 3
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=tests/e2e/server.sh
. "$root/tests/e2e/server.sh"
e2e_start_server echo_offload.sh "$server" "$backend" 120 --offload on "$@"
echo "server: $line"
expect=(--expect-coalesced)
[ "${RIOX_UDP_OFFLOAD:-}" = "0" ] && expect=()
rc=0
"$client" --host 127.0.0.1 --port "$udp" --bursts 300 "${expect[@]}" || rc=$?
if ! kill -0 "$pid" 2>/dev/null; then
  echo "echo_offload.sh: riox-echo died during the run" >&2
  cat "$e2e_err" >&2
  rc=1
fi
kill "$pid" 2>/dev/null || true
wait "$pid" 2>/dev/null || true
pid=
exit "$rc"
