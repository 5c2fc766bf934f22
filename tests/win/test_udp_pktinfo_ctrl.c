/* What riox hands the OS for a send with a source address (riox.h, "Local
 * addresses"): the part of test_udp_pktinfo that Wine cannot show on the
 * wire, as its WSASendMsg drops control data (docs/design.md,
 * "Segmentation offload and local addresses on Windows").
 *  - IOCP: the send is a WSASendMsg whose control data holds one IN_PKTINFO
 *    (IPPROTO_IP; also on a dual-stack socket for an IPv4 source) or
 *    IN6_PKTINFO (IPPROTO_IPV6) naming msg.from and msg.ifindex;
 *  - RIO: the same messages after the RIO_CMSG_BUFFER header of RIOSendEx's
 *    pControlContext, TotalLength covering exactly them, pLocalAddress NULL;
 *  - a segmented send split in software (no USO here) repeats them on every
 *    datagram, and carries no UDP_SEND_MSG_SIZE;
 *  - a send without msg.from carries no control data at all.
 * The calls are watched through the socket seam (IOCP) and a wrapped RIO
 * table (rio-emulated), each forwarding to what riox would have called
 * (sendspy.h). */
#include "rioconf.h"
#include "sendspy.h"

/* The messages of the watched sends (sendspy.h counts the sends, those with
 * control data, and malformed ones). */
static struct {
  int v4, v6, seg, other;
  uint8_t ip[16];
  ULONG ifindex;
} seen;

static void ct_cmsg(int level, int type, const char *data, size_t len) {
  if (level == IPPROTO_IP && type == IP_PKTINFO && len == sizeof(IN_PKTINFO)) {
    IN_PKTINFO pi;
    memcpy(&pi, data, sizeof pi);
    memcpy(seen.ip, &pi.ipi_addr, 4);
    seen.ifindex = pi.ipi_ifindex;
    seen.v4++;
  } else if (level == IPPROTO_IPV6 && type == IPV6_PKTINFO && len == sizeof(IN6_PKTINFO)) {
    IN6_PKTINFO pi;
    memcpy(&pi, data, sizeof pi);
    memcpy(seen.ip, &pi.ipi6_addr, 16);
    seen.ifindex = pi.ipi6_ifindex;
    seen.v6++;
  } else if (level == IPPROTO_UDP && type == UDP_SEND_MSG_SIZE) {
    seen.seg++;
  } else {
    seen.other++;
  }
}

static riox_addr ct_ip(const char *ip, uint16_t port) {
  riox_addr a;
  memset(&a, 0, sizeof a);
  (void)riox_addr_parse(ip, port, &a);
  return a;
}

/* One riox_sendmsg from s (bound to `any`) to a client on `cli`, with
 * msg.from = `from` (NULL: none), seg bytes per datagram (0: one); the
 * client gets every datagram. */
static int one(const char *any_ip, const char *cli_ip, uint32_t flags, const char *from_ip,
               uint32_t ifindex, uint32_t len, uint32_t seg) {
  riox_loop_config cfg;
  riox_loop *loop;
  riox_sock *s, *c, *socks[2];
  riox_addr any = ct_ip(any_ip, 0), cl = ct_ip(cli_ip, 0), pc, from;
  riox_event ev;
  riox_msg msg;
  char *buf;
  uint32_t want = seg == 0 ? 1 : (len + seg - 1) / seg, i;
  h_config(&cfg);
  cfg.buf_size = 65536;
  cfg.buf_count = 80;
  H_OK(h_loop(&loop, &cfg));
  H_OK(riox_udp_open(loop, &any, NULL, flags | RIOX_UDP_PKTINFO, NULL, &s));
  H_OK(riox_udp_open(loop, &cl, NULL, 0, NULL, &c));
  H_OK(riox_sock_local(c, &pc));
  for (i = 0; i < want; i++) {
    H_OK(riox_buf_get(loop, &buf));
    H_OK(riox_recv(c, buf, 65536, NULL));
  }
  H_OK(riox_buf_get(loop, &buf));
  h_fill(buf, len, len);
  memset(&msg, 0, sizeof msg);
  msg.to = &pc;
  msg.seg_size = seg;
  if (from_ip != NULL) {
    from = ct_ip(from_ip, 0);
    msg.from = &from;
    msg.ifindex = ifindex;
  }
  if (ss_send(loop, s, buf, len, &msg) != 0) return 1;
  for (i = 0; i < want; i++) {
    H_EQ(h_wait_for(loop, RIOX_EV_RECV, c, &ev, NULL, 10000), 0);
    H_EQ(ev.status, 0);
  }
  /* One OS send per datagram (no USO under Wine), each with the source. */
  H_EQ(ss_seen.sends, (int)want);
  H_EQ(ss_seen.bad, 0);
  H_EQ(seen.seg, 0);
  H_EQ(seen.other, 0);
  if (from_ip == NULL) {
    H_EQ(ss_seen.ctl, 0);
  } else {
    H_EQ(ss_seen.ctl, (int)want);
    if (from.family == RIOX_AF_INET) {
      H_EQ(seen.v4, (int)want);
      H_EQ(seen.v6, 0);
      H_EQ(memcmp(seen.ip, from.ip, 4), 0);
    } else {
      H_EQ(seen.v6, (int)want);
      H_EQ(seen.v4, 0);
      H_EQ(memcmp(seen.ip, from.ip, 16), 0);
    }
    H_EQ(seen.ifindex, ifindex);
  }
  socks[0] = s;
  socks[1] = c;
  return rt_finish(loop, socks, 2, 0);
}

static int cases(void) {
  if (one("0.0.0.0", "127.0.0.1", 0, "127.0.0.2", 1, 100, 0) != 0) return 1;
  if (one("0.0.0.0", "127.0.0.1", 0, "127.0.0.2", 0, 3500, 1000) != 0) return 1;
  if (one("::", "::1", 0, "::1", 1, 100, 0) != 0) return 1;
  if (one("::", "127.0.0.1", RIOX_SOCK_DUALSTACK, "127.0.0.2", 0, 2400, 1200) != 0) return 1;
  if (one("0.0.0.0", "127.0.0.1", 0, NULL, 0, 2000, 500) != 0) return 1;
  return 0;
}

static int test(void) {
  ws_api_t t;
  int rc;
  ss_init(ct_cmsg, &seen, sizeof seen, 0);
  if (rt_is_rio()) {
    ss_rio_begin();
    rc = cases();
    ss_rio_end();
    return rc;
  }
  wh_begin(&t);
  ss_seam(&t);
  wh_install(&t);
  rc = cases();
  wh_end();
  return rc;
}

int main(void) { return h_run("udp_pktinfo_ctrl", test); }
