/* RIO conformance: buffer registration.
 *  - RIORegisterBuffer with length 0 fails with WSAEINVAL and returns
 *    RIO_INVALID_BUFFERID;
 *  - a RIO_BUF slice must lie wholly inside one registration: a slice that
 *    starts past the end, or runs over it, is refused with WSAEINVAL; one
 *    that ends exactly at the end is accepted;
 *  - RIODeregisterBuffer on RIO_INVALID_BUFFERID is ignored;
 *  - a request naming a deregistered buffer fails with WSAEFAULT. */
#include "rioconf.h"

static int test(void) {
  rc_buf b, gone;
  RIO_BUFFERID id;
  RIO_CQ cq;
  RIO_RQ rq;
  RIO_BUF s;
  SOCKET u;
  RIORESULT r[4];
  char page[64];
  rc_init();

  id = rc_rio.RIORegisterBuffer(page, 0);
  RC_FAILS(id != RIO_INVALID_BUFFERID, WSAEINVAL);
  rc_rio.RIODeregisterBuffer(RIO_INVALID_BUFFERID); /* ignored: must not crash */

  if (rc_buf_make(&b, 65536) != 0 || rc_buf_make(&gone, 4096) != 0) return 1;
  u = rc_udp(NULL);
  H_CHECK(u != INVALID_SOCKET);
  cq = rc_cq_poll(16);
  RC_OK(cq != RIO_INVALID_CQ);
  rq = rc_rq(u, 8, 8, cq, NULL);
  RC_OK(rq != RIO_INVALID_RQ);

  s = rc_slice(&b, 65536, 1); /* starts at the end */
  RC_FAILS(rc_rio.RIOReceive(rq, &s, 1, 0, NULL), WSAEINVAL);
  s = rc_slice(&b, 65536 - 10, 20); /* runs over the end */
  RC_FAILS(rc_rio.RIOReceive(rq, &s, 1, 0, NULL), WSAEINVAL);
  s = rc_slice(&b, 0xFFFFFFF0u, 0x20); /* offset + length wraps */
  RC_FAILS(rc_rio.RIOReceive(rq, &s, 1, 0, NULL), WSAEINVAL);
  s = rc_slice(&b, 65536 - 100, 100); /* ends exactly at the end */
  RC_OK(rc_rio.RIOReceive(rq, &s, 1, 0, (void *)7));

  rc_rio.RIODeregisterBuffer(gone.id);
  s = rc_slice(&gone, 0, 100);
  RC_FAILS(rc_rio.RIOReceive(rq, &s, 1, 0, NULL), WSAEFAULT);
  gone.id = RIO_INVALID_BUFFERID;

  /* Closing the socket ends the one accepted receive. */
  rc_close(u);
  H_EQ(rc_dequeue_wait(cq, r, 1, 5000), 1);
  H_EQ(r[0].RequestContext, 7);
  H_CHECK(rc_closed_status(r[0].Status));
  H_EQ(rc_dequeue_for(cq, r, 4, 100), 0); /* and nothing else */
  rc_rio.RIOCloseCompletionQueue(cq);
  rc_buf_free(&b);
  rc_buf_free(&gone);
  return 0;
}

int main(void) { return h_run_once("rioconf_register", test); }
