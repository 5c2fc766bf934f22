/* RIO backend under injected send faults (the emulator's rio_emu_fail_nth).
 *  - RIOSendEx refusing a UDP send, immediate or RIOX_SEND_DEFER: riox_sendto
 *    still returns 0 and that send's event carries the error; the datagram
 *    is not sent, the ones around it are;
 *  - the commit of deferred sends (RIOSend with RIO_MSG_COMMIT_ONLY) failing:
 *    riox_flush issues nothing (returns 0), the loop retries at its next
 *    wait, and every datagram arrives with one SEND event each;
 *  - RIOSend refusing a TCP send: its event fails, later sends go through;
 *  - other sockets keep serving, nothing leaks, no misuse.
 * Faults exist only in the emulator: on iocp (and real RIO) this is a note. */
#include "rioconf.h"

static int test(void) {
#ifdef RIOX_WITH_RIO_EMU
  riox_loop *loop;
  riox_sock *a, *b, *c, *tc, *ts;
  riox_addr aa, ba, ca;
  riox_event ev;
  char *s[3], *rb[3];
  unsigned misuse = rt_misuse();
  int i, got;
  h_log *log;
  if (!rt_is_emulated()) {
    printf("NOTE: %s pass: faults can be injected only into the emulator\n", h_backend);
    return 0;
  }
  rio_emu_reset_faults();
  H_OK(h_loop(&loop, NULL));
  if (rt_udp(loop, &a, &aa) != 0 || rt_udp(loop, &b, &ba) != 0 || rt_udp(loop, &c, &ca) != 0)
    return 1;
  if (rt_ping(loop, a, &ba, b, 1) != 0 || rt_ping(loop, c, &aa, a, 2) != 0) return 1;
  for (i = 0; i < 3; i++) {
    H_OK(riox_buf_get(loop, &s[i]));
    H_OK(riox_buf_get(loop, &rb[i]));
    h_fill(s[i], 50, (uint32_t)(60 + i));
  }

  /* 1. Immediate and deferred sends, the middle one refused. */
  for (i = 0; i < 2; i++) H_OK(riox_recv(b, rb[i], riox_loop_buf_size(loop), (void *)(uintptr_t)i));
  H_OK(riox_sendto(a, s[0], 50, &ba, 0, (void *)70));
  rio_emu_fail_nth(RIO_EMU_FN_SENDEX, 1, WSAENOBUFS);
  H_OK(riox_sendto(a, s[1], 50, &ba, RIOX_SEND_DEFER, (void *)71));
  H_OK(riox_sendto(a, s[2], 50, &ba, RIOX_SEND_DEFER, (void *)72));
  log = (h_log *)calloc(1, sizeof *log);
  H_CHECK(log != NULL);
  h_collect(loop, RIOX_EV_SEND, 3, log, 5000);
  H_EQ(rt_count(log, RIOX_EV_SEND, a), 3);
  for (i = 0; i < log->n; i++) {
    const riox_event *e = &log->ev[i];
    if (e->type != RIOX_EV_SEND) continue;
    if (e->ctx == (void *)71) H_ERR(e->status, RIOX_ENOBUFS);
    else H_EQ(e->status, 0);
  }
  for (got = 0; got < 2; got++) {
    if (got >= rt_count(log, RIOX_EV_RECV, b)) {
      H_EQ(h_wait_for(loop, RIOX_EV_RECV, b, &ev, NULL, 5000), 0);
      log->ev[log->n++] = ev;
    }
  }
  {
    int k = 0;
    for (i = 0; i < log->n; i++) {
      const riox_event *e = &log->ev[i];
      if (e->type != RIOX_EV_RECV) continue;
      H_EQ(e->status, 0);
      H_EQ(h_verify(e->data, 50, k == 0 ? 60u : 62u), 0); /* 61 was never sent */
      k++;
    }
    H_EQ(k, 2);
  }

  /* 2. The commit of deferred sends is refused once: flush issues nothing,
   * the next wait retries. */
  log->n = 0;
  for (i = 0; i < 2; i++) H_OK(riox_recv(b, rb[i], riox_loop_buf_size(loop), (void *)(uintptr_t)i));
  H_OK(riox_sendto(a, s[0], 50, &ba, RIOX_SEND_DEFER, (void *)80));
  H_OK(riox_sendto(a, s[1], 50, &ba, RIOX_SEND_DEFER, (void *)81));
  rio_emu_fail_nth(RIO_EMU_FN_SEND, 1, WSAENETDOWN);
  H_EQ(riox_flush(loop), 0);
  h_collect(loop, RIOX_EV_RECV, 2, log, 5000);
  H_EQ(rt_count(log, RIOX_EV_RECV, b), 2);
  while (rt_count(log, RIOX_EV_SEND, a) < 2) {
    H_EQ(h_wait_for(loop, RIOX_EV_SEND, a, &ev, NULL, 5000), 0);
    log->ev[log->n++] = ev;
  }
  for (i = 0; i < log->n; i++) H_EQ(log->ev[i].status, 0);
  H_EQ(rt_count(log, RIOX_EV_SEND, a), 2);

  /* 3. TCP: a refused send fails its event; the next goes through. */
  if (h_tcp_pair(loop, loop, 0, &tc, &ts) != 0) return 1;
  rio_emu_fail_nth(RIO_EMU_FN_SEND, 1, WSAECONNABORTED);
  H_OK(riox_send(tc, s[0], 50, 0, (void *)90));
  H_EQ(h_wait_for(loop, RIOX_EV_SEND, tc, &ev, NULL, 5000), 0);
  H_ERR(ev.status, RIOX_ECONNABORTED);
  H_OK(riox_recv(ts, rb[0], riox_loop_buf_size(loop), NULL));
  H_OK(riox_send(tc, s[2], 50, 0, (void *)91));
  H_EQ(h_wait_for(loop, RIOX_EV_SEND, tc, &ev, NULL, 5000), 0);
  H_EQ(ev.status, 0);
  H_EQ(h_wait_for(loop, RIOX_EV_RECV, ts, &ev, NULL, 5000), 0);
  H_EQ(ev.status, 0);
  H_EQ(ev.len, 50);
  H_EQ(h_verify(ev.data, 50, 62), 0);
  if (rt_ping(loop, c, &ba, b, 5) != 0) return 1;

  free(log);
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

int main(void) { return h_run("rio_fault_send", test); }
