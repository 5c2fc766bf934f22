/* RIO backend under injected receive faults (the emulator's rio_emu_fail_nth).
 *  - RIOReceiveEx refusing a UDP receive: riox_recv still returns 0 and that
 *    receive's event carries the error (riox.h: a failure is the event's
 *    status), in posting order, after the event of the receive before it;
 *    the receives posted around it work;
 *  - the commit of deferred receives (RIOReceive with RIO_MSG_COMMIT_ONLY)
 *    failing: the loop retries it, and the receive still gets its datagram;
 *  - RIOReceive refusing a TCP receive: the same, and the stream goes on;
 *  - other sockets keep serving throughout; every post yields exactly one
 *    event; nothing leaks (the emulator holds no request after the loop is
 *    closed) and riox never misuses RIO.
 * Faults exist only in the emulator: on iocp (and real RIO) this is a note. */
#include "rioconf.h"

static int test(void) {
#ifdef RIOX_WITH_RIO_EMU
  riox_loop *loop;
  riox_sock *a, *b, *c, *tc, *ts;
  riox_addr aa, ba, ca;
  riox_event ev;
  char *r[4], *sb, *tb;
  unsigned misuse = rt_misuse();
  int i;
  if (!rt_is_emulated()) {
    printf("NOTE: %s pass: faults can be injected only into the emulator\n", h_backend);
    return 0;
  }
  rio_emu_reset_faults();
  H_OK(h_loop(&loop, NULL));
  if (rt_udp(loop, &a, &aa) != 0 || rt_udp(loop, &b, &ba) != 0 || rt_udp(loop, &c, &ca) != 0)
    return 1;
  if (rt_ping(loop, a, &ba, b, 1) != 0 || rt_ping(loop, b, &ca, c, 2) != 0) return 1;

  /* 1. The second receive's post is refused. */
  for (i = 0; i < 3; i++) H_OK(riox_buf_get(loop, &r[i]));
  H_OK(riox_buf_get(loop, &sb));
  H_OK(riox_recv(b, r[0], riox_loop_buf_size(loop), (void *)10));
  rio_emu_fail_nth(RIO_EMU_FN_RECEIVEEX, 1, WSAENOBUFS);
  H_OK(riox_recv(b, r[1], riox_loop_buf_size(loop), (void *)11));
  H_OK(riox_recv(b, r[2], riox_loop_buf_size(loop), (void *)12));
  /* The refusal is the receive's event, in posting order (riox.h): after
   * the event of the receive posted before it. */
  for (i = 0; i < 2; i++) {
    h_fill(sb, 40, (uint32_t)(20 + i));
    H_OK(riox_sendto(a, sb, 40, &ba, 0, NULL));
    H_EQ(h_wait_for(loop, RIOX_EV_SEND, a, &ev, NULL, 5000), 0);
    H_EQ(ev.status, 0);
    H_EQ(h_wait_for(loop, RIOX_EV_RECV, b, &ev, NULL, 5000), 0);
    H_EQ(ev.status, 0);
    H_CHECK(ev.ctx == (void *)(uintptr_t)(i == 0 ? 10 : 12));
    H_EQ(h_verify(ev.data, 40, (uint32_t)(20 + i)), 0);
    if (i == 0) {
      H_EQ(h_wait_for(loop, RIOX_EV_RECV, b, &ev, NULL, 5000), 0);
      H_CHECK(ev.ctx == (void *)11);
      H_ERR(ev.status, RIOX_ENOBUFS);
      H_EQ(ev.len, 0);
      H_CHECK(ev.data == r[1]);
    }
  }
  if (rt_ping(loop, c, &aa, a, 3) != 0) return 1; /* others unaffected */

  /* 2. The commit of the deferred receive is refused once: retried. */
  rio_emu_fail_nth(RIO_EMU_FN_RECEIVE, 1, WSAENETDOWN);
  H_OK(riox_recv(b, r[0], riox_loop_buf_size(loop), (void *)13));
  H_EQ(riox_wait(loop, &ev, 1, 0), 0); /* the failing commit happens here */
  h_fill(sb, 40, 30);
  H_OK(riox_sendto(a, sb, 40, &ba, 0, NULL));
  H_EQ(h_wait_for(loop, RIOX_EV_RECV, b, &ev, NULL, 5000), 0);
  H_EQ(ev.status, 0);
  H_CHECK(ev.ctx == (void *)13);
  H_EQ(h_verify(ev.data, 40, 30), 0);
  H_EQ(h_wait_for(loop, RIOX_EV_SEND, a, &ev, NULL, 5000), 0);

  /* 3. TCP: a refused receive, then the stream continues. */
  if (h_tcp_pair(loop, loop, 0, &tc, &ts) != 0) return 1;
  H_OK(riox_buf_get(loop, &tb));
  rio_emu_fail_nth(RIO_EMU_FN_RECEIVE, 1, WSAECONNABORTED);
  H_OK(riox_recv(ts, r[0], riox_loop_buf_size(loop), (void *)40));
  H_EQ(h_wait_for(loop, RIOX_EV_RECV, ts, &ev, NULL, 5000), 0);
  H_ERR(ev.status, RIOX_ECONNABORTED);
  H_OK(riox_recv(ts, r[0], riox_loop_buf_size(loop), (void *)41));
  h_fill(tb, 500, 41);
  H_OK(riox_send(tc, tb, 500, 0, NULL));
  H_EQ(h_wait_for(loop, RIOX_EV_SEND, tc, &ev, NULL, 5000), 0);
  H_EQ(ev.status, 0);
  H_EQ(h_wait_for(loop, RIOX_EV_RECV, ts, &ev, NULL, 5000), 0);
  H_EQ(ev.status, 0);
  H_EQ(ev.len, 500); /* one small send: one receive on loopback */
  H_EQ(h_verify(ev.data, 500, 41), 0);
  if (rt_ping(loop, a, &ca, c, 4) != 0) return 1;

  {
    riox_sock *const socks[] = {tc, ts, a, b, c};
    if (rt_finish(loop, socks, (int)(sizeof socks / sizeof socks[0]), misuse) != 0) return 1;
  }
  return 0;
#else
  rt_skip_without_emulator();
  return 1;
#endif
}

int main(void) { return h_run("rio_fault_recv", test); }
