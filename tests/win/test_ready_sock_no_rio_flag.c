/* Regression (RIO issue, defect 1): readiness sockets on a RIO loop were
 * created with WSA_FLAG_REGISTERED_IO and then switched to FIONBIO and
 * polled through AFD, which field reports say a registered-I/O socket does
 * not support (FIONBIO fails with WSAEOPNOTSUPP). A socket's style is now
 * fixed when it is created:
 *   - RIOX_SOCK_READINESS sockets (UDP, listener, connect) and the
 *     connections riox_try_accept takes from a readiness listener never
 *     carry WSA_FLAG_REGISTERED_IO, on any backend, and work with
 *     riox_watch/riox_try_*; completion-style calls fail with RIOX_EBUSY;
 *   - completion sockets (UDP, listener, connect, and the connections
 *     RIOX_EV_ACCEPT hands out) carry the flag on a RIO loop and refuse
 *     riox_watch/riox_try_* with RIOX_EBUSY, on every backend alike.
 * The flags come from riox_test_sock_wsa_flags (riox_test.h). */
#include "harness.h"
#include "riox_test.h"

#define REGISTERED_IO 0x100ul /* WSA_FLAG_REGISTERED_IO */
#define OVERLAPPED 0x01ul     /* WSA_FLAG_OVERLAPPED */

/* The style rule fails with RIOX_EBUSY and says which flag decides it. */
#define H_BUSY(call)                                                                  \
  do {                                                                                \
    H_ERR(call, RIOX_EBUSY);                                                          \
    if (strstr(riox_last_detail(), "RIOX_SOCK_READINESS") == NULL) {                  \
      H_FAIL("%s: detail does not name RIOX_SOCK_READINESS: \"%s\"", #call,           \
             riox_last_detail());                                                     \
      return 1;                                                                       \
    }                                                                                 \
  } while (0)

static int check_flags(const char *what, const riox_sock *s, int completion) {
  unsigned long f = riox_test_sock_wsa_flags(s);
  unsigned long want = completion && strcmp(h_backend, "iocp") != 0 ? REGISTERED_IO : 0;
  if ((f & REGISTERED_IO) != want) {
    H_FAIL("%s socket: WSASocketW flags 0x%lx, expected WSA_FLAG_REGISTERED_IO %s", what, f,
           want ? "set (completion socket on a RIO loop)" : "clear");
    return 1;
  }
  if (!(f & OVERLAPPED)) {
    H_FAIL("%s socket: WSASocketW flags 0x%lx lack WSA_FLAG_OVERLAPPED", what, f);
    return 1;
  }
  return 0;
}

/* One-shot watch for `want` on s and wait for its READY event. */
static int await_ready(riox_loop *loop, riox_sock *s, uint32_t want) {
  riox_event ev;
  int rc = riox_watch_modify(s, want | RIOX_ONESHOT, NULL);
  if (rc == RIOX_ENOENT) rc = riox_watch(s, want | RIOX_ONESHOT, NULL);
  H_OK(rc);
  if (h_wait_for(loop, RIOX_EV_READY, s, &ev, NULL, 5000) != 0) {
    H_FAIL("no READY 0x%x within 5 s", want);
    return 1;
  }
  H_EQ(ev.status, 0);
  H_EQ(ev.ready & (RIOX_HANGUP | RIOX_ERROR), 0);
  H_CHECK((ev.ready & want) != 0);
  return 0;
}

/* Read exactly len stream bytes with riox_try_recv. */
static int tcp_read(riox_loop *loop, riox_sock *s, char *buf, int len) {
  int got = 0;
  while (got < len) {
    int n = riox_try_recv(s, buf + got, (uint32_t)(len - got), NULL);
    if (n == RIOX_EAGAIN) {
      if (await_ready(loop, s, RIOX_READABLE)) return 1;
      continue;
    }
    H_OK(n);
    H_CHECK(n > 0);
    got += n;
  }
  return 0;
}

/* A datagram with riox_try_recv, waiting for it. */
static int udp_read(riox_loop *loop, riox_sock *s, char *buf, uint32_t cap, riox_addr *from) {
  for (;;) {
    int n = riox_try_recv(s, buf, cap, from);
    if (n != RIOX_EAGAIN) return n;
    if (await_ready(loop, s, RIOX_READABLE)) return RIOX_ETIMEDOUT;
  }
}

static int closed(riox_loop *loop, riox_sock *s) {
  riox_event ev;
  H_OK(riox_close(s));
  H_EQ(h_wait_for(loop, RIOX_EV_CLOSE, s, &ev, NULL, 5000), 0);
  return 0;
}

static int readiness_udp(riox_loop *loop) {
  riox_sock *a, *b;
  riox_addr lo = h_v4(0), pa, pb, from;
  char in[64], *pbuf;
  H_OK(riox_udp_open(loop, &lo, NULL, RIOX_SOCK_READINESS, NULL, &a));
  H_OK(riox_udp_open(loop, &lo, NULL, RIOX_SOCK_READINESS, NULL, &b));
  if (check_flags("readiness UDP", a, 0) || check_flags("readiness UDP", b, 0)) return 1;
  H_OK(riox_sock_local(a, &pa));
  H_OK(riox_sock_local(b, &pb));
  /* Completion calls are refused before any readiness call was made. */
  H_OK(riox_buf_get(loop, &pbuf));
  H_BUSY(riox_recv(a, pbuf, riox_loop_buf_size(loop), NULL));
  H_BUSY(riox_sendto(a, pbuf, 4, &pb, 0, NULL));
  H_OK(riox_buf_put(loop, pbuf));
  /* Echo one datagram. */
  H_EQ(riox_try_send(a, "ping-udp", 8, &pb), 8);
  H_EQ(udp_read(loop, b, in, sizeof in, &from), 8);
  H_EQ(memcmp(in, "ping-udp", 8), 0);
  H_EQ(from.port, pa.port);
  H_EQ(riox_try_send(b, in, 8, &from), 8);
  H_EQ(udp_read(loop, a, in, sizeof in, &from), 8);
  H_EQ(memcmp(in, "ping-udp", 8), 0);
  H_EQ(from.port, pb.port);
  if (closed(loop, a) || closed(loop, b)) return 1;
  return 0;
}

static int readiness_tcp(riox_loop *loop) {
  riox_sock *lst, *cli, *srv = NULL;
  riox_addr lo = h_v4(0), at;
  char in[64], *pbuf;
  int i, rc = RIOX_EAGAIN;
  H_OK(riox_tcp_listen(loop, &lo, 4, RIOX_SOCK_READINESS, NULL, &lst));
  if (check_flags("readiness listener", lst, 0)) return 1;
  H_OK(riox_sock_local(lst, &at));
  H_OK(riox_tcp_connect(loop, &at, NULL, RIOX_SOCK_READINESS, NULL, &cli));
  if (check_flags("readiness connect", cli, 0)) return 1;
  if (await_ready(loop, cli, RIOX_WRITABLE)) return 1;
  H_EQ(riox_sock_error(cli), 0);
  for (i = 0; i < 100 && rc == RIOX_EAGAIN; i++) {
    rc = riox_try_accept(lst, &srv, NULL);
    if (rc == RIOX_EAGAIN && await_ready(loop, lst, RIOX_READABLE)) return 1;
  }
  H_OK(rc);
  H_CHECK(srv != NULL);
  if (check_flags("accepted (readiness listener)", srv, 0)) return 1;
  /* Completion calls are refused on every readiness TCP socket. */
  H_OK(riox_buf_get(loop, &pbuf));
  H_BUSY(riox_recv(srv, pbuf, riox_loop_buf_size(loop), NULL));
  H_BUSY(riox_send(cli, pbuf, 4, 0, NULL));
  H_OK(riox_buf_put(loop, pbuf));
  /* Echo some bytes. */
  H_EQ(riox_try_send(cli, "hello, readiness", 16, NULL), 16);
  if (tcp_read(loop, srv, in, 16)) return 1;
  H_EQ(memcmp(in, "hello, readiness", 16), 0);
  H_EQ(riox_try_send(srv, in, 16, NULL), 16);
  memset(in, 0, sizeof in);
  if (tcp_read(loop, cli, in, 16)) return 1;
  H_EQ(memcmp(in, "hello, readiness", 16), 0);
  if (closed(loop, cli) || closed(loop, srv) || closed(loop, lst)) return 1;
  return 0;
}

static int completion_socks(riox_loop *loop) {
  riox_sock *u, *r, *lst, *cli, *srv;
  riox_addr lo = h_v4(0), pu, pr, at, from;
  riox_event ev;
  char b[16], *pbuf;
  /* UDP: a completion socket refuses readiness, then works as it is. */
  H_OK(riox_udp_open(loop, &lo, NULL, 0, NULL, &u));
  if (check_flags("completion UDP", u, 1)) return 1;
  H_BUSY(riox_watch(u, RIOX_READABLE, NULL));
  H_BUSY(riox_watch_modify(u, RIOX_READABLE, NULL));
  H_BUSY(riox_try_recv(u, b, sizeof b, &from));
  H_OK(riox_udp_open(loop, &lo, NULL, RIOX_SOCK_READINESS, NULL, &r));
  H_OK(riox_sock_local(u, &pu));
  H_OK(riox_sock_local(r, &pr));
  H_BUSY(riox_try_send(u, "x", 1, &pr));
  H_OK(riox_buf_get(loop, &pbuf));
  H_OK(riox_recv(u, pbuf, riox_loop_buf_size(loop), (void *)0x51));
  H_EQ(riox_try_send(r, "to-compl", 8, &pu), 8);
  H_EQ(h_wait_for(loop, RIOX_EV_RECV, u, &ev, NULL, 5000), 0);
  H_EQ(ev.status, 0);
  H_EQ(ev.len, 8);
  H_EQ(memcmp(ev.data, "to-compl", 8), 0);
  H_CHECK(ev.ctx == (void *)0x51);
  H_OK(riox_sendto(u, ev.data, 8, &pr, 0, (void *)0x52));
  H_EQ(h_wait_for(loop, RIOX_EV_SEND, u, &ev, NULL, 5000), 0);
  H_EQ(ev.status, 0);
  H_OK(riox_buf_put(loop, ev.data));
  H_EQ(udp_read(loop, r, b, sizeof b, &from), 8);
  H_EQ(memcmp(b, "to-compl", 8), 0);
  H_EQ(from.port, pu.port);
  if (closed(loop, u) || closed(loop, r)) return 1;

  /* TCP: an AcceptEx listener, a ConnectEx connect and the connection
   * RIOX_EV_ACCEPT hands out are completion sockets. */
  H_OK(riox_tcp_listen(loop, &lo, 4, 0, NULL, &lst));
  if (check_flags("completion listener", lst, 1)) return 1;
  H_BUSY(riox_watch(lst, RIOX_READABLE, NULL));
  srv = (riox_sock *)(uintptr_t)1;
  H_BUSY(riox_try_accept(lst, &srv, NULL));
  H_CHECK(srv == NULL);
  H_OK(riox_sock_local(lst, &at));
  H_OK(riox_tcp_connect(loop, &at, NULL, 0, NULL, &cli));
  if (check_flags("completion connect", cli, 1)) return 1;
  H_BUSY(riox_watch(cli, RIOX_WRITABLE, NULL));
  H_EQ(h_wait_for(loop, RIOX_EV_CONNECT, cli, &ev, NULL, 5000), 0);
  H_EQ(ev.status, 0);
  H_EQ(h_wait_for(loop, RIOX_EV_ACCEPT, lst, &ev, NULL, 5000), 0);
  H_EQ(ev.status, 0);
  srv = ev.accepted;
  H_CHECK(srv != NULL);
  if (check_flags("accepted (AcceptEx)", srv, 1)) return 1;
  H_BUSY(riox_watch(srv, RIOX_READABLE, NULL));
  H_BUSY(riox_try_recv(srv, b, sizeof b, NULL));
  H_BUSY(riox_try_send(cli, "x", 1, NULL));
  /* Both ends still work in completion style. */
  H_OK(riox_buf_get(loop, &pbuf));
  H_OK(riox_recv(srv, pbuf, riox_loop_buf_size(loop), (void *)0x61));
  H_OK(riox_buf_get(loop, &pbuf));
  memcpy(pbuf, "stream", 6);
  H_OK(riox_send(cli, pbuf, 6, 0, (void *)0x62));
  H_EQ(h_wait_for(loop, RIOX_EV_SEND, cli, &ev, NULL, 5000), 0);
  H_EQ(ev.status, 0);
  H_OK(riox_buf_put(loop, ev.data));
  H_EQ(h_wait_for(loop, RIOX_EV_RECV, srv, &ev, NULL, 5000), 0);
  H_EQ(ev.status, 0);
  H_CHECK(ev.len >= 1 && ev.len <= 6);
  H_EQ(memcmp(ev.data, "stream", ev.len), 0);
  H_OK(riox_buf_put(loop, ev.data));
  if (closed(loop, cli) || closed(loop, srv) || closed(loop, lst)) return 1;
  return 0;
}

static int test(void) {
  riox_loop *loop;
  H_OK(h_loop(&loop, NULL));
  if (readiness_udp(loop) || readiness_tcp(loop) || completion_socks(loop)) return 1;
  riox_loop_close(loop);
  return 0;
}

int main(void) { return h_run("ready_sock_no_rio_flag", test); }
