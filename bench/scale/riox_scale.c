/* riox-scale: what many idle sockets cost riox on one loop (Linux).
 *
 *   riox-scale [--sockets N] [--backend NAME] [--json]
 *
 * Raises RLIMIT_NOFILE as far as the host allows, opens N UDP sockets on
 * 127.0.0.1 on one loop, posts one receive on each, and reports the resident
 * memory they added per socket (the loop and its buffer pool are created
 * before the first measurement, so the pool's buffers are not counted: the
 * figure is riox's own state plus what the process pays per socket), how
 * long opening and posting took, and that the receives are live: a datagram
 * sent to every 1000th socket (and the last) must come back as its RECV
 * event. Exit status 0 when every probe datagram arrived, 1 otherwise, 2
 * for bad options. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "riox.h"

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long rss_bytes(void) {
  long pages = 0, resident = 0;
  FILE *f = fopen("/proc/self/statm", "r");
  if (f == NULL) return -1;
  if (fscanf(f, "%ld %ld", &pages, &resident) != 2) resident = -1;
  fclose(f);
  return resident < 0 ? -1 : resident * sysconf(_SC_PAGESIZE);
}

/* As many descriptors as asked for, if the host allows (root may raise the
 * hard limit up to fs.nr_open). Returns the soft limit in force. */
static unsigned long raise_nofile(unsigned long want) {
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0) return 0;
  if (rl.rlim_cur >= want) return (unsigned long)rl.rlim_cur;
  rl.rlim_cur = want;
  if (rl.rlim_max < want) rl.rlim_max = want;
  if (setrlimit(RLIMIT_NOFILE, &rl) != 0) {
    (void)getrlimit(RLIMIT_NOFILE, &rl);
    rl.rlim_cur = rl.rlim_max;
    (void)setrlimit(RLIMIT_NOFILE, &rl);
  }
  (void)getrlimit(RLIMIT_NOFILE, &rl);
  return (unsigned long)rl.rlim_cur;
}

int main(int argc, char **argv) {
  unsigned long n = 100000, limit, i, opened = 0, probes = 0, got = 0;
  const char *backend = "auto";
  int json = 0, rc, a;
  riox_loop_config cfg;
  riox_loop *loop;
  riox_sock **socks;
  riox_addr lo;
  long rss0, rss1;
  double t0, t_open, t_live;
  for (a = 1; a < argc; a++) {
    if (strcmp(argv[a], "--sockets") == 0 && a + 1 < argc) {
      n = strtoul(argv[++a], NULL, 10);
    } else if (strcmp(argv[a], "--backend") == 0 && a + 1 < argc) {
      backend = argv[++a];
    } else if (strcmp(argv[a], "--json") == 0) {
      json = 1;
    } else {
      fprintf(stderr, "usage: riox-scale [--sockets N] [--backend NAME] [--json]\n");
      return 2;
    }
  }
  if (n == 0 || n > 1000000) {
    fprintf(stderr, "riox-scale: --sockets must be 1..1000000\n");
    return 2;
  }
  limit = raise_nofile(n + 64);
  if (limit < n + 16) {
    fprintf(stderr, "riox-scale: only %lu descriptors allowed here (RLIMIT_NOFILE); using %lu sockets\n",
            limit, limit > 64 ? limit - 64 : 1);
    n = limit > 64 ? limit - 64 : 1;
  }
  riox_loop_config_init(&cfg);
  cfg.backend = backend;
  cfg.buf_size = 64;
  cfg.buf_count = (uint32_t)n + 16;
  cfg.max_requests = (uint32_t)n + 64;
  rc = riox_loop_create(&cfg, &loop);
  if (rc < 0) {
    fprintf(stderr, "riox-scale: riox_loop_create: %s (%s)\n", riox_strerror(rc), riox_last_detail());
    return rc == RIOX_ENOTSUP ? 3 : 1;
  }
  socks = (riox_sock **)calloc(n, sizeof *socks);
  if (socks == NULL) return 1;
  (void)riox_addr_parse("127.0.0.1", 0, &lo);
  rss0 = rss_bytes();
  t0 = now_s();
  for (i = 0; i < n; i++) {
    char *buf;
    rc = riox_udp_open(loop, &lo, NULL, 0, NULL, &socks[i]);
    if (rc == 0) rc = riox_buf_get(loop, &buf);
    if (rc == 0) rc = riox_recv(socks[i], buf, cfg.buf_size, NULL);
    if (rc < 0) {
      fprintf(stderr, "riox-scale: socket %lu: %s (%s)\n", i, riox_strerror(rc), riox_last_detail());
      break;
    }
    opened++;
  }
  {
    riox_event ev[64];
    (void)riox_wait(loop, ev, 64, 0); /* posts reach the backend */
  }
  t_open = now_s() - t0;
  rss1 = rss_bytes();
  /* Liveness: one datagram to every 1000th socket and the last. */
  t0 = now_s();
  {
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    for (i = 0; i < opened; i += (i + 1000 < opened || i == opened - 1) ? 1000 : opened - 1 - i) {
      riox_addr local;
      struct sockaddr_in sin;
      if (riox_sock_local(socks[i], &local) < 0) break;
      memset(&sin, 0, sizeof sin);
      sin.sin_family = AF_INET;
      sin.sin_port = htons(local.port);
      memcpy(&sin.sin_addr, local.ip, 4);
      if (sendto(fd, "x", 1, 0, (struct sockaddr *)&sin, sizeof sin) == 1) probes++;
      if (i == opened - 1) break;
    }
    close(fd);
  }
  while (got < probes && now_s() - t0 < 10.0) {
    riox_event ev[64];
    int k, m = riox_wait(loop, ev, 64, 100);
    for (k = 0; k < m; k++)
      if (ev[k].type == RIOX_EV_RECV && ev[k].status == 0 && ev[k].len == 1) got++;
  }
  t_live = now_s() - t0;
  if (json)
    printf("{\"tool\":\"riox-scale\",\"backend\":\"%s\",\"sockets\":%lu,\"rss_bytes_per_socket\":%.1f,"
           "\"open_and_post_s\":%.3f,\"probes\":%lu,\"probes_received\":%lu,\"probe_s\":%.3f}\n",
           riox_loop_backend(loop), opened,
           opened ? (double)(rss1 - rss0) / (double)opened : 0.0, t_open, probes, got, t_live);
  else
    printf("riox-scale on %s: %lu UDP sockets with a receive posted on each\n"
           "  resident memory added  %.0f bytes per socket (buffers excluded)\n"
           "  open + post            %.3f s\n"
           "  live receives          %lu of %lu probe datagrams came back as RECV events (%.3f s)\n",
           riox_loop_backend(loop), opened,
           opened ? (double)(rss1 - rss0) / (double)opened : 0.0, t_open, got, probes, t_live);
  riox_loop_close(loop);
  free(socks);
  return got == probes && opened == n ? 0 : 1;
}
