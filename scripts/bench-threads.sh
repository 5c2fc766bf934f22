#!/usr/bin/env bash
# A loop per core, natively on Linux: riox-echo --threads N (N loops on N
# threads sharing one UDP and one TCP port, RIOX_SOCK_REUSEPORT) under the
# same riox-perf --echo-peer load for every N, on each Linux backend. The
# load generator runs --client-threads loops of its own on the same host, so
# on a small host server and client share the cores (say so when quoting).
#
#   scripts/bench-threads.sh [--threads 1,2] [--backends uring,epoll]
#                            [--workloads udp-rr,tcp-rr] [--seconds N]
#                            [--repeat N] [--client-threads N] [--pin]
# Each workload: 16 sockets (or connections) per client thread, 8 requests
# in flight each, 64-byte payloads. --repeat N takes the median of N runs
# (the runs of every N in turn). --pin pins server thread i to processor i
# (and gives it to the loop: SO_INCOMING_CPU). Prints one line per run and a
# table of medians: rate, p50/p99 round trip, and the ratio to 1 thread.
# On a bigger host: --threads 1,2,4,8 --client-threads 4 (and a client on
# another machine: see docs/perf.md, "A loop per core").
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
threads=1,2
backends=uring,epoll
workloads=udp-rr,tcp-rr
seconds=5
repeat=3
cthreads=2
pin=()
while [ $# -gt 0 ]; do
  case $1 in
    --threads) threads=$2; shift 2 ;;
    --backends) backends=$2; shift 2 ;;
    --workloads) workloads=$2; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    --repeat) repeat=$2; shift 2 ;;
    --client-threads) cthreads=$2; shift 2 ;;
    --pin) pin=(--pin); shift ;;
    -h|--help) sed -n 2,17p "$0"; exit 0 ;;
    *) echo "bench-threads.sh: unknown option $1 (try --help)" >&2; exit 2 ;;
  esac
done
bench=${RIOX_BENCH_DIR:-$root/build/bench}
if [ ! -x "$bench/bin/riox-echo" ] || [ ! -x "$bench/bin/riox-perf" ]; then
  cmake -S "$root" -B "$bench" -DCMAKE_BUILD_TYPE=Release -DRIOX_SANITIZE=OFF >/dev/null
  cmake --build "$bench" -j2 --target riox-echo riox-perf >/dev/null
fi
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
port=7461
for w in ${workloads//,/ }; do
  for b in ${backends//,/ }; do
    for r in $(seq 1 "$repeat"); do
      for n in ${threads//,/ }; do
        port=$((port + 1))
        "$bench/bin/riox-echo" --udp "$port" --tcp "$port" --bind 127.0.0.1 --backend "$b" \
          --threads "$n" "${pin[@]}" --seconds $((seconds + 30)) --quiet >"$out/echo" 2>&1 &
        epid=$!
        for _ in $(seq 1 100); do grep -q '^ready' "$out/echo" 2>/dev/null && break; sleep 0.05; done
        json=$("$bench/bin/riox-perf" --role client --echo-peer --target "127.0.0.1:$port" --mode "$w" \
          --backend "$b" --threads "$cthreads" --conns 16 --depth 8 --duration "$seconds" --warmup 1 \
          --json --quiet)
        kill "$epid" 2>/dev/null || true
        wait "$epid" 2>/dev/null || true
        line=$(python3 -c 'import json,sys; j=json.loads(sys.argv[1]); print("%.0f %.1f %.1f" % (j["ops_per_sec"], j["latency_us"]["p50"], j["latency_us"]["p99"]))' "$json")
        echo "$w $b threads=$n run=$r: ops/s p50 p99 = $line"
        echo "$w $b $n $line" >>"$out/runs"
      done
    done
  done
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| workload | backend | server loops | ops/s (median of $repeat) | vs 1 loop | p50 us | p99 us |"
echo "|---|---|---|---|---|---|---|"
python3 - "$out/runs" <<'EOF'
import sys, statistics
rows = {}
for l in open(sys.argv[1]):
    w, b, n, ops, p50, p99 = l.split()
    rows.setdefault((w, b, int(n)), []).append((float(ops), float(p50), float(p99)))
base = {}
for (w, b, n), runs in sorted(rows.items()):
    runs.sort()
    med = runs[len(runs) // 2]
    if n == min(k[2] for k in rows if k[0] == w and k[1] == b):
        base[(w, b)] = med[0]
    print("| %s | %s | %d | %.0f | %.2fx | %.1f | %.1f |" % (w, b, n, med[0], med[0] / base[(w, b)], med[1], med[2]))
EOF
