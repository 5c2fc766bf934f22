/* RIO conformance: UDP through RIOSendEx / RIOReceiveEx, the calls riox uses.
 *  - RIOSendEx sends to the SOCKADDR_INET held in the pRemoteAddress slice
 *    (IPv4 and IPv6 sockets);
 *  - RIOReceiveEx writes the sender's address into its pRemoteAddress slice,
 *    and the data into pData; BytesTransferred is the datagram's length;
 *  - a send with no data buffer (count 0) is an empty datagram, received as
 *    0 bytes;
 *  - a datagram larger than the slice completes with WSAEMSGSIZE and the
 *    bytes that fit;
 *  - datagram k fills the k-th receive posted.
 * Emulator only: receives also complete in posting order. No page promises
 * that (production code relies on it for UDP), so on real RIO the results
 * are matched by their request context instead. */
#include "rioconf.h"

#define NR 6

static int family_run(int family) {
  RIO_CQ cq;
  RIO_RQ aq, bq;
  SOCKET a, bs;
  SOCKADDR_STORAGE aa, ba;
  int alen = sizeof aa, blen = sizeof ba, i;
  rc_buf b;
  RIO_BUF d, addr, rd[NR], raddr[NR], big;
  char *src;
  a = rc_socket(family, SOCK_DGRAM, IPPROTO_UDP, WSA_FLAG_OVERLAPPED | WSA_FLAG_REGISTERED_IO);
  bs = rc_socket(family, SOCK_DGRAM, IPPROTO_UDP, WSA_FLAG_OVERLAPPED | WSA_FLAG_REGISTERED_IO);
  H_CHECK(a != INVALID_SOCKET && bs != INVALID_SOCKET);
  memset(&aa, 0, sizeof aa);
  aa.ss_family = (ADDRESS_FAMILY)family;
  if (family == AF_INET) {
    ((SOCKADDR_IN *)&aa)->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    alen = sizeof(SOCKADDR_IN);
  } else {
    ((SOCKADDR_IN6 *)&aa)->sin6_addr.s6_addr[15] = 1;
    alen = sizeof(SOCKADDR_IN6);
  }
  ba = aa;
  blen = alen;
  H_EQ(bind(a, (SOCKADDR *)&aa, alen), 0);
  H_EQ(bind(bs, (SOCKADDR *)&ba, blen), 0);
  alen = blen = sizeof aa;
  H_EQ(getsockname(a, (SOCKADDR *)&aa, &alen), 0);
  H_EQ(getsockname(bs, (SOCKADDR *)&ba, &blen), 0);

  cq = rc_cq_poll(64);
  RC_OK(cq != RIO_INVALID_CQ);
  if (rc_buf_make(&b, 65536) != 0) return 1;
  aq = rc_rq(a, 4, 8, cq, (void *)0xA);
  bq = rc_rq(bs, NR + 1, 4, cq, (void *)0xB);
  RC_OK(aq != RIO_INVALID_RQ && bq != RIO_INVALID_RQ);

  for (i = 0; i < NR; i++) {
    rd[i] = rc_slice(&b, 8192 + (ULONG)i * 1024, 1024);
    raddr[i] = rc_slice(&b, 4096 + (ULONG)i * 64, sizeof(SOCKADDR_INET));
    memset(b.base + raddr[i].Offset, 0xEE, sizeof(SOCKADDR_INET));
    RC_OK(rc_rio.RIOReceiveEx(bq, &rd[i], 1, NULL, &raddr[i], NULL, NULL, 0,
                              (void *)(ULONG_PTR)(100 + i)));
  }
  /* Destination: b's address, in a registered SOCKADDR_INET slot. */
  memset(b.base, 0, sizeof(SOCKADDR_INET));
  memcpy(b.base, &ba, (size_t)blen);
  addr = rc_slice(&b, 0, sizeof(SOCKADDR_INET));
  src = b.base + 256;
  for (i = 0; i < NR - 2; i++) {
    memset(src + i * 100, 'a' + i, 100);
    d = rc_slice(&b, 256 + (ULONG)i * 100, 10u + (ULONG)i);
    RC_OK(rc_rio.RIOSendEx(aq, &d, 1, NULL, &addr, NULL, NULL, 0, (void *)(ULONG_PTR)i));
  }
  RC_OK(rc_rio.RIOSendEx(aq, NULL, 0, NULL, &addr, NULL, NULL, 0, (void *)50)); /* empty */
  big = rc_slice(&b, 20000, 3000);
  memset(b.base + 20000, 'z', 3000);
  RC_OK(rc_rio.RIOSendEx(aq, &big, 1, NULL, &addr, NULL, NULL, 0, (void *)51)); /* > 1024 */

  {
    /* Sort the results: sends (ctx 0xA) and receives (ctx 0xB). */
    RIORESULT all[2 * NR];
    int n = 0, nr = 0, ns = 0, seen[NR] = {0};
    uint64_t until = h_now_ms() + 5000;
    while (n < 2 * NR && h_now_ms() < until) {
      ULONG k = rc_rio.RIODequeueCompletion(cq, all + n, (ULONG)(2 * NR - n));
      H_CHECK(k != RIO_CORRUPT_CQ);
      n += (int)k;
      if (k == 0) Sleep(1);
    }
    H_EQ(n, 2 * NR);
    for (i = 0; i < n; i++) {
      ULONG k;
      if (all[i].SocketContext == 0xA) {
        H_EQ(all[i].Status, 0);
        ns++;
        continue;
      }
      H_EQ(all[i].SocketContext, 0xB);
      if (rc_emulated()) H_EQ(all[i].RequestContext, 100 + nr); /* posting order */
      k = (ULONG)(all[i].RequestContext - 100);
      H_CHECK(k < NR && !seen[k]);
      seen[k] = 1;
      if (k < NR - 2) {
        H_EQ(all[i].Status, 0);
        H_EQ(all[i].BytesTransferred, 10 + k);
        H_EQ(b.base[rd[k].Offset], 'a' + (int)k);
      } else if (k == NR - 2) {
        H_EQ(all[i].Status, 0);
        H_EQ(all[i].BytesTransferred, 0);
      } else {
        H_EQ(all[i].Status, WSAEMSGSIZE);
        H_EQ(all[i].BytesTransferred, 1024);
        H_EQ(b.base[rd[k].Offset + 1023], 'z');
      }
      /* The source is a's address. */
      {
        const SOCKADDR_INET *from = (const SOCKADDR_INET *)(b.base + raddr[k].Offset);
        H_EQ(from->si_family, family);
        if (family == AF_INET) {
          H_EQ(from->Ipv4.sin_port, ((SOCKADDR_IN *)&aa)->sin_port);
          H_EQ(from->Ipv4.sin_addr.s_addr, htonl(INADDR_LOOPBACK));
        } else {
          H_EQ(from->Ipv6.sin6_port, ((SOCKADDR_IN6 *)&aa)->sin6_port);
          H_EQ(from->Ipv6.sin6_addr.s6_addr[15], 1);
        }
      }
      nr++;
    }
    H_EQ(ns, NR);
    H_EQ(nr, NR);
  }
  rc_close(a);
  rc_close(bs);
  rc_rio.RIOCloseCompletionQueue(cq);
  rc_buf_free(&b);
  return 0;
}

static int test(void) {
  rc_init();
  if (family_run(AF_INET) != 0) return 1;
  return family_run(AF_INET6);
}

int main(void) { return h_run_once("rioconf_udp_ex", test); }
