#!/usr/bin/env bash
# Micro-benchmarks: install what is missing, build the native tree in Release
# without sanitizers (build/bench), run every benchmark (riox beside its naive
# baseline), write build/bench/results.json (Google Benchmark's JSON) and
# print each riox/naive ratio. Extra arguments go to the benchmark program,
# e.g. scripts/bench.sh --benchmark_filter=timer --benchmark_repetitions=5
# These run natively on Linux: the portable code's speed, not Windows I/O.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
# shellcheck source=scripts/setup.sh
. "$root/scripts/setup.sh"
riox_setup
out="$root/build/bench"
cmake -S "$root" -B "$out" -DCMAKE_BUILD_TYPE=Release -DRIOX_SANITIZE=OFF >/dev/null
cmake --build "$out" --target riox_bench -j "$(nproc 2>/dev/null || echo 2)" >/dev/null
"$out/bin/riox_bench" --benchmark_out="$out/results.json" --benchmark_out_format=json "$@"
python3 - "$out/results.json" <<'EOF'
import json, sys
runs = json.load(open(sys.argv[1]))["benchmarks"]
rate = {}
for b in runs:
    if b.get("run_type", "iteration") != "iteration" or "items_per_second" not in b:
        continue
    parts = b["run_name"].split("/")
    if len(parts) == 3:
        rate.setdefault((parts[0], parts[2]), {})[parts[1]] = b["items_per_second"]
print()
print(f"{'benchmark':<24} {'param':>6} {'riox ops/s':>14} {'naive ops/s':>14} {'riox/naive':>11}")
for (subject, param), r in sorted(rate.items(), key=lambda kv: (kv[0][0], int(kv[0][1]))):
    if "riox" in r and "naive" in r:
        print(f"{subject:<24} {param:>6} {r['riox']:>14,.0f} {r['naive']:>14,.0f} {r['riox'] / r['naive']:>10.2f}x")
print(f"\nbench.sh: wrote {sys.argv[1]}")
EOF
