#!/usr/bin/env bash
# riox-perf under Wine when things are wrong: bad options exit 2 with a
# message; a peer that is not there ends the run with a clear message and
# exit 1 soon after the connect timeout, never a hang; --help documents the
# options.
#   perf_errors.sh WINDOWS_BIN_DIR
set -uo pipefail
bin=$1
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
exe="$bin/riox-perf.exe"
run="$root/scripts/wine-run.sh"
[ -f "$exe" ] || { echo "perf_errors.sh: $exe is missing" >&2; exit 1; }
unset RIOX_BACKEND RIOX_RIO_EMULATION
fail=0

# expect RC PATTERN MAX_SECONDS -- ARGS...: exit code, a stderr line matching
# PATTERN, and done within MAX_SECONDS.
expect() {
  local want=$1 pattern=$2 max=$3 rc start secs text
  shift 4
  start=$(date +%s)
  text=$(timeout 60 "$run" "$exe" "$@" 2>&1 >/dev/null)
  rc=$?
  secs=$(( $(date +%s) - start ))
  if [ "$rc" -ne "$want" ] || ! grep -qE -- "$pattern" <<<"$text" || [ "$secs" -gt "$max" ]; then
    echo "perf_errors.sh: FAIL riox-perf $*: exit $rc (want $want) after ${secs}s (max $max), output:" >&2
    echo "$text" >&2
    echo "  expected to match: $pattern" >&2
    fail=1
  else
    echo "perf_errors.sh: ok (exit $rc, ${secs}s) riox-perf $* -> $(head -1 <<<"$text")"
  fi
}

# Ports nobody listens on: bound and released by the host a moment ago.
free_port() {
  python3 -c 'import socket,sys; s=socket.socket(socket.AF_INET, getattr(socket, sys.argv[1])); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' "$1"
}
udp_port=$(free_port SOCK_DGRAM)
tcp_port=$(free_port SOCK_STREAM)

expect 2 "--mode 'udp-bogus'" 30 -- --mode udp-bogus
expect 2 "--size 70000 is larger than a UDP datagram" 30 -- --size 70000
expect 2 "unknown option '--frobnicate'" 30 -- --frobnicate
expect 2 "--rate 'fast'" 30 -- --rate fast
expect 2 "--target is for --role client" 30 -- --role server --target 127.0.0.1:1
# UDP: nobody answers the hello; connect timeout 1 s.
expect 1 "no answer from 127\.0\.0\.1:$udp_port \(UDP hello\) within 1\.0 s" 12 -- \
  --role client --mode udp-rr --target "127.0.0.1:$udp_port" --connect-timeout 1 --duration 1
expect 1 "no answer from 127\.0\.0\.1:$udp_port" 12 -- \
  --role client --mode udp-flood --target "127.0.0.1:$udp_port" --connect-timeout 1 --duration 1
# TCP: the connection is refused.
expect 1 "cannot connect to 127\.0\.0\.1:$tcp_port: connection refused" 12 -- \
  --role client --mode tcp-rr --target "127.0.0.1:$tcp_port" --duration 1

help=$(timeout 60 "$run" "$exe" --help)
for opt in --role --mode --backend --rio-notify --size --conns --depth --rate --duration --warmup \
           --target --bind --connect-timeout --json --quiet; do
  grep -q -- "$opt" <<<"$help" || { echo "perf_errors.sh: FAIL --help does not mention $opt" >&2; fail=1; }
done

[ "$fail" -eq 0 ] && echo "perf_errors.sh: PASS"
exit "$fail"
