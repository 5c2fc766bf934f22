/*
 * riox — high-throughput UDP and TCP for Windows Registered I/O (RIO) with a
 * classic IOCP overlapped fallback, behind one OS-neutral API.
 *
 * This header includes no system header beyond <stddef.h> and <stdint.h>: no
 * windows.h, no SOCKET. Every type is opaque except the small value types
 * (riox_addr, riox_event, riox_stats, riox_loop_config).
 *
 * Model
 * -----
 * - One loop per thread. A loop and everything it owns (sockets, buffers,
 *   timers) is used from the thread that created it; the only exception is
 *   riox_wake(), which any thread may call while the loop exists: every
 *   riox_wake() on a loop must have returned before riox_loop_close() on it
 *   begins, and none may start after (stop or join the waking threads
 *   first: riox_loop_close frees what riox_wake uses).
 * - Completion style: the application posts operations (riox_recv, riox_send,
 *   riox_sendto, riox_shutdown, riox_tcp_connect) and later receives exactly one
 *   event per posted operation from riox_wait(): success, error or
 *   cancellation. A call that returns an error posted nothing and will never
 *   produce an event. The memory for an operation's event is set aside when
 *   the operation is accepted, so no event is ever lost, not even when memory
 *   runs out later: a post (or riox_timer_start, or the creation of a socket,
 *   which owes its RIOX_EV_CLOSE) fails with RIOX_ENOMEM instead. I/O failures that happen after a successful post (a reset
 *   peer, a refused connection) arrive as the event's status, never as the
 *   return value of the post.
 * - Status values are 0 or a negative RIOX_E* code. riox_strerror() explains
 *   each; riox_last_detail() adds a sentence about the most recent failing call
 *   of this thread (for example, which OS call failed and with what code).
 *
 * Buffer ownership
 * ----------------
 * Data buffers come from the loop's pool: large regions allocated once when the
 * loop is created (so the RIO backend registers each region once), cut into
 * slots of cfg.buf_size bytes.
 *   riox_buf_get()  -> the application owns the slot.
 *   riox_recv()/riox_send()/riox_sendto() succeed -> the loop (and the OS) own
 *       the slot until the operation's event has been returned by riox_wait();
 *       the event hands it back (ev.data). Touching it in between is a bug.
 *   riox_buf_put()  -> the slot goes back to the pool.
 * A send may cover any byte range inside one slot. riox_buf_put() accepts any
 * pointer inside a slot.
 *
 * Socket lifecycle
 * ----------------
 *   open/listen/connect/accept -> OPEN
 *   riox_close(sock)           -> CLOSING: every pending operation is cancelled
 *                                 (or completes), each still yields its own event
 *                                 (status RIOX_ECANCELED when it was cancelled);
 *                                 then exactly one RIOX_EV_CLOSE event. A TCP
 *                                 connection ends with FIN (riox_close, below).
 *   RIOX_EV_CLOSE returned     -> the socket's memory is freed; the pointer is
 *                                 only an identifier from then on.
 * The loop never frees a socket, a request or a buffer the OS may still write.
 *
 * Loop lifecycle
 * --------------
 *   riox_loop_close() closes every socket still open, cancels every timer,
 *   waits until the OS has finished with every request (the events of that
 *   teardown are discarded: nobody is left to receive them), then frees the
 *   pool (memory the OS may still write -- a request it never finished, or
 *   one given up to a corrupt RIO completion queue -- is leaked instead of
 *   freed under the kernel). To see every event, close your sockets first and run riox_wait()
 *   until their RIOX_EV_CLOSE events have arrived.
 */
#ifndef RIOX_H
#define RIOX_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define RIOX_VERSION_MAJOR 0
#define RIOX_VERSION_MINOR 1
#define RIOX_VERSION_PATCH 0

/* ---------------------------------------------------------------- errors */

/* One table: name, value, explanation. Values are negative and stable. */
#define RIOX_ERRNO_MAP(XX)                                                        \
  XX(EINVAL, -1, "invalid argument")                                              \
  XX(ENOMEM, -2, "out of memory")                                                 \
  XX(ENOBUFS, -3, "no buffer or request slot available (back-pressure)")          \
  XX(EAGAIN, -4, "resource temporarily unavailable, try again")                   \
  XX(EADDRINUSE, -5, "address already in use")                                    \
  XX(EADDRNOTAVAIL, -6, "address not available on this host")                     \
  XX(EAFNOSUPPORT, -7, "address family not supported")                            \
  XX(ECONNREFUSED, -8, "connection refused")                                      \
  XX(ECONNRESET, -9, "connection reset by peer")                                  \
  XX(ECONNABORTED, -10, "connection aborted")                                     \
  XX(ETIMEDOUT, -11, "operation timed out")                                       \
  XX(ENETUNREACH, -12, "network unreachable")                                     \
  XX(EHOSTUNREACH, -13, "host unreachable")                                       \
  XX(ENOTCONN, -14, "socket is not connected")                                    \
  XX(EISCONN, -15, "socket is already connected")                                 \
  XX(ESHUTDOWN, -16, "cannot send after the socket was shut down")                \
  XX(EMSGSIZE, -17, "message too long for the buffer or the protocol")            \
  XX(ECANCELED, -18, "operation cancelled")                                       \
  XX(ENOTSUP, -19, "operation or backend not supported here")                     \
  XX(EBUSY, -20, "resource busy")                                                 \
  XX(ECLOSING, -21, "socket or loop is closing")                                  \
  XX(ENOENT, -22, "no such timer or object")                                      \
  XX(EALREADY, -23, "operation already in progress")                              \
  XX(EACCES, -24, "permission denied")                                            \
  XX(EOF, -25, "end of stream: the peer closed its sending side")                 \
  XX(EPROTO, -26, "wrong socket type for this operation")                         \
  XX(ELOOP, -27, "loop failure (a queue became unusable)")                        \
  XX(EIO, -28, "unexpected system error (see riox_last_detail)")

enum riox_errno {
#define RIOX__ERR_ENUM(name, value, text) RIOX_##name = (value),
  RIOX_ERRNO_MAP(RIOX__ERR_ENUM)
#undef RIOX__ERR_ENUM
  RIOX_OK = 0
};

/* Explanation of a RIOX_E* value ("unknown error" for anything else). */
const char *riox_strerror(int err);
/* Symbolic name, e.g. "RIOX_EINVAL" ("RIOX_OK" for 0). */
const char *riox_err_name(int err);
/* A sentence about the most recent failure of a riox call on this thread:
 * which argument was wrong, or which OS call failed with which code. Empty
 * string when there is none. Valid until the next failing call. */
const char *riox_last_detail(void);

/* ------------------------------------------------------------ addresses */

enum { RIOX_AF_UNSPEC = 0, RIOX_AF_INET = 4, RIOX_AF_INET6 = 6 };

/* An IPv4 or IPv6 endpoint, in host-neutral form. ip[] holds the address in
 * network byte order (4 or 16 bytes); port is in host byte order. */
typedef struct riox_addr {
  uint16_t family; /* RIOX_AF_INET or RIOX_AF_INET6 */
  uint16_t port;
  uint32_t scope_id; /* IPv6 zone index, 0 otherwise */
  uint8_t ip[16];
} riox_addr;

/* Longest string riox_addr_format() writes, NUL included:
 * "[ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255%4294967295]:65535". */
#define RIOX_ADDRSTRLEN 64

/* Parse an IP literal ("127.0.0.1", "::1", "fe80::1%3") and a port. */
int riox_addr_parse(const char *ip, uint16_t port, riox_addr *out);
/* Parse "1.2.3.4:80", "[::1]:80" or "[fe80::1%3]:80". */
int riox_addr_parse_endpoint(const char *text, riox_addr *out);
/* Format as "1.2.3.4:80" or "[::1]:80". Returns the length written (without
 * NUL) or RIOX_EINVAL / RIOX_ENOBUFS when size is too small. */
int riox_addr_format(const riox_addr *addr, char *buf, size_t size);
/* Format only the IP ("1.2.3.4", "::1", "fe80::1%3"). */
int riox_addr_format_ip(const riox_addr *addr, char *buf, size_t size);

/* ----------------------------------------------------------------- loop */

typedef struct riox_loop riox_loop;
typedef struct riox_sock riox_sock;

/* How a RIO loop learns that completions are waiting (ignored by IOCP). */
enum riox_rio_notify {
  RIOX_RIO_NOTIFY_IOCP = 0, /* RIONotify through the loop's completion port */
  RIOX_RIO_NOTIFY_POLL = 1, /* busy-poll the completion queue, no kernel wait */
  RIOX_RIO_NOTIFY_EVENT = 2 /* RIONotify signals an event; the loop waits on it */
};

typedef struct riox_loop_config {
  const char *backend;   /* "auto" (or NULL), "iocp", "rio"; env RIOX_BACKEND wins */
  uint32_t buf_size;     /* bytes per pool slot (default 2048; max 1 MiB) */
  uint32_t buf_count;    /* slots in the pool (default 4096) */
  uint32_t max_requests; /* in-flight operations per loop (default 8192) */
  uint32_t accept_depth; /* AcceptEx kept posted per listener (default 8) */
  uint32_t rio_notify;   /* enum riox_rio_notify */
  /* The processor this loop serves, for its RIOX_SOCK_REUSEPORT sockets
   * ("A loop per core"): 0 = none, else processor index + 1 (at most 65536).
   * Windows needs it for a UDP socket with the flag (SIO_CPU_AFFINITY);
   * Linux gives it as SO_INCOMING_CPU. riox does not pin the thread. */
  uint32_t cpu;
  uint32_t reserved[7];  /* zero */
} riox_loop_config;

/* Fill *cfg with the defaults. */
void riox_loop_config_init(riox_loop_config *cfg);

/* Create a loop (cfg NULL = defaults). Unknown backend name -> RIOX_EINVAL;
 * "rio" where RIO is absent -> RIOX_ENOTSUP (riox_last_detail says why). */
int riox_loop_create(const riox_loop_config *cfg, riox_loop **out);
/* Tear down (see "Loop lifecycle" above). */
void riox_loop_close(riox_loop *loop);
/* "iocp", "rio" or "rio-emulated". */
const char *riox_loop_backend(const riox_loop *loop);
uint32_t riox_loop_buf_size(const riox_loop *loop);

/* ---------------------------------------------------------------- events */

enum riox_event_type {
  RIOX_EV_RECV = 1,     /* data, len, addr (UDP source) */
  RIOX_EV_SEND = 2,     /* data, len (bytes sent) */
  RIOX_EV_ACCEPT = 3,   /* accepted (new socket, ctx NULL), addr (peer) */
  RIOX_EV_CONNECT = 4,  /* status: 0 connected, or why not */
  RIOX_EV_SHUTDOWN = 5, /* riox_shutdown() finished: FIN sent after all sends */
  RIOX_EV_CLOSE = 6,    /* the last event of a socket */
  RIOX_EV_TIMER = 7,    /* timer_id; status RIOX_ECANCELED if cancelled */
  RIOX_EV_WAKE = 8,     /* ctx given to riox_wake() */
  /* A loop-level failure (status); sock may be NULL (a listener that
   * cannot keep its accepts posted names itself: riox_tcp_listen). RIOX_ELOOP is fatal
   * (RIO: the completion queue turned corrupt): every pending receive and
   * send then completes with RIOX_ELOOP, later posts fail with RIOX_ELOOP;
   * close the sockets and the loop. */
  RIOX_EV_ERROR = 9,
  RIOX_EV_READY = 10    /* readiness: ready holds RIOX_READABLE... (riox_watch) */
};

typedef struct riox_event {
  uint32_t type;       /* enum riox_event_type */
  int32_t status;      /* 0 or RIOX_E*; RIOX_EOF on a TCP receive at end of stream */
  riox_sock *sock;     /* the socket, or NULL for timers and wakes */
  void *sock_ctx;      /* the socket's context (riox_sock_set_ctx) */
  void *ctx;           /* the context given when the operation was posted */
  char *data;          /* RECV/SEND: the buffer handed back to the application */
  uint32_t len;        /* RECV: bytes received; SEND: bytes sent */
  uint32_t ready;      /* READY: the conditions that hold (riox_watch) */
  riox_addr addr;      /* RECV on UDP: source; ACCEPT: peer */
  riox_sock *accepted; /* ACCEPT: the new connection (owned by the app now) */
  uint64_t timer_id;   /* TIMER */
  uint32_t seg_size;   /* RECV on UDP: bytes per datagram in data (RIOX_UDP_GRO) */
  uint32_t ifindex;    /* RECV on UDP with RIOX_UDP_PKTINFO: arrival interface */
  riox_addr local;     /* RECV on UDP with RIOX_UDP_PKTINFO: the datagram's destination */
} riox_event;

/* Issue deferred sends, wait up to timeout_ms (-1 = forever, 0 = poll) for
 * events and copy at most max of them into events. Returns the count (0 on
 * timeout) or a negative RIOX_E*. Events not copied stay queued, in order. */
int riox_wait(riox_loop *loop, riox_event *events, int max, int timeout_ms);
/* Issue every deferred send now. Returns the number issued or RIOX_E*
 * (a TCP send still waiting for the one before it is not issued yet). */
int riox_flush(riox_loop *loop);
/* Thread-safe: make riox_wait() return a RIOX_EV_WAKE event carrying ctx.
 * Each successful call yields exactly one event. Not while, nor after,
 * riox_loop_close() runs on the same loop: the caller makes sure every
 * riox_wake() on it has returned before riox_loop_close() is called. */
int riox_wake(riox_loop *loop, void *ctx);

/* ---------------------------------------------------------------- timers */

/* One-shot timer: a RIOX_EV_TIMER event after delay_ms. Timers due at the
 * same time fire in the order they were started. */
int riox_timer_start(riox_loop *loop, uint64_t delay_ms, void *ctx, uint64_t *id);
/* The timer's event arrives with status RIOX_ECANCELED. RIOX_ENOENT if it has
 * already fired or been cancelled. */
int riox_timer_cancel(riox_loop *loop, uint64_t id);

/* --------------------------------------------------------------- buffers */

/* A free slot of riox_loop_buf_size() bytes, or RIOX_ENOBUFS. */
int riox_buf_get(riox_loop *loop, char **buf);
/* Return a slot (any pointer inside it). RIOX_EINVAL if it is not a slot of
 * this loop or is already free. */
int riox_buf_put(riox_loop *loop, char *buf);

/* --------------------------------------------------------------- sockets */

enum riox_sock_flags {
  RIOX_SOCK_DUALSTACK = 1u << 0,     /* IPv6 socket that also serves IPv4 */
  RIOX_SOCK_V6ONLY = 1u << 1,        /* IPv6 socket, IPv6 only (the default) */
  RIOX_UDP_REPORT_UNREACH = 1u << 2, /* see "UDP and ICMP" below */
  RIOX_SOCK_REUSEADDR = 1u << 3,     /* allow binding a port in TIME_WAIT */
  RIOX_SOCK_READINESS = 1u << 4,     /* a readiness socket: riox_watch, riox_try_* (below) */
  RIOX_UDP_GRO = 1u << 5,            /* accept coalesced receives ("Segmentation offload") */
  RIOX_UDP_PKTINFO = 1u << 6,        /* receives report their local address ("Local addresses") */
  RIOX_SOCK_REUSEPORT = 1u << 7      /* share the port with other loops ("A loop per core") */
};

/* Segmentation offload
 * --------------------
 * Send: riox_sendmsg with msg.seg_size carries many datagrams of one size
 * (the last may be shorter) to one destination in one operation, one
 * event. riox issues it as one OS send with UDP_SEGMENT (Linux GSO) or
 * UDP_SEND_MSG_SIZE (Windows USO) where the probe found them, and splits it
 * into datagrams itself where not: the same datagrams reach the wire either
 * way, in order. A close that stops a split send part way completes it
 * with RIOX_ECANCELED and ev.len = the bytes of the datagrams that went
 * out. At most RIOX_MAX_SEGMENTS datagrams, len at most the UDP
 * maximum (65507 on IPv4, 65527 on IPv6).
 * Receive: a socket opened with RIOX_UDP_GRO lets the OS hand over several
 * datagrams of one size from one source in one receive (UDP_GRO on Linux,
 * UDP_RECV_MAX_COALESCED_SIZE on Windows URO); the RECV event's seg_size
 * says where each datagram ends: data[0..len) holds datagrams of seg_size
 * bytes, the last one possibly shorter. seg_size == len for a single
 * datagram (and 0 for an empty one). Without RIOX_UDP_GRO nothing is
 * coalesced, and seg_size == len always. Where the OS has no coalescing,
 * RIOX_UDP_GRO is accepted and changes nothing (riox_probe tells).
 * A coalesced receive can hold up to 65535 bytes: on a RIOX_UDP_GRO socket
 * post receives of at least 65535 bytes (cfg.buf_size >= 65536). A
 * receive smaller than what arrived completes as a too-large datagram
 * does: RIOX_EMSGSIZE with the bytes that fit (seg_size still marks the
 * datagrams in them; the whole ones are intact), the rest is lost.
 * The environment variable RIOX_UDP_OFFLOAD=0 (read when a loop is
 * created) turns both offloads off for that loop: segmented sends are
 * split by riox, nothing is coalesced. A send the OS refuses to segment
 * (Linux: a segment beyond the route's MTU, no checksum offload) is split
 * by riox too, never failed. On Linux readiness sockets
 * (RIOX_SOCK_READINESS) take neither: riox_try_recv reads one datagram,
 * riox_try_send sends one, and RIOX_UDP_GRO / RIOX_UDP_PKTINFO change
 * nothing on them.
 *
 * Local addresses
 * ---------------
 * A UDP socket opened with RIOX_UDP_PKTINFO reports on each RECV event the
 * address the datagram was sent to (ev.local, port = the socket's port) and
 * the interface it arrived on (ev.ifindex), so a server bound to 0.0.0.0
 * or :: on a host with several addresses can answer from the address it
 * was asked on: riox_sendmsg with msg.from = ev.local (and msg.ifindex) sends
 * from it. Without the flag ev.local.family is RIOX_AF_UNSPEC.
 *
 * A loop per core
 * ---------------
 * RIOX_SOCK_REUSEPORT (UDP sockets, TCP listeners) lets N loops on N
 * threads each open a socket on the same port; the OS spreads the
 * datagrams and connections over them (Linux: SO_REUSEPORT, by a hash of
 * the flow; Windows: see docs/design.md, "A loop per core"). Every socket
 * sharing the port must be opened with the flag; a socket without it finds
 * the port taken (RIOX_EADDRINUSE). With riox_loop_config.cpu set, the OS
 * prefers the socket of the loop whose processor took the packet in.
 * Windows: a UDP socket with the flag needs cfg.cpu (SIO_CPU_AFFINITY,
 * Windows 10 2004 and later; RIOX_ENOTSUP where the OS lacks it, as Wine
 * does); Windows cannot share a TCP port between listeners, so there the
 * flag changes nothing on a listener and a second one on the port fails
 * with RIOX_EADDRINUSE: one loop listens. */
#define RIOX_MAX_SEGMENTS 64u

/* UDP and ICMP: Windows reports an ICMP port-unreachable (the answer to a
 * datagram sent to a closed port) as a failed receive (WSAECONNRESET) on the
 * sending socket. By default riox turns that report off (SIO_UDP_CONNRESET)
 * and, should one still arrive, re-posts the receive silently (in the next
 * riox_wait) and counts it in riox_stats.icmp_errors: a server keeps
 * serving. The re-posted receive keeps its place among the socket's
 * receives on Linux (it gets the next datagram, and its event comes before
 * those of the receives posted after it); on Windows the receives posted
 * after it are in the OS already, so it goes behind them. Only a report
 * that arrives as the receive's completion is
 * swallowed: a re-post that fails at once completes the receive with that
 * status, and after 16 reports in a row on one socket (no datagram in
 * between) the next one completes the receive, so reports can never keep
 * riox_wait busy. ICMP time-exceeded (STATUS_HOPLIMIT_EXCEEDED) counts as
 * such a report (RIOX_ECONNRESET). With
 * RIOX_UDP_REPORT_UNREACH the receive completes with RIOX_ECONNRESET
 * instead (useful for connected clients; Wine's "connection refused" for a
 * connected socket is reported as RIOX_ECONNRESET too). The same policy holds
 * for riox_try_recv. */

/* A UDP socket bound to local (port 0 = ephemeral; NULL = 0.0.0.0:0) and,
 * when remote is not NULL, connected to it. A completion socket, or with
 * RIOX_SOCK_READINESS a readiness socket (see "readiness" below). */
int riox_udp_open(riox_loop *loop, const riox_addr *local, const riox_addr *remote,
                  uint32_t flags, void *ctx, riox_sock **out);
/* A TCP listener; accepted connections arrive as RIOX_EV_ACCEPT events with
 * cfg.accept_depth AcceptEx calls kept posted whenever the OS allows: a
 * connection reset before it was accepted is dropped silently and the
 * AcceptEx posted again; a post that fails (the OS out of sockets, buffers
 * or memory; all of cfg.max_requests in use) is retried on a back-off timer
 * (10 ms, doubling, at most 1 s) until the depth is full again, and the
 * first failure of such a run is reported once as RIOX_EV_ERROR (sock = the
 * listener, status = why) -- for request slots only when the listener is
 * left with no accept posted at all. That report is not lost to a full
 * event queue (least of all when accepts fail for want of memory): the
 * listener holds room for it (riox_stats.drops). With RIOX_SOCK_READINESS: no AcceptEx,
 * connections are taken with riox_try_accept (see "readiness").
 * backlog <= 0 = system maximum. */
int riox_tcp_listen(riox_loop *loop, const riox_addr *local, int backlog, uint32_t flags,
                    void *ctx, riox_sock **out);
/* Start a TCP connection (ConnectEx). The socket is usable for riox_recv and
 * riox_send once RIOX_EV_CONNECT reports status 0; posts made earlier fail
 * with RIOX_ENOTCONN. local may be NULL. ctx becomes the socket's ctx
 * (riox_sock_ctx) and the RIOX_EV_CONNECT event's ctx. With
 * RIOX_SOCK_READINESS: a non-blocking connect, no RIOX_EV_CONNECT (see
 * "readiness"). */
int riox_tcp_connect(riox_loop *loop, const riox_addr *remote, const riox_addr *local,
                     uint32_t flags, void *ctx, riox_sock **out);

void riox_sock_set_ctx(riox_sock *sock, void *ctx);
void *riox_sock_ctx(const riox_sock *sock);
/* The bound local address (with the port the OS chose). */
int riox_sock_local(const riox_sock *sock, riox_addr *out);
/* The connected peer (TCP, connected UDP); RIOX_ENOTCONN otherwise. */
int riox_sock_peer(const riox_sock *sock, riox_addr *out);

/* Post a receive into buf[0..cap) (a pool slot). On UDP one datagram; a
 * datagram larger than cap completes with RIOX_EMSGSIZE and the bytes that
 * fit. On TCP any number of bytes, or status RIOX_EOF at end of stream.
 * Receives may be posted many deep; they complete in posting order. On TCP
 * their events come in that order however each completed (at once inside
 * the post, later from the OS, refused, cancelled), so the stream's bytes,
 * its EOF and its errors are never seen out of order. */
int riox_recv(riox_sock *sock, char *buf, uint32_t cap, void *ctx);

enum riox_send_flags {
  RIOX_SEND_DEFER = 1u << 0 /* queue; issue on riox_flush() or the next riox_wait() */
};

/* Send data[0..len) (inside one pool slot) on a TCP or connected UDP socket.
 * TCP sends are issued in order and complete only when every byte is sent,
 * their events in posting order: the OS holds one send of a TCP socket at a
 * time (the others wait in order, each issued -- at once, or deferred with
 * RIOX_SEND_DEFER -- when the one before it is done), so a send the OS
 * takes only in part is finished before any later byte goes out.
 * len 0 is allowed on UDP (an empty datagram), RIOX_EINVAL on TCP. */
int riox_send(riox_sock *sock, char *data, uint32_t len, uint32_t flags, void *ctx);
/* Send one datagram to `to` on a UDP socket (len 0..65507). */
int riox_sendto(riox_sock *sock, char *data, uint32_t len, const riox_addr *to,
                uint32_t flags, void *ctx);
/* How riox_sendmsg sends (zero it, then set what is needed). */
typedef struct riox_msg {
  const riox_addr *to;   /* destination; NULL on a connected socket */
  const riox_addr *from; /* source address (its port is ignored), or NULL: the OS picks */
  uint32_t ifindex;      /* with from: the outgoing interface, 0 = any */
  uint32_t seg_size;     /* 0 (or >= len): one datagram; else datagrams of seg_size bytes */
  uint32_t reserved[4];  /* zero */
} riox_msg;
/* Send data[0..len) on a UDP socket as msg says ("Segmentation offload",
 * "Local addresses" above): one operation, one RIOX_EV_SEND (len = all the
 * bytes). msg NULL = riox_send. More than RIOX_MAX_SEGMENTS datagrams, or
 * len beyond the UDP maximum: RIOX_EMSGSIZE; a from of the other family
 * than the socket's: RIOX_EAFNOSUPPORT. */
int riox_sendmsg(riox_sock *sock, char *data, uint32_t len, const riox_msg *msg, uint32_t flags,
                 void *ctx);
/* TCP half-close: after every send posted before it has completed, send FIN.
 * Yields one RIOX_EV_SHUTDOWN; later sends fail with RIOX_ESHUTDOWN. Receives
 * keep working. */
int riox_shutdown(riox_sock *sock, void *ctx);
/* Cancel every pending receive and send of the socket (each completes with
 * RIOX_ECANCELED unless it finished first). The socket stays open.
 * RIO cannot cancel one socket's requests without closing it: on a RIO loop
 * riox_cancel returns RIOX_ENOTSUP for a socket with RIO requests (use
 * riox_close, which completes everything with RIOX_ECANCELED). */
int riox_cancel(riox_sock *sock);
/* Close (see "Socket lifecycle"). Idempotent: a second call returns
 * RIOX_ECLOSING and does nothing.
 * On a TCP connection the close ends with FIN, never RST, receives pending
 * or not. The sends posted before it go out in order and are allowed to
 * finish (one TCP send of a socket is in the OS at a time: "Stream order"),
 * because closesocket would cancel them even after shutdown(SD_SEND) and
 * their data could be lost -- except sends still held by RIOX_SEND_DEFER
 * (posted with it and not flushed since: no riox_flush or riox_wait in
 * between): such a send, and every send after it, completes with
 * RIOX_ECANCELED, so the peer's stream never has a hole. (A held send that
 * RIO was already given cannot be taken back: it is committed at the close
 * and completes like the others.) Once a send of a closing connection fails
 * or is cancelled, the later ones are cancelled too. When the last send is
 * done, riox shuts the socket down for sending (so Winsock closes it
 * gracefully although a receive is pending) and closes it. A riox_shutdown
 * still waiting for those sends happens too (its event reports 0). The
 * wait is bounded: sends still not done after 5 seconds (a peer that does
 * not read) are cancelled and the close goes ahead (Windows may then reset
 * the connection); riox_loop_close does not wait at all. The peer receives,
 * in order, every byte of each send that completed with status 0, then end
 * of stream. Data that arrived and was never received (no receive posted
 * for it) still resets the connection, as on every TCP stack. */
int riox_close(riox_sock *sock);
/* TCP: close with RST instead of FIN (SO_LINGER 0, no wait for sends), then
 * as riox_close. */
int riox_abort(riox_sock *sock);

/* ------------------------------------------------------------- readiness */

/* Readiness style: "tell me when the socket is readable, I will read it".
 * Built on IOCTL_AFD_POLL through the loop's completion port, so READY events
 * arrive in the same riox_wait stream as completions, timers and wakes, on
 * both backends.
 *
 * A socket is used in one style only, chosen when it is created: sockets
 * opened with RIOX_SOCK_READINESS (riox_udp_open, riox_tcp_listen,
 * riox_tcp_connect) are readiness sockets, all others completion sockets.
 * The choice decides how the OS socket is made: on a RIO loop a completion
 * socket is a RIO socket (WSA_FLAG_REGISTERED_IO), which field reports say
 * is for RIO only (no FIONBIO, no reliable plain recv/send or AFD polls), so
 * a readiness socket is made without the flag, non-blocking. Calls of the
 * other style (riox_recv/riox_send/riox_sendto on a readiness socket;
 * riox_watch, riox_watch_modify, riox_unwatch, riox_try_* on a completion
 * socket) fail with RIOX_EBUSY, and riox_last_detail says which; the same
 * holds on the IOCP backend, so an application behaves alike on both.
 * A listener made with RIOX_SOCK_READINESS posts no AcceptEx (use
 * riox_try_accept), and its connections are readiness sockets; the
 * connections of a listener made without it (RIOX_EV_ACCEPT) are completion
 * sockets. riox_tcp_connect with RIOX_SOCK_READINESS starts a non-blocking
 * connect and yields no RIOX_EV_CONNECT: watch for RIOX_WRITABLE (a failure
 * known at once is returned by riox_tcp_connect itself).
 * riox_cancel on a readiness socket does nothing (it has nothing posted);
 * riox_shutdown, riox_close, riox_sock_error and the address calls work in
 * both styles, and the close event still comes last, once the pending AFD
 * poll has been cancelled.
 *
 * The backend (IOCP or RIO) does not change readiness: both loops use the
 * same AFD polls, and a readiness socket never gets a RIO request queue.
 *
 * Conditions (ev.ready):
 *   RIOX_READABLE  data, an empty datagram, a pending connection, or end of
 *                  stream can be read without blocking
 *   RIOX_WRITABLE  a send would not block (a connecting socket: connected)
 *   RIOX_RDHUP     the peer shut down its sending side (FIN received)
 *   RIOX_HANGUP    the connection is gone (reset, aborted, connect failed)
 *   RIOX_ERROR     an error is pending: riox_sock_error() tells which
 * RIOX_HANGUP and RIOX_ERROR are reported whatever the interest, as epoll
 * does. A failed connect reports RIOX_WRITABLE (if asked) | RIOX_HANGUP |
 * RIOX_ERROR, as Linux does.
 *
 * Modes:
 *   level-triggered (default): while a condition holds and is of interest,
 *     every riox_wait reports it once (like EPOLL without EPOLLET).
 *   RIOX_ONESHOT: reported once, then the socket is disarmed until
 *     riox_watch_modify re-arms it (like EPOLLONESHOT).
 * An event already queued (not yet returned by riox_wait) for a socket that
 * is then watched again, modified, unwatched or closed is dropped, never
 * delivered stale: an event always carries the ctx and interest of the
 * current watch; a condition that still holds is reported anew. */
enum riox_ready_flags {
  RIOX_READABLE = 1u << 0,
  RIOX_WRITABLE = 1u << 1,
  RIOX_RDHUP = 1u << 2,
  RIOX_HANGUP = 1u << 3,
  RIOX_ERROR = 1u << 4
};
/* A macro, not an enumerator: C11 enumerators must fit an int and bit 31
 * does not (MSVC would make it INT_MIN, a negative constant). */
#define RIOX_ONESHOT 0x80000000u

int riox_watch(riox_sock *sock, uint32_t events, void *ctx);
/* Change interest or ctx; re-arms a one-shot watch. */
int riox_watch_modify(riox_sock *sock, uint32_t events, void *ctx);
int riox_unwatch(riox_sock *sock);

/* Non-blocking calls for readiness users, with the application's own memory.
 * Each returns bytes transferred (>= 0) or RIOX_EAGAIN when it would block.
 * riox_try_recv: a datagram (from = its source; RIOX_EMSGSIZE if it did not
 * fit) or stream bytes (RIOX_EOF at end of stream). riox_try_send: `to` for
 * unconnected UDP, NULL otherwise. */
int riox_try_recv(riox_sock *sock, void *buf, uint32_t cap, riox_addr *from);
int riox_try_send(riox_sock *sock, const void *data, uint32_t len, const riox_addr *to);
/* A pending connection of a RIOX_SOCK_READINESS listener, or RIOX_EAGAIN. */
int riox_try_accept(riox_sock *listener, riox_sock **out, riox_addr *peer);
/* The socket's pending error (SO_ERROR) as RIOX_E*, 0 when none. */
int riox_sock_error(riox_sock *sock);

/* ------------------------------------------------------------ statistics */

typedef struct riox_stats {
  uint64_t recv_ops, recv_bytes;   /* completed receives */
  uint64_t send_ops, send_bytes;   /* completed sends */
  uint64_t accepts, connects;      /* completed accepts and connects */
  uint64_t completions;            /* OS completions processed */
  uint64_t waits;                  /* kernel waits (GetQueuedCompletionStatusEx) */
  uint64_t batches;                /* flushes that issued deferred sends */
  uint64_t os_calls;               /* every OS call on the I/O path: kernel_calls + ring_ops */
  uint64_t kernel_calls;           /* of those, calls that enter the kernel (system calls) */
  uint64_t ring_ops;               /* of those, user-mode ring work: RIODequeueCompletion, a
                                      deferred RIO post, io_uring SQ/CQ ring reads and writes */
  uint64_t events;                 /* events returned by riox_wait */
  uint64_t drops;                  /* work the loop had to give up (below) */
  uint64_t icmp_errors;            /* UDP ICMP reports swallowed (see above) */
  uint64_t errors;                 /* events delivered with a failure status */
  uint64_t buf_total, buf_in_use, buf_high_water, buf_exhausted;
  uint64_t req_in_use, req_high_water, req_exhausted;
} riox_stats;

/* riox_stats.drops counts what the loop had to give up, and only this:
 *  - a connection the OS accepted that riox could not take on (no memory
 *    for its socket): the client sees a reset, the listener serves on;
 *  - a report no operation owes that found the event queue full and
 *    unable to grow: a RIO loop's RIOX_EV_ERROR (sock NULL); a listener's
 *    RIOX_EV_ERROR for a new streak of accept failures while its previous
 *    report is still queued (not yet returned by riox_wait); a readiness
 *    RIOX_EV_READY nothing owes (Linux: reported again once there is room
 *    and the socket is armed again; Windows: RIOX_ERROR for a poll that
 *    could not be submitted);
 *  - Windows: a wake the OS refused to queue again while the event queue
 *    was full.
 * Never dropped: the event of a posted operation (RECV, SEND, ACCEPT,
 * CONNECT, SHUTDOWN, TIMER, WAKE) and a socket's CLOSE -- their room is
 * found when the call is made, which fails with RIOX_ENOMEM instead -- nor
 * a listener's report of a streak of accept failures (riox_tcp_listen)
 * when the one before it has been returned: every listener holds room for
 * one from riox_tcp_listen to riox_close. */
void riox_loop_stats(const riox_loop *loop, riox_stats *out);

/* ----------------------------------------------------------------- probe */

/* What the OS offers, found through WSAIoctl on a scratch socket. */
typedef struct riox_probe_report {
  int winsock;      /* Winsock 2.2 started */
  int rio;          /* RIO usable: the function table loaded AND a request queue could be
                       created on a test socket (what "auto" goes by) */
  int rio_emulated; /* the table came from the test emulator, not the OS */
  int acceptex, connectex, getacceptexsockaddrs, disconnectex;
  int wsarecvmsg, wsasendmsg;
  int skip_on_success; /* FILE_SKIP_COMPLETION_PORT_ON_SUCCESS usable on UDP/TCP */
  int ipv6;
  int rio_error;    /* WSA error of the RIO lookup or of the queue check, 0 when usable */
  int rio_table;    /* the RIO function table loaded (it may still be unusable) */
  char detail[160]; /* human summary: what is missing, or why RIO is not usable */
  /* Linux (0 on Windows): the backends this host can run. */
  int epoll;        /* epoll usable */
  int uring;        /* io_uring usable by riox: a ring, and every opcode the backend needs */
  char auto_backend[16]; /* what backend "auto" picks on this host */
  /* Linux: what the ring offers (0 when uring is 0) and the socket options
   * worth knowing. */
  int uring_single_issuer; /* IORING_SETUP_SINGLE_ISSUER accepted */
  int uring_defer_taskrun; /* IORING_SETUP_DEFER_TASKRUN accepted */
  int uring_send_zc;       /* IORING_OP_SEND_ZC */
  int uring_multishot;     /* multishot accept (tested) and recv */
  int uring_fixed_bufs;    /* a default loop's pool can be registered (RLIMIT_MEMLOCK) */
  int udp_gso, udp_gro;    /* UDP_SEGMENT, UDP_GRO */
  int reuseport;           /* SO_REUSEPORT */
  /* Windows (0 on Linux): UDP segmentation offload (UDP_SEND_MSG_SIZE) and
   * receive coalescing (UDP_RECV_MAX_COALESCED_SIZE) accepted on a UDP socket. */
  int uso, uro;
} riox_probe_report;

int riox_probe(riox_probe_report *out);

#ifdef __cplusplus
}
#endif
#endif /* RIOX_H */
