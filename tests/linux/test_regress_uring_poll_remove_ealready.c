/* Regression (found by tests/fuzz/fuzz_api): a uring readiness poll that
 * the kernel has woken, whose task work has not run yet (DEFER_TASKRUN runs
 * it only inside an enter that asks for events), answers a POLL_REMOVE with
 * -EALREADY; if the condition is gone by the time the task work runs (the
 * datagram was read with riox_try_recv meanwhile), the kernel re-arms the
 * poll instead of completing it. The backend ignored the remove's result:
 * it believed a removal on its way, so
 *  - riox_close never got its RIOX_EV_CLOSE (the poll held the socket),
 *  - riox_watch_modify kept the old poll (a new interest never reported).
 * Each case: a datagram wakes the armed poll, riox_try_recv takes it, then
 * the watch is changed or the socket closed, with no wait in between. On
 * epoll the same sequence must behave the same way. */
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "harness.h"
#include "peer.h"

/* One datagram to `to` from a plain socket (the wake-up happens inside
 * sendto on loopback). */
static int h__poke(const riox_addr *to) { return peer_udp_send(to, "x", 1); }

/* An armed READABLE watch on a fresh readiness socket; the poll is in the
 * kernel when this returns (a wait ran). */
static int armed(riox_loop *loop, riox_sock **out, riox_addr *at, uint32_t extra) {
  riox_addr any = h_v4(0);
  riox_event ev;
  H_OK(riox_udp_open(loop, &any, NULL, RIOX_SOCK_READINESS, NULL, out));
  H_OK(riox_sock_local(*out, at));
  H_OK(riox_watch(*out, RIOX_READABLE | extra, (void *)1));
  H_EQ(riox_wait(loop, &ev, 1, 0), 0);
  return 0;
}

static int woken_and_drained(riox_loop *loop, riox_sock *s, const riox_addr *at) {
  char b[16];
  riox_addr from;
  int i, rc = RIOX_EAGAIN;
  (void)loop;
  H_EQ(h__poke(at), 0);
  for (i = 0; i < 200 && rc == RIOX_EAGAIN; i++) {
    rc = riox_try_recv(s, b, sizeof b, &from);
    if (rc == RIOX_EAGAIN) h_sleep_ms(1);
  }
  H_EQ(rc, 1);
  return 0;
}

static int close_case(void) {
  riox_loop *loop;
  riox_sock *s;
  riox_addr at;
  riox_event ev;
  int round;
  H_OK(h_loop(&loop, NULL));
  for (round = 0; round < 20; round++) {
    if (armed(loop, &s, &at, 0) != 0) return 1;
    if (woken_and_drained(loop, s, &at) != 0) return 1;
    H_OK(riox_close(s));
    if (h_wait_for(loop, RIOX_EV_CLOSE, s, &ev, NULL, 3000) != 0) {
      H_FAIL("round %d: no RIOX_EV_CLOSE for a watched socket closed after a wake-up", round);
      return 1;
    }
  }
  riox_loop_close(loop);
  return 0;
}

static int modify_case(void) {
  riox_loop *loop;
  riox_sock *s;
  riox_addr at;
  riox_event ev;
  int round;
  H_OK(h_loop(&loop, NULL));
  for (round = 0; round < 20; round++) {
    if (armed(loop, &s, &at, 0) != 0) return 1;
    if (woken_and_drained(loop, s, &at) != 0) return 1;
    /* A UDP socket is always writable: the new interest holds at once. */
    H_OK(riox_watch_modify(s, RIOX_WRITABLE, (void *)2));
    if (h_wait_for(loop, RIOX_EV_READY, s, &ev, NULL, 3000) != 0) {
      H_FAIL("round %d: riox_watch_modify(WRITABLE) never reported (old poll kept)", round);
      return 1;
    }
    H_CHECK(ev.ctx == (void *)2);
    H_CHECK((ev.ready & RIOX_WRITABLE) != 0);
    H_OK(riox_unwatch(s));
    H_OK(riox_close(s));
    H_EQ(h_wait_for(loop, RIOX_EV_CLOSE, s, &ev, NULL, 3000), 0);
  }
  riox_loop_close(loop);
  return 0;
}

static int test(void) {
  if (close_case() != 0) return 1;
  return modify_case();
}

int main(void) { return h_run_readiness("regress_uring_poll_remove_ealready", test); }
