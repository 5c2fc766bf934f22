#!/usr/bin/env bash
# Regression (CI run of 2026-12-02, e2e/perf-iocp): riox-perf --mode
# udp-flood reported elapsed_s 0.15 for a 1 s run. The flood overran the
# receiver, which dropped the window's START query as it dropped data; each
# lost retry (every 200 ms) made the server's window start later. Now the
# flood pauses until START is answered and the window lasts --duration from
# that answer. The END query had the mirror bug: each lost retry made the
# window 200 ms longer with nothing arriving; the server now answers with
# the time of the last datagram it counted. Here the server ignores the
# first 3 START queries, then in a second run the first 3 END queries
# (RIOX_PERF_TEST_LOSE_START / _END=3, about 600 ms of retries): elapsed_s
# must still be about the 1 s asked for.
#   regress_perf_flood_start_lost.sh RIOX_PERF BACKEND
set -uo pipefail
perf=$1 backend=$2
fail=0
for which in START END; do
  out=$(env "RIOX_PERF_TEST_LOSE_$which=3" timeout 60 "$perf" --role both --mode udp-flood \
    --backend "$backend" --duration 1 --warmup 0.2 --json --quiet 2>&1)
  rc=$?
  if [ "$rc" -ne 0 ]; then
    echo "regress_perf_flood_start_lost.sh: $which lost: riox-perf exited $rc: $out" >&2
    fail=1
    continue
  fi
  python3 - "$which" "$out" <<'PY' || fail=1
import json, sys
which, out = sys.argv[1], sys.argv[2]
r = json.loads(out.strip().splitlines()[-1])
e = r["elapsed_s"]
print(f"regress_perf_flood_start_lost.sh: {which} lost 3 times: {r['backend']}: elapsed_s {e:.3f}, ops {r['ops']}")
assert 0.85 <= e <= 1.25, f"elapsed_s {e} for a 1 s window whose {which} query was lost 3 times"
assert r["ops"] > 0, "nothing counted"
PY
done
exit "$fail"
