/* Readiness-mode and completion-mode sockets interleaved on one loop, all
 * carrying traffic at once, nothing lost:
 *   - NUDP UDP pairs: a readiness socket (riox_watch, riox_try_*) and a
 *     completion socket (riox_recv/riox_sendto). Each side originates NDG
 *     datagrams (windowed) that the other side echoes back;
 *   - three TCP connections: a readiness connect accepted by an AcceptEx
 *     listener (that end is a completion socket), a completion connect
 *     accepted with riox_try_accept from a readiness listener (that end is a
 *     readiness socket), and a readiness connect accepted by the readiness
 *     listener (readiness at both ends). Both directions stream TCP_BYTES of
 *     a pattern.
 * Every datagram is checked (payload, source, exactly once), every byte of
 * every stream is checked at its offset, and every posted operation yields
 * exactly one event, found by its ctx (the receives still posted at the end
 * are cancelled by riox_close, before that socket's RIOX_EV_CLOSE).
 *
 * One socket, one style, fixed when it is created (RIOX_SOCK_READINESS or
 * not): RIOX_EBUSY for riox_recv/riox_sendto on a readiness UDP socket, for
 * riox_watch/riox_try_* on a completion one, for riox_try_accept/riox_watch
 * on an AcceptEx listener, and for the other style on each TCP end
 * (including the AcceptEx-accepted end, a completion socket whatever its
 * peer does); the failed calls post nothing (no event with their ctx),
 * their buffer stays the caller's, and the socket keeps working. */
#include "harness.h"

#define NUDP 6
#define NDG 96
#define UDP_WINDOW 8
#define TCP_BYTES (512u * 1024u)
#define TCP_CHUNK 16384u
#define RDEPTH 4
#define SDEPTH 8
#define MAXOPS 8192
#define MAXREG 32
#define OPBASE 0x100000u
#define MAGIC 0x584d5852u /* "RXMX" */

enum { K_UDP_R = 1, K_UDP_C, K_TCP, K_LISTEN_AX, K_LISTEN_RD, K_X1, K_X2 };
enum { OP_RECV = 1, OP_SEND, OP_FAILED };
/* Datagram kinds: a request from the readiness side and its echo, an
 * "own" datagram from the completion side and its echo. */
enum { DG_REQ = 1, DG_REQ_ECHO, DG_OWN, DG_OWN_ECHO };

typedef struct reg reg;

typedef struct opent {
  uint8_t type, done;
  reg *owner;
  uint32_t len;
} opent;

typedef struct echo {
  uint32_t len;
  uint8_t bytes[600];
} echo;

struct reg {
  riox_sock *s;
  int kind, idx;
  char name[24];
  int closing, close_seen, connects;
  riox_addr addr;
  uint32_t interest; /* readiness: the current watch */
  int watched;
  /* UDP */
  reg *peer;
  int sent, recv_echo, recv_own, echoed;      /* readiness side */
  int got_req, own_sent, own_done, echo_done; /* completion side */
  uint8_t seen[5][NDG];
  echo q[NDG];
  int qhead, qlen;
  /* TCP */
  int readiness, connected, established;
  uint64_t tx, tx_done, rx;
  int sends, recvs;
};

static reg regs[MAXREG];
static int nregs;
static opent ops[MAXOPS];
static int nops;
static riox_loop *loop;
static reg *lax, *lrd, *x1, *x2;
static reg *udp_r[NUDP], *udp_c[NUDP];
static reg *tcp_end[6]; /* 0 A (readiness connect) 1 its AcceptEx end, 2 B (connect) 3 its try_accept
                           end, 4 C (readiness connect) 5 its try_accept end */
static int go, accepts_ax, accepts_rd, x1_got, x2_got, cancelled;
static uint32_t bufsize;

static reg *reg_new(int kind, int idx, const char *name) {
  reg *r = &regs[nregs++];
  memset(r, 0, sizeof *r);
  r->kind = kind;
  r->idx = idx;
  snprintf(r->name, sizeof r->name, "%s%d", name, idx);
  return r;
}

static void *op_new(int type, reg *owner, uint32_t len) {
  opent *o;
  if (nops >= MAXOPS) return NULL;
  o = &ops[nops];
  o->type = (uint8_t)type;
  o->done = 0;
  o->owner = owner;
  o->len = len;
  return (void *)(uintptr_t)(OPBASE + (uint32_t)nops++);
}

/* ------------------------------------------------------------ payloads */

static void put32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)v;
  p[1] = (uint8_t)(v >> 8);
  p[2] = (uint8_t)(v >> 16);
  p[3] = (uint8_t)(v >> 24);
}
static uint32_t get32(const uint8_t *p) {
  return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

/* An echo keeps its request's length and pattern; only the kind changes. */
static int dg_family(int kind) { return kind == DG_REQ || kind == DG_REQ_ECHO ? 0 : 1; }
static uint32_t dg_len(int pair, int fam, int seq) { return 16u + (uint32_t)(seq * 53 + pair * 7 + fam * 11) % 500u; }
static uint32_t dg_seed(int pair, int fam, int seq) { return (uint32_t)pair * 100003u + (uint32_t)seq * 2u + (uint32_t)fam; }

static uint32_t dg_build(uint8_t *b, int pair, int kind, int seq) {
  int fam = dg_family(kind);
  uint32_t len = dg_len(pair, fam, seq);
  put32(b, MAGIC);
  b[4] = (uint8_t)pair;
  b[5] = (uint8_t)kind;
  b[6] = b[7] = 0;
  put32(b + 8, (uint32_t)seq);
  put32(b + 12, len);
  h_fill((char *)b + 16, len - 16, dg_seed(pair, fam, seq));
  return len;
}

/* Check a datagram of pair `pair` received by r; returns its kind and seq. */
static int dg_check(reg *r, const uint8_t *b, uint32_t len, const riox_addr *from, int *kind, int *seq) {
  int pair = r->idx;
  if (len < 16 || get32(b) != MAGIC || b[4] != pair || get32(b + 12) != len) {
    H_FAIL("%s: foreign or mangled datagram (%u bytes, pair %d)", r->name, len, len >= 5 ? b[4] : -1);
    return 1;
  }
  *kind = b[5];
  *seq = (int)get32(b + 8);
  if (*kind < DG_REQ || *kind > DG_OWN_ECHO || *seq < 0 || *seq >= NDG) {
    H_FAIL("%s: datagram kind %d seq %d", r->name, *kind, *seq);
    return 1;
  }
  if (len != dg_len(pair, dg_family(*kind), *seq) ||
      h_verify((const char *)b + 16, len - 16, dg_seed(pair, dg_family(*kind), *seq)) != 0) {
    H_FAIL("%s: payload of kind %d seq %d corrupted", r->name, *kind, *seq);
    return 1;
  }
  if (from->family != r->peer->addr.family || from->port != r->peer->addr.port ||
      memcmp(from->ip, r->peer->addr.ip, 16) != 0) {
    H_FAIL("%s: kind %d seq %d from port %u, expected %s's %u", r->name, *kind, *seq, (unsigned)from->port,
           r->peer->name, (unsigned)r->peer->addr.port);
    return 1;
  }
  if (r->seen[*kind][*seq]) {
    H_FAIL("%s: kind %d seq %d received twice", r->name, *kind, *seq);
    return 1;
  }
  r->seen[*kind][*seq] = 1;
  return 0;
}

static uint8_t tcp_byte(int sid, uint64_t off) {
  return (uint8_t)(off ^ ((off >> 8) * 7u) ^ ((off >> 16) * 13u) ^ ((uint64_t)sid * 0x5bu));
}

static int tcp_rx(reg *r, const uint8_t *b, uint32_t len) {
  uint32_t i;
  int sid = r->peer->idx;
  if (r->rx + len > TCP_BYTES) {
    H_FAIL("%s: %llu bytes received, more than the %u sent", r->name, (unsigned long long)(r->rx + len),
           TCP_BYTES);
    return 1;
  }
  for (i = 0; i < len; i++) {
    if (b[i] != tcp_byte(sid, r->rx + i)) {
      H_FAIL("%s: stream byte %llu is 0x%02x, expected 0x%02x", r->name, (unsigned long long)(r->rx + i), b[i],
             tcp_byte(sid, r->rx + i));
      return 1;
    }
  }
  r->rx += len;
  return 0;
}

/* ---------------------------------------------------- completion style */

static int post_recv(reg *r) {
  char *buf;
  void *ctx;
  H_OK(riox_buf_get(loop, &buf));
  ctx = op_new(OP_RECV, r, 0);
  H_CHECK(ctx != NULL);
  H_OK(riox_recv(r->s, buf, bufsize, ctx));
  r->recvs++;
  return 0;
}

static int post_sendto(reg *r, char *buf, uint32_t len, const riox_addr *to) {
  void *ctx = op_new(OP_SEND, r, len);
  H_CHECK(ctx != NULL);
  if (to != NULL)
    H_OK(riox_sendto(r->s, buf, len, to, 0, ctx));
  else
    H_OK(riox_send(r->s, buf, len, 0, ctx));
  r->sends++;
  return 0;
}

/* Completion UDP: own datagrams, windowed by their echoes. */
static int udp_c_pump(reg *r) {
  while (go && r->own_sent < NDG && r->own_sent - r->recv_own < UDP_WINDOW) {
    char *buf;
    uint32_t len;
    H_OK(riox_buf_get(loop, &buf));
    len = dg_build((uint8_t *)buf, r->idx, DG_OWN, r->own_sent);
    if (post_sendto(r, buf, len, &r->peer->addr) != 0) return 1;
    r->own_sent++;
  }
  return 0;
}

/* Completion TCP: SDEPTH sends in flight until TCP_BYTES are posted. */
static int tcp_c_pump(reg *r) {
  while (go && r->tx < TCP_BYTES && r->sends < SDEPTH) {
    char *buf;
    uint32_t len = TCP_BYTES - (uint32_t)r->tx, i;
    if (len > bufsize) len = bufsize;
    H_OK(riox_buf_get(loop, &buf));
    for (i = 0; i < len; i++) buf[i] = (char)tcp_byte(r->idx, r->tx + i);
    if (post_sendto(r, buf, len, NULL) != 0) return 1;
    r->tx += len;
  }
  return 0;
}

static int on_completion(const riox_event *ev) {
  uintptr_t id = (uintptr_t)ev->ctx - OPBASE;
  reg *r = (reg *)ev->sock_ctx;
  opent *o;
  int kind, seq;
  if ((uintptr_t)ev->ctx < OPBASE || id >= (uintptr_t)nops) {
    H_FAIL("event type %u with ctx %p that names no operation", ev->type, ev->ctx);
    return 1;
  }
  o = &ops[id];
  if (o->type == OP_FAILED) {
    H_FAIL("event type %u status %d for a call that failed with RIOX_EBUSY (%s)", ev->type, ev->status,
           o->owner->name);
    return 1;
  }
  if (o->done) {
    H_FAIL("second event for operation %u of %s", (unsigned)id, o->owner->name);
    return 1;
  }
  o->done = 1;
  if (r != o->owner || ev->sock != r->s) {
    H_FAIL("operation %u of %s completed on another socket (%s)", (unsigned)id, o->owner->name,
           r != NULL ? r->name : "?");
    return 1;
  }
  if ((ev->type == RIOX_EV_RECV) != (o->type == OP_RECV)) {
    H_FAIL("%s: operation %u completed as event type %u", r->name, (unsigned)id, ev->type);
    return 1;
  }
  if (r->close_seen) {
    H_FAIL("%s: event type %u after its RIOX_EV_CLOSE", r->name, ev->type);
    return 1;
  }
  H_CHECK(ev->data != NULL);
  if (ev->type == RIOX_EV_RECV) r->recvs--;
  if (ev->type == RIOX_EV_SEND) r->sends--;
  if (ev->status == RIOX_ECANCELED && r->closing && ev->type == RIOX_EV_RECV) {
    cancelled++;
    H_OK(riox_buf_put(loop, ev->data));
    return 0;
  }
  if (ev->status != 0) {
    H_FAIL("%s: event type %u status %d %s", r->name, ev->type, ev->status, riox_err_name(ev->status));
    return 1;
  }
  if (ev->type == RIOX_EV_SEND) {
    H_EQ(ev->len, o->len);
    if (r->kind == K_UDP_C) {
      if (ev->data[5] == DG_OWN)
        r->own_done++;
      else
        r->echo_done++;
    } else if (r->kind == K_TCP) {
      r->tx_done += ev->len;
    }
    H_OK(riox_buf_put(loop, ev->data));
    if (r->kind == K_UDP_C) return udp_c_pump(r);
    if (r->kind == K_TCP) return tcp_c_pump(r);
    return 0;
  }
  /* RECV */
  if (r->kind == K_TCP) {
    if (tcp_rx(r, (const uint8_t *)ev->data, ev->len) != 0) return 1;
    H_OK(riox_buf_put(loop, ev->data));
    return post_recv(r);
  }
  if (r == x2) {
    H_EQ(ev->len, 5);
    H_EQ(memcmp(ev->data, "to-x2", 5), 0);
    H_EQ(ev->addr.port, x1->addr.port);
    x2_got++;
    memcpy(ev->data, "to-x1", 5);
    return post_sendto(r, ev->data, 5, &x1->addr);
  }
  H_CHECK(r->kind == K_UDP_C);
  if (dg_check(r, (const uint8_t *)ev->data, ev->len, &ev->addr, &kind, &seq) != 0) return 1;
  if (kind == DG_REQ) {
    r->got_req++;
    ev->data[5] = DG_REQ_ECHO;
    if (post_sendto(r, ev->data, ev->len, &r->peer->addr) != 0) return 1;
  } else if (kind == DG_OWN_ECHO) {
    r->recv_own++;
    H_OK(riox_buf_put(loop, ev->data));
    if (udp_c_pump(r) != 0) return 1;
  } else {
    H_FAIL("%s: datagram kind %d seq %d is not for the completion side", r->name, kind, seq);
    return 1;
  }
  return post_recv(r);
}

/* ----------------------------------------------------- readiness style */

static int set_interest(reg *r, uint32_t want) {
  if (!r->watched) {
    H_OK(riox_watch(r->s, want, r));
    r->watched = 1;
  } else if (want != r->interest) {
    H_OK(riox_watch_modify(r->s, want, r));
  }
  r->interest = want;
  return 0;
}

static int udp_r_want_write(const reg *r) {
  return r->qlen > 0 || (go && r->sent < NDG && r->sent - r->recv_echo < UDP_WINDOW);
}

static int udp_r_write(reg *r) {
  uint8_t b[600];
  int rc;
  while (r->qlen > 0) {
    echo *e = &r->q[r->qhead];
    rc = riox_try_send(r->s, e->bytes, e->len, &r->peer->addr);
    if (rc == RIOX_EAGAIN) return 0;
    if (rc < 0) {
      H_FAIL("%s: riox_try_send: %d %s (%s)", r->name, rc, riox_err_name(rc), riox_last_detail());
      return 1;
    }
    H_EQ(rc, (int)e->len);
    r->qhead = (r->qhead + 1) % NDG;
    r->qlen--;
    r->echoed++;
  }
  while (go && r->sent < NDG && r->sent - r->recv_echo < UDP_WINDOW) {
    uint32_t len = dg_build(b, r->idx, DG_REQ, r->sent);
    rc = riox_try_send(r->s, b, len, &r->peer->addr);
    if (rc == RIOX_EAGAIN) return 0;
    if (rc < 0) {
      H_FAIL("%s: riox_try_send: %d %s (%s)", r->name, rc, riox_err_name(rc), riox_last_detail());
      return 1;
    }
    H_EQ(rc, (int)len);
    r->sent++;
  }
  return 0;
}

static int udp_r_read(reg *r) {
  uint8_t b[2048];
  riox_addr from;
  int rc, kind, seq;
  for (;;) {
    rc = riox_try_recv(r->s, b, sizeof b, &from);
    if (rc == RIOX_EAGAIN) return 0;
    if (rc < 0) {
      H_FAIL("%s: riox_try_recv: %d %s (%s)", r->name, rc, riox_err_name(rc), riox_last_detail());
      return 1;
    }
    if (dg_check(r, b, (uint32_t)rc, &from, &kind, &seq) != 0) return 1;
    if (kind == DG_REQ_ECHO) {
      r->recv_echo++;
    } else if (kind == DG_OWN) {
      echo *e;
      if (r->qlen >= NDG) {
        H_FAIL("%s: echo queue full", r->name);
        return 1;
      }
      e = &r->q[(r->qhead + r->qlen) % NDG];
      memcpy(e->bytes, b, (size_t)rc);
      e->bytes[5] = DG_OWN_ECHO;
      e->len = (uint32_t)rc;
      r->qlen++;
    } else {
      H_FAIL("%s: datagram kind %d seq %d is not for the readiness side", r->name, kind, seq);
      return 1;
    }
  }
}

static int tcp_r_write(reg *r) {
  uint8_t b[TCP_CHUNK];
  while (r->tx < TCP_BYTES) {
    uint32_t len = TCP_BYTES - (uint32_t)r->tx, i;
    int rc;
    if (len > TCP_CHUNK) len = TCP_CHUNK;
    for (i = 0; i < len; i++) b[i] = tcp_byte(r->idx, r->tx + i);
    rc = riox_try_send(r->s, b, len, NULL);
    if (rc == RIOX_EAGAIN) return 0;
    if (rc <= 0) {
      H_FAIL("%s: riox_try_send: %d %s (%s)", r->name, rc, riox_err_name(rc), riox_last_detail());
      return 1;
    }
    r->tx += (uint64_t)rc;
    r->tx_done = r->tx;
  }
  return 0;
}

static int tcp_r_read(reg *r) {
  uint8_t b[TCP_CHUNK];
  for (;;) {
    int rc = riox_try_recv(r->s, b, sizeof b, NULL);
    if (rc == RIOX_EAGAIN) return 0;
    if (rc <= 0) {
      H_FAIL("%s: riox_try_recv: %d %s (%s) after %llu bytes", r->name, rc, riox_err_name(rc), riox_last_detail(),
             (unsigned long long)r->rx);
      return 1;
    }
    if (tcp_rx(r, b, (uint32_t)rc) != 0) return 1;
  }
}

static int tcp_ready_end(reg *r) {
  r->established = 1;
  return set_interest(r, RIOX_READABLE);
}

static int accept_rd(void) {
  for (;;) {
    riox_sock *conn;
    riox_addr peer;
    reg *r;
    int rc = riox_try_accept(lrd->s, &conn, &peer);
    if (rc == RIOX_EAGAIN) return 0;
    H_OK(rc);
    if (peer.port == tcp_end[2]->addr.port)
      r = tcp_end[3];
    else if (peer.port == tcp_end[4]->addr.port)
      r = tcp_end[5];
    else {
      H_FAIL("the readiness listener accepted a connection from unknown port %u", (unsigned)peer.port);
      return 1;
    }
    if (r->s != NULL) {
      H_FAIL("%s accepted twice", r->name);
      return 1;
    }
    accepts_rd++;
    r->s = conn;
    riox_sock_set_ctx(conn, r);
    if (tcp_ready_end(r) != 0) return 1;
  }
}

static int update_interest(reg *r) {
  uint32_t want = RIOX_READABLE;
  if (r->kind == K_UDP_R && udp_r_want_write(r)) want |= RIOX_WRITABLE;
  if (r->kind == K_TCP && go && r->tx < TCP_BYTES) want |= RIOX_WRITABLE;
  return set_interest(r, want);
}

static int on_ready(const riox_event *ev) {
  reg *r = (reg *)ev->sock_ctx;
  if (r == NULL || r < regs || r >= regs + nregs || ev->sock != r->s || ev->ctx != (void *)r) {
    H_FAIL("READY 0x%x for an unknown socket or with a wrong ctx", ev->ready);
    return 1;
  }
  if (r->closing) {
    H_FAIL("%s: READY 0x%x after riox_close", r->name, ev->ready);
    return 1;
  }
  if (!r->watched || (ev->ready & ~(r->interest | RIOX_HANGUP | RIOX_ERROR)) || ev->ready == 0) {
    H_FAIL("%s: READY 0x%x outside the interest 0x%x (watched %d)", r->name, ev->ready, r->interest, r->watched);
    return 1;
  }
  if (ev->status != 0 || (ev->ready & (RIOX_HANGUP | RIOX_ERROR))) {
    H_FAIL("%s: READY 0x%x status %d %s (%s)", r->name, ev->ready, ev->status, riox_err_name(ev->status),
           riox_last_detail());
    return 1;
  }
  switch (r->kind) {
  case K_LISTEN_RD:
    return accept_rd();
  case K_X1: {
    char b[16];
    riox_addr from;
    H_EQ(riox_try_recv(r->s, b, sizeof b, &from), 5);
    H_EQ(memcmp(b, "to-x1", 5), 0);
    H_EQ(from.port, x2->addr.port);
    H_ERR(riox_try_recv(r->s, b, sizeof b, &from), RIOX_EAGAIN);
    x1_got++;
    return 0;
  }
  case K_UDP_R:
    if ((ev->ready & RIOX_READABLE) && udp_r_read(r) != 0) return 1;
    if (udp_r_write(r) != 0) return 1;
    return update_interest(r);
  case K_TCP:
    if (!r->established) {
      /* The readiness connect: one-shot WRITABLE when connected. */
      H_EQ(ev->ready, RIOX_WRITABLE);
      H_EQ(riox_sock_error(r->s), 0);
      return tcp_ready_end(r);
    }
    if ((ev->ready & RIOX_READABLE) && tcp_r_read(r) != 0) return 1;
    if ((ev->ready & RIOX_WRITABLE) && tcp_r_write(r) != 0) return 1;
    return update_interest(r);
  default:
    H_FAIL("%s: READY on a socket that was never watched", r->name);
    return 1;
  }
}

/* ------------------------------------------------------------ dispatch */

static int on_event(const riox_event *ev) {
  reg *r = (reg *)ev->sock_ctx;
  switch (ev->type) {
  case RIOX_EV_READY:
    return on_ready(ev);
  case RIOX_EV_RECV:
  case RIOX_EV_SEND:
    return on_completion(ev);
  case RIOX_EV_CONNECT:
    if (r == NULL || r->kind != K_TCP || r->readiness || ev->ctx != (void *)r || ev->sock != r->s) {
      H_FAIL("RIOX_EV_CONNECT for %s (a readiness connect yields none)", r != NULL ? r->name : "?");
      return 1;
    }
    if (r->connects++ != 0 || ev->status != 0) {
      H_FAIL("%s: connect event #%d status %d %s", r->name, r->connects, ev->status, riox_err_name(ev->status));
      return 1;
    }
    r->established = 1;
    {
      int i;
      for (i = 0; i < RDEPTH; i++)
        if (post_recv(r) != 0) return 1;
    }
    return 0;
  case RIOX_EV_ACCEPT: {
    reg *t;
    H_CHECK(r == lax && ev->sock == lax->s);
    H_EQ(ev->status, 0);
    H_CHECK(ev->accepted != NULL);
    if (ev->addr.port == tcp_end[0]->addr.port)
      t = tcp_end[1];
    else {
      H_FAIL("accepted a connection from unknown port %u", (unsigned)ev->addr.port);
      return 1;
    }
    if (t->s != NULL) {
      H_FAIL("%s accepted twice", t->name);
      return 1;
    }
    accepts_ax++;
    t->s = ev->accepted;
    riox_sock_set_ctx(t->s, t);
    t->established = 1;
    {
      int i;
      for (i = 0; i < RDEPTH; i++)
        if (post_recv(t) != 0) return 1;
    }
    return 0;
  }
  case RIOX_EV_CLOSE:
    if (r == NULL || r < regs || r >= regs + nregs || ev->sock != r->s) {
      H_FAIL("RIOX_EV_CLOSE for an unknown socket");
      return 1;
    }
    if (!r->closing || r->close_seen) {
      H_FAIL("%s: RIOX_EV_CLOSE (closed %d, already seen %d)", r->name, r->closing, r->close_seen);
      return 1;
    }
    if (r->recvs != 0 || r->sends != 0) {
      H_FAIL("%s: RIOX_EV_CLOSE before the events of %d receives and %d sends", r->name, r->recvs, r->sends);
      return 1;
    }
    r->close_seen = 1;
    return 0;
  default:
    H_FAIL("unexpected event type %u status %d", ev->type, ev->status);
    return 1;
  }
}

static int pump(int timeout_ms) {
  riox_event evs[64];
  int n = riox_wait(loop, evs, 64, timeout_ms), i;
  if (n < 0) {
    H_FAIL("riox_wait: %d %s (%s)", n, riox_err_name(n), riox_last_detail());
    return 1;
  }
  for (i = 0; i < n; i++)
    if (on_event(&evs[i]) != 0) return 1;
  return 0;
}

/* -------------------------------------------------------------- phases */

static int all_established(void) {
  int i;
  for (i = 0; i < 6; i++)
    if (tcp_end[i]->s == NULL || !tcp_end[i]->established) return 0;
  return accepts_ax == 1 && accepts_rd == 2;
}

static int all_done(void) {
  int i;
  for (i = 0; i < NUDP; i++) {
    const reg *r = udp_r[i], *c = udp_c[i];
    if (r->sent < NDG || r->recv_echo < NDG || r->echoed < NDG || c->got_req < NDG || c->recv_own < NDG ||
        c->own_done < NDG || c->echo_done < NDG)
      return 0;
  }
  for (i = 0; i < 6; i++)
    if (tcp_end[i]->rx < TCP_BYTES || tcp_end[i]->tx_done < TCP_BYTES) return 0;
  return x1_got == 1 && x2_got == 1;
}

static uint64_t progress(void) {
  uint64_t p = (uint64_t)(x1_got + x2_got);
  int i;
  for (i = 0; i < NUDP; i++)
    p += (uint64_t)(udp_r[i]->recv_echo + udp_r[i]->echoed + udp_c[i]->got_req + udp_c[i]->recv_own);
  for (i = 0; i < 6; i++) p += tcp_end[i]->rx + tcp_end[i]->tx_done;
  return p;
}

static void dump(void) {
  int i;
  for (i = 0; i < NUDP; i++)
    fprintf(stderr, "  %s: sent %d echo %d echoed %d | %s: req %d own %d/%d done %d echo done %d\n", udp_r[i]->name,
            udp_r[i]->sent, udp_r[i]->recv_echo, udp_r[i]->echoed, udp_c[i]->name, udp_c[i]->got_req,
            udp_c[i]->own_sent, udp_c[i]->recv_own, udp_c[i]->own_done, udp_c[i]->echo_done);
  for (i = 0; i < 6; i++)
    fprintf(stderr, "  %s (%s): tx %llu done %llu rx %llu interest 0x%x\n", tcp_end[i]->name,
            tcp_end[i]->readiness ? "readiness" : "completion", (unsigned long long)tcp_end[i]->tx,
            (unsigned long long)tcp_end[i]->tx_done, (unsigned long long)tcp_end[i]->rx, tcp_end[i]->interest);
  fprintf(stderr, "  x1 %d x2 %d\n", x1_got, x2_got);
}

/* One socket, one style, in every direction; nothing is posted by a call
 * that fails (its ctx must never come back). */
static int ebusy_checks(void) {
  char *buf;
  riox_sock *none = (riox_sock *)(uintptr_t)1; /* must come back NULL */
  uint8_t b[8] = {0};
  int i;
  H_OK(riox_buf_get(loop, &buf));
  memcpy(buf, "nope", 4);
  /* A readiness UDP socket refuses completion calls. */
  H_ERR(riox_recv(x1->s, buf, bufsize, op_new(OP_FAILED, x1, 0)), RIOX_EBUSY);
  H_ERR(riox_sendto(x1->s, buf, 4, &x2->addr, 0, op_new(OP_FAILED, x1, 0)), RIOX_EBUSY);
  /* A completion UDP socket refuses readiness calls. */
  H_ERR(riox_watch(x2->s, RIOX_READABLE, op_new(OP_FAILED, x2, 0)), RIOX_EBUSY);
  H_ERR(riox_try_recv(x2->s, b, sizeof b, NULL), RIOX_EBUSY);
  H_ERR(riox_try_send(x2->s, b, 4, &x1->addr), RIOX_EBUSY);
  /* An AcceptEx listener is a completion socket. */
  H_ERR(riox_try_accept(lax->s, &none, NULL), RIOX_EBUSY);
  H_CHECK(none == NULL);
  H_ERR(riox_watch(lax->s, RIOX_READABLE, op_new(OP_FAILED, lax, 0)), RIOX_EBUSY);
  /* And every TCP end refuses the other style: the AcceptEx-accepted end
   * of a readiness connect is a completion socket all the same. */
  for (i = 0; i < 6; i++) {
    reg *r = tcp_end[i];
    if (r->readiness) {
      H_ERR(riox_recv(r->s, buf, bufsize, op_new(OP_FAILED, r, 0)), RIOX_EBUSY);
      H_ERR(riox_send(r->s, buf, 4, 0, op_new(OP_FAILED, r, 0)), RIOX_EBUSY);
    } else {
      H_ERR(riox_watch(r->s, RIOX_READABLE, op_new(OP_FAILED, r, 0)), RIOX_EBUSY);
      H_ERR(riox_try_recv(r->s, b, sizeof b, NULL), RIOX_EBUSY);
      H_ERR(riox_try_send(r->s, b, 4, NULL), RIOX_EBUSY);
    }
  }
  for (i = 0; i < NUDP; i++) {
    H_ERR(riox_sendto(udp_r[i]->s, buf, 4, &udp_c[i]->addr, 0, op_new(OP_FAILED, udp_r[i], 0)), RIOX_EBUSY);
    H_ERR(riox_watch(udp_c[i]->s, RIOX_READABLE, op_new(OP_FAILED, udp_c[i], 0)), RIOX_EBUSY);
  }
  /* The buffer stayed the caller's through all of that. */
  H_EQ(memcmp(buf, "nope", 4), 0);
  H_OK(riox_buf_put(loop, buf));
  return 0;
}

static int test(void) {
  riox_loop_config cfg;
  riox_addr any = h_v4(0), lax_addr, lrd_addr;
  riox_stats st;
  uint64_t t0, last_change, last_p = 0, until;
  int i, rc;
  nregs = nops = 0;
  go = accepts_ax = accepts_rd = x1_got = x2_got = cancelled = 0;
  h_config(&cfg);
  H_OK(h_loop(&loop, &cfg));
  bufsize = riox_loop_buf_size(loop);

  /* Listeners: one with AcceptEx, one for riox_try_accept. */
  lax = reg_new(K_LISTEN_AX, 0, "listen-acceptex");
  H_OK(riox_tcp_listen(loop, &any, 0, 0, lax, &lax->s));
  H_OK(riox_sock_local(lax->s, &lax_addr));
  lrd = reg_new(K_LISTEN_RD, 0, "listen-ready");
  H_OK(riox_tcp_listen(loop, &any, 0, RIOX_SOCK_READINESS, lrd, &lrd->s));
  H_OK(riox_sock_local(lrd->s, &lrd_addr));
  H_OK(set_interest(lrd, RIOX_READABLE));

  /* UDP pairs, opened interleaved: completion, readiness, readiness,
   * completion, ... */
  for (i = 0; i < NUDP; i++) {
    reg *r = reg_new(K_UDP_R, i, "udp-ready"), *c = reg_new(K_UDP_C, i, "udp-compl"), *first = i % 2 ? r : c,
        *second = i % 2 ? c : r;
    int k;
    udp_r[i] = r;
    udp_c[i] = c;
    r->peer = c;
    c->peer = r;
    H_OK(riox_udp_open(loop, &any, NULL, first == r ? RIOX_SOCK_READINESS : 0, first, &first->s));
    H_OK(riox_udp_open(loop, &any, NULL, second == r ? RIOX_SOCK_READINESS : 0, second, &second->s));
    H_OK(riox_sock_local(r->s, &r->addr));
    H_OK(riox_sock_local(c->s, &c->addr));
    H_OK(set_interest(r, RIOX_READABLE));
    for (k = 0; k < RDEPTH; k++)
      if (post_recv(c) != 0) return 1;
  }

  /* TCP: start all three connections at once. */
  for (i = 0; i < 6; i++) {
    static const char *names[6] = {"tcp-A-ready", "tcp-A-compl", "tcp-B-compl", "tcp-B-ready", "tcp-C-ready",
                                   "tcp-C-ready"};
    tcp_end[i] = reg_new(K_TCP, i, names[i]);
    tcp_end[i]->readiness = i != 1 && i != 2;
  }
  for (i = 0; i < 6; i += 2) {
    tcp_end[i]->peer = tcp_end[i + 1];
    tcp_end[i + 1]->peer = tcp_end[i];
  }
  H_OK(riox_tcp_connect(loop, &lax_addr, NULL, RIOX_SOCK_READINESS, tcp_end[0], &tcp_end[0]->s));
  H_OK(riox_watch(tcp_end[0]->s, RIOX_WRITABLE | RIOX_ONESHOT, tcp_end[0]));
  tcp_end[0]->watched = 1;
  tcp_end[0]->interest = RIOX_WRITABLE;
  H_OK(riox_tcp_connect(loop, &lrd_addr, NULL, 0, tcp_end[2], &tcp_end[2]->s));
  H_OK(riox_tcp_connect(loop, &lrd_addr, NULL, RIOX_SOCK_READINESS, tcp_end[4], &tcp_end[4]->s));
  H_OK(riox_watch(tcp_end[4]->s, RIOX_WRITABLE | RIOX_ONESHOT, tcp_end[4]));
  tcp_end[4]->watched = 1;
  tcp_end[4]->interest = RIOX_WRITABLE;
  for (i = 0; i < 6; i += 2) {
    H_OK(riox_sock_local(tcp_end[i]->s, &tcp_end[i]->addr));
    H_CHECK(tcp_end[i]->addr.port != 0);
  }

  /* Two sockets for the one-socket-one-style checks. */
  x1 = reg_new(K_X1, 0, "x-ready");
  x2 = reg_new(K_X2, 0, "x-compl");
  H_OK(riox_udp_open(loop, &any, NULL, RIOX_SOCK_READINESS, x1, &x1->s));
  H_OK(riox_udp_open(loop, &any, NULL, 0, x2, &x2->s));
  H_OK(riox_sock_local(x1->s, &x1->addr));
  H_OK(riox_sock_local(x2->s, &x2->addr));
  H_OK(set_interest(x1, RIOX_READABLE));
  if (post_recv(x2) != 0) return 1;

  until = h_now_ms() + 10000;
  while (!all_established()) {
    if (h_now_ms() >= until) {
      H_FAIL("connections not established in 10 s: accepted %d+%d", accepts_ax, accepts_rd);
      for (i = 0; i < 6; i++)
        fprintf(stderr, "  %s: sock %p established %d\n", tcp_end[i]->name, (void *)tcp_end[i]->s,
                tcp_end[i]->established);
      return 1;
    }
    if (pump(100) != 0) return 1;
  }

  if (ebusy_checks() != 0) return 1;

  /* Everything at once. */
  go = 1;
  t0 = h_now_ms();
  last_change = t0;
  H_EQ(riox_try_send(x1->s, "to-x2", 5, &x2->addr), 5);
  for (i = 0; i < NUDP; i++) {
    if (update_interest(udp_r[i]) != 0) return 1;
    if (udp_c_pump(udp_c[i]) != 0) return 1;
  }
  for (i = 0; i < 6; i++) {
    if (tcp_end[i]->readiness)
      rc = update_interest(tcp_end[i]);
    else
      rc = tcp_c_pump(tcp_end[i]);
    if (rc != 0) return 1;
  }
  while (!all_done()) {
    uint64_t p;
    if (pump(200) != 0) return 1;
    p = progress();
    if (p != last_p) {
      last_p = p;
      last_change = h_now_ms();
    } else if (h_now_ms() - last_change > 5000) {
      H_FAIL("no progress for 5 s");
      dump();
      return 1;
    }
  }
  printf("  %d UDP pairs x %d datagrams x 4, 3 TCP connections x 2 x %u bytes in %llu ms\n", NUDP, NDG, TCP_BYTES,
         (unsigned long long)(h_now_ms() - t0));

  /* Exact counts. */
  for (i = 0; i < NUDP; i++) {
    reg *r = udp_r[i], *c = udp_c[i];
    int k, j;
    H_EQ(r->sent, NDG);
    H_EQ(r->recv_echo, NDG);
    H_EQ(r->echoed, NDG);
    H_EQ(c->got_req, NDG);
    H_EQ(c->own_sent, NDG);
    H_EQ(c->recv_own, NDG);
    H_EQ(c->own_done, NDG);
    H_EQ(c->echo_done, NDG);
    for (k = DG_REQ; k <= DG_OWN_ECHO; k++)
      for (j = 0; j < NDG; j++) H_EQ(r->seen[k][j] + c->seen[k][j], 1);
  }
  for (i = 0; i < 6; i++) {
    H_EQ(tcp_end[i]->rx, TCP_BYTES);
    H_EQ(tcp_end[i]->tx, TCP_BYTES);
    H_EQ(tcp_end[i]->tx_done, TCP_BYTES);
  }
  /* No more data anywhere. */
  until = h_now_ms() + 100;
  while (h_now_ms() < until)
    if (pump(20) != 0) return 1;
  for (i = 0; i < NUDP; i++) {
    uint8_t b[16];
    H_ERR(riox_try_recv(udp_r[i]->s, b, sizeof b, NULL), RIOX_EAGAIN);
  }
  for (i = 0; i < 6; i++) {
    uint8_t b[16];
    if (tcp_end[i]->readiness) H_ERR(riox_try_recv(tcp_end[i]->s, b, sizeof b, NULL), RIOX_EAGAIN);
  }

  /* Close everything: pending receives come back cancelled, then one CLOSE
   * per socket, and nothing after that. The completion-style TCP ends go
   * first, so that no peer's FIN can complete their receives (RIOX_EOF)
   * before they are cancelled. */
  for (i = 0; i < 6; i++) {
    if (tcp_end[i]->readiness) continue;
    H_OK(riox_close(tcp_end[i]->s));
    tcp_end[i]->closing = 1;
  }
  for (i = 0; i < nregs; i++) {
    if (regs[i].closing) continue;
    H_OK(riox_close(regs[i].s));
    regs[i].closing = 1;
  }
  until = h_now_ms() + 10000;
  for (;;) {
    int open = 0;
    for (i = 0; i < nregs; i++) open += !regs[i].close_seen;
    if (open == 0) break;
    if (h_now_ms() >= until) {
      H_FAIL("%d sockets without RIOX_EV_CLOSE after 10 s", open);
      return 1;
    }
    if (pump(100) != 0) return 1;
  }
  if (pump(100) != 0) return 1;
  for (i = 0; i < nops; i++) {
    if (ops[i].type == OP_FAILED) continue;
    if (!ops[i].done) {
      H_FAIL("operation %d (type %d) of %s never produced its event", i, ops[i].type, ops[i].owner->name);
      return 1;
    }
  }
  /* Every receive left posted: RDEPTH per completion socket. */
  H_EQ(cancelled, RDEPTH * (NUDP + 2));
  riox_loop_stats(loop, &st);
  H_EQ(st.drops, 0);
  H_EQ(st.errors, cancelled);
  H_EQ(st.icmp_errors, 0);
  H_EQ(st.accepts, 3);
  H_EQ(st.connects, 3);
  riox_loop_close(loop);
  return 0;
}

int main(void) { return h_run_readiness("ready_mixed", test); }
