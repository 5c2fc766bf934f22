/* A segmented send the kernel refuses to offload still goes out whole
 * (riox.h, "Segmentation offload": riox splits it where the OS cannot; the
 * API allows the send, so riox must not fail it). udp_send_skb answers a
 * UDP_SEGMENT send with EINVAL on a socket with SO_NO_CHECK (no checksum
 * to offload), as it does when a segment exceeds the route's MTU: the
 * sender's socket gets SO_NO_CHECK here, and every datagram must still
 * arrive, in order, with one SEND event of all the bytes. Where riox uses
 * no GSO (RIOX_UDP_OFFLOAD=0, an old kernel) the send is split anyway and
 * the test checks the same. */
#include <netinet/in.h>
#include <sys/socket.h>

#ifndef SO_NO_CHECK
#define SO_NO_CHECK 11 /* asm-generic/socket.h */
#endif

#include "harness.h"
#include "riox_test.h"

static int one(riox_addr (*mk)(uint16_t), uint32_t len, uint32_t seg) {
  riox_loop_config cfg;
  riox_loop *loop;
  riox_sock *a, *b;
  riox_addr la = mk(0), lb = mk(0), pb;
  riox_event ev;
  riox_msg msg;
  char *sbuf, *rbuf, pat[65536];
  uint32_t n = (len + seg - 1) / seg, i, off = 0;
  int fd, on = 1;
  h_config(&cfg);
  cfg.buf_size = 65536;
  cfg.buf_count = 80;
  H_OK(h_loop(&loop, &cfg));
  H_OK(riox_udp_open(loop, &lb, NULL, 0, NULL, &b));
  H_OK(riox_sock_local(b, &pb));
  H_OK(riox_udp_open(loop, &la, NULL, 0, NULL, &a));
  fd = (int)riox_test_sock_handle(a);
  H_CHECK(fd >= 0);
  H_EQ(setsockopt(fd, SOL_SOCKET, SO_NO_CHECK, &on, sizeof on), 0);
  for (i = 0; i < n; i++) {
    H_OK(riox_buf_get(loop, &rbuf));
    H_OK(riox_recv(b, rbuf, 65536, (void *)(uintptr_t)(i + 1)));
  }
  H_OK(riox_buf_get(loop, &sbuf));
  h_fill(sbuf, len, len + seg);
  h_fill(pat, len, len + seg);
  memset(&msg, 0, sizeof msg);
  msg.to = &pb;
  msg.seg_size = seg;
  H_OK(riox_sendmsg(a, sbuf, len, &msg, 0, NULL));
  H_EQ(h_wait_for(loop, RIOX_EV_SEND, a, &ev, NULL, 10000), 0);
  H_EQ(ev.status, 0);
  H_EQ(ev.len, len);
  for (i = 0; i < n; i++) {
    uint32_t exp = len - off < seg ? len - off : seg;
    if (h_wait_for(loop, RIOX_EV_RECV, b, &ev, NULL, 10000) != 0) {
      H_FAIL("datagram %u of %u never arrived", i + 1, n);
      return 1;
    }
    H_EQ(ev.status, 0);
    H_CHECK(ev.ctx == (void *)(uintptr_t)(i + 1));
    H_EQ(ev.len, exp);
    H_EQ(memcmp(ev.data, pat + off, exp), 0);
    off += exp;
    riox_buf_put(loop, ev.data);
  }
  H_OK(riox_close(a));
  H_OK(riox_close(b));
  H_EQ(h_wait_for(loop, RIOX_EV_CLOSE, a, &ev, NULL, 10000), 0);
  H_EQ(h_wait_for(loop, RIOX_EV_CLOSE, b, &ev, NULL, 10000), 0);
  riox_loop_close(loop);
  return 0;
}

static int test(void) {
#ifndef RIOX_HAVE_TEST_HOOKS
  return h_skip_pass("needs the test hooks (riox_test_sock_handle)");
#else
  if (one(h_v4, 12000, 1200) != 0) return 1;
  if (one(h_v4, 11500, 1200) != 0) return 1;
  if (one(h_v6, 65000, 1400) != 0) return 1;
  return 0;
#endif
}

int main(void) { return h_run("udp_gso_refused", test); }
