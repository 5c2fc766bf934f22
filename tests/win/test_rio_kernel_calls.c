/* RIO never enters the kernel more often than IOCP (issue 11).
 *
 * riox_stats splits os_calls into kernel_calls (system calls) and ring_ops
 * (user-mode work on a ring shared with the kernel: RIODequeueCompletion, a
 * RIO_MSG_DEFER post). Two workloads, each run on iocp and then on
 * rio(-emulated):
 *   request/response: the demo's "udp-rr 64B" -- a client loop and a server
 *     loop on two threads, ROUNDS requests of 64 bytes, one in flight, the
 *     client waiting for each send and each answer as an application would;
 *     kernel calls of both loops per round trip;
 *   burst: one loop, 64 receives posted, 64 deferred sends flushed at once,
 *     a pause so the burst lands, then drained (as in test_rio_batching).
 * Required: kernel_calls + ring_ops == os_calls on every loop; RIO's kernel
 * calls per operation <= IOCP's on both workloads; the burst at or below
 * 0.05 kernel calls per datagram on RIO. The figures are printed. */
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

/* The server: its own loop on its own thread, as riox-perf --role both
 * runs it. SERVER_RECVS receives stay posted; each request is answered with
 * a deferred send of the same buffer, which becomes a receive again when the
 * send completes (riox-perf's server does the same). Runs until woken. */
#define SERVER_RECVS 8

typedef struct server {
  riox_loop *loop;
  riox_sock *sock;
  riox_stats st0, st1;
  int failed;
  uint64_t answered;
} server_t;

static DWORD WINAPI server_main(LPVOID arg) {
  server_t *sv = (server_t *)arg;
  uint32_t cap = riox_loop_buf_size(sv->loop);
  riox_loop_stats(sv->loop, &sv->st0);
  for (;;) {
    riox_event evs[64];
    int n = riox_wait(sv->loop, evs, 64, -1), i;
    if (n < 0) {
      sv->failed = 1;
      break;
    }
    for (i = 0; i < n; i++) {
      const riox_event *ev = &evs[i];
      if (ev->type == RIOX_EV_WAKE) {
        riox_loop_stats(sv->loop, &sv->st1);
        return 0;
      }
      if (ev->status != 0) sv->failed = 1;
      else if (ev->type == RIOX_EV_RECV) {
        sv->answered++;
        if (riox_sendto(sv->sock, ev->data, ev->len, &ev->addr, RIOX_SEND_DEFER, NULL) < 0)
          sv->failed = 1;
      } else if (ev->type == RIOX_EV_SEND) {
        if (riox_recv(sv->sock, ev->data, cap, NULL) < 0) sv->failed = 1;
      }
    }
  }
  riox_loop_stats(sv->loop, &sv->st1);
  return 0;
}

/* The client: one request in flight, two receives posted (riox-perf posts
 * depth + 1); each round waits for its send and its answer. */
static int rr(void) {
  riox_loop *loop;
  riox_sock *a;
  riox_addr aa, ba;
  server_t sv;
  HANDLE th;
  char *tx, *rx;
  riox_stats st0, st1;
  uint32_t cap;
  double per;
  int i, r = rt_is_rio();
  memset(&sv, 0, sizeof sv);
  H_OK(h_loop(&loop, NULL));
  H_OK(h_loop(&sv.loop, NULL));
  if (rt_udp(loop, &a, &aa) != 0 || rt_udp(sv.loop, &sv.sock, &ba) != 0) return 1;
  cap = riox_loop_buf_size(loop);
  for (i = 0; i < SERVER_RECVS; i++) {
    H_OK(riox_buf_get(sv.loop, &rx));
    H_OK(riox_recv(sv.sock, rx, cap, NULL));
  }
  th = CreateThread(NULL, 0, server_main, &sv, 0, NULL);
  H_CHECK(th != NULL);
  for (i = 0; i < 2; i++) {
    H_OK(riox_buf_get(loop, &rx));
    H_OK(riox_recv(a, rx, cap, NULL));
  }
  H_OK(riox_buf_get(loop, &tx));
  h_fill(tx, SIZE, 1);
  riox_loop_stats(loop, &st0);
  for (i = 0; i < ROUNDS; i++) {
    int got_recv = 0, got_send = 0, j;
    uint64_t until = h_now_ms() + 10000;
    H_OK(riox_sendto(a, tx, SIZE, &ba, 0, NULL));
    while ((!got_recv || !got_send) && h_now_ms() < until) {
      riox_event evs[16];
      int n = riox_wait(loop, evs, 16, 1000);
      H_CHECK(n >= 0);
      for (j = 0; j < n; j++) {
        if (evs[j].status != 0) {
          H_FAIL("round %d: event type %u failed: %d %s", i, evs[j].type, evs[j].status,
                 riox_err_name(evs[j].status));
          return 1;
        }
        if (evs[j].type == RIOX_EV_RECV) {
          if (evs[j].len != SIZE || h_verify(evs[j].data, SIZE, 1) != 0) {
            H_FAIL("round %d: answer of %u bytes or wrong data", i, evs[j].len);
            return 1;
          }
          got_recv++;
          H_OK(riox_recv(a, evs[j].data, cap, NULL));
        } else if (evs[j].type == RIOX_EV_SEND) {
          got_send++;
        }
      }
    }
    if (got_recv != 1 || got_send != 1) {
      H_FAIL("round %d: %d answers and %d send events (expected one each)", i, got_recv, got_send);
      return 1;
    }
  }
  riox_loop_stats(loop, &st1);
  H_OK(riox_wake(sv.loop, NULL));
  H_CHECK(WaitForSingleObject(th, 10000) == WAIT_OBJECT_0);
  CloseHandle(th);
  H_CHECK(!sv.failed);
  H_EQ(sv.answered, (uint64_t)ROUNDS);
  if (split_ok(&st1) != 0 || split_ok(&sv.st1) != 0) return 1;
  per = (double)(st1.kernel_calls - st0.kernel_calls + sv.st1.kernel_calls - sv.st0.kernel_calls) /
        ROUNDS;
  rr_fig[r] = per;
  printf("request/response on %s: %.3f kernel calls per round trip (client %.3f + server %.3f), "
         "%.3f ring ops\n",
         h_backend, per, (double)(st1.kernel_calls - st0.kernel_calls) / ROUNDS,
         (double)(sv.st1.kernel_calls - sv.st0.kernel_calls) / ROUNDS,
         (double)(st1.ring_ops - st0.ring_ops + sv.st1.ring_ops - sv.st0.ring_ops) / ROUNDS);
  fflush(stdout);
  if (rt_close(loop, a) != 0 || rt_close(sv.loop, sv.sock) != 0) return 1;
  riox_loop_close(loop);
  riox_loop_close(sv.loop);
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
  if (rr() != 0) return 1;
  H_OK(h_loop(&loop, NULL));
  if (rt_udp(loop, &a, &aa) != 0 || rt_udp(loop, &b, &ba) != 0) return 1;
  if (rt_ping(loop, a, &ba, b, 1) != 0) return 1; /* warm-up: attach both */
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
