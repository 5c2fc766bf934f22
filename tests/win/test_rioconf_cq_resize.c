/* RIO conformance: RIOResizeCompletionQueue.
 *  - above RIO_MAX_CQ_SIZE (or 0): WSAEINVAL;
 *  - smaller than the capacity committed by attached RQs: WSAETOOMANYREFS,
 *    and the queue keeps working at its old size;
 *  - growing makes room for another RQ; results queued before a resize are
 *    still dequeued after it, in order. */
#include "rioconf.h"

static int test(void) {
  RIO_CQ cq;
  RIO_RQ rq, rq2;
  SOCKET u, u2, peer;
  SOCKADDR_IN ua;
  HANDLE ev;
  rc_buf b;
  RIO_BUF s0, s1;
  RIORESULT r[2];
  rc_init();
  cq = rc_cq_event(4, &ev);
  RC_OK(cq != RIO_INVALID_CQ);
  if (rc_buf_make(&b, 4096) != 0) return 1;
  u = rc_udp(&ua);
  u2 = rc_udp(NULL);
  peer = rc_udp(NULL);
  H_CHECK(u != INVALID_SOCKET && u2 != INVALID_SOCKET && peer != INVALID_SOCKET);
  rq = rc_rq(u, 2, 2, cq, NULL);
  RC_OK(rq != RIO_INVALID_RQ);

  RC_FAILS(rc_rio.RIOResizeCompletionQueue(cq, RIO_MAX_CQ_SIZE + 1), WSAEINVAL);
  RC_FAILS(rc_rio.RIOResizeCompletionQueue(cq, 0), WSAEINVAL);
  RC_FAILS(rc_rio.RIOResizeCompletionQueue(cq, 3), WSAETOOMANYREFS);
  RC_FAILS(rc_rq(u2, 1, 0, cq, NULL) != RIO_INVALID_RQ, WSAENOBUFS); /* still 4 */

  /* Two results queued, then grow: they survive, in order. */
  s0 = rc_slice(&b, 0, 100);
  s1 = rc_slice(&b, 100, 100);
  RC_OK(rc_rio.RIOReceive(rq, &s0, 1, 0, (void *)1));
  RC_OK(rc_rio.RIOReceive(rq, &s1, 1, 0, (void *)2));
  H_EQ(rc_sendto(peer, "a", 1, &ua), 1);
  H_EQ(rc_sendto(peer, "bb", 2, &ua), 2);
  H_EQ(rc_rio.RIONotify(cq), 0);
  H_EQ(WaitForSingleObject(ev, 5000), WAIT_OBJECT_0);
  Sleep(200);
  RC_OK(rc_rio.RIOResizeCompletionQueue(cq, 64));
  rq2 = rc_rq(u2, 8, 8, cq, NULL);
  RC_OK(rq2 != RIO_INVALID_RQ);
  H_EQ(rc_dequeue_wait(cq, r, 2, 5000), 2);
  H_EQ(r[0].RequestContext, 1);
  H_EQ(r[0].BytesTransferred, 1);
  H_EQ(r[1].RequestContext, 2);
  H_EQ(r[1].BytesTransferred, 2);
  /* Shrinking to what is committed (4 + 16) is allowed; below it is not. */
  RC_OK(rc_rio.RIOResizeCompletionQueue(cq, 20));
  RC_FAILS(rc_rio.RIOResizeCompletionQueue(cq, 19), WSAETOOMANYREFS);

  rc_close(u);
  rc_close(u2);
  rc_close(peer);
  rc_rio.RIOCloseCompletionQueue(cq);
  CloseHandle(ev);
  rc_buf_free(&b);
  return 0;
}

int main(void) { return h_run_once("rioconf_cq_resize", test); }
