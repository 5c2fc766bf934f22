/* TCP half-close with riox_shutdown:
 *  - the client posts sends (one deferred) and at once riox_shutdown: the
 *    SHUTDOWN event (status 0) comes after every SEND event, and the server
 *    receives all the bytes, then RIOX_EOF;
 *  - the half-closed client still receives: the server answers, then shuts
 *    down too, and the client sees the answer, then RIOX_EOF;
 *  - after riox_shutdown, sends fail with RIOX_ESHUTDOWN and a second
 *    shutdown with RIOX_EALREADY, on both sides. */
#include "harness.h"

#define NSEND 3
#define SLEN 1000u
#define ALEN 500u

static h_log evlog;

/* A connected pair through a listener that is closed again. */
static int connect_pair(riox_loop *loop, riox_sock **cli, riox_sock **srv) {
  riox_addr la = h_v4(0), addr;
  riox_sock *lis;
  riox_event ev;
  int connected = 0;
  uint64_t until = h_now_ms() + 10000;
  *srv = NULL;
  H_OK(riox_tcp_listen(loop, &la, 0, 0, NULL, &lis));
  H_OK(riox_sock_local(lis, &addr));
  H_OK(riox_tcp_connect(loop, &addr, NULL, 0, NULL, cli));
  while ((!connected || *srv == NULL) && h_now_ms() < until) {
    if (riox_wait(loop, &ev, 1, 1000) != 1) continue;
    H_EQ(ev.status, 0);
    if (ev.type == RIOX_EV_ACCEPT) *srv = ev.accepted;
    if (ev.type == RIOX_EV_CONNECT) connected = 1;
  }
  H_CHECK(connected && *srv != NULL);
  H_OK(riox_close(lis));
  H_EQ(h_wait_for(loop, RIOX_EV_CLOSE, lis, &ev, NULL, 5000), 0);
  return 0;
}

/* Receive on `s` until RIOX_EOF; the bytes must be `len` of pattern `seed`. */
static int recv_until_eof(riox_loop *loop, riox_sock *s, uint32_t len, uint32_t seed) {
  static char got[NSEND * SLEN];
  uint32_t have = 0;
  char *buf;
  riox_event ev;
  for (;;) {
    H_OK(riox_buf_get(loop, &buf));
    H_OK(riox_recv(s, buf, riox_loop_buf_size(loop), (void *)0x77));
    H_EQ(h_wait_for(loop, RIOX_EV_RECV, s, &ev, &evlog, 10000), 0);
    H_CHECK(ev.data == buf);
    H_OK(riox_buf_put(loop, buf));
    if (ev.status == RIOX_EOF) break;
    H_EQ(ev.status, 0);
    H_CHECK(ev.len > 0 && have + ev.len <= len);
    memcpy(got + have, ev.data, ev.len);
    have += ev.len;
  }
  H_EQ(ev.len, 0);
  H_EQ(have, len);
  /* The sender used one pattern per send; rebuild the expectation. */
  {
    static char want[NSEND * SLEN];
    uint32_t off;
    for (off = 0; off < len; off += SLEN)
      h_fill(want + off, len - off < SLEN ? len - off : SLEN, seed + off / SLEN);
    H_EQ(memcmp(got, want, len), 0);
  }
  return 0;
}

/* Make sure the SHUTDOWN event of s is in the evlog (waiting for it if needed). */
static int ensure_shutdown(riox_loop *loop, riox_sock *s) {
  riox_event ev;
  int i;
  for (i = 0; i < evlog.n; i++)
    if (evlog.ev[i].type == RIOX_EV_SHUTDOWN && evlog.ev[i].sock == s) return 0;
  H_EQ(h_wait_for(loop, RIOX_EV_SHUTDOWN, s, &ev, &evlog, 5000), 0);
  evlog.ev[evlog.n++] = ev;
  return 0;
}

/* Check the sender's evlog: NSEND sends, all before the SHUTDOWN. */
static int check_send_order(riox_sock *s, int nsend) {
  int i, sends = 0, shut = -1;
  for (i = 0; i < evlog.n; i++) {
    const riox_event *ev = &evlog.ev[i];
    if (ev->sock != s) continue;
    if (ev->type == RIOX_EV_SEND) {
      H_EQ(ev->status, 0);
      H_CHECK(shut < 0); /* no SEND after the SHUTDOWN */
      sends++;
    } else if (ev->type == RIOX_EV_SHUTDOWN) {
      H_EQ(ev->status, 0);
      H_CHECK(ev->ctx == (void *)0x5d);
      H_CHECK(shut < 0);
      shut = i;
    }
  }
  H_EQ(sends, nsend);
  H_CHECK(shut >= 0);
  return 0;
}

static int test(void) {
  riox_loop *loop;
  riox_sock *cli, *srv;
  char *bufs[NSEND], *extra;
  int i;
  H_OK(h_loop(&loop, NULL));
  if (connect_pair(loop, &cli, &srv) != 0) return 1;

  /* Client: sends (the last one deferred), then shutdown right away. */
  for (i = 0; i < NSEND; i++) {
    H_OK(riox_buf_get(loop, &bufs[i]));
    h_fill(bufs[i], SLEN, 10 + (uint32_t)i);
    H_OK(riox_send(cli, bufs[i], SLEN, i == NSEND - 1 ? RIOX_SEND_DEFER : 0, NULL));
  }
  H_OK(riox_shutdown(cli, (void *)0x5d));
  H_OK(riox_buf_get(loop, &extra));
  H_ERR(riox_send(cli, extra, 10, 0, NULL), RIOX_ESHUTDOWN);
  H_ERR(riox_shutdown(cli, NULL), RIOX_EALREADY);

  evlog.n = 0;
  if (recv_until_eof(loop, srv, NSEND * SLEN, 10) != 0) return 1;
  if (ensure_shutdown(loop, cli) != 0) return 1;
  if (check_send_order(cli, NSEND) != 0) return 1;
  for (i = 0; i < NSEND; i++) H_OK(riox_buf_put(loop, bufs[i]));

  /* Server answers the half-closed client, then closes its side. */
  h_fill(extra, ALEN, 50);
  H_OK(riox_send(srv, extra, ALEN, 0, NULL));
  H_OK(riox_shutdown(srv, (void *)0x5d));
  evlog.n = 0;
  if (recv_until_eof(loop, cli, ALEN, 50) != 0) return 1;
  if (ensure_shutdown(loop, srv) != 0) return 1;
  if (check_send_order(srv, 1) != 0) return 1;
  H_OK(riox_buf_put(loop, extra));
  H_OK(riox_buf_get(loop, &extra));
  H_ERR(riox_send(srv, extra, 10, 0, NULL), RIOX_ESHUTDOWN);
  H_ERR(riox_shutdown(srv, NULL), RIOX_EALREADY);
  H_OK(riox_buf_put(loop, extra));

  H_OK(riox_close(cli));
  H_OK(riox_close(srv));
  H_EQ(h_collect(loop, RIOX_EV_CLOSE, 2, NULL, 5000), 2);
  riox_loop_close(loop);
  return 0;
}

int main(void) { return h_run("tcp_half_close", test); }
