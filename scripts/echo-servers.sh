# Sourced by scripts/bench-echo.sh and scripts/bench-instr.sh: the echo
# servers they compare and the loads they drive them with. Needs $bin (the
# Release tree's bin directory).

# NAME -> the command line of that server (empty: not available here).
server_cmd() {
  case $1 in
    riox-uring) "$bin/riox-probe" --json | grep -q '"uring":true' && echo "$bin/riox-echo --backend uring" ;;
    riox-epoll) echo "$bin/riox-echo --backend epoll" ;;
    raw-mmsg) echo "$bin/echo-raw-mmsg" ;;
    raw-uring) echo "$bin/echo-raw-uring" ;;
    libuv) echo "$bin/echo-libuv" ;;
  esac
}

# WORKLOAD -> riox-perf client arguments (64-byte payloads).
load_args() {
  case $1 in
    udp-echo) echo "--mode udp-rr --conns 8 --depth 32 --size 64" ;;
    ping-pong) echo "--mode udp-rr --conns 1 --depth 1 --size 64" ;;
    tcp-rr) echo "--mode tcp-rr --conns 8 --depth 1 --size 64" ;;
    *) echo "unknown workload $1 (udp-echo, ping-pong, tcp-rr)" >&2; return 2 ;;
  esac
}

# The port of the protocol WORKLOAD uses, from a server's ready line.
ready_port() {
  if [ "$1" = tcp-rr ]; then sed -n 's/.* tcp=\([0-9]*\).*/\1/p' <<<"$2"
  else sed -n 's/.* udp=\([0-9]*\).*/\1/p' <<<"$2"; fi
}
