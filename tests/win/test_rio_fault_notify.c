/* RIO backend when RIONotify fails (the emulator's rio_emu_fail_nth).
 * docs/design.md: the loop reports one RIOX_EV_ERROR (sock NULL, the mapped
 * status, riox_last_detail naming RIONotify) per run of failures, polls the
 * CQ every millisecond meanwhile, and goes back to notifications when
 * RIONotify works again. No completion is lost: datagrams that arrive while
 * it cannot arm are still delivered; other sockets keep serving.
 * Faults exist only in the emulator: on iocp (and real RIO) this is a note. */
#include "rioconf.h"

/* Run the loop for ms: count RIOX_EV_ERROR and RIOX_EV_RECV events, and
 * check each (statuses: ENETUNREACH is what WSAENETDOWN maps to). 0 or 1. */
#ifdef RIOX_WITH_RIO_EMU
static int run_for(riox_loop *loop, int ms, int *errors, int *recvs) {
  uint64_t until = h_now_ms() + (uint64_t)ms;
  *errors = 0;
  while (h_now_ms() < until) {
    riox_event ev;
    if (riox_wait(loop, &ev, 1, 20) != 1) continue;
    if (ev.type == RIOX_EV_ERROR) {
      H_CHECK(ev.sock == NULL);
      H_ERR(ev.status, RIOX_ENETUNREACH);
      (*errors)++;
    } else {
      H_EQ(ev.type, RIOX_EV_RECV);
      H_EQ(ev.status, 0);
      (*recvs)++;
    }
  }
  return 0;
}
#endif

static int test(void) {
#ifdef RIOX_WITH_RIO_EMU
  riox_loop *loop;
  riox_sock *a, *b;
  riox_addr aa, ba;
  char *rb[4];
  unsigned misuse = rt_misuse();
  int i, recvs = 0, errors, more;
  SOCKET raw;
  SOCKADDR_IN to;
  if (!rt_is_emulated()) {
    printf("NOTE: %s pass: faults can be injected only into the emulator\n", h_backend);
    return 0;
  }
  rio_emu_reset_faults();
  H_OK(h_loop(&loop, NULL));
  if (rt_udp(loop, &a, &aa) != 0 || rt_udp(loop, &b, &ba) != 0) return 1;
  if (rt_ping(loop, a, &ba, b, 1) != 0) return 1;
  for (i = 0; i < 4; i++) {
    H_OK(riox_buf_get(loop, &rb[i]));
    H_OK(riox_recv(b, rb[i], riox_loop_buf_size(loop), NULL));
  }

  /* Three RIONotify calls in a row fail: one error event for the run. */
  rio_emu_fail_nth(RIO_EMU_FN_NOTIFY, 1, WSAENETDOWN);
  rio_emu_fail_nth(RIO_EMU_FN_NOTIFY, 2, WSAENETDOWN);
  rio_emu_fail_nth(RIO_EMU_FN_NOTIFY, 3, WSAENETDOWN);
  raw = socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP);
  memset(&to, 0, sizeof to);
  to.sin_family = AF_INET;
  to.sin_port = htons(ba.port);
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (run_for(loop, 100, &errors, &recvs) != 0) return 1;
  /* Datagrams arriving while it polls are delivered. */
  H_EQ(sendto(raw, "p1", 2, 0, (SOCKADDR *)&to, sizeof to), 2);
  H_EQ(sendto(raw, "p2", 2, 0, (SOCKADDR *)&to, sizeof to), 2);
  if (run_for(loop, 300, &more, &recvs) != 0) return 1;
  H_EQ(errors + more, 1);
  H_EQ(recvs, 2);
  /* Notifications work again: later datagrams arrive, no more errors. */
  H_EQ(sendto(raw, "p3", 2, 0, (SOCKADDR *)&to, sizeof to), 2);
  if (run_for(loop, 300, &errors, &recvs) != 0) return 1;
  H_EQ(errors, 0);
  H_EQ(recvs, 3);
  /* A new failure after a success is a new run: one more event. */
  {
    unsigned long before = rio_emu_calls(RIO_EMU_FN_NOTIFY);
    rio_emu_fail_nth(RIO_EMU_FN_NOTIFY, 1, WSAENETDOWN);
    H_EQ(sendto(raw, "p4", 2, 0, (SOCKADDR *)&to, sizeof to), 2);
    if (run_for(loop, 300, &errors, &recvs) != 0) return 1;
    H_CHECK(rio_emu_calls(RIO_EMU_FN_NOTIFY) > before);
    H_EQ(errors, 1);
    H_EQ(recvs, 4);
  }
  rc_close(raw);
  if (rt_ping(loop, b, &aa, a, 2) != 0) return 1;
  {
    riox_sock *const socks[] = {a, b};
    if (rt_finish(loop, socks, (int)(sizeof socks / sizeof socks[0]), misuse) != 0) return 1;
  }
  return 0;
#else
  rt_skip_without_emulator();
  return 1;
#endif
}

int main(void) { return h_run("rio_fault_notify", test); }
