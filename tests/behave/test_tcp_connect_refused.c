/* TCP connect to a port nobody listens on (IPv4 and IPv6 loopback):
 *  - riox_tcp_connect itself succeeds: the refusal is an I/O failure after a
 *    successful post, so it arrives as the status of the one RIOX_EV_CONNECT
 *    event (RIOX_ECONNREFUSED), with the connect's ctx (riox.h, "Model");
 *  - posts before the CONNECT event, and after a failed one, answer
 *    RIOX_ENOTCONN (riox_tcp_connect) and post nothing;
 *  - the socket then closes with exactly one RIOX_EV_CLOSE and nothing else;
 *  - stats: no connect counted, one error event. */
#include "harness.h"

static h_log evlog;

/* A port with no listener: listen on port 0, note the port, close. */
static int closed_port(riox_loop *loop, riox_addr (*mk)(uint16_t), riox_addr *out) {
  riox_addr any = mk(0);
  riox_sock *lis;
  riox_event ev;
  H_OK(riox_tcp_listen(loop, &any, 0, 0, NULL, &lis));
  H_OK(riox_sock_local(lis, out));
  H_OK(riox_close(lis));
  H_EQ(h_wait_for(loop, RIOX_EV_CLOSE, lis, &ev, NULL, 5000), 0);
  return 0;
}

static int run(riox_addr (*mk)(uint16_t)) {
  riox_loop *loop;
  riox_sock *s;
  riox_addr to;
  riox_stats st;
  riox_event ev;
  char *buf;
  int i, closes = 0;
  H_OK(h_loop(&loop, NULL));
  if (closed_port(loop, mk, &to) != 0) return 1;
  riox_loop_stats(loop, &st);
  H_EQ(st.errors, 0);

  H_OK(riox_tcp_connect(loop, &to, NULL, 0, (void *)0xc0, &s));
  H_CHECK(s != NULL);
  /* Not connected yet: data posts are refused and post nothing. */
  H_OK(riox_buf_get(loop, &buf));
  H_ERR(riox_recv(s, buf, 16, (void *)1), RIOX_ENOTCONN);
  H_ERR(riox_send(s, buf, 16, 0, (void *)2), RIOX_ENOTCONN);

  H_EQ(h_wait_for(loop, RIOX_EV_CONNECT, s, &ev, NULL, 10000), 0);
  H_ERR(ev.status, RIOX_ECONNREFUSED);
  H_CHECK(ev.ctx == (void *)0xc0);
  H_CHECK(ev.sock_ctx == riox_sock_ctx(s));
  H_EQ(ev.addr.port, to.port);
  H_EQ(ev.addr.family, to.family);

  /* Still not connected after the refusal. */
  H_ERR(riox_recv(s, buf, 16, (void *)3), RIOX_ENOTCONN);
  H_ERR(riox_send(s, buf, 16, 0, (void *)4), RIOX_ENOTCONN);
  H_OK(riox_buf_put(loop, buf));

  H_OK(riox_close(s));
  evlog.n = 0;
  h_collect(loop, 0, 1 << 30, &evlog, 500); /* everything for half a second */
  for (i = 0; i < evlog.n; i++) {
    const riox_event *e = &evlog.ev[i];
    H_CHECK(e->sock == s);
    if (e->type == RIOX_EV_CLOSE) {
      closes++;
    } else {
      H_FAIL("unexpected event type %u status %d %s after the refused connect", e->type, e->status,
             riox_err_name(e->status));
      return 1;
    }
  }
  H_EQ(closes, 1);

  riox_loop_stats(loop, &st);
  H_EQ(st.connects, 0);
  H_EQ(st.errors, 1);
  H_EQ(st.req_in_use, 0);
  H_EQ(st.buf_in_use, 0);
  riox_loop_close(loop);
  return 0;
}

static int test(void) {
  if (run(h_v4) != 0) return 1;
  return run(h_v6);
}

int main(void) { return h_run("tcp_connect_refused", test); }
