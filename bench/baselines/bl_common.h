/* bl_common.h - the little the three native echo baselines share: the
 * riox-echo command line, the ready line, and the listening sockets.
 *
 * The baselines are measured side by side with riox-echo, so they take the
 * same options and print the same ready line; nothing here comes from riox
 * (no riox header), so each baseline is a plain Linux program. */
#ifndef BL_COMMON_H
#define BL_COMMON_H

#include <signal.h>

#define BL_DGRAM_MAX 65536u  /* buffer per datagram: above the largest UDP payload (65527 on IPv6) */
#define BL_UDP_SOCKETS_MAX 64 /* --udp-sockets upper bound */

typedef struct bl_opts {
  long udp_port, tcp_port; /* -1 = not served, 0 = ephemeral */
  const char *bind;        /* local IP, default 0.0.0.0 */
  long seconds;            /* 0 = until SIGINT/SIGTERM */
  long udp_sockets;        /* UDP sockets sharing the port (SO_REUSEPORT), default 1 */
  int quiet;               /* no statistics line on stderr at exit */
} bl_opts;

/* Parses argv. On a bad command line prints the usage on stderr and returns
 * -1 (the caller exits 2); --help prints it on stdout and exits 0. */
int bl_parse_args(const char *prog, int argc, char **argv, bl_opts *o);

/* Opens o->udp_sockets UDP sockets bound to the same address and port
 * (SO_REUSEPORT when more than one: the kernel spreads senders over them by
 * their address hash). nonblock selects O_NONBLOCK. Stores the fds in fds[]
 * and the bound port in *port. Returns 0, or -1 after printing why. */
int bl_udp_open(const char *prog, const bl_opts *o, int nonblock, int *fds, unsigned *port);

/* A bound, listening TCP socket on o->bind:o->tcp_port. */
int bl_tcp_listen(const char *prog, const bl_opts *o, int nonblock, int *fd, unsigned *port);

/* Prints "ready backend=NAME udp=PORT tcp=PORT" and flushes stdout. */
void bl_ready(const char *backend, unsigned udp_port, unsigned tcp_port);

/* Blocks SIGINT and SIGTERM in this thread and returns a non-blocking
 * signalfd that becomes readable when one arrives (so the event loop sees
 * the signal as an ordinary event, with no race against its wait), or -1. */
int bl_signal_fd(const char *prog);

/* SIGPIPE ignored: a peer that resets must cost a failed send (EPIPE),
 * not the process. */
void bl_no_sigpipe(void);

/* CLOCK_MONOTONIC in milliseconds. */
long long bl_now_ms(void);

#endif
