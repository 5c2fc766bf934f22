#!/usr/bin/env bash
# The backend choice where io_uring is missing (simulated: RIOX_URING_DISABLE=1):
#  - riox-probe --json says uring false and auto epoll;
#  - riox-echo --backend auto runs, on epoll (its ready line says so);
#  - riox-echo --backend uring exits non-zero, says why, and never starts:
#    a backend asked for by name is never quietly downgraded.
#   uring_unavailable.sh RIOX_PROBE RIOX_ECHO
set -uo pipefail
probe=$1 echo_bin=$2
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
unset RIOX_BACKEND
export RIOX_URING_DISABLE=1
fail() { echo "uring_unavailable.sh: FAIL: $*" >&2; exit 1; }

json=$("$probe" --json) || fail "riox-probe --json exited $?"
echo "probe: $json"
grep -q '"uring":false' <<<"$json" || fail "the probe does not say uring false"
grep -q '"auto":"epoll"' <<<"$json" || fail "the probe does not say auto picks epoll"
grep -q 'RIOX_URING_DISABLE' <<<"$json" || fail "the probe's detail does not say why"

# shellcheck source=tests/e2e/server.sh
. "$root/tests/e2e/server.sh"
e2e_start_server uring_unavailable.sh "$echo_bin" auto 30
echo "auto: $line"
grep -q 'backend=epoll' <<<"$line" || fail "auto did not run epoll: $line"
e2e_stop_server
pid=

out=$(timeout 60 "$echo_bin" --udp 0 --tcp 0 --bind 127.0.0.1 --backend uring --seconds 5 2>&1)
rc=$?
echo "uring: exit $rc: $out"
[ "$rc" -ne 0 ] || fail "--backend uring exited 0"
[ "$rc" -ne 124 ] || fail "--backend uring ran until the timeout"
grep -q '^ready ' <<<"$out" && fail "--backend uring started anyway"
grep -q 'uring.*not usable.*RIOX_URING_DISABLE' <<<"$out" || fail "the message does not say why uring is refused"

# The switch off again: where this host has io_uring, auto picks it.
unset RIOX_URING_DISABLE
json=$("$probe" --json) || fail "riox-probe --json exited $? without the switch"
if grep -q '"uring":true' <<<"$json"; then
  grep -q '"auto":"uring"' <<<"$json" || fail "io_uring usable but auto does not pick it: $json"
fi
echo "uring_unavailable.sh: PASS"
