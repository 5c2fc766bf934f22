/* bl_common.c - command line, ready line and listening sockets of the native
 * echo baselines (see bl_common.h). */
#define _GNU_SOURCE
#include "bl_common.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static void bl__usage(const char *prog, FILE *f) {
  fprintf(f,
          "usage: %s [--udp PORT] [--tcp PORT] [--bind ADDR] [--seconds N]\n"
          "       %*s [--udp-sockets N] [--quiet]\n"
          "  --udp PORT        serve UDP echo on PORT (0 = ephemeral)\n"
          "  --tcp PORT        serve TCP echo on PORT (0 = ephemeral)\n"
          "  --bind ADDR       local IP (default 0.0.0.0; \"::\" serves IPv6 and IPv4)\n"
          "  --seconds N       exit after N seconds (default: run until SIGINT/SIGTERM)\n"
          "  --udp-sockets N   UDP sockets sharing the port with SO_REUSEPORT (default 1)\n"
          "  --quiet           no statistics line on stderr at exit\n"
          "A protocol not given is not served; at least one is needed.\n",
          prog, (int)strlen(prog), "");
}

static int bl__long(const char *prog, const char *opt, const char *v, long lo, long hi,
                    long *out) {
  char *end = NULL;
  long x;
  if (v == NULL) {
    fprintf(stderr, "%s: %s needs a value\n", prog, opt);
    return -1;
  }
  errno = 0;
  x = strtol(v, &end, 10);
  if (errno != 0 || end == v || *end != '\0' || x < lo || x > hi) {
    fprintf(stderr, "%s: %s '%s' is not a number in %ld..%ld\n", prog, opt, v, lo, hi);
    return -1;
  }
  *out = x;
  return 0;
}

int bl_parse_args(const char *prog, int argc, char **argv, bl_opts *o) {
  int i;
  memset(o, 0, sizeof *o);
  o->udp_port = o->tcp_port = -1;
  o->bind = "0.0.0.0";
  o->udp_sockets = 1;
  for (i = 1; i < argc; i++) {
    const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    int rc;
    if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
      bl__usage(prog, stdout);
      exit(0);
    } else if (strcmp(a, "--quiet") == 0) {
      o->quiet = 1;
      continue;
    } else if (strcmp(a, "--udp") == 0) {
      rc = bl__long(prog, a, v, 0, 65535, &o->udp_port);
    } else if (strcmp(a, "--tcp") == 0) {
      rc = bl__long(prog, a, v, 0, 65535, &o->tcp_port);
    } else if (strcmp(a, "--seconds") == 0) {
      rc = bl__long(prog, a, v, 1, 86400L * 365, &o->seconds);
    } else if (strcmp(a, "--udp-sockets") == 0) {
      rc = bl__long(prog, a, v, 1, BL_UDP_SOCKETS_MAX, &o->udp_sockets);
    } else if (strcmp(a, "--bind") == 0) {
      rc = v != NULL ? 0 : -1;
      if (v == NULL) fprintf(stderr, "%s: --bind needs a value\n", prog);
      o->bind = v;
    } else {
      fprintf(stderr, "%s: unknown option '%s'\n", prog, a);
      rc = -1;
    }
    if (rc < 0) {
      bl__usage(prog, stderr);
      return -1;
    }
    i++;
  }
  if (o->udp_port < 0 && o->tcp_port < 0) {
    fprintf(stderr, "%s: nothing to serve: give --udp PORT and/or --tcp PORT\n", prog);
    bl__usage(prog, stderr);
    return -1;
  }
  return 0;
}

/* o->bind:port as a sockaddr; the family follows the literal. */
static int bl__addr(const char *prog, const char *ip, unsigned port,
                    struct sockaddr_storage *ss, socklen_t *len) {
  struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
  struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;
  memset(ss, 0, sizeof *ss);
  if (inet_pton(AF_INET, ip, &a4->sin_addr) == 1) {
    a4->sin_family = AF_INET;
    a4->sin_port = htons((unsigned short)port);
    *len = sizeof *a4;
    return 0;
  }
  if (inet_pton(AF_INET6, ip, &a6->sin6_addr) == 1) {
    a6->sin6_family = AF_INET6;
    a6->sin6_port = htons((unsigned short)port);
    *len = sizeof *a6;
    return 0;
  }
  fprintf(stderr, "%s: --bind '%s' is not an IPv4 or IPv6 address\n", prog, ip);
  return -1;
}

static unsigned bl__port_of(int fd) {
  struct sockaddr_storage ss;
  socklen_t len = sizeof ss;
  if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0) return 0;
  if (ss.ss_family == AF_INET6) return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
  return ntohs(((struct sockaddr_in *)&ss)->sin_port);
}

/* A socket bound to ss, with the options every baseline wants. */
static int bl__bound(const char *prog, const char *what, int type, int nonblock, int reuseport,
                     const struct sockaddr_storage *ss, socklen_t len) {
  int one = 1, zero = 0;
  int fd = socket(ss->ss_family, type | SOCK_CLOEXEC | (nonblock ? SOCK_NONBLOCK : 0), 0);
  if (fd < 0) {
    fprintf(stderr, "%s: %s socket: %s\n", prog, what, strerror(errno));
    return -1;
  }
  /* "::" serves IPv4 too, as riox-echo does. */
  if (ss->ss_family == AF_INET6) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero);
  if (type == SOCK_STREAM) setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (reuseport && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0) {
    fprintf(stderr, "%s: %s SO_REUSEPORT: %s\n", prog, what, strerror(errno));
    close(fd);
    return -1;
  }
  if (bind(fd, (const struct sockaddr *)ss, len) != 0) {
    fprintf(stderr, "%s: cannot bind %s: %s\n", prog, what, strerror(errno));
    close(fd);
    return -1;
  }
  return fd;
}

int bl_udp_open(const char *prog, const bl_opts *o, int nonblock, int *fds, unsigned *port) {
  struct sockaddr_storage ss;
  socklen_t len;
  long i, n = o->udp_sockets;
  if (bl__addr(prog, o->bind, (unsigned)o->udp_port, &ss, &len) < 0) return -1;
  for (i = 0; i < n; i++) {
    fds[i] = bl__bound(prog, "UDP", SOCK_DGRAM, nonblock, n > 1, &ss, len);
    if (fds[i] < 0) {
      while (i-- > 0) close(fds[i]);
      return -1;
    }
    /* With port 0 the first bind picks the port; the others join it. */
    if (i == 0) {
      *port = bl__port_of(fds[0]);
      if (ss.ss_family == AF_INET6) ((struct sockaddr_in6 *)&ss)->sin6_port = htons((unsigned short)*port);
      else ((struct sockaddr_in *)&ss)->sin_port = htons((unsigned short)*port);
    }
  }
  return 0;
}

int bl_tcp_listen(const char *prog, const bl_opts *o, int nonblock, int *fd, unsigned *port) {
  struct sockaddr_storage ss;
  socklen_t len;
  if (bl__addr(prog, o->bind, (unsigned)o->tcp_port, &ss, &len) < 0) return -1;
  *fd = bl__bound(prog, "TCP", SOCK_STREAM, nonblock, 0, &ss, len);
  if (*fd < 0) return -1;
  if (listen(*fd, SOMAXCONN) != 0) {
    fprintf(stderr, "%s: listen: %s\n", prog, strerror(errno));
    close(*fd);
    return -1;
  }
  *port = bl__port_of(*fd);
  return 0;
}

void bl_ready(const char *backend, unsigned udp_port, unsigned tcp_port) {
  printf("ready backend=%s udp=%u tcp=%u\n", backend, udp_port, tcp_port);
  fflush(stdout);
}

int bl_signal_fd(const char *prog) {
  sigset_t set;
  int fd;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  /* Blocked first, so a signal arriving before the loop waits stays
   * pending and shows up on the fd instead of killing the process. */
  if (sigprocmask(SIG_BLOCK, &set, NULL) != 0) {
    fprintf(stderr, "%s: sigprocmask: %s\n", prog, strerror(errno));
    return -1;
  }
  fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
  if (fd < 0) fprintf(stderr, "%s: signalfd: %s\n", prog, strerror(errno));
  return fd;
}

void bl_no_sigpipe(void) { signal(SIGPIPE, SIG_IGN); }

long long bl_now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
