/* Regression (found by tests/fuzz/fuzz_api on uring-basic): a
 * RIOX_UDP_PKTINFO receive that the kernel completed inside riox_close's
 * cancel submit (its datagram was there already) is handed out at the next
 * wait, after the close released the descriptor; its local address was
 * filled with a port looked up lazily (getsockname) on that descriptor,
 * which failed: ev.local.port was 0. Each round: a deferred datagram to
 * itself, receives posted, a second datagram sent at once (that submit
 * issues the receives; the first takes the first datagram), then close;
 * every receive that brings a datagram must name the socket's address and
 * port. */
#include "harness.h"

static int send_self(riox_loop *loop, riox_sock *s, const riox_addr *at, uint32_t len, uint32_t flags) {
  char *buf;
  H_OK(riox_buf_get(loop, &buf));
  memset(buf, (int)len, len);
  H_OK(riox_sendto(s, buf, len, at, flags, NULL));
  return 0;
}

static int test(void) {
  riox_loop *loop;
  int round, late = 0;
  H_OK(h_loop(&loop, NULL));
  for (round = 0; round < 20; round++) {
    riox_sock *s;
    riox_addr any = h_v4(0), at;
    riox_event ev;
    int k, closed = 0;
    H_OK(riox_udp_open(loop, &any, NULL, RIOX_UDP_PKTINFO, NULL, &s));
    H_OK(riox_sock_local(s, &at));
    if (send_self(loop, s, &at, 59, RIOX_SEND_DEFER) != 0) return 1;
    for (k = 0; k < 4; k++) {
      char *buf;
      H_OK(riox_buf_get(loop, &buf));
      H_OK(riox_recv(s, buf, riox_loop_buf_size(loop), NULL));
    }
    if (send_self(loop, s, &at, 1417, 0) != 0) return 1;
    H_OK(riox_close(s));
    while (!closed) {
      if (riox_wait(loop, &ev, 1, 3000) != 1) {
        H_FAIL("round %d: no RIOX_EV_CLOSE", round);
        return 1;
      }
      if (ev.type == RIOX_EV_CLOSE) {
        closed = 1;
        continue;
      }
      if (ev.type == RIOX_EV_RECV && ev.status == 0) {
        late++;
        H_EQ(ev.local.family, RIOX_AF_INET);
        if (ev.local.port != at.port || memcmp(ev.local.ip, at.ip, 4) != 0) {
          H_FAIL("round %d: a receive handed out after the close names port %u, the socket has %u",
                 round, ev.local.port, at.port);
          return 1;
        }
      }
      riox_buf_put(loop, ev.data);
    }
  }
  printf("regress_udp_pktinfo_port_after_close [%s]: %d datagrams handed out after their close\n",
         h_backend, late);
  riox_loop_close(loop);
  return 0;
}

int main(void) { return h_run("regress_udp_pktinfo_port_after_close", test); }
