/* Readiness on TCP: a RIOX_SOCK_READINESS listener reports READABLE for a
 * pending connection and riox_try_accept takes it; a readiness connect is
 * writable once connected and not before; a refused connect reports
 * WRITABLE|HANGUP|ERROR (as Linux does) and riox_sock_error names it; a
 * peer FIN reports READABLE|RDHUP and reads end in RIOX_EOF; a peer reset
 * reports HANGUP|ERROR; a one-shot watch fires once until re-armed; a
 * modify while a poll is pending takes effect; a socket closed locally
 * drops out of the set without a stale event. */
#include "harness.h"

/* Wait for a READY event of sock; fail if none within ms. */
static int ready_of(riox_loop *loop, riox_sock *sock, uint32_t *ready, int ms) {
  riox_event ev;
  if (h_wait_for(loop, RIOX_EV_READY, sock, &ev, NULL, ms) != 0) return -1;
  *ready = ev.ready;
  return ev.status;
}

/* No READY event of sock within ms. */
static int quiet(riox_loop *loop, riox_sock *sock, int ms) {
  riox_event ev;
  if (h_wait_for(loop, RIOX_EV_READY, sock, &ev, NULL, ms) == 0) {
    H_FAIL("unexpected READY 0x%x (status %d) on %p", ev.ready, ev.status, (void *)sock);
    return 1;
  }
  return 0;
}

static int connect_accept(riox_loop *loop, riox_sock *lst, const riox_addr *at, riox_sock **cli,
                          riox_sock **srv) {
  uint32_t ready = 0;
  riox_addr peer, local;
  riox_sock *none;
  int i;
  H_OK(riox_tcp_connect(loop, at, NULL, RIOX_SOCK_READINESS, NULL, cli));
  H_OK(riox_watch(*cli, RIOX_WRITABLE, (void *)1));
  H_EQ(ready_of(loop, *cli, &ready, 5000), 0);
  H_EQ(ready, RIOX_WRITABLE);
  H_EQ(riox_sock_error(*cli), 0);
  /* The listener has the connection queued: READABLE, then accept. */
  H_OK(riox_watch_modify(lst, RIOX_READABLE, (void *)2));
  H_EQ(ready_of(loop, lst, &ready, 5000), 0);
  H_EQ(ready & RIOX_READABLE, RIOX_READABLE);
  for (i = 0; i < 50; i++) {
    int rc = riox_try_accept(lst, srv, &peer);
    if (rc == 0) break;
    H_EQ(rc, RIOX_EAGAIN);
    h_sleep_ms(10);
  }
  H_CHECK(*srv != NULL);
  H_OK(riox_sock_local(*cli, &local));
  H_EQ(peer.port, local.port);
  H_ERR(riox_try_accept(lst, &none, NULL), RIOX_EAGAIN);
  H_OK(riox_unwatch(*cli));
  return 0;
}

static int test(void) {
  riox_loop *loop;
  riox_sock *lst, *cli, *srv, *bad, *lst2;
  riox_addr la = h_v4(0), at, refused;
  riox_event ev;
  uint32_t ready = 0;
  char buf[256], out[200];
  int i, n, total;
  H_OK(h_loop(&loop, NULL));
  H_OK(riox_tcp_listen(loop, &la, 16, RIOX_SOCK_READINESS, NULL, &lst));
  H_OK(riox_sock_local(lst, &at));
  H_ERR(riox_try_accept(lst, &srv, NULL), RIOX_EAGAIN);
  H_OK(riox_watch(lst, RIOX_READABLE, (void *)2));
  if (quiet(loop, lst, 200)) return 1; /* nobody connected yet */

  if (connect_accept(loop, lst, &at, &cli, &srv)) return 1;

  /* Data both ways; readable only once data is there. */
  H_OK(riox_watch(srv, RIOX_READABLE | RIOX_RDHUP, (void *)3));
  if (quiet(loop, srv, 200)) return 1;
  for (i = 0; i < (int)sizeof out; i++) out[i] = (char)(i + 1);
  H_EQ(riox_try_send(cli, out, sizeof out, NULL), (int)sizeof out);
  H_EQ(ready_of(loop, srv, &ready, 5000), 0);
  H_EQ(ready, RIOX_READABLE);
  total = 0;
  while (total < (int)sizeof out) {
    n = riox_try_recv(srv, buf + total, (uint32_t)sizeof buf - (uint32_t)total, NULL);
    if (n == RIOX_EAGAIN) {
      H_EQ(ready_of(loop, srv, &ready, 5000), 0);
      continue;
    }
    H_CHECK(n > 0);
    total += n;
  }
  H_EQ(memcmp(buf, out, sizeof out), 0);
  H_ERR(riox_try_recv(srv, buf, sizeof buf, NULL), RIOX_EAGAIN);

  /* One-shot: fires once, stays quiet although the condition holds, fires
   * again after re-arming. */
  H_OK(riox_watch_modify(srv, RIOX_WRITABLE | RIOX_ONESHOT, (void *)4));
  H_EQ(ready_of(loop, srv, &ready, 5000), 0);
  H_EQ(ready, RIOX_WRITABLE);
  if (quiet(loop, srv, 200)) return 1;
  H_OK(riox_watch_modify(srv, RIOX_WRITABLE | RIOX_ONESHOT, (void *)5));
  H_EQ(h_wait_for(loop, RIOX_EV_READY, srv, &ev, NULL, 5000), 0);
  H_CHECK(ev.ctx == (void *)5);
  H_EQ(ev.ready, RIOX_WRITABLE);

  /* Modify while a poll is pending: READABLE is pending (no data), switch
   * to WRITABLE, which holds at once. */
  H_OK(riox_watch_modify(srv, RIOX_READABLE | RIOX_RDHUP, (void *)6));
  if (quiet(loop, srv, 100)) return 1;
  H_OK(riox_watch_modify(srv, RIOX_WRITABLE, (void *)7));
  H_EQ(h_wait_for(loop, RIOX_EV_READY, srv, &ev, NULL, 5000), 0);
  H_CHECK(ev.ctx == (void *)7);
  H_EQ(ev.ready, RIOX_WRITABLE);

  /* Peer FIN: READABLE|RDHUP, reads drain to RIOX_EOF. */
  H_OK(riox_watch_modify(srv, RIOX_READABLE | RIOX_RDHUP, (void *)8));
  if (quiet(loop, srv, 100)) return 1;
  H_EQ(riox_try_send(cli, out, 10, NULL), 10);
  H_OK(riox_shutdown(cli, NULL));
  H_EQ(h_wait_for(loop, RIOX_EV_SHUTDOWN, cli, &ev, NULL, 5000), 0);
  H_EQ(ev.status, 0);
  for (i = 0; i < 100; i++) {
    H_EQ(ready_of(loop, srv, &ready, 5000), 0);
    if (ready & RIOX_RDHUP) break;
    H_EQ(riox_try_recv(srv, buf, sizeof buf, NULL), 10); /* data came first */
  }
  H_EQ(ready, RIOX_READABLE | RIOX_RDHUP);
  n = riox_try_recv(srv, buf, sizeof buf, NULL);
  if (n == 10) n = riox_try_recv(srv, buf, sizeof buf, NULL);
  H_ERR(n, RIOX_EOF);

  /* Peer reset: HANGUP|ERROR, whatever the interest. */
  H_OK(riox_watch_modify(srv, RIOX_WRITABLE | RIOX_ONESHOT, NULL));
  H_EQ(ready_of(loop, srv, &ready, 5000), 0); /* one-shot writable, then quiet */
  H_OK(riox_abort(cli));
  H_EQ(h_wait_for(loop, RIOX_EV_CLOSE, cli, &ev, NULL, 5000), 0);
  H_OK(riox_watch_modify(srv, RIOX_RDHUP, (void *)9));
  for (i = 0; i < 100; i++) {
    H_EQ(ready_of(loop, srv, &ready, 5000), 0);
    if (ready & RIOX_HANGUP) break;
  }
  H_EQ(ready & (RIOX_HANGUP | RIOX_ERROR), RIOX_HANGUP | RIOX_ERROR);

  /* Closed locally: drops out, no stale READY, then its close event. */
  H_OK(riox_watch_modify(srv, RIOX_WRITABLE | RIOX_READABLE, NULL));
  h_forget(loop);
  H_OK(riox_close(srv));
  {
    static h_log others;
    others.n = 0;
    H_EQ(h_wait_for(loop, RIOX_EV_CLOSE, srv, &ev, &others, 5000), 0);
    for (i = 0; i < others.n; i++)
      if (others.ev[i].sock == srv) H_FAIL("event type %u for a closed socket", others.ev[i].type);
    if (quiet(loop, srv, 100)) return 1;
  }

  /* Connect refused: a port that was listening and is now closed. */
  H_OK(riox_tcp_listen(loop, &la, 1, RIOX_SOCK_READINESS, NULL, &lst2));
  H_OK(riox_sock_local(lst2, &refused));
  H_OK(riox_close(lst2));
  H_EQ(h_wait_for(loop, RIOX_EV_CLOSE, lst2, &ev, NULL, 5000), 0);
  n = riox_tcp_connect(loop, &refused, NULL, RIOX_SOCK_READINESS, NULL, &bad);
  if (n == 0) {
    H_OK(riox_watch(bad, RIOX_WRITABLE, (void *)10));
    H_EQ(ready_of(loop, bad, &ready, 10000), 0);
    H_EQ(ready, RIOX_WRITABLE | RIOX_HANGUP | RIOX_ERROR);
    H_ERR(riox_sock_error(bad), RIOX_ECONNREFUSED);
    H_ERR(riox_try_send(bad, out, 1, NULL), RIOX_ENOTCONN);
    H_OK(riox_close(bad));
    H_EQ(h_wait_for(loop, RIOX_EV_CLOSE, bad, &ev, NULL, 5000), 0);
  } else {
    /* Refused before connect() returned: reported by riox_tcp_connect. */
    H_ERR(n, RIOX_ECONNREFUSED);
  }

  /* An AcceptEx listener is a completion socket. */
  H_OK(riox_close(lst));
  H_EQ(h_wait_for(loop, RIOX_EV_CLOSE, lst, &ev, NULL, 5000), 0);
  H_OK(riox_tcp_listen(loop, &la, 16, 0, NULL, &lst));
  H_ERR(riox_watch(lst, RIOX_READABLE, NULL), RIOX_EBUSY);
  H_ERR(riox_try_accept(lst, &srv, NULL), RIOX_EBUSY);
  H_OK(riox_close(lst));
  H_EQ(h_wait_for(loop, RIOX_EV_CLOSE, lst, &ev, NULL, 5000), 0);
  riox_loop_close(loop);
  return 0;
}

int main(void) { return h_run_readiness("ready_tcp", test); }
