/* riox_loop_close with everything in flight (riox.h, "Loop lifecycle"): it
 * closes every socket, cancels every timer, waits for the OS to finish every
 * request and frees the pool -- no crash, no leak.
 *
 * Loop A holds: UDP receives posted, UDP sends issued and deferred, a
 * connected UDP socket with a receive, a socket already closing whose CLOSE
 * was never collected, a listener with its AcceptEx calls, a TCP connection
 * (to loop B) with receives, sends and a waiting shutdown, a connect in
 * progress, pending timers, a wake never collected and events left queued.
 *
 * Checked:
 *  - riox_loop_close returns well before its 30 s give-up (which would leak
 *    on purpose): every request was drained;
 *  - the sockets really are closed: the TCP peer on loop B sees its stream
 *    end, and A's UDP and listener ports can be bound again;
 *  - the process heap (Windows: every heap, HeapWalk; Linux: the ASan
 *    allocator's live bytes) is back to the same number of bytes in use
 *    after each round: nothing the loop allocated survives. */
#include "harness.h"

#define ROUNDS 2
#define CLOSE_LIMIT_MS 5000

/* Bytes the heap has handed out (plat.h); the check needs it. */
static uint64_t heap_in_use(void) {
  uint64_t n = 0;
  if (h_heap_in_use(&n) != 0) h_skip("this build cannot measure the heap in use");
  return n;
}

/* One round: build loop A full of work, close it, check from loop B. */
static int round_trip(uint64_t *close_ms) {
  riox_loop_config cfg;
  riox_loop *a, *b;
  riox_sock *u1, *u2, *u3, *lis, *cli, *srv, *conn, *bu, *blis, *tmp;
  riox_addr lo = h_v4(0), bu_addr, blis_addr, u1_addr, lis_addr;
  riox_event ev;
  uint64_t id, t0;
  char *buf;
  int i;
  h_config(&cfg);
  cfg.buf_count = 64;
  H_OK(h_loop(&a, &cfg));
  H_OK(h_loop(&b, &cfg));

  /* Loop B: a UDP target and a listener. */
  H_OK(riox_udp_open(b, &lo, NULL, 0, NULL, &bu));
  H_OK(riox_sock_local(bu, &bu_addr));
  H_OK(riox_tcp_listen(b, &lo, 0, 0, NULL, &blis));
  H_OK(riox_sock_local(blis, &blis_addr));

  /* UDP on A. */
  H_OK(riox_udp_open(a, &lo, NULL, 0, NULL, &u1));
  H_OK(riox_sock_local(u1, &u1_addr));
  for (i = 0; i < 4; i++) {
    H_OK(riox_buf_get(a, &buf));
    H_OK(riox_recv(u1, buf, riox_loop_buf_size(a), NULL));
  }
  for (i = 0; i < 4; i++) {
    H_OK(riox_buf_get(a, &buf));
    H_OK(riox_sendto(u1, buf, 64, &bu_addr, i < 2 ? 0 : RIOX_SEND_DEFER, NULL));
  }
  H_OK(riox_udp_open(a, &lo, &bu_addr, 0, NULL, &u2));
  H_OK(riox_buf_get(a, &buf));
  H_OK(riox_recv(u2, buf, riox_loop_buf_size(a), NULL));
  H_OK(riox_udp_open(a, &lo, NULL, 0, NULL, &u3));
  H_OK(riox_buf_get(a, &buf));
  H_OK(riox_recv(u3, buf, riox_loop_buf_size(a), NULL));
  H_OK(riox_close(u3)); /* closing; its events are never collected */

  /* A listener on A. */
  H_OK(riox_tcp_listen(a, &lo, 0, 0, NULL, &lis));
  H_OK(riox_sock_local(lis, &lis_addr));

  /* A connection A -> B with I/O in flight on A's end. */
  H_OK(riox_tcp_connect(a, &blis_addr, NULL, 0, NULL, &cli));
  H_EQ(h_wait_for(b, RIOX_EV_ACCEPT, blis, &ev, NULL, 10000), 0);
  H_EQ(ev.status, 0);
  srv = ev.accepted;
  H_EQ(h_wait_for(a, RIOX_EV_CONNECT, cli, &ev, NULL, 10000), 0);
  H_EQ(ev.status, 0);
  for (i = 0; i < 2; i++) {
    H_OK(riox_buf_get(a, &buf));
    H_OK(riox_recv(cli, buf, riox_loop_buf_size(a), NULL));
  }
  for (i = 0; i < 3; i++) {
    H_OK(riox_buf_get(a, &buf));
    H_OK(riox_send(cli, buf, riox_loop_buf_size(a), i == 2 ? RIOX_SEND_DEFER : 0, NULL));
  }
  H_OK(riox_shutdown(cli, NULL));

  /* A connect in progress (to B's listener, which nobody services now). */
  H_OK(riox_tcp_connect(a, &blis_addr, NULL, 0, NULL, &conn));

  /* Timers (one due, one far), a wake, and events left in the queue. */
  H_OK(riox_timer_start(a, 0, NULL, &id));
  H_OK(riox_timer_start(a, 60000, NULL, &id));
  H_OK(riox_wake(a, (void *)1));
  H_OK(riox_wake(a, (void *)2));
  H_CHECK(riox_wait(a, &ev, 1, 100) == 1); /* leaves the rest queued */

  t0 = h_now_ms();
  riox_loop_close(a);
  *close_ms = h_now_ms() - t0;
  h_forget(a);
  H_CHECK(*close_ms < CLOSE_LIMIT_MS);

  /* The peer of A's connection sees its end (EOF, or a reset). */
  H_OK(riox_buf_get(b, &buf));
  for (;;) {
    H_OK(riox_recv(srv, buf, riox_loop_buf_size(b), NULL));
    H_EQ(h_wait_for(b, RIOX_EV_RECV, srv, &ev, NULL, 10000), 0);
    if (ev.status != 0) break;
  }
  H_CHECK(ev.status == RIOX_EOF || ev.status == RIOX_ECONNRESET);
  H_OK(riox_buf_put(b, buf));

  /* A's sockets are gone: their ports are free again. */
  H_OK(riox_udp_open(b, &u1_addr, NULL, 0, NULL, &tmp));
  H_OK(riox_close(tmp));
  H_OK(riox_tcp_listen(b, &lis_addr, 0, 0, NULL, &tmp));
  H_OK(riox_close(tmp));

  riox_loop_close(b);
  h_forget(b);
  return 0;
}

static int test(void) {
  /* Exact on every backend: the RIO emulator runs one thread of its own,
   * started at its first use (the warm-up), and no thread-pool threads, whose
   * heap blocks would come and go (defect 12). */
  uint64_t base, now, ms;
  int r;
  /* A first round makes the one-time allocations (Winsock, stdio, ...). */
  if (round_trip(&ms) != 0) return 1;
  printf("warm-up round: riox_loop_close took %llu ms\n", (unsigned long long)ms);
  fflush(stdout);
  base = heap_in_use();
  for (r = 0; r < ROUNDS; r++) {
    if (round_trip(&ms) != 0) return 1;
    now = heap_in_use();
    printf("round %d: riox_loop_close took %llu ms; heap in use %llu (start %llu)\n", r,
           (unsigned long long)ms, (unsigned long long)now, (unsigned long long)base);
    if (now != base) {
      H_FAIL("heap bytes in use after round %d: %llu, before the rounds: %llu (%+lld)", r,
             (unsigned long long)now, (unsigned long long)base, (long long)(now - base));
      return 1;
    }
  }
  return 0;
}

int main(void) { return h_run("loop_close_in_flight", test); }
