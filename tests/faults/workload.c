/* The workload of the fault tests (workload.h). */
#include "workload.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

#include "riox_test.h"

int wl_lift_before_finish;
static world wl__w; /* large: not on the stack */

static int wl__recv(world *w, int si, uint32_t cap) {
  char *buf;
  w_op *op;
  if (si < 0 || riox_buf_get(w->loop, &buf) < 0) return -1;
  op = w_op_begin(w, si, W_RX, RIOX_EV_RECV, buf);
  if (op == NULL) {
    (void)riox_buf_put(w->loop, buf);
    return -1;
  }
  return w_posted(w, op, riox_recv(w->socks[si].s, buf, cap, op));
}

static int wl__send(world *w, int si, const riox_addr *to, uint32_t len, uint32_t flags) {
  char *buf;
  w_op *op;
  if (si < 0 || riox_buf_get(w->loop, &buf) < 0) return -1;
  h_fill(buf, len, len);
  op = w_op_begin(w, si, W_TX, RIOX_EV_SEND, buf);
  if (op == NULL) {
    (void)riox_buf_put(w->loop, buf);
    return -1;
  }
  return w_posted(w, op, to != NULL ? riox_sendto(w->socks[si].s, buf, len, to, flags, op)
                                    : riox_send(w->socks[si].s, buf, len, flags, op));
}

static int wl__open_udp(world *w, uint32_t flags, riox_addr *at) {
  riox_sock *s;
  riox_addr any = h_v4(0);
  int si;
  /* A dual-stack socket binds the IPv6 any address; IPv4 reaches it. */
  if (riox_udp_open(w->loop, (flags & RIOX_SOCK_DUALSTACK) ? NULL : &any, NULL, flags, NULL, &s) < 0)
    return -1;
  if (riox_sock_local(s, at) < 0) *at = h_v4(9);
  *at = h_v4(at->port);
  si = w_sock_add(w, s);
  if (si >= 0) w->socks[si].udp = 1;
  return si;
}

static void wl__close(world *w, int si) {
  if (si >= 0 && !w->socks[si].closing) w_closing(w, si, riox_close(w->socks[si].s));
}

static w_op *wl__connect_op;

/* The connect is done, and (if it worked) the connection accepted. */
static int wl__connected(world *w) {
  if (wl__connect_op->state != 3) return 0;
  return !w->connect_ok || w->accepted != NULL;
}

static int wl__sends_done(world *w) {
  int i;
  for (i = 0; i < w->nops; i++)
    if (w->ops[i].state == 2 && w->ops[i].type != RIOX_EV_RECV) return 0;
  return 1;
}

static int wl__ready(world *w) { return w->ready_seen > 0; }

/* UDP: deep receives on a, plain and deferred sends from b, then cancel. */
static void wl__udp(world *w, int quick) {
  riox_addr at_a, at_b;
  /* a asks for every option a UDP socket can have (setsockopt sites). */
  int a = wl__open_udp(w, RIOX_SOCK_DUALSTACK | RIOX_UDP_GRO | RIOX_UDP_PKTINFO | RIOX_SOCK_REUSEPORT,
                       &at_a),
      b = wl__open_udp(w, 0, &at_b), i, n = quick ? 3 : 8;
  (void)at_b;
  for (i = 0; i < n; i++) (void)wl__recv(w, a, 2048);
  for (i = 0; i < n / 2; i++) (void)wl__send(w, b, &at_a, 100 + (uint32_t)i, 0);
  for (; i < n; i++) (void)wl__send(w, b, &at_a, 100 + (uint32_t)i, RIOX_SEND_DEFER);
  (void)riox_flush(w->loop);
  (void)w_pump_until(w, wl__sends_done, quick ? 500 : 300);
  w_pump(w, 2);
  /* More receives, then cancel them all. */
  for (i = 0; i < 3; i++) (void)wl__recv(w, a, 2048);
  if (a >= 0) (void)riox_cancel(w->socks[a].s);
  w_pump(w, 2);
  wl__close(w, b);
}

/* TCP: connect, accept, both directions, a half-close, a close with a
 * receive in flight, an abort. */
static void wl__tcp(world *w, int quick) {
  riox_sock *s;
  riox_addr at = h_v4(0);
  int lst = -1, cli, srv, i;
  w_op *op;
  if (riox_tcp_listen(w->loop, &at, 16, 0, NULL, &s) == 0) {
    lst = w_sock_add(w, s);
    if (riox_sock_local(s, &at) < 0) at.port = 9;
  } else {
    at.port = 9; /* nobody listens: the connect fails */
  }
  op = w_op_begin(w, -1, W_OTHER, RIOX_EV_CONNECT, NULL);
  if (op == NULL || riox_tcp_connect(w->loop, &at, NULL, 0, op, &s) < 0) {
    (void)w_posted(w, op, -1);
    wl__close(w, lst);
    return;
  }
  cli = w_sock_add(w, s);
  op->sock = cli;
  (void)w_posted(w, op, cli >= 0 ? 0 : -1);
  wl__connect_op = op;
  w->accepted = NULL;
  (void)w_pump_until(w, wl__connected, 1000);
  srv = w->accepted != NULL ? w_sock_find(w, w->accepted) : -1;
  if (srv >= 0) {
    for (i = 0; i < (quick ? 2 : 4); i++) (void)wl__recv(w, srv, 2048);
    (void)wl__recv(w, cli, 2048);
    (void)wl__send(w, cli, NULL, 1500, 0);
    (void)wl__send(w, cli, NULL, 700, RIOX_SEND_DEFER);
    (void)wl__send(w, cli, NULL, 300, 0);
    op = w_op_begin(w, cli, W_OTHER, RIOX_EV_SHUTDOWN, NULL);
    (void)w_posted(w, op, riox_shutdown(w->socks[cli].s, op));
    (void)wl__send(w, srv, NULL, 900, 0);
    (void)w_pump_until(w, wl__sends_done, 1000);
    w_pump(w, 2);
    /* The server closes with receives in flight; the client aborts. */
    wl__close(w, srv);
    if (!w->socks[cli].closing) w_closing(w, cli, riox_abort(w->socks[cli].s));
  } else {
    wl__close(w, cli);
  }
  wl__close(w, lst);
}

/* Readiness: a watched UDP socket gets a datagram; then unwatched. */
static void wl__ready_udp(world *w) {
  riox_addr at_r, at_b;
  int r = wl__open_udp(w, RIOX_SOCK_READINESS, &at_r), b = wl__open_udp(w, 0, &at_b);
  char tmp[256];
  (void)at_b;
  if (r < 0) {
    wl__close(w, b);
    return;
  }
  w->ready_seen = 0;
  (void)riox_watch(w->socks[r].s, RIOX_READABLE, NULL);
  (void)wl__send(w, b, &at_r, 64, 0);
  if (w_pump_until(w, wl__ready, 300)) (void)riox_try_recv(w->socks[r].s, tmp, sizeof tmp, NULL);
  (void)riox_unwatch(w->socks[r].s);
  w_pump(w, 1);
  wl__close(w, r);
  wl__close(w, b);
}

static int wl__sock_ready(world *w) { return w->ready_seen > 0; }

/* Readiness TCP: a listener watched, riox_try_accept, riox_try_send and
 * riox_try_recv on the pair. */
static void wl__ready_tcp(world *w) {
  riox_sock *s, *conn;
  riox_addr at = h_v4(0), peer;
  int lst = -1, cli = -1, srv = -1;
  char tmp[64];
  if (riox_tcp_listen(w->loop, &at, 8, RIOX_SOCK_READINESS, NULL, &s) < 0) return;
  lst = w_sock_add(w, s);
  if (riox_sock_local(s, &at) < 0 || lst < 0) goto out;
  if (riox_tcp_connect(w->loop, &at, NULL, RIOX_SOCK_READINESS, NULL, &s) < 0) goto out;
  cli = w_sock_add(w, s);
  w->ready_seen = 0;
  if (riox_watch(w->socks[lst].s, RIOX_READABLE, NULL) == 0) (void)w_pump_until(w, wl__sock_ready, 300);
  if (riox_try_accept(w->socks[lst].s, &conn, &peer) == 0) srv = w_sock_add(w, conn);
  if (cli >= 0) {
    w->ready_seen = 0;
    if (riox_watch(w->socks[cli].s, RIOX_WRITABLE, NULL) == 0) (void)w_pump_until(w, wl__sock_ready, 300);
    (void)riox_try_send(w->socks[cli].s, "ping", 4, NULL);
    (void)riox_sock_error(w->socks[cli].s);
  }
  w_pump(w, 2);
  if (srv >= 0) (void)riox_try_recv(w->socks[srv].s, tmp, sizeof tmp, NULL);
out:
  wl__close(w, srv);
  wl__close(w, cli);
  wl__close(w, lst);
}

/* Timers (one cancelled) and a wake. */
static void wl__timers(world *w) {
  uint64_t id[3];
  int i;
  for (i = 0; i < 3; i++) {
    w_op *op = w_op_begin(w, -1, W_OTHER, RIOX_EV_TIMER, NULL);
    if (w_posted(w, op, riox_timer_start(w->loop, (uint64_t)(1 + 3 * i), op, &id[i])) < 0)
      id[i] = 0;
  }
  if (id[2] != 0) (void)riox_timer_cancel(w->loop, id[2]);
  if (riox_wake(w->loop, NULL) == 0) w->wakes_owed++;
}

/* RIOX_FAULTS_PHASES=1: how long each part of a run takes. */
#define WL__PHASE(call)                                                              \
  do {                                                                               \
    uint64_t wl__t = h_now_ms();                                                     \
    call;                                                                            \
    if (wl__phases) printf("#   %s: %llu ms\n", #call, (unsigned long long)(h_now_ms() - wl__t)); \
  } while (0)

int wl_run(int quick, char *err, size_t errlen) {
  int wl__phases = getenv("RIOX_FAULTS_PHASES") != NULL;
  world *w = &wl__w;
  riox_loop *loop;
  riox_loop_config cfg;
  h_config(&cfg);
  cfg.accept_depth = 2;
  cfg.buf_count = 64; /* a small pool: quick to make and free (ASan) */
  cfg.max_requests = 256;
  if (riox_loop_create(&cfg, &loop) < 0) return 0; /* nothing made: nothing owed */
  w_init(w, loop);
  WL__PHASE(wl__tcp(w, quick));
  WL__PHASE(wl__udp(w, quick));
  WL__PHASE(wl__ready_udp(w));
  if (!quick) WL__PHASE(wl__ready_tcp(w));
  WL__PHASE(wl__timers(w));
#ifdef RIOX_HAVE_TEST_HOOKS
  if (wl_lift_before_finish) {
    riox_test_fault_disarm();
    riox_test_fail_alloc_nth(0);
  }
#endif
  WL__PHASE(w_finish(w, quick ? 8000 : 3000));
  WL__PHASE(riox_loop_close(loop));
  if (!w->failed) return 0;
  snprintf(err, errlen, "%s", w->err);
  return 1;
}
