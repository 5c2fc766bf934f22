/* echo-raw-mmsg: a plain epoll echo server (UDP and TCP), the "what a careful
 * hand-written Linux server does" baseline for riox-echo.
 *
 *   echo-raw-mmsg [--udp PORT] [--tcp PORT] [--bind ADDR] [--seconds N]
 *                 [--udp-sockets N] [--quiet]
 *
 * One thread, one level-triggered epoll set.
 *  - UDP: --udp-sockets sockets (default 1) share the port with SO_REUSEPORT.
 *    A readable socket is drained with recvmmsg(2) in batches of MMSG_BATCH
 *    datagrams, each into its own 64 KiB slot, and the batch goes back with
 *    sendmmsg(2) to the senders (the addresses recvmmsg filled in). If the
 *    send buffer fills, the rest of the batch is held and the socket waits
 *    for EPOLLOUT instead of reading, so no datagram is dropped by us.
 *  - TCP: non-blocking accept4(2); each connection owns one 64 KiB buffer,
 *    echoes what recv(2) gives with send(2), and while bytes are unsent it
 *    waits for EPOLLOUT instead of reading (fixed memory, back-pressure on
 *    the peer). After the peer's FIN, with everything echoed, it closes.
 * Prints "ready backend=raw-mmsg udp=PORT tcp=PORT" when listening. */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bl_common.h"

#define PROG "echo-raw-mmsg"
#define MMSG_BATCH 32  /* datagrams per recvmmsg/sendmmsg call */
#define UDP_ROUNDS 8   /* batches per socket per wakeup before others get a turn */
#define TCP_BUF 65536u /* per-connection echo buffer */
#define TCP_ROUNDS 4   /* recv+send rounds per connection per wakeup */
#define ACCEPTS_PER_WAKEUP 64
#define MAX_EVENTS 256

enum { SRC_UDP, SRC_LISTEN, SRC_CONN, SRC_SIGNAL };

/* What epoll_event.data.ptr points at: every source starts with this. */
typedef struct src {
  int kind;
  int fd;
} src;

typedef struct udp_sock {
  src s;
  unsigned held_off, held_n; /* msgs[held_off..held_n) received but not yet sent */
  struct mmsghdr msgs[MMSG_BATCH];
  struct iovec iov[MMSG_BATCH];
  struct sockaddr_storage peer[MMSG_BATCH];
  unsigned char buf[MMSG_BATCH][BL_DGRAM_MAX];
} udp_sock;

typedef struct conn {
  src s;
  struct conn *prev, *next; /* all open connections, freed at exit */
  size_t off, len;          /* buf[off..len) still to send */
  unsigned char buf[TCP_BUF];
} conn;

static struct {
  int epfd;
  conn *conns;
  unsigned long long udp_in, udp_out, udp_bytes, udp_drops;
  unsigned long long accepts, tcp_bytes, accept_errors;
} g;

static int interest(src *s, int op, unsigned events) {
  struct epoll_event ev;
  memset(&ev, 0, sizeof ev);
  ev.events = events;
  ev.data.ptr = s;
  if (epoll_ctl(g.epfd, op, s->fd, &ev) == 0) return 0;
  fprintf(stderr, PROG ": epoll_ctl: %s\n", strerror(errno));
  return -1;
}

/* ------------------------------------------------------------------ UDP */

/* Sends the held part of the batch. 0 = all gone, 1 = the socket buffer is
 * full (wait for EPOLLOUT). A datagram the kernel refuses for another reason
 * is lost, as UDP allows, and counted. */
static int udp_flush(udp_sock *u) {
  while (u->held_off < u->held_n) {
    int r = sendmmsg(u->s.fd, u->msgs + u->held_off, u->held_n - u->held_off, MSG_DONTWAIT);
    if (r > 0) {
      unsigned k;
      for (k = u->held_off; k < u->held_off + (unsigned)r; k++) g.udp_bytes += u->iov[k].iov_len;
      u->held_off += (unsigned)r;
      g.udp_out += (unsigned)r;
    } else if (errno == EINTR) {
      continue;
    } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
      return 1;
    } else {
      u->held_off++; /* sendmmsg reports the first failing message: skip it */
      g.udp_drops++;
    }
  }
  u->held_off = u->held_n = 0;
  return 0;
}

static void udp_ready(udp_sock *u, unsigned events) {
  int round;
  if (u->held_n > 0) {
    if (!(events & (EPOLLOUT | EPOLLERR))) return;
    if (udp_flush(u) != 0) return;
    if (interest(&u->s, EPOLL_CTL_MOD, EPOLLIN) < 0) return;
  }
  for (round = 0; round < UDP_ROUNDS; round++) {
    int n, k;
    for (k = 0; k < MMSG_BATCH; k++) {
      u->iov[k].iov_len = BL_DGRAM_MAX;
      u->msgs[k].msg_hdr.msg_namelen = sizeof u->peer[k];
    }
    n = recvmmsg(u->s.fd, u->msgs, MMSG_BATCH, MSG_DONTWAIT, NULL);
    if (n <= 0) break; /* EAGAIN: drained; anything else: epoll says again */
    for (k = 0; k < n; k++) u->iov[k].iov_len = u->msgs[k].msg_len;
    g.udp_in += (unsigned)n;
    u->held_off = 0;
    u->held_n = (unsigned)n;
    if (udp_flush(u) != 0) {
      interest(&u->s, EPOLL_CTL_MOD, EPOLLOUT);
      return;
    }
    if (n < MMSG_BATCH) break; /* a short batch: the queue is empty */
  }
}

static udp_sock *udp_new(int fd) {
  udp_sock *u = calloc(1, sizeof *u);
  int k;
  if (u == NULL) return NULL;
  u->s.kind = SRC_UDP;
  u->s.fd = fd;
  for (k = 0; k < MMSG_BATCH; k++) {
    u->iov[k].iov_base = u->buf[k];
    u->msgs[k].msg_hdr.msg_iov = &u->iov[k];
    u->msgs[k].msg_hdr.msg_iovlen = 1;
    u->msgs[k].msg_hdr.msg_name = &u->peer[k];
  }
  return u;
}

/* ------------------------------------------------------------------ TCP */

static void conn_close(conn *c) {
  close(c->s.fd); /* also leaves the epoll set */
  if (c->prev != NULL) c->prev->next = c->next;
  else g.conns = c->next;
  if (c->next != NULL) c->next->prev = c->prev;
  free(c);
}

/* 0 = everything sent, 1 = wait for EPOLLOUT, -1 = the connection is dead. */
static int conn_flush(conn *c) {
  while (c->off < c->len) {
    ssize_t r = send(c->s.fd, c->buf + c->off, c->len - c->off, MSG_DONTWAIT | MSG_NOSIGNAL);
    if (r > 0) {
      c->off += (size_t)r;
      g.tcp_bytes += (size_t)r;
    } else if (r < 0 && errno == EINTR) {
      continue;
    } else if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      return 1;
    } else {
      return -1;
    }
  }
  c->off = c->len = 0;
  return 0;
}

static void conn_ready(conn *c) {
  int round;
  if (c->off < c->len) {
    int r = conn_flush(c);
    if (r != 0) {
      if (r < 0) conn_close(c);
      return;
    }
    if (interest(&c->s, EPOLL_CTL_MOD, EPOLLIN) < 0) {
      conn_close(c);
      return;
    }
  }
  for (round = 0; round < TCP_ROUNDS; round++) {
    ssize_t n = recv(c->s.fd, c->buf, TCP_BUF, MSG_DONTWAIT);
    int r;
    if (n == 0) { /* the peer's FIN, and nothing is left to echo */
      conn_close(c);
      return;
    }
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return;
      conn_close(c); /* reset or error */
      return;
    }
    c->off = 0;
    c->len = (size_t)n;
    r = conn_flush(c);
    if (r < 0 || (r > 0 && interest(&c->s, EPOLL_CTL_MOD, EPOLLOUT) < 0)) {
      conn_close(c);
      return;
    }
    if (r > 0) return;
  }
}

static void accept_ready(src *l) {
  int k;
  for (k = 0; k < ACCEPTS_PER_WAKEUP; k++) {
    conn *c;
    int fd = accept4(l->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED || errno == EPROTO) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) g.accept_errors++;
      return; /* EMFILE and friends: the listener stays, epoll retries */
    }
    c = malloc(sizeof *c);
    if (c == NULL) {
      close(fd);
      g.accept_errors++;
      return;
    }
    c->s.kind = SRC_CONN;
    c->s.fd = fd;
    c->off = c->len = 0;
    c->prev = NULL;
    c->next = g.conns;
    if (g.conns != NULL) g.conns->prev = c;
    g.conns = c;
    g.accepts++;
    if (interest(&c->s, EPOLL_CTL_ADD, EPOLLIN) < 0) conn_close(c);
  }
}

/* ------------------------------------------------------------------ main */

int main(int argc, char **argv) {
  bl_opts o;
  udp_sock *udp[BL_UDP_SOCKETS_MAX] = {0};
  int ufd[BL_UDP_SOCKETS_MAX];
  src lsn = {SRC_LISTEN, -1}, sig = {SRC_SIGNAL, -1};
  unsigned udp_port = 0, tcp_port = 0;
  long i, nudp = 0;
  long long deadline = 0;
  int running = 1, rc = 1;

  if (bl_parse_args(PROG, argc, argv, &o) < 0) return 2;
  bl_no_sigpipe();
  g.epfd = epoll_create1(EPOLL_CLOEXEC);
  sig.fd = bl_signal_fd(PROG);
  if (g.epfd < 0 || sig.fd < 0 || interest(&sig, EPOLL_CTL_ADD, EPOLLIN) < 0) goto out;
  if (o.udp_port >= 0) {
    if (bl_udp_open(PROG, &o, 1, ufd, &udp_port) < 0) goto out;
    for (nudp = 0; nudp < o.udp_sockets; nudp++) {
      udp[nudp] = udp_new(ufd[nudp]);
      if (udp[nudp] == NULL) {
        fprintf(stderr, PROG ": out of memory\n");
        for (i = nudp; i < o.udp_sockets; i++) close(ufd[i]);
        goto out;
      }
      if (interest(&udp[nudp]->s, EPOLL_CTL_ADD, EPOLLIN) < 0) {
        for (i = nudp + 1; i < o.udp_sockets; i++) close(ufd[i]);
        nudp++;
        goto out;
      }
    }
  }
  if (o.tcp_port >= 0) {
    if (bl_tcp_listen(PROG, &o, 1, &lsn.fd, &tcp_port) < 0) goto out;
    if (interest(&lsn, EPOLL_CTL_ADD, EPOLLIN) < 0) goto out;
  }
  bl_ready("raw-mmsg", udp_port, tcp_port);
  if (o.seconds > 0) deadline = bl_now_ms() + o.seconds * 1000LL;

  while (running) {
    struct epoll_event evs[MAX_EVENTS];
    int timeout = -1, n, k;
    if (deadline > 0) {
      long long left = deadline - bl_now_ms();
      if (left <= 0) break;
      timeout = left > INT_MAX ? INT_MAX : (int)left;
    }
    n = epoll_wait(g.epfd, evs, MAX_EVENTS, timeout);
    if (n < 0) {
      if (errno == EINTR) continue;
      fprintf(stderr, PROG ": epoll_wait: %s\n", strerror(errno));
      goto out;
    }
    for (k = 0; k < n; k++) {
      src *s = evs[k].data.ptr;
      switch (s->kind) {
      case SRC_UDP: udp_ready((udp_sock *)s, evs[k].events); break;
      case SRC_LISTEN: accept_ready(s); break;
      case SRC_CONN: conn_ready((conn *)s); break;
      default: running = 0; break; /* SIGINT or SIGTERM */
      }
    }
  }
  rc = 0;
  if (!o.quiet)
    fprintf(stderr,
            PROG ": udp recv %llu send %llu (%llu bytes) drops %llu; tcp accepts %llu "
                 "(%llu errors) echoed %llu bytes\n",
            g.udp_in, g.udp_out, g.udp_bytes, g.udp_drops, g.accepts, g.accept_errors,
            g.tcp_bytes);
out:
  while (g.conns != NULL) conn_close(g.conns);
  for (i = 0; i < nudp; i++) {
    close(udp[i]->s.fd);
    free(udp[i]);
  }
  if (lsn.fd >= 0) close(lsn.fd);
  if (sig.fd >= 0) close(sig.fd);
  if (g.epfd >= 0) close(g.epfd);
  return rc;
}
