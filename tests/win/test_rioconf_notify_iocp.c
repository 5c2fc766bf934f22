/* RIO conformance: RIONotify through an I/O completion port
 * (RIO_IOCP_COMPLETION), and RIO requests post nothing else to a port.
 *  - the socket is associated with the same port (as riox does): its RIO
 *    sends and receives put no packet there;
 *  - an armed RIONotify posts exactly one packet, with the CompletionKey and
 *    the Overlapped given at creation, however many results arrive;
 *  - armed while results are queued, it posts at once. */
#include "rioconf.h"

/* Packets on port within ms (at most 8 are stored in e). */
static int packets(HANDLE port, OVERLAPPED_ENTRY *e, int ms) {
  ULONG n = 0;
  int total = 0;
  uint64_t until = h_now_ms() + (uint64_t)ms;
  while (h_now_ms() < until && total < 8) {
    if (GetQueuedCompletionStatusEx(port, e + total, (ULONG)(8 - total), &n, 20, FALSE))
      total += (int)n;
  }
  return total;
}

static int test(void) {
  RIO_NOTIFICATION_COMPLETION nc;
  OVERLAPPED notify_ov;
  OVERLAPPED_ENTRY e[8];
  HANDLE port;
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
  port = CreateIoCompletionPort(INVALID_HANDLE_VALUE, NULL, 0, 1);
  H_CHECK(port != NULL);
  memset(&nc, 0, sizeof nc);
  memset(&notify_ov, 0, sizeof notify_ov);
  nc.Type = RIO_IOCP_COMPLETION;
  nc.Iocp.IocpHandle = port;
  nc.Iocp.CompletionKey = (PVOID)(ULONG_PTR)0x5151;
  nc.Iocp.Overlapped = &notify_ov;
  cq = rc_rio.RIOCreateCompletionQueue(16, &nc);
  RC_OK(cq != RIO_INVALID_CQ);
  if (rc_buf_make(&b, 4096) != 0) return 1;
  u = rc_udp(&ua);
  peer = rc_udp(&pa);
  H_CHECK(u != INVALID_SOCKET && peer != INVALID_SOCKET);
  H_CHECK(CreateIoCompletionPort((HANDLE)u, port, 0x77, 0) == port);
  rq = rc_rq(u, 4, 4, cq, NULL);
  RC_OK(rq != RIO_INVALID_RQ);
  for (i = 0; i < 4; i++) s[i] = rc_slice(&b, (ULONG)i * 64, 64);

  /* Traffic without RIONotify: nothing on the port. */
  RC_OK(rc_rio.RIOReceive(rq, &s[0], 1, 0, (void *)1));
  H_EQ(connect(u, (SOCKADDR *)&pa, sizeof pa), 0);
  memcpy(b.base + 64, "out", 3);
  s[1].Length = 3;
  RC_OK(rc_rio.RIOSend(rq, &s[1], 1, 0, (void *)2));
  H_EQ(rc_recvfrom(peer, got, sizeof got, 5000), 3);
  H_EQ(rc_sendto(peer, "in", 2, &ua), 2);
  H_EQ(rc_dequeue_wait(cq, r, 2, 5000), 2);
  H_EQ(packets(port, e, 200), 0);

  /* Armed: one packet for two results. */
  RC_OK(rc_rio.RIOReceive(rq, &s[2], 1, 0, (void *)3));
  RC_OK(rc_rio.RIOReceive(rq, &s[3], 1, 0, (void *)4));
  H_EQ(rc_rio.RIONotify(cq), 0);
  H_EQ(rc_sendto(peer, "x", 1, &ua), 1);
  H_EQ(rc_sendto(peer, "y", 1, &ua), 1);
  H_EQ(packets(port, e, 500), 1);
  H_EQ(e[0].lpCompletionKey, 0x5151);
  H_CHECK(e[0].lpOverlapped == &notify_ov);
  H_EQ(rc_dequeue_wait(cq, r, 2, 5000), 2);
  H_EQ(r[0].RequestContext, 3);
  H_EQ(r[1].RequestContext, 4);

  /* Armed with a result already queued: the packet comes at once. */
  RC_OK(rc_rio.RIOReceive(rq, &s[0], 1, 0, (void *)5));
  H_EQ(rc_sendto(peer, "z", 1, &ua), 1);
  Sleep(200);
  H_EQ(rc_rio.RIONotify(cq), 0);
  H_EQ(packets(port, e, 300), 1);
  H_CHECK(e[0].lpOverlapped == &notify_ov);
  H_EQ(rc_dequeue_wait(cq, r, 1, 5000), 1);

  rc_close(u);
  rc_close(peer);
  rc_rio.RIOCloseCompletionQueue(cq);
  rc_buf_free(&b);
  H_EQ(packets(port, e, 100), 0); /* closing posted nothing either */
  CloseHandle(port);
  return 0;
}

int main(void) { return h_run_once("rioconf_notify_iocp", test); }
