/* The RIO emulator's rules for control data (tests/rio_emu/ctrl.c), where
 * the docs say little and real RIO may be laxer:
 *  - RIOSendEx: a control slice whose TotalLength is below
 *    RIO_CMSG_BASE_SIZE or beyond the slice is refused (WSAEINVAL), and
 *    nothing is charged;
 *  - RIOSendEx with UDP_SEND_MSG_SIZE where the OS under the emulator has
 *    no USO (Wine) is refused and reported as misuse: nothing would
 *    segment it;
 *  - RIOReceiveEx: a control slice shorter than RIO_CMSG_BASE_SIZE is
 *    refused; one with room for the header only gets TotalLength = base
 *    and MSG_CTRUNC in pFlags when the OS returned a message (IP_PKTINFO
 *    on), as WSARecvMsg reports a control buffer too small;
 *  - a send whose control holds only the header sends normally. */
#include "rioconf.h"

#ifndef UDP_SEND_MSG_SIZE
#define UDP_SEND_MSG_SIZE 2
#endif

#define ER_ALIGN(n) (((n) + _Alignof(WSACMSGHDR) - 1) & ~(size_t)(_Alignof(WSACMSGHDR) - 1))
#define ER_BASE ((ULONG)ER_ALIGN(sizeof(ULONG)))

static int test(void) {
#ifdef RIOX_WITH_RIO_EMU
  RIO_CQ cq;
  RIO_RQ q;
  SOCKET u;
  SOCKADDR_IN ua;
  rc_buf b;
  RIO_BUF d, to, from, ctl, fl;
  RIORESULT r[2];
  ULONG total, flags;
  unsigned start;
  DWORD on = 1;
  rc_init_emulator();
  start = rio_emu_misuse_count();
  cq = rc_cq_poll(16);
  RC_OK(cq != RIO_INVALID_CQ);
  if (rc_buf_make(&b, 65536) != 0) return 1;
  u = rc_udp(&ua);
  H_CHECK(u != INVALID_SOCKET);
  H_EQ(setsockopt(u, IPPROTO_IP, IP_PKTINFO, (const char *)&on, sizeof on), 0);
  q = rc_rq(u, 4, 4, cq, NULL);
  RC_OK(q != RIO_INVALID_RQ);
  memset(b.base, 0, sizeof(SOCKADDR_INET));
  memcpy(b.base, &ua, sizeof ua); /* the socket sends to itself */
  to = rc_slice(&b, 0, sizeof(SOCKADDR_INET));
  memcpy(b.base + 8192, "rules", 5);
  d = rc_slice(&b, 8192, 5);

  /* Send control: TotalLength out of range. */
  total = ER_BASE - 1;
  memcpy(b.base + 4096, &total, sizeof total);
  ctl = rc_slice(&b, 4096, 64);
  RC_FAILS(rc_rio.RIOSendEx(q, &d, 1, NULL, &to, &ctl, NULL, 0, (void *)1), WSAEINVAL);
  total = 65;
  memcpy(b.base + 4096, &total, sizeof total);
  RC_FAILS(rc_rio.RIOSendEx(q, &d, 1, NULL, &to, &ctl, NULL, 0, (void *)1), WSAEINVAL);
  H_EQ(rio_emu_outstanding(), 0);
  H_EQ(rio_emu_misuse_count(), start);

  /* UDP_SEND_MSG_SIZE with no USO under the emulator (Wine; a Windows
   * with USO passes it on instead). */
  {
    WSACMSGHDR h;
    DWORD seg = 2, v = 0;
    int vlen = sizeof v;
    if (getsockopt(u, IPPROTO_UDP, UDP_SEND_MSG_SIZE, (char *)&v, &vlen) == 0) {
      printf("rioconf_emu_ctrl_rules: the OS has USO: the refusal is not checked\n");
      goto recv_rules;
    }
    memset(&h, 0, sizeof h);
    h.cmsg_len = ER_ALIGN(sizeof h) + sizeof seg;
    h.cmsg_level = IPPROTO_UDP;
    h.cmsg_type = UDP_SEND_MSG_SIZE;
    memcpy(b.base + 4096 + ER_BASE, &h, sizeof h);
    memcpy(b.base + 4096 + ER_BASE + ER_ALIGN(sizeof h), &seg, sizeof seg);
    total = ER_BASE + (ULONG)(ER_ALIGN(sizeof h) + ER_ALIGN(sizeof seg));
    memcpy(b.base + 4096, &total, sizeof total);
    ctl = rc_slice(&b, 4096, total);
    RC_FAILS(rc_rio.RIOSendEx(q, &d, 1, NULL, &to, &ctl, NULL, 0, (void *)1), WSAEINVAL);
    H_EQ(rio_emu_misuse_count(), start + 1);
    H_EQ(rio_emu_outstanding(), 0);
  }

recv_rules:
  /* Receive control: shorter than the header. */
  from = rc_slice(&b, 256, sizeof(SOCKADDR_INET));
  ctl = rc_slice(&b, 12288, ER_BASE - 1);
  RC_FAILS(rc_rio.RIOReceiveEx(q, &d, 1, NULL, &from, &ctl, NULL, 0, (void *)2), WSAEINVAL);

  /* Room for the header only, IP_PKTINFO on: truncated, and said so. */
  ctl = rc_slice(&b, 12288, ER_BASE);
  memset(b.base + 12288, 0xEE, 64);
  fl = rc_slice(&b, 16384, sizeof(ULONG));
  memset(b.base + 16384, 0, sizeof(ULONG));
  d = rc_slice(&b, 20480, 64);
  RC_OK(rc_rio.RIOReceiveEx(q, &d, 1, NULL, &from, &ctl, &fl, 0, (void *)2));
  /* A send with a header-only control slice: sent normally. */
  total = ER_BASE;
  memcpy(b.base + 4096, &total, sizeof total);
  ctl = rc_slice(&b, 4096, ER_BASE);
  memset(b.base, 0, sizeof(SOCKADDR_INET));
  memcpy(b.base, &ua, sizeof ua);
  to = rc_slice(&b, 0, sizeof(SOCKADDR_INET));
  {
    RIO_BUF sd = rc_slice(&b, 8192, 5);
    RC_OK(rc_rio.RIOSendEx(q, &sd, 1, NULL, &to, &ctl, NULL, 0, (void *)3));
  }
  H_EQ(rc_dequeue_wait(cq, r, 2, 5000), 2);
  {
    int i;
    for (i = 0; i < 2; i++) {
      H_EQ(r[i].Status, 0);
      H_EQ(r[i].BytesTransferred, 5);
      if (r[i].RequestContext != 2) continue;
      memcpy(&total, b.base + 12288, sizeof total);
      H_EQ(total, ER_BASE);
      memcpy(&flags, b.base + 16384, sizeof flags);
      H_CHECK((flags & MSG_CTRUNC) != 0);
      H_EQ(memcmp(b.base + 20480, "rules", 5), 0);
    }
  }
  rc_close(u);
  rc_rio.RIOCloseCompletionQueue(cq);
  rc_buf_free(&b);
  h_expect_misuse(rio_emu_misuse_count() - start); /* the USO send, on purpose */
  return 0;
#else
  rc_init_emulator(); /* skips: the emulator is not linked */
  return 0;
#endif
}

int main(void) { return h_run_once("rioconf_emu_ctrl_rules", test); }
