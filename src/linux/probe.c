/* riox_probe on Linux: which backends this host can run ("auto" picks
 * uring when it can, as os_backend_select does), what the ring offers, and
 * the UDP/TCP socket options worth knowing. */
#define _GNU_SOURCE
#include <netinet/in.h>
#include <netinet/udp.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "linux.h"
#include "uring.h"

/* The socket options, on one throw-away UDP socket: setting them is the
 * test (an old kernel says ENOPROTOOPT). */
static void probe__sockopts(riox_probe_report *out) {
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, IPPROTO_UDP), v;
  if (fd < 0) return;
  v = 1200;
  out->udp_gso = setsockopt(fd, IPPROTO_UDP, UDP_SEGMENT, &v, sizeof v) == 0;
  v = 1;
  out->udp_gro = setsockopt(fd, IPPROTO_UDP, UDP_GRO, &v, sizeof v) == 0;
  out->reuseport = setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &v, sizeof v) == 0;
  close(fd);
}

int riox_probe(riox_probe_report *out) {
  uring_caps_t caps;
  int fd;
  if (out == NULL) return error_detail(RIOX_EINVAL, "riox_probe: out is NULL");
  memset(out, 0, sizeof *out);
  fd = epoll_create1(EPOLL_CLOEXEC);
  out->epoll = fd >= 0;
  if (fd >= 0) close(fd);
  fd = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, IPPROTO_UDP);
  out->ipv6 = fd >= 0;
  if (fd >= 0) close(fd);
  probe__sockopts(out);
  if (uring_disabled()) {
    memset(&caps, 0, sizeof caps);
    snprintf(caps.why, sizeof caps.why, "io_uring disabled by RIOX_URING_DISABLE=1 (test switch)");
  } else {
    uring_check(&caps);
  }
  out->uring = caps.usable;
  if (caps.usable) {
    out->uring_single_issuer = caps.single_issuer;
    out->uring_defer_taskrun = caps.defer_taskrun;
    out->uring_send_zc = caps.send_zc;
    out->uring_multishot = caps.multishot;
    out->uring_fixed_bufs = caps.fixed_bufs;
  }
  snprintf(out->auto_backend, sizeof out->auto_backend, "%s",
           out->uring ? "uring" : out->epoll ? "epoll" : "none");
  if (caps.usable && caps.fixed_bufs)
    snprintf(out->detail, sizeof out->detail, "io_uring usable; buffers registered (fixed)");
  else if (caps.usable)
    snprintf(out->detail, sizeof out->detail,
             "io_uring usable; pool buffers cannot be registered (%s: RLIMIT_MEMLOCK?), "
             "the ring runs without them",
             strerror(caps.fixed_err));
  else
    snprintf(out->detail, sizeof out->detail, "uring not usable: %s; %s", caps.why,
             out->epoll ? "epoll serves" : "epoll unavailable too");
  return 0;
}
