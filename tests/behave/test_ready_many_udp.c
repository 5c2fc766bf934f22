/* Many UDP sockets on one loop, driven only by readiness: NODES sockets in a
 * ring, each sends ROUNDS pings to its successor (the next ping once the
 * previous one was answered) and answers every ping from its predecessor
 * with a pong. Every transfer is riox_try_send/riox_try_recv after a READY
 * event; a send that would block waits for RIOX_WRITABLE. Every third socket
 * is one-shot and re-arms itself with riox_watch_modify after each event.
 *
 * Checked: every ping answered, each datagram's payload, origin, round and
 * source address, the exact counts (per socket and in riox_loop_stats), no
 * event outside the interest, no second event of a disarmed one-shot watch,
 * nothing left to read at the end, and exactly one RIOX_EV_CLOSE per socket
 * with nothing after it. */
#include "harness.h"

#define NODES 200
#define ROUNDS 6
#define OUTQ 8
#define MSG_MAX 256
#define MAGIC 0x554d5852u /* "RXMU" */
#define KIND_PING 1
#define KIND_PONG 2

typedef struct msg {
  uint32_t len;
  int to; /* node index */
  uint8_t bytes[MSG_MAX];
} msg;

typedef struct node {
  riox_sock *s;
  riox_addr addr;
  int idx;
  int oneshot;
  int armed;         /* one-shot: armed and not yet reported */
  uint32_t interest; /* without RIOX_ONESHOT */
  int pings_sent, pings_recv, pongs_sent, pongs_recv;
  int events;
  int closed;
  msg q[OUTQ];
  int qhead, qlen;
} node;

static node nodes[NODES];

static uint32_t msg_len(int kind, int origin, int round) {
  return 16u + (uint32_t)(origin * 7 + round * 13 + kind * 29) % 180u;
}

static void put16(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)(v & 0xff);
  p[1] = (uint8_t)((v >> 8) & 0xff);
}
static void put32(uint8_t *p, uint32_t v) {
  put16(p, v & 0xffff);
  put16(p + 2, v >> 16);
}
static uint32_t get16(const uint8_t *p) { return (uint32_t)p[0] | ((uint32_t)p[1] << 8); }
static uint32_t get32(const uint8_t *p) { return get16(p) | (get16(p + 2) << 16); }

static uint32_t pattern_seed(int kind, int origin, int round) {
  return (uint32_t)kind * 1000003u + (uint32_t)origin * 131u + (uint32_t)round;
}

/* Layout: magic(4) kind(1) round(1) origin(2) len(2) pad(6) pattern. */
static void msg_build(msg *m, int kind, int origin, int round, int to) {
  uint32_t len = msg_len(kind, origin, round);
  memset(m->bytes, 0, 16);
  put32(m->bytes, MAGIC);
  m->bytes[4] = (uint8_t)kind;
  m->bytes[5] = (uint8_t)round;
  put16(m->bytes + 6, (uint32_t)origin);
  put16(m->bytes + 8, len);
  h_fill((char *)m->bytes + 16, len - 16, pattern_seed(kind, origin, round));
  m->len = len;
  m->to = to;
}

static int enqueue(node *n, int kind, int origin, int round, int to) {
  if (n->qlen >= OUTQ) {
    H_FAIL("node %d: output queue overflow", n->idx);
    return 1;
  }
  msg_build(&n->q[(n->qhead + n->qlen) % OUTQ], kind, origin, round, to);
  n->qlen++;
  if (kind == KIND_PING)
    n->pings_sent++;
  else
    n->pongs_sent++;
  return 0;
}

/* Send what the queue holds until the OS would block. */
static int flush_queue(node *n) {
  while (n->qlen > 0) {
    msg *m = &n->q[n->qhead];
    int rc = riox_try_send(n->s, m->bytes, m->len, &nodes[m->to].addr);
    if (rc == RIOX_EAGAIN) return 0;
    if (rc < 0) {
      H_FAIL("node %d: riox_try_send to node %d: %d %s (%s)", n->idx, m->to, rc, riox_err_name(rc),
             riox_last_detail());
      return 1;
    }
    H_EQ(rc, (int)m->len);
    n->qhead = (n->qhead + 1) % OUTQ;
    n->qlen--;
  }
  return 0;
}

static int same_addr(const riox_addr *a, const riox_addr *b) {
  return a->family == b->family && a->port == b->port && memcmp(a->ip, b->ip, 16) == 0;
}

static int on_datagram(node *n, const uint8_t *buf, int len, const riox_addr *from) {
  int kind, round, origin, pred = (n->idx + NODES - 1) % NODES, succ = (n->idx + 1) % NODES;
  if (len < 16 || get32(buf) != MAGIC) {
    H_FAIL("node %d: foreign datagram of %d bytes", n->idx, len);
    return 1;
  }
  kind = buf[4];
  round = buf[5];
  origin = (int)get16(buf + 6);
  if ((kind != KIND_PING && kind != KIND_PONG) || origin >= NODES || round >= ROUNDS) {
    H_FAIL("node %d: bad header kind %d origin %d round %d", n->idx, kind, origin, round);
    return 1;
  }
  H_EQ(get16(buf + 8), (uint32_t)len);
  H_EQ((uint32_t)len, msg_len(kind, origin, round));
  if (h_verify((const char *)buf + 16, (uint32_t)len - 16, pattern_seed(kind, origin, round)) != 0) {
    H_FAIL("node %d: payload of kind %d origin %d round %d corrupted", n->idx, kind, origin, round);
    return 1;
  }
  if (kind == KIND_PING) {
    /* From the predecessor, its next round, from its own address. */
    if (origin != pred || round != n->pings_recv || !same_addr(from, &nodes[pred].addr)) {
      H_FAIL("node %d: ping origin %d round %d (expected origin %d round %d), source port %u (expected %u)",
             n->idx, origin, round, pred, n->pings_recv, (unsigned)from->port,
             (unsigned)nodes[pred].addr.port);
      return 1;
    }
    n->pings_recv++;
    return enqueue(n, KIND_PONG, origin, round, pred);
  }
  /* A pong answers this node's own ping of the current round, from the
   * successor. */
  if (origin != n->idx || round != n->pongs_recv || round >= n->pings_sent ||
      !same_addr(from, &nodes[succ].addr)) {
    H_FAIL("node %d: pong origin %d round %d (expected origin %d round %d), source port %u (expected %u)",
           n->idx, origin, round, n->idx, n->pongs_recv, (unsigned)from->port,
           (unsigned)nodes[succ].addr.port);
    return 1;
  }
  n->pongs_recv++;
  if (n->pongs_recv < ROUNDS) return enqueue(n, KIND_PING, n->idx, n->pongs_recv, succ);
  return 0;
}

/* Interest follows the output queue: writable only while something waits. */
static int update_interest(node *n) {
  uint32_t want = RIOX_READABLE | (n->qlen > 0 ? RIOX_WRITABLE : 0u);
  if (want != n->interest || (n->oneshot && !n->armed)) {
    H_OK(riox_watch_modify(n->s, want | (n->oneshot ? RIOX_ONESHOT : 0u), n));
    n->interest = want;
    n->armed = 1;
  }
  return 0;
}

static int on_ready(const riox_event *ev) {
  node *n = (node *)ev->ctx;
  uint8_t buf[2048];
  riox_addr from;
  int rc;
  if (n < nodes || n >= nodes + NODES) {
    H_FAIL("READY with a ctx %p that is no node", ev->ctx);
    return 1;
  }
  if (n->closed) {
    H_FAIL("node %d: READY after riox_close", n->idx);
    return 1;
  }
  H_CHECK(ev->sock == n->s);
  H_CHECK(ev->sock_ctx == (void *)n);
  if (ev->status != 0 || (ev->ready & (RIOX_HANGUP | RIOX_ERROR))) {
    H_FAIL("node %d: READY status %d ready 0x%x", n->idx, ev->status, ev->ready);
    return 1;
  }
  if (ev->ready == 0 || (ev->ready & ~n->interest)) {
    H_FAIL("node %d: READY 0x%x outside the interest 0x%x", n->idx, ev->ready, n->interest);
    return 1;
  }
  if (n->oneshot) {
    if (!n->armed) {
      H_FAIL("node %d: one-shot reported again before it was re-armed (ready 0x%x)", n->idx, ev->ready);
      return 1;
    }
    n->armed = 0;
  }
  n->events++;
  if (ev->ready & RIOX_READABLE) {
    for (;;) {
      rc = riox_try_recv(n->s, buf, sizeof buf, &from);
      if (rc == RIOX_EAGAIN) break;
      if (rc < 0) {
        H_FAIL("node %d: riox_try_recv: %d %s (%s)", n->idx, rc, riox_err_name(rc), riox_last_detail());
        return 1;
      }
      if (on_datagram(n, buf, rc, &from) != 0) return 1;
    }
  }
  if (flush_queue(n) != 0) return 1;
  return update_interest(n);
}

static int all_done(void) {
  int i;
  for (i = 0; i < NODES; i++) {
    const node *n = &nodes[i];
    if (n->pings_recv < ROUNDS || n->pongs_recv < ROUNDS || n->qlen > 0) return 0;
  }
  return 1;
}

static void dump_stuck(void) {
  int i, shown = 0;
  for (i = 0; i < NODES && shown < 10; i++) {
    const node *n = &nodes[i];
    if (n->pings_recv < ROUNDS || n->pongs_recv < ROUNDS || n->qlen > 0) {
      fprintf(stderr,
              "  node %d%s: pings sent %d recv %d, pongs sent %d recv %d, queued %d, interest 0x%x "
              "armed %d, events %d\n",
              i, n->oneshot ? " (one-shot)" : "", n->pings_sent, n->pings_recv, n->pongs_sent,
              n->pongs_recv, n->qlen, n->interest, n->armed, n->events);
      shown++;
    }
  }
}

static int test(void) {
  riox_loop *loop;
  riox_stats st;
  riox_event evs[256];
  uint8_t buf[64];
  riox_addr from;
  uint64_t start, last_progress, until;
  int i, k, nev, closes = 0, progress = 0;
  long long total = 0;
  memset(nodes, 0, sizeof nodes);
  H_OK(h_loop(&loop, NULL));
  for (i = 0; i < NODES; i++) {
    riox_addr any = h_v4(0);
    node *n = &nodes[i];
    n->idx = i;
    n->oneshot = (i % 3) == 0;
    H_OK(riox_udp_open(loop, &any, NULL, RIOX_SOCK_READINESS, n, &n->s));
    H_OK(riox_sock_local(n->s, &n->addr));
    H_CHECK(n->addr.port != 0);
  }
  /* The first ping of every node goes out on its first WRITABLE. */
  for (i = 0; i < NODES; i++) {
    node *n = &nodes[i];
    if (enqueue(n, KIND_PING, i, 0, (i + 1) % NODES) != 0) return 1;
    n->interest = RIOX_READABLE | RIOX_WRITABLE;
    n->armed = 1;
    H_OK(riox_watch(n->s, n->interest | (n->oneshot ? RIOX_ONESHOT : 0u), n));
  }

  start = h_now_ms();
  last_progress = start;
  while (!all_done()) {
    int sum = 0;
    nev = riox_wait(loop, evs, (int)(sizeof evs / sizeof evs[0]), 200);
    H_CHECK(nev >= 0);
    for (k = 0; k < nev; k++) {
      if (evs[k].type != RIOX_EV_READY) {
        H_FAIL("unexpected event type %u status %d", evs[k].type, evs[k].status);
        return 1;
      }
      if (on_ready(&evs[k]) != 0) return 1;
    }
    for (i = 0; i < NODES; i++) sum += nodes[i].pings_recv + nodes[i].pongs_recv;
    if (sum != progress) {
      progress = sum;
      last_progress = h_now_ms();
    } else if (h_now_ms() - last_progress > 5000) {
      H_FAIL("no progress for 5 s: %d of %d datagrams received; stuck nodes:", progress,
             2 * NODES * ROUNDS);
      dump_stuck();
      return 1;
    }
  }
  printf("  %d sockets, %d datagrams in %llu ms\n", NODES, 2 * NODES * ROUNDS,
         (unsigned long long)(h_now_ms() - start));

  /* Exact counts, per node and in the loop's statistics. */
  for (i = 0; i < NODES; i++) {
    const node *n = &nodes[i];
    H_EQ(n->pings_sent, ROUNDS);
    H_EQ(n->pings_recv, ROUNDS);
    H_EQ(n->pongs_sent, ROUNDS);
    H_EQ(n->pongs_recv, ROUNDS);
    total += n->pings_recv + n->pongs_recv;
  }
  H_EQ(total, 2LL * NODES * ROUNDS);
  riox_loop_stats(loop, &st);
  H_EQ(st.send_ops, 2LL * NODES * ROUNDS);
  H_EQ(st.recv_ops, 2LL * NODES * ROUNDS);
  H_EQ(st.drops, 0);
  H_EQ(st.errors, 0);
  H_EQ(st.icmp_errors, 0);

  /* Nothing is left: no datagram to read, and after a quiet wait (in which
   * the READABLE-only watches may still report nothing) none either. */
  for (i = 0; i < NODES; i++) {
    if (nodes[i].oneshot && !nodes[i].armed) H_OK(update_interest(&nodes[i]));
  }
  until = h_now_ms() + 150;
  while (h_now_ms() < until) {
    nev = riox_wait(loop, evs, (int)(sizeof evs / sizeof evs[0]), 50);
    H_CHECK(nev >= 0);
    for (k = 0; k < nev; k++) {
      node *n = (node *)evs[k].ctx;
      H_FAIL("event type %u ready 0x%x for node %d after all traffic ended", evs[k].type, evs[k].ready,
             (n >= nodes && n < nodes + NODES) ? n->idx : -1);
      return 1;
    }
  }
  for (i = 0; i < NODES; i++) H_ERR(riox_try_recv(nodes[i].s, buf, sizeof buf, &from), RIOX_EAGAIN);

  /* Close everything while watched: one CLOSE each, nothing after it. */
  for (i = 0; i < NODES; i++) {
    H_OK(riox_close(nodes[i].s));
    nodes[i].closed = 1;
  }
  until = h_now_ms() + 10000;
  while (closes < NODES && h_now_ms() < until) {
    nev = riox_wait(loop, evs, (int)(sizeof evs / sizeof evs[0]), 200);
    H_CHECK(nev >= 0);
    for (k = 0; k < nev; k++) {
      node *n = (node *)evs[k].sock_ctx;
      if (evs[k].type != RIOX_EV_CLOSE || n < nodes || n >= nodes + NODES) {
        H_FAIL("event type %u ready 0x%x while closing", evs[k].type, evs[k].ready);
        return 1;
      }
      H_CHECK(evs[k].sock == n->s);
      H_EQ(evs[k].status, 0);
      if (n->closed != 1) {
        H_FAIL("node %d: second RIOX_EV_CLOSE", n->idx);
        return 1;
      }
      n->closed = 2;
      closes++;
    }
  }
  H_EQ(closes, NODES);
  nev = riox_wait(loop, evs, (int)(sizeof evs / sizeof evs[0]), 100);
  H_EQ(nev, 0);
  riox_loop_close(loop);
  return 0;
}

int main(void) { return h_run_readiness("ready_many_udp", test); }
