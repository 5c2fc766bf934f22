/* riox_cancel (riox.h): every pending receive and send of the socket
 * completes -- exactly one event each -- with RIOX_ECANCELED unless it
 * finished first, and the socket stays open and usable.
 *  - UDP: three receives and a deferred send pending; after the cancel a new
 *    receive gets the next datagram.
 *  - TCP: a pending receive is cancelled; the connection still carries data
 *    both ways afterwards.
 * On a RIO loop riox_cancel answers RIOX_ENOTSUP (docs/design.md: RIO has
 * no per-request cancel), posts nothing and changes nothing. */
#include "harness.h"

static h_log evlog;

static int is_rio(void) { return strncmp(h_backend, "rio", 3) == 0; }

/* Every event for ms milliseconds, into evlog. */
static int collect(riox_loop *loop, int ms) {
  evlog.n = 0;
  h_collect(loop, 0, 1 << 30, &evlog, ms);
  return 0;
}

static int udp(void) {
  riox_loop *loop;
  riox_sock *s, *p;
  riox_addr lo = h_v4(0), sa, pa;
  riox_event ev;
  char *r[3], *d, *x;
  int i, seen[4] = {0, 0, 0, 0}, rc;
  H_OK(h_loop(&loop, NULL));
  H_OK(riox_udp_open(loop, &lo, NULL, 0, NULL, &s));
  H_OK(riox_udp_open(loop, &lo, NULL, 0, NULL, &p));
  H_OK(riox_sock_local(s, &sa));
  H_OK(riox_sock_local(p, &pa));
  for (i = 0; i < 3; i++) {
    H_OK(riox_buf_get(loop, &r[i]));
    H_OK(riox_recv(s, r[i], riox_loop_buf_size(loop), (void *)(uintptr_t)(i + 1)));
  }
  H_OK(riox_buf_get(loop, &d));
  H_OK(riox_sendto(s, d, 10, &pa, RIOX_SEND_DEFER, (void *)4));
  rc = riox_cancel(s);
  if (is_rio() && rc == RIOX_ENOTSUP) {
    printf("riox_cancel on %s: RIOX_ENOTSUP (design.md)\n", h_backend);
    /* Nothing was cancelled: the deferred send still goes out. */
    H_EQ(riox_flush(loop) >= 0, 1);
    H_EQ(h_wait_for(loop, RIOX_EV_SEND, s, &ev, NULL, 5000), 0);
    H_EQ(ev.status, 0);
    riox_loop_close(loop);
    return 0;
  }
  H_OK(rc);
  /* Wait for the four events, then a moment for anything extra. */
  collect(loop, 300);
  for (i = 0; i < evlog.n; i++) {
    const riox_event *e = &evlog.ev[i];
    int k = (int)(uintptr_t)e->ctx - 1;
    H_CHECK(e->sock == s);
    H_CHECK(k >= 0 && k < 4);
    H_EQ(seen[k], 0);
    seen[k] = 1;
    H_EQ(e->type, k < 3 ? RIOX_EV_RECV : RIOX_EV_SEND);
    H_ERR(e->status, RIOX_ECANCELED);
    H_EQ(e->len, 0);
  }
  H_EQ(evlog.n, 4);
  /* Still open: a new receive gets a datagram. */
  H_OK(riox_recv(s, r[0], riox_loop_buf_size(loop), (void *)9));
  H_OK(riox_buf_get(loop, &x));
  h_fill(x, 33, 3);
  H_OK(riox_sendto(p, x, 33, &sa, 0, NULL));
  H_EQ(h_wait_for(loop, RIOX_EV_RECV, s, &ev, NULL, 5000), 0);
  H_EQ(ev.status, 0);
  H_CHECK(ev.ctx == (void *)9);
  H_EQ(ev.len, 33);
  H_EQ(h_verify(ev.data, 33, 3), 0);
  /* A cancel with nothing pending is fine. */
  H_OK(riox_cancel(s));
  H_OK(riox_close(s));
  H_EQ(h_wait_for(loop, RIOX_EV_CLOSE, s, &ev, NULL, 5000), 0);
  riox_loop_close(loop);
  return 0;
}

static int tcp(void) {
  riox_loop *loop;
  riox_sock *cli, *srv;
  riox_event ev;
  char *r, *d;
  int rc;
  H_OK(h_loop(&loop, NULL));
  if (h_tcp_pair(loop, loop, 0, &cli, &srv) != 0) return 1;
  H_OK(riox_buf_get(loop, &r));
  H_OK(riox_buf_get(loop, &d));
  H_OK(riox_recv(cli, r, 100, (void *)1));
  rc = riox_cancel(cli);
  if (is_rio() && rc == RIOX_ENOTSUP) {
    riox_loop_close(loop);
    return 0;
  }
  H_OK(rc);
  H_EQ(h_wait_for(loop, RIOX_EV_RECV, cli, &ev, NULL, 5000), 0);
  H_ERR(ev.status, RIOX_ECANCELED);
  H_CHECK(ev.ctx == (void *)1);
  /* Both directions still work. */
  H_OK(riox_recv(cli, r, 100, (void *)2));
  h_fill(d, 50, 7);
  H_OK(riox_send(srv, d, 50, 0, NULL));
  H_EQ(h_wait_for(loop, RIOX_EV_RECV, cli, &ev, NULL, 5000), 0);
  H_EQ(ev.status, 0);
  H_CHECK(ev.ctx == (void *)2);
  H_CHECK(ev.len > 0 && ev.len <= 50);
  H_EQ(memcmp(ev.data, d, ev.len), 0);
  H_EQ(h_wait_for(loop, RIOX_EV_SEND, srv, &ev, NULL, 5000), 0);
  H_EQ(ev.status, 0);
  H_OK(riox_recv(srv, d, 100, (void *)3));
  h_fill(r, 40, 8);
  H_OK(riox_send(cli, r, 40, 0, NULL));
  H_EQ(h_wait_for(loop, RIOX_EV_RECV, srv, &ev, NULL, 5000), 0);
  H_EQ(ev.status, 0);
  H_CHECK(ev.len > 0 && ev.len <= 40);
  H_EQ(h_verify(ev.data, ev.len, 8), 0);
  riox_loop_close(loop);
  return 0;
}

static int test(void) {
  if (udp() != 0) return 1;
  return tcp();
}

int main(void) { return h_run("cancel", test); }
