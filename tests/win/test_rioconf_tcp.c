/* RIO conformance: TCP request queues (connected sockets, both made with
 * WSA_FLAG_REGISTERED_IO).
 *  - RIOSend / RIOReceive move a stream: bytes arrive complete and in order
 *    across several posted receives;
 *  - RIO_MSG_WAITALL: the receive completes only when its slice is full,
 *    although the data came in two parts with a pause between;
 *  - the peer's orderly close completes a receive with 0 bytes. */
#include "rioconf.h"

#define TOTAL 20000u

static int test(void) {
  RIO_CQ cq;
  RIO_RQ cq_rq, sq;
  SOCKET c, s;
  rc_buf b;
  RIO_BUF d, rs[4];
  RIORESULT r[8];
  uint32_t got = 0, i;
  int n, k;
  rc_init();
  cq = rc_cq_poll(64);
  RC_OK(cq != RIO_INVALID_CQ);
  if (rc_buf_make(&b, 65536) != 0) return 1;
  H_EQ(rc_tcp_pair(&c, &s), 0);
  cq_rq = rc_rq(c, 4, 4, cq, (void *)1);
  sq = rc_rq(s, 4, 4, cq, (void *)2);
  RC_OK(cq_rq != RIO_INVALID_RQ && sq != RIO_INVALID_RQ);

  for (i = 0; i < TOTAL; i++) b.base[i] = (char)(i * 7 + 3);
  for (k = 0; k < 4; k++) {
    rs[k] = rc_slice(&b, 32768 + (ULONG)k * 8192, 8192);
    RC_OK(rc_rio.RIOReceive(sq, &rs[k], 1, 0, (void *)(ULONG_PTR)(10 + k)));
  }
  d = rc_slice(&b, 0, TOTAL);
  RC_OK(rc_rio.RIOSend(cq_rq, &d, 1, 0, (void *)20));
  /* Collect the stream: re-post each receive as it completes. */
  {
    uint64_t until = h_now_ms() + 5000;
    int sent = 0, expect = 10;
    char copy[TOTAL];
    while ((got < TOTAL || !sent) && h_now_ms() < until) {
      n = (int)rc_rio.RIODequeueCompletion(cq, r, 8);
      H_CHECK(n != (int)RIO_CORRUPT_CQ);
      for (k = 0; k < n; k++) {
        H_EQ(r[k].Status, 0);
        if (r[k].RequestContext == 20) {
          H_EQ(r[k].BytesTransferred, TOTAL);
          sent = 1;
          continue;
        }
        /* In posting order: no page says so, but a stream split over
         * receives that completed out of order could not be put back
         * together, so every production user relies on it for TCP. */
        H_EQ(r[k].RequestContext, expect);
        H_CHECK(r[k].BytesTransferred > 0 && got + r[k].BytesTransferred <= TOTAL);
        memcpy(copy + got, b.base + rs[expect - 10].Offset, r[k].BytesTransferred);
        got += r[k].BytesTransferred;
        RC_OK(rc_rio.RIOReceive(sq, &rs[expect - 10], 1, 0, (void *)(ULONG_PTR)expect));
        expect = 10 + (expect - 10 + 1) % 4;
      }
      if (n == 0) Sleep(1);
    }
    H_EQ(got, TOTAL);
    H_EQ(sent, 1);
    H_EQ(memcmp(copy, b.base, TOTAL), 0);
  }
  /* The four receives still posted end with the close below; use a fresh
   * pair for WAITALL. The local close comes first: the peer's would end
   * one of them as end of stream instead. */
  rc_close(s);
  rc_close(c);
  H_EQ(rc_dequeue_wait(cq, r, 4, 5000), 4);
  for (k = 0; k < 4; k++) H_CHECK(rc_closed_status(r[k].Status));

  H_EQ(rc_tcp_pair(&c, &s), 0);
  cq_rq = rc_rq(c, 4, 4, cq, (void *)1);
  sq = rc_rq(s, 4, 4, cq, (void *)2);
  RC_OK(cq_rq != RIO_INVALID_RQ && sq != RIO_INVALID_RQ);
  rs[0] = rc_slice(&b, 32768, 1000);
  RC_OK(rc_rio.RIOReceive(sq, &rs[0], 1, RIO_MSG_WAITALL, (void *)30));
  d = rc_slice(&b, 0, 400);
  RC_OK(rc_rio.RIOSend(cq_rq, &d, 1, 0, (void *)31));
  H_EQ(rc_dequeue_wait(cq, r, 1, 5000), 1);
  H_EQ(r[0].RequestContext, 31);
  H_EQ(rc_dequeue_for(cq, r, 8, 300), 0); /* 400 of 1000: not complete */
  d = rc_slice(&b, 400, 600);
  RC_OK(rc_rio.RIOSend(cq_rq, &d, 1, 0, (void *)32));
  H_EQ(rc_dequeue_wait(cq, r, 2, 5000), 2);
  H_EQ(r[0].RequestContext + r[1].RequestContext, 62);
  for (k = 0; k < 2; k++) {
    H_EQ(r[k].Status, 0);
    if (r[k].RequestContext == 30) H_EQ(r[k].BytesTransferred, 1000);
  }
  H_EQ(memcmp(b.base + 32768, b.base, 1000), 0);

  /* Orderly close by the peer: 0 bytes. */
  RC_OK(rc_rio.RIOReceive(sq, &rs[0], 1, 0, (void *)40));
  H_EQ(shutdown(c, SD_SEND), 0);
  H_EQ(rc_dequeue_wait(cq, r, 1, 5000), 1);
  H_EQ(r[0].RequestContext, 40);
  H_EQ(r[0].Status, 0);
  H_EQ(r[0].BytesTransferred, 0);

  rc_close(c);
  rc_close(s);
  rc_rio.RIOCloseCompletionQueue(cq);
  rc_buf_free(&b);
  return 0;
}

int main(void) { return h_run_once("rioconf_tcp", test); }
