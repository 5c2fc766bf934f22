/* riox-perf UDP modes. Each connection is a connected UDP socket that first
 * says HELLO (resent every 250 ms until HELLO_ACK: the peer is reachable and
 * is a riox-perf server).
 *   udp-rr:    up to depth REQs outstanding per socket, each in a slot; the
 *              RESP names its slot and seq, latency counts from the REQ's
 *              intended send time; a REQ unanswered for 1 s is a drop.
 *   udp-flood: up to depth DATA sends outstanding per socket; latency is the
 *              send completion. The rate that counts is the receiver's: STATS
 *              at the window's start and end give the server's delivered
 *              count and clock, a last STATS after the drain gives the total,
 *              and drops = sent - delivered. */
#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "proto.h"

#define UDP__HELLO_NS (250 * CLIENT_MS)
#define UDP__STATS_RETRY_NS (200 * CLIENT_MS)
/* After the window, wait this long for datagrams still in flight before the
 * final count. */
#define UDP__SETTLE_NS (300 * CLIENT_MS)

/* STATS queries of udp-flood, by purpose (the header's slot field). */
enum { UDP__Q_START = 1, UDP__Q_END = 2, UDP__Q_FINAL = 3, UDP__Q_COUNT = 4 };

typedef struct udp__state {
  int asked[UDP__Q_COUNT];
  uint64_t asked_ns[UDP__Q_COUNT];
  int have[UDP__Q_COUNT];
  uint64_t count[UDP__Q_COUNT]; /* DATA delivered, per the server */
  uint64_t server_ns[UDP__Q_COUNT];
  uint64_t window_end_ns;
} udp__state_t;

static char udp__ctl_tag; /* ctx of control sends (HELLO, STATS) */

static udp__state_t *udp__st(client_t *c) { return (udp__state_t *)c->mode_state; }

static void udp__repost(client_t *c, client_conn_t *k, char *buf) {
  if (riox_recv(k->sock, buf, c->bufsz, NULL) < 0) riox_buf_put(c->loop, buf);
}

/* HELLO or STATS: one header-sized datagram from the connection's buffers. */
static int udp__send_ctl(client_t *c, client_conn_t *k, uint8_t type, uint16_t slot) {
  perf_hdr_t h;
  char *buf = client_buf_pop(k);
  if (buf == NULL) return -1; /* every buffer in flight: the retry comes */
  memset(&h, 0, sizeof h);
  h.type = type;
  h.slot = slot;
  h.session = c->session;
  /* The window ends with the last datagram that came, not with the answer
   * to a query the flood made the receiver drop and that came again up to
   * 200 ms later. It starts with the answer to START: no data is sent while
   * START is unanswered (udp__send_one). */
  if (type == PERF_MSG_STATS && slot != UDP__Q_START) h.flags = PERF_STATS_AT_LAST_DATA;
  perf_hdr_write(buf, &h);
  if (riox_send(k->sock, buf, PERF_HDR_LEN, 0, &udp__ctl_tag) < 0) {
    client_buf_push(k, buf);
    return -1;
  }
  return 0;
}

static int udp__open(client_t *c) {
  riox_addr local;
  uint32_t i, j, recvs = c->o->mode == PERF_MODE_UDP_RR ? c->o->depth + 1u : 2u;
  int rc;
  c->mode_state = calloc(1, sizeof(udp__state_t));
  if (c->mode_state == NULL) {
    client_fail(c, PERF_EXIT_FAIL, "no memory");
    return PERF_EXIT_FAIL;
  }
  memset(&local, 0, sizeof local);
  local.family = c->target.family;
  for (i = 0; i < c->nconns; i++) {
    client_conn_t *k = &c->conns[i];
    k->index = i;
    rc = riox_udp_open(c->loop, &local, &c->target, 0, k, &k->sock);
    if (rc < 0) {
      client_fail(c, PERF_EXIT_FAIL, "cannot open a UDP socket to %s: %s (%s)", c->target_text,
                  riox_strerror(rc), riox_last_detail());
      return PERF_EXIT_FAIL;
    }
    if (client_conn_init(c, k, c->o->depth + 1u) != PERF_EXIT_OK) return PERF_EXIT_FAIL;
    for (j = 0; j < recvs; j++) {
      char *buf;
      if (riox_buf_get(c->loop, &buf) < 0) {
        client_fail(c, PERF_EXIT_FAIL, "buffer pool too small: %s", riox_last_detail());
        return PERF_EXIT_FAIL;
      }
      udp__repost(c, k, buf);
    }
    if (udp__send_ctl(c, k, PERF_MSG_HELLO, 0) == 0) k->hello_ns = plat_now_ns();
  }
  return PERF_EXIT_OK;
}

static void udp__tick(client_t *c, uint64_t now) {
  udp__state_t *st = udp__st(c);
  uint32_t i, j, q;
  for (i = 0; i < c->nconns; i++) {
    client_conn_t *k = &c->conns[i];
    if (k->closed) continue;
    if (!k->ready && now - k->hello_ns >= UDP__HELLO_NS) {
      if (udp__send_ctl(c, k, PERF_MSG_HELLO, 0) == 0) k->hello_ns = now;
    }
    if (c->o->mode != PERF_MODE_UDP_RR) continue;
    /* Requests unanswered for too long are lost. */
    for (j = 0; j < c->o->depth; j++) {
      client_slot_t *s = &k->slots[j];
      if (!s->used || now - s->sent_ns < CLIENT_LOSS_NS) continue;
      s->used = 0;
      k->free_slots[k->nfree_slots++] = (uint16_t)j;
      k->inflight--;
      if (c->phase >= CLIENT_MEASURE) c->drops++;
    }
  }
  if (c->o->mode != PERF_MODE_UDP_FLOOD || c->conns[0].closed) return;
  /* The final count waits for datagrams still in flight. */
  if (c->phase == CLIENT_DRAIN && st->have[UDP__Q_END] && !st->asked[UDP__Q_FINAL] &&
      now - st->window_end_ns >= UDP__SETTLE_NS) {
    if (udp__send_ctl(c, &c->conns[0], PERF_MSG_STATS, UDP__Q_FINAL) == 0) {
      st->asked[UDP__Q_FINAL] = 1;
      st->asked_ns[UDP__Q_FINAL] = now;
    }
  }
  for (q = UDP__Q_START; q < UDP__Q_COUNT; q++) {
    if (st->asked[q] && !st->have[q] && now - st->asked_ns[q] >= UDP__STATS_RETRY_NS &&
        udp__send_ctl(c, &c->conns[0], PERF_MSG_STATS, (uint16_t)q) == 0)
      st->asked_ns[q] = now;
  }
}

static void udp__ask(client_t *c, int q, uint64_t now) {
  udp__state_t *st = udp__st(c);
  st->asked[q] = 1;
  st->asked_ns[q] = now;
  /* If no buffer is free right now, the tick retries. */
  (void)udp__send_ctl(c, &c->conns[0], PERF_MSG_STATS, (uint16_t)q);
}

static void udp__flood_window_start(client_t *c, uint64_t now) { udp__ask(c, UDP__Q_START, now); }

static void udp__flood_window_end(client_t *c, uint64_t now) {
  udp__st(c)->window_end_ns = now;
  udp__ask(c, UDP__Q_END, now);
}

/* A response or control answer arrived on k. */
static void udp__answer(client_t *c, client_conn_t *k, const perf_hdr_t *h, uint64_t now) {
  udp__state_t *st = udp__st(c);
  client_slot_t *s;
  uint8_t type = h->type;
  /* A plain echo server sends our HELLO and REQ back as they were. */
  if (c->o->echo_peer && type == PERF_MSG_HELLO) type = PERF_MSG_HELLO_ACK;
  if (c->o->echo_peer && type == PERF_MSG_REQ) type = PERF_MSG_RESP;
  switch (type) {
  case PERF_MSG_HELLO_ACK:
    k->ready = 1;
    break;
  case PERF_MSG_RESP:
    if (h->slot >= c->o->depth) break;
    s = &k->slots[h->slot];
    if (!s->used || s->seq != h->seq) break; /* late: already counted as lost */
    s->used = 0;
    k->free_slots[k->nfree_slots++] = h->slot;
    k->inflight--;
    client_op_done(c, s->stamp, now);
    break;
  case PERF_MSG_STATS_ACK:
    if (h->slot >= UDP__Q_COUNT || !st->asked[h->slot] || st->have[h->slot]) break;
    st->have[h->slot] = 1;
    st->count[h->slot] = h->seq;
    st->server_ns[h->slot] = h->stamp;
    /* The server's window opens at this answer: it lasts --duration. */
    if (h->slot == UDP__Q_START && c->phase == CLIENT_MEASURE &&
        c->t_deadline < now + (uint64_t)(c->o->duration_s * 1e9 + 0.5))
      c->t_deadline = now + (uint64_t)(c->o->duration_s * 1e9 + 0.5);
    break;
  default:
    break;
  }
}

static void udp__event(client_t *c, const riox_event *ev, uint64_t now) {
  client_conn_t *k = (client_conn_t *)ev->sock_ctx;
  perf_hdr_t h;
  if (k == NULL) return;
  if (ev->type == RIOX_EV_RECV) {
    if (client_status_closing(ev->status)) return; /* teardown: the pool goes with the loop */
    if (ev->status == 0 && perf_hdr_read(ev->data, ev->len, &h) == 0 && h.session == c->session)
      udp__answer(c, k, &h, now);
    udp__repost(c, k, ev->data);
    return;
  }
  if (ev->type != RIOX_EV_SEND) return;
  client_buf_push(k, ev->data);
  if (ev->ctx == &udp__ctl_tag) return;
  /* A data send: the header we wrote is still in the buffer. */
  if (perf_hdr_read(ev->data, PERF_HDR_LEN, &h) < 0) memset(&h, 0, sizeof h);
  if (ev->status == 0) c->sent += c->batch > 1 ? ev->len / c->o->size : 1u; /* datagrams */
  if (c->o->mode == PERF_MODE_UDP_FLOOD) {
    k->inflight--;
    if (ev->status == 0) client_op_done(c, h.stamp, now);
  } else if (ev->status != 0 && !client_status_closing(ev->status) && h.slot < c->o->depth &&
             k->slots[h.slot].used && k->slots[h.slot].seq == h.seq) {
    /* The request never left: free its slot (the failure is in riox_stats.errors). */
    k->slots[h.slot].used = 0;
    k->free_slots[k->nfree_slots++] = h.slot;
    k->inflight--;
  }
}

static int udp__send_one(client_t *c, client_conn_t *k, uint64_t stamp) {
  perf_hdr_t h;
  char *buf;
  int rr = c->o->mode == PERF_MODE_UDP_RR;
  uint16_t slot = 0;
  if (rr && k->nfree_slots == 0) return -1;
  /* udp-flood: no data while the window's START query is unanswered. A
   * flood that overruns the receiver drops that query as readily as data;
   * each retry lost made the server's window start later, down to a fifth
   * of --duration under Wine. Paused, the receiver drains and the query
   * gets through; the window then runs --duration from its answer. */
  if (!rr && udp__st(c)->asked[UDP__Q_START] && !udp__st(c)->have[UDP__Q_START]) return -1;
  buf = client_buf_pop(k);
  if (buf == NULL) return -1;
  memset(&h, 0, sizeof h);
  h.type = (uint8_t)(rr ? PERF_MSG_REQ : PERF_MSG_DATA);
  h.session = c->session;
  h.seq = ++k->seq;
  h.stamp = stamp;
  if (rr) {
    slot = k->free_slots[k->nfree_slots - 1];
    h.slot = slot;
  }
  perf_hdr_write(buf, &h);
  if (c->batch > 1) {
    /* --offload on: c->batch datagrams of --size in one segmented send,
     * each with its own header (seq), so the server counts datagrams. */
    riox_msg msg;
    uint32_t i;
    for (i = 1; i < c->batch; i++) {
      h.seq = ++k->seq;
      perf_hdr_write(buf + (size_t)i * c->o->size, &h);
    }
    memset(&msg, 0, sizeof msg);
    msg.seg_size = c->o->size;
    if (riox_sendmsg(k->sock, buf, c->o->size * c->batch, &msg, RIOX_SEND_DEFER, NULL) < 0) {
      client_buf_push(k, buf);
      return -1;
    }
    return 0;
  }
  /* Deferred: everything due in this turn goes out in one flush. */
  if (riox_send(k->sock, buf, c->o->size, RIOX_SEND_DEFER, NULL) < 0) {
    client_buf_push(k, buf);
    return -1;
  }
  if (rr) {
    client_slot_t *s = &k->slots[slot];
    k->nfree_slots--;
    s->used = 1;
    s->seq = h.seq;
    s->stamp = stamp;
    s->sent_ns = plat_now_ns();
  }
  return 0;
}

static int udp__rr_drained(const client_t *c) {
  uint32_t i;
  for (i = 0; i < c->nconns; i++)
    if (c->conns[i].inflight > 0) return 0;
  return 1;
}

static int udp__flood_drained(const client_t *c) {
  return ((const udp__state_t *)c->mode_state)->have[UDP__Q_FINAL];
}

static int udp__rr_finish(client_t *c, uint64_t now) {
  uint32_t i;
  (void)now;
  /* Still unanswered after the drain: lost. */
  for (i = 0; i < c->nconns; i++) c->drops += c->conns[i].inflight;
  return PERF_EXIT_OK;
}

static int udp__flood_finish(client_t *c, uint64_t now) {
  udp__state_t *st = udp__st(c);
  (void)now;
  if (!st->have[UDP__Q_START] || !st->have[UDP__Q_END] || !st->have[UDP__Q_FINAL]) {
    client_fail(c, PERF_EXIT_FAIL,
                "%s did not answer the delivery-count queries (STATS %s%s%s): cannot tell what "
                "arrived",
                c->target_text, st->have[UDP__Q_START] ? "" : "start ",
                st->have[UDP__Q_END] ? "" : "end ", st->have[UDP__Q_FINAL] ? "" : "final");
    return PERF_EXIT_FAIL;
  }
  /* The receiver's count over the receiver's clock. */
  c->ops = st->count[UDP__Q_END] - st->count[UDP__Q_START];
  c->elapsed_override = (double)(st->server_ns[UDP__Q_END] - st->server_ns[UDP__Q_START]) / 1e9;
  c->drops = c->sent > st->count[UDP__Q_FINAL] ? c->sent - st->count[UDP__Q_FINAL] : 0;
  return PERF_EXIT_OK;
}

const client_mode_t client_udp_rr = {
    "round-trip", udp__open, udp__send_one, udp__event, udp__tick, NULL, NULL, udp__rr_drained,
    udp__rr_finish,
};

const client_mode_t client_udp_flood = {
    "send-completion", udp__open,       udp__send_one,         udp__event,
    udp__tick,         udp__flood_window_start, udp__flood_window_end, udp__flood_drained,
    udp__flood_finish,
};
