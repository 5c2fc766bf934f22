/* Deep receive queues and deferred sends on UDP:
 *  - 32 receives posted on one socket, 32 datagrams sent: every receive
 *    completes exactly once, in posting order, and (loopback keeps datagram
 *    order) the k-th receive holds the k-th datagram;
 *  - RIOX_SEND_DEFER sends leave nothing on the wire until riox_flush or
 *    riox_wait of their loop (the receiver runs its own loop, so watching it
 *    does not flush the sender);
 *  - riox_loop_stats counts receives, sends and bytes exactly. */
#include "harness.h"

#define DEPTH 32
#define NDEFER 4

static h_log rlog, slog;

static uint32_t len_of(int seq) { return 20u + (uint32_t)seq * 3u; }

/* Post `n` receives on b with ctx first..first+n-1. */
static int post_recvs(riox_loop *loop, riox_sock *b, int first, int n) {
  int i;
  for (i = 0; i < n; i++) {
    char *buf;
    H_OK(riox_buf_get(loop, &buf));
    H_OK(riox_recv(b, buf, riox_loop_buf_size(loop), (void *)(uintptr_t)(first + i)));
  }
  return 0;
}

/* Send datagrams seq first..first+n-1 from a to `to`. */
static int send_seq(riox_loop *loop, riox_sock *a, const riox_addr *to, int first, int n,
                    uint32_t flags) {
  int i;
  for (i = first; i < first + n; i++) {
    char *buf;
    H_OK(riox_buf_get(loop, &buf));
    h_fill(buf, len_of(i), (uint32_t)i);
    H_OK(riox_sendto(a, buf, len_of(i), to, flags, (void *)(uintptr_t)(5000 + i)));
  }
  return 0;
}

/* Expect receives first..first+n-1 in order, each with datagram of the same seq. */
static int expect_recvs(riox_loop *loop, int first, int n) {
  int i;
  rlog.n = 0;
  H_EQ(h_collect(loop, RIOX_EV_RECV, n, &rlog, 10000), n);
  H_EQ(rlog.n, n); /* nothing else happens on the receiver's loop */
  for (i = 0; i < n; i++) {
    const riox_event *ev = &rlog.ev[i];
    H_EQ(ev->type, RIOX_EV_RECV);
    H_EQ(ev->status, 0);
    H_EQ((uintptr_t)ev->ctx, first + i); /* posting order */
    H_EQ(ev->len, len_of(first + i));
    H_EQ(h_verify(ev->data, ev->len, (uint32_t)(first + i)), 0);
    H_OK(riox_buf_put(loop, ev->data));
  }
  return 0;
}

/* Expect n SEND events with ctx seq first..first+n-1, each exactly once. */
static int expect_sends(riox_loop *loop, int first, int n) {
  int seen[DEPTH + 2 * NDEFER], i;
  memset(seen, 0, sizeof seen);
  slog.n = 0;
  H_EQ(h_collect(loop, RIOX_EV_SEND, n, &slog, 10000), n);
  H_EQ(slog.n, n);
  for (i = 0; i < n; i++) {
    const riox_event *ev = &slog.ev[i];
    int seq = (int)((uintptr_t)ev->ctx - 5000);
    H_EQ(ev->status, 0);
    H_CHECK(seq >= first && seq < first + n);
    H_EQ(seen[seq], 0);
    seen[seq] = 1;
    H_EQ(ev->len, len_of(seq));
    H_OK(riox_buf_put(loop, ev->data));
  }
  return 0;
}

static int test(void) {
  riox_loop *rl, *sl;
  riox_sock *a, *b;
  riox_addr la = h_v4(0), lb = h_v4(0), pb;
  riox_event ev;
  riox_stats rs, ss;
  uint64_t bytes = 0;
  int i;
  H_OK(h_loop(&rl, NULL));
  H_OK(h_loop(&sl, NULL));
  H_OK(riox_udp_open(sl, &la, NULL, 0, NULL, &a));
  H_OK(riox_udp_open(rl, &lb, NULL, 0, NULL, &b));
  H_OK(riox_sock_local(b, &pb));
  for (i = 0; i < DEPTH + 2 * NDEFER; i++) bytes += len_of(i);

  /* 1. Deep queue, immediate sends. */
  if (post_recvs(rl, b, 0, DEPTH) != 0) return 1;
  if (send_seq(sl, a, &pb, 0, DEPTH, 0) != 0) return 1;
  if (expect_recvs(rl, 0, DEPTH) != 0) return 1;
  if (expect_sends(sl, 0, DEPTH) != 0) return 1;

  /* 2. Deferred sends wait for riox_flush. */
  if (post_recvs(rl, b, DEPTH, 2 * NDEFER) != 0) return 1;
  if (send_seq(sl, a, &pb, DEPTH, NDEFER, RIOX_SEND_DEFER) != 0) return 1;
  h_sleep_ms(200);
  H_EQ(riox_wait(rl, &ev, 1, 300), 0); /* nothing went out */
  H_EQ(riox_flush(sl), NDEFER);
  H_EQ(riox_flush(sl), 0); /* the queue is empty now */
  if (expect_recvs(rl, DEPTH, NDEFER) != 0) return 1;

  /* 3. Deferred sends wait for riox_wait of their loop. */
  if (send_seq(sl, a, &pb, DEPTH + NDEFER, NDEFER, RIOX_SEND_DEFER) != 0) return 1;
  h_sleep_ms(200);
  H_EQ(riox_wait(rl, &ev, 1, 300), 0);
  if (expect_sends(sl, DEPTH, 2 * NDEFER) != 0) return 1; /* its riox_wait issues them */
  if (expect_recvs(rl, DEPTH + NDEFER, NDEFER) != 0) return 1;

  riox_loop_stats(sl, &ss);
  riox_loop_stats(rl, &rs);
  H_EQ(ss.send_ops, DEPTH + 2 * NDEFER);
  H_EQ(ss.send_bytes, bytes);
  H_EQ(ss.recv_ops, 0);
  H_EQ(rs.recv_ops, DEPTH + 2 * NDEFER);
  H_EQ(rs.recv_bytes, bytes);
  H_EQ(rs.send_ops, 0);
  H_CHECK(ss.batches >= 1);
  H_EQ(ss.errors, 0);
  H_EQ(rs.errors, 0);
  H_EQ(ss.buf_in_use, 0);
  H_EQ(rs.buf_in_use, 0);
  H_OK(riox_close(a));
  H_OK(riox_close(b));
  H_EQ(h_wait_for(sl, RIOX_EV_CLOSE, a, &ev, NULL, 5000), 0);
  H_EQ(h_wait_for(rl, RIOX_EV_CLOSE, b, &ev, NULL, 5000), 0);
  riox_loop_close(sl);
  riox_loop_close(rl);
  return 0;
}

int main(void) { return h_run("udp_deep_recv", test); }
