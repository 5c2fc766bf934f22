/* A TCP peer resets the connection mid-stream (riox_abort: SO_LINGER 0, RST).
 *
 * Receiving side: a stream is flowing (the first chunk arrived, the next
 * receive is posted) when the peer aborts. That receive completes with
 * RIOX_ECONNRESET -- not RIOX_EOF: a reset is not an orderly end -- and the
 * failure is an event status, never the return value of a post (riox.h,
 * "Model"; design.md: "a send on a reset connection ... is delivered as the
 * event's status"). A send and a receive posted after the reset are accepted
 * and each yields exactly one event with a failure status. The socket then
 * closes with exactly one RIOX_EV_CLOSE.
 *
 * Sending side: the reset arrives while sends are queued behind a peer that
 * does not read. Every send and the posted receive still yield exactly one
 * event each; the receive fails with RIOX_ECONNRESET. The aborting side gets
 * its one CLOSE event and nothing else. */
#include "harness.h"

#define CHUNK 2000u
#define NSEND 32

static h_log evlog;

/* Events of `s` in evlog, in order. */
static int events_of(riox_sock *s, riox_event *out, int max) {
  int i, n = 0;
  for (i = 0; i < evlog.n && n < max; i++)
    if (evlog.ev[i].sock == s) out[n++] = evlog.ev[i];
  return n;
}

static int in_log(uint32_t type, riox_sock *s) {
  int i;
  for (i = 0; i < evlog.n; i++)
    if (evlog.ev[i].type == type && evlog.ev[i].sock == s) return 1;
  return 0;
}

/* The aborting side: exactly one event, its CLOSE. */
static int check_aborter(riox_sock *s) {
  riox_event evs[8];
  int n = events_of(s, evs, 8);
  H_EQ(n, 1);
  H_EQ(evs[0].type, RIOX_EV_CLOSE);
  return 0;
}

static int receiver_sees_reset(void) {
  riox_loop *loop;
  riox_sock *cli, *srv;
  riox_event ev, evs[8];
  char *buf, *rbuf;
  int n, i, recv2 = 0, send2 = 0;
  H_OK(h_loop(&loop, NULL));
  if (h_tcp_pair(loop, loop, 0, &cli, &srv) != 0) return 1;

  /* Mid-stream: a chunk flows client -> server and is received. */
  H_OK(riox_buf_get(loop, &rbuf));
  H_OK(riox_recv(srv, rbuf, CHUNK, (void *)1));
  H_OK(riox_buf_get(loop, &buf));
  h_fill(buf, CHUNK, 5);
  H_OK(riox_send(cli, buf, CHUNK, 0, (void *)2));
  {
    uint32_t have = 0;
    while (have < CHUNK) {
      H_EQ(h_wait_for(loop, RIOX_EV_RECV, srv, &ev, NULL, 5000), 0);
      H_EQ(ev.status, 0);
      H_CHECK(ev.len > 0 && have + ev.len <= CHUNK);
      H_EQ(memcmp(ev.data, buf + have, ev.len), 0);
      have += ev.len;
      if (have < CHUNK) H_OK(riox_recv(srv, rbuf, CHUNK, (void *)1));
    }
  }
  H_EQ(h_wait_for(loop, RIOX_EV_SEND, cli, &ev, NULL, 5000), 0);
  H_EQ(ev.status, 0);

  /* The next receive is waiting when the client aborts. */
  H_OK(riox_recv(srv, rbuf, CHUNK, (void *)3));
  H_OK(riox_abort(cli));
  /* Other events stay kept for the h_collect below, which logs them. */
  evlog.n = 0;
  H_EQ(h_wait_for(loop, RIOX_EV_RECV, srv, &ev, NULL, 5000), 0);
  H_ERR(ev.status, RIOX_ECONNRESET);
  H_EQ(ev.len, 0);
  H_CHECK(ev.ctx == (void *)3);
  H_CHECK(ev.data == rbuf);

  /* After the reset, posts are still accepted; the failure is the event's. */
  H_OK(riox_send(srv, buf, CHUNK, 0, (void *)4));
  H_OK(riox_recv(srv, rbuf, CHUNK, (void *)5));
  H_OK(riox_close(srv));
  h_collect(loop, 0, 1 << 30, &evlog, 500);
  n = events_of(srv, evs, 8);
  for (i = 0; i < n; i++) {
    const riox_event *e = &evs[i];
    if (e->type == RIOX_EV_SEND) {
      H_CHECK(e->ctx == (void *)4);
      H_CHECK(e->status < 0 && e->status != RIOX_EOF);
      H_CHECK(e->data == buf);
      send2++;
    } else if (e->type == RIOX_EV_RECV) {
      H_CHECK(e->ctx == (void *)5);
      H_CHECK(e->status != 0);
      H_EQ(e->len, 0);
      recv2++;
    } else {
      H_EQ(e->type, RIOX_EV_CLOSE);
      H_EQ(i, n - 1); /* the last event of the socket */
    }
  }
  H_EQ(send2, 1);
  H_EQ(recv2, 1);
  H_CHECK(n == 3 && evs[2].type == RIOX_EV_CLOSE);
  if (check_aborter(cli) != 0) return 1;
  H_OK(riox_buf_put(loop, buf));
  H_OK(riox_buf_put(loop, rbuf));
  riox_loop_close(loop);
  return 0;
}

static int sender_sees_reset(void) {
  riox_loop_config cfg;
  riox_loop *loop;
  riox_sock *cli, *srv;
  riox_event evs[NSEND + 8];
  char *rbuf;
  int n, i, sends = 0, recvs = 0, closes = 0, seen[NSEND];
  h_config(&cfg);
  cfg.buf_size = 64 * 1024;
  cfg.buf_count = NSEND + 4;
  H_OK(h_loop(&loop, &cfg));
  if (h_tcp_pair(loop, loop, 0, &cli, &srv) != 0) return 1;
  memset(seen, 0, sizeof seen);

  /* The client streams 2 MiB at a server that does not read. */
  H_OK(riox_buf_get(loop, &rbuf));
  H_OK(riox_recv(cli, rbuf, CHUNK, (void *)0x77));
  for (i = 0; i < NSEND; i++) {
    char *buf;
    H_OK(riox_buf_get(loop, &buf));
    h_fill(buf, cfg.buf_size, (uint32_t)i);
    H_OK(riox_send(cli, buf, cfg.buf_size, 0, (void *)(uintptr_t)(100 + i)));
  }
  /* Let part of it flow, then the server resets. */
  evlog.n = 0;
  h_collect(loop, 0, 1 << 30, &evlog, 100);
  H_OK(riox_abort(srv));
  /* The server's CLOSE, and the client must learn of the reset through its
   * pending receive. */
  {
    uint64_t until = h_now_ms() + 10000;
    while ((!in_log(RIOX_EV_CLOSE, srv) || !in_log(RIOX_EV_RECV, cli)) && h_now_ms() < until)
      h_collect(loop, 0, 1 << 30, &evlog, 50);
    H_CHECK(in_log(RIOX_EV_CLOSE, srv));
    H_CHECK(in_log(RIOX_EV_RECV, cli));
  }
  H_OK(riox_close(cli));
  h_collect(loop, 0, 1 << 30, &evlog, 500);

  n = events_of(cli, evs, NSEND + 8);
  for (i = 0; i < n; i++) {
    const riox_event *e = &evs[i];
    if (e->type == RIOX_EV_SEND) {
      int k = (int)((uintptr_t)e->ctx - 100);
      H_CHECK(k >= 0 && k < NSEND);
      H_EQ(seen[k], 0);
      seen[k] = 1;
      /* Sent before the reset, or failed because of it (or cancelled by
       * the close that followed). */
      if (e->status != 0)
        H_CHECK(e->status == RIOX_ECONNRESET || e->status == RIOX_ECONNABORTED ||
                e->status == RIOX_ECANCELED);
      H_OK(riox_buf_put(loop, e->data));
      sends++;
    } else if (e->type == RIOX_EV_RECV) {
      H_CHECK(e->ctx == (void *)0x77);
      H_ERR(e->status, RIOX_ECONNRESET);
      H_EQ(e->len, 0);
      recvs++;
    } else {
      H_EQ(e->type, RIOX_EV_CLOSE);
      H_EQ(i, n - 1);
      closes++;
    }
  }
  H_EQ(sends, NSEND);
  H_EQ(recvs, 1);
  H_EQ(closes, 1);
  if (check_aborter(srv) != 0) return 1;
  H_OK(riox_buf_put(loop, rbuf));
  {
    riox_stats st;
    riox_loop_stats(loop, &st);
    H_EQ(st.buf_in_use, 0);
    H_EQ(st.req_in_use, 0);
  }
  riox_loop_close(loop);
  return 0;
}

static int test(void) {
  if (receiver_sees_reset() != 0) return 1;
  return sender_sees_reset();
}

int main(void) { return h_run("tcp_peer_reset", test); }
