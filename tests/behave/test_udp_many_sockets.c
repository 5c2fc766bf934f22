/* 64 UDP sockets on one loop, in a ring: socket i sends one datagram to
 * socket i+1. Every datagram arrives exactly once, at the right socket, with
 * the right payload and the sender's address as its source. */
#include "harness.h"

#define NSOCK 64

static riox_sock *socks[NSOCK];
static riox_addr addrs[NSOCK];
static int recvs_seen[NSOCK], sends_seen[NSOCK], closes_seen[NSOCK];

static int index_of(void *ctx) { return (int)((uintptr_t)ctx - 1); }

static uint32_t payload_len(int i) { return 16u + (uint32_t)i * 7u; }

static int on_recv(riox_loop *loop, const riox_event *ev) {
  int to = index_of(ev->sock_ctx), from = (to + NSOCK - 1) % NSOCK;
  H_CHECK(to >= 0 && to < NSOCK);
  H_CHECK(ev->sock == socks[to]);
  H_EQ(ev->status, 0);
  H_EQ(recvs_seen[to], 0);
  recvs_seen[to]++;
  H_CHECK(ev->ctx == (void *)(uintptr_t)(1000 + to));
  H_EQ(ev->len, payload_len(from));
  /* The payload carries the sender's index: a mix-up between sockets shows. */
  H_EQ(h_verify(ev->data, ev->len, (uint32_t)from), 0);
  H_EQ(ev->addr.family, RIOX_AF_INET);
  H_EQ(ev->addr.port, addrs[from].port);
  H_EQ(memcmp(ev->addr.ip, addrs[from].ip, 4), 0);
  H_OK(riox_buf_put(loop, ev->data));
  return 0;
}

static int test(void) {
  riox_loop_config cfg;
  riox_loop *loop;
  riox_stats st;
  int i, recvs = 0, sends = 0, closes = 0;
  uint64_t until;
  memset(recvs_seen, 0, sizeof recvs_seen);
  memset(sends_seen, 0, sizeof sends_seen);
  memset(closes_seen, 0, sizeof closes_seen);
  h_config(&cfg);
  cfg.buf_count = 2 * NSOCK;
  H_OK(h_loop(&loop, &cfg));
  for (i = 0; i < NSOCK; i++) {
    riox_addr any = h_v4(0);
    char *buf;
    H_OK(riox_udp_open(loop, &any, NULL, 0, (void *)(uintptr_t)(i + 1), &socks[i]));
    H_OK(riox_sock_local(socks[i], &addrs[i]));
    H_CHECK(addrs[i].port != 0);
    H_OK(riox_buf_get(loop, &buf));
    H_OK(riox_recv(socks[i], buf, riox_loop_buf_size(loop), (void *)(uintptr_t)(1000 + i)));
  }
  for (i = 0; i < NSOCK; i++) {
    char *buf;
    H_OK(riox_buf_get(loop, &buf));
    h_fill(buf, payload_len(i), (uint32_t)i);
    H_OK(riox_sendto(socks[i], buf, payload_len(i), &addrs[(i + 1) % NSOCK], 0,
                     (void *)(uintptr_t)(2000 + i)));
  }
  until = h_now_ms() + 20000;
  while ((recvs < NSOCK || sends < NSOCK) && h_now_ms() < until) {
    riox_event evs[32];
    int n = riox_wait(loop, evs, 32, 1000), k;
    H_CHECK(n >= 0);
    for (k = 0; k < n; k++) {
      const riox_event *ev = &evs[k];
      if (ev->type == RIOX_EV_RECV) {
        if (on_recv(loop, ev) != 0) return 1;
        recvs++;
      } else if (ev->type == RIOX_EV_SEND) {
        int from = index_of(ev->sock_ctx);
        H_EQ(ev->status, 0);
        H_CHECK(ev->ctx == (void *)(uintptr_t)(2000 + from));
        H_EQ(ev->len, payload_len(from));
        H_EQ(sends_seen[from], 0);
        sends_seen[from]++;
        sends++;
        H_OK(riox_buf_put(loop, ev->data));
      } else {
        H_FAIL("unexpected event type %u status %d", ev->type, ev->status);
        return 1;
      }
    }
  }
  H_EQ(recvs, NSOCK);
  H_EQ(sends, NSOCK);
  riox_loop_stats(loop, &st);
  H_EQ(st.recv_ops, NSOCK);
  H_EQ(st.send_ops, NSOCK);
  H_EQ(st.buf_in_use, 0);
  for (i = 0; i < NSOCK; i++) H_OK(riox_close(socks[i]));
  until = h_now_ms() + 10000;
  while (closes < NSOCK && h_now_ms() < until) {
    riox_event ev;
    int n = riox_wait(loop, &ev, 1, 1000);
    H_CHECK(n >= 0);
    if (n == 0) continue;
    H_EQ(ev.type, RIOX_EV_CLOSE);
    H_EQ(closes_seen[index_of(ev.sock_ctx)], 0);
    closes_seen[index_of(ev.sock_ctx)]++;
    closes++;
  }
  H_EQ(closes, NSOCK);
  riox_loop_close(loop);
  return 0;
}

int main(void) { return h_run("udp_many_sockets", test); }
