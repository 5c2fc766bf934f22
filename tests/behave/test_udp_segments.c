/* Segmented sends (riox.h, "Segmentation offload"): one riox_sendmsg with
 * msg.seg_size puts the same datagrams on the wire whether the OS
 * segments it (UDP_SEGMENT, USO) or riox splits it (no offload, or
 * RIOX_UDP_OFFLOAD=0): each arrives as its own datagram, in order, with its
 * bytes, and the send yields exactly one event carrying every byte. Plus
 * the bad input riox_sendmsg and the new socket flags refuse. */
#include "harness.h"

typedef struct seg_case {
  uint32_t len, seg;
} seg_case;

/* a sends one segmented send to b (connected when `conn`, which also takes
 * msg.to NULL); b must see len/seg datagrams of seg bytes, the last one
 * possibly shorter, each the matching slice of the pattern. */
static int one(riox_addr (*mk)(uint16_t), seg_case c, int conn) {
  riox_loop_config cfg;
  riox_loop *loop;
  riox_sock *a, *b;
  riox_addr la = mk(0), lb = mk(0), pa, pb;
  riox_event ev;
  riox_msg msg;
  char *sbuf, *rbufs[RIOX_MAX_SEGMENTS + 1];
  uint32_t want = c.seg == 0 || c.seg >= c.len ? 1 : (c.len + c.seg - 1) / c.seg, i, got = 0;
  uint32_t off = 0;
  h_log *log = (h_log *)calloc(1, sizeof *log);
  H_CHECK(log != NULL);
  h_config(&cfg);
  cfg.buf_size = 65536;
  cfg.buf_count = RIOX_MAX_SEGMENTS + 4;
  H_OK(h_loop(&loop, &cfg));
  H_OK(riox_udp_open(loop, &lb, NULL, 0, NULL, &b));
  H_OK(riox_sock_local(b, &pb));
  H_OK(riox_udp_open(loop, &la, conn ? &pb : NULL, 0, NULL, &a));
  H_OK(riox_sock_local(a, &pa));
  for (i = 0; i <= want && i <= RIOX_MAX_SEGMENTS; i++) {
    H_OK(riox_buf_get(loop, &rbufs[i]));
    H_OK(riox_recv(b, rbufs[i], 65536, (void *)(uintptr_t)(i + 1)));
  }
  H_OK(riox_buf_get(loop, &sbuf));
  h_fill(sbuf, c.len, c.len ^ c.seg);
  memset(&msg, 0, sizeof msg);
  msg.to = conn ? NULL : &pb;
  msg.seg_size = c.seg;
  H_OK(riox_sendmsg(a, sbuf, c.len, &msg, 0, (void *)0x5e9d));
  H_EQ(h_wait_for(loop, RIOX_EV_SEND, a, &ev, NULL, 10000), 0);
  H_EQ(ev.status, 0);
  H_EQ(ev.len, c.len);
  H_CHECK(ev.data == sbuf);
  H_CHECK(ev.ctx == (void *)0x5e9d);
  {
    char *pat = (char *)malloc(c.len + 1);
    H_CHECK(pat != NULL);
    h_fill(pat, c.len, c.len ^ c.seg);
    while (got < want) {
      uint32_t exp = want == 1 ? c.len : (c.len - off < c.seg ? c.len - off : c.seg);
      if (h_wait_for(loop, RIOX_EV_RECV, b, &ev, NULL, 10000) != 0) {
        free(pat);
        H_FAIL("datagram %u of %u never arrived (len %u seg %u)", got + 1, want, c.len, c.seg);
        return 1;
      }
      H_EQ(ev.status, 0);
      /* In posting order: the k-th datagram fills the k-th receive. */
      H_CHECK(ev.ctx == (void *)(uintptr_t)(got + 1));
      H_EQ(ev.len, exp);
      H_EQ(ev.seg_size, exp); /* no RIOX_UDP_GRO: never coalesced */
      H_EQ(memcmp(ev.data, pat + off, exp), 0);
      H_EQ(ev.addr.port, pa.port);
      H_EQ(ev.local.family, RIOX_AF_UNSPEC); /* no RIOX_UDP_PKTINFO */
      off += exp;
      got++;
    }
    free(pat);
  }
  H_EQ(off, c.len);
  /* Nothing more: the receive posted beyond the datagrams is still pending. */
  H_EQ(h_collect(loop, RIOX_EV_RECV, 1, log, 200), 0);
  H_OK(riox_close(a));
  H_OK(riox_close(b));
  H_EQ(h_wait_for(loop, RIOX_EV_CLOSE, a, &ev, NULL, 10000), 0);
  /* The spare receive ends cancelled, before b's close. */
  H_EQ(h_wait_for(loop, RIOX_EV_RECV, b, &ev, NULL, 10000), 0);
  H_EQ(ev.status, RIOX_ECANCELED);
  H_EQ(h_wait_for(loop, RIOX_EV_CLOSE, b, &ev, NULL, 10000), 0);
  riox_loop_close(loop);
  free(log);
  return 0;
}

static int bad_input(void) {
  riox_loop_config cfg;
  riox_loop *loop;
  riox_sock *a, *t;
  riox_addr la = h_v4(0), pa, v6 = h_v6(9), any6;
  riox_event ev;
  riox_msg msg;
  char *buf;
  h_config(&cfg);
  cfg.buf_size = 65536;
  cfg.buf_count = 4;
  H_OK(h_loop(&loop, &cfg));
  H_OK(riox_udp_open(loop, &la, NULL, 0, NULL, &a));
  H_OK(riox_sock_local(a, &pa));
  H_OK(riox_buf_get(loop, &buf));
  memset(&msg, 0, sizeof msg);
  msg.to = &pa;
  msg.seg_size = 1;
  H_ERR_D(riox_sendmsg(a, buf, RIOX_MAX_SEGMENTS + 1, &msg, 0, NULL), RIOX_EMSGSIZE);
  msg.seg_size = 1000;
  H_ERR_D(riox_sendmsg(a, buf, 65508, &msg, 0, NULL), RIOX_EMSGSIZE);
  msg.seg_size = 0;
  msg.reserved[2] = 1;
  H_ERR_D(riox_sendmsg(a, buf, 10, &msg, 0, NULL), RIOX_EINVAL);
  msg.reserved[2] = 0;
  msg.from = &v6;
  H_ERR_D(riox_sendmsg(a, buf, 10, &msg, 0, NULL), RIOX_EAFNOSUPPORT);
  msg.from = NULL;
  msg.ifindex = 1;
  H_ERR_D(riox_sendmsg(a, buf, 10, &msg, 0, NULL), RIOX_EINVAL);
  msg.ifindex = 0;
  msg.to = NULL; /* not connected */
  H_ERR_D(riox_sendmsg(a, buf, 10, &msg, 0, NULL), RIOX_ENOTCONN);
  H_ERR_D(riox_sendmsg(a, buf, 10, NULL, 0, NULL), RIOX_ENOTCONN);
  msg.to = &pa;
  H_ERR_D(riox_sendmsg(a, buf, 10, &msg, 0x40, NULL), RIOX_EINVAL);
  H_ERR_D(riox_sendmsg(NULL, buf, 10, &msg, 0, NULL), RIOX_EINVAL);
  H_ERR_D(riox_sendmsg(a, NULL, 10, &msg, 0, NULL), RIOX_EINVAL);
  /* Flags meant for UDP on TCP sockets, unknown flags anywhere. */
  H_ERR_D(riox_tcp_listen(loop, &la, 0, RIOX_UDP_GRO, NULL, &t), RIOX_EINVAL);
  H_ERR_D(riox_tcp_listen(loop, &la, 0, RIOX_UDP_PKTINFO, NULL, &t), RIOX_EINVAL);
  H_ERR_D(riox_tcp_connect(loop, &pa, NULL, RIOX_SOCK_REUSEPORT, NULL, &t), RIOX_EINVAL);
  H_ERR_D(riox_udp_open(loop, &la, NULL, 1u << 20, NULL, &t), RIOX_EINVAL);
  /* None of the refused calls posted anything or queued an event. */
  H_EQ(h_nothing_posted(loop, 0), 0);
  /* A TCP socket has no riox_sendmsg. */
  any6 = h_v4(0);
  H_OK(riox_tcp_listen(loop, &any6, 0, 0, NULL, &t));
  {
    riox_stats st; /* the listener's own accepts are in flight */
    riox_loop_stats(loop, &st);
    H_ERR_D(riox_sendmsg(t, buf, 10, &msg, 0, NULL), RIOX_EPROTO);
    H_EQ(h_nothing_posted(loop, st.req_in_use), 0);
  }
  H_OK(riox_close(t));
  H_OK(riox_close(a));
  /* Their CLOSE events are owed; beyond them nothing may come, and no
   * request may be left in use: the refused calls posted nothing. */
  H_EQ(h_wait_for(loop, RIOX_EV_CLOSE, t, &ev, NULL, 10000), 0);
  H_EQ(h_wait_for(loop, RIOX_EV_CLOSE, a, &ev, NULL, 10000), 0);
  H_EQ(h_nothing_posted(loop, 0), 0);
  riox_buf_put(loop, buf);
  riox_loop_close(loop);
  return 0;
}

/* riox_close right after a segmented send: one SEND event, then the
 * CLOSE. Either all of it went (status 0, every byte: offloaded, or split
 * before the close took effect) or the close stopped the split part way
 * (RIOX_ECANCELED, ev.len = whole datagrams that went); never a success
 * that sent less. */
static int close_mid_split(void) {
  riox_loop_config cfg;
  riox_loop *loop;
  riox_sock *a, *b;
  riox_addr la = h_v4(0), lb = h_v4(0), pb;
  riox_event ev;
  riox_msg msg;
  char *buf;
  const uint32_t seg = 1000, len = 40 * 1000;
  int round;
  /* Twice: a send issued at once, and one held by RIOX_SEND_DEFER. */
  h_config(&cfg);
  cfg.buf_size = 65536;
  cfg.buf_count = 8;
  H_OK(h_loop(&loop, &cfg));
  H_OK(riox_udp_open(loop, &lb, NULL, 0, NULL, &b));
  H_OK(riox_sock_local(b, &pb));
  for (round = 0; round < 2; round++) {
    H_OK(riox_udp_open(loop, &la, NULL, 0, NULL, &a));
    H_OK(riox_buf_get(loop, &buf));
    h_fill(buf, len, 7);
    memset(&msg, 0, sizeof msg);
    msg.to = &pb;
    msg.seg_size = seg;
    H_OK(riox_sendmsg(a, buf, len, &msg, round == 1 ? RIOX_SEND_DEFER : 0u, (void *)0xc105e));
    H_OK(riox_close(a));
    H_EQ(h_wait_for(loop, RIOX_EV_SEND, a, &ev, NULL, 10000), 0);
    H_CHECK(ev.ctx == (void *)0xc105e);
    H_CHECK(ev.data == buf);
    if (ev.status == 0) {
      H_EQ(ev.len, len);
    } else {
      H_EQ(ev.status, RIOX_ECANCELED);
      H_CHECK(ev.len < len);
      H_EQ(ev.len % seg, 0);
    }
    printf("  close after a segmented send [%s]: status %s, %u of %u bytes\n", h_backend,
           riox_err_name(ev.status), ev.len, len);
    H_EQ(h_wait_for(loop, RIOX_EV_CLOSE, a, &ev, NULL, 10000), 0);
    H_OK(riox_buf_put(loop, buf));
  }
  H_OK(riox_close(b));
  H_EQ(h_wait_for(loop, RIOX_EV_CLOSE, b, &ev, NULL, 10000), 0);
  riox_loop_close(loop);
  return 0;
}

static int test(void) {
  static const seg_case cases[] = {
      {12000, 1200}, /* ten full datagrams */
      {11500, 1200}, /* nine full, a shorter last one */
      {64, 1},       /* RIOX_MAX_SEGMENTS of one byte */
      {1200, 1200},  /* seg_size == len: one datagram */
      {800, 1200},   /* seg_size > len: one datagram */
      {3000, 0},     /* no seg_size: one datagram */
      {65000, 1400}, /* the most bytes, 47 datagrams */
  };
  size_t i;
  for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    if (one(h_v4, cases[i], 0) != 0) return 1;
    if (one(h_v6, cases[i], 0) != 0) return 1;
  }
  if (one(h_v4, cases[1], 1) != 0) return 1; /* connected, msg.to NULL */
  if (close_mid_split() != 0) return 1;
  return bad_input();
}

int main(void) { return h_run("udp_segments", test); }
