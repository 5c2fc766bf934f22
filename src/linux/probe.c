/* riox_probe on Linux: which backends this host can run. */
#define _GNU_SOURCE
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "linux.h"

int riox_probe(riox_probe_report *out) {
  int fd;
  if (out == NULL) return error_detail(RIOX_EINVAL, "riox_probe: out is NULL");
  memset(out, 0, sizeof *out);
  fd = epoll_create1(EPOLL_CLOEXEC);
  out->epoll = fd >= 0;
  if (fd >= 0) close(fd);
  fd = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, IPPROTO_UDP);
  out->ipv6 = fd >= 0;
  if (fd >= 0) close(fd);
  snprintf(out->auto_backend, sizeof out->auto_backend, "%s", out->epoll ? "epoll" : "none");
  snprintf(out->detail, sizeof out->detail, "%s",
           out->epoll ? "epoll available; the uring backend is not built yet" : "epoll unavailable");
  return 0;
}
