/* RIO conformance: RIOCreateRequestQueue arguments.
 *  - the data-buffer counts must be 1: WSAEINVAL otherwise;
 *  - both outstanding counts 0: WSAEINVAL;
 *  - RIO_INVALID_CQ for either queue: WSAEINVAL;
 *  - a handle that is not a socket: WSAENOTSOCK;
 *  - a SOCK_RAW socket: WSAEOPNOTSUPP (checked where a raw socket can be
 *    created at all: it needs administrator rights on Windows);
 *  - a socket created without WSA_FLAG_REGISTERED_IO gets no RQ (the flag's
 *    documentation requires it; the error code is not documented, so any
 *    failure passes);
 *  - the socket context comes back in every RIORESULT.SocketContext. */
#include "rioconf.h"

static int test(void) {
  RIO_CQ cq;
  RIO_RQ rq;
  SOCKET u, peer, raw;
  SOCKADDR_IN ua;
  HANDLE ev;
  rc_buf b;
  RIO_BUF s;
  RIORESULT r;
  rc_init();
  cq = rc_cq_poll(64);
  RC_OK(cq != RIO_INVALID_CQ);
  u = rc_udp(&ua);
  peer = rc_udp(NULL);
  H_CHECK(u != INVALID_SOCKET && peer != INVALID_SOCKET);

  RC_FAILS(rc_rio.RIOCreateRequestQueue(u, 4, 2, 4, 1, cq, cq, NULL) != RIO_INVALID_RQ, WSAEINVAL);
  RC_FAILS(rc_rio.RIOCreateRequestQueue(u, 4, 1, 4, 0, cq, cq, NULL) != RIO_INVALID_RQ, WSAEINVAL);
  RC_FAILS(rc_rio.RIOCreateRequestQueue(u, 0, 1, 0, 1, cq, cq, NULL) != RIO_INVALID_RQ, WSAEINVAL);
  RC_FAILS(rc_rio.RIOCreateRequestQueue(u, 4, 1, 4, 1, RIO_INVALID_CQ, cq, NULL) != RIO_INVALID_RQ,
           WSAEINVAL);
  RC_FAILS(rc_rio.RIOCreateRequestQueue(u, 4, 1, 4, 1, cq, RIO_INVALID_CQ, NULL) != RIO_INVALID_RQ,
           WSAEINVAL);
  {
    SOCKET plain = rc_socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP, WSA_FLAG_OVERLAPPED);
    H_CHECK(plain != INVALID_SOCKET);
    H_CHECK(rc_rq(plain, 4, 4, cq, NULL) == RIO_INVALID_RQ);
    rc_close(plain);
  }
  ev = CreateEventW(NULL, FALSE, FALSE, NULL);
  RC_FAILS(rc_rio.RIOCreateRequestQueue((SOCKET)ev, 4, 1, 4, 1, cq, cq, NULL) != RIO_INVALID_RQ,
           WSAENOTSOCK);
  CloseHandle(ev);

  raw = rc_socket(AF_INET, SOCK_RAW, IPPROTO_UDP, WSA_FLAG_OVERLAPPED | WSA_FLAG_REGISTERED_IO);
  if (raw == INVALID_SOCKET) {
    printf("NOTE: SOCK_RAW check not run: a raw socket cannot be created here (WSA error %d; "
           "it needs administrator rights)\n",
           WSAGetLastError());
  } else {
    RC_FAILS(rc_rio.RIOCreateRequestQueue(raw, 4, 1, 4, 1, cq, cq, NULL) != RIO_INVALID_RQ,
             WSAEOPNOTSUPP);
    rc_close(raw);
  }

  /* A good one: its context comes back with each result. */
  rq = rc_rio.RIOCreateRequestQueue(u, 4, 1, 4, 1, cq, cq, (PVOID)(ULONG_PTR)0xC0FFEE);
  RC_OK(rq != RIO_INVALID_RQ);
  if (rc_buf_make(&b, 4096) != 0) return 1;
  s = rc_slice(&b, 0, 512);
  RC_OK(rc_rio.RIOReceive(rq, &s, 1, 0, (PVOID)(ULONG_PTR)42));
  H_EQ(rc_sendto(peer, "hello", 5, &ua), 5);
  H_EQ(rc_dequeue_wait(cq, &r, 1, 5000), 1);
  H_EQ(r.Status, 0);
  H_EQ(r.BytesTransferred, 5);
  H_EQ(r.SocketContext, 0xC0FFEE);
  H_EQ(r.RequestContext, 42);
  H_EQ(memcmp(b.base, "hello", 5), 0);
  rc_close(u);
  rc_close(peer);
  rc_rio.RIOCloseCompletionQueue(cq);
  rc_buf_free(&b);
  return 0;
}

int main(void) { return h_run_once("rioconf_rq_create", test); }
