/* Regression (issue 13, fault injection): a readiness watch whose arming
 * the kernel refused stayed silent. On epoll the watch's epoll_ctl (ADD or
 * MOD) failing returned without a word: no READY event, no error, and the
 * socket was never polled again, so the application waited forever. Now
 * the failure is a READY event with RIOX_ERROR and the status, as a failed
 * POLL_ADD is on uring (run here too: its arm fails through the ring's
 * fault site) and an AFD poll on Windows; once that event is handed out the
 * watch asks again and then reports the datagram that arrived.
 * Needs the test hooks (riox_test_fault_arm). */
#include "harness.h"
#include "riox_test.h"

#ifdef RIOX_HAVE_TEST_HOOKS

static int test_arm_fails(void) {
  riox_loop *loop;
  riox_sock *rs, *us;
  riox_addr at;
  riox_event ev;
  char *buf;
  H_OK(h_loop(&loop, NULL));
  H_OK(riox_udp_open(loop, NULL, NULL, RIOX_SOCK_READINESS, NULL, &rs));
  H_OK(riox_sock_local(rs, &at));
  at = h_v4(at.port);
  H_OK(riox_udp_open(loop, NULL, NULL, 0, NULL, &us));
  H_OK(riox_watch(rs, RIOX_READABLE, &at));
  /* The watch is armed in the next wait: that arm fails, once. */
  H_OK(riox_test_fault_arm(-1, "epoll_ctl", 1, RIOX_TEST_FAULT_NOMEM, 0));
  H_OK(riox_test_fault_arm(-1, "poll_add", 1, RIOX_TEST_FAULT_NOMEM, 0));
  if (h_wait_for(loop, RIOX_EV_READY, rs, &ev, NULL, 1000) != 0) {
    riox_test_fault_disarm();
    H_FAIL("the failed arm of the watch was never reported (no READY event in 1 s)");
    return 1;
  }
  riox_test_fault_disarm();
  H_CHECK(riox_test_fault_injected() >= 1);
  H_CHECK(ev.ready & RIOX_ERROR);
  H_CHECK(ev.status < 0);
  H_CHECK(ev.ctx == &at);
  /* Handed out: the watch asks again, and works. */
  H_OK(riox_buf_get(loop, &buf));
  memcpy(buf, "ping", 4);
  H_OK(riox_sendto(us, buf, 4, &at, 0, NULL));
  for (;;) {
    if (h_wait_for(loop, RIOX_EV_READY, rs, &ev, NULL, 2000) != 0) {
      H_FAIL("the watch stayed silent after its failed arm was reported");
      return 1;
    }
    if (ev.ready & RIOX_READABLE) break;
  }
  H_CHECK(h_wait_for(loop, RIOX_EV_SEND, us, &ev, NULL, 2000) == 0);
  H_OK(riox_buf_put(loop, buf));
  riox_close(rs);
  riox_close(us);
  riox_loop_close(loop);
  return 0;
}

int main(void) { return h_run_readiness("test_regress_watch_arm_fails_silently", test_arm_fails); }
#else
/* The seams this test drives exist only in test builds. */
int main(void) {
  printf("SKIP test_regress_watch_arm_fails_silently: the library was built without RIOX_TEST_HOOKS\n");
  return H_SKIP;
}
#endif
