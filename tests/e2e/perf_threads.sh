#!/usr/bin/env bash
# End-to-end: riox-perf --threads 2 natively, each run 1 s, JSON checked:
#  - --role both, udp-rr and tcp-rr: "threads" is 2, operations completed,
#    nothing dropped, the latency samples are every client's (samples == ops);
#  - --role client --echo-peer against riox-echo --threads 2 (tcp-rr and
#    udp-rr): the same, and both riox-echo threads served.
#   perf_threads.sh RIOX_PERF RIOX_ECHO BACKEND
set -euo pipefail
perf=$1 echo=$2 backend=$3
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
check() { # JSON what
  python3 - "$1" "$2" <<'PY'
import json, sys
j = json.loads(sys.argv[1]); what = sys.argv[2]
bad = []
if j.get("threads") != 2: bad.append("threads %r" % j.get("threads"))
if not j["ops"] > 0: bad.append("no operation")
if j["drops"] != 0 or j["errors"] != 0: bad.append("drops %d errors %d" % (j["drops"], j["errors"]))
if j["latency_us"]["samples"] != j["ops"]: bad.append("samples %d != ops %d" % (j["latency_us"]["samples"], j["ops"]))
print("%s: %s ops/s %.0f, p50 %.1f us%s" % (what, "FAIL" if bad else "ok", j["ops_per_sec"], j["latency_us"]["p50"], (": " + ", ".join(bad)) if bad else ""))
sys.exit(1 if bad else 0)
PY
}
for mode in udp-rr tcp-rr; do
  out=$("$perf" --role both --mode "$mode" --backend "$backend" --threads 2 --conns 4 --duration 1 \
    --warmup 0.2 --json --quiet)
  check "$out" "both $mode"
done
# shellcheck source=tests/e2e/server.sh
. "$root/tests/e2e/server.sh"
# riox-echo stops by itself after 15 s (then prints each thread's
# statistics); both client runs must be over by then, with room for a slow host.
e2e_start_server perf_threads.sh "$echo" "$backend" 15 --threads 2
for mode in udp-rr tcp-rr; do
  port=$udp
  [ "$mode" = tcp-rr ] && port=$tcp
  out=$("$perf" --role client --echo-peer --target "127.0.0.1:$port" --mode "$mode" --backend "$backend" \
    --threads 2 --conns 16 --duration 1 --warmup 0.2 --json --quiet)
  check "$out" "client $mode against riox-echo --threads 2"
done
for _ in $(seq 1 300); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
wait "$pid" || true
pid=
for t in 0 1; do
  l=$(grep "^riox-echo: thread $t: " "$e2e_err" || true)
  recv=$(sed -n 's/.* recv \([0-9]*\) .*/\1/p' <<<"$l")
  echo "riox-echo thread $t: receives ${recv:-none}"
  [ "${recv:-0}" -gt 0 ] || { echo "perf_threads.sh: riox-echo thread $t served nothing" >&2; exit 1; }
done
