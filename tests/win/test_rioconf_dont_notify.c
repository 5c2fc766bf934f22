/* RIO conformance: RIO_MSG_DONT_NOTIFY. "The request should not trigger the
 * RIONotify function when request completion is inserted into its completion
 * queue"; a CQ holding only such results counts as empty for RIONotify.
 *  - armed, a DONT_NOTIFY result does not set the event; it is dequeued by
 *    polling as usual;
 *  - armed again while only a DONT_NOTIFY result is queued: no notification;
 *    the next ordinary result notifies. */
#include "rioconf.h"

static int test(void) {
  RIO_CQ cq;
  RIO_RQ rq;
  SOCKET u, peer;
  SOCKADDR_IN ua;
  HANDLE ev;
  rc_buf b;
  RIO_BUF s0, s1;
  RIORESULT r[2];
  rc_init();
  cq = rc_cq_event(16, &ev);
  RC_OK(cq != RIO_INVALID_CQ);
  if (rc_buf_make(&b, 4096) != 0) return 1;
  u = rc_udp(&ua);
  peer = rc_udp(NULL);
  H_CHECK(u != INVALID_SOCKET && peer != INVALID_SOCKET);
  rq = rc_rq(u, 4, 0, cq, NULL);
  RC_OK(rq != RIO_INVALID_RQ);
  s0 = rc_slice(&b, 0, 100);
  s1 = rc_slice(&b, 100, 100);

  RC_OK(rc_rio.RIOReceive(rq, &s0, 1, RIO_MSG_DONT_NOTIFY, (void *)1));
  H_EQ(rc_rio.RIONotify(cq), 0);
  H_EQ(rc_sendto(peer, "quiet", 5, &ua), 5);
  H_EQ(WaitForSingleObject(ev, 500), WAIT_TIMEOUT);
  H_EQ(rc_dequeue_wait(cq, r, 1, 5000), 1); /* polling still finds it */
  H_EQ(r[0].RequestContext, 1);
  H_EQ(r[0].BytesTransferred, 5);

  /* Still armed (nothing fired). A DONT_NOTIFY result queued, then an
   * ordinary one: only the second notifies. */
  H_EQ(rc_rio.RIONotify(cq), WSAEALREADY);
  RC_OK(rc_rio.RIOReceive(rq, &s0, 1, RIO_MSG_DONT_NOTIFY, (void *)2));
  RC_OK(rc_rio.RIOReceive(rq, &s1, 1, 0, (void *)3));
  H_EQ(rc_sendto(peer, "q", 1, &ua), 1);
  H_EQ(WaitForSingleObject(ev, 300), WAIT_TIMEOUT);
  H_EQ(rc_sendto(peer, "loud", 4, &ua), 4);
  H_EQ(WaitForSingleObject(ev, 5000), WAIT_OBJECT_0);
  H_EQ(rc_dequeue_wait(cq, r, 2, 5000), 2);
  H_EQ(r[0].RequestContext, 2);
  H_EQ(r[1].RequestContext, 3);

  /* Only a DONT_NOTIFY result queued: RIONotify does not fire for it. */
  RC_OK(rc_rio.RIOReceive(rq, &s0, 1, RIO_MSG_DONT_NOTIFY, (void *)4));
  H_EQ(rc_sendto(peer, "q2", 2, &ua), 2);
  Sleep(200);
  H_EQ(rc_rio.RIONotify(cq), 0);
  H_EQ(WaitForSingleObject(ev, 300), WAIT_TIMEOUT);
  H_EQ(rc_dequeue_wait(cq, r, 1, 5000), 1);
  H_EQ(r[0].RequestContext, 4);

  rc_close(u);
  rc_close(peer);
  rc_rio.RIOCloseCompletionQueue(cq);
  CloseHandle(ev);
  rc_buf_free(&b);
  return 0;
}

int main(void) { return h_run_once("rioconf_dont_notify", test); }
