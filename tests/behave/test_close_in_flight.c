/* riox_close with operations in flight (riox.h, "Socket lifecycle"): every
 * posted operation still yields exactly one event -- found by its ctx, with
 * its buffer handed back -- with status 0 (it finished first) or
 * RIOX_ECANCELED; then exactly one RIOX_EV_CLOSE, and nothing after it.
 *
 *  - UDP: receives posted (one may get a datagram), sends issued and sends
 *    deferred (not yet issued).
 *  - TCP connection: receives posted (the peer never sends, so each must be
 *    RIOX_ECANCELED), 2 MiB of sends queued behind a peer that does not read,
 *    a deferred send and a riox_shutdown waiting for them. The peer then reads
 *    until the end: what it gets is an unbroken prefix of the stream (sends
 *    are issued in order; a cancelled one leaves no hole).
 *  - A listener with its AcceptEx calls posted: just one CLOSE.
 *  - A connect still in progress: its CONNECT event, then CLOSE.
 * A second riox_close answers RIOX_ECLOSING. At the end no buffer and no
 * request is in use. */
#include "harness.h"

#define NRECV 4
#define TCP_NSEND 32
#define TCP_SLOT (64u * 1024u)

enum { OP_RECV = 1, OP_SEND, OP_SHUTDOWN, OP_CONNECT };

/* The operations posted on the socket under test, by ctx = index + 1. */
typedef struct op {
  int kind;
  char *buf;
  int seen;
} op_t;

static op_t ops[64];
static int nops;
static h_log evlog;

static void *op_add(int kind, char *buf) {
  ops[nops].kind = kind;
  ops[nops].buf = buf;
  ops[nops].seen = 0;
  nops++;
  return (void *)(uintptr_t)nops;
}

/* Check the events of `s` in evlog against ops: one per op, then exactly one
 * CLOSE, last. `must_cancel_recv`: no data could arrive. Buffers go back. */
static int check_events(riox_loop *loop, riox_sock *s, void *sock_ctx, int must_cancel_recv) {
  int i, k, closes = 0, close_at = -1, n = 0;
  for (i = 0; i < evlog.n; i++) {
    const riox_event *e = &evlog.ev[i];
    op_t *op;
    if (e->sock != s) continue;
    n++;
    H_CHECK(e->sock_ctx == sock_ctx);
    if (e->type == RIOX_EV_CLOSE) {
      closes++;
      close_at = n;
      continue;
    }
    /* Nothing may follow the CLOSE. */
    if (closes > 0) {
      H_FAIL("event type %u (ctx %p, status %d %s) after the CLOSE event", e->type, e->ctx,
             e->status, riox_err_name(e->status));
      return 1;
    }
    k = (int)(uintptr_t)e->ctx - 1;
    H_CHECK(k >= 0 && k < nops);
    op = &ops[k];
    H_EQ(op->seen, 0); /* exactly one event per operation */
    op->seen = 1;
    switch (op->kind) {
    case OP_RECV:
      H_EQ(e->type, RIOX_EV_RECV);
      H_CHECK(e->data == op->buf);
      if (must_cancel_recv || e->status != 0) {
        H_ERR(e->status, RIOX_ECANCELED);
        H_EQ(e->len, 0);
      }
      break;
    case OP_SEND:
      H_EQ(e->type, RIOX_EV_SEND);
      H_CHECK(e->data == op->buf);
      if (e->status != 0) H_ERR(e->status, RIOX_ECANCELED);
      break;
    case OP_SHUTDOWN:
      H_EQ(e->type, RIOX_EV_SHUTDOWN);
      if (e->status != 0) H_ERR(e->status, RIOX_ECANCELED);
      break;
    default:
      H_EQ(e->type, RIOX_EV_CONNECT);
      break;
    }
    if (op->buf != NULL) H_OK(riox_buf_put(loop, op->buf));
  }
  for (k = 0; k < nops; k++) {
    if (!ops[k].seen) {
      H_FAIL("operation ctx %d (kind %d) never got its event", k + 1, ops[k].kind);
      return 1;
    }
  }
  H_EQ(closes, 1);
  H_EQ(close_at, n);
  return 0;
}

/* Run the loop until `s` has its CLOSE event in evlog, then 300 ms more so
 * that anything (wrongly) following it shows. */
static int collect_until_closed(riox_loop *loop, riox_sock *s) {
  uint64_t until = h_now_ms() + 10000;
  for (;;) {
    int i, closed = 0;
    for (i = 0; i < evlog.n; i++)
      if (evlog.ev[i].type == RIOX_EV_CLOSE && evlog.ev[i].sock == s) closed = 1;
    if (closed) break;
    if (h_now_ms() >= until) {
      H_FAIL("no CLOSE event within 10 s");
      return 1;
    }
    h_collect(loop, 0, 1 << 30, &evlog, 50);
  }
  h_collect(loop, 0, 1 << 30, &evlog, 300);
  return 0;
}

static int check_idle(riox_loop *loop) {
  riox_stats st;
  riox_loop_stats(loop, &st);
  H_EQ(st.buf_in_use, 0);
  H_EQ(st.req_in_use, 0);
  return 0;
}

static int udp_case(void) {
  riox_loop *loop;
  riox_sock *s, *peer;
  riox_addr la = h_v4(0), ps, pp;
  char *buf;
  int i;
  H_OK(h_loop(&loop, NULL));
  H_OK(riox_udp_open(loop, &la, NULL, 0, (void *)0x5c, &s));
  H_OK(riox_udp_open(loop, &la, NULL, 0, NULL, &peer));
  H_OK(riox_sock_local(s, &ps));
  H_OK(riox_sock_local(peer, &pp));
  nops = 0;
  for (i = 0; i < NRECV; i++) {
    H_OK(riox_buf_get(loop, &buf));
    H_OK(riox_recv(s, buf, riox_loop_buf_size(loop), op_add(OP_RECV, buf)));
  }
  for (i = 0; i < 4; i++) {
    H_OK(riox_buf_get(loop, &buf));
    h_fill(buf, 100, (uint32_t)i);
    H_OK(riox_sendto(s, buf, 100, &pp, i < 2 ? 0 : RIOX_SEND_DEFER, op_add(OP_SEND, buf)));
  }
  /* One datagram towards s: a receive may complete with it before the close. */
  H_OK(riox_buf_get(loop, &buf));
  h_fill(buf, 50, 9);
  H_OK(riox_sendto(peer, buf, 50, &ps, 0, NULL));
  H_OK(riox_close(s));
  H_ERR(riox_close(s), RIOX_ECLOSING);
  evlog.n = 0;
  if (collect_until_closed(loop, s) != 0) return 1;
  if (check_events(loop, s, (void *)0x5c, 0) != 0) return 1;
  /* The peer's own send, for its buffer. */
  for (i = 0; i < evlog.n; i++) {
    const riox_event *e = &evlog.ev[i];
    if (e->sock == peer) {
      H_EQ(e->type, RIOX_EV_SEND);
      H_EQ(e->status, 0);
      H_OK(riox_buf_put(loop, e->data));
    }
  }
  H_OK(riox_close(peer));
  evlog.n = 0;
  if (collect_until_closed(loop, peer) != 0) return 1;
  if (check_idle(loop) != 0) return 1;
  riox_loop_close(loop);
  return 0;
}

/* The peer reads everything until the end of the stream; the bytes must be
 * a prefix of what cli posted (send k = TCP_SLOT bytes of pattern k). */
static int drain_peer(riox_loop *loop, riox_sock *srv, uint32_t *total, int *eof) {
  static char expect[TCP_SLOT];
  uint64_t until = h_now_ms() + 20000;
  int cur = -1;
  char *buf;
  riox_event ev;
  *total = 0;
  H_OK(riox_buf_get(loop, &buf));
  for (;;) {
    H_OK(riox_recv(srv, buf, TCP_SLOT, NULL));
    H_EQ(h_wait_for(loop, RIOX_EV_RECV, srv, &ev, NULL, 10000), 0);
    if (ev.status != 0) break;
    /* Compare chunk by chunk against the stream's patterns. */
    {
      uint32_t done = 0;
      while (done < ev.len) {
        uint32_t k = (*total + done) / TCP_SLOT, at = (*total + done) % TCP_SLOT;
        uint32_t n = TCP_SLOT - at < ev.len - done ? TCP_SLOT - at : ev.len - done;
        H_CHECK(k < TCP_NSEND);
        if ((int)k != cur) {
          h_fill(expect, TCP_SLOT, 1000 + k);
          cur = (int)k;
        }
        if (memcmp(ev.data + done, expect + at, n) != 0) {
          H_FAIL("stream byte %u (send %u, offset %u) differs: a hole or reordering", *total + done,
                 k, at);
          return 1;
        }
        done += n;
      }
    }
    *total += ev.len;
    H_CHECK(h_now_ms() < until);
  }
  /* Orderly end (EOF) or the close turned into a reset: both end the stream. */
  H_CHECK(ev.status == RIOX_EOF || ev.status == RIOX_ECONNRESET);
  *eof = ev.status == RIOX_EOF;
  H_OK(riox_buf_put(loop, buf));
  return 0;
}

static int tcp_case(void) {
  riox_loop_config cfg;
  riox_loop *loop;
  riox_sock *cli, *srv, *lis, *conn;
  riox_addr la = h_v4(0), laddr;
  char *buf;
  uint32_t got;
  uint64_t acked = 0;
  int i, eof = 0;
  h_config(&cfg);
  cfg.buf_size = TCP_SLOT;
  cfg.buf_count = TCP_NSEND + 16;
  H_OK(h_loop(&loop, &cfg));
  if (h_tcp_pair(loop, loop, 0, &cli, &srv) != 0) return 1;
  riox_sock_set_ctx(cli, (void *)0xc1);
  nops = 0;
  for (i = 0; i < NRECV; i++) {
    H_OK(riox_buf_get(loop, &buf));
    H_OK(riox_recv(cli, buf, TCP_SLOT, op_add(OP_RECV, buf)));
  }
  for (i = 0; i < TCP_NSEND; i++) {
    H_OK(riox_buf_get(loop, &buf));
    h_fill(buf, TCP_SLOT, 1000 + (uint32_t)i);
    H_OK(riox_send(cli, buf, TCP_SLOT, i == TCP_NSEND - 1 ? RIOX_SEND_DEFER : 0,
                   op_add(OP_SEND, buf)));
  }
  H_OK(riox_shutdown(cli, op_add(OP_SHUTDOWN, NULL)));
  H_OK(riox_close(cli));
  H_ERR(riox_close(cli), RIOX_ECLOSING);
  evlog.n = 0;
  if (collect_until_closed(loop, cli) != 0) return 1;
  for (i = 0; i < evlog.n; i++)
    if (evlog.ev[i].sock == cli && evlog.ev[i].type == RIOX_EV_SEND && evlog.ev[i].status == 0)
      acked += evlog.ev[i].len;
  if (check_events(loop, cli, (void *)0xc1, 1) != 0) return 1;
  /* The peer sees an unbroken prefix, and everything reported sent when the
   * stream ended in order. */
  if (drain_peer(loop, srv, &got, &eof) != 0) return 1;
  printf("tcp: %llu of %u bytes reported sent, peer received %u, %s\n", (unsigned long long)acked,
         TCP_NSEND * TCP_SLOT, got, eof ? "EOF" : "reset");
  H_CHECK(got <= TCP_NSEND * TCP_SLOT);
  /* A send reports success only when every byte is sent (riox_send), and
   * closesocket without linger delivers what was sent before the FIN. */
  if (eof) H_CHECK(got >= acked);
  H_OK(riox_close(srv));
  evlog.n = 0;
  if (collect_until_closed(loop, srv) != 0) return 1;

  /* A listener with AcceptEx calls posted: one CLOSE, nothing else. */
  H_OK(riox_tcp_listen(loop, &la, 0, 0, (void *)0x11, &lis));
  H_OK(riox_sock_local(lis, &laddr));
  nops = 0;
  H_OK(riox_close(lis));
  evlog.n = 0;
  if (collect_until_closed(loop, lis) != 0) return 1;
  if (check_events(loop, lis, (void *)0x11, 1) != 0) return 1;

  /* A connect in progress: CONNECT (whatever its outcome), then CLOSE. The
   * target listens, so the connect may also have succeeded first. */
  H_OK(riox_tcp_listen(loop, &la, 0, 0, NULL, &lis));
  H_OK(riox_sock_local(lis, &laddr));
  nops = 0;
  H_OK(riox_tcp_connect(loop, &laddr, NULL, 0, op_add(OP_CONNECT, NULL), &conn));
  riox_sock_set_ctx(conn, (void *)0xcc);
  H_OK(riox_close(conn));
  evlog.n = 0;
  if (collect_until_closed(loop, conn) != 0) return 1;
  if (check_events(loop, conn, (void *)0xcc, 1) != 0) return 1;
  /* The listener may have accepted it meanwhile: close what came. */
  for (i = 0; i < evlog.n; i++)
    if (evlog.ev[i].type == RIOX_EV_ACCEPT) H_OK(riox_close(evlog.ev[i].accepted));
  H_OK(riox_close(lis));
  evlog.n = 0;
  if (collect_until_closed(loop, lis) != 0) return 1;
  if (check_idle(loop) != 0) return 1;
  riox_loop_close(loop);
  return 0;
}

static int test(void) {
  if (udp_case() != 0) return 1;
  return tcp_case();
}

int main(void) { return h_run("close_in_flight", test); }
