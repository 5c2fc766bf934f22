/* RIO conformance: closing the socket ends what its RQ holds.
 * "WSA_OPERATION_ABORTED: ... returned if the socket is closed locally":
 *  - receives started at once and receives deferred then committed
 *    (RIO_MSG_COMMIT_ONLY) all complete as aborted (WSA_OPERATION_ABORTED, or
 *    another closed-socket code: rc_closed_status) with 0 bytes, each once;
 *    deferred requests are committed before the close because nothing
 *    documents what Windows does with uncommitted ones (the emulator reports
 *    closing with uncommitted requests as misuse, which fails the test);
 *  - no other result appears; the RQ's CQ capacity comes back. */
#include "rioconf.h"

#define N_STARTED 3
#define N_DEFERRED 2

static int test(void) {
  RIO_CQ cq;
  RIO_RQ rq;
  SOCKET u, v;
  rc_buf b;
  RIO_BUF s;
  RIORESULT r[8];
  int i, seen[N_STARTED + N_DEFERRED];
  uint64_t until;
  rc_init();
  cq = rc_cq_poll(N_STARTED + N_DEFERRED);
  RC_OK(cq != RIO_INVALID_CQ);
  if (rc_buf_make(&b, 4096) != 0) return 1;
  u = rc_udp(NULL);
  v = rc_udp(NULL);
  H_CHECK(u != INVALID_SOCKET && v != INVALID_SOCKET);
  rq = rc_rq(u, N_STARTED + N_DEFERRED, 0, cq, NULL);
  RC_OK(rq != RIO_INVALID_RQ);
  for (i = 0; i < N_STARTED + N_DEFERRED; i++) {
    s = rc_slice(&b, (ULONG)i * 100, 100);
    RC_OK(rc_rio.RIOReceive(rq, &s, 1, i >= N_STARTED ? RIO_MSG_DEFER : 0,
                            (void *)(ULONG_PTR)(i + 1)));
    seen[i] = 0;
  }
  RC_OK(rc_rio.RIOReceive(rq, NULL, 0, RIO_MSG_COMMIT_ONLY, NULL));
  rc_close(u);
  H_EQ(rc_dequeue_wait(cq, r, N_STARTED + N_DEFERRED, 5000), N_STARTED + N_DEFERRED);
  for (i = 0; i < N_STARTED + N_DEFERRED; i++) {
    ULONGLONG k = r[i].RequestContext;
    H_CHECK(k >= 1 && k <= N_STARTED + N_DEFERRED);
    H_CHECK(rc_closed_status(r[i].Status));
    H_EQ(r[i].BytesTransferred, 0);
    seen[k - 1]++;
  }
  for (i = 0; i < N_STARTED + N_DEFERRED; i++) H_EQ(seen[i], 1);
  H_EQ(rc_dequeue_for(cq, r, 8, 200), 0);
  /* The CQ's capacity is free again for another socket. */
  until = h_now_ms() + 2000;
  while ((rq = rc_rq(v, N_STARTED + N_DEFERRED, 0, cq, NULL)) == RIO_INVALID_RQ &&
         h_now_ms() < until)
    Sleep(10);
  RC_OK(rq != RIO_INVALID_RQ);
  rc_close(v);
  rc_rio.RIOCloseCompletionQueue(cq);
  rc_buf_free(&b);
  return 0;
}

int main(void) { return h_run_once("rioconf_close_abort", test); }
