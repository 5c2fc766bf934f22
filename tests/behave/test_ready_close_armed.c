/* A watch whose poll is in the kernel (armed: the loop has waited once
 * since riox_watch) is ended without losing or freeing anything early
 * (the uring backend's POLL_ADD holds the socket until its CQE; epoll's
 * EPOLLONESHOT registration, an AFD poll the same way):
 *  - unwatch with the poll armed, then close: one CLOSE, no READY;
 *  - close with the poll armed: one CLOSE, no READY;
 *  - close after data arrived but before the loop has seen the report: one
 *    CLOSE, no READY;
 *  - close with the poll armed, the CLOSE taken by a riox_wait(max 1) that
 *    has no need to call the kernel (the event is queued already), so the
 *    poll's end is seen only by the waits after it -- which free the socket
 *    first: the poll must hold the socket until it has ended;
 *  - modify to another interest with the poll armed: the new interest is
 *    reported, with the new ctx, and the old one is not;
 *  - unwatch then watch again with the poll armed: reported once, new ctx;
 *  - riox_abort of a TCP connection with its poll armed resets it at once:
 *    the peer, on another loop, sees the reset although the aborting loop
 *    does not wait again;
 *  - riox_loop_close with watches armed, unwatched-but-armed, and closed
 *    sockets whose CLOSE never was waited for.
 * Under ASan (native) a watch or socket freed before its poll ended, or
 * never freed, fails the program. */
#include "harness.h"

/* Let the loop wait once, so the watches queued so far are polled. */
static int arm(riox_loop *loop) {
  riox_event ev[8];
  int n = riox_wait(loop, ev, 8, 30);
  if (n != 0) {
    H_FAIL("expected no event while arming, got %d (type %u)", n, n > 0 ? ev[0].type : 0);
    return 1;
  }
  return 0;
}

/* Exactly one CLOSE of sock within ms and no READY of it; other events
 * are kept for later waits. */
static int closes_quietly(riox_loop *loop, riox_sock *sock) {
  h_log log;
  riox_event ev;
  int i;
  log.n = 0;
  H_EQ(h_wait_for(loop, RIOX_EV_CLOSE, sock, &ev, &log, 5000), 0);
  H_EQ(ev.status, 0);
  for (i = 0; i < log.n; i++) {
    if (log.ev[i].sock == sock) {
      H_FAIL("event type %u of a closed socket (ready 0x%x)", log.ev[i].type, log.ev[i].ready);
      return 1;
    }
  }
  if (h_wait_for(loop, RIOX_EV_READY, sock, &ev, NULL, 100) == 0 ||
      h_wait_for(loop, RIOX_EV_CLOSE, sock, &ev, NULL, 100) == 0) {
    H_FAIL("event type %u after the CLOSE", ev.type);
    return 1;
  }
  return 0;
}

static int udp_cases(riox_loop *loop) {
  riox_sock *s[7], *tx;
  riox_addr la = h_v4(0), at[7];
  riox_event ev;
  char c = 'z', in[4];
  int i;
  H_OK(riox_udp_open(loop, &la, NULL, RIOX_SOCK_READINESS, NULL, &tx));
  for (i = 0; i < 7; i++) {
    H_OK(riox_udp_open(loop, &la, NULL, RIOX_SOCK_READINESS, NULL, &s[i]));
    H_OK(riox_sock_local(s[i], &at[i]));
    H_OK(riox_watch(s[i], RIOX_READABLE, (void *)(uintptr_t)(0x10 + i)));
  }
  if (arm(loop) != 0) return 1;

  /* 0: unwatch, then close. */
  H_OK(riox_unwatch(s[0]));
  H_OK(riox_close(s[0]));
  if (closes_quietly(loop, s[0]) != 0) return 1;

  /* 1: close with the poll armed. */
  H_OK(riox_close(s[1]));
  if (closes_quietly(loop, s[1]) != 0) return 1;

  /* 2: data arrives, the socket is closed before the loop waits. */
  H_EQ(riox_try_send(tx, &c, 1, &at[2]), 1);
  h_sleep_ms(20);
  H_OK(riox_close(s[2]));
  if (closes_quietly(loop, s[2]) != 0) return 1;

  /* 6: close, the CLOSE taken one event per wait. */
  H_OK(riox_close(s[6]));
  for (i = 0; i < 100; i++) {
    riox_event one;
    int n = riox_wait(loop, &one, 1, 20);
    H_CHECK(n >= 0);
    if (n == 1 && one.sock == s[6] && one.type == RIOX_EV_CLOSE) break;
    if (n == 1) {
      H_FAIL("event type %u (sock %p) before the CLOSE", one.type, (void *)one.sock);
      return 1;
    }
  }
  H_CHECK(i < 100);
  for (i = 0; i < 5; i++) { /* the socket is freed here, and any CQE of its poll seen */
    riox_event one;
    H_EQ(riox_wait(loop, &one, 1, 20), 0);
  }

  /* 3: modify while armed (READABLE -> WRITABLE): the idle socket is
   * writable at once, reported with the new ctx; READABLE is not. */
  H_OK(riox_watch_modify(s[3], RIOX_WRITABLE, (void *)0x33));
  H_EQ(h_wait_for(loop, RIOX_EV_READY, s[3], &ev, NULL, 5000), 0);
  H_EQ(ev.ready, RIOX_WRITABLE);
  H_CHECK(ev.ctx == (void *)0x33);
  H_OK(riox_watch_modify(s[3], RIOX_READABLE, (void *)0x34)); /* a handed-out one-poll later */
  if (arm(loop) != 0) return 1;
  H_EQ(riox_try_send(tx, &c, 1, &at[3]), 1);
  H_EQ(h_wait_for(loop, RIOX_EV_READY, s[3], &ev, NULL, 5000), 0);
  H_EQ(ev.ready, RIOX_READABLE);
  H_CHECK(ev.ctx == (void *)0x34);
  H_EQ(riox_try_recv(s[3], in, sizeof in, NULL), 1);

  /* 4: unwatch and watch again with the poll armed: one report, new ctx. */
  H_OK(riox_unwatch(s[4]));
  H_OK(riox_watch(s[4], RIOX_READABLE, (void *)0x44));
  H_EQ(riox_try_send(tx, &c, 1, &at[4]), 1);
  H_EQ(h_wait_for(loop, RIOX_EV_READY, s[4], &ev, NULL, 5000), 0);
  H_CHECK(ev.ctx == (void *)0x44);
  H_EQ(riox_try_recv(s[4], in, sizeof in, NULL), 1);
  if (h_wait_for(loop, RIOX_EV_READY, s[4], &ev, NULL, 100) == 0) {
    H_FAIL("a second READY (ctx %p) for one datagram", ev.ctx);
    return 1;
  }

  /* Left for riox_loop_close: s[3] and s[4] watched and armed again, s[5]
   * unwatched with its poll still armed (no wait since). */
  H_OK(riox_unwatch(s[5]));
  H_OK(riox_close(tx));
  H_EQ(h_wait_for(loop, RIOX_EV_CLOSE, tx, &ev, NULL, 5000), 0);
  return arm(loop);
}

/* riox_abort with the poll armed: the reset goes out with the abort, not
 * at the aborting loop's next wait. */
static int tcp_abort(riox_loop *loop, riox_loop *peer) {
  riox_sock *lst, *cli, *srv;
  riox_event ev;
  char in[8];
  int i, rc = RIOX_EAGAIN;
  if (h_tcp_ready_pair(peer, loop, &lst, &cli, &srv) != 0) return 1;
  H_OK(riox_watch(srv, RIOX_READABLE, NULL));
  if (arm(loop) != 0) return 1;
  H_OK(riox_abort(srv));
  /* The peer sees the reset (or the end of the stream) without `loop`
   * waiting again. */
  for (i = 0; i < 200; i++) {
    rc = riox_try_recv(cli, in, sizeof in, NULL);
    if (rc != RIOX_EAGAIN) break;
    h_sleep_ms(10);
  }
  if (rc == RIOX_EAGAIN) {
    H_FAIL("the peer saw nothing of the abort within 2 s (the poll kept the socket open?)");
    return 1;
  }
  H_CHECK(rc == RIOX_ECONNRESET || rc == 0 || rc == RIOX_EOF);
  if (closes_quietly(loop, srv) != 0) return 1;
  H_OK(riox_close(cli));
  H_EQ(h_wait_for(peer, RIOX_EV_CLOSE, cli, &ev, NULL, 5000), 0);
  /* The listener: watched and armed, closed, its CLOSE never waited for. */
  H_OK(riox_watch(lst, RIOX_READABLE, NULL));
  if (arm(loop) != 0) return 1;
  H_OK(riox_close(lst));
  return 0;
}

static int test(void) {
  riox_loop *loop, *peer;
  int rc;
  H_OK(h_loop(&loop, NULL));
  H_OK(h_loop(&peer, NULL));
  rc = udp_cases(loop);
  if (rc == 0) rc = tcp_abort(loop, peer);
  riox_loop_close(peer);
  riox_loop_close(loop);
  return rc;
}

int main(void) { return h_run_readiness("ready_close_armed", test); }
