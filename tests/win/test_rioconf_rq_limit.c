/* RIO conformance: request-queue quota.
 *  - "over the RQ limit -> WSAENOBUFS": with MaxOutstandingReceive 2, a third
 *    receive fails; an RQ created with 0 receives refuses every receive;
 *  - "Only after a request's completion has been dequeued does the system
 *    release ... its quota charge": both receives complete (the CQ holds the
 *    results), yet a third receive still fails until they are dequeued. */
#include "rioconf.h"

static int test(void) {
  RIO_CQ cq;
  RIO_RQ rq, rq0;
  SOCKET u, u0, peer;
  SOCKADDR_IN ua;
  HANDLE ev;
  rc_buf b;
  RIO_BUF s0, s1, s2;
  RIORESULT r[4];
  rc_init();
  cq = rc_cq_event(16, &ev);
  RC_OK(cq != RIO_INVALID_CQ);
  if (rc_buf_make(&b, 4096) != 0) return 1;
  u = rc_udp(&ua);
  u0 = rc_udp(NULL);
  peer = rc_udp(NULL);
  H_CHECK(u != INVALID_SOCKET && u0 != INVALID_SOCKET && peer != INVALID_SOCKET);
  rq = rc_rq(u, 2, 1, cq, NULL);
  RC_OK(rq != RIO_INVALID_RQ);
  s0 = rc_slice(&b, 0, 100);
  s1 = rc_slice(&b, 100, 100);
  s2 = rc_slice(&b, 200, 100);

  /* "...or the I/O completion queue was created with zero receive entries." */
  rq0 = rc_rq(u0, 0, 1, cq, NULL);
  RC_OK(rq0 != RIO_INVALID_RQ);
  RC_FAILS(rc_rio.RIOReceive(rq0, &s2, 1, 0, NULL), WSAENOBUFS);

  RC_OK(rc_rio.RIOReceive(rq, &s0, 1, 0, (void *)1));
  RC_OK(rc_rio.RIOReceive(rq, &s1, 1, 0, (void *)2));
  RC_FAILS(rc_rio.RIOReceive(rq, &s2, 1, 0, (void *)3), WSAENOBUFS);

  /* Both complete; wait until they are in the CQ without dequeuing. */
  H_EQ(rc_sendto(peer, "one", 3, &ua), 3);
  H_EQ(rc_sendto(peer, "two", 3, &ua), 3);
  H_EQ(rc_rio.RIONotify(cq), 0);
  H_EQ(WaitForSingleObject(ev, 5000), WAIT_OBJECT_0);
  Sleep(200); /* the second one too */
  RC_FAILS(rc_rio.RIOReceive(rq, &s2, 1, 0, (void *)3), WSAENOBUFS);

  H_EQ(rc_dequeue_wait(cq, r, 2, 5000), 2);
  H_EQ(r[0].RequestContext, 1);
  H_EQ(r[1].RequestContext, 2);
  H_EQ(r[0].Status, 0);
  H_EQ(r[1].Status, 0);
  /* Dequeued: the quota is back. */
  RC_OK(rc_rio.RIOReceive(rq, &s2, 1, 0, (void *)3));
  RC_OK(rc_rio.RIOReceive(rq, &s0, 1, 0, (void *)4));
  RC_FAILS(rc_rio.RIOReceive(rq, &s1, 1, 0, (void *)5), WSAENOBUFS);

  rc_close(u);
  rc_close(u0);
  H_EQ(rc_dequeue_wait(cq, r, 2, 5000), 2);
  H_CHECK(rc_closed_status(r[0].Status));
  H_CHECK(rc_closed_status(r[1].Status));
  rc_close(peer);
  rc_rio.RIOCloseCompletionQueue(cq);
  CloseHandle(ev);
  rc_buf_free(&b);
  return 0;
}

int main(void) { return h_run_once("rioconf_rq_limit", test); }
