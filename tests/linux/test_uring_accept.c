/* A completion listener under load, and closed with connections it took
 * but handed to no one (uring: the multishot accept's backlog; run also
 * with RIOX_URING_NO_MULTISHOT=1 for the single-shot accepts, and on epoll).
 *  1. Storm: 200 raw clients connect, one after the other, to a listener
 *     of accept depth 4: each connection is accepted exactly once (one
 *     ACCEPT event per client, its peer address that client's), in the
 *     order the clients connected, and each accepted connection carries
 *     its client's bytes. After closing everything the process has the
 *     same descriptors as before the loop existed (/proc/self/fd).
 *  2. Starved accepts: depth 4 but only 3 request slots, so the listener
 *     runs short of posted accepts and retries on its back-off timer; 24
 *     clients connect at once. Connections arrive faster than accepts are
 *     posted (under multishot they wait in the backlog). Closing the
 *     listener then ends every posted accept and drops every connection
 *     taken but not handed out (the client sees the end of the stream or a
 *     reset, none hangs), no event follows the CLOSE, nothing stays in use,
 *     and no descriptor leaks.
 *  3. Out of descriptors (RLIMIT_NOFILE lowered): a client that connects
 *     then is not accepted, the listener survives (the failure is reported
 *     once as RIOX_EV_ERROR and the core's back-off retries: accept4 and the
 *     ring's accepts fail when they run, and re-posting at once would spin
 *     inside riox_wait), and once descriptors are back the client is
 *     accepted. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "harness.h"

#define STORM 200
#define STARVED 24

static h_log evlog;

static int fd_count(void) {
  DIR *d = opendir("/proc/self/fd");
  struct dirent *e;
  int n = 0;
  if (d == NULL) return -1;
  while ((e = readdir(d)) != NULL)
    if (e->d_name[0] != '.') n++;
  closedir(d);
  return n - 1; /* the directory's own descriptor */
}

/* A blocking raw client connected to port (the kernel completes the
 * handshake; the listener accepts later). Its local port in *lport. */
static int raw_connect(uint16_t port, uint16_t *lport) {
  struct sockaddr_in sa;
  socklen_t len = sizeof sa;
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  memset(&sa, 0, sizeof sa);
  sa.sin_family = AF_INET;
  sa.sin_port = htons(port);
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0 ||
      getsockname(fd, (struct sockaddr *)&sa, &len) != 0) {
    close(fd);
    return -1;
  }
  *lport = ntohs(sa.sin_port);
  return fd;
}

static int listen_on(riox_loop *loop, riox_sock **lis, uint16_t *port) {
  riox_addr la = h_v4(0), addr;
  H_OK(riox_tcp_listen(loop, &la, 512, 0, NULL, lis));
  H_OK(riox_sock_local(*lis, &addr));
  *port = addr.port;
  return 0;
}

/* Run the loop until lis has its CLOSE; nothing of lis may follow it. */
static int until_closed(riox_loop *loop, riox_sock *lis, h_log *log) {
  uint64_t until = h_now_ms() + 10000;
  int i, closed = -1;
  while (closed < 0) {
    H_CHECK(h_now_ms() < until);
    h_collect(loop, 0, 1 << 30, log, 50);
    for (i = 0; i < log->n && closed < 0; i++)
      if (log->ev[i].type == RIOX_EV_CLOSE && log->ev[i].sock == lis) closed = i;
  }
  h_collect(loop, 0, 1 << 30, log, 200);
  for (i = closed + 1; i < log->n; i++)
    if (log->ev[i].sock == lis) {
      H_FAIL("event type %u of the listener after its CLOSE", log->ev[i].type);
      return 1;
    }
  return 0;
}

/* Close every accepted connection in log and wait for their CLOSEs. */
static int close_accepted(riox_loop *loop, h_log *log) {
  int i, n = 0, got;
  h_log closes;
  for (i = 0; i < log->n; i++)
    if (log->ev[i].type == RIOX_EV_ACCEPT && log->ev[i].status == 0) {
      H_OK(riox_close(log->ev[i].accepted));
      n++;
    }
  closes.n = 0;
  got = h_collect(loop, RIOX_EV_CLOSE, n, &closes, 10000);
  H_EQ(got, n);
  return 0;
}

/* 1. */
static int storm(void) {
  riox_loop_config cfg;
  riox_loop *loop;
  riox_sock *lis;
  riox_stats st;
  uint16_t port, lports[STORM];
  int fds[STORM], before = fd_count(), i, k, accepted = 0;
  H_CHECK(before > 0);
  h_config(&cfg);
  cfg.accept_depth = 4;
  H_OK(h_loop(&loop, &cfg));
  if (listen_on(loop, &lis, &port) != 0) return 1;
  evlog.n = 0;
  for (i = 0; i < STORM; i++) {
    fds[i] = raw_connect(port, &lports[i]);
    H_CHECK(fds[i] >= 0);
    H_EQ(write(fds[i], &i, sizeof i), (long)sizeof i);
    /* Let the loop run now and then, so that accepts happen while
     * connections keep coming, and at other times pile up. */
    if (i % 16 == 15) (void)h_collect(loop, RIOX_EV_ACCEPT, 1 << 30, &evlog, 1);
  }
  accepted = 0;
  for (k = 0; k < evlog.n; k++) accepted += evlog.ev[k].type == RIOX_EV_ACCEPT;
  if (accepted < STORM)
    accepted += h_collect(loop, RIOX_EV_ACCEPT, STORM - accepted, &evlog, 10000);
  H_EQ(accepted, STORM);
  /* One ACCEPT per client, in the order they connected. */
  for (k = 0, i = 0; k < evlog.n; k++) {
    riox_event *e = &evlog.ev[k];
    if (e->type != RIOX_EV_ACCEPT) continue;
    H_EQ(e->status, 0);
    H_CHECK(e->sock == lis && e->accepted != NULL);
    H_CHECK(i < STORM);
    if (e->addr.port != lports[i]) {
      H_FAIL("ACCEPT %d is the client from port %u, expected the %d-th client's port %u", i,
             e->addr.port, i, lports[i]);
      return 1;
    }
    i++;
  }
  /* The first accepted connection carries client 0's bytes, the last the
   * last client's. */
  for (k = 0; k < 2; k++) {
    int want = k == 0 ? 0 : STORM - 1, idx = -1, j, seen = 0;
    riox_sock *conn = NULL;
    riox_event ev;
    char *buf;
    for (j = 0; j < evlog.n; j++)
      if (evlog.ev[j].type == RIOX_EV_ACCEPT && seen++ == want) conn = evlog.ev[j].accepted;
    H_CHECK(conn != NULL);
    H_OK(riox_buf_get(loop, &buf));
    H_OK(riox_recv(conn, buf, sizeof idx, NULL));
    H_EQ(h_wait_for(loop, RIOX_EV_RECV, conn, &ev, NULL, 10000), 0);
    H_EQ(ev.status, 0);
    H_EQ(ev.len, sizeof idx);
    memcpy(&idx, ev.data, sizeof idx);
    H_EQ(idx, want);
    H_OK(riox_buf_put(loop, buf));
  }
  if (close_accepted(loop, &evlog) != 0) return 1;
  H_OK(riox_close(lis));
  evlog.n = 0;
  if (until_closed(loop, lis, &evlog) != 0) return 1;
  riox_loop_stats(loop, &st);
  H_EQ(st.req_in_use, 0);
  printf("storm: %d connections accepted once each, in order; %llu accepts counted\n", STORM,
         (unsigned long long)st.accepts);
  riox_loop_close(loop);
  for (i = 0; i < STORM; i++) close(fds[i]);
  H_EQ(fd_count(), before);
  return 0;
}

/* Whether raw client fd was dropped: it reads the end of the stream or a
 * reset (within 5 s). */
static int dropped(int fd) {
  struct pollfd p;
  char c;
  p.fd = fd;
  p.events = POLLIN;
  if (poll(&p, 1, 5000) != 1) return 0;
  return read(fd, &c, 1) <= 0;
}

/* 2. */
static int starved(void) {
  riox_loop_config cfg;
  riox_loop *loop;
  riox_sock *lis;
  riox_stats st;
  uint16_t port, lports[STARVED];
  int fds[STARVED], before = fd_count(), i, k, accepted = 0, lost = 0;
  H_CHECK(before > 0);
  h_config(&cfg);
  cfg.accept_depth = 4;
  cfg.max_requests = 3; /* fewer slots than the depth: the listener retries */
  H_OK(h_loop(&loop, &cfg));
  if (listen_on(loop, &lis, &port) != 0) return 1;
  (void)h_collect(loop, 0, 1 << 30, &evlog, 20);
  for (i = 0; i < STARVED; i++) {
    fds[i] = raw_connect(port, &lports[i]);
    H_CHECK(fds[i] >= 0);
  }
  /* Some accepts complete; the rest wait (backlog, listen queue). */
  evlog.n = 0;
  (void)h_collect(loop, RIOX_EV_ACCEPT, 6, &evlog, 3000);
  H_OK(riox_close(lis));
  if (until_closed(loop, lis, &evlog) != 0) return 1;
  for (k = 0, i = 0; k < evlog.n; k++) {
    riox_event *e = &evlog.ev[k];
    if (e->type == RIOX_EV_ERROR) continue; /* a reported accept failure (no slots) */
    if (e->type == RIOX_EV_CLOSE) continue;
    H_EQ(e->type, RIOX_EV_ACCEPT);
    H_EQ(e->status, 0);
    H_CHECK(i < STARVED);
    H_EQ(e->addr.port, lports[i]); /* in connect order, backlog or not */
    i++;
  }
  accepted = i;
  H_CHECK(accepted >= 1);
  H_CHECK(accepted < STARVED);
  /* Every client not accepted is dropped, not left hanging. */
  for (i = accepted; i < STARVED; i++) {
    if (!dropped(fds[i])) {
      H_FAIL("client %d (port %u) was neither accepted nor dropped", i, lports[i]);
      return 1;
    }
    lost++;
  }
  if (close_accepted(loop, &evlog) != 0) return 1;
  riox_loop_stats(loop, &st);
  H_EQ(st.req_in_use, 0);
  printf("starved: %d accepted, %d dropped at the listener's close\n", accepted, lost);
  riox_loop_close(loop);
  for (i = 0; i < STARVED; i++) close(fds[i]);
  H_EQ(fd_count(), before);
  return 0;
}

/* 3. */
static int no_fds(void) {
  riox_loop_config cfg;
  riox_loop *loop;
  riox_sock *lis;
  riox_stats st;
  struct rlimit old, low;
  uint16_t port, lport;
  int before = fd_count(), fd, k, accepts = 0, errors = 0;
  H_CHECK(before > 0);
  h_config(&cfg);
  cfg.accept_depth = 2;
  H_OK(h_loop(&loop, &cfg));
  fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0); /* the client, made before the limit */
  H_CHECK(fd >= 0);
  H_EQ(getrlimit(RLIMIT_NOFILE, &old), 0);
  low = old;
  {
    /* The lowest free number, plus one for the listener: with the limit
     * there, no number is left for a connection. The limit is set before
     * the accepts are posted: io_uring reads it when it prepares one. */
    int probe = dup(0);
    H_CHECK(probe >= 0);
    close(probe);
    low.rlim_cur = (rlim_t)probe + 1;
  }
  H_EQ(setrlimit(RLIMIT_NOFILE, &low), 0);
  if (listen_on(loop, &lis, &port) != 0) {
    (void)setrlimit(RLIMIT_NOFILE, &old);
    return 1;
  }
  {
    struct sockaddr_in sa;
    socklen_t len = sizeof sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons(port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    H_EQ(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    H_EQ(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
    lport = ntohs(sa.sin_port);
  }
  evlog.n = 0;
  (void)h_collect(loop, RIOX_EV_ACCEPT, 1, &evlog, 300);
  H_EQ(setrlimit(RLIMIT_NOFILE, &old), 0);
  for (k = 0; k < evlog.n; k++) {
    accepts += evlog.ev[k].type == RIOX_EV_ACCEPT;
    errors += evlog.ev[k].type == RIOX_EV_ERROR;
  }
  H_EQ(accepts, 0);
  /* The streak is reported once, and the listener backs off rather than
   * spin (every backend: the accepts fail when they run, tcp.c,
   * tcp_accept_completed). */
  H_EQ(errors, 1);
  (void)h_collect(loop, RIOX_EV_ACCEPT, 1, &evlog, 5000);
  for (k = 0, accepts = 0; k < evlog.n; k++) {
    if (evlog.ev[k].type != RIOX_EV_ACCEPT) continue;
    H_EQ(evlog.ev[k].status, 0);
    H_EQ(evlog.ev[k].addr.port, lport);
    accepts++;
  }
  H_EQ(accepts, 1);
  printf("no fds: %d error report(s), then accepted\n", errors);
  if (close_accepted(loop, &evlog) != 0) return 1;
  H_OK(riox_close(lis));
  evlog.n = 0;
  if (until_closed(loop, lis, &evlog) != 0) return 1;
  riox_loop_stats(loop, &st);
  H_EQ(st.req_in_use, 0);
  riox_loop_close(loop);
  close(fd);
  H_EQ(fd_count(), before);
  return 0;
}

static int body(void) {
  if (storm() != 0) return 1;
  if (starved() != 0) return 1;
  return no_fds();
}

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  return h_run("uring_accept", body);
}
