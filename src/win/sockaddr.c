/* riox_addr <-> SOCKADDR. Dual-stack sockets are AF_INET6 and see IPv4 peers
 * as ::ffff:a.b.c.d: riox shows those to the application as plain IPv4 and
 * maps them back when sending, so one address form round-trips. */
#include <string.h>

#include "win.h"

static const uint8_t sockaddr__v4mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

int win_sockaddr_from(const riox_addr *addr, int family, SOCKADDR_STORAGE *ss, int *len) {
  memset(ss, 0, sizeof *ss);
  if (addr == NULL) return error_detail(RIOX_EINVAL, "address is NULL");
  if (addr->family == RIOX_AF_INET && family == AF_INET) {
    struct sockaddr_in *sin = (struct sockaddr_in *)ss;
    sin->sin_family = AF_INET;
    sin->sin_port = htons(addr->port);
    memcpy(&sin->sin_addr, addr->ip, 4);
    *len = (int)sizeof *sin;
    return 0;
  }
  if (family == AF_INET6 && (addr->family == RIOX_AF_INET6 || addr->family == RIOX_AF_INET)) {
    struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
    sin6->sin6_family = AF_INET6;
    sin6->sin6_port = htons(addr->port);
    if (addr->family == RIOX_AF_INET) {
      memcpy(sin6->sin6_addr.s6_addr, sockaddr__v4mapped, 12);
      memcpy(sin6->sin6_addr.s6_addr + 12, addr->ip, 4);
    } else {
      memcpy(sin6->sin6_addr.s6_addr, addr->ip, 16);
      sin6->sin6_scope_id = addr->scope_id;
    }
    *len = (int)sizeof *sin6;
    return 0;
  }
  if (addr->family != RIOX_AF_INET && addr->family != RIOX_AF_INET6)
    return error_detail(RIOX_EINVAL, "address family %u is neither RIOX_AF_INET nor RIOX_AF_INET6",
                        (unsigned)addr->family);
  return error_detail(RIOX_EAFNOSUPPORT, "an IPv6 address on an IPv4 socket");
}

int win_sockaddr_to(const struct sockaddr *sa, riox_addr *out) {
  memset(out, 0, sizeof *out);
  if (sa->sa_family == AF_INET) {
    const struct sockaddr_in *sin = (const struct sockaddr_in *)sa;
    out->family = RIOX_AF_INET;
    out->port = ntohs(sin->sin_port);
    memcpy(out->ip, &sin->sin_addr, 4);
    return 0;
  }
  if (sa->sa_family == AF_INET6) {
    const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)sa;
    out->port = ntohs(sin6->sin6_port);
    if (memcmp(sin6->sin6_addr.s6_addr, sockaddr__v4mapped, 12) == 0) {
      out->family = RIOX_AF_INET;
      memcpy(out->ip, sin6->sin6_addr.s6_addr + 12, 4);
    } else {
      out->family = RIOX_AF_INET6;
      memcpy(out->ip, sin6->sin6_addr.s6_addr, 16);
      out->scope_id = sin6->sin6_scope_id;
    }
    return 0;
  }
  return RIOX_EAFNOSUPPORT;
}
