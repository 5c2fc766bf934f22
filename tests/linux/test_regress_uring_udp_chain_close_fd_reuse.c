/* Regression (found by tests/fuzz/fuzz_api on uring-basic): the next
 * receive of a linked UDP chain whose head completed inside riox_close's
 * cancel submit was issued later by the kernel, which looks a linked
 * request's descriptor up when it issues it: on the number the close had
 * given back, now another socket's. That socket's datagram went to the
 * closed socket's receive (reported on the closed socket, with RIOX_EV_CLOSE
 * held back until then), and the new socket's own receive never saw it.
 * Each round: the closed socket's chain as in
 * test_regress_uring_udp_chain_close_busy_head, then a new socket on the
 * same number posts a receive and is sent a datagram, which it must get. */
#include "harness.h"

static int send_to(riox_loop *loop, riox_sock *s, const riox_addr *at, uint32_t len, uint32_t flags) {
  char *buf;
  H_OK(riox_buf_get(loop, &buf));
  memset(buf, (int)len, len);
  H_OK(riox_sendto(s, buf, len, at, flags, NULL));
  return 0;
}

static int round_once(riox_loop *loop, riox_sock *tx, int round) {
  riox_sock *a, *b;
  riox_addr any = h_v4(0), at, bt;
  riox_event ev;
  char *buf;
  int k, got = 0, a_closed = 0;
  H_OK(riox_udp_open(loop, &any, NULL, 0, NULL, &a));
  H_OK(riox_sock_local(a, &at));
  if (send_to(loop, a, &at, 59, RIOX_SEND_DEFER) != 0) return 1;
  for (k = 0; k < 4; k++) {
    H_OK(riox_buf_get(loop, &buf));
    H_OK(riox_recv(a, buf, riox_loop_buf_size(loop), NULL));
  }
  if (send_to(loop, a, &at, 1417, 0) != 0) return 1;
  H_OK(riox_close(a));
  H_OK(riox_udp_open(loop, &any, NULL, 0, NULL, &b)); /* the number a had */
  H_OK(riox_sock_local(b, &bt));
  H_OK(riox_buf_get(loop, &buf));
  H_OK(riox_recv(b, buf, riox_loop_buf_size(loop), (void *)7));
  H_EQ(riox_wait(loop, &ev, 1, 0) >= 0, 1); /* b's receive is in the kernel */
  if (ev.type == RIOX_EV_RECV || ev.type == RIOX_EV_SEND) riox_buf_put(loop, ev.data);
  if (ev.type == RIOX_EV_CLOSE && ev.sock == a) a_closed = 1;
  if (send_to(loop, tx, &bt, 333, 0) != 0) return 1;
  while (!got || !a_closed) {
    if (riox_wait(loop, &ev, 1, 3000) != 1) {
      H_FAIL("round %d: %s", round, !got ? "the new socket's datagram never reached its receive"
                                         : "the closed socket never got RIOX_EV_CLOSE");
      return 1;
    }
    if (ev.type == RIOX_EV_CLOSE && ev.sock == a) a_closed = 1;
    if (ev.type == RIOX_EV_RECV && ev.sock == a && ev.status == 0 && ev.len == 333) {
      H_FAIL("round %d: the closed socket received the new socket's datagram", round);
      return 1;
    }
    if (ev.type == RIOX_EV_RECV && ev.sock == b) {
      H_EQ(ev.status, 0);
      H_EQ(ev.len, 333);
      got = 1;
    }
    if (ev.type == RIOX_EV_RECV || ev.type == RIOX_EV_SEND) riox_buf_put(loop, ev.data);
  }
  H_OK(riox_close(b));
  H_EQ(h_wait_for(loop, RIOX_EV_CLOSE, b, &ev, NULL, 3000), 0);
  return 0;
}

static int test(void) {
  riox_loop *loop;
  riox_sock *tx;
  riox_addr any = h_v4(0);
  riox_event ev;
  int round;
  H_OK(h_loop(&loop, NULL));
  H_OK(riox_udp_open(loop, &any, NULL, 0, NULL, &tx));
  for (round = 0; round < 10; round++)
    if (round_once(loop, tx, round) != 0) return 1;
  H_OK(riox_close(tx));
  H_EQ(h_wait_for(loop, RIOX_EV_CLOSE, tx, &ev, NULL, 3000), 0);
  riox_loop_close(loop);
  return 0;
}

int main(void) { return h_run("regress_uring_udp_chain_close_fd_reuse", test); }
