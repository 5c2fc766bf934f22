/* Regression (issue 13, fault injection; src/core/tcp.c): a completion
 * listener whose accepts kept failing with a reset (the connection gone
 * before it was taken: ECONNABORTED / ECONNRESET) spun: each failed accept
 * was re-posted at once and failed again at once, so riox_wait made kernel
 * waits of 0 ms without end (and epoll's accept loop retried inside one
 * call for as long as accept4 failed). Now a streak of resets is bounded
 * (core.h accept_resets): after a burst the listener backs off on its
 * retry timer, as after a resource error, and accepts again once the
 * accepts work. Needs the test hooks (riox_test_fault_arm). */
#define _GNU_SOURCE
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include "harness.h"
#include "riox_test.h"

#ifdef RIOX_HAVE_TEST_HOOKS

static void on_alarm(int sig) {
  static const char msg[] = "FAIL: riox_wait did not return (the listener spins)\n";
  (void)sig;
  (void)!write(2, msg, sizeof msg - 1);
  _exit(1);
}

static int raw_connect(uint16_t port) {
  struct sockaddr_in sa;
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  memset(&sa, 0, sizeof sa);
  sa.sin_family = AF_INET;
  sa.sin_port = htons(port);
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

static int arm_resets(void) {
  H_OK(riox_test_fault_arm(-1, "accept4", 1, RIOX_TEST_FAULT_CONNRESET, 1));
  H_OK(riox_test_fault_arm(-1, "accept", 1, RIOX_TEST_FAULT_CONNRESET, 1));
  H_OK(riox_test_fault_arm(-1, "accept_multishot", 1, RIOX_TEST_FAULT_CONNRESET, 1));
  return 0;
}

static int test_spin(void) {
  riox_loop *loop;
  riox_sock *lst;
  riox_addr at;
  riox_event evs[16], ev;
  riox_stats before, after;
  int fd, n;
  uint64_t t0;
  H_OK(h_loop(&loop, NULL));
  if (arm_resets()) return 1;
  at = h_v4(0);
  H_OK(riox_tcp_listen(loop, &at, 16, 0, NULL, &lst));
  H_OK(riox_sock_local(lst, &at));
  fd = raw_connect(at.port);
  H_CHECK(fd >= 0);
  riox_loop_stats(loop, &before);
  signal(SIGALRM, on_alarm);
  alarm(10);
  t0 = h_now_ms();
  while (h_now_ms() - t0 < 400) {
    n = riox_wait(loop, evs, 16, 100);
    H_CHECK(n >= 0);
    while (n-- > 0) H_CHECK(evs[n].type != RIOX_EV_ACCEPT);
  }
  alarm(0);
  riox_loop_stats(loop, &after);
  riox_test_fault_disarm();
  printf("# %s: %llu kernel waits in 400 ms of failing accepts\n", h_backend,
         (unsigned long long)(after.waits - before.waits));
  /* Backing off: a handful of waits (timers of 10, 20, 40... ms), not a
   * busy loop of 0 ms waits. */
  H_CHECK(after.waits - before.waits < 200);
  /* Accepts work again: the client is taken (the next retry at most 1 s on). */
  H_CHECK(h_wait_for(loop, RIOX_EV_ACCEPT, lst, &ev, NULL, 3000) == 0);
  H_CHECK(ev.status == 0 && ev.accepted != NULL);
  riox_close(ev.accepted);
  close(fd);
  riox_close(lst);
  riox_loop_close(loop);
  return 0;
}

int main(void) { return h_run("test_regress_accept_error_spin", test_spin); }
#else
/* The seams this test drives exist only in test builds. */
int main(void) {
  printf("SKIP test_regress_accept_error_spin: the library was built without RIOX_TEST_HOOKS\n");
  return H_SKIP;
}
#endif
