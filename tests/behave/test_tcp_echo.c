/* TCP over IPv4 and IPv6 loopback: listen on port 0, connect, accept.
 *  - CONNECT reports status 0; ACCEPT carries the new socket and the peer,
 *    which equals the connector's local address; riox_sock_peer agrees on
 *    both ends.
 *  - 256 KiB go each way at once, in many sends, with two receives kept
 *    posted per side: the bytes arrive complete and in order. */
#include "harness.h"

#define TOTAL (256u * 1024u)
#define CHUNK 8192u
#define NCHUNK (TOTAL / CHUNK)
#define RDEPTH 2

typedef struct side {
  riox_sock *sock;
  uint32_t seed;      /* pattern of what this side sends */
  uint32_t received;  /* stream bytes received so far */
  uint32_t posted;    /* receive capacity posted and not yet completed */
  uint32_t sends_done;
  unsigned char send_seen[NCHUNK];
  char *rx;           /* TOTAL bytes */
} side_t;

static char rx_client[TOTAL], rx_server[TOTAL];

static int same_addr(const riox_addr *a, const riox_addr *b) {
  return a->family == b->family && a->port == b->port && memcmp(a->ip, b->ip, 16) == 0;
}

static int post_recv(riox_loop *loop, side_t *s) {
  char *buf;
  if (s->received + s->posted >= TOTAL) return 0;
  H_OK(riox_buf_get(loop, &buf));
  H_OK(riox_recv(s->sock, buf, CHUNK, s));
  s->posted += CHUNK;
  return 0;
}

/* Post the whole stream: chunk i carries pattern seed + i. */
static int send_all(riox_loop *loop, side_t *s) {
  uint32_t i;
  for (i = 0; i < NCHUNK; i++) {
    char *buf;
    H_OK(riox_buf_get(loop, &buf));
    h_fill(buf, CHUNK, s->seed + i);
    H_OK(riox_send(s->sock, buf, CHUNK, 0, (void *)(uintptr_t)(i + 1)));
  }
  return 0;
}

static int verify_stream(const side_t *s, uint32_t peer_seed) {
  uint32_t i;
  H_EQ(s->received, TOTAL);
  for (i = 0; i < NCHUNK; i++) H_EQ(h_verify(s->rx + i * CHUNK, CHUNK, peer_seed + i), 0);
  return 0;
}

static int transfer(riox_loop *loop, side_t *c, side_t *sv) {
  uint64_t until = h_now_ms() + 30000;
  int i;
  for (i = 0; i < RDEPTH; i++) {
    if (post_recv(loop, c) != 0 || post_recv(loop, sv) != 0) return 1;
  }
  if (send_all(loop, c) != 0 || send_all(loop, sv) != 0) return 1;
  while ((c->received < TOTAL || sv->received < TOTAL || c->sends_done < NCHUNK ||
          sv->sends_done < NCHUNK) &&
         h_now_ms() < until) {
    riox_event evs[16];
    int n = riox_wait(loop, evs, 16, 1000), k;
    H_CHECK(n >= 0);
    for (k = 0; k < n; k++) {
      const riox_event *ev = &evs[k];
      side_t *s = ev->sock == c->sock ? c : sv;
      H_CHECK(ev->sock == c->sock || ev->sock == sv->sock);
      H_EQ(ev->status, 0);
      if (ev->type == RIOX_EV_RECV) {
        H_CHECK(ev->ctx == s);
        H_CHECK(ev->len > 0 && ev->len <= CHUNK);
        H_CHECK(s->received + ev->len <= TOTAL);
        memcpy(s->rx + s->received, ev->data, ev->len);
        s->received += ev->len;
        s->posted -= CHUNK;
        H_OK(riox_buf_put(loop, ev->data));
        if (post_recv(loop, s) != 0) return 1;
      } else {
        H_EQ(ev->type, RIOX_EV_SEND);
        H_EQ(ev->len, CHUNK);
        /* One event per send (riox.h promises issue order, not event
         * order; the byte check below catches any reordering on the wire). */
        {
          uintptr_t seq = (uintptr_t)ev->ctx;
          H_CHECK(seq >= 1 && seq <= NCHUNK);
          H_EQ(s->send_seen[seq - 1], 0);
          s->send_seen[seq - 1] = 1;
        }
        s->sends_done++;
        H_OK(riox_buf_put(loop, ev->data));
      }
    }
  }
  if (verify_stream(c, sv->seed) != 0) return 1;
  return verify_stream(sv, c->seed);
}

static int run(riox_addr (*mk)(uint16_t)) {
  riox_loop_config cfg;
  riox_loop *loop;
  riox_sock *lis, *cli, *srv = NULL;
  riox_addr la = mk(0), lis_addr, cli_local, peer;
  side_t c, sv;
  riox_stats st;
  int connected = 0;
  uint64_t until;
  h_config(&cfg);
  cfg.buf_size = CHUNK;
  cfg.buf_count = 2 * NCHUNK + 2 * RDEPTH + 4;
  H_OK(h_loop(&loop, &cfg));
  H_OK(riox_tcp_listen(loop, &la, 0, 0, (void *)0x11, &lis));
  H_OK(riox_sock_local(lis, &lis_addr));
  H_CHECK(lis_addr.port != 0);
  H_OK(riox_tcp_connect(loop, &lis_addr, NULL, 0, (void *)0x22, &cli));
  until = h_now_ms() + 10000;
  while ((!connected || srv == NULL) && h_now_ms() < until) {
    riox_event ev;
    if (riox_wait(loop, &ev, 1, 1000) != 1) continue;
    if (ev.type == RIOX_EV_CONNECT) {
      H_CHECK(ev.sock == cli);
      H_EQ(ev.status, 0);
      H_CHECK(ev.ctx == (void *)0x22);
      connected = 1;
    } else {
      H_EQ(ev.type, RIOX_EV_ACCEPT);
      H_CHECK(ev.sock == lis);
      H_CHECK(ev.sock_ctx == (void *)0x11);
      H_EQ(ev.status, 0);
      H_CHECK(ev.accepted != NULL);
      srv = ev.accepted;
      peer = ev.addr;
    }
  }
  H_CHECK(connected && srv != NULL);
  H_CHECK(riox_sock_ctx(srv) == NULL);
  H_OK(riox_sock_local(cli, &cli_local));
  H_CHECK(same_addr(&peer, &cli_local));
  H_OK(riox_sock_peer(cli, &peer));
  H_CHECK(same_addr(&peer, &lis_addr));
  H_OK(riox_sock_peer(srv, &peer));
  H_CHECK(same_addr(&peer, &cli_local));
  H_ERR(riox_sock_peer(lis, &peer), RIOX_ENOTCONN);

  memset(&c, 0, sizeof c);
  memset(&sv, 0, sizeof sv);
  c.sock = cli;
  c.seed = 1000;
  c.rx = rx_client;
  sv.sock = srv;
  sv.seed = 2000;
  sv.rx = rx_server;
  if (transfer(loop, &c, &sv) != 0) return 1;

  riox_loop_stats(loop, &st);
  H_EQ(st.send_bytes, 2 * TOTAL);
  H_EQ(st.recv_bytes, 2 * TOTAL);
  H_EQ(st.accepts, 1);
  H_EQ(st.connects, 1);
  H_EQ(st.buf_in_use, 0);
  H_OK(riox_close(cli));
  H_OK(riox_close(srv));
  H_OK(riox_close(lis));
  H_EQ(h_collect(loop, RIOX_EV_CLOSE, 3, NULL, 5000), 3);
  riox_loop_close(loop);
  return 0;
}

static int test(void) {
  if (run(h_v4) != 0) return 1;
  return run(h_v6);
}

int main(void) { return h_run("tcp_echo", test); }
