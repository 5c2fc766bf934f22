/* The socket state machine, OS-neutral, and the operations every socket
 * type shares: receive/send posting, stream order, events, cancel and
 * close. Creating OS sockets is the OS layer's (src/win/sock_os.c).
 *
 *   OPEN/CONNECTING --riox_close--> CLOSING --last request done--> close event
 *   queued --event returned by riox_wait--> freed at the next riox_wait.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"
#include "riox_test.h"

static req_t *sock__first_untaken(riox_sock *sock);
static void sock__send_next(riox_sock *sock);

riox_sock *sock_alloc(riox_loop *loop, int kind, int family, uint32_t flags, void *ctx) {
  riox_sock *sock = (riox_sock *)calloc(1, sizeof *sock);
  if (sock == NULL) return NULL;
  sock->loop = loop;
  sock->s = OS_INVALID_SOCKET;
  sock->kind = (uint8_t)kind;
  sock->family = (uint8_t)family;
  sock->flags = flags;
  sock->ctx = ctx;
  list_init(&sock->node);
  list_init(&sock->rx_order);
  list_init(&sock->tx_order);
  return sock;
}

/* The socket owes its RIOX_EV_CLOSE from now on: make room for it (loop.c,
 * "Event room"), so that no close can ever be lost. */
int sock_hold_close(riox_sock *sock) {
  int rc = loop_hold(sock->loop);
  if (rc == 0) sock->close_hold = 1;
  return rc;
}

void sock_release_close(riox_sock *sock) {
  if (!sock->close_hold) return;
  sock->close_hold = 0;
  loop_unhold(sock->loop);
}

/* Undo sock_create for a socket that never had a request. */
void sock_discard(riox_sock *sock) {
  sock_release_close(sock);
  list_remove(&sock->node);
  os_sock_release(sock);
  free(sock);
}

void sock_free(riox_sock *sock) {
  sock_release_close(sock); /* freed without its close event: none is owed now */
  loop_deadline_clear(sock);
  poll_sock_free(sock);
  list_remove(&sock->node);
  os_sock_release(sock);
  free(sock);
}

void sock_req_done(riox_sock *sock) {
  sock->pending--;
  if (sock->state == SK_CLOSING && sock->pending == 0 && !sock->close_queued) {
    sock->close_queued = 1;
    if (sock->attached) sock->loop->be->sock_detach(sock);
    loop_push_event(sock->loop, RIOX_EV_CLOSE, sock, NULL, 0);
    sock_release_close(sock);
  }
}

/* ------------------------------------------------------------- UDP */

/* ------------------------------------------------------- accessors */

void riox_sock_set_ctx(riox_sock *sock, void *ctx) {
  if (sock != NULL) sock->ctx = ctx;
}

void *riox_sock_ctx(const riox_sock *sock) { return sock != NULL ? sock->ctx : NULL; }

int riox_sock_peer(const riox_sock *sock, riox_addr *out) {
  if (sock == NULL || out == NULL)
    return error_detail(RIOX_EINVAL, "riox_sock_peer: sock and out must not be NULL");
  if (!sock->connected) return error_detail(RIOX_ENOTCONN, "riox_sock_peer: not connected");
  *out = sock->peer;
  return 0;
}

/* ------------------------------------------------------------ modes */

int sock_check_mode(const riox_sock *sock, int mode, const char *what) {
  const char *origin;
  if (sock->mode == mode) return 0;
  if (sock->mode == SK_MODE_READINESS) {
    origin = sock->accepted ? "was accepted from a listener opened with" : "was opened with";
    return error_detail(RIOX_EBUSY,
                        "%s: the socket %s RIOX_SOCK_READINESS (readiness style: riox_watch, "
                        "riox_try_*); a socket is used in one style only",
                        what, origin);
  }
  origin = sock->accepted ? "came from RIOX_EV_ACCEPT of a listener opened without"
                          : "was opened without";
  return error_detail(RIOX_EBUSY,
                      "%s: the socket %s RIOX_SOCK_READINESS (completion style: riox_recv, "
                      "riox_send, RIOX_EV_ACCEPT); a socket is used in one style only",
                      what, origin);
}

/* The backend learns of a completion socket at its first post, not when it
 * is created: a socket never used for I/O (a listener, a connection closed
 * at once) costs no RIO request queue. Readiness sockets never get here. */
int sock_attach(riox_sock *sock) {
  int rc;
  if (sock->attached) return 0;
  rc = sock->loop->be->sock_attach(sock);
  if (rc < 0) return rc;
  sock->attached = 1;
  return 0;
}

int sock_flags_check(int kind, uint32_t flags, const char *what) {
  const uint32_t known = RIOX_SOCK_DUALSTACK | RIOX_SOCK_V6ONLY | RIOX_UDP_REPORT_UNREACH |
                         RIOX_SOCK_REUSEADDR | RIOX_SOCK_READINESS | RIOX_UDP_GRO |
                         RIOX_UDP_PKTINFO | RIOX_SOCK_REUSEPORT;
  const uint32_t udp_only = RIOX_UDP_REPORT_UNREACH | RIOX_UDP_GRO | RIOX_UDP_PKTINFO;
  if (flags & ~known) return error_detail(RIOX_EINVAL, "%s: unknown flags 0x%x", what, flags & ~known);
  if (kind != SK_UDP && (flags & udp_only))
    return error_detail(RIOX_EINVAL, "%s: flags 0x%x are for UDP sockets only", what,
                        flags & udp_only);
  if (kind == SK_TCP && (flags & RIOX_SOCK_REUSEPORT))
    return error_detail(RIOX_EINVAL, "%s: RIOX_SOCK_REUSEPORT is for UDP sockets and listeners",
                        what);
  return 0;
}

/* ---------------------------------------------------- data transfer */

static int sock__usable(const riox_sock *sock, const char *what) {
  if (sock == NULL) return error_detail(RIOX_EINVAL, "%s: sock is NULL", what);
  if (sock->state == SK_CLOSING) return error_detail(RIOX_ECLOSING, "%s: socket is closing", what);
  if (sock->kind == SK_TCP_LISTEN)
    return error_detail(RIOX_EPROTO, "%s: not allowed on a listener", what);
  if (sock->mode != SK_MODE_COMPLETION) return sock_check_mode(sock, SK_MODE_COMPLETION, what);
  if (sock->kind == SK_TCP && !sock->connected)
    return error_detail(RIOX_ENOTCONN, "%s: TCP socket is not connected", what);
  return 0;
}

static int sock__check_buf(riox_sock *sock, const char *data, uint32_t len, const char *what) {
  uint32_t slot, region, offset;
  if (data == NULL) return error_detail(RIOX_EINVAL, "%s: buffer is NULL", what);
  if (pool_locate(&sock->loop->pool, data, len, &slot, &region, &offset) < 0)
    return error_detail(RIOX_EINVAL,
                        "%s: [%p, +%u) is not inside one in-use buffer of this loop's pool "
                        "(buffers are %u bytes; get them with riox_buf_get)",
                        what, (const void *)data, len, sock->loop->pool.buf_size);
  return 0;
}

int riox_recv(riox_sock *sock, char *buf, uint32_t cap, void *ctx) {
  req_t *req;
  int rc = sock__usable(sock, "riox_recv");
  if (rc < 0) return rc;
  if (cap == 0) return error_detail(RIOX_EINVAL, "riox_recv: capacity 0");
  rc = sock__check_buf(sock, buf, cap, "riox_recv");
  if (rc == 0) rc = sock_attach(sock);
  if (rc < 0) return rc;
  req = loop_req_alloc(sock->loop, sock, REQ_RECV, NULL);
  if (req == NULL) return loop_req_error(sock->loop, "riox_recv");
  req->user = 1;
  req->ctx = ctx;
  req->data = buf;
  req->len = cap;
  list_insert_tail(&sock->rx_order, &req->order); /* see "Stream order" */
  rc = sock->loop->be->recv(sock, req);
  if (rc < 0) {
    list_remove(&req->order);
    loop_req_free(sock->loop, req);
  }
  return rc;
}

/* riox_sendmsg's extras (riox.h, "Segmentation offload", "Local
 * addresses"), checked before anything is taken; NULL for the plain calls. */
static int sock__msg_check(const riox_sock *sock, uint32_t len, const riox_msg *msg,
                           const char *what) {
  uint32_t i;
  if (msg == NULL) return 0;
  for (i = 0; i < sizeof msg->reserved / sizeof msg->reserved[0]; i++)
    if (msg->reserved[i] != 0) return error_detail(RIOX_EINVAL, "%s: msg.reserved is not zero", what);
  if (msg->seg_size != 0 && msg->seg_size < len &&
      (len + msg->seg_size - 1) / msg->seg_size > RIOX_MAX_SEGMENTS)
    return error_detail(RIOX_EMSGSIZE, "%s: %u bytes in datagrams of %u make more than %u datagrams",
                        what, len, msg->seg_size, RIOX_MAX_SEGMENTS);
  if (msg->from != NULL) {
    const riox_addr *f = msg->from;
    if (f->family != RIOX_AF_INET && f->family != RIOX_AF_INET6)
      return error_detail(RIOX_EINVAL, "%s: msg.from has address family %u", what,
                          (unsigned)f->family);
    /* A dual-stack socket sends from an IPv4 address too (as ::ffff:a.b.c.d). */
    if ((f->family == RIOX_AF_INET6) != (sock->family == AF_INET6) &&
        !(f->family == RIOX_AF_INET && (sock->flags & RIOX_SOCK_DUALSTACK)))
      return error_detail(RIOX_EAFNOSUPPORT, "%s: msg.from is IPv%u, the socket IPv%u", what,
                          (unsigned)f->family, sock->family == AF_INET6 ? 6u : 4u);
  } else if (msg->ifindex != 0) {
    return error_detail(RIOX_EINVAL, "%s: msg.ifindex without msg.from", what);
  }
  return 0;
}

static int sock__send(riox_sock *sock, char *data, uint32_t len, const riox_addr *to,
                      const riox_msg *msg, uint32_t flags, void *ctx, const char *what) {
  req_t *req;
  int rc;
  uint32_t max = sock_udp_max(sock);
  if (flags & ~(uint32_t)RIOX_SEND_DEFER)
    return error_detail(RIOX_EINVAL, "%s: unknown flags 0x%x", what, flags);
  if (sock->kind == SK_TCP) {
    if (sock->shut_wr) return error_detail(RIOX_ESHUTDOWN, "%s: riox_shutdown was called", what);
    if (len == 0) return error_detail(RIOX_EINVAL, "%s: zero-length TCP send", what);
  } else if (len > max) {
    return error_detail(RIOX_EMSGSIZE, "%s: %u bytes exceed the UDP maximum of %u", what, len, max);
  }
  rc = sock__msg_check(sock, len, msg, what);
  if (rc == 0) rc = sock__check_buf(sock, data, len, what);
  if (rc == 0) rc = sock_attach(sock);
  if (rc < 0) return rc;
  req = loop_req_alloc(sock->loop, sock, REQ_SEND, NULL);
  if (req == NULL) return loop_req_error(sock->loop, what);
  req->user = 1;
  req->ctx = ctx;
  req->data = data;
  req->len = len;
  if (msg != NULL) {
    req->seg_size = msg->seg_size < len ? msg->seg_size : 0;
    if (msg->from != NULL) {
      req->local = *msg->from;
      req->local.port = 0;
      req->ifindex = msg->ifindex;
    }
  }
  if (to != NULL) {
    rc = os_req_set_addr(req, to, sock->family);
    if (rc < 0) {
      loop_req_free(sock->loop, req);
      return rc;
    }
    req->has_addr = 1;
  }
  sock->sends_pending++;
  if (sock->kind == SK_TCP) {
    /* Stream order: only the first waiting send goes to the OS. */
    req->defer = (uint8_t)((flags & RIOX_SEND_DEFER) != 0);
    req->flush_gen = sock->loop->flush_gen;
    list_insert_tail(&sock->tx_order, &req->order);
    if (sock__first_untaken(sock) != req) return 0;
    req->issued = 1;
  }
  rc = sock->loop->be->send(sock, req, flags);
  if (rc < 0) {
    sock->sends_pending--;
    list_remove(&req->order);
    loop_req_free(sock->loop, req);
  }
  return rc;
}

int riox_send(riox_sock *sock, char *data, uint32_t len, uint32_t flags, void *ctx) {
  int rc = sock__usable(sock, "riox_send");
  if (rc < 0) return rc;
  if (sock->kind == SK_UDP && !sock->connected)
    return error_detail(RIOX_ENOTCONN, "riox_send: UDP socket is not connected; use riox_sendto");
  return sock__send(sock, data, len, NULL, NULL, flags, ctx, "riox_send");
}

int riox_sendmsg(riox_sock *sock, char *data, uint32_t len, const riox_msg *msg, uint32_t flags,
                 void *ctx) {
  int rc = sock__usable(sock, "riox_sendmsg");
  if (rc < 0) return rc;
  if (sock->kind != SK_UDP) return error_detail(RIOX_EPROTO, "riox_sendmsg: not a UDP socket");
  if (msg != NULL && msg->to != NULL) {
    if (msg->to->port == 0) return error_detail(RIOX_EINVAL, "riox_sendmsg: destination port 0");
  } else if (!sock->connected) {
    return error_detail(RIOX_ENOTCONN,
                        "riox_sendmsg: UDP socket is not connected and msg.to is NULL");
  }
  return sock__send(sock, data, len, msg != NULL ? msg->to : NULL, msg, flags, ctx, "riox_sendmsg");
}

int riox_sendto(riox_sock *sock, char *data, uint32_t len, const riox_addr *to, uint32_t flags,
                void *ctx) {
  int rc = sock__usable(sock, "riox_sendto");
  if (rc < 0) return rc;
  if (sock->kind != SK_UDP) return error_detail(RIOX_EPROTO, "riox_sendto: not a UDP socket");
  if (to == NULL) return error_detail(RIOX_EINVAL, "riox_sendto: destination is NULL");
  if (to->port == 0) return error_detail(RIOX_EINVAL, "riox_sendto: destination port 0");
  return sock__send(sock, data, len, to, NULL, flags, ctx, "riox_sendto");
}

int sock_icmp_report(const riox_sock *sock, int status) {
  if (sock->kind != SK_UDP || (sock->flags & RIOX_UDP_REPORT_UNREACH) ||
      sock->state == SK_CLOSING)
    return 0;
  status = sock_udp_icmp_status(sock, status);
  return status == RIOX_ECONNRESET || status == RIOX_ENETUNREACH || status == RIOX_EHOSTUNREACH;
}

/* Three rules keep the swallow from spinning (a re-post that failed at once
 * used to come straight back here through the inline list, for ever):
 *  - only a completion's status is an ICMP report; a post that failed at
 *    once (req->post_failed) is the request's outcome and is delivered;
 *  - the re-post waits for the next wait (sock_run_reposts), so the dispatch
 *    that swallowed the report finishes first;
 *  - after SOCK_ICMP_SWALLOW_MAX reports in a row on one socket (no datagram
 *    in between), the next one is delivered, so a flood of reports still
 *    reaches the application now and then. */
int sock_recv_swallow(req_t *req, int status) {
  riox_sock *sock = req->sock;
  if (req->post_failed || !sock_icmp_report(sock, status)) return 0;
  if (sock->icmp_streak >= SOCK_ICMP_SWALLOW_MAX) {
    sock->icmp_streak = 0;
    return 0;
  }
  sock->icmp_streak++;
  sock->loop->stats.icmp_errors++;
  if (!OS_REPOST_KEEPS_PLACE) {
    list_remove(&req->order);
    list_insert_tail(&sock->rx_order, &req->order);
  }
  list_insert_tail(&sock->loop->reposts, &req->node);
  return 1;
}

void sock_run_reposts(riox_loop *loop) {
  list_node_t batch, *node;
  if (list_empty(&loop->reposts)) return;
  /* Take the list as it is now: what these posts queue waits for the next
   * wait in its turn. */
  list_take_all(&batch, &loop->reposts);
  while ((node = list_pop_front(&batch)) != NULL) {
    req_t *req = container_of(node, req_t, node);
    riox_sock *sock = req->sock;
    int rc;
    if (sock->state == SK_CLOSING) {
      sock_io_complete(loop, req, RIOX_ECANCELED, 0);
      continue;
    }
    rc = loop->be->recv(sock, req);
    /* Refused before reaching the OS (e.g. RIO queue growth): that is the
     * receive's outcome. */
    if (rc < 0) sock_io_complete(loop, req, rc, 0);
  }
}

int sock_udp_icmp_status(const riox_sock *sock, int status) {
  /* Windows says ECONNRESET; Wine (connected sockets) says ECONNREFUSED. */
  return sock->kind == SK_UDP && status == RIOX_ECONNREFUSED ? RIOX_ECONNRESET : status;
}

/* A partial TCP send, or one datagram of a UDP send split in software
 * (req->seg_size): the rest goes next. A closing socket's rest is not sent:
 * the event reports the bytes that went (TCP) or, for UDP, the datagrams. */
int sock_send_continue(req_t *req, int status, uint32_t bytes) {
  riox_sock *sock = req->sock;
  if (status != 0 || req->done + bytes >= req->len || sock->state == SK_CLOSING) return 0;
  if (sock->kind == SK_TCP) {
    if (bytes == 0) return 0;
  } else if (req->seg_size == 0 || bytes != sock_seg_next(req)) {
    return 0; /* one datagram, or the OS took the whole (offloaded) send */
  }
  req->done += bytes;
  return 1;
}

uint32_t sock_seg_next(const req_t *req) {
  uint32_t left = req->len - req->done;
  return req->seg_size != 0 && req->seg_size < left ? req->seg_size : left;
}

/* --------------------------------------------------------- stream order
 *
 * On a TCP connection the events of each direction reach the application
 * in posting order, which on a stream is the order in which the OS fills
 * the receives and takes the sends -- whatever path a completion takes: a
 * port packet, the loop's inline list (FILE_SKIP_COMPLETION_PORT_ON_SUCCESS,
 * a post the OS refused at once, a cancel), or a RIO completion queue. By
 * construction: every TCP receive and send joins its direction's list
 * (rx_order, tx_order) when it is posted and leaves it only when its event
 * is queued; a completion that overtakes an older one waits in the list,
 * finished, until the older ones are queued (the inline list runs before
 * the port is read and before a RIO CQ is drained, so without this a
 * receive completed inside its post came before an older one's packet).
 *
 * Sends go one step further: the OS holds at most one send of a TCP socket,
 * the first of tx_order; the next is handed over when it is done. An
 * overlapped send should complete only once its buffer is consumed (WSPSend),
 * but one that completes with fewer bytes is continued (sock_send_continue),
 * and its tail must reach the stream before any later byte: had a later
 * send been in the OS already, no re-issue could have kept the stream in
 * order. The price is the OS's own pipelining of one socket's sends: IOCP
 * completes a send once it is buffered, so little is lost there. A backend
 * whose send reports its event later than the OS took its bytes (uring's
 * SEND_ZC: the event waits until the kernel lets go of the slot) says so
 * with sock_send_taken, and the next send goes then: still only one send
 * is taking bytes at a time, and the events stay in posting order.
 *
 * UDP receives join rx_order too: the k-th datagram fills the k-th receive
 * wherever the OS keeps its receives in a queue, but a cancel's completions
 * come in no promised order (Wine completes them newest first). A receive
 * re-posted after a swallowed ICMP report keeps its place where the backend
 * can put it back in front (OS_REPOST_KEEPS_PLACE: Linux's backends hold
 * back the socket's later receives until it is back); elsewhere it joins
 * the end, as the OS now has it behind the others. */

/* The event of a finished receive or send: builds it, counts, frees req. */
static void sock__event(riox_loop *loop, req_t *req, int status, uint32_t bytes) {
  riox_sock *sock = req->sock;
  riox_event *ev;
  /* A socket riox is closing: whatever code the OS ended its requests with
   * (STATUS_CANCELLED, STATUS_LOCAL_DISCONNECT, Wine's broken pipe after the
   * FIN...) means cancelled (riox.h, "Socket lifecycle"); the RIO backend's
   * dispatch does the same for RIO's codes. */
  if (sock->state == SK_CLOSING && status < 0 && status != RIOX_EOF && status != RIOX_EMSGSIZE)
    status = RIOX_ECANCELED;
  if (req->kind == REQ_RECV) {
    if (sock->kind == SK_TCP && status == 0 && bytes == 0) status = RIOX_EOF;
    status = sock_udp_icmp_status(sock, status);
    if (status == 0 || status == RIOX_EMSGSIZE) sock->icmp_streak = 0;
    ev = loop_push_event(loop, RIOX_EV_RECV, sock, req->ctx, status);
    ev->data = req->data;
    ev->len = bytes;
    if (sock->kind == SK_UDP && req->has_addr && (status == 0 || status == RIOX_EMSGSIZE))
      os_req_addr(req, &ev->addr);
    else if (sock->connected)
      ev->addr = sock->peer;
    if (sock->kind == SK_UDP && (status == 0 || status == RIOX_EMSGSIZE)) {
      ev->seg_size = req->seg_size != 0 && req->seg_size < bytes ? req->seg_size : bytes;
      ev->local = req->local;
      ev->ifindex = req->ifindex;
    }
    if (status == 0 || status == RIOX_EMSGSIZE) {
      loop->stats.recv_ops++;
      loop->stats.recv_bytes += bytes;
    }
    loop_req_free(loop, req);
    return;
  }
  /* REQ_SEND */
  req->done += bytes;
  /* A UDP send split in software that a close stopped part way: the
   * datagrams before ev.len went out, the rest never will (cancelled). */
  if (sock->kind == SK_UDP && status == 0 && req->done < req->len) status = RIOX_ECANCELED;
  ev = loop_push_event(loop, RIOX_EV_SEND, sock, req->ctx, status);
  ev->data = req->data;
  ev->len = req->done;
  if (status == 0) {
    loop->stats.send_ops++;
    loop->stats.send_bytes += req->done;
  }
  sock->sends_pending--;
  if (sock->sends_pending == 0) sock_send_drained(sock);
  loop_req_free(loop, req);
}

/* The oldest send of the connection still to take bytes from the stream's
 * point of view: neither finished (waiting for an older one's event) nor
 * taken whole by the OS (sock_send_taken); NULL when there is none. Without
 * taken sends this is the first of tx_order. */
static req_t *sock__first_untaken(riox_sock *sock) {
  list_node_t *node;
  for (node = sock->tx_order.next; node != &sock->tx_order; node = node->next) {
    req_t *req = container_of(node, req_t, order);
    if (!req->taken && !req->finished) return req;
  }
  return NULL;
}

void sock_send_taken(req_t *req) {
  req->taken = 1;
  sock__send_next(req->sock);
}

/* A TCP send posted with RIOX_SEND_DEFER and not flushed since (no
 * riox_flush, no riox_wait): the backend is to hold it back. */
static int sock__held(const req_t *req) {
  return req->defer && req->flush_gen == req->sock->loop->flush_gen;
}

/* The first waiting TCP send goes to the backend, once the one before it
 * is reported (or its bytes are all in the stream: sock_send_taken). A
 * refusal is its completion, in order like any other. A
 * closing connection's sends go on while riox_close lingers for them (the
 * close flushes them), until one fails or is cancelled: a later one then
 * never goes out, so the peer's stream has no hole (riox.h, riox_close). */
static void sock__send_next(riox_sock *sock) {
  riox_loop *loop = sock->loop;
  req_t *req = sock__first_untaken(sock);
  int rc;
  if (req == NULL || req->issued) return;
  req->issued = 1;
  if (sock->state != SK_CLOSING)
    rc = loop->be->send(sock, req, sock__held(req) ? (uint32_t)RIOX_SEND_DEFER : 0u);
  else if (sock->lingering && !sock->tx_broken && sock->s != OS_INVALID_SOCKET)
    rc = loop->be->send(sock, req, 0u);
  else
    rc = RIOX_ECANCELED;
  if (rc < 0) {
    req->complete = sock_io_complete;
    loop_complete_inline(loop, req, rc, 0);
  }
}

/* The sends waiting behind the one in the OS that never reach it: all of
 * them (riox_cancel, a close that does not linger), or, when riox_close
 * lingers, the first one still held by RIOX_SEND_DEFER and every one after
 * it (`from_held`). Each completes with RIOX_ECANCELED, after the one in
 * the OS. */
static void sock__cancel_waiting_sends(riox_sock *sock, int from_held) {
  list_node_t *node, *tmp;
  int cancel = !from_held;
  list_for_each_safe(node, tmp, &sock->tx_order) {
    req_t *req = container_of(node, req_t, order);
    if (req->issued) continue;
    if (!cancel && !sock__held(req)) continue;
    cancel = 1;
    req->issued = 1;
    req->complete = sock_io_complete;
    loop_complete_inline(sock->loop, req, RIOX_ECANCELED, 0);
  }
}

void sock_io_complete(riox_loop *loop, req_t *req, int status, uint32_t bytes) {
  riox_sock *sock = req->sock;
  list_node_t *list = req->kind == REQ_RECV ? &sock->rx_order : &sock->tx_order;
  if (!list_linked(&req->order)) {
    sock__event(loop, req, status, bytes); /* UDP: no stream to keep in order */
    return;
  }
  req->status = status;
  req->bytes = bytes;
  req->finished = 1;
  while (!list_empty(list)) {
    req_t *first = container_of(list->next, req_t, order);
    if (!first->finished) break;
    list_remove(&first->order);
    /* A closing connection's send failed or was cancelled, in stream order:
     * no later send goes out (sock__send_next). */
    if (list == &sock->tx_order && first->status < 0 && sock->state == SK_CLOSING)
      sock->tx_broken = 1;
    sock__event(loop, first, first->status, first->bytes);
  }
  if (list == &sock->tx_order) sock__send_next(sock);
}

/* ---------------------------------------------------- cancel, close */

int riox_cancel(riox_sock *sock) {
  int rc;
  if (sock == NULL) return error_detail(RIOX_EINVAL, "riox_cancel: sock is NULL");
  if (sock->state == SK_CLOSING) return error_detail(RIOX_ECLOSING, "riox_cancel: socket is closing");
  if (sock->attached) {
    rc = sock->loop->be->sock_cancel(sock);
    if (rc < 0) return rc;
  }
  sock__cancel_waiting_sends(sock, 0);
  os_sock_cancel(sock);
  return 0;
}

/* How long riox_close lets a connection's issued sends run before the FIN
 * (riox.h, riox_close); riox_test_set_close_linger_ms shortens it. */
#define SOCK__LINGER_MS 5000u
static uint32_t sock__linger_ms = SOCK__LINGER_MS;

void riox_test_set_close_linger_ms(unsigned ms) {
  sock__linger_ms = ms != 0 ? (uint32_t)ms : SOCK__LINGER_MS;
}

/* The orderly end of a TCP connection riox_close owes the peer. */
int sock_graceful(const riox_sock *sock) {
  return sock->kind == SK_TCP && sock->connected && !sock->aborting;
}

/* Give the OS socket back. A connection is shut down for sending first:
 * Winsock closes gracefully (FIN) only when no receive is pending or the
 * socket was shut down for sending (libuv's uv__tcp_close relies on the
 * same rule), and a receive may be pending here -- on RIO one always may.
 * Its receives are not cancelled first either: cancelling a TCP receive
 * can itself make Windows reset the connection (libuv, uv__tcp_close);
 * closesocket aborts them, each still posts its packet or RIO result
 * (STATUS_CANCELLED or similar), which is how pending reaches 0.
 * `cancel`: sends are still in flight (the linger bound passed, or the loop
 * is closing); they are cancelled, as closesocket alone does not end them
 * under Wine (their packets never come) and Windows documents no order.
 * Sockets without a connection (UDP, listeners, a connect in progress) and
 * aborted ones are cancelled, then closed, as before. */
static void sock__os_close(riox_sock *sock, int cancel) {
  riox_loop *loop = sock->loop;
  int graceful = sock_graceful(sock);
  if (graceful && !sock->fin_sent && os_sock_shutdown_send(sock) == 0) sock->fin_sent = 1;
  if (!graceful || cancel) os_sock_cancel(sock);
  LOOP_OSCALL(loop);
  os_sock_release(sock);
}

void sock_linger_end(riox_sock *sock) {
  if (!sock->lingering) return;
  sock->lingering = 0;
  loop_deadline_clear(sock);
  sock__os_close(sock, 0);
}

void sock_deadline(riox_sock *sock) {
  if (sock->kind == SK_TCP_LISTEN) {
    tcp_accept_retry(sock);
    return;
  }
  /* The linger bound passed (the peer does not read), or riox_loop_close
   * runs every deadline now: the FIN goes after what the OS took, the sends
   * still in flight end RIOX_ECANCELED. */
  if (!sock->lingering) return;
  sock->lingering = 0;
  sock__cancel_waiting_sends(sock, 0);
  sock__os_close(sock, 1);
}

int riox_close(riox_sock *sock) {
  riox_loop *loop;
  if (sock == NULL) return error_detail(RIOX_EINVAL, "riox_close: sock is NULL");
  if (sock->state == SK_CLOSING)
    return error_detail(RIOX_ECLOSING, "riox_close: socket is already closing");
  loop = sock->loop;
  sock->state = SK_CLOSING;
  loop_deadline_clear(sock); /* a listener's accept retry */
  tcp_report_release(sock);  /* ... and the room for its failure report */
  /* IOCP: a send it holds back (deferred, not yet flushed) completes as
   * cancelled; RIO: it is committed, as RIO cannot take a request back. */
  if (sock->attached) (void)loop->be->sock_cancel(sock);
  /* Readiness: the AFD poll is cancelled before the socket goes away; its
   * packet (cancelled or not) still arrives and releases the socket. */
  poll_sock_closing(sock);
  /* closesocket would abort the sends already issued, FIN or not (the
   * closesocket page: pending overlapped sends are cancelled), and an
   * aborted send may leave data untransmitted: let the sends posted so far
   * finish first, in order, within a bound; the FIN follows the last one
   * (sock_send_drained). Sends still held by RIOX_SEND_DEFER are not sent. */
  if (sock_graceful(sock) && sock->sends_pending > 0 &&
      loop_deadline_set(sock, sock__linger_ms) == 0) {
    sock->lingering = 1;
    sock__cancel_waiting_sends(sock, 1);
  } else {
    sock__cancel_waiting_sends(sock, 0);
    sock__os_close(sock, sock->sends_pending > 0); /* no timer: cancel what is left */
  }
  /* A shutdown still waiting for sends runs when they are done (lingering)
   * or will never run (closed): sock_send_drained finishes it. */
  if (sock->shutdown_req != NULL && sock->sends_pending == 0) sock_send_drained(sock);
  /* Hold a reference while checking, so the close event comes exactly once. */
  sock->pending++;
  sock_req_done(sock);
  return 0;
}


int sock_bind(riox_sock *sock, const riox_addr *local) {
  struct sockaddr_storage ss;
  int len, rc;
  riox_addr any;
  if (local == NULL) {
    memset(&any, 0, sizeof any);
    any.family = (uint16_t)(sock->family == AF_INET6 ? RIOX_AF_INET6 : RIOX_AF_INET);
    local = &any;
  }
  rc = sockaddr_from(local, sock->family, &ss, &len);
  if (rc < 0) return rc;
  if (os_bind(sock->s, (struct sockaddr *)&ss, (os_socklen_t)len) != 0) return os_sock_error("bind");
  return 0;
}

int riox_udp_open(riox_loop *loop, const riox_addr *local, const riox_addr *remote,
                  uint32_t flags, void *ctx, riox_sock **out) {
  riox_sock *sock;
  int family = AF_INET, rc;
  if (loop == NULL || out == NULL)
    return error_detail(RIOX_EINVAL, "riox_udp_open: loop and out must not be NULL");
  *out = NULL;
  if (loop->closing) return error_detail(RIOX_ECLOSING, "riox_udp_open: the loop is closing");
  if (remote != NULL && remote->port == 0)
    return error_detail(RIOX_EINVAL, "riox_udp_open: remote port 0");
  rc = sock_flags_check(SK_UDP, flags, "riox_udp_open");
  if (rc == 0) rc = sock_family_for(local, remote, flags, &family);
  if (rc < 0) return rc;
  rc = sock_create(loop, SK_UDP, family, flags, ctx, &sock);
  if (rc < 0) return rc;
  rc = sock_bind(sock, local);
  if (rc == 0 && remote != NULL) {
    struct sockaddr_storage ss;
    int len;
    rc = sockaddr_from(remote, family, &ss, &len);
    if (rc == 0 && os_connect(sock->s, (struct sockaddr *)&ss, (os_socklen_t)len) != 0) rc = os_sock_error("connect");
    if (rc == 0) {
      sock->connected = 1;
      sock->peer = *remote;
    }
  }
  if (rc < 0) {
    sock_discard(sock);
    return rc;
  }
  *out = sock;
  return 0;
}

int riox_sock_local(const riox_sock *sock, riox_addr *out) {
  struct sockaddr_storage ss;
  os_socklen_t len = (os_socklen_t)sizeof ss;
  if (sock == NULL || out == NULL)
    return error_detail(RIOX_EINVAL, "riox_sock_local: sock and out must not be NULL");
  if (sock->s == OS_INVALID_SOCKET)
    return error_detail(RIOX_ECLOSING, "riox_sock_local: socket closed");
  if (os_getsockname(sock->s, (struct sockaddr *)&ss, &len) != 0) return os_sock_error("getsockname");
  return sockaddr_to((struct sockaddr *)&ss, out);
}

int riox_abort(riox_sock *sock) {
  if (sock == NULL) return error_detail(RIOX_EINVAL, "riox_abort: sock is NULL");
  if (sock->state != SK_CLOSING && sock->kind == SK_TCP) {
    os_sock_linger0(sock);
    sock->aborting = 1;
  }
  return riox_close(sock);
}

/* riox_try_*: the checks every non-blocking call makes. */
int sock_try_check(riox_sock *sock, const void *buf, uint32_t len, const char *what) {
  int rc;
  if (sock == NULL) return error_detail(RIOX_EINVAL, "%s: sock is NULL", what);
  if (sock->state == SK_CLOSING) return error_detail(RIOX_ECLOSING, "%s: socket is closing", what);
  if (sock->kind == SK_TCP_LISTEN)
    return error_detail(RIOX_EPROTO, "%s: not allowed on a listener (use riox_try_accept)", what);
  rc = sock_check_mode(sock, SK_MODE_READINESS, what);
  if (rc < 0) return rc;
  if (buf == NULL && len > 0) return error_detail(RIOX_EINVAL, "%s: buffer is NULL", what);
  if (len > (uint32_t)INT_MAX) return error_detail(RIOX_EINVAL, "%s: length %u is too large", what, len);
  /* A connect still in flight is the OS's to judge; one that failed is not
   * connected, whatever error the OS would make up for the call. */
  if (sock->kind == SK_TCP && !sock->connected && sock->state != SK_CONNECTING)
    return error_detail(RIOX_ENOTCONN, "%s: TCP socket is not connected", what);
  return 0;
}

/* A TCP socket whose readiness connect is still in flight has not been
 * seen connected yet; any successful transfer proves it is. */
void sock_try_transferred(riox_sock *sock) {
  if (sock->state == SK_CONNECTING) tcp_connect_settled(sock, 1);
}


/* riox_try_recv on UDP: a failed receive whose status (already RIOX_E*) is
 * an ICMP report follows the policy of riox.h ("UDP and ICMP"), as
 * completion receives do: swallowed (RIOX_EAGAIN) or RIOX_ECONNRESET; 0
 * when it is no ICMP report and the caller maps the OS error. */
int sock_try_icmp(riox_sock *sock, int status) {
  status = sock_udp_icmp_status(sock, status);
  if (status != RIOX_EAGAIN && sock_icmp_report(sock, status)) {
    sock->loop->stats.icmp_errors++;
    error_detail(RIOX_EAGAIN, "riox_try_recv: only an ICMP error was pending");
    return RIOX_EAGAIN;
  }
  if (status == RIOX_ECONNRESET) return error_detail(status, "riox_try_recv: ICMP unreachable reported");
  return 0;
}

/* riox_try_recv on UDP: the datagram's source (the peer of a connected
 * socket when the OS gave none). */
void sock_try_from(const riox_sock *sock, const struct sockaddr_storage *ss, riox_addr *from) {
  if (from == NULL) return;
  if (sock->connected && ss->ss_family == 0)
    *from = sock->peer;
  else
    (void)sockaddr_to((const struct sockaddr *)ss, from);
}

/* riox_try_send: every check before the OS call, and the destination of an
 * unconnected UDP send in *ss (*sslen 0 when the socket's own peer is meant:
 * a TCP send or a connected UDP socket). */
int sock_try_send_check(riox_sock *sock, const void *data, uint32_t len, const riox_addr *to,
                        struct sockaddr_storage *ss, int *sslen) {
  int rc = sock_try_check(sock, data, len, "riox_try_send");
  *sslen = 0;
  if (rc < 0) return rc;
  if (sock->kind == SK_TCP) {
    if (len == 0) return error_detail(RIOX_EINVAL, "riox_try_send: zero-length TCP send");
    if (to != NULL) return error_detail(RIOX_EINVAL, "riox_try_send: a TCP send takes no destination");
    if (sock->shut_wr) return error_detail(RIOX_ESHUTDOWN, "riox_try_send: riox_shutdown was called");
    return 0;
  }
  if (len > sock_udp_max(sock))
    return error_detail(RIOX_EMSGSIZE, "riox_try_send: %u bytes exceed the UDP maximum of %u", len,
                        sock_udp_max(sock));
  if (to == NULL)
    return sock->connected ? 0
                           : error_detail(RIOX_ENOTCONN,
                                          "riox_try_send: UDP socket is not connected; pass a destination");
  if (to->port == 0) return error_detail(RIOX_EINVAL, "riox_try_send: destination port 0");
  return sockaddr_from(to, sock->family, ss, sslen);
}

/* riox_try_send: count what the OS took (n >= 0 bytes). */
int sock_try_sent(riox_sock *sock, int n) {
  if (sock->kind == SK_TCP) sock_try_transferred(sock);
  sock->loop->stats.send_ops++;
  sock->loop->stats.send_bytes += (uint64_t)n;
  return n;
}

/* riox_try_accept: the checks before the OS call. */
int sock_try_accept_check(riox_sock *listener, riox_sock **out) {
  if (out != NULL) *out = NULL;
  if (listener == NULL || out == NULL)
    return error_detail(RIOX_EINVAL, "riox_try_accept: listener and out must not be NULL");
  if (listener->kind != SK_TCP_LISTEN) return error_detail(RIOX_EPROTO, "riox_try_accept: not a listener");
  if (listener->state == SK_CLOSING)
    return error_detail(RIOX_ECLOSING, "riox_try_accept: listener is closing");
  return sock_check_mode(listener, SK_MODE_READINESS, "riox_try_accept");
}

/* riox_try_accept: conn was adopted; its peer from ss, counted. */
void sock_try_accepted(riox_sock *listener, riox_sock *conn, const struct sockaddr_storage *ss,
                       riox_addr *peer, riox_sock **out) {
  (void)sockaddr_to((const struct sockaddr *)ss, &conn->peer);
  if (peer != NULL) *peer = conn->peer;
  listener->loop->stats.accepts++;
  *out = conn;
}
