/* Regression: a RIO post answering FALSE with WSA_IO_PENDING was queued.
 *
 * Microsoft's RIOSend, RIOSendEx, RIOReceive and RIOReceiveEx pages list
 * WSA_IO_PENDING among the failure codes: the request was initiated and its
 * completion will be queued later. riox used to complete such a request at
 * once with an error, so the request got two completions (the second one for
 * a freed request). Now it counts as posted:
 *  - receives (UDP RIOReceiveEx, TCP RIOReceive) and sends (UDP RIOSendEx,
 *    TCP RIOSend, immediate and deferred) that answer FALSE + WSA_IO_PENDING
 *    each yield exactly one event, with status 0 and the data intact;
 *  - a commit (RIO_MSG_COMMIT_ONLY) answering it counts as committed;
 *  - the socket goes on serving and the loop closes clean: no request left
 *    (req_in_use 0), the emulator holds nothing charged, no misuse.
 * The answer is injected with the emulator's rio_emu_pending_nth; the iocp
 * pass runs the same exchanges without injection. */
#include "rioconf.h"

#ifdef RIOX_WITH_RIO_EMU
#define PENDING_NTH(fn)                               \
  do {                                                \
    if (rt_is_emulated()) rio_emu_pending_nth((fn), 1); \
  } while (0)
#else
#define PENDING_NTH(fn) ((void)0)
#endif

/* Events that arrive within `ms` (nothing more is expected): how many of
 * type for sock. */
static int strays(riox_loop *loop, uint32_t type, riox_sock *sock, int ms) {
  static h_log log;
  log.n = 0;
  (void)h_collect(loop, RIOX_EV_WAKE, 1000000, &log, ms);
  return rt_count(&log, type, sock);
}

/* One transfer of len bytes from -> at: a receive posted on `at` (answer
 * injected when recv_fn >= 0), a send on `from` (answer injected when
 * send_fn >= 0), each with exactly one event. to NULL: connected (TCP). */
static int exchange(riox_loop *loop, riox_sock *from, const riox_addr *to, riox_sock *at,
                    int recv_fn, int send_fn, uint32_t send_flags, uint32_t len, uint32_t seed) {
  char *rb, *sb;
  riox_event ev;
  H_OK(riox_buf_get(loop, &rb));
  H_OK(riox_buf_get(loop, &sb));
  if (recv_fn >= 0) PENDING_NTH((enum rio_emu_fn)recv_fn);
  H_OK(riox_recv(at, rb, riox_loop_buf_size(loop), (void *)(uintptr_t)seed));
  h_fill(sb, len, seed);
  if (send_fn >= 0) PENDING_NTH((enum rio_emu_fn)send_fn);
  if (to != NULL)
    H_OK(riox_sendto(from, sb, len, to, send_flags, (void *)(uintptr_t)(seed + 1)));
  else
    H_OK(riox_send(from, sb, len, send_flags, (void *)(uintptr_t)(seed + 1)));
  H_EQ(h_wait_for(loop, RIOX_EV_RECV, at, &ev, NULL, 5000), 0);
  H_ERR(ev.status, 0);
  H_EQ(ev.len, len);
  H_CHECK(ev.ctx == (void *)(uintptr_t)seed);
  H_CHECK(ev.data == rb);
  H_EQ(h_verify(ev.data, len, seed), 0);
  H_EQ(h_wait_for(loop, RIOX_EV_SEND, from, &ev, NULL, 5000), 0);
  H_ERR(ev.status, 0);
  H_EQ(ev.len, len);
  H_CHECK(ev.ctx == (void *)(uintptr_t)(seed + 1));
  /* Exactly one event each: no second completion shows up. */
  H_EQ(strays(loop, RIOX_EV_RECV, at, 300), 0);
  H_EQ(strays(loop, RIOX_EV_SEND, from, 0), 0);
  H_OK(riox_buf_put(loop, rb));
  H_OK(riox_buf_put(loop, sb));
  return 0;
}

static int test(void) {
  riox_loop *loop;
  riox_sock *a, *b, *tc, *ts;
  riox_addr aa, ba;
  unsigned misuse = rt_misuse();
  int rio = rt_is_emulated();
#ifdef RIOX_WITH_RIO_EMU
  if (rio) rio_emu_reset_faults();
#endif
  if (!rio) printf("NOTE: %s pass: no injection (the answer exists only in the emulator)\n", h_backend);
  H_OK(h_loop(&loop, NULL));
  if (rt_udp(loop, &a, &aa) != 0 || rt_udp(loop, &b, &ba) != 0) return 1;
  if (rt_ping(loop, a, &ba, b, 1) != 0) return 1;
#ifdef RIOX_WITH_RIO_EMU
  /* UDP: the receive's RIOReceiveEx, then the send's RIOSendEx. */
  if (exchange(loop, a, &ba, b, RIO_EMU_FN_RECEIVEEX, -1, 0, 64, 10) != 0) return 1;
  if (exchange(loop, a, &ba, b, -1, RIO_EMU_FN_SENDEX, 0, 64, 20) != 0) return 1;
  if (exchange(loop, b, &aa, a, RIO_EMU_FN_RECEIVEEX, RIO_EMU_FN_SENDEX, 0, 100, 30) != 0)
    return 1;
  /* A deferred send answering it is dirty as usual: riox_wait commits it. */
  if (exchange(loop, a, &ba, b, -1, RIO_EMU_FN_SENDEX, RIOX_SEND_DEFER, 64, 40) != 0) return 1;
  /* The commit of deferred receives (RIOReceive, RIO_MSG_COMMIT_ONLY). */
  if (exchange(loop, a, &ba, b, RIO_EMU_FN_RECEIVE, -1, 0, 64, 50) != 0) return 1;
  if (rt_ping(loop, b, &aa, a, 2) != 0) return 1;
  /* TCP: RIOReceive and RIOSend. */
  if (h_tcp_pair(loop, loop, 0, &tc, &ts) != 0) return 1;
  if (exchange(loop, tc, NULL, ts, RIO_EMU_FN_RECEIVE, -1, 0, 500, 60) != 0) return 1;
  if (exchange(loop, tc, NULL, ts, -1, RIO_EMU_FN_SEND, 0, 500, 70) != 0) return 1;
  if (exchange(loop, ts, NULL, tc, RIO_EMU_FN_RECEIVE, RIO_EMU_FN_SEND, 0, 700, 80) != 0) return 1;
  if (exchange(loop, tc, NULL, ts, -1, -1, 0, 300, 90) != 0) return 1;
#else
  if (exchange(loop, a, &ba, b, -1, -1, 0, 64, 10) != 0) return 1;
  if (h_tcp_pair(loop, loop, 0, &tc, &ts) != 0) return 1;
  if (exchange(loop, tc, NULL, ts, -1, -1, 0, 500, 60) != 0) return 1;
#endif
  {
    riox_sock *const socks[] = {tc, ts, a, b};
    if (rt_finish(loop, socks, (int)(sizeof socks / sizeof socks[0]), misuse) != 0) return 1;
  }
  return 0;
}

int main(void) { return h_run("rio_post_io_pending", test); }
