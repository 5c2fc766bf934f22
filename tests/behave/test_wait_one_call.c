/* On the uring backend every kind of event comes out of the ring's one
 * wait (issue 10: "wake through an eventfd read kept on the ring; readiness
 * through POLL_ADD on the same ring"): the riox_wait that returns
 *  - a RIOX_EV_WAKE posted from the loop's own thread,
 *  - a RIOX_EV_WAKE posted from another thread while the loop waits,
 *  - a level-triggered RIOX_READABLE of a UDP and of a TCP readiness socket,
 *    re-armed after each hand-out (the re-arm goes with the same enter),
 * makes no more than one kernel call per round trip (riox_stats.kernel_calls,
 * which counts every io_uring_enter, epoll call and eventfd read on the
 * loop's thread; the SQEs and CQEs beside them are ring_ops). A second wait inside the call (an epoll_wait behind the
 * ring's enter, an epoll_ctl re-arm, a read of the eventfd) fails it. The
 * peers live on a second loop, so their calls are not counted. Only the
 * uring backend promises this. The epoll backend is held to what it costs
 * (docs/design.md): two calls per round trip -- epoll_wait plus the
 * eventfd read for a wake, plus the epoll_ctl re-arm for a READY. The
 * Windows backends skip with the reason (their counts are test_stats'). */
#include "harness.h"

#define ROUNDS 100
#define WARM 3

static uint64_t calls(riox_loop *loop) {
  riox_stats st;
  riox_loop_stats(loop, &st);
  return st.kernel_calls;
}

/* One riox_wait that must return exactly one event of `type` (and sock);
 * *spent += the OS calls it made. */
static int wait_one(riox_loop *loop, uint32_t type, riox_sock *sock, void *ctx, uint64_t *spent) {
  riox_event ev[4];
  uint64_t before = calls(loop);
  int n = riox_wait(loop, ev, 4, 5000);
  *spent += calls(loop) - before;
  H_EQ(n, 1);
  H_EQ(ev[0].type, type);
  H_CHECK(ev[0].sock == sock);
  if (type == RIOX_EV_WAKE) H_CHECK(ev[0].ctx == ctx);
  if (type == RIOX_EV_READY) H_EQ(ev[0].ready & RIOX_READABLE, RIOX_READABLE);
  return 0;
}

static int per_round; /* kernel calls one round trip may cost on this backend */

static int check_spent(const char *what, uint64_t spent) {
  printf("  %s: %llu OS calls in %d round trips\n", what, (unsigned long long)spent, ROUNDS);
  if (spent > (uint64_t)per_round * ROUNDS) {
    H_FAIL("%s: %llu OS calls for %d round trips (more than %d kernel call(s) each)", what,
           (unsigned long long)spent, ROUNDS, per_round);
    return 1;
  }
  return 0;
}

static int wake_self(riox_loop *loop) {
  uint64_t spent = 0, junk = 0;
  int i;
  for (i = 0; i < WARM + ROUNDS; i++) {
    void *ctx = (void *)(uintptr_t)(0x1000 + i);
    H_OK(riox_wake(loop, ctx));
    if (wait_one(loop, RIOX_EV_WAKE, NULL, ctx, i < WARM ? &junk : &spent) != 0) return 1;
  }
  return check_spent("wake from the loop's thread", spent);
}

typedef struct pinger {
  riox_loop *loop;
  h_event *go[WARM + ROUNDS];
  int failures;
} pinger_t;

static void pinger_main(void *arg) {
  pinger_t *p = (pinger_t *)arg;
  int i;
  for (i = 0; i < WARM + ROUNDS; i++) {
    if (!h_event_wait(p->go[i], 10000)) {
      p->failures++;
      return;
    }
    h_sleep_ms(1); /* most of the time the loop is inside its enter by now */
    if (riox_wake(p->loop, (void *)(uintptr_t)(0x2000 + i)) != 0) p->failures++;
  }
}

static int wake_thread(riox_loop *loop) {
  static pinger_t p;
  h_thread *th;
  uint64_t spent = 0, junk = 0;
  int i, rc = 0;
  memset(&p, 0, sizeof p);
  p.loop = loop;
  for (i = 0; i < WARM + ROUNDS; i++) {
    p.go[i] = h_event_new(0);
    H_CHECK(p.go[i] != NULL);
  }
  H_EQ(h_thread_start(&th, pinger_main, &p), 0);
  for (i = 0; i < WARM + ROUNDS && rc == 0; i++) {
    h_event_set(p.go[i]);
    rc = wait_one(loop, RIOX_EV_WAKE, NULL, (void *)(uintptr_t)(0x2000 + i), i < WARM ? &junk : &spent);
  }
  if (rc != 0) {
    for (; i < WARM + ROUNDS; i++) h_event_set(p.go[i]); /* let the thread end */
  }
  h_thread_join(th);
  for (i = 0; i < WARM + ROUNDS; i++) h_event_free(p.go[i]);
  if (rc != 0) return rc;
  H_EQ(p.failures, 0);
  /* epoll: a waker that queues its context while the loop is between its
   * eventfd read and taking the queue leaves a count behind, and a later
   * round pays one more epoll_wait/read for it (seen under load: 201 for
   * 100). One such round in twenty is allowed there; uring's bound is
   * exact (the eventfd read stays on the ring). */
  if (strcmp(h_backend, "epoll") == 0 && spent > (uint64_t)per_round * ROUNDS &&
      spent <= (uint64_t)per_round * ROUNDS + ROUNDS / 20) {
    printf("  wake from another thread: %llu calls, within epoll's allowance for racing wakers\n",
           (unsigned long long)spent);
    return 0;
  }
  return check_spent("wake from another thread", spent);
}

/* `rx` (on loop) is watched READABLE, level-triggered; `tx` (on peer)
 * sends it one byte per round; the READY is handed out, the byte read
 * (not counted: outside riox_wait), and the next round's wait re-arms. */
static int ready_rounds(const char *what, riox_loop *loop, riox_sock *rx, riox_sock *tx,
                        const riox_addr *to) {
  uint64_t spent = 0, junk = 0;
  char c = 'x', in[8];
  int i;
  H_OK(riox_watch(rx, RIOX_READABLE, (void *)0x77));
  for (i = 0; i < WARM + ROUNDS; i++) {
    H_EQ(riox_try_send(tx, &c, 1, to), 1);
    if (wait_one(loop, RIOX_EV_READY, rx, NULL, i < WARM ? &junk : &spent) != 0) return 1;
    H_EQ(riox_try_recv(rx, in, sizeof in, NULL), 1);
  }
  H_OK(riox_unwatch(rx));
  return check_spent(what, spent);
}

static int udp_ready(riox_loop *loop, riox_loop *peer) {
  riox_sock *rx, *tx;
  riox_addr la = h_v4(0), at;
  riox_event ev;
  H_OK(riox_udp_open(loop, &la, NULL, RIOX_SOCK_READINESS, NULL, &rx));
  H_OK(riox_udp_open(peer, &la, NULL, RIOX_SOCK_READINESS, NULL, &tx));
  H_OK(riox_sock_local(rx, &at));
  if (ready_rounds("UDP readiness", loop, rx, tx, &at) != 0) return 1;
  H_OK(riox_close(rx));
  H_OK(riox_close(tx));
  H_EQ(h_wait_for(loop, RIOX_EV_CLOSE, rx, &ev, NULL, 5000), 0);
  H_EQ(h_wait_for(peer, RIOX_EV_CLOSE, tx, &ev, NULL, 5000), 0);
  return 0;
}

static int tcp_ready(riox_loop *loop, riox_loop *peer) {
  riox_sock *lst, *cli, *srv;
  riox_event ev;
  if (h_tcp_ready_pair(peer, loop, &lst, &cli, &srv) != 0) return 1;
  if (ready_rounds("TCP readiness", loop, srv, cli, NULL) != 0) return 1;
  H_OK(riox_close(srv));
  H_OK(riox_close(lst));
  H_OK(riox_close(cli));
  H_EQ(h_wait_for(loop, RIOX_EV_CLOSE, srv, &ev, NULL, 5000), 0);
  H_EQ(h_wait_for(loop, RIOX_EV_CLOSE, lst, &ev, NULL, 5000), 0);
  H_EQ(h_wait_for(peer, RIOX_EV_CLOSE, cli, &ev, NULL, 5000), 0);
  return 0;
}

static int test(void) {
  riox_loop *loop, *peer;
  int rc;
  if (strcmp(h_backend, "uring") == 0)
    per_round = 1;
  else if (strcmp(h_backend, "epoll") == 0)
    per_round = 2;
  else
    return h_skip_pass("calls per wake/readiness round trip are fixed for the Linux backends "
                       "(docs/design.md); test_stats counts %s's",
                       h_backend);
  H_OK(h_loop(&loop, NULL));
  H_OK(h_loop(&peer, NULL));
  rc = wake_self(loop);
  if (rc == 0) rc = wake_thread(loop);
  if (rc == 0) rc = udp_ready(loop, peer);
  if (rc == 0) rc = tcp_ready(loop, peer);
  riox_loop_close(peer);
  riox_loop_close(loop);
  return rc;
}

int main(void) { return h_run_readiness("wait_one_call", test); }
