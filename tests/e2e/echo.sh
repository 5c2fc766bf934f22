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
out=$(mktemp) err=$(mktemp)
cleanup() {
  [ -n "${pid:-}" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  rm -f "$out" "$err"
}
trap cleanup EXIT
"$root/scripts/wine-run.sh" "$server" --udp 0 --tcp 0 --bind 127.0.0.1 --backend "$backend" \
  --seconds 300 "$@" >"$out" 2>"$err" &
pid=$!
for _ in $(seq 1 300); do
  grep -q '^ready ' "$out" && break
  kill -0 "$pid" 2>/dev/null || break
  sleep 0.1
done
line=$(grep -m1 '^ready ' "$out" || true)
if [ -z "$line" ]; then
  echo "echo.sh: riox-echo did not become ready" >&2
  cat "$out" "$err" >&2
  exit 1
fi
echo "server: $line"
udp=$(sed -n 's/.* udp=\([0-9]*\).*/\1/p' <<<"$line")
tcp=$(sed -n 's/.* tcp=\([0-9]*\).*/\1/p' <<<"$line")
rc=0
"$client" --host 127.0.0.1 --udp "$udp" --tcp "$tcp" --udp-sockets 8 --udp-max 9000 --udp-step 1 \
  --tcp-conns 16 --tcp-bytes 262144 --timeout 240 --quiet || rc=$?
if ! kill -0 "$pid" 2>/dev/null; then
  echo "echo.sh: riox-echo died during the run" >&2
  cat "$err" >&2
  rc=1
fi
kill "$pid" 2>/dev/null || true
wait "$pid" 2>/dev/null || true
pid=
exit "$rc"
