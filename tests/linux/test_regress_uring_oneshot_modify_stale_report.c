/* Regression (found by tests/fuzz/fuzz_api): a RIOX_ONESHOT watch for
 * READABLE, armed and woken by a datagram, then modified to
 * READABLE|WRITABLE before the next wait. On uring the poll of the old
 * interest was still completing (the POLL_REMOVE came too late): its
 * READABLE-only report was delivered under the new watch, and the one-shot
 * watch was disarmed with WRITABLE, which holds, never reported. epoll's
 * EPOLL_CTL_MOD re-evaluates the new interest; so must uring: the first
 * report after the modify carries both conditions and the new ctx. */
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "harness.h"
#include "peer.h"

/* One datagram to `to` from a plain socket (the wake-up happens inside
 * sendto on loopback). */
static int poke(const riox_addr *to) { return peer_udp_send(to, "x", 1); }

static int test(void) {
  riox_loop *loop;
  riox_sock *s;
  riox_addr any = h_v4(0), at;
  riox_event ev;
  int round;
  H_OK(h_loop(&loop, NULL));
  for (round = 0; round < 20; round++) {
    char b[16];
    riox_addr from;
    H_OK(riox_udp_open(loop, &any, NULL, RIOX_SOCK_READINESS, NULL, &s));
    H_OK(riox_sock_local(s, &at));
    H_OK(riox_watch(s, RIOX_READABLE | RIOX_ONESHOT, (void *)1));
    H_EQ(riox_wait(loop, &ev, 1, 0), 0); /* the poll is in the kernel */
    H_EQ(poke(&at), 0);                  /* ... and woken */
    H_OK(riox_watch_modify(s, RIOX_READABLE | RIOX_WRITABLE | RIOX_ONESHOT, (void *)2));
    if (h_wait_for(loop, RIOX_EV_READY, s, &ev, NULL, 3000) != 0) {
      H_FAIL("round %d: no report after the modify", round);
      return 1;
    }
    if (ev.ctx != (void *)2 || ev.ready != (RIOX_READABLE | RIOX_WRITABLE)) {
      H_FAIL("round %d: report ctx %p ready 0x%x, expected ctx 0x2 READABLE|WRITABLE (0x3)", round,
             ev.ctx, ev.ready);
      return 1;
    }
    H_EQ(riox_try_recv(s, b, sizeof b, &from), 1);
    H_OK(riox_close(s));
    H_EQ(h_wait_for(loop, RIOX_EV_CLOSE, s, &ev, NULL, 3000), 0);
  }
  riox_loop_close(loop);
  return 0;
}

int main(void) { return h_run_readiness("regress_uring_oneshot_modify_stale_report", test); }
