/* Regression (found by tests/fuzz/fuzz_api under UBSan): the uring
 * backend's provided buffers for multishot UDP receives (src/uring/udp_rx.c)
 * were laid out back to back with a stride of header + address + control
 * room + buf_size; with a buf_size such as 1500 every other buffer started
 * off an 8-byte boundary, and so did the cmsghdr the kernel wrote into it:
 * reading a PKTINFO (or UDP_GRO) control message was a misaligned load
 * (undefined behaviour; UBSan stops the program). Every buffer of the ring
 * is used in turn, so a few dozen datagrams with PKTINFO on reach them all
 * in any alignment; each must arrive intact with its local address. */
#include "harness.h"

#define N 48

static int one(uint32_t buf_size) {
  riox_loop_config cfg;
  riox_loop *loop;
  riox_sock *rx, *tx;
  riox_addr any = h_v4(0), at;
  riox_event ev;
  char *buf;
  uint32_t i;
  h_config(&cfg);
  cfg.buf_size = buf_size;
  cfg.buf_count = 2 * N + 8;
  H_OK(h_loop(&loop, &cfg));
  H_OK(riox_udp_open(loop, &any, NULL, RIOX_UDP_PKTINFO, NULL, &rx));
  H_OK(riox_udp_open(loop, &any, NULL, 0, NULL, &tx));
  H_OK(riox_sock_local(rx, &at));
  for (i = 0; i < N; i++) {
    H_OK(riox_buf_get(loop, &buf));
    H_OK(riox_recv(rx, buf, buf_size, (void *)(uintptr_t)(i + 1)));
  }
  for (i = 0; i < N; i++) {
    uint32_t len = 1 + (i * 37) % (buf_size - 1);
    H_OK(riox_buf_get(loop, &buf));
    h_fill(buf, len, i);
    H_OK(riox_sendto(tx, buf, len, &at, 0, NULL));
    H_EQ(h_wait_for(loop, RIOX_EV_SEND, tx, &ev, NULL, 5000), 0);
    H_EQ(ev.status, 0);
    riox_buf_put(loop, ev.data);
    H_EQ(h_wait_for(loop, RIOX_EV_RECV, rx, &ev, NULL, 5000), 0);
    H_EQ(ev.status, 0);
    H_CHECK(ev.ctx == (void *)(uintptr_t)(i + 1));
    H_EQ(ev.len, len);
    H_EQ(h_verify(ev.data, len, i), 0);
    H_EQ(ev.local.family, RIOX_AF_INET);
    H_EQ(ev.local.port, at.port);
    riox_buf_put(loop, ev.data);
  }
  H_OK(riox_close(rx));
  H_OK(riox_close(tx));
  H_EQ(h_wait_for(loop, RIOX_EV_CLOSE, rx, &ev, NULL, 5000), 0);
  H_EQ(h_wait_for(loop, RIOX_EV_CLOSE, tx, &ev, NULL, 5000), 0);
  riox_loop_close(loop);
  return 0;
}

static int test(void) {
  static const uint32_t sizes[] = {1500, 1501, 1499, 2047, 1000};
  size_t k;
  for (k = 0; k < sizeof sizes / sizeof sizes[0]; k++)
    if (one(sizes[k]) != 0) return 1;
  return 0;
}

int main(void) { return h_run("regress_uring_rx_cmsg_misaligned", test); }
