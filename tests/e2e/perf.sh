#!/usr/bin/env bash
# End-to-end: riox-perf --role both runs each mode for 1 s under Wine on one
# backend, and every JSON object it prints is checked (fields, types, sane
# values, the backend that actually ran).
#   perf.sh WINDOWS_BIN_DIR BACKEND      (BACKEND: iocp or rio-emulated)
# Exit 77 (skip) only when rio-emulated is asked of a build configured
# without the RIO emulator; a build that has it configured must run it.
set -uo pipefail
bin=$1 backend=$2
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
exe="$bin/riox-perf.exe"
[ -f "$exe" ] || { echo "perf.sh: $exe is missing" >&2; exit 1; }
unset RIOX_BACKEND RIOX_RIO_EMULATION
out=$(mktemp) err=$(mktemp)
trap 'rm -f "$out" "$err"' EXIT

fail=0
for mode in udp-rr udp-flood tcp-rr tcp-stream; do
  args=(--role both --mode "$mode" --backend "$backend" --duration 1 --warmup 0.2 --json --quiet)
  # Pipelined and multi-connection, so batching and per-connection state run too.
  case $mode in
  udp-rr) args+=(--conns 2 --depth 4) ;;
  tcp-rr) args+=(--conns 3 --depth 2) ;;
  tcp-stream) args+=(--size 8192) ;;
  esac
  start=$(date +%s)
  timeout 60 "$root/scripts/wine-run.sh" "$exe" "${args[@]}" >"$out" 2>"$err"
  rc=$?
  secs=$(( $(date +%s) - start ))
  if [ "$rc" -eq 3 ] && [ "$backend" = rio-emulated ] && grep -q 'not available in this build' "$err"; then
    if grep -q '^RIOX_RIO_EMU:BOOL=ON' "$bin/../CMakeCache.txt" 2>/dev/null; then
      echo "perf.sh: FAIL: the Windows build is configured with the RIO emulator, but riox-perf lacks it:" >&2
      cat "$err" >&2
      exit 1
    fi
    echo "perf.sh: SKIP rio-emulated: $(cat "$err")"
    echo "perf.sh: (the Windows build in $bin was configured with -DRIOX_RIO_EMU=OFF)"
    exit 77
  fi
  if [ "$rc" -ne 0 ]; then
    echo "perf.sh: FAIL $mode/$backend: exit $rc after ${secs}s" >&2
    cat "$err" "$out" >&2
    fail=1
    continue
  fi
  if ! python3 - "$mode" "$backend" "$out" <<'EOF'
import json, math, sys
mode, backend, path = sys.argv[1:4]
lines = [l for l in open(path).read().splitlines() if l.strip()]
assert len(lines) == 1, f"expected one JSON line, got {len(lines)}"
r = json.loads(lines[0])
def num(k, obj=r):
    v = obj[k]
    assert isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v), f"{k} = {v!r}"
    return v
for k in ("backend", "mode", "ops_per_sec", "bits_per_sec", "latency_us", "os_calls_per_op",
          "cpu_us_per_op", "errors", "drops"):
    assert k in r, f"missing {k}"
assert r["backend"] == backend, f"backend {r['backend']!r}, asked for {backend!r}"
assert r["mode"] == mode, f"mode {r['mode']!r}"
assert r["under_wine"] is True, "under_wine should be true here"
assert num("ops") > 0 and num("ops_per_sec") > 0, "nothing measured"
assert abs(num("bits_per_sec") - r["ops_per_sec"] * r["size"] * 8) <= 0.001 * r["bits_per_sec"] + 8, \
    "bits_per_sec != ops_per_sec * size * 8"
assert 0.3 <= num("elapsed_s") <= 3.0, f"elapsed {r['elapsed_s']} for a 1 s run"
lat = r["latency_us"]
seq = [num(k, lat) for k in ("p50", "p90", "p99", "p999", "max")]
assert all(a <= b for a, b in zip(seq, seq[1:])), f"percentiles out of order: {seq}"
assert seq[0] > 0, "zero latency"
assert num("samples", lat) > 0 and 0 < num("rel_error", lat) <= 0.004
assert num("os_calls_per_op") > 0, "no OS calls counted"
client, server = num("os_calls_per_op_client"), num("os_calls_per_op_server")
assert abs(client + server - r["os_calls_per_op"]) < 0.01, "client + server != total"
kc, ro = num("kernel_calls_per_op"), num("ring_ops_per_op")
assert kc > 0, "no kernel calls counted"
assert abs(kc + ro - r["os_calls_per_op"]) < 0.01, "kernel calls + ring ops != OS calls"
for k in ("kernel_calls_per_op", "ring_ops_per_op"):
    assert abs(num(k + "_client") + num(k + "_server") - r[k]) < 0.01, f"{k}: client + server != total"
assert num("cpu_us_per_op") >= 0
assert r["errors"] == 0, f"{r['errors']} errors"
if mode != "udp-flood":  # loopback UDP floods may overrun the receiver
    assert r["drops"] == 0, f"{r['drops']} drops"
if backend.startswith("rio"):
    assert r["rio_notify"] == "iocp", f"rio_notify {r['rio_notify']!r}"
print(f"perf.sh: ok {mode:<10} {backend:<12} {r['ops_per_sec']:10.0f} ops/s  p50 {seq[0]:8.1f} us"
      f"  p99 {seq[2]:8.1f} us  {r['os_calls_per_op']:.2f} OS calls/op  drops {r['drops']}")
EOF
  then
    echo "perf.sh: FAIL $mode/$backend: bad JSON:" >&2
    cat "$out" "$err" >&2
    fail=1
  fi
done
[ "$fail" -eq 0 ] && echo "perf.sh: PASS ($backend)"
exit "$fail"
