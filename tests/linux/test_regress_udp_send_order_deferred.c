/* Regression (found by tests/fuzz/fuzz_api on epoll): a UDP send that
 * completed inside its riox_send (the socket writable, nothing queued)
 * has its event queued at the next wait; a RIOX_SEND_DEFER send posted
 * after it, completed by that wait's flush, had its event queued first:
 * the socket's SEND events came out of posting order (riox.h: every
 * posted operation yields one event, in order per socket and direction).
 * Checked with the flush from riox_wait and from riox_flush, for a run of
 * plain and deferred sends in every mix. */
#include "harness.h"

static int one(riox_loop *loop, riox_sock *a, const riox_addr *to, unsigned mix, int flush_first) {
  riox_event ev;
  int i, n = 6;
  for (i = 0; i < n; i++) {
    char *buf;
    H_OK(riox_buf_get(loop, &buf));
    memset(buf, i, 32);
    H_OK(riox_sendto(a, buf, 32, to, (mix >> i) & 1 ? RIOX_SEND_DEFER : 0, (void *)(uintptr_t)(i + 1)));
  }
  if (flush_first) H_CHECK(riox_flush(loop) >= 0);
  for (i = 0; i < n; i++) {
    H_EQ(h_wait_for(loop, RIOX_EV_SEND, a, &ev, NULL, 5000), 0);
    if (ev.ctx != (void *)(uintptr_t)(i + 1)) {
      H_FAIL("mix 0x%x%s: send %d's event came as number %d", mix, flush_first ? " (riox_flush)" : "",
             (int)(uintptr_t)ev.ctx, i + 1);
      return 1;
    }
    H_EQ(ev.status, 0);
    riox_buf_put(loop, ev.data);
  }
  return 0;
}

static int test(void) {
  riox_loop *loop;
  riox_sock *a, *b;
  riox_addr any = h_v4(0), to;
  riox_event ev;
  unsigned mix;
  H_OK(h_loop(&loop, NULL));
  H_OK(riox_udp_open(loop, &any, NULL, 0, NULL, &a));
  H_OK(riox_udp_open(loop, &any, NULL, 0, NULL, &b));
  H_OK(riox_sock_local(b, &to));
  for (mix = 0; mix < 64; mix++) {
    if (one(loop, a, &to, mix, 0) != 0) return 1;
    if (one(loop, a, &to, mix, 1) != 0) return 1;
  }
  H_OK(riox_close(a));
  H_OK(riox_close(b));
  H_EQ(h_wait_for(loop, RIOX_EV_CLOSE, a, &ev, NULL, 5000), 0);
  H_EQ(h_wait_for(loop, RIOX_EV_CLOSE, b, &ev, NULL, 5000), 0);
  riox_loop_close(loop);
  return 0;
}

int main(void) { return h_run("regress_udp_send_order_deferred", test); }
