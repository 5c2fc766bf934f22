/* Regression (issue 8, defect 8): on Windows the CQ room a closed socket's
 * request queue held may come back some time after closesocket, so
 * RIOCreateRequestQueue can answer WSAENOBUFS although riox's own count
 * says the CQ has room. riox now grows the CQ and retries once. The
 * emulator models the late release (rio_emu_set_cq_release_delay): 8 UDP
 * sockets fill the loop's first 1024 CQ slots (2 x 64 each), are closed,
 * and 8 new sockets must still get their queues and serve at once. */
#include "rioconf.h"

#define FIT 8

static int test(void) {
#ifdef RIOX_WITH_RIO_EMU
  riox_loop *loop;
  riox_sock *s[FIT], *t[FIT];
  riox_addr sa[FIT], ta[FIT];
  char *buf;
  unsigned misuse = rt_misuse();
  int i;
  if (!rt_is_emulated()) {
    printf("NOTE: %s pass: the late release of CQ room is modelled only by the emulator\n", h_backend);
    return 0;
  }
  H_OK(h_loop(&loop, NULL));
  for (i = 0; i < FIT; i++) {
    if (rt_udp(loop, &s[i], &sa[i]) != 0) return 1;
    H_OK(riox_buf_get(loop, &buf)); /* attaches the queue; aborted by the close */
    H_OK(riox_recv(s[i], buf, riox_loop_buf_size(loop), NULL));
  }
  rio_emu_set_cq_release_delay(5000);
  for (i = 0; i < FIT; i++) {
    riox_event ev;
    H_OK(riox_close(s[i]));
    H_EQ(h_wait_for(loop, RIOX_EV_RECV, s[i], &ev, NULL, 5000), 0);
    H_EQ(ev.status, RIOX_ECANCELED);
    H_OK(riox_buf_put(loop, ev.data));
    H_EQ(h_wait_for(loop, RIOX_EV_CLOSE, s[i], &ev, NULL, 5000), 0);
  }
  /* riox's count is back to 0; the emulator still holds all 1024 slots. */
  for (i = 0; i < FIT; i++)
    if (rt_udp(loop, &t[i], &ta[i]) != 0) return 1;
  for (i = 0; i < FIT; i++)
    if (rt_ping(loop, t[(i + 1) % FIT], &ta[i], t[i], (uint32_t)(100 + i)) != 0) return 1;
  rio_emu_set_cq_release_delay(0);
  return rt_finish(loop, t, FIT, misuse);
#else
  rt_skip_without_emulator();
  return 0;
#endif
}

int main(void) { return h_run("rio_cq_room_late", test); }
