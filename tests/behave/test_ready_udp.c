/* Readiness on UDP: RIOX_READABLE comes after a datagram arrives and not
 * before; riox_try_recv returns RIOX_EAGAIN when nothing is there, the
 * datagram and its source when something is; level-triggered mode reports
 * again while data is left; writable is reported for an idle UDP socket.
 * The style is the one the socket was opened with: a RIOX_SOCK_READINESS
 * socket refuses riox_recv/riox_sendto, a socket opened without it refuses
 * riox_watch/riox_try_*, both with RIOX_EBUSY. */
#include "harness.h"

static int test(void) {
  riox_loop *loop;
  riox_sock *a, *b, *c, *u;
  riox_addr la = h_v4(0), lb = h_v4(0), pa, pb, from;
  riox_event ev;
  char out[64], in[64], *pbuf;
  int n, i;
  H_OK(h_loop(&loop, NULL));
  H_OK(riox_udp_open(loop, &la, NULL, RIOX_SOCK_READINESS, NULL, &a));
  H_OK(riox_udp_open(loop, &lb, NULL, RIOX_SOCK_READINESS, NULL, &b));
  H_OK(riox_sock_local(a, &pa));
  H_OK(riox_sock_local(b, &pb));

  H_ERR(riox_try_recv(b, in, sizeof in, &from), RIOX_EAGAIN);
  H_OK(riox_watch(b, RIOX_READABLE, (void *)0xb));
  /* Nothing sent yet: no event within 300 ms. */
  if (h_wait_for(loop, RIOX_EV_READY, b, &ev, NULL, 300) == 0)
    H_FAIL("READY before any data: ready 0x%x status %d (%s)", ev.ready, ev.status, riox_last_detail());

  for (i = 0; i < (int)sizeof out; i++) out[i] = (char)(i * 7);
  H_EQ(riox_try_send(a, out, 40, &pb), 40);
  H_EQ(riox_try_send(a, out, 0, &pb), 0); /* an empty datagram is data too */
  H_EQ(h_wait_for(loop, RIOX_EV_READY, b, &ev, NULL, 5000), 0);
  H_EQ(ev.status, 0);
  H_EQ(ev.ready, RIOX_READABLE);
  H_CHECK(ev.ctx == (void *)0xb);
  H_CHECK(ev.sock == b);

  /* Level-triggered: one datagram read, one left, so it is reported again. */
  n = riox_try_recv(b, in, sizeof in, &from);
  H_EQ(n, 40);
  H_EQ(memcmp(in, out, 40), 0);
  H_EQ(from.port, pa.port);
  H_EQ(memcmp(from.ip, pa.ip, 16), 0);
  H_EQ(h_wait_for(loop, RIOX_EV_READY, b, &ev, NULL, 5000), 0);
  H_EQ(ev.ready, RIOX_READABLE);
  H_EQ(riox_try_recv(b, in, sizeof in, &from), 0);
  H_ERR(riox_try_recv(b, in, sizeof in, &from), RIOX_EAGAIN);
  /* Drained: quiet again. */
  H_EQ(h_wait_for(loop, RIOX_EV_READY, b, &ev, NULL, 300), -1);

  /* Truncation is reported, the datagram is consumed. */
  H_EQ(riox_try_send(a, out, 50, &pb), 50);
  H_EQ(h_wait_for(loop, RIOX_EV_READY, b, &ev, NULL, 5000), 0);
  H_ERR(riox_try_recv(b, in, 10, &from), RIOX_EMSGSIZE);
  H_EQ(memcmp(in, out, 10), 0);
  H_ERR(riox_try_recv(b, in, sizeof in, &from), RIOX_EAGAIN);

  /* An idle UDP socket is writable. */
  H_OK(riox_watch(a, RIOX_WRITABLE, (void *)0xa));
  H_EQ(h_wait_for(loop, RIOX_EV_READY, a, &ev, NULL, 5000), 0);
  H_EQ(ev.ready, RIOX_WRITABLE);
  H_OK(riox_unwatch(a));

  /* One socket, one style. */
  H_OK(riox_buf_get(loop, &pbuf));
  H_ERR(riox_recv(b, pbuf, riox_loop_buf_size(loop), NULL), RIOX_EBUSY);
  H_ERR(riox_sendto(a, pbuf, 1, &pb, 0, NULL), RIOX_EBUSY);
  H_OK(riox_buf_put(loop, pbuf));
  H_OK(riox_udp_open(loop, &la, NULL, 0, NULL, &u));
  H_ERR(riox_watch(u, RIOX_READABLE, NULL), RIOX_EBUSY);
  H_ERR(riox_try_recv(u, in, sizeof in, &from), RIOX_EBUSY);
  H_ERR(riox_try_send(u, out, 1, &pb), RIOX_EBUSY);
  H_OK(riox_close(u));
  H_EQ(h_wait_for(loop, RIOX_EV_CLOSE, u, &ev, NULL, 5000), 0);

  /* Bad input. */
  H_ERR(riox_watch(b, RIOX_READABLE, NULL), RIOX_EALREADY);
  H_ERR(riox_watch_modify(a, RIOX_READABLE, NULL), RIOX_ENOENT);
  H_ERR(riox_watch(b, 0x100, NULL), RIOX_EINVAL);
  H_ERR(riox_try_recv(b, NULL, 10, NULL), RIOX_EINVAL);
  H_ERR(riox_try_recv(b, in, 0, NULL), RIOX_EINVAL);
  H_ERR(riox_try_send(a, out, 70000, &pb), RIOX_EMSGSIZE);
  H_ERR(riox_try_send(a, out, 1, NULL), RIOX_ENOTCONN);
  H_ERR(riox_try_accept(a, &c, NULL), RIOX_EPROTO);
  H_CHECK(c == NULL);

  H_OK(riox_close(a));
  H_OK(riox_close(b));
  H_EQ(h_wait_for(loop, RIOX_EV_CLOSE, a, &ev, NULL, 5000), 0);
  H_EQ(h_wait_for(loop, RIOX_EV_CLOSE, b, &ev, NULL, 5000), 0);
  riox_loop_close(loop);
  return 0;
}

int main(void) { return h_run_readiness("ready_udp", test); }
