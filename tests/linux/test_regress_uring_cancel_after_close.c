/* Regression (issue 13, fault injection; uring): a socket closed while the
 * io_uring_enter that was to submit its cancel failed never got its CLOSE.
 * riox_close asks the ring to cancel the socket's requests in the kernel
 * (ASYNC_CANCEL by descriptor) and submits that at once, before the layer
 * closes the descriptor; when that submit failed (EAGAIN, ENOMEM, EINTR)
 * the cancel stayed in the SQ and went to the kernel only at the next wait
 * -- naming a descriptor that was closed by then (EBADF, or worse another
 * socket's). The receive in the kernel, which holds the socket's file, was
 * never cancelled: no RECV event, no CLOSE, the socket never freed. Now a
 * cancel that could not go before the close names the requests
 * themselves. On epoll the same steps run (nothing is faulted there: the
 * close ends the receive at once). Needs the test hooks. */
#include "harness.h"
#include "riox_test.h"

#ifdef RIOX_HAVE_TEST_HOOKS

static int test_cancel_after_close(void) {
  riox_loop *loop;
  riox_sock *cli, *srv;
  riox_event ev;
  h_log log;
  char *buf;
  int i, recv_seen = 0, close_seen = 0;
  H_OK(h_loop(&loop, NULL));
  if (h_tcp_pair(loop, loop, 0, &cli, &srv)) return 1;
  H_OK(riox_buf_get(loop, &buf));
  H_OK(riox_recv(srv, buf, 1024, NULL));
  /* The receive goes to the kernel and waits there (nothing is sent). */
  H_CHECK(h_wait_for(loop, RIOX_EV_RECV, srv, &ev, NULL, 100) != 0);
  /* Every submit of the close fails; the wait's own enter works. */
  H_OK(riox_test_fault_arm(-1, "io_uring_submit", 1, RIOX_TEST_FAULT_AGAIN, 1));
  H_OK(riox_close(srv));
  riox_test_fault_disarm();
  log.n = 0;
  (void)h_collect(loop, RIOX_EV_CLOSE, 1, &log, 2000);
  for (i = 0; i < log.n; i++) {
    if (log.ev[i].sock != srv) continue;
    if (log.ev[i].type == RIOX_EV_RECV) {
      H_CHECK(close_seen == 0);
      H_EQ(log.ev[i].status, RIOX_ECANCELED);
      recv_seen++;
    } else if (log.ev[i].type == RIOX_EV_CLOSE) {
      close_seen++;
    }
  }
  if (recv_seen != 1 || close_seen != 1) {
    H_FAIL("after the close: %d RECV and %d CLOSE events in 2 s (want 1 and 1)", recv_seen,
           close_seen);
    return 1;
  }
  riox_close(cli);
  (void)h_wait_for(loop, RIOX_EV_CLOSE, cli, &ev, NULL, 2000);
  riox_loop_close(loop);
  return 0;
}

int main(void) { return h_run("test_regress_uring_cancel_after_close", test_cancel_after_close); }
#else
/* The seams this test drives exist only in test builds. */
int main(void) {
  printf("SKIP test_regress_uring_cancel_after_close: the library was built without RIOX_TEST_HOOKS\n");
  return H_SKIP;
}
#endif
