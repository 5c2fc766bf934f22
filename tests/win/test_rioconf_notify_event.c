/* RIO conformance: RIONotify with an event (RIO_EVENT_COMPLETION).
 *  - it returns its error directly: 0 when armed;
 *  - one-shot: a second RIONotify before the first fired answers WSAEALREADY;
 *  - it fires once, when a result arrives: the event is set exactly once;
 *  - armed again while the CQ already holds a result, it fires at once
 *    (synchronously or asynchronously: within a short wait);
 *  - after it fired it may be armed again (no WSAEALREADY). */
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
  RC_OK(rc_rio.RIOReceive(rq, &s0, 1, 0, (void *)1));
  RC_OK(rc_rio.RIOReceive(rq, &s1, 1, 0, (void *)2));

  H_EQ(rc_rio.RIONotify(cq), 0);
  H_EQ(rc_rio.RIONotify(cq), WSAEALREADY);
  H_EQ(WaitForSingleObject(ev, 200), WAIT_TIMEOUT); /* nothing completed yet */
  H_EQ(rc_sendto(peer, "a", 1, &ua), 1);
  H_EQ(WaitForSingleObject(ev, 5000), WAIT_OBJECT_0);
  H_EQ(rc_sendto(peer, "b", 1, &ua), 1);
  H_EQ(WaitForSingleObject(ev, 300), WAIT_TIMEOUT); /* fired once: not again */

  /* Both results are queued now: a new RIONotify fires at once. */
  H_EQ(rc_rio.RIONotify(cq), 0);
  H_EQ(WaitForSingleObject(ev, 1000), WAIT_OBJECT_0);
  H_EQ(rc_dequeue_wait(cq, r, 2, 5000), 2);
  H_EQ(r[0].RequestContext, 1);
  H_EQ(r[1].RequestContext, 2);

  /* Empty again: armed, it waits for the next result. */
  H_EQ(rc_rio.RIONotify(cq), 0);
  H_EQ(WaitForSingleObject(ev, 200), WAIT_TIMEOUT);
  RC_OK(rc_rio.RIOReceive(rq, &s0, 1, 0, (void *)3));
  H_EQ(rc_sendto(peer, "c", 1, &ua), 1);
  H_EQ(WaitForSingleObject(ev, 5000), WAIT_OBJECT_0);
  H_EQ(rc_dequeue_wait(cq, r, 1, 5000), 1);
  H_EQ(r[0].RequestContext, 3);

  rc_close(u);
  rc_close(peer);
  rc_rio.RIOCloseCompletionQueue(cq);
  CloseHandle(ev);
  rc_buf_free(&b);
  return 0;
}

int main(void) { return h_run_once("rioconf_notify_event", test); }
