/* riox-perf server: one loop serving every mode at once.
 *   UDP: HELLO -> HELLO_ACK, DATA counted per session, REQ -> RESP (same
 *        bytes), STATS -> STATS_ACK (count and server clock). Each receive
 *        owns a buffer that carries its reply and then the next receive.
 *   TCP: a HELLO header picks echo or sink for the connection; echo sends
 *        each received buffer back and receives into a fresh one meanwhile.
 * Replies are sent with RIOX_SEND_DEFER, so a batch of completions is
 * answered with one flush (one commit per queue on RIO). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "list.h"
#include "perf.h"
#include "plat.h"
#include "proto.h"

/* UDP receives kept posted: at least this many, more when an in-process
 * client says how many requests it keeps in flight. */
#define SRV__UDP_DEPTH_MIN 256u
#define SRV__UDP_DEPTH_MAX 4096u
#define SRV__SESSIONS 64u
#define SRV__EVENTS 256
#define SRV__CLOSE_MS 2000u

typedef struct srv__session {
  uint64_t token; /* 0 = unused */
  uint64_t data;  /* DATA datagrams delivered */
  uint64_t last_ns; /* when the last of them came (the wait batch's clock) */
} srv__session_t;

typedef struct srv__conn {
  list_node_t node; /* perf_server.conns */
  riox_sock *sock;
  int kind;         /* 0 until the HELLO header is complete, then PERF_TCP_* */
  char hdr[PERF_HDR_LEN];
  uint32_t hdr_got;
  uint32_t sends;   /* sends in flight */
  int recv_posted, eof, closing;
} srv__conn_t;

struct perf_server {
  const perf_opts *o;
  riox_loop *loop;
  riox_sock *udp, *tcp;
  riox_addr udp_addr, tcp_addr;
  uint32_t bufsz;
  srv__session_t sessions[SRV__SESSIONS];
  uint32_t next_session;
  list_node_t conns;
  uint32_t nconns;
  riox_stats snap[2];
  int stop;
  uint64_t bad; /* datagrams or headers that were not riox-perf's */
  /* Test seam: RIOX_PERF_TEST_LOSE_START=N ignores the first N udp-flood
   * window START queries, as an overrun receiver drops them, and
   * RIOX_PERF_TEST_LOSE_END=N the first N END queries
   * (tests/e2e/regress_perf_flood_start_lost.sh). */
  unsigned lose_start, lose_end;
  uint64_t batch_ns; /* plat_now_ns() when the current wait batch came */
};

/* Distinct addresses used as event contexts. */
static char srv__cmd_tag[3];
static char srv__ctl_tag;

/* --------------------------------------------------------------- UDP */

static void srv__count_data(perf_server_t *s, srv__session_t *sess) {
  sess->data++;
  sess->last_ns = s->batch_ns;
}

static srv__session_t *srv__session(perf_server_t *s, uint64_t token, int create) {
  uint32_t i;
  srv__session_t *x;
  for (i = 0; i < SRV__SESSIONS; i++)
    if (s->sessions[i].token == token && token != 0) return &s->sessions[i];
  if (!create) return NULL;
  /* Oldest first: a long-lived server keeps the most recent clients. */
  x = &s->sessions[s->next_session++ % SRV__SESSIONS];
  x->token = token;
  x->data = 0;
  return x;
}

static void srv__udp_repost(perf_server_t *s, char *buf) {
  if (riox_recv(s->udp, buf, s->bufsz, NULL) < 0) riox_buf_put(s->loop, buf);
}

/* A coalesced receive (RIOX_UDP_GRO): datagrams of ev->seg_size bytes
 * from one sender, each counted as its own. DATA is counted per datagram;
 * REQs are answered with one segmented send of the RESPs (the same
 * boundaries); anything else in such a receive is not riox-perf's. */
static void srv__udp_coalesced(perf_server_t *s, const riox_event *ev) {
  uint32_t p, reqs = 0;
  for (p = 0; p < ev->len; p += ev->seg_size) {
    uint32_t d = ev->len - p < ev->seg_size ? ev->len - p : ev->seg_size;
    perf_hdr_t h;
    srv__session_t *sess;
    if (perf_hdr_read(ev->data + p, d, &h) < 0) {
      s->bad++;
    } else if (h.type == PERF_MSG_DATA) {
      sess = srv__session(s, h.session, 0);
      if (sess != NULL) srv__count_data(s, sess);
      else s->bad++;
    } else if (h.type == PERF_MSG_REQ) {
      h.type = PERF_MSG_RESP;
      perf_hdr_write(ev->data + p, &h);
      reqs++;
    } else {
      s->bad++;
    }
  }
  if (reqs > 0) {
    riox_msg msg;
    memset(&msg, 0, sizeof msg);
    msg.to = &ev->addr;
    msg.seg_size = ev->seg_size;
    if (riox_sendmsg(s->udp, ev->data, ev->len, &msg, RIOX_SEND_DEFER, NULL) == 0) return;
  }
  srv__udp_repost(s, ev->data);
}

static void srv__udp_recv(perf_server_t *s, const riox_event *ev) {
  perf_hdr_t h;
  srv__session_t *sess;
  uint32_t len = PERF_HDR_LEN;
  if (ev->status == RIOX_ECANCELED || ev->status == RIOX_ECLOSING) {
    riox_buf_put(s->loop, ev->data);
    return;
  }
  if (ev->status == 0 && ev->seg_size < ev->len) {
    srv__udp_coalesced(s, ev);
    return;
  }
  if (ev->status < 0 || perf_hdr_read(ev->data, ev->len, &h) < 0) {
    if (ev->status == 0) s->bad++;
    srv__udp_repost(s, ev->data); /* e.g. EMSGSIZE: keep serving */
    return;
  }
  switch (h.type) {
  case PERF_MSG_DATA:
    sess = srv__session(s, h.session, 0);
    if (sess != NULL) srv__count_data(s, sess);
    else s->bad++;
    srv__udp_repost(s, ev->data);
    return;
  case PERF_MSG_REQ:
    h.type = PERF_MSG_RESP;
    len = ev->len;
    break;
  case PERF_MSG_HELLO:
    (void)srv__session(s, h.session, 1);
    h.type = PERF_MSG_HELLO_ACK;
    break;
  case PERF_MSG_STATS:
    if ((h.slot == 1 && s->lose_start > 0) || (h.slot == 2 && s->lose_end > 0)) {
      if (h.slot == 1) s->lose_start--; /* 1: the client's START query */
      else s->lose_end--;               /* 2: its END query */
      srv__udp_repost(s, ev->data);
      return;
    }
    sess = srv__session(s, h.session, 0);
    h.type = PERF_MSG_STATS_ACK;
    h.seq = sess != NULL ? sess->data : 0;
    h.stamp = (h.flags & PERF_STATS_AT_LAST_DATA) && sess != NULL && sess->data > 0 ? sess->last_ns
                                                                                   : plat_now_ns();
    break;
  default:
    s->bad++;
    srv__udp_repost(s, ev->data);
    return;
  }
  perf_hdr_write(ev->data, &h);
  if (riox_sendto(s->udp, ev->data, len, &ev->addr, RIOX_SEND_DEFER, NULL) < 0)
    srv__udp_repost(s, ev->data); /* no request slot: drop the reply */
}

static void srv__udp_event(perf_server_t *s, const riox_event *ev) {
  if (ev->type == RIOX_EV_RECV) {
    srv__udp_recv(s, ev);
  } else if (ev->type == RIOX_EV_SEND) {
    if (ev->status == RIOX_ECANCELED || ev->status == RIOX_ECLOSING) riox_buf_put(s->loop, ev->data);
    else srv__udp_repost(s, ev->data);
  } else if (ev->type == RIOX_EV_CLOSE) {
    s->udp = NULL;
  }
}

/* --------------------------------------------------------------- TCP */

static void srv__conn_close(srv__conn_t *c) {
  if (c->closing) return;
  c->closing = 1;
  riox_close(c->sock);
}

static void srv__conn_post_recv(perf_server_t *s, srv__conn_t *c, char *buf) {
  if (c->recv_posted || c->eof || c->closing) {
    if (buf != NULL) riox_buf_put(s->loop, buf);
    return;
  }
  if (buf == NULL && riox_buf_get(s->loop, &buf) < 0) return; /* retried after a send */
  if (riox_recv(c->sock, buf, s->bufsz, c) < 0) {
    riox_buf_put(s->loop, buf);
    return;
  }
  c->recv_posted = 1;
}

static void srv__conn_maybe_finish(srv__conn_t *c) {
  if (c->eof && c->sends == 0) srv__conn_close(c);
}

/* The first PERF_HDR_LEN bytes of a connection: which kind it is. Returns
 * how many bytes of buf it consumed, or -1 to drop the connection. */
static int srv__conn_handshake(perf_server_t *s, srv__conn_t *c, const char *buf, uint32_t len) {
  uint32_t take = PERF_HDR_LEN - c->hdr_got;
  perf_hdr_t h;
  char *ack;
  if (take > len) take = len;
  memcpy(c->hdr + c->hdr_got, buf, take);
  c->hdr_got += take;
  if (c->hdr_got < PERF_HDR_LEN) return (int)take;
  if (perf_hdr_read(c->hdr, PERF_HDR_LEN, &h) < 0 || h.type != PERF_MSG_HELLO ||
      (h.flags != PERF_TCP_ECHO && h.flags != PERF_TCP_SINK)) {
    s->bad++;
    return -1;
  }
  c->kind = h.flags;
  if (riox_buf_get(s->loop, &ack) < 0) return -1;
  h.type = PERF_MSG_HELLO_ACK;
  perf_hdr_write(ack, &h);
  if (riox_send(c->sock, ack, PERF_HDR_LEN, RIOX_SEND_DEFER, &srv__ctl_tag) < 0) {
    riox_buf_put(s->loop, ack);
    return -1;
  }
  c->sends++;
  return (int)take;
}

static void srv__conn_recv(perf_server_t *s, srv__conn_t *c, const riox_event *ev) {
  uint32_t off = 0;
  c->recv_posted = 0;
  if (ev->status != 0) {
    riox_buf_put(s->loop, ev->data);
    if (ev->status == RIOX_EOF) {
      c->eof = 1;
      srv__conn_maybe_finish(c);
    } else {
      srv__conn_close(c); /* reset, or cancelled by a close */
    }
    return;
  }
  if (c->kind == 0) {
    int used = srv__conn_handshake(s, c, ev->data, ev->len);
    if (used < 0) {
      riox_buf_put(s->loop, ev->data);
      srv__conn_close(c);
      return;
    }
    off = (uint32_t)used;
  }
  if (c->kind == PERF_TCP_ECHO && ev->len > off) {
    uint32_t n = ev->len - off;
    /* Echo from the slot's start, so the completion hands back the slot itself. */
    if (off > 0) memmove(ev->data, ev->data + off, n);
    if (riox_send(c->sock, ev->data, n, RIOX_SEND_DEFER, NULL) < 0) {
      riox_buf_put(s->loop, ev->data);
      srv__conn_close(c);
      return;
    }
    c->sends++;
    srv__conn_post_recv(s, c, NULL); /* keep reading while the echo is sent */
  } else {
    srv__conn_post_recv(s, c, ev->data); /* sink: the same buffer again */
  }
}

static void srv__conn_sent(perf_server_t *s, srv__conn_t *c, const riox_event *ev) {
  c->sends--;
  if (ev->ctx == &srv__ctl_tag || ev->status != 0 || c->recv_posted) riox_buf_put(s->loop, ev->data);
  else srv__conn_post_recv(s, c, ev->data);
  if (ev->status != 0) srv__conn_close(c);
  else if (!c->recv_posted) srv__conn_post_recv(s, c, NULL); /* a receive that found no buffer */
  srv__conn_maybe_finish(c);
}

static void srv__accept(perf_server_t *s, const riox_event *ev) {
  srv__conn_t *c;
  if (ev->status != 0) return;
  c = (srv__conn_t *)calloc(1, sizeof *c);
  if (c == NULL) {
    riox_abort(ev->accepted);
    return;
  }
  c->sock = ev->accepted;
  list_insert_tail(&s->conns, &c->node);
  s->nconns++;
  riox_sock_set_ctx(c->sock, c);
  srv__conn_post_recv(s, c, NULL);
  if (!c->recv_posted) srv__conn_close(c); /* no buffer at all: shed this one */
}

static void srv__tcp_event(perf_server_t *s, const riox_event *ev) {
  srv__conn_t *c = (srv__conn_t *)ev->sock_ctx;
  if (ev->sock == s->tcp) {
    if (ev->type == RIOX_EV_ACCEPT) srv__accept(s, ev);
    else if (ev->type == RIOX_EV_CLOSE) s->tcp = NULL;
    return;
  }
  if (c == NULL) return;
  switch (ev->type) {
  case RIOX_EV_RECV: srv__conn_recv(s, c, ev); break;
  case RIOX_EV_SEND: srv__conn_sent(s, c, ev); break;
  case RIOX_EV_CLOSE:
    list_remove(&c->node);
    s->nconns--;
    free(c);
    break;
  default: break;
  }
}

/* -------------------------------------------------------------- public */

int perf_server_open(const perf_opts *o, int udp, int tcp, uint32_t buf_size, perf_server_t **out,
                     char *err, size_t errlen) {
  static const uint8_t zero[16];
  perf_server_t *s;
  riox_addr bind = o->bind;
  uint32_t flags = 0, i, count, depth;
  const char *what = "UDP";
  char a[RIOX_ADDRSTRLEN];
  int rc;
  *out = NULL;
  s = (perf_server_t *)calloc(1, sizeof *s);
  if (s == NULL) {
    snprintf(err, errlen, "no memory for the server");
    return PERF_EXIT_FAIL;
  }
  s->o = o;
  {
    const char *lose = getenv("RIOX_PERF_TEST_LOSE_START");
    s->lose_start = lose != NULL ? (unsigned)strtoul(lose, NULL, 10) : 0;
    lose = getenv("RIOX_PERF_TEST_LOSE_END");
    s->lose_end = lose != NULL ? (unsigned)strtoul(lose, NULL, 10) : 0;
  }
  list_init(&s->conns);
  depth = o->conns * o->depth + 64u;
  if (depth < SRV__UDP_DEPTH_MIN) depth = SRV__UDP_DEPTH_MIN;
  if (depth > SRV__UDP_DEPTH_MAX) depth = SRV__UDP_DEPTH_MAX;
  /* Receives in flight, one echo or sink buffer per connection and a reply
   * in flight for each, with room to spare. */
  count = depth + 4u * o->conns + 256u;
  if (count < 1024u) count = 1024u;
  rc = perf_loop_open(o, buf_size, count, &s->loop, err, errlen);
  if (rc != PERF_EXIT_OK) {
    free(s);
    return rc;
  }
  s->bufsz = riox_loop_buf_size(s->loop);
  if (bind.family == RIOX_AF_INET6 && memcmp(bind.ip, zero, 16) == 0) flags |= RIOX_SOCK_DUALSTACK;
  if (o->reuseport) flags |= RIOX_SOCK_REUSEPORT; /* --threads (threads.c) */
  if (udp) {
    /* --offload on: coalesced receives (riox.h, "Segmentation offload":
     * receives of at least 65535 bytes), for udp-flood in-process, for
     * every mode standalone (the client's mode is not known here). */
    uint32_t uflags = flags;
    if (perf_offload_on(o) && (o->role == PERF_ROLE_SERVER || o->mode == PERF_MODE_UDP_FLOOD) &&
        s->bufsz >= 65536u)
      uflags |= RIOX_UDP_GRO;
    rc = riox_udp_open(s->loop, &bind, NULL, uflags, NULL, &s->udp);
    if (rc < 0) goto fail;
    (void)riox_sock_local(s->udp, &s->udp_addr);
    for (i = 0; i < depth; i++) {
      char *buf;
      if (riox_buf_get(s->loop, &buf) < 0) break;
      srv__udp_repost(s, buf);
    }
    /* TCP on the same port, so one --target serves both. */
    if (bind.port == 0) bind.port = s->udp_addr.port;
  }
  if (tcp) {
    what = "TCP";
    rc = riox_tcp_listen(s->loop, &bind, 0, flags, NULL, &s->tcp);
    if (rc < 0 && udp && o->bind.port == 0) {
      /* The UDP port's TCP twin was taken: any port will do in-process. */
      bind.port = 0;
      rc = riox_tcp_listen(s->loop, &bind, 0, flags, NULL, &s->tcp);
    }
    if (rc < 0) goto fail;
    (void)riox_sock_local(s->tcp, &s->tcp_addr);
  }
  *out = s;
  return PERF_EXIT_OK;
fail:
  riox_addr_format(&bind, a, sizeof a);
  snprintf(err, errlen, "cannot open %s on %s: %s (%s)", what, a, riox_strerror(rc),
           riox_last_detail());
  riox_loop_close(s->loop);
  free(s);
  return PERF_EXIT_FAIL;
}

void perf_server_addrs(const perf_server_t *s, riox_addr *udp, riox_addr *tcp) {
  if (udp != NULL) *udp = s->udp_addr;
  if (tcp != NULL) *tcp = s->tcp_addr;
}

riox_loop *perf_server_loop(perf_server_t *s) { return s->loop; }

int perf_server_command(perf_server_t *s, int cmd) {
  if (cmd < 0 || cmd > PERF_SRV_STOP) return RIOX_EINVAL;
  return riox_wake(s->loop, &srv__cmd_tag[cmd]);
}

static void srv__command(perf_server_t *s, const void *ctx) {
  if (ctx == &srv__cmd_tag[PERF_SRV_SNAP_START]) riox_loop_stats(s->loop, &s->snap[0]);
  else if (ctx == &srv__cmd_tag[PERF_SRV_SNAP_END]) riox_loop_stats(s->loop, &s->snap[1]);
  else if (ctx == &srv__cmd_tag[PERF_SRV_STOP]) s->stop = 1;
}

int perf_server_run(perf_server_t *s, double duration_s) {
  riox_event evs[SRV__EVENTS];
  uint64_t timer;
  if (duration_s > 0 &&
      riox_timer_start(s->loop, (uint64_t)(duration_s * 1000.0 + 0.5), NULL, &timer) < 0) {
    fprintf(stderr, "riox-perf: server: cannot start its timer: %s\n", riox_last_detail());
    return PERF_EXIT_FAIL;
  }
  while (!s->stop) {
    int n = riox_wait(s->loop, evs, SRV__EVENTS, -1), i;
    if (n < 0) {
      fprintf(stderr, "riox-perf: server: riox_wait: %s (%s)\n", riox_strerror(n), riox_last_detail());
      return PERF_EXIT_FAIL;
    }
    s->batch_ns = plat_now_ns(); /* one clock read per batch, not per datagram */
    for (i = 0; i < n; i++) {
      const riox_event *ev = &evs[i];
      if (ev->type == RIOX_EV_WAKE) srv__command(s, ev->ctx);
      else if (ev->type == RIOX_EV_TIMER) s->stop = 1;
      else if (ev->type == RIOX_EV_ERROR)
        fprintf(stderr, "riox-perf: server: loop error: %s\n", riox_strerror(ev->status));
      else if (ev->sock != NULL && ev->sock == s->udp) srv__udp_event(s, ev);
      else srv__tcp_event(s, ev);
    }
  }
  return PERF_EXIT_OK;
}

void perf_server_snapshots(const perf_server_t *s, riox_stats *start, riox_stats *end) {
  *start = s->snap[0];
  *end = s->snap[1];
}

void perf_server_close(perf_server_t *s) {
  list_node_t *node, *tmp;
  riox_event evs[SRV__EVENTS];
  uint64_t until;
  if (s == NULL) return;
  /* Close everything and take the close events, so every connection's
   * memory is ours to free; give up after a while (the loop then discards
   * the rest, and the process is ending anyway). */
  if (s->udp != NULL) riox_close(s->udp);
  if (s->tcp != NULL) riox_close(s->tcp);
  list_for_each_safe(node, tmp, &s->conns) srv__conn_close(container_of(node, srv__conn_t, node));
  until = plat_now_ns() + (uint64_t)SRV__CLOSE_MS * 1000000u;
  while ((s->udp != NULL || s->tcp != NULL || s->nconns > 0) && plat_now_ns() < until) {
    int n = riox_wait(s->loop, evs, SRV__EVENTS, 100), i;
    if (n < 0) break;
    for (i = 0; i < n; i++) {
      if (evs[i].type == RIOX_EV_WAKE || evs[i].type == RIOX_EV_TIMER || evs[i].type == RIOX_EV_ERROR) continue;
      if (evs[i].sock != NULL && evs[i].sock == s->udp) srv__udp_event(s, &evs[i]);
      else srv__tcp_event(s, &evs[i]);
    }
  }
  riox_loop_close(s->loop);
  list_for_each_safe(node, tmp, &s->conns) free(container_of(node, srv__conn_t, node));
  free(s);
}
