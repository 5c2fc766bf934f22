#!/usr/bin/env bash
# A machine whose RIO function table loads but whose RIOCreateRequestQueue
# fails (security software, layered providers): modelled by the emulator
# (RIOX_RIO_EMU_REFUSE_RQ=<WSA error>). riox-probe must say rio: false with
# the reason, `auto` must pick iocp, and asking for rio must fail with the
# reason rather than downgrade. $1 = build/windows/bin.
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
bin=$1
unset RIOX_BACKEND
export RIOX_RIO_EMULATION=1 RIOX_RIO_EMU_REFUSE_RQ=10045
fail() { echo "rio_refused.sh: FAIL: $*" >&2; exit 1; }

json=$(timeout 60 "$root/scripts/wine-run.sh" "$bin/riox-probe.exe" --json 2>&1) || fail "riox-probe --json exited $?: $json"
echo "$json"
grep -q '"rio":false' <<<"$json" || fail "riox-probe reports RIO usable"
grep -q '"rio_table":true' <<<"$json" || fail "riox-probe does not say the table loaded"
grep -q '"rio_error":10045' <<<"$json" || fail "riox-probe does not give the queue's error"
grep -q 'RIOCreateRequestQueue failed' <<<"$json" || fail "riox-probe does not say why"

text=$(timeout 60 "$root/scripts/wine-run.sh" "$bin/riox-probe.exe" 2>&1) || fail "riox-probe exited $?"
echo "$text"
grep -q 'picks  iocp' <<<"$text" || fail "riox-probe says auto would not pick iocp"

out=$(timeout 60 "$root/scripts/wine-run.sh" "$bin/riox-echo.exe" --udp 0 --backend auto --seconds 1 2>&1)
echo "$out"
grep -q '^ready backend=iocp' <<<"$out" || fail "auto did not pick iocp"

out=$(timeout 60 "$root/scripts/wine-run.sh" "$bin/riox-echo.exe" --udp 0 --backend rio --seconds 1 2>&1)
rc=$?
echo "$out"
[ "$rc" -ne 0 ] || fail "--backend rio started although RIO refuses queues"
grep -q 'RIOCreateRequestQueue failed' <<<"$out" || fail "--backend rio does not say why"

# Control: without the model, the same emulator is usable and auto picks it.
unset RIOX_RIO_EMU_REFUSE_RQ
json=$(timeout 60 "$root/scripts/wine-run.sh" "$bin/riox-probe.exe" --json 2>&1) || fail "riox-probe exited $?"
grep -q '"rio":true' <<<"$json" || fail "control: the emulator is not usable: $json"
echo "rio_refused.sh: PASS"
