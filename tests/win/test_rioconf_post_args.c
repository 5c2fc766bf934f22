/* RIO conformance: what a send or receive accepts. A refused post returns
 * FALSE with WSAGetLastError set and never yields a result.
 *  - unknown flags, DataBufferCount > 1, a count that disagrees with pData:
 *    WSAEINVAL;
 *  - RIO_MSG_WAITALL "is not supported on UDP sockets", and is a receive flag:
 *    WSAEINVAL on a UDP receive and on any send;
 *  - a NULL data buffer is allowed only for UDP: WSAEINVAL on TCP;
 *  - RIOSendEx: pLocalAddress "is reserved and must be NULL"; an address
 *    slice shorter than SOCKADDR_INET: WSAEINVAL;
 *  - none of the refused posts produced a result. */
#include "rioconf.h"

static int test(void) {
  RIO_CQ cq;
  RIO_RQ uq, tq;
  SOCKET u, c, s;
  SOCKADDR_IN pa;
  rc_buf b;
  RIO_BUF d, two[2], addr, shortaddr;
  RIORESULT r[4];
  rc_init();
  cq = rc_cq_poll(64);
  RC_OK(cq != RIO_INVALID_CQ);
  if (rc_buf_make(&b, 4096) != 0) return 1;
  u = rc_udp(NULL);
  H_CHECK(u != INVALID_SOCKET);
  (void)rc_udp(&pa); /* an address to aim at (socket left to the process exit) */
  H_EQ(rc_tcp_pair(&c, &s), 0);
  uq = rc_rq(u, 4, 4, cq, NULL);
  tq = rc_rq(c, 4, 4, cq, NULL);
  RC_OK(uq != RIO_INVALID_RQ && tq != RIO_INVALID_RQ);
  d = rc_slice(&b, 0, 100);
  two[0] = rc_slice(&b, 0, 50);
  two[1] = rc_slice(&b, 50, 50);
  memset(b.base + 1024, 0, sizeof(SOCKADDR_INET));
  memcpy(b.base + 1024, &pa, sizeof pa);
  addr = rc_slice(&b, 1024, sizeof(SOCKADDR_INET));
  shortaddr = rc_slice(&b, 1024, sizeof(SOCKADDR_IN));

  RC_FAILS(rc_rio.RIOReceive(uq, &d, 1, 0x100, NULL), WSAEINVAL);
  RC_FAILS(rc_rio.RIOSend(uq, &d, 1, 0x100, NULL), WSAEINVAL);
  RC_FAILS(rc_rio.RIOReceive(uq, two, 2, 0, NULL), WSAEINVAL);
  RC_FAILS(rc_rio.RIOReceive(uq, NULL, 1, 0, NULL), WSAEINVAL);
  RC_FAILS(rc_rio.RIOReceive(uq, &d, 1, RIO_MSG_WAITALL, NULL), WSAEINVAL);
  RC_FAILS(rc_rio.RIOSend(tq, &d, 1, RIO_MSG_WAITALL, NULL), WSAEINVAL);
  RC_FAILS(rc_rio.RIOReceive(tq, NULL, 0, 0, NULL), WSAEINVAL);
  RC_FAILS(rc_rio.RIOSend(tq, NULL, 0, 0, NULL), WSAEINVAL);
  RC_FAILS(rc_rio.RIOSendEx(uq, &d, 1, &addr, &addr, NULL, NULL, 0, NULL), WSAEINVAL);
  RC_FAILS(rc_rio.RIOSendEx(uq, &d, 1, NULL, &shortaddr, NULL, NULL, 0, NULL), WSAEINVAL);
  RC_FAILS(rc_rio.RIOReceiveEx(uq, &d, 1, NULL, &shortaddr, NULL, NULL, 0, NULL), WSAEINVAL);
  RC_FAILS(rc_rio.RIOReceiveEx(uq, &d, 1, &shortaddr, NULL, NULL, NULL, 0, NULL), WSAEINVAL);
  /* A well-formed post still works on both, so the refusals were about the
   * arguments, and the RQs were left as they were. */
  RC_OK(rc_rio.RIOSendEx(uq, &d, 1, NULL, &addr, NULL, NULL, 0, (void *)1));
  RC_OK(rc_rio.RIOSend(tq, &d, 1, 0, (void *)2));
  H_EQ(rc_dequeue_wait(cq, r, 2, 5000), 2);
  H_EQ(r[0].Status, 0);
  H_EQ(r[1].Status, 0);
  H_EQ(r[0].RequestContext + r[1].RequestContext, 3);
  H_EQ(rc_dequeue_for(cq, r, 4, 200), 0);

  rc_close(u);
  rc_close(c);
  rc_close(s);
  rc_rio.RIOCloseCompletionQueue(cq);
  rc_buf_free(&b);
  return 0;
}

int main(void) { return h_run_once("rioconf_post_args", test); }
