/* riox-perf TCP modes. Each connection starts with a HELLO header naming
 * the server's job (echo or sink) and waits for HELLO_ACK; a refused or
 * silent connect ends the run with the reason.
 *   tcp-stream: up to depth sends of --size bytes outstanding per
 *               connection; latency is the send completion (the bytes are in
 *               the kernel's hands), the server discards the data.
 *   tcp-rr:     up to depth requests of --size bytes pipelined per
 *               connection; the server echoes the byte stream, so responses
 *               come back in order and the n-th --size bytes received
 *               answer the n-th request (a FIFO of intended send times). */
#include <string.h>

#include "client.h"
#include "proto.h"

static char tcp__ctl_tag; /* ctx of the HELLO send */

static int tcp__open(client_t *c) {
  uint32_t i;
  int rc;
  for (i = 0; i < c->nconns; i++) {
    client_conn_t *k = &c->conns[i];
    k->index = i;
    if (client_conn_init(c, k, c->o->depth + 1u) != PERF_EXIT_OK) return PERF_EXIT_FAIL;
    rc = riox_tcp_connect(c->loop, &c->target, NULL, 0, k, &k->sock);
    if (rc < 0) {
      client_fail(c, PERF_EXIT_FAIL, "cannot connect to %s: %s (%s)", c->target_text,
                  riox_strerror(rc), riox_last_detail());
      return PERF_EXIT_FAIL;
    }
  }
  return PERF_EXIT_OK;
}

/* Connected: say which job this connection is for, and start receiving. */
static void tcp__connected(client_t *c, client_conn_t *k) {
  perf_hdr_t h;
  char *buf = client_buf_pop(k), *rbuf = NULL;
  if (buf == NULL) {
    client_fail(c, PERF_EXIT_FAIL, "no buffer for the handshake");
    return;
  }
  memset(&h, 0, sizeof h);
  h.type = PERF_MSG_HELLO;
  h.flags = (uint8_t)(c->o->mode == PERF_MODE_TCP_RR ? PERF_TCP_ECHO : PERF_TCP_SINK);
  h.session = c->session;
  perf_hdr_write(buf, &h);
  if (riox_send(k->sock, buf, PERF_HDR_LEN, 0, &tcp__ctl_tag) < 0) {
    client_buf_push(k, buf);
    client_fail(c, PERF_EXIT_FAIL, "cannot send to %s: %s", c->target_text, riox_last_detail());
    return;
  }
  if (riox_buf_get(c->loop, &rbuf) < 0 || riox_recv(k->sock, rbuf, c->bufsz, NULL) < 0)
    client_fail(c, PERF_EXIT_FAIL, "cannot receive from %s: %s", c->target_text, riox_last_detail());
}

/* The part of the stream that is the server's HELLO_ACK; returns the bytes
 * of buf it used. */
static uint32_t tcp__take_ack(client_t *c, client_conn_t *k, const char *buf, uint32_t len) {
  uint32_t take = PERF_HDR_LEN - k->ack_got;
  perf_hdr_t h;
  if (take > len) take = len;
  memcpy(k->ack + k->ack_got, buf, take);
  k->ack_got += take;
  if (k->ack_got == PERF_HDR_LEN) {
    /* A plain echo server (--echo-peer) sends the HELLO back as it was. */
    if (perf_hdr_read(k->ack, PERF_HDR_LEN, &h) < 0 ||
        h.type != (c->o->echo_peer ? PERF_MSG_HELLO : PERF_MSG_HELLO_ACK) || h.session != c->session)
      client_fail(c, PERF_EXIT_FAIL, "%s answered, but not as a riox-perf server", c->target_text);
    else
      k->ready = 1;
  }
  return take;
}

/* Responses: every --size bytes complete the oldest request. */
static void tcp__responses(client_t *c, client_conn_t *k, uint32_t n, uint64_t now) {
  k->rx_partial += n;
  while (k->rx_partial >= c->o->size && k->fifo_count > 0) {
    uint64_t stamp = k->fifo[k->fifo_head];
    k->rx_partial -= c->o->size;
    k->fifo_head = (k->fifo_head + 1u) % c->o->depth;
    k->fifo_count--;
    k->inflight--;
    client_op_done(c, stamp, now);
  }
}

static void tcp__recv(client_t *c, client_conn_t *k, const riox_event *ev, uint64_t now) {
  uint32_t used = 0;
  /* Before the drain, a connection that ends is a failed run. */
  int live = c->phase < CLIENT_DRAIN;
  if (client_status_closing(ev->status)) return;
  if (ev->status != 0) {
    if (live)
      client_fail(c, PERF_EXIT_FAIL, "%s %s", c->target_text,
                  ev->status == RIOX_EOF ? "closed the connection during the run"
                                         : riox_strerror(ev->status));
    return; /* the buffer goes with the loop */
  }
  if (!k->ready) used = tcp__take_ack(c, k, ev->data, ev->len);
  if (c->o->mode == PERF_MODE_TCP_RR && ev->len > used) tcp__responses(c, k, ev->len - used, now);
  if (riox_recv(k->sock, ev->data, c->bufsz, NULL) < 0 && live)
    client_fail(c, PERF_EXIT_FAIL, "cannot receive from %s: %s", c->target_text, riox_last_detail());
}

static void tcp__event(client_t *c, const riox_event *ev, uint64_t now) {
  client_conn_t *k = (client_conn_t *)ev->sock_ctx;
  perf_hdr_t h;
  if (k == NULL) return;
  switch (ev->type) {
  case RIOX_EV_CONNECT:
    if (ev->status == 0) tcp__connected(c, k);
    else if (!client_status_closing(ev->status))
      client_fail(c, PERF_EXIT_FAIL, "cannot connect to %s: %s (is `riox-perf --role server` running there?)",
                  c->target_text, riox_strerror(ev->status));
    break;
  case RIOX_EV_RECV:
    tcp__recv(c, k, ev, now);
    break;
  case RIOX_EV_SEND:
    client_buf_push(k, ev->data);
    if (ev->ctx == &tcp__ctl_tag) break;
    if (ev->status != 0) {
      if (!client_status_closing(ev->status) && c->phase < CLIENT_DRAIN)
        client_fail(c, PERF_EXIT_FAIL, "sending to %s failed: %s", c->target_text,
                    riox_strerror(ev->status));
      break;
    }
    c->sent++;
    if (c->o->mode == PERF_MODE_TCP_STREAM) {
      if (perf_hdr_read(ev->data, PERF_HDR_LEN, &h) < 0) memset(&h, 0, sizeof h);
      k->inflight--;
      client_op_done(c, h.stamp, now);
    }
    break;
  default:
    break;
  }
}

static int tcp__send_one(client_t *c, client_conn_t *k, uint64_t stamp) {
  perf_hdr_t h;
  char *buf = client_buf_pop(k);
  int rr = c->o->mode == PERF_MODE_TCP_RR;
  if (buf == NULL || (rr && k->fifo_count >= c->o->depth)) {
    if (buf != NULL) client_buf_push(k, buf);
    return -1;
  }
  memset(&h, 0, sizeof h);
  h.type = (uint8_t)(rr ? PERF_MSG_REQ : PERF_MSG_DATA);
  h.session = c->session;
  h.seq = ++k->seq;
  h.stamp = stamp; /* tcp-stream reads it back at the send completion */
  perf_hdr_write(buf, &h);
  if (riox_send(k->sock, buf, c->o->size, RIOX_SEND_DEFER, NULL) < 0) {
    client_buf_push(k, buf);
    return -1;
  }
  if (rr) {
    k->fifo[(k->fifo_head + k->fifo_count) % c->o->depth] = stamp;
    k->fifo_count++;
  }
  return 0;
}

static void tcp__tick(client_t *c, uint64_t now) {
  (void)c;
  (void)now; /* connect timeouts are the handshake deadline; TCP retransmits itself */
}

static int tcp__drained(const client_t *c) {
  uint32_t i;
  for (i = 0; i < c->nconns; i++)
    if (c->conns[i].inflight > 0) return 0;
  return 1;
}

static int tcp__finish(client_t *c, uint64_t now) {
  uint32_t i;
  (void)now;
  /* tcp-rr: responses that never came within the drain. */
  if (c->o->mode == PERF_MODE_TCP_RR)
    for (i = 0; i < c->nconns; i++) c->drops += c->conns[i].fifo_count;
  return PERF_EXIT_OK;
}

const client_mode_t client_tcp_stream = {
    "send-completion", tcp__open, tcp__send_one, tcp__event, tcp__tick, NULL, NULL, tcp__drained,
    tcp__finish,
};

const client_mode_t client_tcp_rr = {
    "round-trip", tcp__open, tcp__send_one, tcp__event, tcp__tick, NULL, NULL, tcp__drained,
    tcp__finish,
};
