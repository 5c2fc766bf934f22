/* gso_echo_client: an independent Linux check of riox-echo --offload on.
 * Plain POSIX sockets, no riox: each burst is one sendmsg with UDP_SEGMENT
 * (udp(7)) carrying n datagrams of `seg` bytes (the last maybe shorter),
 * and every datagram must come back with its own boundary and bytes, in
 * order. The client's socket has UDP_GRO, so an echo that went back as one
 * segmented send arrives coalesced (gso_size in the UDP_GRO control
 * message); --expect-coalesced demands that for every burst of more than
 * one datagram (an echo split into single datagrams would arrive as such).
 *
 *   gso_echo_client --host IP --port PORT [--bursts N] [--expect-coalesced]
 *
 * Exit: 0 all bursts echoed; 1 a datagram was wrong, missing or late
 * (5 s); 77 the kernel has no UDP_SEGMENT/UDP_GRO (nothing to check). */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103
#endif
#ifndef UDP_GRO
#define UDP_GRO 104
#endif

#define MAX_BURST 65507u

static uint8_t pattern_byte(unsigned burst, unsigned dgram, unsigned k) {
  return (uint8_t)(burst * 131u + dgram * 31u + k * 7u + (k >> 8));
}

static void fill(uint8_t *p, unsigned burst, unsigned seg, unsigned len) {
  unsigned off;
  for (off = 0; off < len; off++) p[off] = pattern_byte(burst, off / seg, off % seg);
}

static long long now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int main(int argc, char **argv) {
  const char *host = NULL;
  unsigned port = 0, bursts = 200, b;
  int expect = 0, fd, i, on = 1;
  struct sockaddr_in to;
  static uint8_t sbuf[MAX_BURST], rbuf[65536];
  unsigned coalesced = 0, datagrams = 0;
  for (i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--host") == 0 && i + 1 < argc) host = argv[++i];
    else if (strcmp(argv[i], "--port") == 0 && i + 1 < argc) port = (unsigned)atoi(argv[++i]);
    else if (strcmp(argv[i], "--bursts") == 0 && i + 1 < argc) bursts = (unsigned)atoi(argv[++i]);
    else if (strcmp(argv[i], "--expect-coalesced") == 0) expect = 1;
    else {
      fprintf(stderr, "gso_echo_client: unknown argument '%s'\n", argv[i]);
      return 2;
    }
  }
  if (host == NULL || port == 0 || port > 65535) {
    fprintf(stderr, "usage: gso_echo_client --host IP --port PORT [--bursts N] [--expect-coalesced]\n");
    return 2;
  }
  memset(&to, 0, sizeof to);
  to.sin_family = AF_INET;
  to.sin_port = htons((uint16_t)port);
  if (inet_pton(AF_INET, host, &to.sin_addr) != 1) {
    fprintf(stderr, "gso_echo_client: bad IPv4 address '%s'\n", host);
    return 2;
  }
  fd = socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP);
  if (fd < 0) {
    perror("socket");
    return 1;
  }
  if (setsockopt(fd, IPPROTO_UDP, UDP_GRO, &on, sizeof on) != 0) {
    printf("gso_echo_client: no UDP_GRO here (%s): skipped\n", strerror(errno));
    return 77;
  }
  {
    int big = 8 << 20;
    (void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof big);
  }
  for (b = 0; b < bursts; b++) {
    /* Segment sizes from 1 byte to 8 KB, 1..64 datagrams, the last one
     * sometimes shorter; never beyond the UDP maximum. */
    static const unsigned segs[] = {1, 7, 100, 512, 1200, 1400, 1472, 3000, 8000};
    unsigned seg = segs[b % (sizeof segs / sizeof segs[0])];
    unsigned n = 1 + (b * 7u) % 64u, len, got = 0, dg = 0;
    long long deadline;
    struct msghdr m;
    struct iovec iov;
    union {
      char buf[CMSG_SPACE(sizeof(uint16_t))];
      struct cmsghdr align;
    } ctl;
    if ((unsigned long)seg * n > MAX_BURST) n = MAX_BURST / seg;
    len = seg * n;
    if (b % 3 == 1 && seg > 1) len -= seg / 2; /* a shorter last datagram */
    fill(sbuf, b, seg, len);
    memset(&m, 0, sizeof m);
    iov.iov_base = sbuf;
    iov.iov_len = len;
    m.msg_name = &to;
    m.msg_namelen = sizeof to;
    m.msg_iov = &iov;
    m.msg_iovlen = 1;
    if (n > 1) {
      struct cmsghdr *c;
      uint16_t s16 = (uint16_t)seg;
      memset(&ctl, 0, sizeof ctl);
      m.msg_control = ctl.buf;
      m.msg_controllen = sizeof ctl.buf;
      c = CMSG_FIRSTHDR(&m);
      c->cmsg_level = SOL_UDP;
      c->cmsg_type = UDP_SEGMENT;
      c->cmsg_len = CMSG_LEN(sizeof s16);
      memcpy(CMSG_DATA(c), &s16, sizeof s16);
    }
    if (sendmsg(fd, &m, 0) != (ssize_t)len) {
      if (n > 1 && (errno == EINVAL || errno == ENOPROTOOPT) && b == 0) {
        printf("gso_echo_client: no UDP_SEGMENT here (%s): skipped\n", strerror(errno));
        return 77;
      }
      fprintf(stderr, "gso_echo_client: burst %u: sendmsg of %u bytes: %s\n", b, len, strerror(errno));
      return 1;
    }
    deadline = now_ms() + 5000;
    while (got < len) {
      struct pollfd pfd;
      union {
        char buf[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
      } rctl;
      struct cmsghdr *c;
      ssize_t r;
      unsigned gso = 0, p;
      long long left = deadline - now_ms();
      pfd.fd = fd;
      pfd.events = POLLIN;
      if (left <= 0 || poll(&pfd, 1, (int)left) <= 0) {
        fprintf(stderr,
                "gso_echo_client: burst %u (%u datagrams of %u, %u bytes): only %u bytes came back\n",
                b, n, seg, len, got);
        return 1;
      }
      memset(&m, 0, sizeof m);
      iov.iov_base = rbuf;
      iov.iov_len = sizeof rbuf;
      m.msg_iov = &iov;
      m.msg_iovlen = 1;
      m.msg_control = rctl.buf;
      m.msg_controllen = sizeof rctl.buf;
      r = recvmsg(fd, &m, 0);
      if (r < 0) {
        if (errno == EINTR || errno == EAGAIN) continue;
        fprintf(stderr, "gso_echo_client: burst %u: recvmsg: %s\n", b, strerror(errno));
        return 1;
      }
      for (c = CMSG_FIRSTHDR(&m); c != NULL; c = CMSG_NXTHDR(&m, c)) {
        if (c->cmsg_level == SOL_UDP && c->cmsg_type == UDP_GRO) {
          int v;
          memcpy(&v, CMSG_DATA(c), sizeof v);
          gso = (unsigned)v;
        }
      }
      if (gso == 0 || gso >= (unsigned)r) gso = (unsigned)r; /* one datagram */
      else coalesced++;
      if (m.msg_flags & MSG_TRUNC) {
        fprintf(stderr, "gso_echo_client: burst %u: a receive was truncated\n", b);
        return 1;
      }
      /* Each datagram in it: the next one of the burst, size and bytes. */
      for (p = 0; p < (unsigned)r; p += gso) {
        unsigned d = (unsigned)r - p < gso ? (unsigned)r - p : gso;
        unsigned exp = len - got < seg ? len - got : seg;
        if (d != exp) {
          fprintf(stderr, "gso_echo_client: burst %u datagram %u: %u bytes, expected %u\n", b, dg,
                  d, exp);
          return 1;
        }
        if (memcmp(rbuf + p, sbuf + got, d) != 0) {
          fprintf(stderr, "gso_echo_client: burst %u datagram %u: wrong bytes\n", b, dg);
          return 1;
        }
        got += d;
        dg++;
        datagrams++;
      }
      if (expect && n > 1 && len > seg && gso == (unsigned)r && (unsigned)r < len && dg == 1) {
        fprintf(stderr,
                "gso_echo_client: burst %u (%u datagrams of %u): the echo came back as single "
                "datagrams, not as one segmented send\n",
                b, n, seg);
        return 1;
      }
    }
  }
  printf("gso_echo_client: %u bursts, %u datagrams echoed intact, %u coalesced receives\n", bursts,
         datagrams, coalesced);
  return 0;
}
