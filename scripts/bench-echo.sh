#!/usr/bin/env bash
# Echo servers side by side, natively on Linux: riox-echo on each Linux
# backend beside three baselines written for this comparison
# (bench/baselines: raw recvmmsg/sendmmsg + epoll, raw liburing, libuv at
# its best), every one driven by the same load generator with the same load,
# in one run. The server runs pinned to one core, the load generator
# (riox-perf --role client --echo-peer) to another.
#
# Workloads (64-byte payloads):
#   udp-echo    UDP request/response, 8 sockets x 32 in flight (throughput)
#   ping-pong   UDP, 1 socket x 1 in flight (latency)
#   tcp-rr      TCP request/response, 8 connections x 1 in flight
#
#   scripts/bench-echo.sh [--seconds N] [--repeat N] [--workloads a,b] [--servers a,b]
# --repeat N runs every server N times per workload, taking the servers in
# turn (round r of every server before round r+1), and reports the median
# run of each with the spread (min-max rate): on a shared VM one run is not
# precise to 10%.
# Prints one table per workload (rate, p50/p99, ratios to the best raw loop
# and to libuv) and writes build/bench/echo.json (every run, and the
# medians). Release build, no sanitizers (build/bench, shared with
# scripts/bench.sh).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
seconds=5
repeat=1
workloads=udp-echo,ping-pong,tcp-rr
servers=riox-uring,riox-epoll,raw-mmsg,raw-uring,libuv
while [ $# -gt 0 ]; do
  case $1 in
    --seconds) seconds=$2; shift 2 ;;
    --repeat) repeat=$2; shift 2 ;;
    --workloads) workloads=$2; shift 2 ;;
    --servers) servers=$2; shift 2 ;;
    -h|--help) sed -n 2,23p "$0"; exit 0 ;;
    *) echo "bench-echo.sh: unknown option $1 (try --help)" >&2; exit 2 ;;
  esac
done
# shellcheck source=scripts/setup.sh
. "$root/scripts/setup.sh"
riox_setup
out="$root/build/bench"
cmake -S "$root" -B "$out" -DCMAKE_BUILD_TYPE=Release -DRIOX_SANITIZE=OFF >/dev/null
cmake --build "$out" --target riox-echo riox-perf riox-probe riox-scale echo-raw-mmsg echo-raw-uring echo-libuv \
  -j "$(nproc 2>/dev/null || echo 2)" >/dev/null
bin=$out/bin
ncpu=$(nproc 2>/dev/null || echo 1)
if [ "$ncpu" -ge 2 ]; then srv_cpu=0 cli_cpu=1; else srv_cpu=0 cli_cpu=0; fi
# exec: started in the background, the server is then $! itself (not a
# subshell around it), so the kill below reaches it.
pin() { if command -v taskset >/dev/null; then exec taskset -c "$1" "${@:2}"; else exec "${@:2}"; fi; }

# shellcheck source=scripts/echo-servers.sh
. "$root/scripts/echo-servers.sh"

results=$(mktemp)
trap 'rm -f "$results" "${srv_out:-}" "${scale:-}"; [ -n "${spid:-}" ] && kill "$spid" 2>/dev/null || true' EXIT
echo "bench-echo: server on cpu $srv_cpu, load generator on cpu $cli_cpu, ${seconds}s per run"
IFS=, read -r -a wl <<<"$workloads"
IFS=, read -r -a sv <<<"$servers"
case $repeat in ''|*[!0-9]*|0) echo "bench-echo.sh: --repeat takes a count >= 1" >&2; exit 2 ;; esac
for w in "${wl[@]}"; do
  args=$(load_args "$w") || exit 2
  for round in $(seq 1 "$repeat"); do
  for s in "${sv[@]}"; do
    cmd=$(server_cmd "$s" || true)
    if [ -z "$cmd" ]; then
      echo "  $w / $s: not available on this host, skipped"
      continue
    fi
    srv_out=$(mktemp)
    # shellcheck disable=SC2086
    pin "$srv_cpu" $cmd --udp 0 --tcp 0 --bind 127.0.0.1 --quiet >"$srv_out" 2>&1 &
    spid=$!
    for _ in $(seq 1 100); do grep -q '^ready ' "$srv_out" && break; sleep 0.05; done
    line=$(grep -m1 '^ready ' "$srv_out" || true)
    if [ -z "$line" ]; then
      echo "  $w / $s: the server did not start:" >&2
      cat "$srv_out" >&2
      kill "$spid" 2>/dev/null || true
      exit 1
    fi
    port=$(ready_port "$w" "$line")
    # shellcheck disable=SC2086
    json=$(pin "$cli_cpu" "$bin/riox-perf" --role client --echo-peer --target "127.0.0.1:$port" $args \
      --duration "$seconds" --warmup 1 --quiet --json) || {
      echo "  $w / $s: the load generator failed" >&2
      kill "$spid" 2>/dev/null || true
      exit 1
    }
    kill "$spid" 2>/dev/null || true
    wait "$spid" 2>/dev/null || true
    spid=
    rm -f "$srv_out"
    printf '%s\t%s\t%s\n' "$w" "$s" "$json" >>"$results"
    printf '  %-10s %-11s run %d/%d done\n' "$w" "$s" "$round" "$repeat"
  done
  done
done

# Scale: 100,000 UDP sockets with a receive posted on each, per riox backend.
scale=$(mktemp)
for b in uring epoll; do
  [ "$b" = uring ] && ! "$bin/riox-probe" --json | grep -q '"uring":true' && continue
  "$bin/riox-scale" --sockets 100000 --backend "$b" --json >>"$scale" || true
done

python3 - "$results" "$out/echo.json" "$seconds" "$srv_cpu" "$cli_cpu" "$scale" <<'EOF'
import json, sys
rows = [l.rstrip("\n").split("\t", 2) for l in open(sys.argv[1]) if l.strip()]
every = {}
for w, s, j in rows:
    every.setdefault(w, {}).setdefault(s, []).append(json.loads(j))
# The median run of each server (by rate; the lower middle of an even count).
runs = {w: {s: sorted(rs, key=lambda r: r["ops_per_sec"])[(len(rs) - 1) // 2] for s, rs in by.items()}
        for w, by in every.items()}
report = {"seconds": float(sys.argv[3]), "median_of": max((len(rs) for by in every.values() for rs in by.values()), default=0), "server_cpu": int(sys.argv[4]), "client_cpu": int(sys.argv[5]),
          "load_generator": "riox-perf --role client --echo-peer", "workloads": {}}
for w, by in runs.items():
    raw = [by[k]["ops_per_sec"] for k in ("raw-mmsg", "raw-uring") if k in by]
    best_raw = max(raw) if raw else None
    uv = by.get("libuv", {}).get("ops_per_sec")
    raw_p50 = min((by[k]["latency_us"]["p50"] for k in ("raw-mmsg", "raw-uring") if k in by), default=None)
    nrep = max(len(rs) for rs in every[w].values())
    print(f"\n{w} (64 B)" + (f", median of {nrep} runs (spread: slowest-fastest)" if nrep > 1 else ""))
    print(f"  {'server':<11} {'echoes/s':>11} {'p50 us':>8} {'p99 us':>8} {'x best raw':>10} {'x libuv':>8} {'p50 x raw':>9}"
          + ("  spread" if nrep > 1 else ""))
    out = {}
    for s, r in by.items():
        rate, p50, p99 = r["ops_per_sec"], r["latency_us"]["p50"], r["latency_us"]["p99"]
        vs_raw = rate / best_raw if best_raw else None
        vs_uv = rate / uv if uv else None
        p50_raw = p50 / raw_p50 if raw_p50 else None
        f = lambda v, d=2: f"{v:.{d}f}" if v is not None else "-"
        rates = [x["ops_per_sec"] for x in every[w][s]]
        spread = f"  {min(rates):,.0f}-{max(rates):,.0f}" if nrep > 1 else ""
        print(f"  {s:<11} {rate:>11,.0f} {p50:>8.1f} {p99:>8.1f} {f(vs_raw):>10} {f(vs_uv):>8} {f(p50_raw):>9}{spread}")
        out[s] = {"ops_per_sec": rate, "p50_us": p50, "p99_us": p99, "ratio_best_raw": vs_raw,
                  "ratio_libuv": vs_uv, "p50_ratio_raw": p50_raw, "client_backend": r["backend"],
                  "errors": r["errors"], "runs": len(rates), "ops_per_sec_all": rates}
    report["workloads"][w] = out
report["scale"] = [json.loads(l) for l in open(sys.argv[6]) if l.strip()]
if report["scale"]:
    print("\nscale: UDP sockets on one loop, a receive posted on each")
    for r in report["scale"]:
        print(f"  {r['backend']:<8} {r['sockets']:>7} sockets  {r['rss_bytes_per_socket']:>7.0f} B/socket "
              f"(resident, buffers excluded)  open+post {r['open_and_post_s']:.2f} s  "
              f"live {r['probes_received']}/{r['probes']}")
json.dump(report, open(sys.argv[2], "w"), indent=2)
print(f"\nbench-echo.sh: wrote {sys.argv[2]}")
EOF
