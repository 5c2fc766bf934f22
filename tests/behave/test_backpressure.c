/* Back-pressure on request slots (riox_loop_config.max_requests: "in-flight
 * operations per loop"): when every slot is taken a post answers
 * RIOX_ENOBUFS, posts nothing and keeps nothing (the buffer stays the
 * caller's); no completion is ever lost; a slot is free again once its
 * operation's event has been returned.
 *  1. UDP: exactly max_requests receives fit; the next receive or send is
 *     refused; the posted receives then all complete, each exactly once.
 *  2. Deferred sends hold their slots until the flush; after it, posting works.
 *  3. A stream of 48 datagrams through a loop whose 8 slots are all posted
 *     receives, re-posted from each event: all 48 arrive, each once.
 *  4. A listener whose accept depth exceeds the slots takes what there is;
 *     connects on that loop are refused with RIOX_ENOBUFS, while the
 *     listener still accepts a connection from another loop. */
#include "harness.h"

#define MAXREQ 8
#define STREAM 48

static h_log evlog;

static int stats_of(riox_loop *loop, riox_stats *st) {
  riox_loop_stats(loop, st);
  return 0;
}

/* Send datagram seq (a 4-byte counter, 32 bytes) from s to `to`, and wait
 * for the SEND on the sender's own loop. */
static int send_one(riox_loop *loop, riox_sock *s, const riox_addr *to, uint32_t seq) {
  char *buf;
  riox_event ev;
  H_OK(riox_buf_get(loop, &buf));
  h_fill(buf, 32, seq);
  H_OK(riox_sendto(s, buf, 32, to, 0, (void *)(uintptr_t)seq));
  H_EQ(h_wait_for(loop, RIOX_EV_SEND, s, &ev, NULL, 5000), 0);
  H_EQ(ev.status, 0);
  H_OK(riox_buf_put(loop, ev.data));
  return 0;
}

static int udp_slots(void) {
  riox_loop_config cfg;
  riox_loop *loop, *peer;
  riox_sock *r, *s, *p;
  riox_addr lo = h_v4(0), ra, pa;
  riox_stats st;
  riox_event ev;
  char *bufs[MAXREQ], *extra;
  int i, seen[MAXREQ];
  h_config(&cfg);
  cfg.max_requests = MAXREQ;
  H_OK(h_loop(&loop, &cfg));
  H_OK(h_loop(&peer, NULL));
  H_OK(riox_udp_open(loop, &lo, NULL, 0, NULL, &r));
  H_OK(riox_udp_open(loop, &lo, NULL, 0, NULL, &s));
  H_OK(riox_udp_open(peer, &lo, NULL, 0, NULL, &p));
  H_OK(riox_sock_local(r, &ra));
  H_OK(riox_sock_local(p, &pa));

  /* 1. Fill every slot with receives. */
  for (i = 0; i < MAXREQ; i++) {
    H_OK(riox_buf_get(loop, &bufs[i]));
    H_OK(riox_recv(r, bufs[i], riox_loop_buf_size(loop), (void *)(uintptr_t)(i + 1)));
  }
  H_OK(riox_buf_get(loop, &extra));
  H_ERR(riox_recv(r, extra, 64, (void *)99), RIOX_ENOBUFS);
  H_ERR(riox_sendto(s, extra, 64, &pa, 0, (void *)99), RIOX_ENOBUFS);
  H_ERR(riox_sendto(s, extra, 64, &pa, RIOX_SEND_DEFER, (void *)99), RIOX_ENOBUFS);
  H_OK(riox_buf_put(loop, extra)); /* still the caller's: it goes back */
  stats_of(loop, &st);
  H_EQ(st.req_in_use, MAXREQ);
  H_EQ(st.req_high_water, MAXREQ);
  H_EQ(st.req_exhausted, 3);
  H_EQ(riox_wait(loop, &ev, 1, 100), 0); /* the refusals posted nothing */

  /* Every posted receive completes, exactly once. */
  for (i = 0; i < MAXREQ; i++)
    if (send_one(peer, p, &ra, (uint32_t)i) != 0) return 1;
  evlog.n = 0;
  H_EQ(h_collect(loop, RIOX_EV_RECV, MAXREQ, &evlog, 10000), MAXREQ);
  H_EQ(evlog.n, MAXREQ);
  memset(seen, 0, sizeof seen);
  for (i = 0; i < MAXREQ; i++) {
    const riox_event *e = &evlog.ev[i];
    int k = (int)(uintptr_t)e->ctx - 1;
    H_EQ(e->status, 0);
    H_CHECK(k >= 0 && k < MAXREQ);
    H_EQ(seen[k], 0);
    seen[k] = 1;
    H_EQ(e->len, 32);
    H_OK(riox_buf_put(loop, e->data));
  }
  stats_of(loop, &st);
  H_EQ(st.req_in_use, 0);

  /* 2. Deferred sends hold their slots until the flush. */
  for (i = 0; i < MAXREQ; i++) {
    H_OK(riox_buf_get(loop, &bufs[i]));
    h_fill(bufs[i], 16, (uint32_t)(100 + i));
    H_OK(riox_sendto(s, bufs[i], 16, &pa, RIOX_SEND_DEFER, (void *)(uintptr_t)(100 + i)));
  }
  H_OK(riox_buf_get(loop, &extra));
  H_ERR(riox_sendto(s, extra, 16, &pa, RIOX_SEND_DEFER, NULL), RIOX_ENOBUFS);
  H_ERR(riox_recv(r, extra, 16, NULL), RIOX_ENOBUFS);
  H_EQ(riox_flush(loop), MAXREQ);
  evlog.n = 0;
  H_EQ(h_collect(loop, RIOX_EV_SEND, MAXREQ, &evlog, 10000), MAXREQ);
  memset(seen, 0, sizeof seen);
  for (i = 0; i < evlog.n; i++) {
    const riox_event *e = &evlog.ev[i];
    int k = (int)(uintptr_t)e->ctx - 100;
    H_EQ(e->type, RIOX_EV_SEND);
    H_EQ(e->status, 0);
    H_CHECK(k >= 0 && k < MAXREQ);
    H_EQ(seen[k], 0);
    seen[k] = 1;
    H_OK(riox_buf_put(loop, e->data));
  }
  H_EQ(evlog.n, MAXREQ);
  /* Slots are free again. */
  H_OK(riox_recv(r, extra, 16, (void *)7));
  riox_loop_close(peer);
  riox_loop_close(loop);
  return 0;
}

static int stream(void) {
  riox_loop_config cfg;
  riox_loop *loop, *peer;
  riox_sock *r, *p;
  riox_addr lo = h_v4(0), ra;
  riox_stats st;
  static unsigned char seen[STREAM];
  int i, received = 0, sent = 0;
  uint64_t until;
  h_config(&cfg);
  cfg.max_requests = MAXREQ;
  H_OK(h_loop(&loop, &cfg));
  H_OK(h_loop(&peer, NULL));
  H_OK(riox_udp_open(loop, &lo, NULL, 0, NULL, &r));
  H_OK(riox_udp_open(peer, &lo, NULL, 0, NULL, &p));
  H_OK(riox_sock_local(r, &ra));
  memset(seen, 0, sizeof seen);
  for (i = 0; i < MAXREQ; i++) {
    char *buf;
    H_OK(riox_buf_get(loop, &buf));
    H_OK(riox_recv(r, buf, riox_loop_buf_size(loop), NULL));
  }
  /* Bursts of 4: the socket's own buffer holds them until a receive is
   * posted again, so none is lost to UDP itself. */
  until = h_now_ms() + 20000;
  while (received < STREAM && h_now_ms() < until) {
    riox_event evs[16];
    int n, k;
    for (i = 0; i < 4 && sent < STREAM; i++, sent++)
      if (send_one(peer, p, &ra, (uint32_t)sent) != 0) return 1;
    n = riox_wait(loop, evs, 16, 100);
    H_CHECK(n >= 0);
    for (k = 0; k < n; k++) {
      const riox_event *e = &evs[k];
      uint32_t seq;
      H_EQ(e->type, RIOX_EV_RECV);
      H_EQ(e->status, 0);
      H_EQ(e->len, 32);
      /* The datagram says which one it is: find its seq. */
      for (seq = 0; seq < STREAM; seq++)
        if (h_verify(e->data, 32, seq) == 0) break;
      H_CHECK(seq < STREAM);
      if (seen[seq]) {
        H_FAIL("datagram %u received twice", seq);
        return 1;
      }
      seen[seq] = 1;
      received++;
      /* The event returned its slot: re-posting must succeed. */
      H_OK(riox_recv(r, e->data, riox_loop_buf_size(loop), NULL));
    }
  }
  H_EQ(received, STREAM);
  stats_of(loop, &st);
  H_EQ(st.req_in_use, MAXREQ);
  H_EQ(st.req_high_water, MAXREQ);
  H_EQ(st.req_exhausted, 0);
  H_EQ(st.recv_ops, STREAM);
  riox_loop_close(peer);
  riox_loop_close(loop);
  return 0;
}

static int listener_slots(void) {
  riox_loop_config cfg;
  riox_loop *loop, *other;
  riox_sock *lis, *u, *c, *conn;
  riox_addr lo = h_v4(0), la;
  riox_stats st;
  riox_event ev;
  char *buf;
  int i;
  h_config(&cfg);
  cfg.max_requests = 4;
  cfg.accept_depth = 8;
  H_OK(h_loop(&loop, &cfg));
  H_OK(h_loop(&other, NULL));
  H_OK(riox_tcp_listen(loop, &lo, 0, 0, NULL, &lis));
  H_OK(riox_sock_local(lis, &la));
  stats_of(loop, &st);
  H_EQ(st.req_in_use, 4);
  /* No slot left for the application. */
  H_ERR(riox_tcp_connect(loop, &la, NULL, 0, NULL, &c), RIOX_ENOBUFS);
  H_OK(riox_udp_open(loop, &lo, NULL, 0, NULL, &u));
  H_OK(riox_buf_get(loop, &buf));
  H_ERR(riox_recv(u, buf, 64, NULL), RIOX_ENOBUFS);
  H_OK(riox_buf_put(loop, buf));
  /* The listener still serves: three connections from another loop. */
  for (i = 0; i < 3; i++) {
    H_OK(riox_tcp_connect(other, &la, NULL, 0, NULL, &conn));
    H_EQ(h_wait_for(loop, RIOX_EV_ACCEPT, lis, &ev, NULL, 10000), 0);
    H_EQ(ev.status, 0);
    H_OK(riox_close(ev.accepted));
    H_EQ(h_wait_for(other, RIOX_EV_CONNECT, conn, &ev, NULL, 10000), 0);
    H_EQ(ev.status, 0);
    H_OK(riox_close(conn));
  }
  /* Nothing went wrong on the listener: no error event. */
  evlog.n = 0;
  h_collect(loop, 0, 1 << 30, &evlog, 300);
  for (i = 0; i < evlog.n; i++) {
    if (evlog.ev[i].type != RIOX_EV_CLOSE) {
      H_FAIL("unexpected event type %u status %d %s", evlog.ev[i].type, evlog.ev[i].status,
             riox_err_name(evlog.ev[i].status));
      return 1;
    }
  }
  stats_of(loop, &st);
  H_EQ(st.accepts, 3);
  H_EQ(st.req_in_use, 4);
  riox_loop_close(other);
  riox_loop_close(loop);
  return 0;
}

static int test(void) {
  if (udp_slots() != 0) return 1;
  if (stream() != 0) return 1;
  return listener_slots();
}

int main(void) { return h_run("backpressure", test); }
