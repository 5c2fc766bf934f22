/* RIO conformance: RIOResizeRequestQueue.
 *  - both counts 0: WSAEINVAL;
 *  - below what is outstanding now: WSAETOOMANYREFS;
 *  - growing allows more outstanding requests.
 * Not checked: whether growing beyond the CQ's room fails. The page lists
 * WSAENOBUFS only for lack of memory, so the emulator does not refuse it;
 * riox grows the CQ before it grows a queue all the same. */
#include "rioconf.h"

static int test(void) {
  RIO_CQ cq;
  RIO_RQ rq;
  SOCKET u;
  rc_buf b;
  RIO_BUF s[4];
  RIORESULT r[4];
  int i;
  rc_init();
  cq = rc_cq_poll(8);
  RC_OK(cq != RIO_INVALID_CQ);
  if (rc_buf_make(&b, 4096) != 0) return 1;
  u = rc_udp(NULL);
  H_CHECK(u != INVALID_SOCKET);
  rq = rc_rq(u, 2, 1, cq, NULL);
  RC_OK(rq != RIO_INVALID_RQ);
  for (i = 0; i < 4; i++) s[i] = rc_slice(&b, (ULONG)i * 100, 100);

  RC_FAILS(rc_rio.RIOResizeRequestQueue(rq, 0, 0), WSAEINVAL);
  RC_OK(rc_rio.RIOReceive(rq, &s[0], 1, 0, (void *)1));
  RC_OK(rc_rio.RIOReceive(rq, &s[1], 1, 0, (void *)2));
  RC_FAILS(rc_rio.RIOReceive(rq, &s[2], 1, 0, (void *)3), WSAENOBUFS);
  RC_FAILS(rc_rio.RIOResizeRequestQueue(rq, 1, 1), WSAETOOMANYREFS);
  RC_OK(rc_rio.RIOResizeRequestQueue(rq, 4, 1));
  RC_OK(rc_rio.RIOReceive(rq, &s[2], 1, 0, (void *)3));
  RC_OK(rc_rio.RIOReceive(rq, &s[3], 1, 0, (void *)4));
  RC_OK(rc_rio.RIOResizeRequestQueue(rq, 4, 4));

  rc_close(u);
  H_EQ(rc_dequeue_wait(cq, r, 4, 5000), 4);
  for (i = 0; i < 4; i++) H_CHECK(rc_closed_status(r[i].Status));
  rc_rio.RIOCloseCompletionQueue(cq);
  rc_buf_free(&b);
  return 0;
}

int main(void) { return h_run_once("rioconf_rq_resize", test); }
