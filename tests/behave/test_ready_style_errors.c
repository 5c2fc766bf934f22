/* A socket's style is fixed when it is opened (riox.h, "readiness"):
 * the calls of the other style fail with RIOX_EBUSY, post nothing and say
 * which flag decides (RIOX_SOCK_READINESS). Taken out of test_bad_input.c
 * so that the rest of bad input runs where readiness is not built yet (this
 * one then skips: h_run_readiness). */
#include "harness.h"

static int test(void) {
  riox_loop *loop;
  riox_sock *u, *r, *lis, *none = NULL;
  riox_addr lo = h_v4(0), to;
  char *buf, b[8] = {0};
  H_OK(h_loop(&loop, NULL));
  H_OK(riox_udp_open(loop, &lo, NULL, 0, NULL, &u));
  H_OK(riox_udp_open(loop, &lo, NULL, RIOX_SOCK_READINESS, NULL, &r));
  H_OK(riox_tcp_listen(loop, &lo, 0, 0, NULL, &lis));
  H_OK(riox_sock_local(r, &to));
  H_OK(riox_buf_get(loop, &buf));
  /* Completion sockets refuse readiness calls. */
  H_ERR_D(riox_watch(u, RIOX_READABLE, NULL), RIOX_EBUSY);
  H_CHECK(strstr(riox_last_detail(), "RIOX_SOCK_READINESS") != NULL);
  H_ERR_D(riox_watch_modify(u, RIOX_READABLE, NULL), RIOX_EBUSY);
  H_ERR_D(riox_unwatch(u), RIOX_EBUSY);
  H_ERR_D(riox_try_recv(u, b, sizeof b, NULL), RIOX_EBUSY);
  H_ERR_D(riox_try_send(u, b, 1, &to), RIOX_EBUSY);
  H_ERR_D(riox_watch(lis, RIOX_READABLE, NULL), RIOX_EBUSY);
  H_ERR_D(riox_try_accept(lis, &none, NULL), RIOX_EBUSY);
  H_CHECK(none == NULL);
  /* Readiness sockets refuse completion calls. */
  H_ERR_D(riox_recv(r, buf, 16, NULL), RIOX_EBUSY);
  H_CHECK(strstr(riox_last_detail(), "RIOX_SOCK_READINESS") != NULL);
  H_ERR_D(riox_sendto(r, buf, 16, &to, 0, NULL), RIOX_EBUSY);
  H_OK(riox_buf_put(loop, buf));
  /* The listener's AcceptEx calls are its own requests. */
  {
    riox_stats st;
    riox_loop_stats(loop, &st);
    if (h_nothing_posted(loop, st.req_in_use) != 0) return 1;
  }
  H_OK(riox_close(u));
  H_OK(riox_close(r));
  H_OK(riox_close(lis));
  H_EQ(h_collect(loop, RIOX_EV_CLOSE, 3, NULL, 5000), 3);
  riox_loop_close(loop);
  return 0;
}

int main(void) { return h_run_readiness("ready_style_errors", test); }
