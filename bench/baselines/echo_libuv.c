/* echo-libuv: a libuv echo server (UDP and TCP), the "portable event loop
 * library" baseline for riox-echo, set up the fastest way libuv offers.
 *
 *   echo-libuv [--udp PORT] [--tcp PORT] [--bind ADDR] [--seconds N]
 *              [--udp-sockets N] [--quiet]
 *
 * One thread, one uv_loop_t.
 *  - UDP: each socket (--udp-sockets, default 1, sharing the port with
 *    SO_REUSEPORT) is a uv_udp_t made with uv_udp_init_ex(UV_UDP_RECVMMSG).
 *    The alloc callback hands out one buffer of MMSG_CHUNKS * 64 KiB, which
 *    libuv cuts into 64 KiB slices, one per datagram of a recvmmsg(2) call;
 *    each slice reaches the receive callback (flag UV_UDP_MMSG_CHUNK), and a
 *    last callback without an address gives the whole buffer back. All
 *    callbacks run before libuv asks for a buffer again, so one static
 *    buffer serves every socket, with no allocation per read. Each datagram
 *    goes back with uv_udp_try_send (a synchronous sendmsg, nothing queued,
 *    no copy); only when that says UV_EAGAIN (socket buffer full, or sends
 *    already queued, which must keep their order) is it copied into a
 *    request for uv_udp_send.
 *  - TCP: uv_listen/uv_accept; each connection owns one 64 KiB buffer that
 *    the alloc callback returns. What arrives is echoed with uv_try_write;
 *    whatever the socket did not take goes to uv_write, and reading stops
 *    until that write completes (fixed memory, back-pressure on the peer).
 *    After UV_EOF, with everything echoed, the connection closes.
 * Prints "ready backend=libuv udp=PORT tcp=PORT" when listening. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <uv.h>

#include "bl_common.h"

#define PROG "echo-libuv"
/* libuv (1.44) reads at most 20 datagrams per recvmmsg call and slices the
 * buffer in 64 KiB pieces (UV__MMSG_MAXWIDTH, UV__UDP_DGRAM_MAXSIZE in its
 * src/unix/udp.c); a bigger buffer would go unused. */
#define MMSG_CHUNKS 20
#define MMSG_SLICE (64u * 1024u)
#define TCP_BUF 65536u

typedef struct conn {
  uv_tcp_t tcp; /* tcp.data points back here: the walk at exit tells conns apart */
  uv_write_t wr;
  size_t writing; /* bytes handed to uv_write; reading is stopped meanwhile */
  unsigned char buf[TCP_BUF];
} conn;

typedef struct udp_copy { /* a datagram uv_udp_try_send could not send now */
  uv_udp_send_t req;
  size_t len;
  unsigned char data[];
} udp_copy;

static struct {
  uv_loop_t loop;
  char udp_buf[MMSG_CHUNKS * MMSG_SLICE];
  unsigned long long udp_in, udp_direct, udp_queued, udp_drops, udp_errors, udp_bytes;
  unsigned long long accepts, accept_errors, tcp_bytes;
} g;

/* ------------------------------------------------------------------ UDP */

static void udp_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf) {
  (void)h;
  (void)suggested; /* 64 KiB: one datagram; mmsg wants room for many */
  *buf = uv_buf_init(g.udp_buf, sizeof g.udp_buf);
}

static void udp_sent(uv_udp_send_t *req, int status) {
  udp_copy *c = (udp_copy *)req;
  if (status < 0) g.udp_drops++;
  else g.udp_bytes += c->len;
  free(c);
}

static void udp_recv(uv_udp_t *h, ssize_t nread, const uv_buf_t *buf, const struct sockaddr *addr,
                     unsigned flags) {
  uv_buf_t out;
  udp_copy *c;
  int r;
  if (nread < 0) {
    g.udp_errors++;
    return;
  }
  /* No address: nothing was read, or the end-of-batch call that returns
   * the buffer (UV_UDP_MMSG_FREE); the buffer is static, nothing to free.
   * With an address, nread == 0 is an empty datagram, echoed like any. */
  if (addr == NULL) return;
  (void)flags; /* UV_UDP_PARTIAL cannot happen: each slice holds 64 KiB */
  g.udp_in++;
  out = uv_buf_init(buf->base, (unsigned)nread);
  r = uv_udp_try_send(h, &out, 1, addr);
  if (r >= 0) {
    g.udp_direct++;
    g.udp_bytes += (size_t)nread;
    return;
  }
  if (r != UV_EAGAIN) {
    g.udp_drops++;
    return;
  }
  c = malloc(sizeof *c + (size_t)nread);
  if (c == NULL) {
    g.udp_drops++;
    return;
  }
  c->len = (size_t)nread;
  if (nread > 0) memcpy(c->data, buf->base, (size_t)nread);
  out = uv_buf_init((char *)c->data, (unsigned)nread);
  if (uv_udp_send(&c->req, h, &out, 1, addr, udp_sent) < 0) {
    free(c);
    g.udp_drops++;
    return;
  }
  g.udp_queued++;
}

/* ------------------------------------------------------------------ TCP */

static void conn_closed(uv_handle_t *h) { free(h->data); }

static void conn_close(conn *c) {
  if (!uv_is_closing((uv_handle_t *)&c->tcp)) uv_close((uv_handle_t *)&c->tcp, conn_closed);
}

static void conn_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf) {
  conn *c = h->data;
  (void)suggested;
  *buf = uv_buf_init((char *)c->buf, TCP_BUF);
}

static void conn_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf);

static void conn_written(uv_write_t *req, int status) {
  conn *c = req->data;
  if (status < 0) { /* the peer is gone, or we are closing (UV_ECANCELED) */
    conn_close(c);
    return;
  }
  g.tcp_bytes += c->writing;
  c->writing = 0;
  if (uv_read_start((uv_stream_t *)&c->tcp, conn_alloc, conn_read) < 0) conn_close(c);
}

static void conn_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf) {
  conn *c = s->data;
  uv_buf_t rest;
  int r;
  if (nread == 0) return; /* EAGAIN */
  if (nread < 0) {        /* UV_EOF (everything was echoed: reading stops while
                             a write is pending), or a reset */
    conn_close(c);
    return;
  }
  rest = uv_buf_init(buf->base, (unsigned)nread);
  r = uv_try_write(s, &rest, 1);
  if (r == nread) {
    g.tcp_bytes += (size_t)nread;
    return;
  }
  if (r < 0 && r != UV_EAGAIN) {
    conn_close(c);
    return;
  }
  if (r > 0) {
    g.tcp_bytes += (size_t)r;
    rest = uv_buf_init(buf->base + r, (unsigned)(nread - r));
  }
  c->writing = rest.len;
  uv_read_stop(s);
  if (uv_write(&c->wr, s, &rest, 1, conn_written) < 0) conn_close(c);
}

static void on_connection(uv_stream_t *lsn, int status) {
  conn *c;
  if (status < 0) {
    g.accept_errors++;
    return;
  }
  c = malloc(sizeof *c);
  if (c == NULL || uv_tcp_init(&g.loop, &c->tcp) < 0) {
    free(c);
    g.accept_errors++;
    return;
  }
  c->tcp.data = c;
  c->wr.data = c;
  c->writing = 0;
  if (uv_accept(lsn, (uv_stream_t *)&c->tcp) < 0) {
    g.accept_errors++;
    conn_close(c);
    return;
  }
  g.accepts++;
  if (uv_read_start((uv_stream_t *)&c->tcp, conn_alloc, conn_read) < 0) conn_close(c);
}

/* ------------------------------------------------------------- stopping */

static void close_one(uv_handle_t *h, void *arg) {
  (void)arg;
  if (uv_is_closing(h)) return;
  /* Only connections carry data (main zeroes the other handles, and udp
   * ones are static); a close cancels their pending write. */
  uv_close(h, h->data != NULL ? conn_closed : NULL);
}

static void stop(void) { uv_walk(&g.loop, close_one, NULL); }

static void on_signal(uv_signal_t *s, int signum) {
  (void)s;
  (void)signum;
  stop();
}

static void on_timer(uv_timer_t *t) {
  (void)t;
  stop();
}

static int uv_failed(const char *what, int rc) {
  fprintf(stderr, PROG ": %s: %s\n", what, uv_strerror(rc));
  return -1;
}

/* ------------------------------------------------------------------ main */

static int setup(const bl_opts *o, uv_udp_t *udp, uv_tcp_t *lsn, uv_signal_t *sigs,
                 uv_timer_t *timer, unsigned *udp_port, unsigned *tcp_port) {
  int ufd[BL_UDP_SOCKETS_MAX], lfd, rc;
  long i;
  if ((rc = uv_signal_init(&g.loop, &sigs[0])) < 0 || (rc = uv_signal_init(&g.loop, &sigs[1])) < 0 ||
      (rc = uv_signal_start(&sigs[0], on_signal, SIGINT)) < 0 ||
      (rc = uv_signal_start(&sigs[1], on_signal, SIGTERM)) < 0)
    return uv_failed("uv_signal_start", rc);
  if (o->seconds > 0) {
    if ((rc = uv_timer_init(&g.loop, timer)) < 0 ||
        (rc = uv_timer_start(timer, on_timer, (uint64_t)o->seconds * 1000u, 0)) < 0)
      return uv_failed("uv_timer_start", rc);
  }
  if (o->udp_port >= 0) {
    if (bl_udp_open(PROG, o, 1, ufd, udp_port) < 0) return -1;
    for (i = 0; i < o->udp_sockets; i++) {
      /* AF_UNSPEC: no socket of libuv's own; ours comes with uv_udp_open. */
      rc = uv_udp_init_ex(&g.loop, &udp[i], AF_UNSPEC | UV_UDP_RECVMMSG);
      if (rc < 0) {
        while (i < o->udp_sockets) close(ufd[i++]);
        return uv_failed("uv_udp_init_ex", rc);
      }
      udp[i].data = NULL;
      if ((rc = uv_udp_open(&udp[i], ufd[i])) < 0) {
        while (i < o->udp_sockets) close(ufd[i++]);
        return uv_failed("uv_udp_open", rc);
      }
      if ((rc = uv_udp_recv_start(&udp[i], udp_alloc, udp_recv)) < 0) {
        while (++i < o->udp_sockets) close(ufd[i]);
        return uv_failed("uv_udp_recv_start", rc);
      }
    }
  }
  if (o->tcp_port >= 0) {
    if (bl_tcp_listen(PROG, o, 1, &lfd, tcp_port) < 0) return -1;
    if ((rc = uv_tcp_init(&g.loop, lsn)) < 0) {
      close(lfd);
      return uv_failed("uv_tcp_init", rc);
    }
    lsn->data = NULL;
    if ((rc = uv_tcp_open(lsn, lfd)) < 0) {
      close(lfd);
      return uv_failed("uv_tcp_open", rc);
    }
    if ((rc = uv_listen((uv_stream_t *)lsn, SOMAXCONN, on_connection)) < 0)
      return uv_failed("uv_listen", rc);
  }
  return 0;
}

int main(int argc, char **argv) {
  static uv_udp_t udp[BL_UDP_SOCKETS_MAX];
  uv_tcp_t lsn;
  uv_signal_t sigs[2];
  uv_timer_t timer;
  bl_opts o;
  unsigned udp_port = 0, tcp_port = 0;
  int rc;

  if (bl_parse_args(PROG, argc, argv, &o) < 0) return 2;
  bl_no_sigpipe();
  /* data == NULL on every handle but the connections (see close_one). */
  memset(&lsn, 0, sizeof lsn);
  memset(sigs, 0, sizeof sigs);
  memset(&timer, 0, sizeof timer);
  rc = uv_loop_init(&g.loop);
  if (rc < 0) {
    uv_failed("uv_loop_init", rc);
    return 1;
  }
  if (setup(&o, udp, &lsn, sigs, &timer, &udp_port, &tcp_port) < 0) {
    stop();
    uv_run(&g.loop, UV_RUN_DEFAULT);
    uv_loop_close(&g.loop);
    return 1;
  }
  bl_ready("libuv", udp_port, tcp_port);
  /* Returns once stop() has closed every handle and their close callbacks
   * (which free the connections and the queued datagrams) have run. */
  uv_run(&g.loop, UV_RUN_DEFAULT);
  if (!o.quiet)
    fprintf(stderr,
            PROG ": udp recv %llu sent %llu directly, %llu queued (%llu bytes) drops %llu "
                 "errors %llu; tcp accepts %llu (%llu errors) echoed %llu bytes\n",
            g.udp_in, g.udp_direct, g.udp_queued, g.udp_bytes, g.udp_drops, g.udp_errors,
            g.accepts, g.accept_errors, g.tcp_bytes);
  rc = uv_loop_close(&g.loop);
  if (rc < 0) {
    uv_failed("uv_loop_close", rc);
    return 1;
  }
  return 0;
}
