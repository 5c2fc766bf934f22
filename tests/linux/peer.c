#include "peer.h"

#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int peer_udp_send(const riox_addr *to, const void *data, size_t len) {
  struct sockaddr_storage ss;
  socklen_t sl;
  ssize_t n;
  int fd;
  memset(&ss, 0, sizeof ss);
  if (to->family == RIOX_AF_INET6) {
    struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
    s6->sin6_family = AF_INET6;
    s6->sin6_port = htons(to->port);
    memcpy(&s6->sin6_addr, to->ip, 16);
    sl = sizeof *s6;
  } else {
    struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
    s4->sin_family = AF_INET;
    s4->sin_port = htons(to->port);
    memcpy(&s4->sin_addr, to->ip, 4);
    sl = sizeof *s4;
  }
  fd = socket(ss.ss_family, SOCK_DGRAM, 0);
  if (fd < 0) return -1;
  n = sendto(fd, data, len, 0, (struct sockaddr *)&ss, sl);
  close(fd);
  return n == (ssize_t)len ? 0 : -1;
}
