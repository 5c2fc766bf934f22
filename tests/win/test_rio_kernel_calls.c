/* RIO never enters the kernel more often than IOCP (issue 11).
 *
 * riox_stats splits os_calls into kernel_calls (system calls) and ring_ops
 * (user-mode work on a ring shared with the kernel: RIODequeueCompletion, a
 * RIO_MSG_DEFER post). Two workloads on one loop with two UDP sockets, a
 * (client) and b (server), each run on iocp and then on rio(-emulated):
 *   request/response: ROUNDS rounds of a -> b (64 bytes), b answers b -> a,
 *     one request in flight, every send and receive waited for as an
 *     application would (the demo's "udp-rr 64B" in one loop);
 *   burst: 64 receives posted, 64 deferred sends flushed at once, a pause so
 *     the burst lands, then drained (as in test_rio_batching).
 * Required: kernel_calls + ring_ops == os_calls on every pass; RIO's kernel
 * calls per operation <= IOCP's on both workloads; the burst below 0.05
 * kernel calls per datagram on RIO. The figures are printed. A warm-up round
 * trip first keeps one-time costs (request queues, CQ growth) out. */
#include "rioconf.h"

#define ROUNDS 200
#define BURST 64
#define SIZE 64

static double rr_fig[2] = {-1.0, -1.0}, burst_fig[2] = {-1.0, -1.0}; /* [0] iocp, [1] rio */

static int split_ok(const riox_stats *st) {
  if (st->kernel_calls + st->ring_ops != st->os_calls) {
    H_FAIL("kernel_calls %llu + ring_ops %llu != os_calls %llu",
           (unsigned long long)st->kernel_calls, (unsigned long long)st->ring_ops,
           (unsigned long long)st->os_calls);
    return 1;
  }
  return 0;
}

/* Wait until `want` events arrived: a RECV on `rs` and a SEND on `ss`
 * (either order), all successful. 0, or 1 after a failure. */
static int await_pair(riox_loop *loop, riox_sock *rs, riox_sock *ss) {
  int got_recv = 0, got_send = 0, i;
  uint64_t until = h_now_ms() + 10000;
  while ((!got_recv || !got_send) && h_now_ms() < until) {
    riox_event evs[16];
    int n = riox_wait(loop, evs, 16, 1000);
    H_CHECK(n >= 0);
    for (i = 0; i < n; i++) {
      if (evs[i].status != 0) {
        H_FAIL("event type %u failed: %d %s", evs[i].type, evs[i].status,
               riox_err_name(evs[i].status));
        return 1;
      }
      if (evs[i].type == RIOX_EV_RECV && evs[i].sock == rs && evs[i].len == SIZE) got_recv++;
      else if (evs[i].type == RIOX_EV_SEND && evs[i].sock == ss) got_send++;
      else {
        H_FAIL("unexpected event type %u (len %u)", evs[i].type, evs[i].len);
        return 1;
      }
    }
  }
  if (got_recv != 1 || got_send != 1) {
    H_FAIL("expected one receive and one send, got %d and %d", got_recv, got_send);
    return 1;
  }
  return 0;
}

static int rr(riox_loop *loop, riox_sock *a, const riox_addr *aa, riox_sock *b,
              const riox_addr *ba) {
  char *arx, *brx, *atx, *btx;
  riox_stats st0, st1;
  uint32_t cap = riox_loop_buf_size(loop);
  double per;
  int i, r = rt_is_rio();
  H_OK(riox_buf_get(loop, &arx));
  H_OK(riox_buf_get(loop, &brx));
  H_OK(riox_buf_get(loop, &atx));
  H_OK(riox_buf_get(loop, &btx));
  h_fill(atx, SIZE, 1);
  h_fill(btx, SIZE, 2);
  riox_loop_stats(loop, &st0);
  H_OK(riox_recv(b, brx, cap, NULL)); /* the server always has a receive posted */
  for (i = 0; i < ROUNDS; i++) {
    /* client: its receive for the answer, then the request */
    H_OK(riox_recv(a, arx, cap, NULL));
    H_OK(riox_sendto(a, atx, SIZE, ba, 0, NULL));
    if (await_pair(loop, b, a) != 0) return 1;
    /* server: the next receive, then the answer */
    if (i + 1 < ROUNDS) H_OK(riox_recv(b, brx, cap, NULL));
    H_OK(riox_sendto(b, btx, SIZE, aa, 0, NULL));
    if (await_pair(loop, a, b) != 0) return 1;
  }
  riox_loop_stats(loop, &st1);
  if (split_ok(&st1) != 0) return 1;
  per = (double)(st1.kernel_calls - st0.kernel_calls) / ROUNDS;
  rr_fig[r] = per;
  printf("request/response on %s: %.3f kernel calls and %.3f ring ops per round trip "
         "(%llu waits over %d rounds)\n",
         h_backend, per, (double)(st1.ring_ops - st0.ring_ops) / ROUNDS,
         (unsigned long long)(st1.waits - st0.waits), ROUNDS);
  fflush(stdout);
  H_OK(riox_buf_put(loop, arx));
  H_OK(riox_buf_put(loop, brx));
  H_OK(riox_buf_put(loop, atx));
  H_OK(riox_buf_put(loop, btx));
  return 0;
}

static int burst(riox_loop *loop, riox_sock *a, riox_sock *b, const riox_addr *ba) {
  static char *rbuf[BURST], *sbuf[BURST];
  riox_stats st0, st1;
  int i, recvs = 0, sends = 0, r = rt_is_rio();
  uint64_t until;
  double per;
  for (i = 0; i < BURST; i++) {
    H_OK(riox_buf_get(loop, &rbuf[i]));
    H_OK(riox_buf_get(loop, &sbuf[i]));
    h_fill(sbuf[i], 100, (uint32_t)i);
  }
  riox_loop_stats(loop, &st0);
  for (i = 0; i < BURST; i++) H_OK(riox_recv(b, rbuf[i], riox_loop_buf_size(loop), NULL));
  for (i = 0; i < BURST; i++) H_OK(riox_sendto(a, sbuf[i], 100, ba, RIOX_SEND_DEFER, NULL));
  H_EQ(riox_flush(loop), BURST);
  Sleep(100);
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
      if (evs[i].type == RIOX_EV_RECV) recvs++;
      else sends++;
    }
  }
  riox_loop_stats(loop, &st1);
  if (recvs != BURST || sends != BURST) {
    H_FAIL("burst: %d receives and %d sends of %d", recvs, sends, BURST);
    return 1;
  }
  if (split_ok(&st1) != 0) return 1;
  per = (double)(st1.kernel_calls - st0.kernel_calls) / BURST;
  burst_fig[r] = per;
  printf("burst of %d on %s: %.4f kernel calls and %.3f ring ops per datagram\n", BURST,
         h_backend, per, (double)(st1.ring_ops - st0.ring_ops) / BURST);
  fflush(stdout);
  for (i = 0; i < BURST; i++) {
    H_OK(riox_buf_put(loop, rbuf[i]));
    H_OK(riox_buf_put(loop, sbuf[i]));
  }
  return 0;
}

static int kernel_calls(void) {
  riox_loop *loop;
  riox_sock *a, *b;
  riox_addr aa, ba;
  riox_stats st;
  H_OK(h_loop(&loop, NULL));
  if (rt_udp(loop, &a, &aa) != 0 || rt_udp(loop, &b, &ba) != 0) return 1;
  if (rt_ping(loop, a, &ba, b, 1) != 0) return 1; /* warm-up: attach both */
  if (rr(loop, a, &aa, b, &ba) != 0) return 1;
  if (burst(loop, a, b, &ba) != 0) return 1;
  riox_loop_stats(loop, &st);
  if (split_ok(&st) != 0) return 1;
  if (rt_close(loop, a) != 0 || rt_close(loop, b) != 0) return 1;
  riox_loop_close(loop);
  if (rt_is_rio()) {
    H_CHECK(rr_fig[0] >= 0.0 && burst_fig[0] >= 0.0); /* the iocp pass ran first */
    printf("kernel calls per op: request/response %s %.3f vs iocp %.3f; burst %s %.4f vs iocp %.4f\n",
           h_backend, rr_fig[1], rr_fig[0], h_backend, burst_fig[1], burst_fig[0]);
    if (!(rr_fig[1] <= rr_fig[0])) {
      H_FAIL("request/response: RIO made %.3f kernel calls per round trip, IOCP %.3f", rr_fig[1],
             rr_fig[0]);
      return 1;
    }
    if (!(burst_fig[1] <= burst_fig[0])) {
      H_FAIL("burst: RIO made %.4f kernel calls per datagram, IOCP %.4f", burst_fig[1],
             burst_fig[0]);
      return 1;
    }
    if (!(burst_fig[1] <= 0.05)) {
      H_FAIL("burst: RIO made %.4f kernel calls per datagram; the goal is <= 0.05", burst_fig[1]);
      return 1;
    }
  }
  return 0;
}

int main(void) {
  int rc = h_run("rio_kernel_calls", kernel_calls);
  if (rc == 0 && rr_fig[1] < 0.0)
    h_skip("no RIO here (neither the OS's nor the emulator): nothing to compare");
  return rc;
}
