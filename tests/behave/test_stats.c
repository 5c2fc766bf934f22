/* riox_loop_stats counters move as riox.h and docs/design.md ("OS calls
 * counted in riox_stats.os_calls") document:
 *  - recv_ops/recv_bytes, send_ops/send_bytes: completed operations, exact;
 *  - accepts, connects: exact; errors: events with a failure status;
 *  - events: exactly what riox_wait returned; waits: one per kernel wait;
 *  - batches: flushes that issued deferred sends (not every flush);
 *  - riox_flush returns the number of deferred sends it issued;
 *  - buf_* and req_* follow the pool and the request slots;
 *  - kernel_calls (os_calls minus ring_ops), per call: on IOCP every WSARecvFrom/WSASendTo/WSASocket/
 *    AcceptEx/ConnectEx/closesocket/CancelIoEx/GetQueuedCompletionStatusEx
 *    is one call, so the counts are exact; on RIO a receive (posted with
 *    RIO_MSG_DEFER) and a deferred send cost no kernel call (a ring op), an
 *    immediate send one, and the flush commits them. docs/design.md gives no per-call counts for
 *    the Linux backends (epoll, uring): there a step the Windows backends
 *    both pay for must cost at least one call, and the rest is not checked. */
#include "harness.h"

static h_log evlog;
static uint64_t returned; /* events riox_wait returned to this test */

static int is_iocp(void) { return strcmp(h_backend, "iocp") == 0; }

/* Every event for ms milliseconds (or until `count` of `type`), counted. */
static int pump(riox_loop *loop, uint32_t type, int count, int ms) {
  uint64_t until = h_now_ms() + (uint64_t)ms;
  int got = 0;
  while (got < count && h_now_ms() < until) {
    riox_event evs[16];
    int n = riox_wait(loop, evs, 16, 50), i;
    if (n < 0) return -1;
    returned += (uint64_t)n;
    for (i = 0; i < n; i++) {
      if (evlog.n < (int)(sizeof evlog.ev / sizeof evlog.ev[0])) evlog.ev[evlog.n++] = evs[i];
      if (evs[i].type == type) got++;
    }
  }
  return got;
}

/* Kernel calls (riox_stats.kernel_calls): the ring operations beside them
 * (RIODequeueCompletion, deferred RIO posts, io_uring SQEs/CQEs) are not
 * what these counts are about. The split always adds up to os_calls; a
 * sum that does not is reported as a count no step can match. */
static uint64_t oscalls(riox_loop *loop) {
  riox_stats st;
  riox_loop_stats(loop, &st);
  if (st.kernel_calls + st.ring_ops != st.os_calls) return UINT64_MAX / 2;
  return st.kernel_calls;
}

/* The kernel calls a step cost since `before`: exactly `iocp` on IOCP; on the
 * RIO backends exactly `rio`, or at least one when rio is -1; on Linux at
 * least one when both Windows backends make a call, else anything. */
static int calls_are(riox_loop *loop, uint64_t before, long long iocp, long long rio, int line) {
  long long d = (long long)(oscalls(loop) - before);
  long long want = is_iocp() ? iocp : rio;
  if (!h_windows()) {
    if (iocp == 0 || rio == 0) return 0;
    want = -1;
  }
  if (want >= 0 ? d != want : d < 1) {
    h_fail_at(__FILE__, line, "kernel_calls moved by %lld, expected %s%lld", d,
              want >= 0 ? "" : "at least ", want >= 0 ? want : 1);
    return 1;
  }
  return 0;
}
#define H_CALLS(loop, before, iocp, rio)                             \
  do {                                                               \
    if (calls_are(loop, before, iocp, rio, __LINE__) != 0) return 1; \
  } while (0)

static int udp(void) {
  riox_loop_config cfg;
  riox_loop *loop;
  riox_sock *a, *b;
  riox_addr lo = h_v4(0), pb;
  riox_stats st, st0;
  riox_event ev;
  char *r1, *r2, *s1, *s2, *s3;
  uint64_t c;
  int i;
  h_config(&cfg);
  cfg.buf_count = 16;
  cfg.max_requests = 32;
  returned = 0;
  evlog.n = 0;
  H_OK(h_loop(&loop, &cfg));

  /* A fresh loop: nothing counted yet. */
  riox_loop_stats(loop, &st);
  H_EQ(st.recv_ops + st.recv_bytes + st.send_ops + st.send_bytes, 0);
  H_EQ(st.accepts + st.connects + st.completions + st.waits + st.batches, 0);
  H_EQ(st.events + st.drops + st.icmp_errors + st.errors, 0);
  H_EQ(st.buf_total, 16);
  H_EQ(st.buf_in_use + st.buf_high_water + st.buf_exhausted, 0);
  H_EQ(st.req_in_use + st.req_high_water + st.req_exhausted, 0);
  if (is_iocp()) H_EQ(st.os_calls, 0);

  c = oscalls(loop);
  H_OK(riox_udp_open(loop, &lo, NULL, 0, NULL, &a));
  H_CALLS(loop, c, 1, -1); /* WSASocket (+ the RIO request queue) */
  H_OK(riox_udp_open(loop, &lo, NULL, 0, NULL, &b));
  H_OK(riox_sock_local(b, &pb));

  /* An idle poll: one kernel wait. */
  riox_loop_stats(loop, &st0);
  H_EQ(riox_wait(loop, &ev, 1, 0), 0);
  riox_loop_stats(loop, &st);
  H_EQ(st.waits - st0.waits, 1);
  H_CHECK(st.os_calls - st0.os_calls >= 1);
  if (is_iocp()) H_EQ(st.os_calls - st0.os_calls, 1);
  H_EQ(st.events, 0);
  H_EQ(st.batches, 0);

  /* Posting: one call each on IOCP. The first post on a socket may also
   * set up the backend's side of it (the RIO request queue), so on RIO only
   * posts on sockets already in use are measured exactly: the deferred
   * sends here, the receive and the immediate send further down. */
  H_OK(riox_buf_get(loop, &r1));
  H_OK(riox_buf_get(loop, &s1));
  H_OK(riox_buf_get(loop, &s2));
  H_OK(riox_buf_get(loop, &s3));
  c = oscalls(loop);
  H_OK(riox_recv(b, r1, riox_loop_buf_size(loop), NULL));
  if (is_iocp()) H_EQ(oscalls(loop) - c, 1);
  c = oscalls(loop);
  H_OK(riox_sendto(a, s1, 100, &pb, 0, (void *)1));
  H_CALLS(loop, c, 1, -1);
  c = oscalls(loop);
  H_OK(riox_sendto(a, s2, 200, &pb, RIOX_SEND_DEFER, (void *)2));
  H_OK(riox_sendto(a, s3, 300, &pb, RIOX_SEND_DEFER, (void *)3));
  H_CALLS(loop, c, 0, 0);
  riox_loop_stats(loop, &st);
  H_EQ(st.req_in_use, 4);
  H_EQ(st.req_high_water, 4);
  H_EQ(st.buf_in_use, 4);
  H_EQ(st.buf_high_water, 4);

  /* The flush issues the two deferred sends: it says 2, counts a batch. */
  c = oscalls(loop);
  H_EQ(riox_flush(loop), 2);
  H_CALLS(loop, c, 2, -1);
  riox_loop_stats(loop, &st);
  H_EQ(st.batches, 1);
  H_EQ(riox_flush(loop), 0);
  riox_loop_stats(loop, &st);
  H_EQ(st.batches, 1); /* a flush with nothing to issue is no batch */

  /* Completions: 3 sends, and the one receive (the first datagram). */
  H_EQ(pump(loop, RIOX_EV_SEND, 3, 5000), 3);
  {
    int recvs = 0;
    for (i = 0; i < evlog.n; i++) {
      if (evlog.ev[i].type == RIOX_EV_RECV)
        recvs++;
      else
        H_EQ(evlog.ev[i].type, RIOX_EV_SEND);
    }
    if (recvs == 0) H_EQ(pump(loop, RIOX_EV_RECV, 1, 5000), 1);
  }
  riox_loop_stats(loop, &st);
  H_EQ(st.send_ops, 3);
  H_EQ(st.send_bytes, 600);
  H_EQ(st.recv_ops, 1);
  H_EQ(st.recv_bytes, 100);
  H_EQ(st.errors, 0);
  H_EQ(st.drops, 0);
  H_EQ(st.events, returned);
  H_EQ(st.req_in_use, 0);
  H_CHECK(st.completions >= 4);
  if (is_iocp()) H_EQ(st.completions, 4);

  /* A receive alone is no batch, whatever the backend does to post it. */
  H_OK(riox_buf_get(loop, &r2));
  c = oscalls(loop);
  H_OK(riox_recv(b, r2, riox_loop_buf_size(loop), NULL));
  H_CALLS(loop, c, 1, 0); /* RIO: posted with RIO_MSG_DEFER, no call */
  riox_loop_stats(loop, &st0);
  H_EQ(pump(loop, RIOX_EV_RECV, 1, 5000), 1); /* the 200-byte datagram */
  riox_loop_stats(loop, &st);
  H_EQ(st.batches, st0.batches);
  H_EQ(st.recv_ops, 2);
  H_EQ(st.recv_bytes, 300);
  H_OK(riox_recv(b, r2, riox_loop_buf_size(loop), NULL));
  H_EQ(pump(loop, RIOX_EV_RECV, 1, 5000), 1); /* the 300-byte one */
  riox_loop_stats(loop, &st);
  H_EQ(st.recv_ops, 3);
  H_EQ(st.recv_bytes, 600);

  /* A receive cut short by the close: an error event, no bytes. */
  H_OK(riox_recv(b, r2, riox_loop_buf_size(loop), NULL));
  c = oscalls(loop);
  H_OK(riox_close(b));
  H_CALLS(loop, c, 2, -1); /* CancelIoEx + closesocket */
  H_EQ(pump(loop, RIOX_EV_CLOSE, 1, 5000), 1);
  riox_loop_stats(loop, &st);
  H_EQ(st.errors, 1);
  H_EQ(st.recv_ops, 3);
  H_EQ(st.recv_bytes, 600);
  H_EQ(st.events, returned);
  H_EQ(st.req_in_use, 0);

  /* An immediate send on a socket in use: one call on both backends. */
  c = oscalls(loop);
  H_OK(riox_sendto(a, s1, 10, &pb, 0, (void *)5));
  H_CALLS(loop, c, 1, 1);
  H_EQ(pump(loop, RIOX_EV_SEND, 1, 5000), 1);
  riox_loop_stats(loop, &st);
  H_EQ(st.send_ops, 4);
  H_EQ(st.send_bytes, 610);

  /* The pool figures. */
  H_OK(riox_buf_put(loop, r1));
  H_OK(riox_buf_put(loop, r2));
  H_OK(riox_buf_put(loop, s1));
  H_OK(riox_buf_put(loop, s2));
  H_OK(riox_buf_put(loop, s3));
  riox_loop_stats(loop, &st);
  H_EQ(st.buf_in_use, 0);
  H_EQ(st.buf_high_water, 5);
  H_EQ(st.buf_exhausted, 0);
  riox_loop_close(loop);
  return 0;
}

static int tcp(void) {
  riox_loop_config cfg;
  riox_loop *loop;
  riox_sock *lis, *cli, *srv = NULL;
  riox_addr lo = h_v4(0), la;
  riox_stats st;
  char *buf, *rbuf;
  uint64_t c;
  int i;
  h_config(&cfg);
  cfg.accept_depth = 2;
  returned = 0;
  evlog.n = 0;
  H_OK(h_loop(&loop, &cfg));
  c = oscalls(loop);
  H_OK(riox_tcp_listen(loop, &lo, 0, 0, NULL, &lis));
  /* WSASocket for the listener, then WSASocket + AcceptEx per accept. */
  H_CALLS(loop, c, 1 + 2 * 2, 1 + 2 * 2);
  riox_loop_stats(loop, &st);
  if (h_windows()) H_EQ(st.req_in_use, 2); /* accept_depth AcceptEx calls */
  H_OK(riox_sock_local(lis, &la));
  c = oscalls(loop);
  H_OK(riox_tcp_connect(loop, &la, NULL, 0, NULL, &cli));
  H_CALLS(loop, c, 2, 2); /* WSASocket + ConnectEx */
  H_EQ(pump(loop, RIOX_EV_CONNECT, 1, 5000), 1);
  for (i = 0; i < evlog.n; i++)
    if (evlog.ev[i].type == RIOX_EV_ACCEPT) srv = evlog.ev[i].accepted;
  if (srv == NULL) {
    H_EQ(pump(loop, RIOX_EV_ACCEPT, 1, 5000), 1);
    srv = evlog.ev[evlog.n - 1].accepted;
  }
  riox_loop_stats(loop, &st);
  H_EQ(st.accepts, 1);
  H_EQ(st.connects, 1);
  if (h_windows()) H_EQ(st.req_in_use, 2); /* the listener re-posted its accept */

  H_OK(riox_buf_get(loop, &buf));
  H_OK(riox_buf_get(loop, &rbuf));
  h_fill(buf, 1000, 1);
  H_OK(riox_recv(srv, rbuf, 1000, NULL));
  H_OK(riox_send(cli, buf, 1000, 0, NULL));
  {
    uint32_t got = 0;
    evlog.n = 0;
    while (got < 1000) {
      H_EQ(pump(loop, RIOX_EV_RECV, 1, 5000), 1);
      for (i = 0; i < evlog.n; i++)
        if (evlog.ev[i].type == RIOX_EV_RECV) {
          H_EQ(evlog.ev[i].status, 0);
          got += evlog.ev[i].len;
          evlog.ev[i].type = 0; /* counted */
        }
      if (got < 1000) H_OK(riox_recv(srv, rbuf, 1000, NULL));
    }
  }
  for (i = 0; i < evlog.n; i++)
    if (evlog.ev[i].type == RIOX_EV_SEND) break;
  if (i == evlog.n) H_EQ(pump(loop, RIOX_EV_SEND, 1, 5000), 1);
  riox_loop_stats(loop, &st);
  H_EQ(st.send_ops, 1);
  H_EQ(st.send_bytes, 1000);
  H_EQ(st.recv_bytes, 1000);
  H_EQ(st.errors, 0);
  H_EQ(st.events, returned);
  riox_loop_close(loop);
  return 0;
}

static int test(void) {
  if (udp() != 0) return 1;
  return tcp();
}

int main(void) { return h_run("stats", test); }
