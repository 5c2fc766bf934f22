/* Many receives posted on one UDP socket keep their posting order through
 * the two things that end some of them early (riox.h: receives complete in
 * posting order, one event each):
 *  - an ICMP port-unreachable report on a connected socket, under the
 *    default policy (swallowed: no event, every receive still serves) and
 *    under RIOX_UDP_REPORT_UNREACH (the first receive ends with
 *    RIOX_ECONNRESET, the others still serve). Then datagrams 1..k arrive
 *    and the receives still pending get them in order.
 *  - riox_cancel with receives both in the OS and posted after them: every
 *    one ends RIOX_ECANCELED, in posting order; the socket still receives.
 * On uring this is the linked-chain path (src/uring/uring.c): the report
 * cuts the chain, the rest come back -ECANCELED and are issued again; a
 * cancel ends the chain in the kernel and the receives held behind it. See
 * test_udp_icmp_policy.c for which kernels report what (the ICMP part
 * checks the report natively on Linux only, and skips "still serves" under
 * Wine, whose connected sockets stop completing receives after a report). RIO has no per-request cancel (riox_cancel answers
 * RIOX_ENOTSUP): the cancel part is skipped there. */
#include "harness.h"

#define DEPTH 8

static int post(riox_loop *loop, riox_sock *s, uintptr_t ctx) {
  char *buf;
  H_OK(riox_buf_get(loop, &buf));
  H_OK(riox_recv(s, buf, riox_loop_buf_size(loop), (void *)ctx));
  return 0;
}

/* Events of s for ms milliseconds, into log (sends left out). */
static void run_for(riox_loop *loop, riox_sock *s, int ms, h_log *log) {
  uint64_t until = h_now_ms() + (uint64_t)ms;
  log->n = 0;
  while (h_now_ms() < until) {
    riox_event ev;
    if (riox_wait(loop, &ev, 1, 20) == 1 && ev.sock == s && ev.type != RIOX_EV_SEND)
      log->ev[log->n++] = ev;
  }
}

/* Receives first..first+n-1 of s, in that order, the i-th holding the i-th
 * datagram sent (seed 100+i); with `last` set, receive `last` comes after
 * them instead, with the last datagram (n counts it). */
static int expect_order(riox_loop *loop, riox_sock *s, uintptr_t first, int n, uintptr_t last) {
  static h_log others;
  int i;
  for (i = 0; i < n; i++) {
    riox_event ev;
    uintptr_t want = last != 0 && i == n - 1 ? last : first + (uintptr_t)i;
    others.n = 0;
    H_EQ(h_wait_for(loop, RIOX_EV_RECV, s, &ev, &others, 5000), 0);
    H_EQ(ev.status, 0);
    H_EQ((uintptr_t)ev.ctx, want);
    H_EQ(ev.len, 40);
    H_EQ(h_verify(ev.data, 40, 100u + (uint32_t)i), 0);
    H_OK(riox_buf_put(loop, ev.data));
  }
  return 0;
}

static int icmp_cut(int report) {
  static h_log log;
  riox_loop *loop;
  riox_sock *s, *peer;
  riox_addr any = h_v4(0), closed, local;
  riox_event ev;
  char *sbuf;
  int i, reports = 0;
  uintptr_t first = 1, last = 0;
  H_OK(h_loop(&loop, NULL));
  if (h_closed_port(loop, &closed) != 0) return 1;
  H_OK(riox_udp_open(loop, &any, &closed, report ? RIOX_UDP_REPORT_UNREACH : 0, NULL, &s));
  H_OK(riox_sock_local(s, &local));
  for (i = 1; i <= DEPTH; i++)
    if (post(loop, s, (uintptr_t)i) != 0) return 1;
  H_EQ(riox_wait(loop, &ev, 1, 0), 0); /* the receives reach the OS */
  H_OK(riox_buf_get(loop, &sbuf));
  H_OK(riox_send(s, sbuf, 16, 0, (void *)99)); /* answered by an ICMP report */
  run_for(loop, s, 500, &log);
  for (i = 0; i < log.n; i++) {
    if (log.ev[i].type != RIOX_EV_RECV || !report) {
      H_FAIL("report=%d: unexpected event type %u status %d %s ctx %p", report, log.ev[i].type,
             log.ev[i].status, riox_err_name(log.ev[i].status), log.ev[i].ctx);
      return 1;
    }
    H_ERR(log.ev[i].status, RIOX_ECONNRESET);
    /* In posting order: the oldest receives take the reports. */
    H_EQ((uintptr_t)log.ev[i].ctx, (uintptr_t)reports + 1);
    H_OK(riox_buf_put(loop, log.ev[i].data));
    reports++;
  }
  printf("report=%d: %d report(s) on %d receives\n", report, reports, DEPTH);
  /* Linux gives the one report to the oldest receive; Wine completes more
   * than one receive with it. */
  if (report && !h_windows()) H_EQ(reports, 1);
  if (report && h_under_wine()) H_CHECK(reports >= 1);
  if (h_under_wine()) {
    printf("report=%d: not checking that the receives still serve (Wine 8 bug)\n", report);
    riox_loop_close(loop);
    return 0;
  }
  first += (uintptr_t)reports;
  /* A swallowed report re-posts the receive. Linux's backends keep its
   * place; Windows has the receives behind it in the OS already, so the
   * re-posted one comes last there (riox.h, "UDP and ICMP"). */
  if (!report && h_windows()) {
    last = 1;
    first = 2;
  }
  /* The peer port opens again; datagrams 1..n fill the receives left. */
  H_OK(riox_udp_open(loop, &closed, NULL, 0, NULL, &peer));
  for (i = 0; i < DEPTH - reports; i++) {
    char *d;
    H_OK(riox_buf_get(loop, &d));
    h_fill(d, 40, 100u + (uint32_t)i);
    H_OK(riox_sendto(peer, d, 40, &local, 0, NULL));
  }
  if (expect_order(loop, s, first, DEPTH - reports, last) != 0) return 1;
  riox_loop_close(loop);
  return 0;
}

static int cancel_order(void) {
  static h_log log;
  riox_loop *loop;
  riox_sock *s, *peer;
  riox_addr lo = h_v4(0), sa;
  riox_event ev;
  char *d;
  int i;
  if (strncmp(h_backend, "rio", 3) == 0) {
    printf("cancel part: skipped on %s (no per-request cancel: riox_cancel is RIOX_ENOTSUP)\n",
           h_backend);
    return 0;
  }
  H_OK(h_loop(&loop, NULL));
  H_OK(riox_udp_open(loop, &lo, NULL, 0, NULL, &s));
  H_OK(riox_udp_open(loop, &lo, NULL, 0, NULL, &peer));
  H_OK(riox_sock_local(s, &sa));
  for (i = 1; i <= DEPTH; i++)
    if (post(loop, s, (uintptr_t)i) != 0) return 1;
  H_EQ(riox_wait(loop, &ev, 1, 0), 0); /* in the OS */
  for (i = DEPTH + 1; i <= 2 * DEPTH; i++)
    if (post(loop, s, (uintptr_t)i) != 0) return 1; /* behind them */
  H_OK(riox_cancel(s));
  run_for(loop, s, 300, &log);
  H_EQ(log.n, 2 * DEPTH);
  for (i = 0; i < log.n; i++) {
    H_EQ(log.ev[i].type, RIOX_EV_RECV);
    H_ERR(log.ev[i].status, RIOX_ECANCELED);
    H_EQ((uintptr_t)log.ev[i].ctx, (uintptr_t)i + 1); /* posting order */
    H_OK(riox_buf_put(loop, log.ev[i].data));
  }
  /* Still receives: new receives get datagrams in order. */
  for (i = 0; i < DEPTH; i++)
    if (post(loop, s, (uintptr_t)(100 + i)) != 0) return 1;
  H_EQ(riox_wait(loop, &ev, 1, 0), 0);
  for (i = 0; i < DEPTH; i++) {
    H_OK(riox_buf_get(loop, &d));
    h_fill(d, 40, 100u + (uint32_t)i);
    H_OK(riox_sendto(peer, d, 40, &sa, 0, NULL));
  }
  if (expect_order(loop, s, 100, DEPTH, 0) != 0) return 1;
  riox_loop_close(loop);
  return 0;
}

static int test(void) {
  int fails = 0;
  fails += icmp_cut(0);
  fails += icmp_cut(1);
  fails += cancel_order();
  return fails != 0;
}

int main(void) { return h_run("test_udp_recv_chain", test); }
