/* RIO backend when RIODequeueCompletion answers RIO_CORRUPT_CQ (injected
 * with the emulator's rio_emu_fail_nth). docs/design.md: one RIOX_EV_ERROR
 * with RIOX_ELOOP (sock NULL) per run of corrupt answers; the loop asks
 * again at its next wait and, if the queue answers normally, nothing is
 * lost: every posted receive and send still yields exactly one event, and
 * other sockets keep serving.
 * Faults exist only in the emulator: on iocp (and real RIO) this is a note. */
#include "rioconf.h"

#define N 4

#ifdef RIOX_WITH_RIO_EMU
/* Send N datagrams a -> b with N receives posted on b, while `faults`
 * consecutive dequeues answer RIO_CORRUPT_CQ; expect one error event and
 * every receive and send event. */
static int round_with_corruption(riox_loop *loop, riox_sock *a, riox_sock *b, const riox_addr *ba,
                                 int faults, uint32_t seed) {
  char *rb[N], *sb[N];
  int i, recvs = 0, sends = 0, errors = 0;
  uint64_t until;
  for (i = 0; i < N; i++) {
    H_OK(riox_buf_get(loop, &rb[i]));
    H_OK(riox_buf_get(loop, &sb[i]));
    H_OK(riox_recv(b, rb[i], riox_loop_buf_size(loop), (void *)(uintptr_t)i));
  }
  for (i = 1; i <= faults; i++) rio_emu_fail_nth(RIO_EMU_FN_DEQUEUE, (unsigned)i, -1);
  for (i = 0; i < N; i++) {
    h_fill(sb[i], 30, seed + (uint32_t)i);
    H_OK(riox_sendto(a, sb[i], 30, ba, RIOX_SEND_DEFER, NULL));
  }
  until = h_now_ms() + 5000;
  /* Run at least 300 ms: a second error event would show up there. */
  while ((recvs < N || sends < N || h_now_ms() < until - 4700) && h_now_ms() < until) {
    riox_event ev;
    if (riox_wait(loop, &ev, 1, 20) != 1) continue;
    if (ev.type == RIOX_EV_ERROR) {
      H_CHECK(ev.sock == NULL);
      H_ERR(ev.status, RIOX_ELOOP);
      errors++;
    } else if (ev.type == RIOX_EV_RECV) {
      H_EQ(ev.status, 0);
      H_CHECK(ev.ctx == (void *)(uintptr_t)recvs); /* in order, none lost */
      H_EQ(h_verify(ev.data, 30, seed + (uint32_t)recvs), 0);
      recvs++;
    } else {
      H_EQ(ev.type, RIOX_EV_SEND);
      H_EQ(ev.status, 0);
      sends++;
    }
  }
  printf("%d corrupt answer(s): %d error event(s), %d receives, %d sends\n", faults, errors, recvs,
         sends);
  H_EQ(errors, 1);
  H_EQ(recvs, N);
  H_EQ(sends, N);
  for (i = 0; i < N; i++) {
    H_OK(riox_buf_put(loop, rb[i]));
    H_OK(riox_buf_put(loop, sb[i]));
  }
  return 0;
}

#endif

static int test(void) {
#ifdef RIOX_WITH_RIO_EMU
  riox_loop *loop;
  riox_sock *a, *b, *c;
  riox_addr aa, ba, ca;
  unsigned misuse = rt_misuse();
  if (!rt_is_emulated()) {
    printf("NOTE: %s pass: faults can be injected only into the emulator\n", h_backend);
    return 0;
  }
  rio_emu_reset_faults();
  H_OK(h_loop(&loop, NULL));
  if (rt_udp(loop, &a, &aa) != 0 || rt_udp(loop, &b, &ba) != 0 || rt_udp(loop, &c, &ca) != 0)
    return 1;
  if (rt_ping(loop, a, &ba, b, 1) != 0) return 1;
  if (round_with_corruption(loop, a, b, &ba, 1, 100) != 0) return 1;
  if (rt_ping(loop, c, &aa, a, 2) != 0) return 1; /* serving on */
  if (round_with_corruption(loop, a, b, &ba, 5, 200) != 0) return 1; /* one event per run */
  if (rt_ping(loop, b, &ca, c, 3) != 0) return 1;
  {
    riox_sock *const socks[] = {a, b, c};
    if (rt_finish(loop, socks, (int)(sizeof socks / sizeof socks[0]), misuse) != 0) return 1;
  }
  return 0;
#else
  rt_skip_without_emulator();
  return 1;
#endif
}

int main(void) { return h_run("rio_fault_corrupt", test); }
