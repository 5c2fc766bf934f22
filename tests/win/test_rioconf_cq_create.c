/* RIO conformance: RIOCreateCompletionQueue / RIOCloseCompletionQueue.
 *  - size must be 1..RIO_MAX_CQ_SIZE: 0 and RIO_MAX_CQ_SIZE + 1 fail with
 *    WSAEINVAL and return RIO_INVALID_CQ;
 *  - RIO_IOCP_COMPLETION needs a non-NULL Overlapped: WSAEINVAL otherwise;
 *  - NULL notification (polling), event and IOCP notification all work;
 *  - RIOCloseCompletionQueue(RIO_INVALID_CQ) is ignored; a CQ still holding
 *    a result can be closed. */
#include "rioconf.h"

static int test(void) {
  RIO_NOTIFICATION_COMPLETION nc;
  OVERLAPPED ov;
  HANDLE port, ev;
  RIO_CQ cq;
  RIO_RQ rq;
  SOCKET u, peer;
  SOCKADDR_IN ua;
  rc_buf b;
  RIO_BUF s;
  rc_init();

  RC_FAILS(rc_rio.RIOCreateCompletionQueue(0, NULL) != RIO_INVALID_CQ, WSAEINVAL);
  RC_FAILS(rc_rio.RIOCreateCompletionQueue(RIO_MAX_CQ_SIZE + 1, NULL) != RIO_INVALID_CQ, WSAEINVAL);

  port = CreateIoCompletionPort(INVALID_HANDLE_VALUE, NULL, 0, 1);
  H_CHECK(port != NULL);
  memset(&nc, 0, sizeof nc);
  nc.Type = RIO_IOCP_COMPLETION;
  nc.Iocp.IocpHandle = port;
  nc.Iocp.CompletionKey = (PVOID)1;
  nc.Iocp.Overlapped = NULL;
  RC_FAILS(rc_rio.RIOCreateCompletionQueue(16, &nc) != RIO_INVALID_CQ, WSAEINVAL);
  nc.Iocp.Overlapped = &ov;
  cq = rc_rio.RIOCreateCompletionQueue(16, &nc);
  RC_OK(cq != RIO_INVALID_CQ);
  rc_rio.RIOCloseCompletionQueue(cq);

  cq = rc_cq_event(16, &ev);
  RC_OK(cq != RIO_INVALID_CQ);
  rc_rio.RIOCloseCompletionQueue(cq);
  CloseHandle(ev);

  cq = rc_cq_poll(1);
  RC_OK(cq != RIO_INVALID_CQ);
  rc_rio.RIOCloseCompletionQueue(RIO_INVALID_CQ); /* ignored */

  rc_rio.RIOCloseCompletionQueue(cq);

  /* Close a CQ that holds a result nobody dequeued. */
  cq = rc_cq_event(4, &ev);
  RC_OK(cq != RIO_INVALID_CQ);
  if (rc_buf_make(&b, 4096) != 0) return 1;
  u = rc_udp(&ua);
  peer = rc_udp(NULL);
  H_CHECK(u != INVALID_SOCKET && peer != INVALID_SOCKET);
  rq = rc_rq(u, 1, 0, cq, NULL);
  RC_OK(rq != RIO_INVALID_RQ);
  s = rc_slice(&b, 0, 100);
  RC_OK(rc_rio.RIOReceive(rq, &s, 1, 0, NULL));
  H_EQ(rc_rio.RIONotify(cq), 0);
  H_EQ(rc_sendto(peer, "x", 1, &ua), 1);
  H_EQ(WaitForSingleObject(ev, 5000), WAIT_OBJECT_0); /* the result is queued */
  rc_rio.RIOCloseCompletionQueue(cq);
  rc_close(u);
  rc_close(peer);
  CloseHandle(ev);
  rc_buf_free(&b);
  CloseHandle(port);
  return 0;
}

int main(void) { return h_run_once("rioconf_cq_create", test); }
