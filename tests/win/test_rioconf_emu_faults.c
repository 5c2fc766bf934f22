/* The RIO emulator's fault injection (rio_emu.h), which the backend tests
 * rely on: rio_emu_fail_nth(fn, n, err) makes the n-th call of fn from now
 * fail with err and have no other effect.
 *  - a failed post charges nothing (the RQ's quota is intact), returns FALSE
 *    and sets WSAGetLastError;
 *  - rio_emu_pending_nth: the post answers FALSE with WSA_IO_PENDING, yet is
 *    charged and yields its one result;
 *  - RIONotify returns the injected error and stays unarmed;
 *  - a faulted RIODequeueCompletion returns RIO_CORRUPT_CQ, and so does
 *    every later dequeue on that CQ (corruption is fatal on real RIO); other
 *    CQs are unaffected, and closing the corrupt one releases its results;
 *  - create/register/resize calls fail with the injected error;
 *  - rio_emu_stuck_nth: the post is accepted and charged but never
 *    completes, even when its socket and its CQ are closed;
 *  - rio_emu_calls counts every call (also RIOCloseCompletionQueue and
 *    RIODeregisterBuffer); rio_emu_reset_faults disarms;
 *  - rio_emu_outstanding is 0 once everything is dequeued. */
#include "rioconf.h"

static int test(void) {
#ifdef RIOX_WITH_RIO_EMU
  RIO_CQ cq;
  RIO_RQ rq;
  SOCKET u, peer;
  SOCKADDR_IN ua;
  HANDLE ev;
  rc_buf b;
  RIO_BUF s[4];
  RIORESULT r[4];
  unsigned long calls;
  int i;
  rc_init_emulator();
  rio_emu_reset_faults();
  cq = rc_cq_event(16, &ev);
  RC_OK(cq != RIO_INVALID_CQ);
  if (rc_buf_make(&b, 4096) != 0) return 1;
  u = rc_udp(&ua);
  peer = rc_udp(NULL);
  H_CHECK(u != INVALID_SOCKET && peer != INVALID_SOCKET);
  rq = rc_rq(u, 2, 2, cq, NULL);
  RC_OK(rq != RIO_INVALID_RQ);
  for (i = 0; i < 4; i++) s[i] = rc_slice(&b, (ULONG)i * 100, 100);

  /* Posts. */
  calls = rio_emu_calls(RIO_EMU_FN_RECEIVE);
  rio_emu_fail_nth(RIO_EMU_FN_RECEIVE, 2, WSAENETDOWN);
  RC_OK(rc_rio.RIOReceive(rq, &s[0], 1, 0, (void *)1));
  RC_FAILS(rc_rio.RIOReceive(rq, &s[1], 1, 0, (void *)2), WSAENETDOWN);
  RC_OK(rc_rio.RIOReceive(rq, &s[2], 1, 0, (void *)3)); /* the failure charged nothing */
  RC_FAILS(rc_rio.RIOReceive(rq, &s[3], 1, 0, (void *)4), WSAENOBUFS); /* the real limit */
  H_EQ(rio_emu_calls(RIO_EMU_FN_RECEIVE) - calls, 4);
  H_EQ(rio_emu_outstanding(), 2);

  /* RIONotify. */
  rio_emu_fail_nth(RIO_EMU_FN_NOTIFY, 1, WSAEINVAL);
  H_EQ(rc_rio.RIONotify(cq), WSAEINVAL);
  H_EQ(rc_rio.RIONotify(cq), 0); /* the failed one did not arm it */

  H_EQ(rc_sendto(peer, "a", 1, &ua), 1);
  H_EQ(rc_sendto(peer, "b", 1, &ua), 1);
  H_EQ(WaitForSingleObject(ev, 5000), WAIT_OBJECT_0);
  H_EQ(rc_dequeue_wait(cq, r, 2, 5000), 2);
  H_EQ(r[0].RequestContext, 1);
  H_EQ(r[1].RequestContext, 3);
  H_EQ(rio_emu_outstanding(), 0);

  /* FALSE with WSA_IO_PENDING: accepted like TRUE, and one result follows. */
  rio_emu_pending_nth(RIO_EMU_FN_RECEIVE, 1);
  RC_FAILS(rc_rio.RIOReceive(rq, &s[0], 1, 0, (void *)6), WSA_IO_PENDING);
  H_EQ(rio_emu_outstanding(), 1); /* charged */
  H_EQ(rc_sendto(peer, "c", 1, &ua), 1);
  H_EQ(rc_dequeue_wait(cq, r, 2, 1000), 1);
  H_EQ(r[0].RequestContext, 6);
  H_EQ(r[0].Status, 0);
  H_EQ(r[0].BytesTransferred, 1);
  H_EQ(rio_emu_outstanding(), 0);

  /* Dequeue: RIO_CORRUPT_CQ for good, on that CQ only; closing it still
   * releases what it holds. */
  {
    RIO_CQ bad = rc_cq_poll(8);
    RIO_RQ vq;
    SOCKADDR_IN va;
    SOCKET v = rc_udp(&va);
    uint64_t until;
    RC_OK(bad != RIO_INVALID_CQ);
    H_CHECK(v != INVALID_SOCKET);
    vq = rc_rq(v, 2, 2, bad, NULL);
    RC_OK(vq != RIO_INVALID_RQ);
    RC_OK(rc_rio.RIOReceive(vq, &s[3], 1, 0, (void *)7));
    H_EQ(rc_sendto(peer, "d", 1, &va), 1);
    Sleep(200); /* let the result reach the CQ */
    rio_emu_fail_nth(RIO_EMU_FN_DEQUEUE, 1, -1);
    H_EQ(rc_rio.RIODequeueCompletion(bad, r, 4), RIO_CORRUPT_CQ);
    H_EQ(rc_dequeue_for(bad, r, 4, 300), -1); /* still corrupt: it does not heal */
    H_EQ(rc_rio.RIODequeueCompletion(bad, r, 4), RIO_CORRUPT_CQ);
    H_EQ(rc_dequeue_for(cq, r, 4, 50), 0); /* the other CQ is unaffected */
    H_EQ(rio_emu_outstanding(), 1);        /* the result stays charged */
    RC_OK(rc_rio.RIOReceive(vq, &s[2], 1, 0, (void *)8)); /* its RQ still posts */
    rc_close(v);
    rc_rio.RIOCloseCompletionQueue(bad);
    until = h_now_ms() + 5000;
    while (rio_emu_outstanding() != 0 && h_now_ms() < until) Sleep(5);
    H_EQ(rio_emu_outstanding(), 0);
  }

  /* Sends through RIOSendEx. */
  rio_emu_fail_nth(RIO_EMU_FN_SENDEX, 1, WSAENOBUFS);
  {
    RIO_BUF addr = rc_slice(&b, 1024, sizeof(SOCKADDR_INET));
    memset(b.base + 1024, 0, sizeof(SOCKADDR_INET));
    memcpy(b.base + 1024, &ua, sizeof ua);
    RC_FAILS(rc_rio.RIOSendEx(rq, &s[0], 1, NULL, &addr, NULL, NULL, 0, NULL), WSAENOBUFS);
  }

  /* Creation, registration, resizing. */
  rio_emu_fail_nth(RIO_EMU_FN_CREATE_CQ, 1, WSAENOBUFS);
  RC_FAILS(rc_cq_poll(4) != RIO_INVALID_CQ, WSAENOBUFS);
  rio_emu_fail_nth(RIO_EMU_FN_CREATE_RQ, 1, WSAENOBUFS);
  RC_FAILS(rc_rq(peer, 1, 1, cq, NULL) != RIO_INVALID_RQ, WSAENOBUFS);
  rio_emu_fail_nth(RIO_EMU_FN_REGISTER, 1, WSAEFAULT);
  RC_FAILS(rc_rio.RIORegisterBuffer(b.base, 16) != RIO_INVALID_BUFFERID, WSAEFAULT);
  rio_emu_fail_nth(RIO_EMU_FN_RESIZE_CQ, 1, WSAENOBUFS);
  RC_FAILS(rc_rio.RIOResizeCompletionQueue(cq, 64), WSAENOBUFS);
  RC_OK(rc_rio.RIOResizeCompletionQueue(cq, 64));
  rio_emu_fail_nth(RIO_EMU_FN_RESIZE_RQ, 1, WSAENOBUFS);
  RC_FAILS(rc_rio.RIOResizeRequestQueue(rq, 4, 4), WSAENOBUFS);
  RC_OK(rc_rio.RIOResizeRequestQueue(rq, 4, 4));

  /* Armed faults can be taken back. */
  rio_emu_fail_nth(RIO_EMU_FN_RECEIVE, 1, WSAENETDOWN);
  rio_emu_reset_faults();
  RC_OK(rc_rio.RIOReceive(rq, &s[0], 1, 0, (void *)5));

  rc_close(u);
  H_EQ(rc_dequeue_wait(cq, r, 1, 5000), 1);
  H_CHECK(rc_closed_status(r[0].Status));
  H_EQ(rio_emu_outstanding(), 0);

  /* The functions that return nothing are counted. */
  calls = rio_emu_calls(RIO_EMU_FN_CLOSE_CQ);
  rc_rio.RIOCloseCompletionQueue(cq);
  H_EQ(rio_emu_calls(RIO_EMU_FN_CLOSE_CQ) - calls, 1);
  CloseHandle(ev);
  calls = rio_emu_calls(RIO_EMU_FN_DEREGISTER);
  rc_buf_free(&b);
  H_EQ(rio_emu_calls(RIO_EMU_FN_DEREGISTER) - calls, 1);

  /* A stuck post: accepted and charged, but it never completes -- not when
   * data arrives, not when its socket or its CQ is closed. (Its buffer is
   * never deregistered: that would be misuse, the request uses it for ever.) */
  {
    rc_buf sb;
    RIO_BUF slice;
    SOCKADDR_IN wa;
    SOCKET w = rc_udp(&wa);
    RIO_CQ scq = rc_cq_poll(4);
    RIO_RQ wq;
    unsigned misuse = rio_emu_misuse_count();
    H_CHECK(w != INVALID_SOCKET);
    RC_OK(scq != RIO_INVALID_CQ);
    if (rc_buf_make(&sb, 4096) != 0) return 1;
    slice = rc_slice(&sb, 0, 100);
    wq = rc_rq(w, 2, 2, scq, NULL);
    RC_OK(wq != RIO_INVALID_RQ);
    rio_emu_stuck_nth(RIO_EMU_FN_RECEIVE, 1);
    RC_OK(rc_rio.RIOReceive(wq, &slice, 1, 0, (void *)9));
    H_EQ(rio_emu_outstanding(), 1);
    H_EQ(rc_sendto(peer, "e", 1, &wa), 1);
    H_EQ(rc_dequeue_for(scq, r, 4, 300), 0);
    rc_close(w);
    H_EQ(rc_dequeue_for(scq, r, 4, 300), 0);
    rc_rio.RIOCloseCompletionQueue(scq);
    H_EQ(rio_emu_outstanding(), 1);
    H_EQ(rio_emu_misuse_count(), misuse);
  }
  rc_close(peer);
  return 0;
#else
  rc_init_emulator(); /* skips: the emulator is not linked */
  return 0;
#endif
}

int main(void) { return h_run_once("rioconf_emu_faults", test); }
