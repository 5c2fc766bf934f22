/* RIO conformance: a CQ never holds more results than its size ("WSAENOBUFS
 * ... if the I/O completion queue associated with the SocketQueue parameter
 * is full").
 * A CQ of 2 holds two results of a socket that is then closed (its RQ's
 * capacity is returned, its results stay until dequeued). A new RQ on that
 * CQ is either refused (WSAENOBUFS) or created; if created, its first post
 * is refused with WSAENOBUFS while the two results are queued, and accepted
 * once they are dequeued. */
#include "rioconf.h"

static int test(void) {
  RIO_CQ cq;
  RIO_RQ rq;
  SOCKET a, b, peer;
  SOCKADDR_IN aa, ba;
  HANDLE ev;
  rc_buf buf;
  RIO_BUF s0, s1;
  RIORESULT r[2];
  char got[16];
  rc_init();
  cq = rc_cq_event(2, &ev);
  RC_OK(cq != RIO_INVALID_CQ);
  if (rc_buf_make(&buf, 4096) != 0) return 1;
  a = rc_udp(&aa);
  b = rc_udp(&ba);
  peer = rc_udp(NULL);
  H_CHECK(a != INVALID_SOCKET && b != INVALID_SOCKET && peer != INVALID_SOCKET);
  rq = rc_rq(a, 1, 1, cq, NULL);
  RC_OK(rq != RIO_INVALID_RQ);
  s0 = rc_slice(&buf, 0, 64);
  s1 = rc_slice(&buf, 64, 4); /* "ping" */
  memcpy(buf.base + 64, "ping", 4);
  RC_OK(rc_rio.RIOReceive(rq, &s0, 1, 0, (void *)1));
  H_EQ(rc_sendto(peer, "x", 1, &aa), 1);
  H_EQ(rc_rio.RIONotify(cq), 0);
  H_EQ(WaitForSingleObject(ev, 5000), WAIT_OBJECT_0);
  /* A send to b, so the second result is a send's. */
  {
    SOCKADDR_INET to;
    rc_buf ab;
    RIO_BUF as;
    if (rc_buf_make(&ab, 4096) != 0) return 1;
    memset(&to, 0, sizeof to);
    memcpy(&to, &ba, sizeof ba);
    memcpy(ab.base, &to, sizeof to);
    as = rc_slice(&ab, 0, sizeof to);
    RC_OK(rc_rio.RIOSendEx(rq, &s1, 1, NULL, &as, NULL, NULL, 0, (void *)2));
    H_EQ(rc_recvfrom(b, got, sizeof got, 5000), 4);
    Sleep(200); /* the send's result reaches the CQ */
    rc_close(a);
    Sleep(200);
    /* The results stay queued: two of them, in a CQ of 2. */
    rq = rc_rq(b, 1, 1, cq, NULL);
    if (rq == RIO_INVALID_RQ) {
      H_EQ(WSAGetLastError(), WSAENOBUFS);
      printf("NOTE: this RIO refuses the new RQ while the CQ is full\n");
    } else {
      RC_FAILS(rc_rio.RIOReceive(rq, &s0, 1, 0, (void *)3), WSAENOBUFS);
    }
    H_EQ(rc_dequeue_wait(cq, r, 2, 5000), 2);
    H_EQ(r[0].RequestContext, 1);
    H_EQ(r[1].RequestContext, 2);
    H_EQ(r[0].Status, 0);
    H_EQ(r[1].Status, 0);
    if (rq == RIO_INVALID_RQ) {
      rq = rc_rq(b, 1, 1, cq, NULL);
      RC_OK(rq != RIO_INVALID_RQ);
    }
    RC_OK(rc_rio.RIOReceive(rq, &s0, 1, 0, (void *)3)); /* room again */
    rc_close(b);
    H_EQ(rc_dequeue_wait(cq, r, 1, 5000), 1);
    H_CHECK(rc_closed_status(r[0].Status));
    rc_buf_free(&ab);
  }
  rc_close(peer);
  rc_rio.RIOCloseCompletionQueue(cq);
  CloseHandle(ev);
  rc_buf_free(&buf);
  return 0;
}

int main(void) { return h_run_once("rioconf_cq_full", test); }
