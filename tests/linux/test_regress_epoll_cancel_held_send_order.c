/* Regression (found by tests/fuzz/fuzz_api on epoll): riox_close and
 * riox_cancel end a socket's RIOX_SEND_DEFER sends still held back first,
 * then the rest; the first pass skipped the plain sends queued between
 * held ones, so their events came after those of later held sends: with
 * sends 1 (deferred), 2 (plain, queued behind 1), 3 (deferred), 4 (plain)
 * the events came 1, 3, 2, 4. riox.h: a held send and every send after it
 * end cancelled, and a socket's events come in posting order. Checked for
 * UDP and TCP, close and cancel, every mix of deferred and plain sends. */
#include "harness.h"

static int one(riox_loop *loop, riox_sock *s, const riox_addr *to, unsigned mix, int do_close,
               int tcp) {
  riox_event ev;
  int i, n = 5;
  for (i = 0; i < n; i++) {
    char *buf;
    uint32_t flags = (mix >> i) & 1 ? RIOX_SEND_DEFER : 0;
    H_OK(riox_buf_get(loop, &buf));
    memset(buf, i, 16);
    if (tcp)
      H_OK(riox_send(s, buf, 16, flags, (void *)(uintptr_t)(i + 1)));
    else
      H_OK(riox_sendto(s, buf, 16, to, flags, (void *)(uintptr_t)(i + 1)));
  }
  if (do_close)
    H_OK(riox_close(s));
  else
    H_OK(riox_cancel(s));
  for (i = 0; i < n; i++) {
    H_EQ(h_wait_for(loop, RIOX_EV_SEND, s, &ev, NULL, 5000), 0);
    if (ev.ctx != (void *)(uintptr_t)(i + 1)) {
      H_FAIL("%s %s, mix 0x%x: send %d's event came as number %d", tcp ? "TCP" : "UDP",
             do_close ? "close" : "cancel", mix, (int)(uintptr_t)ev.ctx, i + 1);
      return 1;
    }
    H_CHECK(ev.status == 0 || ev.status == RIOX_ECANCELED);
    riox_buf_put(loop, ev.data);
  }
  if (do_close) H_EQ(h_wait_for(loop, RIOX_EV_CLOSE, s, &ev, NULL, 5000), 0);
  return 0;
}

static int test(void) {
  riox_loop *loop;
  riox_sock *u, *peer, *c, *srv;
  riox_addr any = h_v4(0), to;
  riox_event ev;
  unsigned mix;
  H_OK(h_loop(&loop, NULL));
  H_OK(riox_udp_open(loop, &any, NULL, 0, NULL, &peer));
  H_OK(riox_sock_local(peer, &to));
  for (mix = 0; mix < 32; mix++) {
    int k;
    for (k = 0; k < 2; k++) {
      H_OK(riox_udp_open(loop, &any, NULL, 0, NULL, &u));
      if (one(loop, u, &to, mix, 1, 0) != 0) return 1;
    }
    H_OK(riox_udp_open(loop, &any, NULL, 0, NULL, &u));
    if (one(loop, u, &to, mix, 0, 0) != 0) return 1;
    H_OK(riox_close(u));
    H_EQ(h_wait_for(loop, RIOX_EV_CLOSE, u, &ev, NULL, 5000), 0);
  }
  for (mix = 0; mix < 32; mix += 5) {
    if (h_tcp_pair(loop, loop, 0, &c, &srv) != 0) return 1;
    if (one(loop, c, NULL, mix, 0, 1) != 0) return 1;
    if (one(loop, c, NULL, mix, 1, 1) != 0) return 1;
    H_OK(riox_close(srv));
    H_EQ(h_wait_for(loop, RIOX_EV_CLOSE, srv, &ev, NULL, 5000), 0);
  }
  H_OK(riox_close(peer));
  H_EQ(h_wait_for(loop, RIOX_EV_CLOSE, peer, &ev, NULL, 5000), 0);
  riox_loop_close(loop);
  return 0;
}

int main(void) { return h_run("regress_epoll_cancel_held_send_order", test); }
