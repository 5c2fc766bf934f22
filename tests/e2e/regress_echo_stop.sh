#!/usr/bin/env bash
# Regression, riox-echo "a stop with open connections leaked them": when its
# run-time limit (--seconds) ended the loop while TCP connections were open,
# riox-echo closed the loop without closing them first, and each
# connection's state was leaked (LeakSanitizer's report, exit status 23).
# Also SIGINT and SIGTERM stop it the same clean way on Linux (they killed
# it before). Fixed: a stop aborts every open connection, closes the UDP
# socket and the listener, waits (bounded) for their close events, then
# closes the loop and frees what is left.
#
# Here: idle connections, one half-echoed connection and one peer that
# writes and never reads are open when the stop comes; riox-echo must exit
# by itself within 10 s with status 0 and no sanitizer report.
#   regress_echo_stop.sh RIOX_ECHO BACKEND seconds|SIGINT|SIGTERM [riox-echo args]
set -euo pipefail
server=$1 backend=$2 how=$3
shift 3
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
case $how in
seconds) limit=2 ;;
SIGINT | SIGTERM) limit=120 ;;
*) echo "regress_echo_stop.sh: stop by seconds, SIGINT or SIGTERM, not '$how'" >&2; exit 2 ;;
esac
if [ "$how" = seconds ] && ! grep -q __asan_init "$server"; then
  echo "regress_echo_stop.sh: $server is not built with AddressSanitizer: a leak cannot be seen" >&2
  exit 77
fi
# shellcheck source=tests/e2e/server.sh
. "$root/tests/e2e/server.sh"
e2e_start_server regress_echo_stop.sh "$server" "$backend" "$limit" "$@"
echo "server: $line"
writer=
cleanup() {
  if [ -n "$writer" ]; then kill "$writer" 2>/dev/null || true; fi
  e2e_stop_server
}
trap cleanup EXIT
exec 4<>"/dev/tcp/127.0.0.1/$tcp" 5<>"/dev/tcp/127.0.0.1/$tcp" 6<>"/dev/tcp/127.0.0.1/$tcp"
printf 'half-echoed' >&6
( exec 3<>"/dev/tcp/127.0.0.1/$tcp" && head -c 67108864 /dev/zero >&3 ) 2>/dev/null &
writer=$!
sleep 1
if [ "$how" != seconds ]; then kill -s "${how#SIG}" "$pid"; fi
for _ in $(seq 1 100); do
  kill -0 "$pid" 2>/dev/null || break
  sleep 0.1
done
if kill -0 "$pid" 2>/dev/null; then
  echo "FAIL: riox-echo ($backend) still runs 10 s after the stop ($how)" >&2
  exit 1
fi
st=0
wait "$pid" || st=$?
pid=
if [ "$st" -ne 0 ] || grep -q 'Sanitizer' "$e2e_err"; then
  echo "FAIL: riox-echo ($backend) stopped by $how with open connections: exit status $st" >&2
  cat "$e2e_err" >&2
  exit 1
fi
echo "regress_echo_stop.sh: PASS ($backend, stopped by $how with 4 connections open)"
