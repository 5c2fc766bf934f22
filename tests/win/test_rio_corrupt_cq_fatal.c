/* Regression: RIO_CORRUPT_CQ is fatal to the loop.
 *
 * Every production user of RIO treats RIODequeueCompletion's RIO_CORRUPT_CQ
 * as fatal (WireGuard panics, msquic asserts, ctsTraffic fails fast): the CQ
 * cannot be trusted again. riox used to report it and poll the CQ every
 * millisecond for ever, leaving every request pending. Now (docs/design.md):
 *  - exactly one RIOX_EV_ERROR (sock NULL, RIOX_ELOOP);
 *  - every RIO request of the loop -- receives and sends of every socket,
 *    started, finished but not dequeued, or deferred and never committed --
 *    gets its one RECV/SEND event with RIOX_ELOOP;
 *  - the CQ is never used again: no RIODequeueCompletion, no RIONotify;
 *  - riox_recv, riox_send and riox_sendto fail with RIOX_ELOOP (with a
 *    detail), also on a socket first used afterwards (no request queue made);
 *  - every socket closes, riox_loop_close returns at once (no drain), and the
 *    emulator ends holding nothing, with no misuse reported;
 *  - the same with each notification mode (IOCP, EVENT, POLL).
 * The corruption is injected with the emulator (rio_emu_fail_nth on
 * RIO_EMU_FN_DEQUEUE, sticky like real corruption): on iocp (and real RIO)
 * this is a note. */
#include "rioconf.h"

#ifdef RIOX_WITH_RIO_EMU
enum { RECVS = 3, SENDS = 2 };

static int dead_post(riox_loop *loop, riox_sock *u, const riox_addr *to, riox_sock *t, char *buf) {
  riox_sock *fresh;
  riox_addr lo = h_v4(0);
  unsigned long rqs = rio_emu_calls(RIO_EMU_FN_CREATE_RQ);
  H_ERR(riox_recv(u, buf, riox_loop_buf_size(loop), NULL), RIOX_ELOOP);
  H_CHECK(strstr(riox_last_detail(), "RIO_CORRUPT_CQ") != NULL);
  H_ERR(riox_sendto(u, buf, 10, to, 0, NULL), RIOX_ELOOP);
  H_ERR(riox_sendto(u, buf, 10, to, RIOX_SEND_DEFER, NULL), RIOX_ELOOP);
  H_ERR(riox_send(t, buf, 10, 0, NULL), RIOX_ELOOP);
  H_CHECK(strstr(riox_last_detail(), "RIO_CORRUPT_CQ") != NULL);
  /* A socket first used now: refused before any request queue is made. */
  H_OK(riox_udp_open(loop, &lo, NULL, 0, NULL, &fresh));
  H_ERR(riox_recv(fresh, buf, riox_loop_buf_size(loop), NULL), RIOX_ELOOP);
  H_EQ(rio_emu_calls(RIO_EMU_FN_CREATE_RQ), rqs);
  if (rt_close(loop, fresh) != 0) return 1;
  return 0;
}

/* The whole story on a loop notified the given way (riox_loop_config.rio_notify). */
static int scenario(uint32_t notify) {
  riox_loop_config cfg;
  riox_loop *loop;
  riox_sock *a, *b, *c, *tc, *ts;
  riox_addr aa, ba, ca;
  riox_stats st;
  char *rb[RECVS], *sb[SENDS];
  int recvs = 0, sends = 0, errors = 0, i;
  unsigned misuse = rt_misuse();
  unsigned long dequeues, notifies;
  uint64_t until, t0;
  riox_event ev;
  static h_log log;
  printf("rio_notify %u\n", (unsigned)notify);
  log.n = 0;
  h_config(&cfg);
  cfg.rio_notify = notify;
  H_OK(h_loop(&loop, &cfg));
  if (rt_udp(loop, &a, &aa) != 0 || rt_udp(loop, &b, &ba) != 0 || rt_udp(loop, &c, &ca) != 0)
    return 1;
  if (h_tcp_pair(loop, loop, 0, &tc, &ts) != 0) return 1;
  if (rt_ping(loop, a, &ba, b, 1) != 0) return 1;
  for (i = 0; i < RECVS; i++) H_OK(riox_buf_get(loop, &rb[i]));
  for (i = 0; i < SENDS; i++) H_OK(riox_buf_get(loop, &sb[i]));

  /* In flight when the CQ turns corrupt: two UDP receives and a TCP
   * receive (started by the next wait's commit), a send that finished
   * (its result waits in the CQ), and a deferred send whose commit fails
   * (never handed to the socket). */
  H_OK(riox_recv(b, rb[0], riox_loop_buf_size(loop), (void *)10));
  H_OK(riox_recv(b, rb[1], riox_loop_buf_size(loop), (void *)11));
  H_OK(riox_recv(ts, rb[2], riox_loop_buf_size(loop), (void *)12));
  h_fill(sb[0], 20, 20);
  H_OK(riox_sendto(a, sb[0], 20, &ca, 0, (void *)20));
  rio_emu_fail_nth(RIO_EMU_FN_SEND, 1, WSAENETDOWN); /* the commit of deferred sends */
  H_OK(riox_sendto(a, sb[1], 20, &ca, RIOX_SEND_DEFER, (void *)21));
  rio_emu_fail_nth(RIO_EMU_FN_DEQUEUE, 1, -1);

  /* Everything arrives from the first wait's drain; then 300 ms more in
   * which nothing else may come. */
  (void)h_collect(loop, RIOX_EV_RECV, RECVS, &log, 5000);
  (void)h_collect(loop, RIOX_EV_WAKE, 1, &log, 300);
  for (i = 0; i < log.n; i++) {
    const riox_event *e = &log.ev[i];
    if (e->type == RIOX_EV_ERROR) {
      H_CHECK(e->sock == NULL);
      H_ERR(e->status, RIOX_ELOOP);
      errors++;
    } else if (e->type == RIOX_EV_RECV) {
      H_ERR(e->status, RIOX_ELOOP);
      H_EQ(e->len, 0);
      H_CHECK((e->sock == b && (e->ctx == (void *)10 || e->ctx == (void *)11)) ||
              (e->sock == ts && e->ctx == (void *)12));
      H_CHECK(e->data == rb[(uintptr_t)e->ctx - 10]);
      recvs++;
    } else {
      H_EQ(e->type, RIOX_EV_SEND);
      H_ERR(e->status, RIOX_ELOOP);
      H_CHECK(e->sock == a && (e->ctx == (void *)20 || e->ctx == (void *)21));
      H_CHECK(e->data == sb[(uintptr_t)e->ctx - 20]);
      sends++;
    }
  }
  printf("after RIO_CORRUPT_CQ: %d error event(s), %d receives, %d sends\n", errors, recvs, sends);
  H_EQ(errors, 1);
  H_EQ(recvs, RECVS);
  H_EQ(sends, SENDS);
  riox_loop_stats(loop, &st);
  H_EQ(st.req_in_use, 0); /* every post had its one event */

  /* The CQ is given up: waiting calls neither dequeue nor notify, and no
   * further event comes. */
  dequeues = rio_emu_calls(RIO_EMU_FN_DEQUEUE);
  notifies = rio_emu_calls(RIO_EMU_FN_NOTIFY);
  t0 = h_now_ms();
  H_EQ(riox_wait(loop, &ev, 1, 300), 0);
  H_CHECK(h_now_ms() - t0 >= 250); /* it slept: no busy polling */
  H_EQ(rio_emu_calls(RIO_EMU_FN_DEQUEUE), dequeues);
  H_EQ(rio_emu_calls(RIO_EMU_FN_NOTIFY), notifies);

  if (dead_post(loop, b, &ca, tc, rb[0]) != 0) return 1;
  for (i = 0; i < RECVS; i++) H_OK(riox_buf_put(loop, rb[i]));
  for (i = 0; i < SENDS; i++) H_OK(riox_buf_put(loop, sb[i]));

  /* Sockets close, and the loop closes without waiting for the CQ. */
  if (rt_close(loop, a) != 0 || rt_close(loop, b) != 0 || rt_close(loop, c) != 0 ||
      rt_close(loop, tc) != 0 || rt_close(loop, ts) != 0)
    return 1;
  t0 = h_now_ms();
  riox_loop_close(loop);
  printf("riox_loop_close took %llu ms\n", (unsigned long long)(h_now_ms() - t0));
  H_CHECK(h_now_ms() - t0 < 3000);
  H_EQ(rio_emu_calls(RIO_EMU_FN_DEQUEUE), dequeues);
  /* The CQ was closed: the emulator drops its results (requests the closed
   * sockets abort arrive a little later). */
  until = h_now_ms() + 5000;
  while (rt_outstanding() != 0 && h_now_ms() < until) Sleep(5);
  H_EQ(rt_outstanding(), 0);
  H_EQ(rt_misuse(), misuse);
  return 0;
}
#endif

static int test(void) {
#ifdef RIOX_WITH_RIO_EMU
  if (!rt_is_emulated()) {
    printf("NOTE: %s pass: a corrupt CQ can be injected only into the emulator\n", h_backend);
    return 0;
  }
  rio_emu_reset_faults();
  if (scenario(RIOX_RIO_NOTIFY_IOCP) != 0) return 1;
  if (scenario(RIOX_RIO_NOTIFY_EVENT) != 0) return 1;
  if (scenario(RIOX_RIO_NOTIFY_POLL) != 0) return 1;
  return 0;
#else
  rt_skip_without_emulator();
  return 1;
#endif
}

int main(void) { return h_run("rio_corrupt_cq_fatal", test); }
