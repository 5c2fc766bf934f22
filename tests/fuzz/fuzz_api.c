/* Fuzz target: random sequences of riox calls on one loop of a Linux
 * backend, checked against a model of what riox.h promises.
 *
 * Input: byte 0 picks the backend -- epoll, uring, uring with
 * RIOX_URING_NO_MULTISHOT=1 (linked UDP receive chains, single-shot
 * accepts), uring with RIOX_URING_ZC_MIN=1 (every TCP send zero-copy) --
 * and byte 1 the pool's slot size; then each step takes an opcode byte and
 * up to three argument bytes (fz_next: 0 once the input is used up). The
 * steps: open a UDP socket (completion or readiness, PKTINFO or not), a
 * TCP connection pair through a listener, post receives many deep, sends
 * and sendtos (deferred or not), flush, wait, cancel, shutdown, close,
 * abort, watch / modify / unwatch and the non-blocking calls, timers and
 * their cancels, wakes, buffer misuse, calls that must fail; at the end
 * either every socket is closed and the loop drained, or the loop is
 * closed with everything in flight.
 *
 * The model checks, at every event and after every step:
 *   - one event per successful post, none for a failed call; events of a
 *     socket's receives, and of its sends and shutdown, in posting order;
 *     ev.data is the buffer that was posted, ev.len within it;
 *   - RIOX_EV_CLOSE exactly once per closed socket, after every event of
 *     its operations, and nothing of that socket after it;
 *   - pool accounting: riox_loop_stats' buf_in_use is what the application
 *     holds plus what its pending operations hold;
 *   - TCP: the bytes a connection receives are the prefix of what its peer
 *     sent (a pattern by stream offset), until a send of it failed;
 *   - UDP: each datagram arrives whole (or cut to the receive's capacity
 *     with RIOX_EMSGSIZE), from its sender's port, at most once;
 *   - readiness: READY only for an active watch, with its current ctx and
 *     conditions of its interest (plus HANGUP/ERROR), one report per
 *     arming for RIOX_ONESHOT;
 *   - timers and wakes: one event each, a cancelled timer's RIOX_ECANCELED;
 *   - after the drain nothing is in use, and riox_loop_close leaves no
 *     descriptor open (/proc/self/fd) and, under ASan, no memory. */
#define _GNU_SOURCE
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fuzz_check.h"
#include "riox.h"
#include "riox_test.h"

#define NSOCK 10
#define NOPS 2048
#define STEPS 160
#define DGRAM_MAGIC 0x52465a44u /* "DZFR" */
#define DGRAM_HDR 14u

enum { K_UDP = 1, K_UDP_READY, K_TCP, K_LISTEN };
enum { O_RECV = 1, O_SEND, O_SHUTDOWN, O_TIMER, O_WAKE, O_CONNECT };

typedef struct fz_op {
  uint8_t type, done, cancelled; /* cancelled: a timer riox_timer_cancel ended */
  int sock;                      /* index into fz.socks, -1 for timers and wakes */
  char *buf;
  uint32_t len;                  /* receive: capacity; send: bytes */
  uint64_t stream;               /* TCP send: stream offset of its first byte */
  uint64_t timer_id;
} fz_op;

/* One direction of a TCP connection: what the sender posted, and whether
 * its bytes still line up (no send of it failed, was cut or cancelled). */
typedef struct fz_stream {
  uint64_t sent;
  uint32_t seed;
  int broken;
} fz_stream;

typedef struct fz_sock {
  riox_sock *s;
  int kind, live, closing;
  riox_addr local;
  int peer;                  /* TCP: the other end's index, -1 when none */
  uint32_t rxq[NOPS / 4], rxh, rxn; /* pending receive op ids, posting order */
  uint32_t txq[NOPS / 4], txh, txn; /* pending send/shutdown op ids */
  fz_stream *tx, *rx;         /* TCP: the two directions */
  uint64_t rx_off;            /* TCP: bytes received */
  int rx_eof;
  int pktinfo;                /* UDP: RIOX_UDP_PKTINFO */
  int shut;                   /* TCP: riox_shutdown accepted */
  /* readiness */
  int watched, oneshot, fired;
  uint32_t interest;
  uintptr_t wctx;
} fz_sock;

static struct {
  const uint8_t *p;
  size_t n, i;
  riox_loop *loop;
  fz_sock socks[NSOCK];
  fz_op ops[NOPS];
  uint32_t nops;
  uint32_t held;  /* pool slots the application holds */
  uint32_t inflight; /* pool slots pending operations hold */
  uint32_t buf_size;
  char *mine[64]; /* the slots held, to use and give back */
  uint32_t nmine;
  uint32_t dseq;      /* datagrams sent */
  uint32_t seen[512]; /* seq of datagrams received */
  uint32_t nseen;
  fz_stream streams[NSOCK];
  uint32_t nstreams;
  uintptr_t wctx_next;
} fz;

static uint8_t fz_next(void) { return fz.i < fz.n ? fz.p[fz.i++] : 0; }

static int fz_count_fds(void) {
  DIR *d = opendir("/proc/self/fd");
  struct dirent *e;
  int n = 0;
  if (d == NULL) return -1;
  while ((e = readdir(d)) != NULL)
    if (e->d_name[0] != '.') n++;
  closedir(d);
  return n - 1; /* opendir's own */
}

static uint8_t fz_pat(uint64_t off, uint32_t seed) {
  return (uint8_t)((off * 131u + seed * 7u + (off >> 8)) & 0xffu);
}

/* ------------------------------------------------------------ buffers */

static char *fz_buf_take(void) {
  char *b;
  if (fz.nmine > 0) return fz.mine[--fz.nmine];
  if (riox_buf_get(fz.loop, &b) != 0) return NULL;
  fz.held++;
  return b;
}

static void fz_buf_keep(char *b) {
  if (fz.nmine < sizeof fz.mine / sizeof fz.mine[0]) {
    fz.mine[fz.nmine++] = b;
    return;
  }
  FZ_CHECK(riox_buf_put(fz.loop, b) == 0, "riox_buf_put of a held slot: %s", riox_last_detail());
  fz.held--;
}

static void fz_check_pool(void) {
  riox_stats st;
  riox_loop_stats(fz.loop, &st);
  FZ_CHECK(st.buf_in_use == (uint64_t)fz.held + fz.inflight,
           "pool: %llu slots in use, the application holds %u and its operations %u",
           (unsigned long long)st.buf_in_use, fz.held, fz.inflight);
}

/* ------------------------------------------------------------- model */

static uint32_t fz_op_new(int type, int sock, char *buf, uint32_t len) {
  fz_op *o;
  FZ_CHECK(fz.nops < NOPS, "op table full");
  o = &fz.ops[fz.nops];
  memset(o, 0, sizeof *o);
  o->type = (uint8_t)type;
  o->sock = sock;
  o->buf = buf;
  o->len = len;
  return fz.nops++;
}

static void *fz_ctx(uint32_t id) { return (void *)(uintptr_t)(id + 1); }

/* The op an event's ctx names; checks it is pending and of that type. */
static fz_op *fz_op_of(const riox_event *ev, int type) {
  uintptr_t c = (uintptr_t)ev->ctx;
  fz_op *o;
  FZ_CHECK(c >= 1 && c <= fz.nops, "event type %u with an unknown ctx %p", ev->type, ev->ctx);
  o = &fz.ops[c - 1];
  FZ_CHECK(o->type == type, "event type %u for an op of type %u", ev->type, o->type);
  FZ_CHECK(!o->done, "a second event (type %u) for one op", ev->type);
  o->done = 1;
  return o;
}

static int fz_sock_of(const riox_sock *s) {
  int i;
  for (i = 0; i < NSOCK; i++)
    if (fz.socks[i].live && fz.socks[i].s == s) return i;
  return -1;
}

static int fz_free_slot(void) {
  int i;
  for (i = 0; i < NSOCK; i++)
    if (!fz.socks[i].live) return i;
  return -1;
}

static void fz_sock_init(int i, riox_sock *s, int kind) {
  fz_sock *k = &fz.socks[i];
  memset(k, 0, sizeof *k);
  k->s = s;
  k->kind = kind;
  k->live = 1;
  k->peer = -1;
  (void)riox_sock_local(s, &k->local);
}

/* The op at the head of a socket's queue must be the one the event names. */
static void fz_pop(uint32_t *q, uint32_t *h, uint32_t *n, uint32_t id, const char *what, int si) {
  uint32_t cap = NOPS / 4;
  FZ_CHECK(*n > 0, "socket %d: %s event with nothing pending", si, what);
  FZ_CHECK(q[*h] == id, "socket %d: %s events out of posting order (op %u before op %u)", si, what,
           id, q[*h]);
  *h = (*h + 1) % cap;
  (*n)--;
}

static void fz_push(uint32_t *q, uint32_t h, uint32_t *n, uint32_t id) {
  uint32_t cap = NOPS / 4;
  FZ_CHECK(*n < cap, "socket queue full");
  q[(h + *n) % cap] = id;
  (*n)++;
}

static void fz_dgram_check(const riox_event *ev, fz_op *o, int si) {
  const unsigned char *d = (const unsigned char *)ev->data;
  uint32_t magic, seq, len, k;
  uint16_t port;
  (void)si;
  if (ev->len < DGRAM_HDR) return; /* an empty or cut datagram of ours, or a stranger's */
  memcpy(&magic, d, 4);
  memcpy(&port, d + 4, 2);
  memcpy(&seq, d + 6, 4);
  memcpy(&len, d + 10, 4);
  FZ_CHECK(magic == DGRAM_MAGIC, "a datagram that nobody sent");
  FZ_CHECK(ev->addr.port == port, "datagram from port %u says it came from %u", ev->addr.port, port);
  if (ev->status == 0) FZ_CHECK(ev->len == len, "datagram of %u bytes arrived as %u", len, ev->len);
  else FZ_CHECK(ev->len == o->len && len > o->len, "RIOX_EMSGSIZE: %u of %u bytes into %u", ev->len, len, o->len);
  for (k = DGRAM_HDR; k < ev->len; k++)
    FZ_CHECK(d[k] == fz_pat(k, seq ^ port), "datagram byte %u damaged", k);
  for (k = 0; k < fz.nseen; k++) FZ_CHECK(fz.seen[k] != seq, "datagram %u received twice", seq);
  if (fz.nseen < sizeof fz.seen / sizeof fz.seen[0]) fz.seen[fz.nseen++] = seq;
}

static void fz_recv_event(const riox_event *ev, int si) {
  fz_sock *k = &fz.socks[si];
  fz_op *o = fz_op_of(ev, O_RECV);
  uint32_t id = (uint32_t)(o - fz.ops);
  FZ_CHECK(o->sock == si, "receive of socket %d reported on socket %d", o->sock, si);
  fz_pop(k->rxq, &k->rxh, &k->rxn, id, "receive", si);
  FZ_CHECK(ev->data == o->buf, "receive handed back another buffer");
  FZ_CHECK(ev->len <= o->len, "receive of %u bytes into %u", ev->len, o->len);
  fz.inflight--;
  fz.held++;
  if (k->kind == K_TCP) {
    if (ev->status == 0 && ev->len > 0) {
      fz_stream *st = k->rx;
      uint32_t j;
      FZ_CHECK(!k->rx_eof, "TCP bytes after end of stream");
      if (st != NULL && !st->broken) {
        for (j = 0; j < ev->len; j++)
          FZ_CHECK((uint8_t)ev->data[j] == fz_pat(k->rx_off + j, st->seed),
                   "TCP stream byte %llu damaged", (unsigned long long)(k->rx_off + j));
        FZ_CHECK(k->rx_off + ev->len <= st->sent, "TCP: more bytes received than sent");
      }
      k->rx_off += ev->len;
    } else if (ev->status == RIOX_EOF) {
      FZ_CHECK(ev->len == 0, "EOF with %u bytes", ev->len);
      k->rx_eof = 1;
    } else {
      FZ_CHECK(ev->status < 0, "TCP receive: status 0 with 0 bytes");
    }
  } else if (ev->status == 0 || ev->status == RIOX_EMSGSIZE) {
    fz_dgram_check(ev, o, si);
    if (k->pktinfo)
      FZ_CHECK(ev->local.family == RIOX_AF_INET && ev->local.port == k->local.port &&
                   ev->local.ip[0] == 127,
               "PKTINFO receive: local family %u port %u, the socket's port %u", ev->local.family,
               ev->local.port, k->local.port);
  }
  fz_buf_keep(ev->data);
}

static void fz_send_event(const riox_event *ev, int si, int type) {
  fz_sock *k = &fz.socks[si];
  fz_op *o = fz_op_of(ev, type);
  uint32_t id = (uint32_t)(o - fz.ops);
  FZ_CHECK(o->sock == si, "send of socket %d reported on socket %d", o->sock, si);
  fz_pop(k->txq, &k->txh, &k->txn, id, type == O_SEND ? "send" : "shutdown", si);
  if (type == O_SHUTDOWN) return;
  FZ_CHECK(ev->data == o->buf, "send handed back another buffer");
  FZ_CHECK(ev->len <= o->len, "send of %u bytes reports %u", o->len, ev->len);
  if (ev->status == 0) FZ_CHECK(ev->len == o->len, "a send of %u bytes succeeded with %u", o->len, ev->len);
  if (ev->status != 0 && k->tx != NULL) k->tx->broken = 1;
  fz.inflight--;
  fz.held++;
  fz_buf_keep(ev->data);
}

static void fz_ready_event(const riox_event *ev, int si) {
  fz_sock *k = &fz.socks[si];
  FZ_CHECK(k->watched, "READY for socket %d, which is not watched", si);
  FZ_CHECK(!k->closing, "READY for a closing socket");
  FZ_CHECK((uintptr_t)ev->ctx == k->wctx, "READY with ctx %p, the watch has %p", ev->ctx, (void *)k->wctx);
  FZ_CHECK(ev->ready != 0, "READY with no condition");
  FZ_CHECK((ev->ready & ~(k->interest | RIOX_HANGUP | RIOX_ERROR)) == 0,
           "READY 0x%x outside the interest 0x%x", ev->ready, k->interest);
  if (k->oneshot) FZ_CHECK(!k->fired, "a second READY for a one-shot watch");
  k->fired = 1;
}

static void fz_close_event(int si) {
  fz_sock *k = &fz.socks[si];
  FZ_CHECK(k->closing, "CLOSE for socket %d, which was not closed", si);
  FZ_CHECK(k->rxn == 0 && k->txn == 0, "CLOSE of socket %d before %u receives and %u sends ended", si,
           k->rxn, k->txn);
  if (k->peer >= 0) fz.socks[k->peer].peer = -1;
  k->live = 0;
}

static int fz_trace; /* FZ_TRACE=1: each step and event on stderr (triage) */

static void fz_event(const riox_event *ev) {
  int si;
  if (fz_trace)
    fprintf(stderr, "  event type %u sock %d status %d len %u ctx %p ready 0x%x\n", ev->type,
            fz_sock_of(ev->sock), ev->status, ev->len, ev->ctx, ev->ready);
  FZ_CHECK(ev->status <= 0 && ev->status >= RIOX_EIO, "status %d is no RIOX_E* code", ev->status);
  switch (ev->type) {
    case RIOX_EV_TIMER: {
      fz_op *o = fz_op_of(ev, O_TIMER);
      FZ_CHECK(ev->timer_id == o->timer_id, "timer event with another id");
      FZ_CHECK(ev->status == (o->cancelled ? RIOX_ECANCELED : 0), "timer status %d (cancelled %d)",
               ev->status, o->cancelled);
      return;
    }
    case RIOX_EV_WAKE:
      (void)fz_op_of(ev, O_WAKE);
      return;
    default:
      break;
  }
  si = fz_sock_of(ev->sock);
  FZ_CHECK(si >= 0, "event type %u for a socket the model does not know (or after its CLOSE)", ev->type);
  switch (ev->type) {
    case RIOX_EV_RECV: fz_recv_event(ev, si); break;
    case RIOX_EV_SEND: fz_send_event(ev, si, O_SEND); break;
    case RIOX_EV_SHUTDOWN: fz_send_event(ev, si, O_SHUTDOWN); break;
    case RIOX_EV_READY: fz_ready_event(ev, si); break;
    case RIOX_EV_CLOSE: fz_close_event(si); break;
    case RIOX_EV_CONNECT: {
      fz_op *o = fz_op_of(ev, O_CONNECT);
      FZ_CHECK(o->sock == si, "CONNECT on another socket");
      break;
    }
    case RIOX_EV_ACCEPT: {
      int j = fz_free_slot();
      FZ_CHECK(fz.socks[si].kind == K_LISTEN, "ACCEPT on a socket that is no listener");
      if (j < 0 || fz.socks[si].closing) {
        (void)riox_close(ev->accepted); /* CLOSE comes for an unknown socket: tracked below */
        if (j >= 0) {
          fz_sock_init(j, ev->accepted, K_TCP);
          fz.socks[j].closing = 1;
        }
        FZ_CHECK(j >= 0, "no slot for an accepted socket");
        break;
      }
      fz_sock_init(j, ev->accepted, K_TCP);
      fz.socks[j].peer = -2; /* paired by fz_open_tcp */
      break;
    }
    case RIOX_EV_ERROR:
      break; /* a listener's report: allowed */
    default:
      FZ_CHECK(0, "event type %u", ev->type);
  }
}

static void fz_wait(int max, int timeout_ms) {
  riox_event evs[16];
  int n, i;
  if (max < 1) max = 1;
  if (max > 16) max = 16;
  n = riox_wait(fz.loop, evs, max, timeout_ms);
  FZ_CHECK(n >= 0 && n <= max, "riox_wait: %d (%s)", n, riox_last_detail());
  for (i = 0; i < n; i++) fz_event(&evs[i]);
}

/* ------------------------------------------------------------ opening */

static void fz_open_udp(uint8_t a) {
  int i = fz_free_slot(), rc;
  riox_addr local;
  riox_sock *s;
  uint32_t flags = 0;
  if (i < 0) return;
  (void)riox_addr_parse("127.0.0.1", 0, &local);
  if (a & 1) flags |= RIOX_SOCK_READINESS;
  else if (a & 2) flags |= RIOX_UDP_PKTINFO;
  rc = riox_udp_open(fz.loop, &local, NULL, flags, NULL, &s);
  FZ_CHECK(rc == 0, "riox_udp_open: %s", riox_last_detail());
  fz_sock_init(i, s, (a & 1) ? K_UDP_READY : K_UDP);
  fz.socks[i].pktinfo = (flags & RIOX_UDP_PKTINFO) != 0;
}

/* A connection through a listener that is closed again: two sockets. */
static void fz_open_tcp(void) {
  int li = fz_free_slot(), ci, ai = -1, rc, k;
  riox_addr local, at;
  riox_sock *l, *c;
  uint32_t cid;
  struct timespec t0, t1;
  for (k = 0, rc = 0; k < NSOCK; k++) rc += !fz.socks[k].live;
  if (rc < 3 || fz.nstreams + 2 > NSOCK) return; /* the listener, the two ends */
  (void)riox_addr_parse("127.0.0.1", 0, &local);
  rc = riox_tcp_listen(fz.loop, &local, 8, 0, NULL, &l);
  FZ_CHECK(rc == 0, "riox_tcp_listen: %s", riox_last_detail());
  fz_sock_init(li, l, K_LISTEN);
  ci = fz_free_slot();
  if (ci < 0) {
    FZ_CHECK(riox_close(l) == 0, "close listener");
    fz.socks[li].closing = 1;
    return;
  }
  at = fz.socks[li].local;
  cid = fz_op_new(O_CONNECT, ci, NULL, 0);
  rc = riox_tcp_connect(fz.loop, &at, NULL, 0, fz_ctx(cid), &c);
  FZ_CHECK(rc == 0, "riox_tcp_connect: %s", riox_last_detail());
  fz_sock_init(ci, c, K_TCP);
  FZ_CHECK(fz.nstreams + 2 <= NSOCK, "streams");
  fz.socks[ci].tx = &fz.streams[fz.nstreams++];
  fz.socks[ci].rx = &fz.streams[fz.nstreams++];
  fz.socks[ci].tx->seed = 977u * fz.nstreams;
  fz.socks[ci].rx->seed = 331u * fz.nstreams + 5u;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  for (;;) {
    for (k = 0; k < NSOCK; k++)
      if (fz.socks[k].live && fz.socks[k].peer == -2) ai = k;
    if (fz.ops[cid].done && ai >= 0) break;
    fz_wait(8, 10);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    FZ_CHECK(t1.tv_sec - t0.tv_sec < 5, "no connection within 5 s");
  }
  fz.socks[ai].peer = ci;
  fz.socks[ci].peer = ai;
  fz.socks[ai].tx = fz.socks[ci].rx;
  fz.socks[ai].rx = fz.socks[ci].tx;
  FZ_CHECK(riox_close(l) == 0, "close listener: %s", riox_last_detail());
  fz.socks[li].closing = 1;
}

/* ------------------------------------------------------------- steps */

static int fz_pick(uint8_t a, int want_kind) {
  int i, n = 0, cand[NSOCK];
  for (i = 0; i < NSOCK; i++)
    if (fz.socks[i].live && fz.socks[i].kind != K_LISTEN &&
        (want_kind == 0 || fz.socks[i].kind == want_kind))
      cand[n++] = i;
  return n == 0 ? -1 : cand[a % n];
}

static void fz_recv(uint8_t a, uint8_t b, uint8_t c) {
  int si = fz_pick(a, 0), depth = 1 + b % 8, d;
  if (si < 0) return;
  for (d = 0; d < depth; d++) {
    fz_sock *k = &fz.socks[si];
    char *buf = fz_buf_take();
    uint32_t cap, id;
    int rc;
    if (buf == NULL) return;
    cap = c == 0 ? fz.buf_size : 1u + ((uint32_t)c * 53u + (uint32_t)d * 17u) % fz.buf_size;
    id = fz_op_new(O_RECV, si, buf, cap);
    rc = riox_recv(k->s, buf, cap, fz_ctx(id));
    if (rc == 0) {
      FZ_CHECK(!k->closing && k->kind != K_UDP_READY, "riox_recv accepted on a closing or readiness socket");
      fz_push(k->rxq, k->rxh, &k->rxn, id);
      fz.held--;
      fz.inflight++;
    } else {
      fz.ops[id].done = 1; /* a failed call: any event for it is an error (fz_op_of) */
      fz.ops[id].type = 0;
      fz_buf_keep(buf);
    }
  }
}

/* A datagram of ours: header (magic, sender port, seq, length), then the
 * pattern of seq ^ port. */
static uint32_t fz_dgram(fz_sock *k, char *buf, uint32_t len) {
  uint32_t magic = DGRAM_MAGIC, seq = ++fz.dseq, j;
  uint16_t port = k->local.port;
  if (len < DGRAM_HDR) {
    memset(buf, 0, len);
    return len;
  }
  memcpy(buf, &magic, 4);
  memcpy(buf + 4, &port, 2);
  memcpy(buf + 6, &seq, 4);
  memcpy(buf + 10, &len, 4);
  for (j = DGRAM_HDR; j < len; j++) buf[j] = (char)fz_pat(j, seq ^ port);
  return len;
}

static void fz_send(uint8_t a, uint8_t b, uint8_t c) {
  int si = fz_pick(a, 0), rc, to;
  fz_sock *k;
  char *buf;
  uint32_t len, id, flags = (c & 1) ? RIOX_SEND_DEFER : 0, j;
  if (si < 0) return;
  k = &fz.socks[si];
  buf = fz_buf_take();
  if (buf == NULL) return;
  len = (uint32_t)b * ((c >> 1) + 1u) * 7u % (fz.buf_size + 1u);
  if (k->kind == K_TCP) {
    if (len == 0) len = 1;
    for (j = 0; j < len; j++) buf[j] = (char)fz_pat(k->tx->sent + j, k->tx->seed);
  } else {
    if (len > 65507u) len = 65507u;
    len = fz_dgram(k, buf, len);
  }
  id = fz_op_new(O_SEND, si, buf, len);
  fz.ops[id].stream = k->tx != NULL ? k->tx->sent : 0;
  if (k->kind == K_TCP) {
    rc = riox_send(k->s, buf, len, flags, fz_ctx(id));
  } else {
    to = fz_pick(c >> 3, 0);
    if (to < 0 || fz.socks[to].kind == K_TCP) to = si;
    rc = riox_sendto(k->s, buf, len, &fz.socks[to].local, flags, fz_ctx(id));
  }
  if (fz_trace)
    fprintf(stderr, "  send op %u on socket %d: %u bytes%s -> %d\n", id, si, len,
            flags ? " deferred" : "", rc);
  if (rc == 0) {
    FZ_CHECK(!k->closing && k->kind != K_UDP_READY, "a send accepted on a closing or readiness socket");
    FZ_CHECK(!(k->kind == K_TCP && k->shut), "a TCP send accepted after riox_shutdown");
    fz_push(k->txq, k->txh, &k->txn, id);
    fz.held--;
    fz.inflight++;
    if (k->kind == K_TCP) k->tx->sent += len;
  } else {
    fz.ops[id].done = 1;
    fz.ops[id].type = 0;
    fz_buf_keep(buf);
  }
}

static void fz_shutdown(uint8_t a) {
  int si = fz_pick(a, K_TCP), rc;
  uint32_t id;
  if (si < 0) return;
  id = fz_op_new(O_SHUTDOWN, si, NULL, 0);
  rc = riox_shutdown(fz.socks[si].s, fz_ctx(id));
  if (rc == 0) {
    FZ_CHECK(!fz.socks[si].closing, "riox_shutdown accepted on a closing socket");
    fz_push(fz.socks[si].txq, fz.socks[si].txh, &fz.socks[si].txn, id);
    fz.socks[si].shut = 1;
  } else {
    fz.ops[id].done = 1;
    fz.ops[id].type = 0;
  }
}

static void fz_close(uint8_t a, int abort_it) {
  int si = fz_pick(a, 0), rc;
  fz_sock *k;
  if (si < 0) return;
  k = &fz.socks[si];
  if (k->tx != NULL && (abort_it || k->txn > 0)) k->tx->broken = 1;
  rc = abort_it ? riox_abort(k->s) : riox_close(k->s);
  if (k->closing) {
    FZ_CHECK(rc == RIOX_ECLOSING || (abort_it && rc < 0), "a second close: %d", rc);
  } else {
    FZ_CHECK(rc == 0 || (abort_it && k->kind != K_TCP && rc < 0), "riox_%s: %d %s",
             abort_it ? "abort" : "close", rc, riox_last_detail());
    if (rc == 0) k->closing = 1;
  }
}

static void fz_watch(uint8_t op, uint8_t a, uint8_t b) {
  int si = fz_pick(a, 0), rc;
  fz_sock *k;
  uint32_t interest = b & (RIOX_READABLE | RIOX_WRITABLE | RIOX_RDHUP);
  if (si < 0) return;
  k = &fz.socks[si];
  if (b & 0x80) interest |= RIOX_ONESHOT;
  if (op == 0) {
    rc = riox_watch(k->s, interest, (void *)++fz.wctx_next);
  } else if (op == 1) {
    rc = riox_watch_modify(k->s, interest, (void *)++fz.wctx_next);
  } else {
    rc = riox_unwatch(k->s);
  }
  if (k->kind != K_UDP_READY || k->closing) {
    FZ_CHECK(rc < 0, "a watch call accepted on a completion or closing socket");
    return;
  }
  if (rc != 0) return; /* e.g. riox_watch on a watched socket, modify of an unwatched one */
  if (op == 2) {
    k->watched = 0;
    return;
  }
  k->watched = 1;
  k->interest = interest & ~RIOX_ONESHOT;
  k->oneshot = (interest & RIOX_ONESHOT) != 0;
  k->fired = 0;
  k->wctx = fz.wctx_next;
}

static void fz_try(uint8_t a, uint8_t b) {
  int si = fz_pick(a, 0), rc;
  fz_sock *k;
  char tmp[2048];
  riox_addr from;
  if (si < 0) return;
  k = &fz.socks[si];
  if (b & 1) {
    uint32_t len = fz_dgram(k, tmp, (uint32_t)b * 9u % sizeof tmp);
    int to = fz_pick(b >> 4, 0);
    if (to < 0 || fz.socks[to].kind == K_TCP) to = si;
    rc = riox_try_send(k->s, tmp, len, k->kind == K_TCP ? NULL : &fz.socks[to].local);
    if (rc >= 0) FZ_CHECK(k->kind == K_UDP_READY && rc == (int)len, "riox_try_send: %d of %u", rc, len);
  } else {
    riox_event ev;
    fz_op o;
    uint32_t cap = 1u + (uint32_t)b * 11u % sizeof tmp;
    rc = riox_try_recv(k->s, tmp, cap, &from);
    if (rc >= 0) {
      FZ_CHECK(k->kind == K_UDP_READY && (uint32_t)rc <= cap, "riox_try_recv: %d into %u", rc, cap);
      memset(&ev, 0, sizeof ev);
      memset(&o, 0, sizeof o);
      ev.data = tmp;
      ev.len = (uint32_t)rc;
      ev.addr = from;
      o.len = cap;
      fz_dgram_check(&ev, &o, si);
    } else if (rc == RIOX_EMSGSIZE) {
      FZ_CHECK(k->kind == K_UDP_READY, "RIOX_EMSGSIZE from riox_try_recv on a completion socket");
    }
  }
  if (k->kind != K_UDP_READY) FZ_CHECK(rc < 0, "a try call accepted on a completion socket");
}

static void fz_timer(uint8_t a, uint8_t b) {
  if ((a & 1) == 0) {
    uint32_t id = fz_op_new(O_TIMER, -1, NULL, 0);
    int rc = riox_timer_start(fz.loop, b % 24u, fz_ctx(id), &fz.ops[id].timer_id);
    FZ_CHECK(rc == 0, "riox_timer_start: %s", riox_last_detail());
  } else {
    uint32_t k, n = 0, pick;
    for (k = 0; k < fz.nops; k++)
      if (fz.ops[k].type == O_TIMER) n++;
    if (n == 0) return;
    pick = b % n;
    for (k = 0; k < fz.nops; k++) {
      if (fz.ops[k].type != O_TIMER || pick-- != 0) continue;
      {
        int rc = riox_timer_cancel(fz.loop, fz.ops[k].timer_id);
        if (fz.ops[k].done || fz.ops[k].cancelled)
          FZ_CHECK(rc == RIOX_ENOENT, "riox_timer_cancel of an ended timer: %d", rc);
        if (rc == 0) fz.ops[k].cancelled = 1;
        else FZ_CHECK(rc == RIOX_ENOENT, "riox_timer_cancel: %d", rc);
      }
      break;
    }
  }
}

/* Calls that must fail and post nothing. */
static void fz_misuse(uint8_t a, uint8_t b) {
  int si = fz_pick(b, 0);
  char *buf, bogus[8];
  switch (a % 6) {
    case 0: /* a slot given back twice */
      buf = fz_buf_take();
      if (buf == NULL) return;
      FZ_CHECK(riox_buf_put(fz.loop, buf) == 0, "riox_buf_put");
      fz.held--;
      FZ_CHECK(riox_buf_put(fz.loop, buf) == RIOX_EINVAL, "a slot given back twice was taken");
      return;
    case 1: /* not a slot */
      FZ_CHECK(riox_buf_put(fz.loop, bogus) == RIOX_EINVAL, "riox_buf_put of foreign memory");
      return;
    case 2: /* a receive bigger than its slot */
      if (si < 0 || (buf = fz_buf_take()) == NULL) return;
      FZ_CHECK(riox_recv(fz.socks[si].s, buf, fz.buf_size + 1, NULL) < 0, "a receive past its slot");
      fz_buf_keep(buf);
      return;
    case 3: /* a send from memory that is not a slot */
      if (si < 0) return;
      FZ_CHECK(riox_send(fz.socks[si].s, bogus, 4, 0, NULL) < 0, "a send of foreign memory");
      return;
    case 4: /* capacity 0 */
      if (si < 0 || (buf = fz_buf_take()) == NULL) return;
      FZ_CHECK(riox_recv(fz.socks[si].s, buf, 0, NULL) < 0, "a receive of capacity 0");
      fz_buf_keep(buf);
      return;
    default: /* a TCP send of 0 bytes */
      if ((si = fz_pick(b, K_TCP)) < 0 || (buf = fz_buf_take()) == NULL) return;
      FZ_CHECK(riox_send(fz.socks[si].s, buf, 0, 0, NULL) < 0, "a TCP send of 0 bytes");
      fz_buf_keep(buf);
      return;
  }
}

static void fz_step(uint8_t op) {
  uint8_t a = fz_next(), b = fz_next(), c = fz_next();
  if (fz_trace) fprintf(stderr, "step op %u (%u) a %u b %u c %u\n", op % 20u, op, a, b, c);
  switch (op % 20) {
    case 0: fz_open_udp(a); break;
    case 1: if (a % 3 == 0) fz_open_tcp(); else fz_open_udp(a); break;
    case 2: case 3: fz_recv(a, b, c); break;
    case 4: case 5: fz_send(a, b, c); break;
    case 6: FZ_CHECK(riox_flush(fz.loop) >= 0, "riox_flush: %s", riox_last_detail()); break;
    case 7: case 8: fz_wait(1 + a % 16, b % 4 == 0 ? (int)(c % 4) : 0); break;
    case 9: {
      int si = fz_pick(a, 0);
      /* A TCP send cut by the cancel leaves a hole before what follows. */
      if (si >= 0 && fz.socks[si].tx != NULL && fz.socks[si].txn > 0) fz.socks[si].tx->broken = 1;
      if (si >= 0) (void)riox_cancel(fz.socks[si].s);
      break;
    }
    case 10: fz_shutdown(a); break;
    case 11: fz_close(a, 0); break;
    case 12: fz_close(a, 1); break;
    case 13: fz_watch(b % 3, a, c); break;
    case 14: fz_try(a, b); break;
    case 15: fz_timer(a, b); break;
    case 16: {
      uint32_t id = fz_op_new(O_WAKE, -1, NULL, 0);
      FZ_CHECK(riox_wake(fz.loop, fz_ctx(id)) == 0, "riox_wake: %s", riox_last_detail());
      break;
    }
    case 17: fz_misuse(a, b); break;
    default: fz_wait(16, 0); break;
  }
  fz_check_pool();
}

/* --------------------------------------------------------------- run */

static const char *fz_backend(uint8_t b) {
  unsetenv("RIOX_URING_NO_MULTISHOT");
  unsetenv("RIOX_URING_ZC_MIN");
  switch (b % 4) {
    case 0: return "epoll";
    case 2: setenv("RIOX_URING_NO_MULTISHOT", "1", 1); return "uring";
    case 3: setenv("RIOX_URING_ZC_MIN", "1", 1); return "uring";
    default: return "uring";
  }
}

static int fz_all_done(void) {
  uint32_t k;
  int i;
  for (i = 0; i < NSOCK; i++)
    if (fz.socks[i].live) return 0;
  for (k = 0; k < fz.nops; k++)
    if (fz.ops[k].type != 0 && !fz.ops[k].done) return 0;
  return 1;
}

/* Every socket closed, every event in: then nothing may be in use. */
static void fz_drain(void) {
  struct timespec t0, t1;
  riox_stats st;
  int i;
  for (i = 0; i < NSOCK; i++)
    if (fz.socks[i].live && !fz.socks[i].closing) {
      FZ_CHECK(riox_close(fz.socks[i].s) == 0, "riox_close: %s", riox_last_detail());
      fz.socks[i].closing = 1;
    }
  clock_gettime(CLOCK_MONOTONIC, &t0);
  while (!fz_all_done()) {
    fz_wait(16, 20);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    if (t1.tv_sec - t0.tv_sec >= 8) {
      uint32_t k;
      for (i = 0; i < NSOCK; i++)
        if (fz.socks[i].live)
          fprintf(stderr, "socket %d (kind %d) never closed: %u receives, %u sends pending\n", i,
                  fz.socks[i].kind, fz.socks[i].rxn, fz.socks[i].txn);
      for (k = 0; k < fz.nops; k++)
        if (fz.ops[k].type != 0 && !fz.ops[k].done)
          fprintf(stderr, "op %u (type %u, socket %d) never got its event\n", k, fz.ops[k].type,
                  fz.ops[k].sock);
      FZ_CHECK(0, "the drain did not end within 8 s");
    }
  }
  FZ_CHECK(fz.inflight == 0, "%u slots still with operations", fz.inflight);
  fz_check_pool();
  while (fz.nmine > 0) {
    FZ_CHECK(riox_buf_put(fz.loop, fz.mine[--fz.nmine]) == 0, "riox_buf_put");
    fz.held--;
  }
  riox_loop_stats(fz.loop, &st);
  FZ_CHECK(st.buf_in_use == 0 && fz.held == 0, "%llu slots in use after the drain",
           (unsigned long long)st.buf_in_use);
  FZ_CHECK(st.req_in_use == 0, "%llu requests in use after the drain", (unsigned long long)st.req_in_use);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static const uint32_t sizes[] = {2048, 1500, 512, 4096, 1501, 65536, 100, 9000};
  riox_loop_config cfg;
  int fds, steps = 0;
  if (size < 2) return 0;
  memset(&fz, 0, sizeof fz);
  fz_trace = getenv("FZ_TRACE") != NULL;
  fz.p = data;
  fz.n = size;
  riox_loop_config_init(&cfg);
  cfg.backend = fz_backend(fz_next());
  fz.buf_size = sizes[fz_next() % 8];
  cfg.buf_size = fz.buf_size;
  cfg.buf_count = 96;
  cfg.max_requests = 512;
  riox_test_set_close_linger_ms(200);
  riox_test_set_close_drain_ms(2000);
  fds = fz_count_fds();
  if (riox_loop_create(&cfg, &fz.loop) != 0) return 0; /* no such backend on this host */
  while (fz.i < fz.n && steps++ < STEPS) fz_step(fz_next());
  if ((fz_next() & 1) || getenv("FZ_DRAIN") != NULL) fz_drain(); /* FZ_DRAIN=1: always (triage) */
  riox_loop_close(fz.loop);
  FZ_CHECK(fz_count_fds() == fds, "%d descriptors open after riox_loop_close, %d before", fz_count_fds(), fds);
  return 0;
}
