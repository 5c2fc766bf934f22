/* UDP round trips of every size class, 0 to 65507 bytes, IPv4 and IPv6:
 * data, length and source address arrive intact. */
#include "harness.h"

static int roundtrip(riox_addr (*mk)(uint16_t), uint32_t len) {
  riox_loop_config cfg;
  riox_loop *loop;
  riox_sock *a, *b;
  riox_addr la = mk(0), lb = mk(0), pa, pb;
  riox_event ev;
  char *rbuf, *sbuf;
  h_config(&cfg);
  cfg.buf_size = 65536;
  cfg.buf_count = 8;
  H_OK(h_loop(&loop, &cfg));
  H_OK(riox_udp_open(loop, &la, NULL, 0, NULL, &a));
  H_OK(riox_udp_open(loop, &lb, NULL, 0, NULL, &b));
  H_OK(riox_sock_local(a, &pa));
  H_OK(riox_sock_local(b, &pb));
  H_OK(riox_buf_get(loop, &rbuf));
  H_OK(riox_buf_get(loop, &sbuf));
  H_OK(riox_recv(b, rbuf, riox_loop_buf_size(loop), (void *)0x1234));
  h_fill(sbuf, len, len);
  H_OK(riox_sendto(a, sbuf, len, &pb, 0, (void *)0x5678));
  H_EQ(h_wait_for(loop, RIOX_EV_RECV, b, &ev, NULL, 10000), 0);
  H_EQ(ev.status, 0);
  H_EQ(ev.len, len);
  H_CHECK(ev.data == rbuf);
  H_CHECK(ev.ctx == (void *)0x1234);
  H_EQ(h_verify(ev.data, len, len), 0);
  H_EQ(ev.addr.family, pa.family);
  H_EQ(ev.addr.port, pa.port);
  H_EQ(memcmp(ev.addr.ip, pa.ip, 16), 0);
  H_EQ(h_wait_for(loop, RIOX_EV_SEND, a, &ev, NULL, 10000), 0);
  H_EQ(ev.status, 0);
  H_EQ(ev.len, len);
  H_CHECK(ev.data == sbuf);
  H_CHECK(ev.ctx == (void *)0x5678);
  H_OK(riox_buf_put(loop, rbuf));
  H_OK(riox_buf_put(loop, sbuf));
  H_OK(riox_close(a));
  H_OK(riox_close(b));
  H_EQ(h_wait_for(loop, RIOX_EV_CLOSE, a, &ev, NULL, 10000), 0);
  H_EQ(h_wait_for(loop, RIOX_EV_CLOSE, b, &ev, NULL, 10000), 0);
  riox_loop_close(loop);
  return 0;
}

static int test(void) {
  static const uint32_t sizes[] = {0, 1, 7, 8, 512, 1472, 1500, 8192, 9000, 32768, 65507};
  size_t i;
  for (i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
    if (roundtrip(h_v4, sizes[i]) != 0) return 1;
    if (roundtrip(h_v6, sizes[i]) != 0) return 1;
  }
  return 0;
}

int main(void) { return h_run("udp_roundtrip", test); }
