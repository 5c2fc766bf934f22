#!/usr/bin/env bash
# User-space instructions per echo: each echo server of scripts/bench-echo.sh
# runs under valgrind (callgrind, instructions only) while the load
# generator drives it at a fixed rate, twice, for two durations; the
# difference of the two instruction totals divided by the difference of the
# echoes served is what one echo costs in user space (start-up and
# shutdown cancel out). Kernel instructions are not counted (valgrind sees
# only user space; this VM has no hardware counters for perf). Instruction
# counts do not depend on how busy the machine is, so this can run beside
# other work, unlike the rates of bench-echo.sh.
#
#   scripts/bench-instr.sh [--workloads udp-echo,tcp-rr] [--servers a,b] [--rate OPS]
# Prints a table per workload (instructions per echo, system calls per echo
# counted by the servers' loops where they report them, ratio to the best
# raw loop) and writes build/bench/instr.json.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
workloads=udp-echo,tcp-rr
servers=riox-uring,riox-epoll,raw-mmsg,raw-uring,libuv
rate=2000
short=2
long=5
while [ $# -gt 0 ]; do
  case $1 in
    --workloads) workloads=$2; shift 2 ;;
    --servers) servers=$2; shift 2 ;;
    --rate) rate=$2; shift 2 ;;
    -h|--help) sed -n 2,15p "$0"; exit 0 ;;
    *) echo "bench-instr.sh: unknown option $1 (try --help)" >&2; exit 2 ;;
  esac
done
case $rate in ''|*[!0-9]*|0) echo "bench-instr.sh: --rate takes a count >= 1" >&2; exit 2 ;; esac
# shellcheck source=scripts/setup.sh
. "$root/scripts/setup.sh"
riox_setup
command -v valgrind >/dev/null || { apt-get install -y -qq valgrind >/dev/null 2>&1 || true; }
command -v valgrind >/dev/null || { echo "bench-instr.sh: valgrind is needed" >&2; exit 1; }
out="$root/build/bench"
cmake -S "$root" -B "$out" -DCMAKE_BUILD_TYPE=Release -DRIOX_SANITIZE=OFF >/dev/null
cmake --build "$out" --target riox-echo riox-perf riox-probe echo-raw-mmsg echo-raw-uring echo-libuv \
  -j "$(nproc 2>/dev/null || echo 2)" >/dev/null
bin=$out/bin

# shellcheck source=scripts/echo-servers.sh
. "$root/scripts/echo-servers.sh"

work=$(mktemp -d)
trap 'rm -rf "$work"; [ -n "${spid:-}" ] && kill "$spid" 2>/dev/null || true' EXIT
results=$work/results
: >"$results"

# One run: SERVER WORKLOAD SECONDS -> "instructions echoes" on stdout.
one_run() {
  local cmd=$1 w=$2 secs=$3 line port json ir ops cg=$work/cg.out srv=$work/srv.out
  rm -f "$cg"
  # shellcheck disable=SC2086
  # The server ends by itself (--seconds), so that callgrind writes its
  # counts: a signal does not reach a process valgrind holds inside
  # io_uring_enter. It outlives the load by a margin valgrind's start-up
  # needs; the idle margin is the same in both runs and cancels out.
  valgrind --tool=callgrind --callgrind-out-file="$cg" --dump-instr=no --collect-jumps=no \
    $cmd --udp 0 --tcp 0 --bind 127.0.0.1 --quiet --seconds $((secs + 8)) >"$srv" 2>&1 &
  spid=$!
  for _ in $(seq 1 400); do grep -q '^ready ' "$srv" && break; sleep 0.05; done
  line=$(grep -m1 '^ready ' "$srv" || true)
  [ -n "$line" ] || { echo "bench-instr.sh: $cmd did not start:" >&2; cat "$srv" >&2; exit 1; }
  port=$(ready_port "$w" "$line")
  # shellcheck disable=SC2046
  json=$("$bin/riox-perf" --role client --echo-peer --target "127.0.0.1:$port" $(load_args "$w") \
    --rate "$rate" --duration "$secs" --warmup 0 --quiet --json)
  for _ in $(seq 1 400); do kill -0 "$spid" 2>/dev/null || break; sleep 0.05; done
  if kill -0 "$spid" 2>/dev/null; then
    kill -9 "$spid" 2>/dev/null || true
    echo "bench-instr.sh: $cmd did not exit after its --seconds" >&2
    exit 1
  fi
  wait "$spid" 2>/dev/null || true
  spid=
  ir=$(sed -n 's/^summary: *\([0-9]*\).*/\1/p' "$cg" | head -1)
  [ -n "$ir" ] || ir=$(sed -n 's/^totals: *\([0-9]*\).*/\1/p' "$cg" | head -1)
  ops=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["ops"])' "$json")
  echo "$ir $ops"
}

IFS=, read -r -a wl <<<"$workloads"
IFS=, read -r -a sv <<<"$servers"
echo "bench-instr: callgrind, ${rate} echoes/s offered, runs of ${short}s and ${long}s per server"
for w in "${wl[@]}"; do
  load_args "$w" >/dev/null || exit 2
  for s in "${sv[@]}"; do
    cmd=$(server_cmd "$s" || true)
    [ -n "$cmd" ] || { echo "  $w / $s: not available on this host, skipped"; continue; }
    read -r ir1 ops1 < <(one_run "$cmd" "$w" "$short")
    read -r ir2 ops2 < <(one_run "$cmd" "$w" "$long")
    printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$w" "$s" "$ir1" "$ops1" "$ir2" "$ops2" >>"$results"
    printf '  %-9s %-11s done\n' "$w" "$s"
  done
done

python3 - "$results" "$out/instr.json" "$rate" <<'EOF'
import json, sys
rows = [l.split("\t") for l in open(sys.argv[1]).read().splitlines() if l.strip()]
report = {"tool": "valgrind --tool=callgrind (user-space instructions)", "offered_rate": int(sys.argv[3]),
          "method": "(Ir of the long run - Ir of the short run) / (echoes of the long run - echoes of the short run)",
          "workloads": {}}
by = {}
for w, s, ir1, ops1, ir2, ops2 in rows:
    ir1, ops1, ir2, ops2 = int(ir1), int(ops1), int(ir2), int(ops2)
    per = (ir2 - ir1) / (ops2 - ops1) if ops2 > ops1 else None
    by.setdefault(w, {})[s] = {"instructions_per_echo": per, "runs": [[ir1, ops1], [ir2, ops2]]}
for w, srv in by.items():
    raw = [v["instructions_per_echo"] for k, v in srv.items() if k.startswith("raw-") and v["instructions_per_echo"]]
    best = min(raw) if raw else None
    print(f"\n{w} (64 B): user-space instructions per echo")
    print(f"  {'server':<11} {'instr/echo':>10} {'x best raw':>10}")
    for s, v in srv.items():
        per = v["instructions_per_echo"]
        v["ratio_best_raw"] = per / best if per and best else None
        f = lambda x, d: f"{x:.{d}f}" if x is not None else "-"
        print(f"  {s:<11} {f(per, 0):>10} {f(v['ratio_best_raw'], 2):>10}")
    report["workloads"][w] = srv
json.dump(report, open(sys.argv[2], "w"), indent=2)
print(f"\nbench-instr.sh: wrote {sys.argv[2]}")
EOF
