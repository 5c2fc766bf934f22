/* riox-perf client internals. client.c runs the phases every mode shares
 *   handshake -> warm-up -> measured window -> drain
 * (deadlines, fixed-rate schedule, snapshots of loop statistics and CPU time,
 * progress lines, stall detection); a mode (client_udp.c, client_tcp.c)
 * supplies the sockets, what one operation is, and how its events count. */
#ifndef RIOX_PERF_CLIENT_H
#define RIOX_PERF_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "histogram.h"
#include "perf.h"
#include "plat.h"

#define CLIENT_MS 1000000ull /* ns */
#define CLIENT_TICK_NS (100 * CLIENT_MS)
/* An rr request without an answer for this long is a drop. */
#define CLIENT_LOSS_NS (1000 * CLIENT_MS)
/* How long the drain may take before the rest counts as lost. */
#define CLIENT_DRAIN_NS (1500 * CLIENT_MS)

enum client_phase {
  CLIENT_HANDSHAKE = 0, /* connecting / hello */
  CLIENT_WARMUP,
  CLIENT_MEASURE,
  CLIENT_DRAIN,         /* no new operations; wait for what is outstanding */
  CLIENT_DONE
};

typedef struct client client_t;

/* A request slot for udp-rr: the request it carries and when it went out. */
typedef struct client_slot {
  uint64_t seq;
  uint64_t stamp;   /* intended send time (latency origin) */
  uint64_t sent_ns; /* actual send time (loss timeout origin) */
  int used;
} client_slot_t;

/* One socket (UDP) or connection (TCP). */
typedef struct client_conn {
  client_t *c;
  riox_sock *sock;
  uint32_t index;
  int ready;         /* handshake done */
  int closed;        /* its RIOX_EV_CLOSE arrived */
  uint32_t inflight; /* operations outstanding */
  uint64_t next_ns;  /* fixed rate: intended time of the next operation */
  uint64_t seq;
  uint64_t hello_ns; /* UDP: last HELLO sent */
  /* Send buffers owned by this connection (a stack), depth + 1 of them. */
  char **bufs;
  uint32_t nbufs;
  /* udp-rr: depth request slots and a stack of free ones. */
  client_slot_t *slots;
  uint16_t *free_slots;
  uint32_t nfree_slots;
  /* tcp-rr: intended send times of outstanding requests, in order. */
  uint64_t *fifo;
  uint32_t fifo_head, fifo_count;
  uint64_t rx_partial; /* bytes received toward the current response */
  /* TCP: bytes of the HELLO_ACK received so far. */
  uint32_t ack_got;
  char ack[32];
} client_conn_t;

typedef struct client_mode {
  const char *latency_kind; /* "round-trip" or "send-completion" */
  /* Open the sockets and start the handshake. PERF_EXIT_*, c->err set. */
  int (*open)(client_t *c);
  /* Post one operation on a ready connection with a free buffer, whose
   * latency counts from `stamp`. 0, or < 0 when it could not be posted now. */
  int (*send_one)(client_t *c, client_conn_t *k, uint64_t stamp);
  void (*event)(client_t *c, const riox_event *ev, uint64_t now);
  /* Every CLIENT_TICK_NS and at each phase change: retries, loss timeouts. */
  void (*tick)(client_t *c, uint64_t now);
  /* Phase changes (may be NULL). */
  void (*window_start)(client_t *c, uint64_t now);
  void (*window_end)(client_t *c, uint64_t now);
  /* Drain is over when this says so (or at the drain deadline). */
  int (*drained)(const client_t *c);
  /* Final accounting after the drain: fill ops/elapsed/drops where the mode
   * measures them itself. PERF_EXIT_*, c->err set on failure. */
  int (*finish)(client_t *c, uint64_t now);
} client_mode_t;

struct client {
  const perf_opts *o;
  const client_mode_t *mode;
  riox_loop *loop;
  perf_server_t *srv;
  riox_addr target;
  char target_text[RIOX_ADDRSTRLEN];
  client_conn_t *conns;
  uint32_t nconns;
  uint32_t bufsz;
  uint32_t batch; /* udp-flood: datagrams per send (--offload on: one segmented send) */
  uint64_t session;
  int phase;
  uint64_t t_begin;       /* handshake done: warm-up starts, schedule starts */
  uint64_t t_deadline;    /* end of the current phase */
  uint64_t interval_ns;   /* per connection, fixed rate; 0 = as fast as possible */
  uint64_t next_tick;
  uint64_t last_progress; /* last time an operation completed */
  /* Measured window. */
  histogram_t hist;
  uint64_t ops;           /* completed operations in the window */
  uint64_t drops;         /* lost in the window or the drain */
  uint64_t sent;          /* data sends completed, whole run */
  uint64_t t0, t1;        /* window start and end (client clock) */
  double elapsed_override; /* > 0: the mode measured the window itself (s) */
  riox_stats st0, st1;
  uint64_t cpu_u0, cpu_k0, cpu_u1, cpu_k1;
  /* Progress lines. */
  int progress;
  uint64_t next_report, report_ops, report_sent;
  /* Failure. */
  int failed;             /* PERF_EXIT_* */
  char err[320];
  void *mode_state;
};

/* Record a failure (the first one wins) and end the run. */
void client_fail(client_t *c, int code, const char *fmt, ...)
#if defined(__GNUC__) || defined(__clang__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
/* Are measurements being taken (latency samples, op counts)? */
static inline int client_measuring(const client_t *c) { return c->phase == CLIENT_MEASURE; }
/* One operation completed with latency now - stamp. */
void client_op_done(client_t *c, uint64_t stamp, uint64_t now);
/* Buffer stack of a connection. */
static inline char *client_buf_pop(client_conn_t *k) { return k->nbufs ? k->bufs[--k->nbufs] : NULL; }
static inline void client_buf_push(client_conn_t *k, char *b) { k->bufs[k->nbufs++] = b; }
/* Allocate the per-connection arrays and nbufs_wanted send buffers. */
int client_conn_init(client_t *c, client_conn_t *k, uint32_t nbufs_wanted);
/* The handshake of every connection is done. */
int client_all_ready(const client_t *c);
/* A status that means the run is being torn down, not a failure. */
static inline int client_status_closing(int status) {
  return status == RIOX_ECANCELED || status == RIOX_ECLOSING;
}

extern const client_mode_t client_udp_flood, client_udp_rr, client_tcp_stream, client_tcp_rr;

#endif
