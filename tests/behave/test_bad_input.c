/* Bad input returns the error riox.h documents, posts nothing (no event ever
 * follows a failed call) and leaves riox_last_detail() saying why.
 *
 * Where riox.h names the code, that code is required: unknown backend
 * (RIOX_EINVAL), "rio" without RIO (RIOX_ENOTSUP), zero-length TCP send
 * (RIOX_EINVAL), datagram over 65507 bytes (RIOX_EMSGSIZE), exhausted pool
 * (RIOX_ENOBUFS), buffer not a slot / already free (RIOX_EINVAL), second
 * close (RIOX_ECLOSING), send after shutdown (RIOX_ESHUTDOWN), posts before
 * connect (RIOX_ENOTCONN), peer of an unconnected socket (RIOX_ENOTCONN).
 * Elsewhere the code is the one whose riox.h text describes the failure:
 * EADDRINUSE (address in use), EADDRNOTAVAIL (not an address of this host),
 * EAFNOSUPPORT (an IPv6 destination on an IPv4 socket), EPROTO (wrong socket
 * type), ECLOSING (socket closing), EINVAL (NULL, zero sizes, bad family,
 * bad flags). The calls of the other style than a socket was opened for
 * (RIOX_EBUSY) are test_ready_style_errors.c, a readiness test. */
#include "harness.h"

static uint64_t reqs_in_use(riox_loop *loop) {
  riox_stats st;
  riox_loop_stats(loop, &st);
  return st.req_in_use;
}

static int config_errors(void) {
  riox_loop_config cfg;
  riox_loop *loop = NULL;
  char saved[64];
  int had = h_getenv("RIOX_BACKEND", saved, sizeof saved);
  riox_probe_report rep;
  /* RIOX_BACKEND wins over the config: take it away for these checks. */
  h_setenv("RIOX_BACKEND", NULL);

  h_config(&cfg);
  cfg.buf_size = 0;
  H_ERR_D(riox_loop_create(&cfg, &loop), RIOX_EINVAL);
  h_config(&cfg);
  cfg.buf_count = 0;
  H_ERR_D(riox_loop_create(&cfg, &loop), RIOX_EINVAL);
  h_config(&cfg);
  cfg.buf_size = (1u << 20) + 1; /* "max 1 MiB" */
  H_ERR_D(riox_loop_create(&cfg, &loop), RIOX_EINVAL);
  h_config(&cfg);
  cfg.max_requests = 0;
  H_ERR_D(riox_loop_create(&cfg, &loop), RIOX_EINVAL);
  h_config(&cfg);
  cfg.rio_notify = 3;
  H_ERR_D(riox_loop_create(&cfg, &loop), RIOX_EINVAL);
  h_config(&cfg);
  cfg.backend = "no-such-backend";
  H_ERR_D(riox_loop_create(&cfg, &loop), RIOX_EINVAL);
  /* The other OS's backend: no name of Windows (RIOX_EINVAL there); on
   * Linux "iocp" is named and refused (RIOX_ENOTSUP, src/linux/loop_os.c). */
  h_config(&cfg);
  cfg.backend = h_windows() ? "epoll" : "iocp";
  H_ERR_D(riox_loop_create(&cfg, &loop), h_windows() ? RIOX_EINVAL : RIOX_ENOTSUP);
  cfg.backend = "";
  H_OK(riox_loop_create(&cfg, &loop)); /* empty = auto */
  riox_loop_close(loop);
  H_ERR_D(riox_loop_create(&cfg, NULL), RIOX_EINVAL);
  H_ERR_D(riox_loop_create(NULL, NULL), RIOX_EINVAL);

  /* "rio" where the OS has no RIO and no emulator stands in. */
  H_OK(riox_probe(&rep));
  if (!rep.rio) {
    h_config(&cfg);
    cfg.backend = "rio";
    H_ERR_D(riox_loop_create(&cfg, &loop), RIOX_ENOTSUP);
  }

  /* The environment wins over the config, even over a bad name. */
  h_setenv("RIOX_BACKEND", h_default_backend());
  h_config(&cfg);
  cfg.backend = "nonsense";
  H_OK(riox_loop_create(&cfg, &loop));
  H_EQ(strcmp(riox_loop_backend(loop), h_default_backend()), 0);
  riox_loop_close(loop);
  h_setenv("RIOX_BACKEND", "nonsense");
  h_config(&cfg);
  H_ERR_D(riox_loop_create(&cfg, &loop), RIOX_EINVAL);

  h_setenv("RIOX_BACKEND", had ? saved : NULL);
  return 0;
}

static int null_args(riox_loop *loop, riox_sock *u) {
  riox_event ev;
  riox_addr a = h_v4(1);
  riox_sock *s;
  char *buf;
  uint64_t id;
  H_ERR_D(riox_wait(NULL, &ev, 1, 0), RIOX_EINVAL);
  H_ERR_D(riox_wait(loop, NULL, 1, 0), RIOX_EINVAL);
  H_ERR_D(riox_wait(loop, &ev, 0, 0), RIOX_EINVAL);
  H_ERR_D(riox_flush(NULL), RIOX_EINVAL);
  H_ERR_D(riox_wake(NULL, NULL), RIOX_EINVAL);
  H_ERR_D(riox_timer_start(NULL, 1, NULL, &id), RIOX_EINVAL);
  H_ERR_D(riox_timer_start(loop, 1, NULL, NULL), RIOX_EINVAL);
  H_ERR_D(riox_timer_cancel(NULL, 1), RIOX_EINVAL);
  H_ERR_D(riox_buf_get(NULL, &buf), RIOX_EINVAL);
  H_ERR_D(riox_buf_get(loop, NULL), RIOX_EINVAL);
  H_ERR_D(riox_buf_put(NULL, NULL), RIOX_EINVAL);
  H_ERR_D(riox_buf_put(loop, NULL), RIOX_EINVAL);
  H_ERR_D(riox_udp_open(NULL, NULL, NULL, 0, NULL, &s), RIOX_EINVAL);
  H_ERR_D(riox_udp_open(loop, NULL, NULL, 0, NULL, NULL), RIOX_EINVAL);
  H_ERR_D(riox_tcp_listen(loop, NULL, 0, 0, NULL, &s), RIOX_EINVAL);
  H_ERR_D(riox_tcp_listen(loop, &a, 0, 0, NULL, NULL), RIOX_EINVAL);
  H_ERR_D(riox_tcp_connect(loop, NULL, NULL, 0, NULL, &s), RIOX_EINVAL);
  H_ERR_D(riox_tcp_connect(loop, &a, NULL, 0, NULL, NULL), RIOX_EINVAL);
  H_ERR_D(riox_sock_local(NULL, &a), RIOX_EINVAL);
  H_ERR_D(riox_sock_local(u, NULL), RIOX_EINVAL);
  H_ERR_D(riox_sock_peer(NULL, &a), RIOX_EINVAL);
  H_ERR_D(riox_sock_peer(u, NULL), RIOX_EINVAL);
  H_OK(riox_buf_get(loop, &buf));
  H_ERR_D(riox_recv(NULL, buf, 16, NULL), RIOX_EINVAL);
  H_ERR_D(riox_recv(u, NULL, 16, NULL), RIOX_EINVAL);
  H_ERR_D(riox_send(NULL, buf, 16, 0, NULL), RIOX_EINVAL);
  H_ERR_D(riox_sendto(NULL, buf, 16, &a, 0, NULL), RIOX_EINVAL);
  H_ERR_D(riox_sendto(u, NULL, 16, &a, 0, NULL), RIOX_EINVAL);
  H_ERR_D(riox_sendto(u, buf, 16, NULL, 0, NULL), RIOX_EINVAL);
  H_ERR_D(riox_shutdown(NULL, NULL), RIOX_EINVAL);
  H_ERR_D(riox_cancel(NULL), RIOX_EINVAL);
  H_ERR_D(riox_close(NULL), RIOX_EINVAL);
  H_ERR_D(riox_abort(NULL), RIOX_EINVAL);
  H_ERR_D(riox_addr_parse(NULL, 1, &a), RIOX_EINVAL);
  H_ERR_D(riox_addr_parse("127.0.0.1", 1, NULL), RIOX_EINVAL);
  H_OK(riox_buf_put(loop, buf));
  /* Calls without a result must simply not crash. */
  riox_loop_close(NULL);
  riox_loop_stats(NULL, NULL);
  riox_loop_stats(loop, NULL);
  riox_sock_set_ctx(NULL, NULL);
  H_CHECK(riox_sock_ctx(NULL) == NULL);
  H_EQ(strcmp(riox_strerror(12345), "unknown error"), 0);
  H_EQ(strcmp(riox_err_name(RIOX_OK), "RIOX_OK"), 0);
  H_EQ(strcmp(riox_err_name(RIOX_ENOBUFS), "RIOX_ENOBUFS"), 0);
  return h_nothing_posted(loop, 0);
}

static int address_errors(riox_loop *loop) {
  riox_addr lo = h_v4(0), taken, bad, v6 = h_v6(9), doc;
  riox_sock *u, *lis, *s;
  uint64_t reqs;
  char *buf;
  /* Address in use: a UDP port and a TCP listening port, bound again. */
  H_OK(riox_udp_open(loop, &lo, NULL, 0, NULL, &u));
  H_OK(riox_sock_local(u, &taken));
  H_ERR_D(riox_udp_open(loop, &taken, NULL, 0, NULL, &s), RIOX_EADDRINUSE);
  H_OK(riox_tcp_listen(loop, &lo, 0, 0, NULL, &lis));
  H_OK(riox_sock_local(lis, &taken));
  reqs = reqs_in_use(loop); /* the listener's AcceptEx calls */
  H_ERR_D(riox_tcp_listen(loop, &taken, 0, 0, NULL, &s), RIOX_EADDRINUSE);

  /* Not an address of this host (TEST-NET-1, RFC 5737). */
  H_OK(riox_addr_parse("192.0.2.1", 0, &doc));
  H_ERR_D(riox_tcp_listen(loop, &doc, 0, 0, NULL, &s), RIOX_EADDRNOTAVAIL);
  /* Wine 8 lets a UDP socket bind any IPv4 address (Linux itself refuses
   * with EADDRNOTAVAIL), so the UDP case is checked everywhere but Wine. */
  if (!h_under_wine()) H_ERR_D(riox_udp_open(loop, &doc, NULL, 0, NULL, &s), RIOX_EADDRNOTAVAIL);

  /* Malformed addresses. */
  H_ERR_D(riox_addr_parse("256.1.1.1", 1, &bad), RIOX_EINVAL);
  H_ERR_D(riox_addr_parse("not-an-ip", 1, &bad), RIOX_EINVAL);
  H_ERR_D(riox_addr_parse_endpoint("127.0.0.1", &bad), RIOX_EINVAL); /* no port */
  bad = h_v4(0);
  bad.family = 5;
  H_ERR_D(riox_udp_open(loop, &bad, NULL, 0, NULL, &s), RIOX_EINVAL);
  H_ERR_D(riox_tcp_listen(loop, &bad, 0, 0, NULL, &s), RIOX_EINVAL);
  bad.port = 80;
  H_ERR_D(riox_tcp_connect(loop, &bad, NULL, 0, NULL, &s), RIOX_EINVAL);
  H_OK(riox_buf_get(loop, &buf));
  H_ERR_D(riox_sendto(u, buf, 8, &bad, 0, NULL), RIOX_EINVAL);
  /* Port 0 is no destination. */
  H_ERR_D(riox_sendto(u, buf, 8, &lo, 0, NULL), RIOX_EINVAL);
  H_ERR_D(riox_tcp_connect(loop, &lo, NULL, 0, NULL, &s), RIOX_EINVAL);
  H_ERR_D(riox_udp_open(loop, NULL, &lo, 0, NULL, &s), RIOX_EINVAL);
  /* An IPv6 destination for an IPv4 socket. */
  H_ERR_D(riox_sendto(u, buf, 8, &v6, 0, NULL), RIOX_EAFNOSUPPORT);
  H_OK(riox_buf_put(loop, buf));
  if (h_nothing_posted(loop, reqs) != 0) return 1;
  H_OK(riox_close(u));
  H_OK(riox_close(lis));
  H_EQ(h_collect(loop, RIOX_EV_CLOSE, 2, NULL, 5000), 2);
  return 0;
}

static int length_errors(void) {
  riox_loop_config cfg;
  riox_loop *loop;
  riox_sock *u, *cli, *srv;
  riox_addr lo = h_v4(0), to;
  char *buf, *buf2, stack[64];
  uint32_t size;
  h_config(&cfg);
  cfg.buf_size = 128 * 1024; /* room for any datagram: only the limit counts */
  cfg.buf_count = 8;
  H_OK(h_loop(&loop, &cfg));
  size = riox_loop_buf_size(loop);
  H_OK(riox_udp_open(loop, &lo, NULL, 0, NULL, &u));
  H_OK(riox_sock_local(u, &to));
  H_OK(riox_buf_get(loop, &buf));
  /* Zero-size receive; a range past the slot. */
  H_ERR_D(riox_recv(u, buf, 0, NULL), RIOX_EINVAL);
  H_ERR_D(riox_recv(u, buf, size + 1, NULL), RIOX_EINVAL);
  H_ERR_D(riox_recv(u, buf + 10, size - 9, NULL), RIOX_EINVAL);
  H_ERR_D(riox_recv(u, buf, UINT32_MAX, NULL), RIOX_EINVAL);
  /* Over the UDP maximum of 65507 bytes; huge. */
  H_ERR_D(riox_sendto(u, buf, 65508, &to, 0, NULL), RIOX_EMSGSIZE);
  H_ERR_D(riox_sendto(u, buf, UINT32_MAX, &to, 0, NULL), RIOX_EMSGSIZE);
  /* Memory that is not a slot of this pool; a slot already returned. */
  H_ERR_D(riox_sendto(u, stack, sizeof stack, &to, 0, NULL), RIOX_EINVAL);
  H_ERR_D(riox_recv(u, stack, sizeof stack, NULL), RIOX_EINVAL);
  H_OK(riox_buf_get(loop, &buf2));
  H_OK(riox_buf_put(loop, buf2));
  H_ERR_D(riox_sendto(u, buf2, 8, &to, 0, NULL), RIOX_EINVAL);
  H_ERR_D(riox_recv(u, buf2, 8, NULL), RIOX_EINVAL);
  /* Unknown send flags. */
  H_ERR_D(riox_sendto(u, buf, 8, &to, 0x80, NULL), RIOX_EINVAL);
  /* Not connected: riox_send on UDP needs a connected socket. */
  H_ERR_D(riox_send(u, buf, 8, 0, NULL), RIOX_ENOTCONN);

  /* TCP: zero-length send, range past the slot, TCP-only calls on UDP. */
  if (h_tcp_pair(loop, loop, 0, &cli, &srv) != 0) return 1;
  H_ERR_D(riox_send(cli, buf, 0, 0, NULL), RIOX_EINVAL);
  H_ERR_D(riox_send(cli, buf, size + 1, 0, NULL), RIOX_EINVAL);
  H_ERR_D(riox_send(cli, buf, UINT32_MAX, 0, NULL), RIOX_EINVAL);
  H_ERR_D(riox_sendto(cli, buf, 8, &to, 0, NULL), RIOX_EPROTO);
  H_ERR_D(riox_shutdown(u, NULL), RIOX_EPROTO);
  H_OK(riox_buf_put(loop, buf));
  if (h_nothing_posted(loop, 0) != 0) return 1;
  riox_loop_close(loop);
  return 0;
}

static int pool_errors(void) {
  riox_loop_config cfg;
  riox_loop *loop, *other;
  riox_stats st;
  char *b[4], *extra = (char *)&cfg, *foreign;
  int i;
  h_config(&cfg);
  cfg.buf_size = 512;
  cfg.buf_count = 4;
  H_OK(h_loop(&loop, &cfg));
  H_OK(h_loop(&other, &cfg));
  for (i = 0; i < 4; i++) H_OK(riox_buf_get(loop, &b[i]));
  H_ERR_D(riox_buf_get(loop, &extra), RIOX_ENOBUFS);
  H_ERR_D(riox_buf_get(loop, &extra), RIOX_ENOBUFS);
  riox_loop_stats(loop, &st);
  H_EQ(st.buf_total, 4);
  H_EQ(st.buf_in_use, 4);
  H_EQ(st.buf_high_water, 4);
  H_EQ(st.buf_exhausted, 2);
  /* A pointer inside a slot returns that slot; then it is free. */
  H_OK(riox_buf_put(loop, b[1] + 100));
  H_ERR_D(riox_buf_put(loop, b[1]), RIOX_EINVAL);
  H_ERR_D(riox_buf_put(loop, b[1] + 5), RIOX_EINVAL);
  /* Not a slot of this loop. */
  H_OK(riox_buf_get(other, &foreign));
  H_ERR_D(riox_buf_put(loop, foreign), RIOX_EINVAL);
  H_OK(riox_buf_put(other, foreign));
  H_ERR_D(riox_buf_put(loop, (char *)&cfg), RIOX_EINVAL);
  /* The freed slot is available again. */
  H_OK(riox_buf_get(loop, &b[1]));
  H_ERR_D(riox_buf_get(loop, &extra), RIOX_ENOBUFS);
  for (i = 0; i < 4; i++) H_OK(riox_buf_put(loop, b[i]));
  riox_loop_stats(loop, &st);
  H_EQ(st.buf_in_use, 0);
  H_EQ(st.buf_high_water, 4);
  riox_loop_close(other);
  riox_loop_close(loop);
  return 0;
}

/* Posting on sockets that are closing; state errors. */
static int state_errors(void) {
  riox_loop *loop;
  riox_sock *u, *cli, *srv, *lis, *conn;
  riox_addr lo = h_v4(0), to, la;
  riox_event ev;
  char *buf;
  H_OK(h_loop(&loop, NULL));
  H_OK(riox_udp_open(loop, &lo, NULL, 0, NULL, &u));
  H_OK(riox_sock_local(u, &to));
  H_OK(riox_buf_get(loop, &buf));
  H_ERR_D(riox_sock_peer(u, &la), RIOX_ENOTCONN);

  /* A listener carries no data. */
  H_OK(riox_tcp_listen(loop, &lo, 0, 0, NULL, &lis));
  H_OK(riox_sock_local(lis, &la));
  H_ERR_D(riox_recv(lis, buf, 16, NULL), RIOX_EPROTO);
  H_ERR_D(riox_send(lis, buf, 16, 0, NULL), RIOX_EPROTO);

  /* Before the CONNECT event: RIOX_ENOTCONN. */
  H_OK(riox_tcp_connect(loop, &la, NULL, 0, NULL, &conn));
  H_ERR_D(riox_recv(conn, buf, 16, NULL), RIOX_ENOTCONN);
  H_ERR_D(riox_send(conn, buf, 16, 0, NULL), RIOX_ENOTCONN);
  H_ERR_D(riox_shutdown(conn, NULL), RIOX_ENOTCONN);
  H_EQ(h_wait_for(loop, RIOX_EV_CONNECT, conn, &ev, NULL, 5000), 0);
  H_EQ(ev.status, 0);
  H_EQ(h_wait_for(loop, RIOX_EV_ACCEPT, lis, &ev, NULL, 5000), 0);
  H_OK(riox_close(ev.accepted));

  /* After shutdown: sends fail, a second shutdown too. */
  if (h_tcp_pair(loop, loop, 0, &cli, &srv) != 0) return 1;
  H_OK(riox_shutdown(cli, NULL));
  H_ERR_D(riox_send(cli, buf, 16, 0, NULL), RIOX_ESHUTDOWN);
  H_ERR_D(riox_shutdown(cli, NULL), RIOX_EALREADY);
  H_EQ(h_wait_for(loop, RIOX_EV_SHUTDOWN, cli, &ev, NULL, 5000), 0);
  H_EQ(ev.status, 0);

  /* Closing sockets: every post answers RIOX_ECLOSING; close is idempotent. */
  H_OK(riox_close(u));
  H_OK(riox_close(cli));
  H_OK(riox_close(lis));
  H_ERR_D(riox_recv(u, buf, 16, NULL), RIOX_ECLOSING);
  H_ERR_D(riox_sendto(u, buf, 16, &to, 0, NULL), RIOX_ECLOSING);
  H_ERR_D(riox_cancel(u), RIOX_ECLOSING);
  H_ERR_D(riox_close(u), RIOX_ECLOSING);
  H_ERR_D(riox_abort(u), RIOX_ECLOSING);
  H_ERR_D(riox_recv(cli, buf, 16, NULL), RIOX_ECLOSING);
  H_ERR_D(riox_send(cli, buf, 16, 0, NULL), RIOX_ECLOSING);
  H_ERR_D(riox_shutdown(cli, NULL), RIOX_ECLOSING);
  H_ERR_D(riox_close(cli), RIOX_ECLOSING);
  H_ERR_D(riox_close(lis), RIOX_ECLOSING);
  /* Exactly the three CLOSE events (and those of the accepted sockets). */
  {
    static h_log log;
    int i, closes = 0;
    log.n = 0;
    h_collect(loop, 0, 1 << 30, &log, 500);
    for (i = 0; i < log.n; i++) {
      const riox_event *e = &log.ev[i];
      if (e->sock == u || e->sock == cli || e->sock == lis) {
        H_EQ(e->type, RIOX_EV_CLOSE);
        closes++;
      }
    }
    H_EQ(closes, 3);
  }
  H_OK(riox_buf_put(loop, buf));
  riox_loop_close(loop);
  return 0;
}

static int test(void) {
  riox_loop *loop;
  riox_sock *u;
  riox_addr lo = h_v4(0);
  if (config_errors() != 0) return 1;
  H_OK(h_loop(&loop, NULL));
  H_OK(riox_udp_open(loop, &lo, NULL, 0, NULL, &u));
  if (null_args(loop, u) != 0) return 1;
  if (address_errors(loop) != 0) return 1;
  riox_loop_close(loop);
  if (length_errors() != 0) return 1;
  if (pool_errors() != 0) return 1;
  return state_errors();
}

int main(void) { return h_run("bad_input", test); }
