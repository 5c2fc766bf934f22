# Sourced by the end-to-end scripts: start riox-echo (riox-echo.exe under
# Wine, or a native Linux build) on ephemeral loopback ports and read its
# ready line.
#   e2e_start_server NAME RIOX_ECHO_EXE BACKEND SECONDS [extra riox-echo args]
# sets pid, line ("ready backend=... udp=PORT tcp=PORT"), udp and tcp, and
# installs an EXIT trap that stops the server. Exits 1 (printing the
# server's output) when it does not become ready.
e2e_start_server() {
  local name=$1 exe=$2 backend=$3 seconds=$4
  shift 4
  e2e_out=$(mktemp) e2e_err=$(mktemp)
  trap e2e_stop_server EXIT
  local run=("$root/scripts/wine-run.sh")
  [[ $exe == *.exe ]] || run=()
  "${run[@]}" "$exe" --udp 0 --tcp 0 --bind 127.0.0.1 --backend "$backend" \
    --seconds "$seconds" "$@" >"$e2e_out" 2>"$e2e_err" &
  pid=$!
  for _ in $(seq 1 300); do
    grep -q '^ready ' "$e2e_out" && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  line=$(grep -m1 '^ready ' "$e2e_out" || true)
  if [ -z "$line" ]; then
    echo "$name: riox-echo did not become ready" >&2
    cat "$e2e_out" "$e2e_err" >&2
    exit 1
  fi
  udp=$(sed -n 's/.* udp=\([0-9]*\).*/\1/p' <<<"$line")
  tcp=$(sed -n 's/.* tcp=\([0-9]*\).*/\1/p' <<<"$line")
}

e2e_stop_server() {
  if [ -n "${pid:-}" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  rm -f "${e2e_out:-}" "${e2e_err:-}"
}
