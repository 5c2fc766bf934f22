/* Readiness against a reference model: a random sequence (fixed seed; env
 * RIOX_TEST_SEED overrides it, and every failure prints it) of riox_watch,
 * riox_watch_modify (level-triggered and one-shot, which also re-arms),
 * riox_unwatch, riox_close (the slot is then reopened), datagrams sent to a
 * slot and drains with riox_try_recv, over NSLOT UDP sockets, with short
 * riox_wait calls (random max, so events also stay queued across calls)
 * between the steps. Every event is checked against the model:
 *   - no READY for an unwatched, closed or disarmed one-shot socket;
 *   - ready bits within the current interest (plus HANGUP/ERROR, which UDP
 *     never has here), ctx the one of the latest riox_watch/modify;
 *   - a watched, armed socket with unread data and READABLE interest (or
 *     WRITABLE interest: an idle UDP socket is writable) is reported within
 *     BOUND_MS ("settle" steps check it; a level-triggered one is reported
 *     again while data is left);
 *   - a closed socket yields exactly one RIOX_EV_CLOSE and nothing after it;
 *   - every datagram is read once, in order, intact, from the sender, and
 *     the counts (model and riox_loop_stats) agree exactly.
 * READABLE reported for a socket that the model knows to be empty is allowed
 * (a poll may complete just before a drain) and only counted. */
#include "harness.h"

#include <stdarg.h>

#define NSLOT 16
#define STEPS 700
#define BOUND_MS 2000
#define DEFAULT_SEED 20240611ul
#define MAX_UNREAD 24
#define HIST 24
#define NEED_ANY 0x80000000u
#define MAGIC 0x4c444d52u /* "RMDL" */

typedef struct slot {
  riox_sock *s;
  uint32_t inc; /* incarnation: the socket's ctx is INC_CTX(inc) */
  riox_addr addr;
  int watched;
  uint32_t interest; /* RIOX_READABLE | RIOX_WRITABLE | RIOX_RDHUP subset */
  int oneshot;
  int armed; /* one-shot: not reported since the last watch/modify */
  uint32_t epoch, gen;
  void *wctx; /* ctx of the latest riox_watch/riox_watch_modify */
  int unwatch_step;
  uint32_t sent, recvd;
  uint32_t need; /* settle: conditions still to be reported (NEED_ANY: any) */
} slot;

typedef struct closing {
  riox_sock *s;
  uint32_t inc;
  int seen;
  int step;
  uint64_t t;
} closing;

static unsigned long g_seed;
static uint64_t g_rng;
static int g_step;
static char g_hist[HIST][128];
static int g_nhist;
static slot slots[NSLOT];
static closing cls[STEPS + NSLOT + 8];
static int ncls;
static uint32_t next_inc;
static riox_sock *sender;
static riox_addr sender_addr;
static riox_loop *loop;
static uint64_t total_sent, total_recvd, discarded, n_events, n_spurious, n_settles;
static int sender_closed, sender_close_seen;

#define INC_CTX(inc) ((void *)(uintptr_t)(0x1000u + (inc)))
#define SENDER_CTX ((void *)(uintptr_t)0x77u)

static void *watch_ctx(int k, uint32_t epoch, uint32_t gen) {
  return (void *)(uintptr_t)((1u << 30) | ((uint32_t)k << 24) | ((epoch & 0xfffu) << 12) | (gen & 0xfffu));
}

static uint32_t rnd(uint32_t n) {
  uint64_t z;
  g_rng += 0x9e3779b97f4a7c15ull;
  z = g_rng;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  z ^= z >> 31;
  return (uint32_t)(z % n);
}

static void hist(const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 1, 2)))
#endif
    ;
static void hist(const char *fmt, ...) {
  va_list ap;
  char *line = g_hist[g_nhist % HIST];
  int n = snprintf(line, sizeof g_hist[0], "step %4d: ", g_step);
  va_start(ap, fmt);
  if (n > 0 && n < (int)sizeof g_hist[0]) vsnprintf(line + n, sizeof g_hist[0] - (size_t)n, fmt, ap);
  va_end(ap);
  g_nhist++;
}

static int mfail(const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 1, 2)))
#endif
    ;
static int mfail(const char *fmt, ...) {
  va_list ap;
  char msg[512];
  int i;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  H_FAIL("seed %lu (rerun with RIOX_TEST_SEED=%lu) step %d: %s", g_seed, g_seed, g_step, msg);
  fprintf(stderr, "  last operations and events:\n");
  for (i = g_nhist > HIST ? g_nhist - HIST : 0; i < g_nhist; i++) fprintf(stderr, "    %s\n", g_hist[i % HIST]);
  fflush(stderr);
  return 1;
}

#define M_OK(call)                                                                                  \
  do {                                                                                              \
    int m__rc = (call);                                                                             \
    if (m__rc < 0)                                                                                  \
      return mfail("%s failed: %d %s (%s)", #call, m__rc, riox_err_name(m__rc), riox_last_detail()); \
  } while (0)
#define M_ERR(call, want)                                                                          \
  do {                                                                                             \
    int m__rc = (call);                                                                            \
    if (m__rc != (want))                                                                           \
      return mfail("%s returned %d %s, expected %s", #call, m__rc, riox_err_name(m__rc), #want);   \
  } while (0)

static const char *bits(uint32_t r) {
  static char out[4][64];
  static int which;
  char *p = out[which++ % 4];
  p[0] = 0;
  if (r & RIOX_READABLE) strcat(p, "R");
  if (r & RIOX_WRITABLE) strcat(p, "W");
  if (r & RIOX_RDHUP) strcat(p, "D");
  if (r & RIOX_HANGUP) strcat(p, "H");
  if (r & RIOX_ERROR) strcat(p, "E");
  if (r & RIOX_ONESHOT) strcat(p, "/1");
  if (p[0] == 0) strcat(p, "-");
  return p;
}

/* ---------------------------------------------------------- datagrams */

static uint32_t dgram_len(uint32_t inc, uint32_t seq) { return 12u + (seq * 37u + inc * 11u) % 200u; }

static void put32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)v;
  p[1] = (uint8_t)(v >> 8);
  p[2] = (uint8_t)(v >> 16);
  p[3] = (uint8_t)(v >> 24);
}
static uint32_t get32(const uint8_t *p) {
  return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

/* ------------------------------------------------------------- events */

static int find_slot(const riox_event *ev) {
  int k;
  for (k = 0; k < NSLOT; k++)
    if (slots[k].s == ev->sock && INC_CTX(slots[k].inc) == ev->sock_ctx) return k;
  return -1;
}

static closing *find_closing(const riox_event *ev) {
  int i;
  for (i = 0; i < ncls; i++)
    if (cls[i].s == ev->sock && INC_CTX(cls[i].inc) == ev->sock_ctx) return &cls[i];
  return NULL;
}

static int check_ready(int k, const riox_event *ev) {
  slot *sl = &slots[k];
  uint32_t allowed = sl->interest | RIOX_HANGUP | RIOX_ERROR;
  uintptr_t got = (uintptr_t)ev->ctx, want = (uintptr_t)sl->wctx;
  if (!sl->watched)
    return mfail("slot %d: READY %s for a socket unwatched at step %d", k, bits(ev->ready), sl->unwatch_step);
  if (ev->ready == 0 || (ev->ready & ~allowed))
    return mfail("slot %d: READY %s outside the interest %s", k, bits(ev->ready), bits(sl->interest));
  if (ev->status != 0 || (ev->ready & (RIOX_HANGUP | RIOX_ERROR)))
    return mfail("slot %d: READY %s status %d %s on an idle UDP socket", k, bits(ev->ready), ev->status,
                 riox_err_name(ev->status));
  if (got != want) {
    if (((got >> 12) & 0xfffu) != ((want >> 12) & 0xfffu) || ((got >> 24) & 0x3fu) != ((want >> 24) & 0x3fu))
      return mfail("slot %d: READY %s carries ctx %p of an earlier riox_watch (the current watch's ctx is "
                   "%p): an event queued before riox_unwatch was delivered after the socket was watched "
                   "again",
                   k, bits(ev->ready), ev->ctx, sl->wctx);
    return mfail("slot %d: READY %s carries ctx %p of an earlier riox_watch_modify (current ctx %p): an "
                 "event queued before the modify was delivered with the ctx it replaced",
                 k, bits(ev->ready), ev->ctx, sl->wctx);
  }
  if (sl->oneshot && !sl->armed)
    return mfail("slot %d: one-shot reported again (%s) before riox_watch_modify re-armed it", k,
                 bits(ev->ready));
  if ((ev->ready & RIOX_READABLE) && sl->sent == sl->recvd) n_spurious++;
  if (sl->oneshot) sl->armed = 0;
  if (sl->need & NEED_ANY)
    sl->need = 0;
  else
    sl->need &= ~ev->ready;
  return 0;
}

static int check_event(const riox_event *ev) {
  int k;
  closing *c;
  n_events++;
  if (ev->sock == sender && ev->sock_ctx == SENDER_CTX) {
    hist("  event type %u for the sender", ev->type);
    if (ev->type != RIOX_EV_CLOSE || !sender_closed || sender_close_seen)
      return mfail("event type %u ready %s for the sender (never watched; closed: %d)", ev->type,
                   bits(ev->ready), sender_closed);
    sender_close_seen = 1;
    return 0;
  }
  if (ev->type == RIOX_EV_READY) {
    k = find_slot(ev);
    hist("  event READY %s slot %d ctx %p", bits(ev->ready), k, ev->ctx);
    if (k >= 0) return check_ready(k, ev);
    c = find_closing(ev);
    if (c != NULL)
      return mfail("READY %s for a socket closed at step %d (%s)", bits(ev->ready), c->step,
                   c->seen ? "after its RIOX_EV_CLOSE" : "before its RIOX_EV_CLOSE");
    if (ev->sock == sender) return mfail("READY %s for the sender, which was never watched", bits(ev->ready));
    return mfail("READY %s for an unknown socket %p (sock ctx %p)", bits(ev->ready), (void *)ev->sock,
                 ev->sock_ctx);
  }
  if (ev->type == RIOX_EV_CLOSE) {
    c = find_closing(ev);
    hist("  event CLOSE inc %u", c != NULL ? c->inc : 0u);
    if (c == NULL) return mfail("RIOX_EV_CLOSE for a socket that was not closed (sock ctx %p)", ev->sock_ctx);
    if (c->seen) return mfail("a second RIOX_EV_CLOSE for the socket closed at step %d", c->step);
    if (ev->status != 0) return mfail("RIOX_EV_CLOSE with status %d", ev->status);
    c->seen = 1;
    return 0;
  }
  return mfail("unexpected event type %u status %d", ev->type, ev->status);
}

static int pump(int max, int timeout_ms) {
  riox_event evs[64];
  int n, i;
  n = riox_wait(loop, evs, max, timeout_ms);
  if (n < 0) return mfail("riox_wait: %d %s (%s)", n, riox_err_name(n), riox_last_detail());
  for (i = 0; i < n; i++)
    if (check_event(&evs[i]) != 0) return 1;
  return 0;
}

/* --------------------------------------------------------- operations */

static int slot_open(int k) {
  slot *sl = &slots[k];
  riox_addr any = h_v4(0);
  memset(sl, 0, sizeof *sl);
  sl->inc = ++next_inc;
  sl->unwatch_step = -1;
  M_OK(riox_udp_open(loop, &any, NULL, RIOX_SOCK_READINESS, INC_CTX(sl->inc), &sl->s));
  M_OK(riox_sock_local(sl->s, &sl->addr));
  return 0;
}

static uint32_t random_interest(void) {
  static const uint32_t choice[] = {RIOX_READABLE, RIOX_READABLE, RIOX_READABLE, RIOX_READABLE | RIOX_RDHUP,
                                    RIOX_WRITABLE, RIOX_READABLE | RIOX_WRITABLE, RIOX_RDHUP, 0};
  uint32_t ev = choice[rnd(sizeof choice / sizeof choice[0])];
  if (rnd(5) < 2) ev |= RIOX_ONESHOT;
  return ev;
}

static void set_watch(slot *sl, uint32_t ev) {
  sl->interest = ev & ~(uint32_t)RIOX_ONESHOT;
  sl->oneshot = (ev & RIOX_ONESHOT) != 0;
  sl->armed = 1;
}

static int op_watch(int k) {
  slot *sl = &slots[k];
  uint32_t ev = random_interest();
  if (sl->watched) {
    hist("watch slot %d (already watched)", k);
    M_ERR(riox_watch(sl->s, ev, watch_ctx(k, sl->epoch, 0xfff)), RIOX_EALREADY);
    return 0;
  }
  sl->epoch++;
  sl->gen = 0;
  sl->wctx = watch_ctx(k, sl->epoch, 0);
  hist("watch slot %d %s ctx %p", k, bits(ev), sl->wctx);
  M_OK(riox_watch(sl->s, ev, sl->wctx));
  sl->watched = 1;
  set_watch(sl, ev);
  return 0;
}

static int op_modify(int k) {
  slot *sl = &slots[k];
  uint32_t ev = random_interest();
  if (!sl->watched) {
    hist("modify slot %d (not watched)", k);
    M_ERR(riox_watch_modify(sl->s, ev, NULL), RIOX_ENOENT);
    return 0;
  }
  /* Re-arming with the same interest is the common one-shot pattern. */
  if (sl->oneshot && rnd(2) == 0) ev = sl->interest | RIOX_ONESHOT;
  sl->gen++;
  sl->wctx = watch_ctx(k, sl->epoch, sl->gen);
  hist("modify slot %d %s ctx %p", k, bits(ev), sl->wctx);
  M_OK(riox_watch_modify(sl->s, ev, sl->wctx));
  set_watch(sl, ev);
  return 0;
}

static int op_unwatch(int k) {
  slot *sl = &slots[k];
  if (!sl->watched) {
    hist("unwatch slot %d (not watched)", k);
    M_ERR(riox_unwatch(sl->s), RIOX_ENOENT);
    return 0;
  }
  hist("unwatch slot %d", k);
  M_OK(riox_unwatch(sl->s));
  sl->watched = 0;
  sl->unwatch_step = g_step;
  return 0;
}

static int op_close(int k) {
  slot *sl = &slots[k];
  uint8_t buf[16];
  closing *c = &cls[ncls++];
  hist("close slot %d (inc %u, %s, %u unread)", k, sl->inc, sl->watched ? "watched" : "unwatched",
       sl->sent - sl->recvd);
  M_OK(riox_close(sl->s));
  c->s = sl->s;
  c->inc = sl->inc;
  c->seen = 0;
  c->step = g_step;
  c->t = h_now_ms();
  discarded += sl->sent - sl->recvd;
  /* Until its RIOX_EV_CLOSE is handed out the pointer is still valid. */
  M_ERR(riox_close(sl->s), RIOX_ECLOSING);
  M_ERR(riox_watch(sl->s, RIOX_READABLE, NULL), RIOX_ECLOSING);
  M_ERR(riox_watch_modify(sl->s, RIOX_READABLE, NULL), RIOX_ECLOSING);
  M_ERR(riox_try_recv(sl->s, buf, sizeof buf, NULL), RIOX_ECLOSING);
  return slot_open(k);
}

static int op_send(int k, uint32_t count) {
  slot *sl = &slots[k];
  uint8_t buf[256];
  uint32_t i;
  hist("send %u to slot %d", count, k);
  for (i = 0; i < count; i++) {
    uint32_t seq = sl->sent, len = dgram_len(sl->inc, seq);
    int rc;
    put32(buf, MAGIC);
    put32(buf + 4, sl->inc);
    put32(buf + 8, seq);
    h_fill((char *)buf + 12, len - 12, sl->inc * 7919u + seq);
    rc = riox_try_send(sender, buf, len, &sl->addr);
    if (rc != (int)len)
      return mfail("riox_try_send of %u bytes to slot %d: %d %s (%s)", len, k, rc, riox_err_name(rc),
                   riox_last_detail());
    sl->sent++;
    total_sent++;
  }
  return 0;
}

static int op_drain(int k) {
  slot *sl = &slots[k];
  uint8_t buf[512];
  riox_addr from;
  uint32_t before = sl->recvd;
  for (;;) {
    uint32_t seq, len;
    int rc = riox_try_recv(sl->s, buf, sizeof buf, &from);
    if (rc == RIOX_EAGAIN) break;
    if (rc < 0) return mfail("slot %d: riox_try_recv: %d %s (%s)", k, rc, riox_err_name(rc), riox_last_detail());
    seq = sl->recvd;
    len = dgram_len(sl->inc, seq);
    if (sl->recvd >= sl->sent) return mfail("slot %d: a datagram (%d bytes) that was never sent", k, rc);
    if ((uint32_t)rc != len || get32(buf) != MAGIC || get32(buf + 4) != sl->inc || get32(buf + 8) != seq)
      return mfail("slot %d: got %d bytes inc %u seq %u, expected %u bytes inc %u seq %u", k, rc,
                   rc >= 12 ? get32(buf + 4) : 0u, rc >= 12 ? get32(buf + 8) : 0u, len, sl->inc, seq);
    if (h_verify((const char *)buf + 12, len - 12, sl->inc * 7919u + seq) != 0)
      return mfail("slot %d: payload of datagram %u corrupted", k, seq);
    if (from.family != sender_addr.family || from.port != sender_addr.port ||
        memcmp(from.ip, sender_addr.ip, 16) != 0)
      return mfail("slot %d: datagram %u from port %u, expected the sender's %u", k, seq, (unsigned)from.port,
                   (unsigned)sender_addr.port);
    sl->recvd++;
    total_recvd++;
  }
  hist("drain slot %d: %u read, %u left", k, sl->recvd - before, sl->sent - sl->recvd);
  return 0;
}

/* Everything that must be reported is reported within BOUND_MS, and every
 * close has produced its event by then. */
static int op_settle(void) {
  uint64_t until;
  int k, i, pending;
  n_settles++;
  hist("settle");
  for (k = 0; k < NSLOT; k++) {
    slot *sl = &slots[k];
    uint32_t need = 0;
    sl->need = 0;
    if (!sl->watched || (sl->oneshot && !sl->armed)) continue;
    if ((sl->interest & RIOX_READABLE) && sl->sent > sl->recvd) need |= RIOX_READABLE;
    if (sl->interest & RIOX_WRITABLE) need |= RIOX_WRITABLE;
    /* A one-shot reports once, with whatever held when its poll fired. */
    if (need != 0) sl->need = sl->oneshot ? NEED_ANY : need;
  }
  until = h_now_ms() + BOUND_MS;
  for (;;) {
    pending = 0;
    for (k = 0; k < NSLOT; k++) pending += slots[k].need != 0;
    if (pending == 0 || h_now_ms() >= until) break;
    if (pump(64, 20) != 0) return 1;
  }
  for (k = 0; k < NSLOT; k++) {
    slot *sl = &slots[k];
    if (sl->need != 0)
      return mfail("slot %d (interest %s%s, %u unread) was not reported %s within %d ms", k, bits(sl->interest),
                   sl->oneshot ? " one-shot" : "", sl->sent - sl->recvd,
                   (sl->need & NEED_ANY) ? "at all" : bits(sl->need), BOUND_MS);
  }
  for (i = 0; i < ncls; i++) {
    if (!cls[i].seen && h_now_ms() - cls[i].t > BOUND_MS)
      return mfail("no RIOX_EV_CLOSE within %d ms for the socket closed at step %d", BOUND_MS, cls[i].step);
  }
  return 0;
}

static int one_op(void) {
  int k = (int)rnd(NSLOT);
  uint32_t op = rnd(100);
  if (op < 12) return op_watch(k);
  if (op < 30) return op_modify(k);
  if (op < 37) return op_unwatch(k);
  if (op < 41) {
    /* Unwatch and watch again at once: nothing queued before counts. */
    if (slots[k].watched && op_unwatch(k) != 0) return 1;
    return op_watch(k);
  }
  if (op < 45) return op_close(k);
  if (op < 69) return slots[k].sent - slots[k].recvd >= MAX_UNREAD ? op_drain(k) : op_send(k, 1 + rnd(3));
  if (op < 88) return op_drain(k);
  return op_settle();
}

/* A step is one operation, or a burst of a few with no riox_wait between
 * them, then one riox_wait of random size and timeout. */
static int run_steps(void) {
  static const int maxes[] = {1, 2, 3, 64, 64, 64};
  static const int timeouts[] = {0, 0, 2, 10};
  for (g_step = 0; g_step < STEPS; g_step++) {
    uint32_t ops = rnd(5) == 0 ? 2 + rnd(3) : 1, i;
    for (i = 0; i < ops; i++)
      if (one_op() != 0) return 1;
    if (pump(maxes[rnd(sizeof maxes / sizeof maxes[0])], timeouts[rnd(sizeof timeouts / sizeof timeouts[0])]) != 0)
      return 1;
  }
  return 0;
}

static int finish(void) {
  riox_stats st;
  uint64_t until;
  int k, i, all;
  if (op_settle() != 0) return 1;
  /* Every datagram still unread arrives and is read. */
  until = h_now_ms() + BOUND_MS;
  for (;;) {
    all = 1;
    for (k = 0; k < NSLOT; k++) {
      if (op_drain(k) != 0) return 1;
      if (slots[k].recvd != slots[k].sent) all = 0;
    }
    if (all || h_now_ms() >= until) break;
    if (pump(64, 10) != 0) return 1;
  }
  for (k = 0; k < NSLOT; k++)
    if (slots[k].recvd != slots[k].sent)
      return mfail("slot %d: %u of %u datagrams read", k, slots[k].recvd, slots[k].sent);

  /* Close everything: one CLOSE each, and then silence. */
  for (k = 0; k < NSLOT; k++) {
    closing *c = &cls[ncls++];
    hist("final close slot %d", k);
    M_OK(riox_close(slots[k].s));
    c->s = slots[k].s;
    c->inc = slots[k].inc;
    c->seen = 0;
    c->step = g_step;
    c->t = h_now_ms();
    slots[k].s = NULL;
  }
  M_OK(riox_close(sender));
  sender_closed = 1;
  until = h_now_ms() + 5000;
  for (;;) {
    all = sender_close_seen;
    for (i = 0; i < ncls; i++) all &= cls[i].seen;
    if (all || h_now_ms() >= until) break;
    if (pump(64, 50) != 0) return 1;
  }
  for (i = 0; i < ncls; i++)
    if (!cls[i].seen) return mfail("no RIOX_EV_CLOSE for the socket closed at step %d", cls[i].step);
  if (!sender_close_seen) return mfail("no RIOX_EV_CLOSE for the sender");
  until = h_now_ms() + 100;
  while (h_now_ms() < until)
    if (pump(64, 20) != 0) return 1;

  riox_loop_stats(loop, &st);
  if (total_recvd + discarded != total_sent)
    return mfail("model: %llu read + %llu discarded by close != %llu sent", (unsigned long long)total_recvd,
                 (unsigned long long)discarded, (unsigned long long)total_sent);
  if (st.send_ops != total_sent || st.recv_ops != total_recvd || st.drops != 0 || st.errors != 0)
    return mfail("stats: send_ops %llu (sent %llu) recv_ops %llu (read %llu) drops %llu errors %llu",
                 (unsigned long long)st.send_ops, (unsigned long long)total_sent, (unsigned long long)st.recv_ops,
                 (unsigned long long)total_recvd, (unsigned long long)st.drops, (unsigned long long)st.errors);
  return 0;
}

static int test(void) {
  const char *env = getenv("RIOX_TEST_SEED");
  riox_addr any = h_v4(0);
  uint64_t t0 = h_now_ms();
  int k, rc;
  g_seed = (env != NULL && env[0] != 0) ? strtoul(env, NULL, 0) : DEFAULT_SEED;
  g_rng = (uint64_t)g_seed;
  g_nhist = 0;
  g_step = -1;
  ncls = 0;
  next_inc = 0;
  total_sent = total_recvd = discarded = n_events = n_spurious = n_settles = 0;
  sender_closed = sender_close_seen = 0;
  memset(slots, 0, sizeof slots);
  H_OK(h_loop(&loop, NULL));
  H_OK(riox_udp_open(loop, &any, NULL, RIOX_SOCK_READINESS, SENDER_CTX, &sender));
  H_OK(riox_sock_local(sender, &sender_addr));
  for (k = 0; k < NSLOT; k++)
    if (slot_open(k) != 0) return 1;
  rc = run_steps();
  if (rc == 0) rc = finish();
  if (rc != 0) {
    riox_loop_close(loop);
    return 1;
  }
  printf("  seed %lu: %d steps, %d sockets closed, %llu datagrams (%llu read, %llu dropped by close), "
         "%llu events, %llu settles, %llu READABLE on an empty socket; %llu ms\n",
         g_seed, STEPS, ncls - NSLOT, (unsigned long long)total_sent, (unsigned long long)total_recvd,
         (unsigned long long)discarded, (unsigned long long)n_events, (unsigned long long)n_settles,
         (unsigned long long)n_spurious, (unsigned long long)(h_now_ms() - t0));
  riox_loop_close(loop);
  return 0;
}

int main(void) { return h_run_readiness("ready_model", test); }
