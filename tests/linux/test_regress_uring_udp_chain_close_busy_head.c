/* Regression (found by tests/fuzz/fuzz_api on uring-basic): UDP receives
 * go to the kernel as linked chains there (RIOX_URING_NO_MULTISHOT=1,
 * src/uring/uring.c). io_uring issues a linked request only when the one
 * before it is done, and looks its descriptor up then. A chain whose head
 * completed inside the very submit that carried riox_close's cancel (its
 * datagram was there already) had its next receive still unissued: the
 * cancel found nothing to cancel, the descriptor was closed, and the next
 * receive was issued later -- on nothing, or on whatever socket got the
 * number next -- and waited there: the socket's RIOX_EV_CLOSE never came.
 * The same for riox_cancel: the next receive went on waiting on the open
 * socket, so the receives posted after the cancel never got a datagram.
 * Each round: a deferred datagram to itself, four receives, a second
 * datagram sent at once (that submit issues the chain, whose head takes
 * the first datagram), then close -- and a new socket takes the number --
 * or cancel; every receive must end and the socket close (or, after the
 * cancel, serve new receives). */
#include "harness.h"

static int send_self(riox_loop *loop, riox_sock *s, const riox_addr *at, uint32_t len, uint32_t flags) {
  char *buf;
  H_OK(riox_buf_get(loop, &buf));
  memset(buf, (int)len, len);
  H_OK(riox_sendto(s, buf, len, at, flags, NULL));
  return 0;
}

/* The sequence; the receives' events in log (their count returned). */
static int busy_head(riox_loop *loop, riox_sock **out, riox_addr *at) {
  riox_addr any = h_v4(0);
  int k;
  H_OK(riox_udp_open(loop, &any, NULL, 0, NULL, out));
  H_OK(riox_sock_local(*out, at));
  if (send_self(loop, *out, at, 59, RIOX_SEND_DEFER) != 0) return 1;
  for (k = 0; k < 4; k++) {
    char *buf;
    H_OK(riox_buf_get(loop, &buf));
    H_OK(riox_recv(*out, buf, riox_loop_buf_size(loop), (void *)(uintptr_t)(k + 1)));
  }
  return send_self(loop, *out, at, 1417, 0);
}

static int close_round(riox_loop *loop, int round) {
  riox_sock *s, *next;
  riox_addr at, any = h_v4(0);
  riox_event ev;
  int recvs = 0, closed = 0;
  if (busy_head(loop, &s, &at) != 0) return 1;
  H_OK(riox_close(s));
  H_OK(riox_udp_open(loop, &any, NULL, 0, NULL, &next)); /* takes the descriptor number */
  while (!closed) {
    if (riox_wait(loop, &ev, 1, 3000) != 1) {
      H_FAIL("round %d: no RIOX_EV_CLOSE after close (%d of 4 receives ended)", round, recvs);
      return 1;
    }
    if (ev.sock != s) continue;
    if (ev.type == RIOX_EV_RECV) {
      recvs++;
      H_CHECK(ev.status == 0 || ev.status == RIOX_ECANCELED);
      riox_buf_put(loop, ev.data);
    } else if (ev.type == RIOX_EV_CLOSE) {
      closed = 1;
    } else {
      H_EQ(ev.type, RIOX_EV_SEND);
      riox_buf_put(loop, ev.data);
    }
  }
  H_EQ(recvs, 4);
  H_OK(riox_close(next));
  H_EQ(h_wait_for(loop, RIOX_EV_CLOSE, next, &ev, NULL, 3000), 0);
  return 0;
}

static int cancel_round(riox_loop *loop, int round) {
  riox_sock *s;
  riox_addr at;
  riox_event ev;
  char *buf;
  int recvs = 0;
  if (busy_head(loop, &s, &at) != 0) return 1;
  H_OK(riox_cancel(s));
  while (recvs < 4) {
    if (riox_wait(loop, &ev, 1, 3000) != 1) {
      H_FAIL("round %d: only %d of 4 receives ended after riox_cancel", round, recvs);
      return 1;
    }
    if (ev.type == RIOX_EV_RECV) {
      recvs++;
      H_CHECK(ev.status == 0 || ev.status == RIOX_ECANCELED);
      riox_buf_put(loop, ev.data);
    } else if (ev.type == RIOX_EV_SEND) {
      riox_buf_put(loop, ev.data);
    }
  }
  /* The socket serves on: a new receive gets a datagram. */
  H_OK(riox_buf_get(loop, &buf));
  H_OK(riox_recv(s, buf, riox_loop_buf_size(loop), (void *)99));
  if (send_self(loop, s, &at, 77, 0) != 0) return 1;
  for (;;) {
    if (h_wait_for(loop, RIOX_EV_RECV, s, &ev, NULL, 3000) != 0) {
      H_FAIL("round %d: a receive posted after riox_cancel never got its datagram", round);
      return 1;
    }
    riox_buf_put(loop, ev.data);
    if (ev.ctx == (void *)99) break;
  }
  /* Whichever datagram is next: a cancel drops none the socket holds. */
  H_EQ(ev.status, 0);
  H_CHECK(ev.len == 77 || ev.len == 59 || ev.len == 1417);
  H_OK(riox_close(s));
  H_EQ(h_wait_for(loop, RIOX_EV_CLOSE, s, &ev, NULL, 3000), 0);
  return 0;
}

static int test(void) {
  riox_loop *loop;
  riox_stats st;
  int round;
  H_OK(h_loop(&loop, NULL));
  for (round = 0; round < 10; round++) {
    if (close_round(loop, round) != 0) return 1;
    if (cancel_round(loop, round) != 0) return 1;
  }
  h_forget(loop);
  riox_loop_stats(loop, &st);
  H_EQ(st.req_in_use, 0);
  riox_loop_close(loop);
  return 0;
}

int main(void) { return h_run("regress_uring_udp_chain_close_busy_head", test); }
