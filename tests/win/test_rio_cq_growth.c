/* The RIO backend's slot accounting (docs/design.md, "RIO backend"):
 *  - every socket's request queue commits its capacity on the loop's one CQ
 *    (1024 slots at first); NSOCK sockets need several times that, so the CQ
 *    is grown with RIOResizeCompletionQueue before the queue that would not
 *    fit is created -- the application never sees WSAENOBUFS for it;
 *  - a socket with more receives posted than its queue holds (DEEP > 64)
 *    gets its queue grown (RIOResizeRequestQueue); all of them complete;
 *  - every socket still serves afterwards, closes cleanly, and the emulator
 *    holds nothing once the loop is closed (no leak), with no misuse.
 * On iocp the same traffic runs (there is nothing to grow). */
#include "rioconf.h"

#define NSOCK 24
#define DEEP 100

static int test(void) {
  riox_loop *loop;
  riox_sock *s[NSOCK];
  riox_addr addr[NSOCK];
  riox_event ev;
  unsigned misuse = rt_misuse();
  unsigned long resize_cq = 0, resize_rq = 0;
  static char *bufs[DEEP];
  int i, got = 0, sends = 0;
  h_log *log;
#ifdef RIOX_WITH_RIO_EMU
  resize_cq = rio_emu_calls(RIO_EMU_FN_RESIZE_CQ);
  resize_rq = rio_emu_calls(RIO_EMU_FN_RESIZE_RQ);
#endif
  H_OK(h_loop(&loop, NULL));
  for (i = 0; i < NSOCK; i++)
    if (rt_udp(loop, &s[i], &addr[i]) != 0) return 1;
  /* Each socket receives from the next one: every queue gets created. */
  for (i = 0; i < NSOCK; i++)
    if (rt_ping(loop, s[(i + 1) % NSOCK], &addr[i], s[i], (uint32_t)(100 + i)) != 0) return 1;

  /* A deep receive queue on socket 0. */
  for (i = 0; i < DEEP; i++) {
    H_OK(riox_buf_get(loop, &bufs[i]));
    H_OK(riox_recv(s[0], bufs[i], riox_loop_buf_size(loop), (void *)(uintptr_t)i));
  }
  for (i = 0; i < DEEP; i++) {
    char *b;
    H_OK(riox_buf_get(loop, &b));
    h_fill(b, 32, (uint32_t)i);
    H_OK(riox_sendto(s[1], b, 32, &addr[0], RIOX_SEND_DEFER, NULL));
  }
  log = (h_log *)calloc(1, sizeof *log);
  H_CHECK(log != NULL);
  h_collect(loop, RIOX_EV_RECV, DEEP, log, 10000);
  for (i = 0; i < log->n; i++) {
    const riox_event *e = &log->ev[i];
    H_EQ(e->status, 0);
    if (e->type == RIOX_EV_RECV) {
      H_EQ((uintptr_t)e->ctx, got); /* posting order */
      H_EQ(h_verify(e->data, 32, (uint32_t)got), 0);
      H_OK(riox_buf_put(loop, e->data));
      got++;
    } else if (e->type == RIOX_EV_SEND) {
      H_OK(riox_buf_put(loop, e->data));
      sends++;
    }
  }
  H_EQ(got, DEEP);
  while (sends < DEEP) {
    H_EQ(h_wait_for(loop, RIOX_EV_SEND, s[1], &ev, NULL, 5000), 0);
    H_EQ(ev.status, 0);
    H_OK(riox_buf_put(loop, ev.data));
    sends++;
  }
  free(log);
  /* Everyone still serves after the growth. */
  for (i = 0; i < NSOCK; i++)
    if (rt_ping(loop, s[i], &addr[(i + 3) % NSOCK], s[(i + 3) % NSOCK], (uint32_t)(200 + i)) != 0)
      return 1;
  for (i = 0; i < NSOCK; i++)
    if (rt_close(loop, s[i]) != 0) return 1;
  riox_loop_close(loop);
#ifdef RIOX_WITH_RIO_EMU
  if (rt_is_emulated()) {
    resize_cq = rio_emu_calls(RIO_EMU_FN_RESIZE_CQ) - resize_cq;
    resize_rq = rio_emu_calls(RIO_EMU_FN_RESIZE_RQ) - resize_rq;
    printf("%d sockets: %lu CQ resizes, %lu RQ resizes\n", NSOCK, resize_cq, resize_rq);
    H_CHECK(resize_cq >= 1);
    H_CHECK(resize_rq >= 1);
  }
#endif
  (void)resize_cq;
  (void)resize_rq;
  H_EQ(rt_outstanding(), 0);
  H_EQ(rt_misuse(), misuse);
  return 0;
}

int main(void) { return h_run("rio_cq_growth", test); }
