/* RIO conformance: RIO_MSG_DEFER and RIO_MSG_COMMIT_ONLY.
 *  - a deferred request "is charged against the outstanding I/O capacity ...
 *    regardless of whether RIO_MSG_DEFER is set";
 *  - RIOSend(RIO_MSG_COMMIT_ONLY) starts the deferred sends: they arrive, in
 *    order; a send without RIO_MSG_DEFER carries the deferred ones before it;
 *  - commits are per direction: deferred receives are started by a receive
 *    call (RIOReceive with RIO_MSG_COMMIT_ONLY here);
 *  - COMMIT_ONLY takes no other flag, NULL buffers, count 0 and a NULL
 *    context: anything else is WSAEINVAL.
 * Whether a deferred request may start before its commit is left open by the
 * documentation ("may or may not trigger the execution"); the emulator holds
 * it until the commit, which this test checks only on the emulator. */
#include "rioconf.h"

static int expect_datagrams(SOCKET s, const char *const *want, int n) {
  char got[64];
  int i, len;
  for (i = 0; i < n; i++) {
    len = rc_recvfrom(s, got, sizeof got, 5000);
    H_EQ(len, (int)strlen(want[i]));
    H_EQ(memcmp(got, want[i], (size_t)len), 0);
  }
  return 0;
}

static int test(void) {
  static const char *const first[] = {"d1", "d2"};
  static const char *const second[] = {"d3", "now"};
  RIO_CQ cq;
  RIO_RQ rq;
  SOCKET u, peer;
  SOCKADDR_IN ua, pa;
  rc_buf b;
  RIO_BUF s[4];
  RIORESULT r[4];
  char got[16];
  int i;
  rc_init();
  cq = rc_cq_poll(32);
  RC_OK(cq != RIO_INVALID_CQ);
  if (rc_buf_make(&b, 4096) != 0) return 1;
  u = rc_udp(&ua);
  peer = rc_udp(&pa);
  H_CHECK(u != INVALID_SOCKET && peer != INVALID_SOCKET);
  H_EQ(connect(u, (SOCKADDR *)&pa, sizeof pa), 0);
  rq = rc_rq(u, 2, 2, cq, NULL);
  RC_OK(rq != RIO_INVALID_RQ);
  for (i = 0; i < 4; i++) s[i] = rc_slice(&b, (ULONG)i * 64, 64);
  memcpy(b.base + 0, "d1", 2);
  s[0].Length = 2;
  memcpy(b.base + 64, "d2", 2);
  s[1].Length = 2;

  RC_FAILS(rc_rio.RIOSend(rq, NULL, 0, RIO_MSG_COMMIT_ONLY | RIO_MSG_DEFER, NULL), WSAEINVAL);
  RC_FAILS(rc_rio.RIOSend(rq, &s[0], 1, RIO_MSG_COMMIT_ONLY, NULL), WSAEINVAL);
  RC_FAILS(rc_rio.RIOSend(rq, NULL, 0, RIO_MSG_COMMIT_ONLY, (void *)1), WSAEINVAL);
  RC_OK(rc_rio.RIOSend(rq, NULL, 0, RIO_MSG_COMMIT_ONLY, NULL)); /* nothing to commit: fine */

  RC_OK(rc_rio.RIOSend(rq, &s[0], 1, RIO_MSG_DEFER, (void *)1));
  RC_OK(rc_rio.RIOSend(rq, &s[1], 1, RIO_MSG_DEFER, (void *)2));
  RC_FAILS(rc_rio.RIOSend(rq, &s[2], 1, RIO_MSG_DEFER, (void *)3), WSAENOBUFS); /* charged */
  if (rc_emulated()) H_EQ(rc_recvfrom(peer, got, sizeof got, 200), -1); /* held until commit */
  RC_OK(rc_rio.RIOSend(rq, NULL, 0, RIO_MSG_COMMIT_ONLY, NULL));
  if (expect_datagrams(peer, first, 2) != 0) return 1;
  H_EQ(rc_dequeue_wait(cq, r, 2, 5000), 2);
  H_EQ(r[0].RequestContext, 1);
  H_EQ(r[1].RequestContext, 2);
  H_EQ(r[0].Status, 0);
  H_EQ(r[0].BytesTransferred, 2);

  /* A send without DEFER carries the deferred one before it. */
  memcpy(b.base + 0, "d3", 2);
  memcpy(b.base + 64, "now", 3);
  s[1].Length = 3;
  RC_OK(rc_rio.RIOSend(rq, &s[0], 1, RIO_MSG_DEFER, (void *)3));
  RC_OK(rc_rio.RIOSend(rq, &s[1], 1, 0, (void *)4));
  if (expect_datagrams(peer, second, 2) != 0) return 1;
  H_EQ(rc_dequeue_wait(cq, r, 2, 5000), 2);
  H_EQ(r[0].RequestContext + r[1].RequestContext, 7);

  /* Receives: deferred, then committed by a receive call. */
  RC_OK(rc_rio.RIOReceive(rq, &s[2], 1, RIO_MSG_DEFER, (void *)5));
  RC_OK(rc_rio.RIOReceive(rq, &s[3], 1, RIO_MSG_DEFER, (void *)6));
  RC_FAILS(rc_rio.RIOReceive(rq, &s[0], 1, RIO_MSG_DEFER, (void *)7), WSAENOBUFS);
  RC_FAILS(rc_rio.RIOReceive(rq, NULL, 0, RIO_MSG_COMMIT_ONLY | RIO_MSG_DONT_NOTIFY, NULL),
           WSAEINVAL);
  RC_OK(rc_rio.RIOReceive(rq, NULL, 0, RIO_MSG_COMMIT_ONLY, NULL));
  H_EQ(rc_sendto(peer, "r1", 2, &ua), 2);
  H_EQ(rc_sendto(peer, "r2", 2, &ua), 2);
  H_EQ(rc_dequeue_wait(cq, r, 2, 5000), 2);
  H_EQ(r[0].RequestContext, 5);
  H_EQ(r[1].RequestContext, 6);
  H_EQ(memcmp(b.base + 128, "r1", 2), 0);
  H_EQ(memcmp(b.base + 192, "r2", 2), 0);

  rc_close(u);
  rc_close(peer);
  rc_rio.RIOCloseCompletionQueue(cq);
  rc_buf_free(&b);
  return 0;
}

int main(void) { return h_run_once("rioconf_defer", test); }
