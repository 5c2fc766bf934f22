/* RIO conformance: control data through RIOReceiveEx / RIOSendEx
 * (pControlContext: a RIO_CMSG_BUFFER, a ULONG TotalLength and then
 * WSACMSGHDRs at RIO_CMSG_BASE_SIZE), the mechanism msquic's RIO datapath
 * used for local addresses and segment sizes:
 *  - on a socket bound to 0.0.0.0 with IP_PKTINFO (IPv6: IPV6_PKTINFO on
 *    ::), a receive's slice holds one IN_PKTINFO / IN6_PKTINFO naming the
 *    address the datagram was sent to (127.0.0.1 or 127.0.0.2; ::1) and a
 *    non-zero interface, TotalLength covering it;
 *  - without the option, TotalLength is the base size: no message;
 *  - RIOSendEx takes IN_PKTINFO in its control slice (TotalLength = base +
 *    the message) and sends: the datagram arrives intact. That it leaves
 *    from the address named is checked off Wine only (Wine's WSASendMsg,
 *    which the emulator has to use, drops control data: docs/design.md).
 * The same program runs against real RIO on Windows. */
#include "rioconf.h"

#define CC_ALIGN(n) (((n) + _Alignof(WSACMSGHDR) - 1) & ~(size_t)(_Alignof(WSACMSGHDR) - 1))
#define CC_HDR CC_ALIGN(sizeof(WSACMSGHDR))
#define CC_BASE ((ULONG)CC_ALIGN(sizeof(ULONG)))
#define CC_SLOT 256u

/* The PKTINFO in a receive's RIO_CMSG_BUFFER: 1 and *out (address, ifindex)
 * when there is exactly one; 0 when there is none; -1 when malformed. */
static int cc_pktinfo(const char *c, ULONG slot, SOCKADDR_INET *out, ULONG *ifindex) {
  ULONG total, off = CC_BASE;
  int n = 0;
  memcpy(&total, c, sizeof total);
  if (total < CC_BASE || total > slot) return -1;
  memset(out, 0, sizeof *out);
  while (off < total) {
    WSACMSGHDR h;
    if (total - off < sizeof h) return -1;
    memcpy(&h, c + off, sizeof h);
    if (h.cmsg_len < CC_HDR || h.cmsg_len > total - off) return -1;
    if (h.cmsg_level == IPPROTO_IP && h.cmsg_type == IP_PKTINFO &&
        h.cmsg_len >= CC_HDR + sizeof(IN_PKTINFO)) {
      IN_PKTINFO pi;
      memcpy(&pi, c + off + CC_HDR, sizeof pi);
      out->si_family = AF_INET;
      out->Ipv4.sin_addr = pi.ipi_addr;
      *ifindex = pi.ipi_ifindex;
      n++;
    } else if (h.cmsg_level == IPPROTO_IPV6 && h.cmsg_type == IPV6_PKTINFO &&
               h.cmsg_len >= CC_HDR + sizeof(IN6_PKTINFO)) {
      IN6_PKTINFO pi;
      memcpy(&pi, c + off + CC_HDR, sizeof pi);
      out->si_family = AF_INET6;
      out->Ipv6.sin6_addr = pi.ipi6_addr;
      *ifindex = pi.ipi6_ifindex;
      n++;
    }
    off += (ULONG)CC_ALIGN(h.cmsg_len);
  }
  return n > 1 ? -1 : n;
}

/* Receive side: `pktinfo` sets the option on the RIO socket. */
static int recv_run(int family, int pktinfo) {
  RIO_CQ cq;
  RIO_RQ q;
  SOCKET r, peer;
  SOCKADDR_STORAGE ra, dst;
  int rlen, i, n = family == AF_INET ? 2 : 1;
  rc_buf b;
  RIO_BUF d[2], ra_slot[2], ctl[2];
  RIORESULT res[2];
  r = rc_socket(family, SOCK_DGRAM, IPPROTO_UDP, WSA_FLAG_OVERLAPPED | WSA_FLAG_REGISTERED_IO);
  peer = socket(family, SOCK_DGRAM, IPPROTO_UDP);
  H_CHECK(r != INVALID_SOCKET && peer != INVALID_SOCKET);
  if (pktinfo) {
    DWORD on = 1;
    if (family == AF_INET)
      H_EQ(setsockopt(r, IPPROTO_IP, IP_PKTINFO, (const char *)&on, sizeof on), 0);
    else
      H_EQ(setsockopt(r, IPPROTO_IPV6, IPV6_PKTINFO, (const char *)&on, sizeof on), 0);
  }
  memset(&ra, 0, sizeof ra);
  ra.ss_family = (ADDRESS_FAMILY)family; /* the any address */
  rlen = family == AF_INET ? (int)sizeof(SOCKADDR_IN) : (int)sizeof(SOCKADDR_IN6);
  H_EQ(bind(r, (SOCKADDR *)&ra, rlen), 0);
  rlen = sizeof ra;
  H_EQ(getsockname(r, (SOCKADDR *)&ra, &rlen), 0);
  cq = rc_cq_poll(16);
  RC_OK(cq != RIO_INVALID_CQ);
  if (rc_buf_make(&b, 65536) != 0) return 1;
  q = rc_rq(r, 4, 4, cq, (void *)0xC);
  RC_OK(q != RIO_INVALID_RQ);
  for (i = 0; i < n; i++) {
    d[i] = rc_slice(&b, 8192 + (ULONG)i * 2048, 2048);
    ra_slot[i] = rc_slice(&b, 1024 + (ULONG)i * 64, sizeof(SOCKADDR_INET));
    ctl[i] = rc_slice(&b, 4096 + (ULONG)i * CC_SLOT, CC_SLOT);
    memset(b.base + ctl[i].Offset, 0xEE, CC_SLOT); /* RIO must write TotalLength */
    RC_OK(rc_rio.RIOReceiveEx(q, &d[i], 1, NULL, &ra_slot[i], &ctl[i], NULL, 0,
                              (void *)(ULONG_PTR)(10 + i)));
  }
  for (i = 0; i < n; i++) {
    memcpy(&dst, &ra, sizeof dst);
    if (family == AF_INET)
      ((SOCKADDR_IN *)&dst)->sin_addr.s_addr = htonl(i == 0 ? 0x7f000001u : 0x7f000002u);
    else
      ((SOCKADDR_IN6 *)&dst)->sin6_addr.s6_addr[15] = 1;
    H_EQ(sendto(peer, "ctrl", 4, 0, (SOCKADDR *)&dst,
                family == AF_INET ? (int)sizeof(SOCKADDR_IN) : (int)sizeof(SOCKADDR_IN6)),
         4);
    H_EQ(rc_dequeue_wait(cq, &res[i], 1, 5000), 1);
  }
  for (i = 0; i < n; i++) {
    ULONG k = (ULONG)(res[i].RequestContext - 10), ifindex = 0;
    SOCKADDR_INET local;
    int got;
    H_CHECK(k < (ULONG)n);
    H_EQ(res[i].Status, 0);
    H_EQ(res[i].BytesTransferred, 4);
    got = cc_pktinfo(b.base + ctl[k].Offset, CC_SLOT, &local, &ifindex);
    if (!pktinfo) {
      ULONG total;
      memcpy(&total, b.base + ctl[k].Offset, sizeof total);
      H_EQ(total, CC_BASE); /* no option, no message */
      continue;
    }
    H_EQ(got, 1);
    H_EQ(local.si_family, family);
    H_CHECK(ifindex != 0);
    if (family == AF_INET)
      H_EQ(local.Ipv4.sin_addr.s_addr, htonl(k == 0 ? 0x7f000001u : 0x7f000002u));
    else
      H_EQ(local.Ipv6.sin6_addr.s6_addr[15], 1);
  }
  rc_close(r);
  closesocket(peer);
  rc_rio.RIOCloseCompletionQueue(cq);
  rc_buf_free(&b);
  return 0;
}

/* Send side: RIOSendEx from a socket on 0.0.0.0 with IN_PKTINFO naming
 * 127.0.0.2, to a plain socket on 127.0.0.1. */
static int send_run(void) {
  RIO_CQ cq;
  RIO_RQ q;
  SOCKET s, peer;
  SOCKADDR_IN sa, pa, from;
  int len;
  rc_buf b;
  RIO_BUF d, to, ctl;
  RIORESULT res;
  WSACMSGHDR h;
  IN_PKTINFO pi;
  ULONG total;
  char got[16];
  s = rc_socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP, WSA_FLAG_OVERLAPPED | WSA_FLAG_REGISTERED_IO);
  peer = socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP);
  H_CHECK(s != INVALID_SOCKET && peer != INVALID_SOCKET);
  memset(&sa, 0, sizeof sa);
  sa.sin_family = AF_INET;
  H_EQ(bind(s, (SOCKADDR *)&sa, sizeof sa), 0);
  pa = sa;
  pa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  H_EQ(bind(peer, (SOCKADDR *)&pa, sizeof pa), 0);
  len = sizeof pa;
  H_EQ(getsockname(peer, (SOCKADDR *)&pa, &len), 0);
  len = sizeof sa;
  H_EQ(getsockname(s, (SOCKADDR *)&sa, &len), 0);
  cq = rc_cq_poll(16);
  RC_OK(cq != RIO_INVALID_CQ);
  if (rc_buf_make(&b, 65536) != 0) return 1;
  q = rc_rq(s, 2, 2, cq, (void *)0xD);
  RC_OK(q != RIO_INVALID_RQ);
  memcpy(b.base + 8192, "from-two", 8);
  d = rc_slice(&b, 8192, 8);
  memset(b.base, 0, sizeof(SOCKADDR_INET));
  memcpy(b.base, &pa, sizeof pa);
  to = rc_slice(&b, 0, sizeof(SOCKADDR_INET));
  memset(&h, 0, sizeof h);
  h.cmsg_len = CC_HDR + sizeof pi;
  h.cmsg_level = IPPROTO_IP;
  h.cmsg_type = IP_PKTINFO;
  memset(&pi, 0, sizeof pi);
  pi.ipi_addr.s_addr = htonl(0x7f000002u);
  memset(b.base + 4096, 0, CC_SLOT);
  memcpy(b.base + 4096 + CC_BASE, &h, sizeof h);
  memcpy(b.base + 4096 + CC_BASE + CC_HDR, &pi, sizeof pi);
  total = CC_BASE + (ULONG)(CC_HDR + CC_ALIGN(sizeof pi));
  memcpy(b.base + 4096, &total, sizeof total);
  ctl = rc_slice(&b, 4096, total);
  RC_OK(rc_rio.RIOSendEx(q, &d, 1, NULL, &to, &ctl, NULL, 0, (void *)0x77));
  H_EQ(rc_dequeue_wait(cq, &res, 1, 5000), 1);
  H_EQ(res.Status, 0);
  H_EQ(res.BytesTransferred, 8);
  {
    int fl = sizeof from, n;
    DWORD ms = 5000;
    (void)setsockopt(peer, SOL_SOCKET, SO_RCVTIMEO, (const char *)&ms, sizeof ms);
    n = recvfrom(peer, got, sizeof got, 0, (SOCKADDR *)&from, &fl);
    H_EQ(n, 8);
    H_EQ(memcmp(got, "from-two", 8), 0);
    H_EQ(from.sin_port, sa.sin_port);
    if (!h_under_wine())
      H_EQ(from.sin_addr.s_addr, htonl(0x7f000002u));
    else
      printf("rioconf_udp_ctrl: under Wine the source address is the OS's choice (%s): Wine's "
             "WSASendMsg drops control data\n",
             from.sin_addr.s_addr == htonl(0x7f000002u) ? "127.0.0.2" : "not 127.0.0.2");
  }
  rc_close(s);
  closesocket(peer);
  rc_rio.RIOCloseCompletionQueue(cq);
  rc_buf_free(&b);
  return 0;
}

static int test(void) {
  rc_init();
  if (recv_run(AF_INET, 1) != 0) return 1;
  if (recv_run(AF_INET6, 1) != 0) return 1;
  if (recv_run(AF_INET, 0) != 0) return 1;
  return send_run();
}

int main(void) { return h_run_once("rioconf_udp_ctrl", test); }
