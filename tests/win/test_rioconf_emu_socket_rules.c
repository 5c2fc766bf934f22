/* The socket-level rules of RIO that Wine does not enforce and the emulator
 * does (tests/rio_emu/sock.c, RIO-SEMANTICS.md "Request queues" and "Sockets
 * used by RIO"). Emulator only: on real Windows some of them are field
 * reports, and one is deliberately stricter than Windows may be.
 *  - an RQ needs a socket created with WSA_FLAG_REGISTERED_IO: WSAEINVAL
 *    for one without it (the page of the flag documents the need; the code
 *    Windows answers is not documented);
 *  - one RQ per socket: a second RIOCreateRequestQueue fails (WSAEINVAL);
 *  - a socket from plain accept() on a flagged listener gets no RQ: riox
 *    and its tests must not rely on the flag being inherited (the field is
 *    divided; AcceptEx into a flagged socket is the way);
 *  - ioctlsocket(FIONBIO) on a flagged socket fails with WSAEOPNOTSUPP, and
 *    plain recv/send on one is refused (field reports); both are misuse;
 *  - closesocket with RIO_MSG_DEFER requests never committed is misuse,
 *    reported with the count, and the requests still end once each;
 *  - CancelIoEx on a socket is not a close: a started receive ends as
 *    aborted, and the RQ stays usable (what it does to real RIO requests
 *    is not documented; riox calls it only on sockets it is closing);
 *  - after closesocket the handle value may be reused: a new socket with
 *    the same value is a new socket to the rules. */
#include "rioconf.h"

static int test(void) {
#ifdef RIOX_WITH_RIO_EMU
  RIO_CQ cq;
  RIO_RQ rq;
  SOCKET u, plain, l, c, a;
  SOCKADDR_IN la;
  int len = sizeof la;
  u_long on = 1;
  char byte = 'x';
  rc_buf b;
  RIO_BUF s[2];
  RIORESULT r[4];
  unsigned before;
  rc_init_emulator();
  cq = rc_cq_poll(64);
  RC_OK(cq != RIO_INVALID_CQ);
  if (rc_buf_make(&b, 4096) != 0) return 1;

  /* No flag, no queue. */
  plain = rc_socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP, WSA_FLAG_OVERLAPPED);
  H_CHECK(plain != INVALID_SOCKET);
  RC_FAILS(rc_rq(plain, 4, 4, cq, NULL) != RIO_INVALID_RQ, WSAEINVAL);
  /* ...and the plain socket may use FIONBIO and plain calls freely. */
  H_EQ(ioctlsocket(plain, FIONBIO, &on), 0);
  rc_close(plain);

  /* One queue per socket. */
  u = rc_udp(NULL);
  H_CHECK(u != INVALID_SOCKET);
  rq = rc_rq(u, 4, 4, cq, NULL);
  RC_OK(rq != RIO_INVALID_RQ);
  RC_FAILS(rc_rq(u, 4, 4, cq, NULL) != RIO_INVALID_RQ, WSAEINVAL);

  /* FIONBIO and plain transfers on a RIO socket: refused, loudly. */
  before = rio_emu_misuse_count();
  printf("expect two MISUSE lines below (FIONBIO and send on a RIO socket):\n");
  fflush(stdout);
  {
    const ws_api_t *ws = (const ws_api_t *)rio_emu_sockapi();
    SOCKADDR_IN self;
    int slen = sizeof self;
    H_EQ(getsockname(u, (SOCKADDR *)&self, &slen), 0);
    H_EQ(ws->ioctl(u, (long)FIONBIO, &on), SOCKET_ERROR);
    H_EQ(WSAGetLastError(), WSAEOPNOTSUPP);
    H_EQ(ws->sendto(u, &byte, 1, 0, (const SOCKADDR *)&self, slen), SOCKET_ERROR);
    H_EQ(WSAGetLastError(), WSAEOPNOTSUPP);
  }
  H_EQ(rio_emu_misuse_count(), before + 2);

  /* CancelIoEx is not a close. */
  {
    SOCKET peer;
    SOCKADDR_IN ua;
    int ulen = sizeof ua;
    peer = rc_udp(NULL);
    H_CHECK(peer != INVALID_SOCKET);
    H_EQ(getsockname(u, (SOCKADDR *)&ua, &ulen), 0);
    s[0] = rc_slice(&b, 0, 100);
    RC_OK(rc_rio.RIOReceive(rq, &s[0], 1, 0, (void *)7));
    H_CHECK(CancelIoEx((HANDLE)u, NULL));
    H_EQ(rc_dequeue_wait(cq, r, 1, 5000), 1);
    H_EQ(r[0].RequestContext, 7);
    H_EQ(r[0].Status, WSA_OPERATION_ABORTED);
    RC_OK(rc_rio.RIOReceive(rq, &s[0], 1, 0, (void *)8)); /* the RQ still works */
    H_EQ(rc_sendto(peer, "hi", 2, &ua), 2);
    H_EQ(rc_dequeue_wait(cq, r, 1, 5000), 1);
    H_EQ(r[0].RequestContext, 8);
    H_EQ(r[0].Status, 0);
    H_EQ(r[0].BytesTransferred, 2);
    rc_close(peer);
  }

  /* Closing with uncommitted deferred requests: misuse, with the count. */
  s[0] = rc_slice(&b, 0, 100);
  s[1] = rc_slice(&b, 100, 100);
  RC_OK(rc_rio.RIOReceive(rq, &s[0], 1, RIO_MSG_DEFER, (void *)1));
  RC_OK(rc_rio.RIOReceive(rq, &s[1], 1, RIO_MSG_DEFER, (void *)2));
  before = rio_emu_misuse_count();
  printf("expect one MISUSE line below (closesocket with 2 uncommitted requests):\n");
  fflush(stdout);
  rc_close(u);
  H_EQ(rio_emu_misuse_count(), before + 1);
  H_EQ(rc_dequeue_wait(cq, r, 2, 5000), 2); /* still one result each */
  H_CHECK(rc_closed_status(r[0].Status) && rc_closed_status(r[1].Status));
  H_EQ(rio_emu_outstanding(), 0);

  /* accept() does not hand out a flagged socket; a reused handle value is
   * a new socket. */
  l = rc_socket(AF_INET, SOCK_STREAM, IPPROTO_TCP, WSA_FLAG_OVERLAPPED | WSA_FLAG_REGISTERED_IO);
  H_CHECK(l != INVALID_SOCKET);
  memset(&la, 0, sizeof la);
  la.sin_family = AF_INET;
  la.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  H_EQ(bind(l, (SOCKADDR *)&la, sizeof la), 0);
  H_EQ(getsockname(l, (SOCKADDR *)&la, &len), 0);
  H_EQ(listen(l, 4), 0);
  c = rc_socket(AF_INET, SOCK_STREAM, IPPROTO_TCP, WSA_FLAG_OVERLAPPED | WSA_FLAG_REGISTERED_IO);
  H_CHECK(c != INVALID_SOCKET);
  H_EQ(connect(c, (SOCKADDR *)&la, sizeof la), 0);
  a = ((const ws_api_t *)rio_emu_sockapi())->accept(l, NULL, NULL);
  H_CHECK(a != INVALID_SOCKET);
  RC_FAILS(rc_rq(a, 4, 4, cq, NULL) != RIO_INVALID_RQ, WSAEINVAL);
  RC_OK(rc_rq(c, 4, 4, cq, NULL) != RIO_INVALID_RQ); /* the flagged end is fine */
  rc_close(a);
  rc_close(c);
  rc_close(l);

  rc_rio.RIOCloseCompletionQueue(cq);
  rc_buf_free(&b);
  h_expect_misuse(3);
  return 0;
#else
  rc_init_emulator(); /* skips with the reason: the emulator is not linked */
  return 0;
#endif
}

int main(void) { return h_run_once("rioconf_emu_socket_rules", test); }
