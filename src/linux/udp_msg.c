/* UDP ancillary data on Linux, shared by the epoll and uring backends
 * (riox.h, "Segmentation offload", "Local addresses"):
 *  - what a loop may use: UDP_SEGMENT (GSO) for segmented sends and UDP_GRO
 *    for RIOX_UDP_GRO sockets, when the kernel takes them and the
 *    environment does not say RIOX_UDP_OFFLOAD=0 (read once, at loop init);
 *  - the control messages of a send: UDP_SEGMENT (a 16-bit segment size,
 *    udp(7)) and the source address, IP_PKTINFO's ipi_spec_dst or
 *    IPV6_PKTINFO's ipi6_addr with the interface (ip(7), ipv6(7));
 *  - what a receive's control messages say: UDP_GRO's gso_size (an int,
 *    present only on a coalesced receive), IP_PKTINFO's ipi_addr (the
 *    header's destination, not the routing answer ipi_spec_dst) or
 *    IPV6_PKTINFO's address, and the arrival interface.
 * A send the kernel refuses with UDP_SEGMENT (the segment does not fit the
 * route's MTU: EINVAL; no checksum offload on the way: EIO; udp_send_skb)
 * is split by riox instead (linux_udp_gso_refused): riox never fails a send
 * the API allows because of the offload. */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "linux.h"

void linux_udp_offload_init(riox_loop *loop) {
  char v[8];
  int fd, one = 1, seg = 1200;
  loop->udp_gso = 0;
  loop->udp_gro = 0;
  if (os_getenv("RIOX_UDP_OFFLOAD", v, sizeof v) && strcmp(v, "0") == 0) return;
  /* The probe's test (probe.c): an old kernel answers ENOPROTOOPT. */
  fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, IPPROTO_UDP);
  if (fd < 0) return;
  loop->udp_gso = setsockopt(fd, IPPROTO_UDP, UDP_SEGMENT, &seg, sizeof seg) == 0;
  loop->udp_gro = setsockopt(fd, IPPROTO_UDP, UDP_GRO, &one, sizeof one) == 0;
  close(fd);
}

int linux_udp_sock_opts(riox_sock *sock) {
  int one = 1;
  if (sock->mode != SK_MODE_COMPLETION) return 0; /* riox_try_recv reads plain datagrams */
  if ((sock->flags & RIOX_UDP_GRO) && sock->loop->udp_gro) {
    if (sys_setsockopt(sock->s, IPPROTO_UDP, UDP_GRO, &one, sizeof one) != 0)
      return sock_errno_error("setsockopt(UDP_GRO)");
    sock->udp_cmsg = 1;
  }
  if (sock->flags & RIOX_UDP_PKTINFO) {
    /* A dual-stack socket's IPv4 datagrams carry IP_PKTINFO (udpv6_recvmsg
     * hands them to the IPv4 code), its IPv6 ones IPV6_PKTINFO. */
    if ((sock->family == AF_INET || (sock->flags & RIOX_SOCK_DUALSTACK)) &&
        sys_setsockopt(sock->s, IPPROTO_IP, IP_PKTINFO, &one, sizeof one) != 0)
      return sock_errno_error("setsockopt(IP_PKTINFO)");
    if (sock->family == AF_INET6 &&
        sys_setsockopt(sock->s, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof one) != 0)
      return sock_errno_error("setsockopt(IPV6_RECVPKTINFO)");
    sock->udp_cmsg = 1;
  }
  return 0;
}

int linux_udp_gso(const riox_sock *sock, const req_t *req) {
  return req->seg_size != 0 && sock->loop->udp_gso && !req->udp_soft;
}

uint32_t linux_udp_nsegs(const req_t *req) {
  if (req->seg_size == 0 || req->seg_size >= req->len) return 1;
  return (req->len + req->seg_size - 1) / req->seg_size;
}

int linux_udp_gso_refused(int err) { return err == EINVAL || err == EMSGSIZE || err == EIO; }

/* One control message of `len` data bytes at p; returns its space. */
static size_t udp__cmsg(char *p, int level, int type, const void *data, size_t len) {
  struct cmsghdr *c = (struct cmsghdr *)(void *)p;
  memset(p, 0, CMSG_SPACE(len));
  c->cmsg_level = level;
  c->cmsg_type = type;
  c->cmsg_len = CMSG_LEN(len);
  memcpy(CMSG_DATA(c), data, len);
  return CMSG_SPACE(len);
}

size_t linux_udp_ctl_send(const riox_sock *sock, req_t *req, int gso) {
  char *p = (char *)req->ctl;
  size_t used = 0;
  if (gso) {
    uint16_t seg = (uint16_t)req->seg_size; /* < len <= 65527 */
    used += udp__cmsg(p + used, SOL_UDP, UDP_SEGMENT, &seg, sizeof seg);
  }
  if (req->local.family == RIOX_AF_INET) {
    /* Also on a dual-stack socket: udp_sendmsg takes IP_PKTINFO for an
     * IPv4(-mapped) destination (ip_cmsg_send). */
    struct in_pktinfo pi;
    memset(&pi, 0, sizeof pi);
    memcpy(&pi.ipi_spec_dst, req->local.ip, 4);
    pi.ipi_ifindex = (int)req->ifindex;
    used += udp__cmsg(p + used, IPPROTO_IP, IP_PKTINFO, &pi, sizeof pi);
  } else if (req->local.family == RIOX_AF_INET6) {
    struct in6_pktinfo pi;
    memset(&pi, 0, sizeof pi);
    memcpy(&pi.ipi6_addr, req->local.ip, 16);
    pi.ipi6_ifindex = req->ifindex;
    used += udp__cmsg(p + used, IPPROTO_IPV6, IPV6_PKTINFO, &pi, sizeof pi);
  }
  (void)sock;
  return used;
}

static void udp__port(riox_sock *sock) {
  struct sockaddr_storage ss;
  socklen_t len = sizeof ss;
  if (sock->udp_port != 0) return;
  LOOP_OSCALL(sock->loop);
  if (sys_getsockname(sock->s, (struct sockaddr *)&ss, &len) != 0) return;
  sock->udp_port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                                  : ((struct sockaddr_in *)&ss)->sin_port);
}

void linux_udp_ctl_recv(riox_sock *sock, req_t *req, const void *ctl, size_t len) {
  static const uint8_t v4mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  struct msghdr m;
  struct cmsghdr *c;
  req->seg_size = 0;
  memset(&req->local, 0, sizeof req->local);
  req->ifindex = 0;
  if (ctl == NULL || len == 0) return;
  memset(&m, 0, sizeof m);
  m.msg_control = (void *)(uintptr_t)ctl;
  m.msg_controllen = len;
  for (c = CMSG_FIRSTHDR(&m); c != NULL; c = CMSG_NXTHDR(&m, c)) {
    if (c->cmsg_len < CMSG_LEN(0)) break; /* the zeroed end of the area */
    if (c->cmsg_level == SOL_UDP && c->cmsg_type == UDP_GRO && c->cmsg_len >= CMSG_LEN(sizeof(int))) {
      int gso;
      memcpy(&gso, CMSG_DATA(c), sizeof gso);
      req->seg_size = gso > 0 ? (uint32_t)gso : 0u;
    } else if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO &&
               c->cmsg_len >= CMSG_LEN(sizeof(struct in_pktinfo))) {
      struct in_pktinfo pi;
      memcpy(&pi, CMSG_DATA(c), sizeof pi);
      req->local.family = RIOX_AF_INET;
      memcpy(req->local.ip, &pi.ipi_addr, 4); /* the header's destination */
      req->ifindex = (uint32_t)pi.ipi_ifindex;
    } else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO &&
               c->cmsg_len >= CMSG_LEN(sizeof(struct in6_pktinfo))) {
      struct in6_pktinfo pi;
      memcpy(&pi, CMSG_DATA(c), sizeof pi);
      memset(&req->local, 0, sizeof req->local);
      /* An IPv4 datagram on a dual-stack socket: IPv4, as sockaddr_to does. */
      if (memcmp(pi.ipi6_addr.s6_addr, v4mapped, 12) == 0) {
        req->local.family = RIOX_AF_INET;
        memcpy(req->local.ip, pi.ipi6_addr.s6_addr + 12, 4);
      } else {
        req->local.family = RIOX_AF_INET6;
        memcpy(req->local.ip, pi.ipi6_addr.s6_addr, 16);
        if (IN6_IS_ADDR_LINKLOCAL(&pi.ipi6_addr)) req->local.scope_id = pi.ipi6_ifindex;
      }
      req->ifindex = pi.ipi6_ifindex;
    }
  }
  if (req->local.family != 0) {
    udp__port(sock);
    req->local.port = sock->udp_port;
  }
}
