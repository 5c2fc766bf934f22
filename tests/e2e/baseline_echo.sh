#!/usr/bin/env bash
# End-to-end: start one native echo baseline (bench/baselines) on ephemeral
# loopback ports, read its ready line, and run the independent echo client
# against it, with the load echo.sh puts on riox-echo: UDP datagrams of
# 0..9000 bytes from 8 sockets and 16 concurrent TCP connections of 256 KiB.
# Then stop it with SIGTERM and check that it exits cleanly (status 0, which
# under ASan also means no leak).
#   baseline_echo.sh ECHO_CLIENT SERVER [extra server args]
# Exit 77 when the server reports it cannot run here (io_uring refused).
set -euo pipefail
client=$1 server=$2
shift 2
name=$(basename "$server")
out=$(mktemp) err=$(mktemp)
pid=
cleanup() {
  if [ -n "$pid" ]; then kill -KILL "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  rm -f "$out" "$err"
}
trap cleanup EXIT

"$server" --udp 0 --tcp 0 --bind 127.0.0.1 --seconds 300 "$@" >"$out" 2>"$err" &
pid=$!
for _ in $(seq 1 100); do
  grep -q '^ready ' "$out" && break
  kill -0 "$pid" 2>/dev/null || break
  sleep 0.1
done
line=$(grep -m1 '^ready ' "$out" || true)
if [ -z "$line" ]; then
  src=0
  kill -0 "$pid" 2>/dev/null || { wait "$pid" || src=$?; pid=; }
  cat "$out" "$err" >&2
  if [ "$src" -eq 77 ]; then
    echo "$name: cannot run here (see above): skipped" >&2
    exit 77
  fi
  echo "$name: did not become ready (status $src)" >&2
  exit 1
fi
echo "server: $line"
udp=$(sed -n 's/.* udp=\([0-9]*\).*/\1/p' <<<"$line")
tcp=$(sed -n 's/.* tcp=\([0-9]*\).*/\1/p' <<<"$line")
if [ "$(grep -c . "$out")" -ne 1 ] || [ -z "$udp" ] || [ "$udp" -eq 0 ] || [ -z "$tcp" ] ||
   [ "$tcp" -eq 0 ]; then
  echo "$name: expected one line 'ready backend=... udp=PORT tcp=PORT', got:" >&2
  cat "$out" >&2
  exit 1
fi

rc=0
"$client" --host 127.0.0.1 --udp "$udp" --tcp "$tcp" --udp-sockets 8 --udp-max 9000 --udp-step 1 \
  --tcp-conns 16 --tcp-bytes 262144 --timeout 240 --quiet || rc=$?
[ "$rc" -eq 0 ] || echo "$name: the echo client found a fault (status $rc)" >&2

if ! kill -0 "$pid" 2>/dev/null; then
  echo "$name: the server died during the run" >&2
  rc=1
else
  kill -TERM "$pid"
  src=0
  for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$pid" 2>/dev/null; then
    echo "$name: still running 5 s after SIGTERM" >&2
    rc=1
  else
    wait "$pid" || src=$?
    pid=
    if [ "$src" -ne 0 ]; then
      echo "$name: exit status $src after SIGTERM (0 expected)" >&2
      rc=1
    fi
  fi
fi
cat "$err" >&2
exit "$rc"
