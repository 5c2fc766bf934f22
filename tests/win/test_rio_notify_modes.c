/* riox_loop_config.rio_notify: how a RIO loop learns of completions.
 *   IOCP  (default) RIONotify posts to the loop's port;
 *   EVENT RIONotify sets an event the loop forwards to its port;
 *   POLL  no RIONotify: riox_wait polls the CQ.
 * In each mode: datagrams round-trip, a timer fires, a riox_wake from another
 * thread arrives, and an idle riox_wait(200) returns 0 after about 200 ms
 * (neither early nor stuck). With the emulator, RIONotify is called in IOCP
 * and EVENT mode and never in POLL mode. On iocp the field is ignored and the
 * same checks run. */
#include "rioconf.h"

static riox_loop *wake_loop;
static SOCKADDR_IN late_to;

static DWORD WINAPI waker(LPVOID arg) {
  (void)arg;
  Sleep(50);
  (void)riox_wake(wake_loop, (void *)0x77);
  return 0;
}

/* A datagram that arrives while the loop sleeps in riox_wait: only the
 * notification (or the polling) can tell the loop about it. */
static DWORD WINAPI late_sender(LPVOID arg) {
  SOCKET s = socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP);
  (void)arg;
  Sleep(100);
  (void)sendto(s, "late", 4, 0, (const SOCKADDR *)&late_to, sizeof late_to);
  rc_close(s);
  return 0;
}

static int one_mode(uint32_t mode) {
  static const char *const names[] = {"iocp", "poll", "event"};
  riox_loop_config cfg;
  riox_loop *loop;
  riox_sock *a, *b;
  riox_addr aa, ba;
  riox_event ev;
  uint64_t id, t0, took;
  unsigned long notifies = 0;
  HANDLE th;
  int i;
  h_config(&cfg);
  cfg.rio_notify = mode;
#ifdef RIOX_WITH_RIO_EMU
  notifies = rio_emu_calls(RIO_EMU_FN_NOTIFY);
#endif
  H_OK(h_loop(&loop, &cfg));
  if (rt_udp(loop, &a, &aa) != 0 || rt_udp(loop, &b, &ba) != 0) return 1;
  for (i = 0; i < 8; i++) {
    riox_sock *from = i % 2 ? a : b, *at = i % 2 ? b : a;
    if (rt_ping(loop, from, i % 2 ? &ba : &aa, at, (uint32_t)(mode * 100 + i)) != 0) return 1;
  }
  {
    char *rbuf;
    riox_addr bl;
    uint64_t t1;
    H_OK(riox_sock_local(b, &bl));
    memset(&late_to, 0, sizeof late_to);
    late_to.sin_family = AF_INET;
    late_to.sin_port = htons(bl.port);
    late_to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    H_OK(riox_buf_get(loop, &rbuf));
    H_OK(riox_recv(b, rbuf, riox_loop_buf_size(loop), (void *)9));
    H_EQ(riox_wait(loop, &ev, 1, 0), 0); /* commits the receive; nothing yet */
    th = CreateThread(NULL, 0, late_sender, NULL, 0, NULL);
    t1 = h_now_ms();
    H_EQ(h_wait_for(loop, RIOX_EV_RECV, b, &ev, NULL, 5000), 0);
    H_EQ(ev.status, 0);
    H_EQ(ev.len, 4);
    H_CHECK(ev.ctx == (void *)9);
    printf("mode %s on %s: a datagram arriving during the wait was delivered after %llu ms\n",
           names[mode], h_backend, (unsigned long long)(h_now_ms() - t1));
    WaitForSingleObject(th, INFINITE);
    CloseHandle(th);
    H_OK(riox_buf_put(loop, rbuf));
  }
  H_OK(riox_timer_start(loop, 30, (void *)5, &id));
  H_EQ(h_wait_for(loop, RIOX_EV_TIMER, NULL, &ev, NULL, 5000), 0);
  H_CHECK(ev.ctx == (void *)5);
  wake_loop = loop;
  th = CreateThread(NULL, 0, waker, NULL, 0, NULL);
  H_EQ(h_wait_for(loop, RIOX_EV_WAKE, NULL, &ev, NULL, 5000), 0);
  H_CHECK(ev.ctx == (void *)0x77);
  WaitForSingleObject(th, INFINITE);
  CloseHandle(th);
  t0 = h_now_ms();
  H_EQ(riox_wait(loop, &ev, 1, 200), 0);
  took = h_now_ms() - t0;
  printf("mode %s on %s: idle riox_wait(200) took %llu ms\n", names[mode], h_backend,
         (unsigned long long)took);
  H_CHECK(took >= 150 && took < 2000);
  if (rt_close(loop, a) != 0 || rt_close(loop, b) != 0) return 1;
  riox_loop_close(loop);
#ifdef RIOX_WITH_RIO_EMU
  if (rt_is_emulated()) {
    notifies = rio_emu_calls(RIO_EMU_FN_NOTIFY) - notifies;
    printf("mode %s: %lu RIONotify calls\n", names[mode], notifies);
    if (mode == RIOX_RIO_NOTIFY_POLL) H_EQ(notifies, 0);
    else H_CHECK(notifies >= 1);
  }
#endif
  (void)notifies;
  return 0;
}

static int test(void) {
  unsigned misuse = rt_misuse();
  if (one_mode(RIOX_RIO_NOTIFY_IOCP) != 0) return 1;
  if (one_mode(RIOX_RIO_NOTIFY_EVENT) != 0) return 1;
  if (one_mode(RIOX_RIO_NOTIFY_POLL) != 0) return 1;
  H_EQ(rt_outstanding(), 0);
  H_EQ(rt_misuse(), misuse);
  return 0;
}

int main(void) { return h_run("rio_notify_modes", test); }
