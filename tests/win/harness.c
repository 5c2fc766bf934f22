/* The Windows-only programs' additions to the portable harness
 * (tests/behave/harness.c). */
#include "harness.h"

int h_run_once(const char *name, h_test_fn fn) { return h_run_backend(name, "iocp", fn); }

int h_ready_tcp_pair(riox_loop *loop, riox_sock **lis, riox_sock **cli, riox_sock **srv) {
  riox_addr lo = h_v4(0), at;
  int i, rc = RIOX_EAGAIN;
  H_OK(riox_tcp_listen(loop, &lo, 4, RIOX_SOCK_READINESS, NULL, lis));
  H_OK(riox_sock_local(*lis, &at));
  H_OK(riox_tcp_connect(loop, &at, NULL, RIOX_SOCK_READINESS, NULL, cli));
  for (i = 0; i < 500 && rc == RIOX_EAGAIN; i++) {
    rc = riox_try_accept(*lis, srv, NULL);
    if (rc == RIOX_EAGAIN) h_sleep_ms(10);
  }
  H_OK(rc);
  return 0;
}
