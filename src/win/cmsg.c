/* Control data of UDP transfers, shared by both backends: what a send
 * carries in WSAMSG.Control (IOCP: WSASendMsg) or after the RIO_CMSG_BUFFER
 * header of RIOSendEx's pControlContext (RIO) -- the source address
 * (IN_PKTINFO / IN6_PKTINFO) and the segment size (UDP_SEND_MSG_SIZE) --
 * and what a receive brings back the same ways: the destination address and
 * interface (IN_PKTINFO / IN6_PKTINFO, with IP_PKTINFO / IPV6_PKTINFO on)
 * and the segment size of a coalesced receive (UDP_COALESCED_INFO).
 *
 * The layout is ws2def.h's: a WSACMSGHDR, its data at the header's size
 * rounded up, the next header at cmsg_len rounded up, every rounding to the
 * alignment of WSACMSGHDR (TYPE_ALIGNMENT(WSACMSGHDR), which on x86 and x64
 * equals MAX_NATURAL_ALIGNMENT, the data alignment). The walk is done here
 * rather than with WSA_CMSG_NXTHDR because mingw-w64's and Wine's headers
 * spell those macros differently, and a received buffer is checked against
 * its length at every step whatever the macros would do. */
#include <string.h>

#include "win.h"

#define CMSG__ALIGN(n) (((n) + _Alignof(WSACMSGHDR) - 1) & ~(size_t)(_Alignof(WSACMSGHDR) - 1))
#define CMSG__HDR CMSG__ALIGN(sizeof(WSACMSGHDR))

static const uint8_t cmsg__v4mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

/* Append one control message at *off; 0, or -1 when it does not fit. */
static int cmsg__put(char *buf, uint32_t cap, uint32_t *off, int level, int type, const void *data,
                     uint32_t len) {
  WSACMSGHDR h;
  size_t space = CMSG__HDR + CMSG__ALIGN(len);
  if (space > cap - *off) return -1;
  memset(&h, 0, sizeof h);
  h.cmsg_len = CMSG__HDR + len;
  h.cmsg_level = level;
  h.cmsg_type = type;
  memcpy(buf + *off, &h, sizeof h);
  memcpy(buf + *off + CMSG__HDR, data, len);
  *off += (uint32_t)space;
  return 0;
}

uint32_t win_cmsg_send(char *buf, uint32_t cap, const riox_sock *sock, const req_t *req,
                       uint32_t seg) {
  uint32_t off = 0;
  memset(buf, 0, cap);
  if (req->local.family == RIOX_AF_INET) {
    /* An IPv4 source, also on a dual-stack socket: IN_PKTINFO at IPPROTO_IP
     * (the datagram goes out as IPv4, so its IPv4 options apply). */
    IN_PKTINFO pi;
    memset(&pi, 0, sizeof pi);
    memcpy(&pi.ipi_addr, req->local.ip, 4);
    pi.ipi_ifindex = req->ifindex;
    (void)cmsg__put(buf, cap, &off, IPPROTO_IP, IP_PKTINFO, &pi, (uint32_t)sizeof pi);
  } else if (req->local.family == RIOX_AF_INET6 && sock->family == AF_INET6) {
    IN6_PKTINFO pi;
    memset(&pi, 0, sizeof pi);
    memcpy(&pi.ipi6_addr, req->local.ip, 16);
    pi.ipi6_ifindex = req->ifindex;
    (void)cmsg__put(buf, cap, &off, IPPROTO_IPV6, IPV6_PKTINFO, &pi, (uint32_t)sizeof pi);
  }
  if (seg != 0) {
    DWORD d = seg;
    (void)cmsg__put(buf, cap, &off, IPPROTO_UDP, UDP_SEND_MSG_SIZE, &d, (uint32_t)sizeof d);
  }
  return off;
}

/* The socket's bound port, for ev.local (riox.h: "port = the socket's
 * port"): read once, the first time a receive reports its local address,
 * so no receive pays a getsockname. */
static uint16_t cmsg__port(riox_sock *sock) {
  if (!sock->port_known) {
    SOCKADDR_STORAGE ss;
    int len = (int)sizeof ss;
    riox_addr a;
    memset(&ss, 0, sizeof ss);
    if (ws_getsockname(sock->s, (struct sockaddr *)&ss, &len) == 0 &&
        sockaddr_to((const struct sockaddr *)&ss, &a) == 0) {
      sock->port = a.port;
      sock->port_known = 1;
    }
  }
  return sock->port;
}

void win_cmsg_recv(riox_sock *sock, req_t *req, const char *buf, uint32_t len) {
  uint32_t off = 0;
  while (len >= sizeof(WSACMSGHDR) && off <= len - sizeof(WSACMSGHDR)) {
    WSACMSGHDR h;
    const char *data;
    size_t dlen, next;
    memcpy(&h, buf + off, sizeof h);
    /* A short or overlong header ends the walk (a buffer riox zeroed before
     * the post reads as empty). */
    if (h.cmsg_len < CMSG__HDR || h.cmsg_len > len - off) break;
    data = buf + off + CMSG__HDR;
    dlen = h.cmsg_len - CMSG__HDR;
    if (h.cmsg_level == IPPROTO_IP && h.cmsg_type == IP_PKTINFO && dlen >= sizeof(IN_PKTINFO)) {
      IN_PKTINFO pi;
      memcpy(&pi, data, sizeof pi);
      memset(&req->local, 0, sizeof req->local);
      req->local.family = RIOX_AF_INET;
      memcpy(req->local.ip, &pi.ipi_addr, 4);
      req->local.port = cmsg__port(sock);
      req->ifindex = pi.ipi_ifindex;
    } else if (h.cmsg_level == IPPROTO_IPV6 && h.cmsg_type == IPV6_PKTINFO &&
               dlen >= sizeof(IN6_PKTINFO)) {
      IN6_PKTINFO pi;
      memcpy(&pi, data, sizeof pi);
      memset(&req->local, 0, sizeof req->local);
      /* An IPv4 datagram on a dual-stack socket: shown as IPv4, as its
       * source is (sockaddr.c). */
      if (memcmp(pi.ipi6_addr.s6_addr, cmsg__v4mapped, 12) == 0) {
        req->local.family = RIOX_AF_INET;
        memcpy(req->local.ip, pi.ipi6_addr.s6_addr + 12, 4);
      } else {
        req->local.family = RIOX_AF_INET6;
        memcpy(req->local.ip, pi.ipi6_addr.s6_addr, 16);
      }
      req->local.port = cmsg__port(sock);
      req->ifindex = pi.ipi6_ifindex;
    } else if (h.cmsg_level == IPPROTO_UDP && h.cmsg_type == UDP_COALESCED_INFO &&
               dlen >= sizeof(DWORD)) {
      DWORD seg;
      memcpy(&seg, data, sizeof seg);
      req->seg_size = seg;
    }
    next = CMSG__ALIGN(h.cmsg_len);
    if (next > len - off) break;
    off += (uint32_t)next;
  }
  /* PKTINFO is asked only of sockets opened with RIOX_UDP_PKTINFO; a
   * coalesced-receive report only counts on a RIOX_UDP_GRO socket. */
  if (!(sock->flags & RIOX_UDP_PKTINFO)) {
    memset(&req->local, 0, sizeof req->local);
    req->ifindex = 0;
  }
  if (!(sock->flags & RIOX_UDP_GRO)) req->seg_size = 0;
}

void win_cmsg_recv_reset(req_t *req) {
  memset(&req->local, 0, sizeof req->local);
  req->ifindex = 0;
  req->seg_size = 0;
}
