/* Local addresses (riox.h, "Local addresses"): a UDP socket bound to the
 * any address with RIOX_UDP_PKTINFO reports the address each datagram was
 * sent to (ev.local, with the socket's port) and its interface, and a
 * reply sent with msg.from = ev.local leaves from that address, so a
 * client that asked 127.0.0.2 hears back from 127.0.0.2, not from the
 * address the OS would pick. IPv4 (127.0.0.1 and 127.0.0.2), IPv6 (::1),
 * and IPv4 through a dual-stack socket. Without the flag ev.local is
 * empty. */
#include "harness.h"

static riox_addr ip4(const char *ip, uint16_t port) {
  riox_addr a;
  memset(&a, 0, sizeof a);
  (void)riox_addr_parse(ip, port, &a);
  return a;
}

static int same_ip(const riox_addr *x, const riox_addr *y) {
  return x->family == y->family && memcmp(x->ip, y->ip, x->family == RIOX_AF_INET ? 4 : 16) == 0;
}

/* What Wine 8 cannot show (docs/design.md, "Segmentation offload and local
 * addresses on Windows"), checked everywhere else: its WSASendMsg drops the
 * control data (IOCTL_AFD_WINE_SENDMSG carries none), so a reply leaves
 * from the OS's choice of source whatever msg.from says. Under Wine the
 * test checks the rest, says which check it could not make, and
 * tests/win/test_udp_pktinfo_ctrl checks that riox hands the OS the
 * IN_PKTINFO / IN6_PKTINFO that make the reply leave from the address
 * asked on Windows. */
static int wine_no_send_pktinfo(void) { return h_windows() && h_under_wine(); }
static int wine_said;

/* server s (bound to any, port ps); client c bound to cli_ip. The client
 * asks `dst`; the server's event must name dst; its reply with
 * msg.from = ev.local must come from dst; a reply without from must come
 * from `dflt` (the OS's choice). */
static int ask(riox_loop *loop, riox_sock *s, riox_sock *c, const riox_addr *dst,
               const riox_addr *dflt, int pktinfo, uint32_t seed) {
  riox_event ev, rq;
  riox_msg msg;
  riox_addr pc;
  char *rb, *sb, *cb;
  char name[RIOX_ADDRSTRLEN];
  H_OK(riox_sock_local(c, &pc));
  H_OK(riox_buf_get(loop, &rb));
  H_OK(riox_recv(s, rb, 65536, NULL));
  H_OK(riox_buf_get(loop, &cb));
  H_OK(riox_recv(c, cb, 65536, NULL));
  H_OK(riox_buf_get(loop, &sb));
  h_fill(sb, 100, seed);
  H_OK(riox_sendto(c, sb, 100, dst, 0, NULL));
  H_EQ(h_wait_for(loop, RIOX_EV_RECV, s, &rq, NULL, 10000), 0);
  H_EQ(rq.status, 0);
  H_EQ(rq.len, 100);
  H_EQ(h_verify(rq.data, 100, seed), 0);
  H_EQ(h_wait_for(loop, RIOX_EV_SEND, c, &ev, NULL, 10000), 0);
  if (!pktinfo) {
    H_EQ(rq.local.family, RIOX_AF_UNSPEC);
    H_EQ(rq.ifindex, 0);
  } else {
    (void)riox_addr_format(&rq.local, name, sizeof name);
    if (!same_ip(&rq.local, dst)) {
      H_FAIL("datagram sent to the address of seed %u reported local %s", seed, name);
      return 1;
    }
    H_EQ(rq.local.port, dst->port);
    H_CHECK(rq.ifindex != 0); /* loopback has an interface index too */
  }
  /* The reply, from the address asked (with PKTINFO) or the OS's choice. */
  memset(&msg, 0, sizeof msg);
  msg.to = &rq.addr;
  if (pktinfo) {
    msg.from = &rq.local;
    msg.ifindex = rq.ifindex;
  }
  h_fill(rq.data, 50, seed + 1);
  H_OK(riox_sendmsg(s, rq.data, 50, &msg, 0, NULL));
  H_EQ(h_wait_for(loop, RIOX_EV_RECV, c, &ev, NULL, 10000), 0);
  H_EQ(ev.status, 0);
  H_EQ(ev.len, 50);
  H_EQ(h_verify(ev.data, 50, seed + 1), 0);
  (void)riox_addr_format(&ev.addr, name, sizeof name);
  /* Under Wine the OS picks the source: on loopback, the client's own
   * address. */
  if (pktinfo && wine_no_send_pktinfo() && !same_ip(&ev.addr, dst) && same_ip(&ev.addr, &pc)) {
    if (!wine_said)
      printf("udp_pktinfo [%s]: not checkable under Wine: the reply's source address (Wine's "
             "WSASendMsg drops IN_PKTINFO; the OS chose %s)\n",
             h_backend, name);
    wine_said = 1;
  } else if (!same_ip(&ev.addr, pktinfo ? dst : dflt)) {
    H_FAIL("the reply came from %s (seed %u, pktinfo %d)", name, seed, pktinfo);
    return 1;
  }
  H_EQ(ev.addr.port, dst->port);
  H_EQ(h_wait_for(loop, RIOX_EV_SEND, s, &ev, NULL, 10000), 0);
  H_EQ(ev.status, 0);
  riox_buf_put(loop, ev.data);
  riox_buf_put(loop, sb);
  riox_buf_put(loop, cb);
  return 0;
}

static int run(const char *any_ip, const char *cli_ip, uint32_t flags, const char *dst1,
               const char *dst2, const char *dflt_ip, int pktinfo) {
  riox_loop_config cfg;
  riox_loop *loop;
  riox_sock *s, *c;
  riox_addr any = ip4(any_ip, 0), cl = ip4(cli_ip, 0), ps, d1, d2, dflt;
  riox_event ev;
  h_config(&cfg);
  cfg.buf_size = 65536;
  cfg.buf_count = 16;
  H_OK(h_loop(&loop, &cfg));
  H_OK(riox_udp_open(loop, &any, NULL, flags | (pktinfo ? RIOX_UDP_PKTINFO : 0), NULL, &s));
  H_OK(riox_sock_local(s, &ps));
  H_OK(riox_udp_open(loop, &cl, NULL, 0, NULL, &c));
  d1 = ip4(dst1, ps.port);
  d2 = ip4(dst2, ps.port);
  dflt = ip4(dflt_ip, 0);
  if (ask(loop, s, c, &d1, &d1, pktinfo, 11) != 0) return 1;
  if (ask(loop, s, c, &d2, &dflt, pktinfo, 22) != 0) return 1;
  if (ask(loop, s, c, &d1, &d1, pktinfo, 33) != 0) return 1;
  H_OK(riox_close(s));
  H_OK(riox_close(c));
  H_EQ(h_wait_for(loop, RIOX_EV_CLOSE, s, &ev, NULL, 10000), 0);
  H_EQ(h_wait_for(loop, RIOX_EV_CLOSE, c, &ev, NULL, 10000), 0);
  riox_loop_close(loop);
  return 0;
}

static int test(void) {
  wine_said = 0;
  /* IPv4: the server on 0.0.0.0, asked on 127.0.0.1 and 127.0.0.2; without
   * from, the OS answers a client on 127.0.0.1 from 127.0.0.1. */
  if (run("0.0.0.0", "127.0.0.1", 0, "127.0.0.1", "127.0.0.2", "127.0.0.1", 1) != 0) return 1;
  /* IPv6: on ::, asked on ::1. */
  if (run("::", "::1", 0, "::1", "::1", "::1", 1) != 0) return 1;
  /* IPv4 through a dual-stack socket on ::; ev.local is the IPv4 address. */
  if (run("::", "127.0.0.1", RIOX_SOCK_DUALSTACK, "127.0.0.2", "127.0.0.1", "127.0.0.1", 1) != 0)
    return 1;
  /* Without the flag: no local address reported, and the reply to a
   * question sent to 127.0.0.2 comes from 127.0.0.1 (the OS's choice for a
   * client on 127.0.0.1): what RIOX_UDP_PKTINFO is for. */
  if (run("0.0.0.0", "127.0.0.1", 0, "127.0.0.1", "127.0.0.2", "127.0.0.1", 0) != 0) return 1;
  return 0;
}

int main(void) { return h_run("udp_pktinfo", test); }
