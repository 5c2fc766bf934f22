/* Batching: kernel calls per datagram at a burst of 64, RIO versus IOCP.
 *
 * One loop, two UDP sockets. Counted from before the 64 receives are posted
 * until all 64 receive and 64 send events have been returned (riox_stats
 * kernel_calls; docs/design.md lists what counts). The sends are RIOX_SEND_DEFER
 * and flushed once; then the test sleeps 100 ms so the burst lands while the
 * loop is busy -- the situation batching is for -- and drains the events.
 *   IOCP: one WSARecvFrom per receive and one WSASendTo per send, plus the
 *         kernel waits: about two calls per datagram.
 *   RIO:  receives and deferred sends are ring writes (no kernel call); one
 *         commit per queue and direction, and a kernel wait only when a
 *         drain (a ring read) found nothing: a small fraction of a call per
 *         datagram.
 * Required: RIO below 0.5 calls per datagram and below IOCP. Both figures
 * are printed. A warm-up round trip first keeps the one-time costs (request
 * queue creation, CQ growth) out of the count. A second burst without the
 * pause is measured and printed for information only: there the loop drains
 * completions as they trickle in, so the figure depends on timing (under
 * Wine, on its thread pool) and is not asserted. */
#include "rioconf.h"

#define BURST 64

static double figure[2] = {-1.0, -1.0}; /* [0] iocp, [1] rio */
static uint64_t calls_of[2];

/* One burst: post BURST receives on b, BURST deferred sends a -> b, flush,
 * optionally pause, drain. 0 and the OS calls and kernel waits it took, or 1. */
static int one_burst(riox_loop *loop, riox_sock *a, riox_sock *b, const riox_addr *ba,
                     int pause_ms, long long *calls, uint64_t *waits) {
  static char *rbuf[BURST], *sbuf[BURST];
  riox_stats st0, st1;
  int i, recvs = 0, sends = 0;
  uint64_t until;
  for (i = 0; i < BURST; i++) {
    H_OK(riox_buf_get(loop, &rbuf[i]));
    H_OK(riox_buf_get(loop, &sbuf[i]));
    h_fill(sbuf[i], 100, (uint32_t)i);
  }
  riox_loop_stats(loop, &st0);
  for (i = 0; i < BURST; i++) H_OK(riox_recv(b, rbuf[i], riox_loop_buf_size(loop), NULL));
  for (i = 0; i < BURST; i++) H_OK(riox_sendto(a, sbuf[i], 100, ba, RIOX_SEND_DEFER, NULL));
  H_EQ(riox_flush(loop), BURST);
  if (pause_ms > 0) Sleep((DWORD)pause_ms);
  until = h_now_ms() + 10000;
  while ((recvs < BURST || sends < BURST) && h_now_ms() < until) {
    riox_event evs[256];
    int n = riox_wait(loop, evs, 256, 1000);
    H_CHECK(n >= 0);
    for (i = 0; i < n; i++) {
      if (evs[i].status != 0) {
        H_FAIL("event type %u failed: %d %s", evs[i].type, evs[i].status,
               riox_err_name(evs[i].status));
        return 1;
      }
      if (evs[i].type == RIOX_EV_RECV) {
        if (evs[i].len != 100 || h_verify(evs[i].data, 100, (uint32_t)recvs) != 0) {
          H_FAIL("receive %d: %u bytes or wrong data", recvs, evs[i].len);
          return 1;
        }
        recvs++; /* loopback keeps order */
      } else {
        sends++;
      }
    }
  }
  riox_loop_stats(loop, &st1);
  if (recvs != BURST || sends != BURST) {
    H_FAIL("burst: %d receives and %d sends of %d", recvs, sends, BURST);
    return 1;
  }
  for (i = 0; i < BURST; i++) {
    H_OK(riox_buf_put(loop, rbuf[i]));
    H_OK(riox_buf_put(loop, sbuf[i]));
  }
  *waits = st1.waits - st0.waits;
  *calls = (long long)(st1.kernel_calls - st0.kernel_calls);
  return 0;
}

static int burst(void) {
  riox_loop *loop;
  riox_sock *a, *b;
  riox_addr aa, ba;
  uint64_t waits = 0, waits2 = 0;
  long long calls, calls2;
  double per;
  H_OK(h_loop(&loop, NULL));
  if (rt_udp(loop, &a, &aa) != 0 || rt_udp(loop, &b, &ba) != 0) return 1;
  if (rt_ping(loop, a, &ba, b, 1) != 0) return 1; /* warm-up: attach both */
  if (one_burst(loop, a, b, &ba, 100, &calls, &waits) != 0) return 1;
  if (one_burst(loop, a, b, &ba, 0, &calls2, &waits2) != 0) return 1;
  per = (double)calls / BURST;
  figure[rt_is_rio()] = per;
  calls_of[rt_is_rio()] = (uint64_t)calls;
  printf("burst of %d datagrams on %s: %lld kernel calls, %.3f per datagram (%llu kernel waits); "
         "without the pause (not asserted): %lld calls, %.3f per datagram\n",
         BURST, h_backend, calls, per, (unsigned long long)waits, calls2,
         (double)calls2 / BURST);
  fflush(stdout);
  if (rt_close(loop, a) != 0 || rt_close(loop, b) != 0) return 1;
  riox_loop_close(loop);
  if (rt_is_rio()) {
    H_CHECK(figure[0] >= 0.0); /* the iocp pass ran first */
    if (!(per < 0.5)) {
      H_FAIL("RIO made %.3f kernel calls per datagram; expected well below one (< 0.5)", per);
      return 1;
    }
    if (!(per < figure[0])) {
      H_FAIL("RIO made %.3f kernel calls per datagram, IOCP %.3f: RIO should need fewer", per,
             figure[0]);
      return 1;
    }
    printf("batching: %s %.3f vs iocp %.3f kernel calls per datagram (%llu vs %llu calls)\n",
           h_backend, per, figure[0], (unsigned long long)calls_of[1],
           (unsigned long long)calls_of[0]);
  }
  return 0;
}

int main(void) {
  int rc = h_run("rio_batching", burst);
  if (rc == 0 && figure[1] < 0.0)
    h_skip("no RIO here (neither the OS's nor the emulator): nothing to compare");
  return rc;
}
