#!/usr/bin/env bash
# Regression, riox-echo "slow readers emptied the buffer pool": a TCP peer
# that sends without reading made riox-echo (completion mode) post a fresh
# pool buffer for every receive while its echoes sat unsent, until the whole
# pool was held by that peer and every other connection was refused a buffer
# (aborted at accept). Fixed: a connection holds at most two pool buffers
# (one echo in flight and one receive, or two echoes in flight).
#
# Here: a small pool (--buf-count 48), SLOW (4) peers that write 64 MiB each
# and never read, then the independent echo client (8 TCP connections of
# 64 KiB) must still be served, and the server still be alive.
#   regress_echo_slow_reader_pool.sh ECHO_CLIENT RIOX_ECHO BACKEND [riox-echo args]
set -euo pipefail
client=$1 server=$2 backend=$3
shift 3
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
slow=${SLOW:-4}
# shellcheck source=tests/e2e/server.sh
. "$root/tests/e2e/server.sh"
e2e_start_server regress_echo_slow_reader_pool.sh "$server" "$backend" 120 \
  --buf-count 48 --udp-depth 2 "$@"
echo "server: $line"
writers=()
cleanup() {
  local w
  for w in "${writers[@]}"; do kill "$w" 2>/dev/null || true; done
  e2e_stop_server
}
trap cleanup EXIT
for _ in $(seq 1 "$slow"); do
  # bash's /dev/tcp: a connection that is written to and never read.
  ( exec 3<>"/dev/tcp/127.0.0.1/$tcp" && head -c 67108864 /dev/zero >&3 ) 2>/dev/null &
  writers+=($!)
done
sleep 3 # long enough for the writers to fill every socket buffer on the way
rc=0
"$client" --host 127.0.0.1 --tcp "$tcp" --tcp-conns 8 --tcp-bytes 65536 --timeout 30 --quiet || rc=$?
if ! kill -0 "$pid" 2>/dev/null; then
  echo "regress_echo_slow_reader_pool.sh: riox-echo died" >&2
  cat "$e2e_err" >&2
  rc=1
fi
if [ "$rc" -ne 0 ]; then
  echo "FAIL: with $slow peers that do not read, riox-echo ($backend) no longer served others" >&2
  exit 1
fi
echo "regress_echo_slow_reader_pool.sh: PASS ($backend, $slow slow readers)"
