/* echo-raw-uring: an io_uring echo server (UDP and TCP) on liburing, the
 * completion-model baseline for riox-echo on Linux.
 *
 *   echo-raw-uring [--udp PORT] [--tcp PORT] [--bind ADDR] [--seconds N]
 *                  [--udp-sockets N] [--quiet]
 *
 * One thread, one ring; each cycle is one io_uring_submit_and_wait() that
 * hands the kernel every request prepared since the last one and waits for
 * at least one completion, then all ready completions are handled.
 *  - UDP: each socket (--udp-sockets, default 1, sharing the port with
 *    SO_REUSEPORT) has UDP_SLOTS slots, each with a 64 KiB buffer and its
 *    own msghdr. A slot alternates: IORING_OP_RECVMSG into the buffer, then
 *    IORING_OP_SENDMSG of the same bytes back to the address just received,
 *    then the receive again. No buffers are registered: RECVMSG/SENDMSG do
 *    not take fixed buffers (only READ/WRITE_FIXED and SEND_ZC do).
 *  - TCP: TCP_ACCEPTS accepts stay posted on the listener; each connection
 *    owns one 64 KiB buffer and has exactly one request in flight:
 *    IORING_OP_RECV, then IORING_OP_SEND until all of it is gone, then the
 *    receive again. A receive of 0 (the peer's FIN, everything echoed)
 *    closes it.
 *  - SIGINT/SIGTERM arrive through a signalfd polled on the ring and
 *    --seconds through an IORING_OP_TIMEOUT. Stopping cancels every request
 *    (IORING_ASYNC_CANCEL_ANY) and waits for their completions before any
 *    buffer is freed.
 * Exit status 77 (with the reason on stderr) when no ring can be created.
 * Prints "ready backend=raw-uring udp=PORT tcp=PORT" when listening. */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <liburing.h>

#include "bl_common.h"

#define PROG "echo-raw-uring"
#define RING_ENTRIES 1024 /* submission queue; the completion queue is twice that */
#define UDP_SLOTS 32      /* receives kept posted per UDP socket */
#define TCP_ACCEPTS 4     /* accepts kept posted on the listener */
#define TCP_BUF 65536u    /* per-connection echo buffer */
#define STOP_WAIT_MS 2000 /* bound on waiting for cancelled requests at exit */

/* Every request's user_data points at one of these, first member of the
 * object that owns the request, so a completion dispatches with no lookup. */
typedef struct op op;
typedef void op_done_fn(op *o, int res);
struct op {
  op_done_fn *done;
};

typedef struct udp_slot {
  op op;
  int fd;
  int sending; /* 0: the receive is in flight, 1: the echo is */
  struct msghdr msg;
  struct iovec iov;
  struct sockaddr_storage peer;
  unsigned char buf[BL_DGRAM_MAX];
} udp_slot;

typedef struct conn {
  op op;
  int fd;
  int sending;
  struct conn *prev, *next; /* all open connections, freed at exit */
  size_t off, len;          /* buf[off..len) still to send */
  unsigned char buf[TCP_BUF];
} conn;

typedef struct acceptor {
  op op;
  int fd;
} acceptor;

typedef struct watcher { /* the signalfd poll and the --seconds timeout */
  op op;
  int fd;
  struct __kernel_timespec ts;
} watcher;

static struct {
  struct io_uring ring;
  unsigned long inflight; /* requests posted whose completion is not yet handled */
  int stopping, failed;
  conn *conns;
  unsigned long long udp_in, udp_out, udp_bytes, udp_drops, udp_errors;
  unsigned long long accepts, accept_errors, tcp_bytes;
} g;

/* A submission entry; when the queue is full, the prepared ones go to the
 * kernel first (the completion loop's submit_and_wait then sends the rest). */
static struct io_uring_sqe *sqe_for(op *o) {
  struct io_uring_sqe *sqe = io_uring_get_sqe(&g.ring);
  if (sqe == NULL) {
    io_uring_submit(&g.ring);
    sqe = io_uring_get_sqe(&g.ring);
  }
  if (sqe == NULL) {
    fprintf(stderr, PROG ": submission queue stays full\n");
    g.failed = g.stopping = 1;
    return NULL;
  }
  io_uring_sqe_set_data(sqe, o);
  if (o != NULL) g.inflight++;
  return sqe;
}

/* ------------------------------------------------------------------ UDP */

static void udp_post_recv(udp_slot *s) {
  struct io_uring_sqe *sqe = sqe_for(&s->op);
  if (sqe == NULL) return;
  s->sending = 0;
  s->iov.iov_len = BL_DGRAM_MAX;
  s->msg.msg_namelen = sizeof s->peer;
  s->msg.msg_flags = 0;
  io_uring_prep_recvmsg(sqe, s->fd, &s->msg, 0);
}

static void udp_done(op *o, int res) {
  udp_slot *s = (udp_slot *)o;
  struct io_uring_sqe *sqe;
  if (g.stopping) return;
  if (s->sending) {
    if (res < 0) {
      g.udp_drops++; /* UDP may lose it; the slot goes on receiving */
    } else {
      g.udp_out++;
      g.udp_bytes += (unsigned)res;
    }
    udp_post_recv(s);
    return;
  }
  if (res < 0) {
    g.udp_errors++;
    udp_post_recv(s);
    return;
  }
  g.udp_in++;
  sqe = sqe_for(&s->op);
  if (sqe == NULL) return;
  s->sending = 1;
  s->iov.iov_len = (size_t)res;
  /* The sender's address as recvmsg stored it; its length by family, so
   * the reply never depends on how the kernel reported msg_namelen. */
  s->msg.msg_namelen = s->peer.ss_family == AF_INET6 ? sizeof(struct sockaddr_in6)
                                                     : sizeof(struct sockaddr_in);
  io_uring_prep_sendmsg(sqe, s->fd, &s->msg, 0);
}

static udp_slot *udp_slots_new(int fd) {
  udp_slot *slots = calloc(UDP_SLOTS, sizeof *slots);
  int k;
  if (slots == NULL) return NULL;
  for (k = 0; k < UDP_SLOTS; k++) {
    udp_slot *s = &slots[k];
    s->op.done = udp_done;
    s->fd = fd;
    s->iov.iov_base = s->buf;
    s->msg.msg_iov = &s->iov;
    s->msg.msg_iovlen = 1;
    s->msg.msg_name = &s->peer;
    udp_post_recv(s);
  }
  return slots;
}

/* ------------------------------------------------------------------ TCP */

static void conn_free(conn *c) {
  close(c->fd);
  if (c->prev != NULL) c->prev->next = c->next;
  else g.conns = c->next;
  if (c->next != NULL) c->next->prev = c->prev;
  free(c);
}

static void conn_post_recv(conn *c) {
  struct io_uring_sqe *sqe = sqe_for(&c->op);
  if (sqe == NULL) return;
  c->sending = 0;
  io_uring_prep_recv(sqe, c->fd, c->buf, TCP_BUF, 0);
}

static void conn_post_send(conn *c) {
  struct io_uring_sqe *sqe = sqe_for(&c->op);
  if (sqe == NULL) return;
  c->sending = 1;
  io_uring_prep_send(sqe, c->fd, c->buf + c->off, c->len - c->off, MSG_NOSIGNAL);
}

/* The connection's only request completed, so nothing else refers to it. */
static void conn_done(op *o, int res) {
  conn *c = (conn *)o;
  if (g.stopping) return; /* freed with the others once all requests are back */
  if (res < 0 || (res == 0 && c->sending)) {
    conn_free(c); /* reset, error */
    return;
  }
  if (!c->sending) {
    if (res == 0) { /* the peer's FIN, and nothing is left to echo */
      conn_free(c);
      return;
    }
    c->off = 0;
    c->len = (size_t)res;
    conn_post_send(c);
    return;
  }
  c->off += (size_t)res;
  g.tcp_bytes += (unsigned)res;
  if (c->off < c->len) conn_post_send(c); /* a short send: the rest, in order */
  else conn_post_recv(c);
}

static void accept_post(acceptor *a) {
  struct io_uring_sqe *sqe = sqe_for(&a->op);
  if (sqe != NULL) io_uring_prep_accept(sqe, a->fd, NULL, NULL, SOCK_CLOEXEC);
}

static void accept_done(op *o, int res) {
  acceptor *a = (acceptor *)o;
  conn *c;
  if (g.stopping) {
    if (res >= 0) close(res);
    return;
  }
  if (res < 0) {
    g.accept_errors++; /* the listener stays: accept again */
  } else if ((c = malloc(sizeof *c)) == NULL) {
    close(res);
    g.accept_errors++;
  } else {
    c->op.done = conn_done;
    c->fd = res;
    c->off = c->len = 0;
    c->prev = NULL;
    c->next = g.conns;
    if (g.conns != NULL) g.conns->prev = c;
    g.conns = c;
    g.accepts++;
    conn_post_recv(c);
  }
  accept_post(a);
}

/* ------------------------------------------------------------- stopping */

static void stop_done(op *o, int res) {
  (void)o;
  (void)res; /* the signal or the --seconds timeout: either way, stop */
  g.stopping = 1;
}

/* Cancels everything in flight and handles the completions, so no buffer is
 * freed while the kernel may still write into it. */
static void drain(void) {
  struct io_uring_sqe *sqe = sqe_for(NULL);
  long long until = bl_now_ms() + STOP_WAIT_MS;
  if (sqe == NULL) return;
  io_uring_prep_cancel64(sqe, 0, IORING_ASYNC_CANCEL_ANY);
  while (g.inflight > 0 && bl_now_ms() < until) {
    struct __kernel_timespec ts = {0, 100 * 1000 * 1000};
    struct io_uring_cqe *cqe;
    unsigned head, seen = 0;
    io_uring_submit_and_wait_timeout(&g.ring, &cqe, 1, &ts, NULL);
    io_uring_for_each_cqe(&g.ring, head, cqe) {
      op *o = io_uring_cqe_get_data(cqe);
      seen++;
      if (o == NULL) {
        if (cqe->res < 0 && cqe->res != -ENOENT)
          fprintf(stderr, PROG ": cancel: %s (left to the ring's teardown)\n",
                  strerror(-cqe->res));
        continue;
      }
      g.inflight--;
      o->done(o, cqe->res);
      /* A connection accepted in the race closes in accept_done. */
    }
    io_uring_cq_advance(&g.ring, seen);
  }
  if (g.inflight > 0)
    fprintf(stderr, PROG ": %lu requests still in flight at exit\n", g.inflight);
}

/* ------------------------------------------------------------------ main */

/* The fastest setup this kernel accepts: a single submitter whose task work
 * runs only when it waits, then cooperative task work, then the default. */
static int ring_init(void) {
  static const unsigned flags[] = {IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN,
                                   IORING_SETUP_COOP_TASKRUN, 0};
  size_t k;
  int rc = -ENOSYS;
  for (k = 0; k < sizeof flags / sizeof flags[0]; k++) {
    struct io_uring_params p;
    memset(&p, 0, sizeof p);
    p.flags = flags[k];
    rc = io_uring_queue_init_params(RING_ENTRIES, &g.ring, &p);
    if (rc != -EINVAL) break; /* EINVAL: a flag this kernel does not know */
  }
  return rc;
}

int main(int argc, char **argv) {
  bl_opts o;
  udp_slot *udp[BL_UDP_SOCKETS_MAX] = {0};
  int ufd[BL_UDP_SOCKETS_MAX];
  acceptor acc[TCP_ACCEPTS];
  watcher sig = {{stop_done}, -1, {0, 0}}, timer = {{stop_done}, -1, {0, 0}};
  struct io_uring_sqe *sqe;
  unsigned udp_port = 0, tcp_port = 0;
  long i, nudp = 0, nfd = 0;
  int lfd = -1, rc;

  if (bl_parse_args(PROG, argc, argv, &o) < 0) return 2;
  bl_no_sigpipe();
  rc = ring_init();
  if (rc < 0) {
    fprintf(stderr, PROG ": io_uring unavailable here: io_uring_queue_init: %s\n", strerror(-rc));
    return 77;
  }
  sig.fd = bl_signal_fd(PROG);
  if (sig.fd < 0) goto fail;
  sqe = sqe_for(&sig.op);
  if (sqe == NULL) goto fail;
  io_uring_prep_poll_add(sqe, sig.fd, POLLIN);
  if (o.seconds > 0) {
    timer.ts.tv_sec = o.seconds;
    sqe = sqe_for(&timer.op);
    if (sqe == NULL) goto fail;
    io_uring_prep_timeout(sqe, &timer.ts, 0, 0);
  }
  if (o.udp_port >= 0) {
    /* Blocking sockets: the ring waits for data itself (poll-armed). */
    if (bl_udp_open(PROG, &o, 0, ufd, &udp_port) < 0) goto fail;
    for (nfd = o.udp_sockets; nudp < nfd; nudp++) {
      udp[nudp] = udp_slots_new(ufd[nudp]);
      if (udp[nudp] == NULL) {
        fprintf(stderr, PROG ": out of memory\n");
        goto fail;
      }
    }
  }
  if (o.tcp_port >= 0) {
    if (bl_tcp_listen(PROG, &o, 0, &lfd, &tcp_port) < 0) goto fail;
    for (i = 0; i < TCP_ACCEPTS; i++) {
      acc[i].op.done = accept_done;
      acc[i].fd = lfd;
      accept_post(&acc[i]);
    }
  }
  rc = io_uring_submit(&g.ring);
  if (rc < 0) {
    fprintf(stderr, PROG ": io_uring_submit: %s\n", strerror(-rc));
    goto fail;
  }
  bl_ready("raw-uring", udp_port, tcp_port);

  while (!g.stopping) {
    struct io_uring_cqe *cqe;
    unsigned head, seen = 0;
    rc = io_uring_submit_and_wait(&g.ring, 1);
    /* EBUSY/EAGAIN: completions are backed up; handling them is the cure. */
    if (rc < 0 && rc != -EINTR && rc != -EBUSY && rc != -EAGAIN) {
      fprintf(stderr, PROG ": io_uring_submit_and_wait: %s\n", strerror(-rc));
      g.failed = 1;
      break;
    }
    io_uring_for_each_cqe(&g.ring, head, cqe) {
      op *c = io_uring_cqe_get_data(cqe);
      seen++;
      g.inflight--;
      c->done(c, cqe->res);
    }
    io_uring_cq_advance(&g.ring, seen);
  }
  g.stopping = 1;
  drain();
  if (!o.quiet)
    fprintf(stderr,
            PROG ": udp recv %llu send %llu (%llu bytes) drops %llu errors %llu; tcp accepts "
                 "%llu (%llu errors) echoed %llu bytes\n",
            g.udp_in, g.udp_out, g.udp_bytes, g.udp_drops, g.udp_errors, g.accepts,
            g.accept_errors, g.tcp_bytes);
  goto out;
fail:
  g.failed = 1;
  g.stopping = 1;
  drain();
out:
  io_uring_queue_exit(&g.ring);
  while (g.conns != NULL) conn_free(g.conns);
  for (i = 0; i < nudp; i++) free(udp[i]);
  for (i = 0; i < nfd; i++) close(ufd[i]);
  if (lfd >= 0) close(lfd);
  if (sig.fd >= 0) close(sig.fd);
  return g.failed ? 1 : 0;
}
