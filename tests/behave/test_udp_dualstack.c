/* A dual-stack UDP socket (IPv6, bound to [::], RIOX_SOCK_DUALSTACK) serves
 * IPv4 peers: the OS reports them as ::ffff:127.0.0.1, riox shows them as
 * plain RIOX_AF_INET 127.0.0.1, and that address works as a reply target.
 * An IPv6 peer on the same socket is still seen as IPv6. */
#include "harness.h"

/* Send a datagram (pattern `seed`) from `from` to `to`; a receive posted on
 * `at` must get it intact. The RECV event is returned in *out. */
static int hop(riox_loop *loop, riox_sock *from, const riox_addr *to, riox_sock *at,
               uint32_t seed, riox_event *out) {
  static h_log others;
  char *rbuf, *sbuf;
  H_OK(riox_buf_get(loop, &rbuf));
  H_OK(riox_buf_get(loop, &sbuf));
  H_OK(riox_recv(at, rbuf, riox_loop_buf_size(loop), (void *)(uintptr_t)seed));
  h_fill(sbuf, 64, seed);
  H_OK(riox_sendto(from, sbuf, 64, to, 0, NULL));
  others.n = 0;
  H_EQ(h_wait_for(loop, RIOX_EV_RECV, at, out, &others, 5000), 0);
  H_EQ(out->status, 0);
  H_EQ(out->len, 64);
  H_EQ(h_verify(out->data, 64, seed), 0);
  H_OK(riox_buf_put(loop, rbuf));
  /* The send's event, whichever order it came in. */
  if (others.n == 0) {
    riox_event ev;
    H_EQ(h_wait_for(loop, RIOX_EV_SEND, from, &ev, NULL, 5000), 0);
  }
  H_OK(riox_buf_put(loop, sbuf));
  return 0;
}

static int test(void) {
  riox_loop *loop;
  riox_sock *dual, *v4, *v6;
  riox_addr any6, l4 = h_v4(0), l6 = h_v6(0), dual_local, p4, p6, to_dual4, to_dual6;
  riox_event ev;
  static const uint8_t loop4[4] = {127, 0, 0, 1};
  H_OK(h_loop(&loop, NULL));
  memset(&any6, 0, sizeof any6);
  any6.family = RIOX_AF_INET6;
  H_OK(riox_udp_open(loop, &any6, NULL, RIOX_SOCK_DUALSTACK, NULL, &dual));
  H_OK(riox_sock_local(dual, &dual_local));
  H_EQ(dual_local.family, RIOX_AF_INET6);
  H_CHECK(dual_local.port != 0);
  H_OK(riox_udp_open(loop, &l4, NULL, 0, NULL, &v4));
  H_OK(riox_udp_open(loop, &l6, NULL, 0, NULL, &v6));
  H_OK(riox_sock_local(v4, &p4));
  H_OK(riox_sock_local(v6, &p6));
  to_dual4 = h_v4(dual_local.port);
  to_dual6 = h_v6(dual_local.port);

  /* IPv4 peer: seen as plain IPv4, not ::ffff:127.0.0.1. */
  if (hop(loop, v4, &to_dual4, dual, 1, &ev) != 0) return 1;
  H_EQ(ev.addr.family, RIOX_AF_INET);
  H_EQ(ev.addr.port, p4.port);
  H_EQ(memcmp(ev.addr.ip, loop4, 4), 0);
  H_EQ(ev.addr.scope_id, 0);
  {
    /* ...and that address is a valid destination for the dual socket. */
    riox_addr back = ev.addr;
    if (hop(loop, dual, &back, v4, 2, &ev) != 0) return 1;
    H_EQ(ev.addr.family, RIOX_AF_INET);
    H_EQ(ev.addr.port, dual_local.port);
    H_EQ(memcmp(ev.addr.ip, loop4, 4), 0);
  }

  /* IPv6 peer on the same socket: still IPv6. */
  if (hop(loop, v6, &to_dual6, dual, 3, &ev) != 0) return 1;
  H_EQ(ev.addr.family, RIOX_AF_INET6);
  H_EQ(ev.addr.port, p6.port);
  H_EQ(memcmp(ev.addr.ip, p6.ip, 16), 0);
  {
    riox_addr back = ev.addr;
    if (hop(loop, dual, &back, v6, 4, &ev) != 0) return 1;
    H_EQ(ev.addr.family, RIOX_AF_INET6);
    H_EQ(ev.addr.port, dual_local.port);
  }

  H_OK(riox_close(dual));
  H_OK(riox_close(v4));
  H_OK(riox_close(v6));
  H_EQ(h_collect(loop, RIOX_EV_CLOSE, 3, NULL, 5000), 3);
  riox_loop_close(loop);
  return 0;
}

int main(void) { return h_run("udp_dualstack", test); }
