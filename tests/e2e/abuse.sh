#!/usr/bin/env bash
# End-to-end abuse of riox-echo (issue 13; natively on a Linux backend, or
# riox-echo.exe under Wine): ROUNDS (2) rounds of abuse_client (connection
# churn with resets, mid-stream resets, idle connections, slow readers, an
# ICMP storm, zero-size and maximum-size datagrams), then:
#   1. open files back: within RELEASE_S (3) s of the last round's end the
#      server holds at most FD_MARGIN (10) more open files than at its start
#      (under Wine every socket and every Wine thread is an fd of the
#      process running the .exe, so this sees sockets and threads kept);
#   2. it still echoes correctly: the independent echo client (UDP, 148
#      datagrams of 0..9000 bytes; 8 TCP connections of 64 KiB) verifies every byte;
#   3. memory back within bounds: resident memory (VmRSS) at the end is at
#      most the start
#        + the pool buffers the server ever held at once (buffers high-water
#          x 64 KiB, from its exit statistics: the pool keeps what it touched)
#        + the connections it ever held at once x the server's own memory
#          per connection (readiness mode: a 64 KiB echo buffer), both printed
#          by riox-echo at exit; natively x 1.25 (ASan's size classes and
#          redzones)
#        + RSS_MARGIN: 8 MiB under Wine; natively 16 MiB, 8 of them for ASan's
#          quarantine of freed memory (capped here with quarantine_size_mb=8,
#          256 MiB by default)
#      Under Wine (a killed server prints no statistics) the pool term is
#      364 buffers: 300 idle connections with a receive each plus the
#      64-connection churn window. The RSS after each round is printed too,
#      but not judged: how much of the pool a round warms up depends on
#      the machine's load (a slow first round touches less of it), and a
#      leak natively is LeakSanitizer's report at the clean stop (4.);
#   4. the server stops cleanly (SIGTERM natively: exit status 0, so no
#      LeakSanitizer report; under Wine it is just ended).
#
#   abuse.sh ABUSE_CLIENT ECHO_CLIENT RIOX_ECHO BACKEND [extra riox-echo args]
# Environment: ROUNDS, FD_MARGIN, RELEASE_S, RSS_MARGIN (KiB).
set -euo pipefail
abuse=$1 client=$2 server=$3 backend=$4
shift 4
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
rounds=${ROUNDS:-2} fd_margin=${FD_MARGIN:-10} release_s=${RELEASE_S:-3}
[ -d /proc/self/fd ] || { echo "abuse.sh: no /proc: cannot count fds" >&2; exit 77; }
if [[ $server == *.exe ]]; then
  wine=1 rss_margin=${RSS_MARGIN:-8192} conn_pct=100
  # Wine runs sockets ~45x slower: fewer, same kinds.
  load=(--conns 1000 --resets 16 --idle 300 --idle-ms 1000 --slow 4 --slow-ms 1000
        --icmp 200 --zero 16 --max 32 --timeout 90)
else
  wine=0 rss_margin=${RSS_MARGIN:-16384} conn_pct=125
  load=(--conns 3000 --resets 64 --idle 300 --idle-ms 500 --slow 8 --slow-ms 1000
        --icmp 500 --zero 64 --max 64 --timeout 60)
  export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=8"
fi
# shellcheck source=tests/e2e/server.sh
. "$root/tests/e2e/server.sh"
e2e_start_server abuse.sh "$server" "$backend" 300 "$@"
if ! tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q 'riox-echo'; then
  # wine-run.sh execs the Wine loader in this very process: check the pid.
  echo "abuse.sh: pid $pid does not run riox-echo: $(tr '\0' ' ' <"/proc/$pid/cmdline")" >&2
  exit 1
fi
echo "server: $line (pid $pid)"

fds() { find "/proc/$pid/fd" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l; }
sockets() { find "/proc/$pid/fd" -mindepth 1 -maxdepth 1 -lname 'socket:*' 2>/dev/null | wc -l; }
rss() { awk '/^VmRSS:/ {print $2}' "/proc/$pid/status"; }
threads() { awk '/^Threads:/ {print $2}' "/proc/$pid/status"; }
sample() {
  printf '%-10s fds %4d (sockets %4d)  threads %4d  rss %7d KiB\n' "$1" "$(fds)" "$(sockets)" \
    "$(threads)" "$(rss)"
}
alive() {
  kill -0 "$pid" 2>/dev/null && return 0
  echo "abuse.sh: riox-echo died $1" >&2
  cat "$e2e_err" >&2
  exit 1
}

sleep 1 # let the loop settle into its first wait
fd0=$(fds) rss0=$(rss)
sample start
rss_round=()
for r in $(seq 1 "$rounds"); do
  t0=$(date +%s.%N)
  if ! "$abuse" --host 127.0.0.1 --tcp "$tcp" --udp "$udp" "${load[@]}"; then
    echo "abuse.sh: round $r of the abuse could not be delivered" >&2
    cat "$e2e_err" >&2
    exit 1
  fi
  alive "during round $r"
  echo "round $r took $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') s"
  sample "round $r"
  rss_round+=("$(rss)")
done
# 1. Open files back within RELEASE_S seconds.
t_end=$(date +%s.%N) released=
for _ in $(seq 1 $((release_s * 10))); do
  if [ "$(fds)" -le $((fd0 + fd_margin)) ]; then
    released=$(awk -v a="$t_end" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
    break
  fi
  sleep 0.1
done
fd_rel=$(fds)
sample released
rc=0
if [ -z "$released" ]; then
  echo "FAIL: $release_s s after the abuse riox-echo ($backend) holds $fd_rel open files, started" \
       "with $fd0 (margin $fd_margin)" >&2
  rc=1
else
  echo "open files back to $fd_rel (start $fd0) after ${released} s"
fi
# 2. Still echoes correctly.
if ! "$client" --host 127.0.0.1 --udp "$udp" --tcp "$tcp" --udp-sockets 4 --udp-max 9000 \
  --udp-step 61 --tcp-conns 8 --tcp-bytes 65536 --timeout 120 --quiet; then
  echo "FAIL: after the abuse riox-echo ($backend) no longer echoes correctly" >&2
  rc=1
fi
alive "during the echo check"
sleep 1
rss_end=$(rss) fd_end=$(fds)
sample end
# 4. Stop; natively riox-echo prints its statistics and exits 0 on SIGTERM.
kill "$pid" 2>/dev/null || true
st=0
wait "$pid" 2>/dev/null || st=$?
pid=
hw=$(sed -n 's/.*buffers high-water \([0-9]*\)\/.*/\1/p' "$e2e_err" | tail -1)
conn_hw=$(sed -n 's/.*connections high-water \([0-9]*\) of.*/\1/p' "$e2e_err" | tail -1)
conn_kib=$(sed -n 's/.*connections high-water [0-9]* of \([0-9]*\) bytes.*/\1/p' "$e2e_err" | tail -1)
if [ "$wine" = 0 ] && { [ "$st" -ne 0 ] || grep -q 'Sanitizer' "$e2e_err"; }; then
  echo "FAIL: riox-echo ($backend) did not stop cleanly after the abuse (status $st)" >&2
  cat "$e2e_err" >&2
  rc=1
fi
if [ "$fd_end" -gt $((fd0 + fd_margin)) ]; then
  echo "FAIL: at the end riox-echo ($backend) holds $fd_end open files, started with $fd0" >&2
  rc=1
fi
# 3. Memory within bounds.
if [ -z "$hw" ] || [ -z "$conn_hw" ]; then
  # Under Wine a killed server prints nothing: bound by what every
  # connection of one round could hold at once (idle ones: one buffer each).
  hw=$((300 + 64)) conn_hw=0 conn_kib=0
fi
conn_kib=$(((conn_kib * conn_pct / 100 + 1023) / 1024))
bound=$((rss0 + hw * 64 + conn_hw * conn_kib + rss_margin))
echo "rss: start $rss0, rounds ${rss_round[*]}, end $rss_end KiB; bound $bound KiB (start +" \
     "$hw buffers high-water x 64 KiB + $conn_hw connections high-water x $conn_kib KiB + $rss_margin)"
if [ "$rss_end" -gt "$bound" ]; then
  echo "FAIL: riox-echo ($backend) ends with $rss_end KiB resident, bound $bound KiB" >&2
  rc=1
fi
[ "$rc" -eq 0 ] && echo "abuse.sh: PASS ($backend: fds $fd0 -> $fd_rel in ${released} s, rss $rss0 -> $rss_end KiB)"
exit "$rc"
