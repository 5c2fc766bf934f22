#!/usr/bin/env bash
# End-to-end: riox-echo --threads 2 (two loops on two threads sharing the
# UDP and the TCP port, RIOX_SOCK_REUSEPORT) serves the independent echo
# client correctly -- UDP datagrams of 0..9000 bytes from 32 sockets, 32
# concurrent TCP connections of 256 KiB -- and, where the OS spreads flows
# over the sockets (Linux: SO_REUSEPORT hashes each flow), both threads
# served some: 32 UDP source ports (or 32 connections) all on one thread is
# a 2^-31 chance.
#   echo_threads.sh ECHO_CLIENT RIOX_ECHO BACKEND [extra riox-echo args]
set -euo pipefail
client=$1 server=$2 backend=$3
shift 3
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=tests/e2e/server.sh
. "$root/tests/e2e/server.sh"
# The server stops by itself after this long and prints its per-thread
# statistics; the client must be done well before.
seconds=${RIOX_E2E_THREADS_SECONDS:-15}
e2e_start_server echo_threads.sh "$server" "$backend" "$seconds" --threads 2 "$@"
echo "server: $line"
grep -q ' threads=2$' <<<"$line" || { echo "echo_threads.sh: no threads=2 in the ready line" >&2; exit 1; }
start=$(date +%s)
rc=0
"$client" --host 127.0.0.1 --udp "$udp" --tcp "$tcp" --udp-sockets 32 --udp-max 9000 --udp-step 7 \
  --tcp-conns 32 --tcp-bytes 262144 --timeout "$((seconds - 5))" --quiet || rc=$?
echo "client: exit $rc after $(($(date +%s) - start)) s"
[ "$rc" -eq 0 ] || exit "$rc"
# Let the server finish on its own, then read what each thread served.
for _ in $(seq 1 $((seconds * 10 + 100))); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$pid" 2>/dev/null; then echo "echo_threads.sh: riox-echo did not stop after ${seconds} s" >&2; exit 1; fi
wait "$pid" || { echo "echo_threads.sh: riox-echo failed" >&2; cat "$e2e_err" >&2; exit 1; }
pid=
cat "$e2e_err"
for t in 0 1; do
  l=$(grep "^riox-echo: thread $t: " "$e2e_err" || true)
  [ -n "$l" ] || { echo "echo_threads.sh: no statistics for thread $t" >&2; exit 1; }
  recv=$(sed -n 's/.* recv \([0-9]*\) .*/\1/p' <<<"$l")
  accepts=$(sed -n 's/.* accepts \([0-9]*\) .*/\1/p' <<<"$l")
  echo "thread $t: receives $recv, accepts $accepts"
  [ "$recv" -gt 0 ] || { echo "echo_threads.sh: thread $t received nothing" >&2; exit 1; }
  if [ "$(uname -s)" = Linux ] && [[ $server != *.exe ]]; then
    [ "$accepts" -gt 0 ] || { echo "echo_threads.sh: thread $t accepted no connection" >&2; exit 1; }
  fi
done
echo "echo_threads.sh: both threads served"
