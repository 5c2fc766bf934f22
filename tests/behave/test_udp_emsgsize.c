/* A datagram larger than the posted capacity completes the receive with
 * RIOX_EMSGSIZE and the bytes that fit (the rest of that datagram is gone,
 * as on every UDP stack); the socket keeps working: the next receive gets the
 * next datagram, whole. */
#include "harness.h"

#define CAP 100u
#define BIG 300u
#define SMALL 60u

/* Wait for one RECV and one SEND event (in whichever order they come). */
static int recv_and_send(riox_loop *loop, riox_event *recv, riox_event *send) {
  int have_recv = 0, have_send = 0;
  uint64_t until = h_now_ms() + 10000;
  while ((!have_recv || !have_send) && h_now_ms() < until) {
    riox_event ev;
    int n = riox_wait(loop, &ev, 1, 1000);
    H_CHECK(n >= 0);
    if (n == 0) continue;
    if (ev.type == RIOX_EV_RECV && !have_recv) {
      *recv = ev;
      have_recv = 1;
    } else if (ev.type == RIOX_EV_SEND && !have_send) {
      *send = ev;
      have_send = 1;
    } else {
      H_FAIL("unexpected event type %u status %d", ev.type, ev.status);
      return 1;
    }
  }
  H_CHECK(have_recv && have_send);
  return 0;
}

static int test(void) {
  riox_loop *loop;
  riox_sock *a, *b;
  riox_addr la = h_v4(0), lb = h_v4(0), pa, pb;
  riox_event ev, sev;
  char *rbuf, *sbuf;
  H_OK(h_loop(&loop, NULL));
  H_OK(riox_udp_open(loop, &la, NULL, 0, NULL, &a));
  H_OK(riox_udp_open(loop, &lb, NULL, 0, NULL, &b));
  H_OK(riox_sock_local(a, &pa));
  H_OK(riox_sock_local(b, &pb));

  H_OK(riox_buf_get(loop, &rbuf));
  memset(rbuf, 0, riox_loop_buf_size(loop));
  H_OK(riox_recv(b, rbuf, CAP, (void *)1));
  H_OK(riox_buf_get(loop, &sbuf));
  h_fill(sbuf, BIG, 7);
  H_OK(riox_sendto(a, sbuf, BIG, &pb, 0, (void *)2));
  if (recv_and_send(loop, &ev, &sev) != 0) return 1;
  H_EQ(ev.status, RIOX_EMSGSIZE);
  H_EQ(ev.len, CAP);
  H_CHECK(ev.data == rbuf);
  H_CHECK(ev.ctx == (void *)1);
  H_EQ(h_verify(ev.data, CAP, 7), 0); /* the prefix that fit */
  H_EQ(rbuf[CAP], 0);                 /* nothing written past the capacity */
  H_EQ(ev.addr.port, pa.port);
  /* The send itself succeeded: the whole datagram left. */
  H_EQ(sev.status, 0);
  H_EQ(sev.len, BIG);

  /* Still usable: the next datagram arrives complete. */
  H_OK(riox_recv(b, rbuf, CAP, (void *)3));
  h_fill(sbuf, SMALL, 8);
  H_OK(riox_sendto(a, sbuf, SMALL, &pb, 0, (void *)4));
  if (recv_and_send(loop, &ev, &sev) != 0) return 1;
  H_EQ(ev.status, 0);
  H_EQ(ev.len, SMALL);
  H_CHECK(ev.ctx == (void *)3);
  H_EQ(h_verify(ev.data, SMALL, 8), 0);
  H_EQ(sev.status, 0);

  H_OK(riox_buf_put(loop, rbuf));
  H_OK(riox_buf_put(loop, sbuf));
  H_OK(riox_close(a));
  H_OK(riox_close(b));
  H_EQ(h_collect(loop, RIOX_EV_CLOSE, 2, NULL, 5000), 2);
  riox_loop_close(loop);
  return 0;
}

int main(void) { return h_run("udp_emsgsize", test); }
