/* RIO conformance: RIOResizeRequestQueue.
 *  - both counts 0: WSAEINVAL;
 *  - below what is outstanding now: WSAETOOMANYREFS;
 *  - growing (with room on the CQ) allows more outstanding requests;
 *  - growing beyond the CQ's room fails (the CQ must be resized first). */
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
  /* 4 + 1 of 8 committed: 4 + 5 would not fit. */
  RC_FAILS(rc_rio.RIOResizeRequestQueue(rq, 4, 5), WSAENOBUFS);
  RC_OK(rc_rio.RIOResizeRequestQueue(rq, 4, 4));

  closesocket(u);
  H_EQ(rc_dequeue_wait(cq, r, 4, 5000), 4);
  for (i = 0; i < 4; i++) H_EQ(r[i].Status, WSA_OPERATION_ABORTED);
  rc_rio.RIOCloseCompletionQueue(cq);
  rc_buf_free(&b);
  return 0;
}

int main(void) { return h_run_once("rioconf_rq_resize", test); }
