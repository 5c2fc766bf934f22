#!/usr/bin/env bash
# The README's main-job command: each OS's backends compared side by side.
#   1. install what is missing (apt-get) and build (build/windows,
#      build/native, and a Release build without sanitizers in build/bench);
#   2. natively on Linux first: print the capability probe and run the same
#      riox-perf workloads (--role both: server and client in one process
#      over loopback) on uring and epoll -- real numbers of this machine;
#   3. then the Windows backends under Wine: iocp and rio-emulated (the rio
#      backend on the test RIO emulator); on Windows with RIO it would be
#      iocp and rio;
#   4. for each: one table (a column per backend), build/demo/<os>/results.json
#      (a JSON list, one riox-perf object per run, plus the workload's label)
#      and build/demo/<os>/chart.svg (gnuplot), <os> = native or windows.
# Under Wine the numbers measure Wine, not Windows: compare kernel calls per
# operation, not speed (docs/perf.md, "Kernel calls and ring operations").
#
# Environment: RIOX_DEMO_SECONDS (measured seconds per run, default 2),
# RIOX_DEMO_BIN (use the Windows programs in this directory instead of
# building; the build and apt steps and the native part are then skipped).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
# shellcheck source=scripts/setup.sh
. "$root/scripts/setup.sh"
secs=${RIOX_DEMO_SECONDS:-2}
# The comparison picks backends itself; an inherited override would mislabel it.
unset RIOX_BACKEND RIOX_RIO_EMULATION
native=1
if [ -n "${RIOX_DEMO_BIN:-}" ]; then
  bin=$(cd "$RIOX_DEMO_BIN" && pwd)
  native=0
else
  riox_setup
  echo "== building build/windows and build/native"
  riox_build >/dev/null
  echo "== building build/bench (Release, no sanitizers) for the native numbers"
  cmake -S "$root" -B "$root/build/bench" -DCMAKE_BUILD_TYPE=Release -DRIOX_SANITIZE=OFF >/dev/null
  cmake --build "$root/build/bench" --target riox-perf riox-probe -j "$(nproc 2>/dev/null || echo 2)" >/dev/null
  bin="$root/build/windows/bin"
fi

# label|riox-perf arguments. The same list runs on every backend.
workloads=(
  "udp-rr 64B|--mode udp-rr --size 64"
  "udp-rr 4x8 pipelined|--mode udp-rr --size 64 --conns 4 --depth 8"
  "udp-rr at 200/s|--mode udp-rr --size 64 --rate 200"
  "udp-flood 64B|--mode udp-flood --size 64 --depth 32"
  "tcp-rr 4 conns|--mode tcp-rr --size 64 --conns 4"
  "tcp-stream 16K|--mode tcp-stream --size 16384 --depth 4"
)

compare() { # TITLE OUT EXE_SUFFIX BACKEND...: runs, table, results.json, chart.svg
local title=$1 out=$2 exe=$3 b w label line rc
shift 3
local backends=("$@")
mkdir -p "$out"
local runs="$out/runs.jsonl"
: >"$runs"
echo
echo "== riox-perf: ${#workloads[@]} workloads x ${#backends[@]} backends, ${secs} s each (plus 0.5 s warm-up)"
for b in "${backends[@]}"; do
  for w in "${workloads[@]}"; do
    label=${w%%|*}
    read -r -a args <<<"${w#*|}"
    printf '  %-13s %-22s ' "$b" "$label"
    set +e
    line=$(timeout $((secs + 60)) "${run[@]}" "$bin/riox-perf$exe" --role both --backend "$b" \
      --duration "$secs" --warmup 0.5 --json --quiet "${args[@]}" 2>"$out/last.err")
    rc=$?
    set -e
    if [ "$rc" -eq 3 ]; then
      echo "not available: $(head -1 "$out/last.err")"
      break # the backend is missing: skip its other workloads
    elif [ "$rc" -ne 0 ] || [ -z "$line" ]; then
      echo "FAILED (exit $rc): $(head -1 "$out/last.err")"
      failed=1
      continue
    fi
    python3 -c 'import json,sys; r=json.loads(sys.argv[1]); r["workload"]=sys.argv[2]; print(json.dumps(r))' \
      "$line" "$label" >>"$runs"
    python3 -c 'import json,sys; r=json.loads(sys.argv[1]); print("%10.0f ops/s  p99 %8.1f us  %5.2f kernel calls/op  %5.2f ring ops/op" % (r["ops_per_sec"], r["latency_us"]["p99"], r["kernel_calls_per_op"], r["ring_ops_per_op"]))' "$line"
  done
done

python3 - "$runs" "$out" <<'EOF'
import json, sys
runs_path, out = sys.argv[1], sys.argv[2]
runs = [json.loads(l) for l in open(runs_path) if l.strip()]
json.dump(runs, open(f"{out}/results.json", "w"), indent=1)
backends, workloads = [], []
for r in runs:
    if r["backend"] not in backends: backends.append(r["backend"])
    if r["workload"] not in workloads: workloads.append(r["workload"])
by = {(r["workload"], r["backend"]): r for r in runs}
rows = [
    ("ops/s", lambda r: f"{r['ops_per_sec']:,.0f}"),
    ("Mbit/s (payload)", lambda r: f"{r['bits_per_sec'] / 1e6:,.2f}"),
    ("latency p50 us", lambda r: f"{r['latency_us']['p50']:,.1f}"),
    ("latency p99 us", lambda r: f"{r['latency_us']['p99']:,.1f}"),
    ("latency p99.9 us", lambda r: f"{r['latency_us']['p999']:,.1f}"),
    ("latency max us", lambda r: f"{r['latency_us']['max']:,.1f}"),
    # The comparison row: calls that enter the kernel (riox_stats.kernel_calls);
    # ring ops are user-mode work on rings shared with the kernel
    # (RIODequeueCompletion, deferred RIO posts, io_uring SQEs and CQEs).
    ("kernel calls/op", lambda r: f"{r['kernel_calls_per_op']:.2f}"),
    ("  client+server", lambda r: f"{r['kernel_calls_per_op_client']:.2f}+{r['kernel_calls_per_op_server']:.2f}"),
    ("ring ops/op", lambda r: f"{r['ring_ops_per_op']:.2f}"),
    ("OS calls/op (kernel+ring)", lambda r: f"{r['os_calls_per_op']:.2f}"),
    ("CPU us/op", lambda r: f"{r['cpu_us_per_op']:,.1f}"),
    ("errors/drops", lambda r: f"{r['errors']}/{r['drops']}"),
]
width = max([len(b) for b in backends] + [14]) + 2
print()
wine = any(r.get("under_wine") for r in runs)
print("== comparison" + (" (under Wine: these numbers measure Wine, not Windows;"
                         " kernel calls/op is the figure that carries over)" if wine else ""))
print(f"{'':<38}" + "".join(f"{b:>{width}}" for b in backends))
for w in workloads:
    kind = next(r for r in runs if r["workload"] == w)["latency_kind"]
    print(f"{w}  (latency: {kind})")
    for name, fmt in rows:
        cells = [fmt(by[(w, b)]) if (w, b) in by else "-" for b in backends]
        print(f"  {name:<36}" + "".join(f"{c:>{width}}" for c in cells))
# Data for the chart: one file per metric, a row per workload, a column per backend.
for key, get in (("ops", lambda r: r["ops_per_sec"]), ("p99", lambda r: r["latency_us"]["p99"]),
                 ("calls", lambda r: r["kernel_calls_per_op"]), ("cpu", lambda r: r["cpu_us_per_op"])):
    with open(f"{out}/chart-{key}.dat", "w") as f:
        f.write("workload " + " ".join(f'"{b}"' for b in backends) + "\n")
        for w in workloads:
            f.write(f'"{w}" ' + " ".join(str(get(by[(w, b)])) if (w, b) in by else "NaN" for b in backends) + "\n")
with open(f"{out}/chart.ncols", "w") as f:
    f.write(str(len(backends)))
print(f"\ndemo.sh: wrote {out}/results.json ({len(runs)} runs)")
EOF

if command -v gnuplot >/dev/null 2>&1 && [ -s "$out/chart-ops.dat" ]; then
  ncols=$(cat "$out/chart.ncols")
  title="riox-perf, --role both over loopback, $title"
  if grep -q '"under_wine": *true' "$out/results.json"; then
    title="$title, under Wine (numbers measure Wine; kernel calls per op carry over)"
  fi
  (cd "$out" && gnuplot <<EOF
set terminal svg size 1100,1300 dynamic font "sans,11" background rgb "white"
set output "chart.svg"
set multiplot layout 4,1 title "$title"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set key outside right top
set grid ytics
set xtics noenhanced
set key noenhanced
set yrange [0:*]
set title "operations per second (higher is better)"
plot for [i=2:$((ncols + 1))] "chart-ops.dat" using i:xtic(1) title columnheader(i)
set title "latency p99, microseconds, log scale (lower is better; rr: round trip, flood/stream: send completion)"
set logscale y
set yrange [*:*]
plot for [i=2:$((ncols + 1))] "chart-p99.dat" using i:xtic(1) title columnheader(i)
unset logscale y
set yrange [0:*]
set title "kernel calls per operation, client + server (lower is better; meaningful under Wine too)"
plot for [i=2:$((ncols + 1))] "chart-calls.dat" using i:xtic(1) title columnheader(i)
set title "process CPU microseconds per operation (lower is better)"
plot for [i=2:$((ncols + 1))] "chart-cpu.dat" using i:xtic(1) title columnheader(i)
unset multiplot
EOF
  ) && echo "demo.sh: wrote $out/chart.svg"
else
  echo "demo.sh: gnuplot is not installed: no chart (apt-get install gnuplot-nox)"
fi
rm -f "$out/last.err" "$out/chart.ncols"
}

failed=0
if [ "$native" = 1 ]; then
  echo
  echo "== natively on Linux: riox-probe"
  run=()
  bin="$root/build/bench/bin"
  "$bin/riox-probe"
  nb=()
  "$bin/riox-probe" --json | grep -q '"uring":true' && nb+=(uring)
  nb+=(epoll)
  compare "Linux (native, Release)" "$root/build/demo/native" "" "${nb[@]}"
  bin="$root/build/windows/bin"
fi

riox_wine_prefix
run=("$root/scripts/wine-run.sh")
echo
echo "== Windows backends under Wine: riox-probe"
"${run[@]}" "$bin/riox-probe.exe"
# Backends: iocp always; real rio when the OS has it, else rio-emulated when
# this build carries the emulator.
backends=(iocp)
probe=$("${run[@]}" "$bin/riox-probe.exe" --json)
if python3 -c 'import json,sys; p=json.loads(sys.argv[1]); sys.exit(0 if p["rio"] and not p["rio_emulated"] else 1)' "$probe"; then
  backends+=(rio)
else
  backends+=(rio-emulated)
fi

compare "Windows backends under Wine" "$root/build/demo/windows" ".exe" "${backends[@]}"
exit "$failed"
