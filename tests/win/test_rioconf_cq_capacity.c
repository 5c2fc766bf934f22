/* RIO conformance: CQ capacity is committed by request queues.
 * "The sizes of the send and receive queues must be greater than or equal to
 * the send and receive sizes of all attached sockets":
 *  - a CQ of 8 takes an RQ of 4 receives + 4 sends; one more RQ (1 receive)
 *    fails with WSAENOBUFS, and so does one on a CQ pair where only the
 *    receive CQ is full;
 *  - "as request queues are closed by closing the sockets ... those slots
 *    will be freed up": after closesocket the same RQ can be created. */
#include "rioconf.h"

static int test(void) {
  RIO_CQ cq, other;
  RIO_RQ rq;
  SOCKET a, b;
  uint64_t until;
  rc_init();
  cq = rc_cq_poll(8);
  other = rc_cq_poll(8);
  RC_OK(cq != RIO_INVALID_CQ && other != RIO_INVALID_CQ);
  a = rc_udp(NULL);
  b = rc_udp(NULL);
  H_CHECK(a != INVALID_SOCKET && b != INVALID_SOCKET);

  RC_OK(rc_rq(a, 4, 4, cq, NULL) != RIO_INVALID_RQ);
  RC_FAILS(rc_rq(b, 1, 0, cq, NULL) != RIO_INVALID_RQ, WSAENOBUFS);
  /* Receives on the full CQ, sends on an empty one: still no room. */
  RC_FAILS(rc_rio.RIOCreateRequestQueue(b, 1, 1, 1, 1, cq, other, NULL) != RIO_INVALID_RQ,
           WSAENOBUFS);
  /* Sends only on the full CQ is refused too; receives on the other fit. */
  RC_FAILS(rc_rio.RIOCreateRequestQueue(b, 1, 1, 1, 1, other, cq, NULL) != RIO_INVALID_RQ,
           WSAENOBUFS);

  rc_close(a);
  /* The slots come back with the close (allow the OS a moment). */
  until = h_now_ms() + 2000;
  for (;;) {
    rq = rc_rq(b, 4, 4, cq, NULL);
    if (rq != RIO_INVALID_RQ || h_now_ms() >= until) break;
    H_EQ(WSAGetLastError(), WSAENOBUFS);
    Sleep(10);
  }
  RC_OK(rq != RIO_INVALID_RQ);
  rc_close(b);
  rc_rio.RIOCloseCompletionQueue(cq);
  rc_rio.RIOCloseCompletionQueue(other);
  return 0;
}

int main(void) { return h_run_once("rioconf_cq_capacity", test); }
