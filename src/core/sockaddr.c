/* riox_addr <-> struct sockaddr, on every OS. Dual-stack sockets are AF_INET6 and see IPv4 peers
 * as ::ffff:a.b.c.d: riox shows those to the application as plain IPv4 and
 * maps them back when sending, so one address form round-trips. */
#include <string.h>

#include "core.h"

static const uint8_t sockaddr__v4mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

int sockaddr_from(const riox_addr *addr, int family, struct sockaddr_storage *ss, int *len) {
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

int sockaddr_to(const struct sockaddr *sa, riox_addr *out) {
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

int sock_family_for(const riox_addr *a, const riox_addr *b, uint32_t flags, int *family) {
  const riox_addr *pick = a != NULL ? a : b;
  if (pick != NULL && pick->family != RIOX_AF_INET && pick->family != RIOX_AF_INET6)
    return error_detail(RIOX_EINVAL, "address family %u is neither RIOX_AF_INET nor RIOX_AF_INET6",
                        (unsigned)pick->family);
  if (a != NULL && b != NULL && a->family != b->family && !(flags & RIOX_SOCK_DUALSTACK))
    return error_detail(RIOX_EAFNOSUPPORT, "local and remote addresses differ in family");
  *family = (flags & RIOX_SOCK_DUALSTACK) || (pick != NULL && pick->family == RIOX_AF_INET6)
                ? AF_INET6
                : AF_INET;
  return 0;
}
