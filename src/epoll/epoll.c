/* The epoll backend: completion served from readiness, IOCP's twin on
 * Linux. Every socket with I/O is registered once, edge-triggered, for
 * reading and writing; the backend remembers what the kernel said
 * (rd_ready, wr_ready: set by an edge, cleared by EAGAIN) and fills the
 * requests it holds when it can:
 *  - UDP receives posted on a socket are filled by recvmmsg batches, each
 *    datagram into the next posted slot;
 *  - UDP sends are written by sendmmsg batches: a send without
 *    RIOX_SEND_DEFER at once, deferred ones at the next flush (riox_flush,
 *    or the start of riox_wait); a segmented send (riox_sendmsg) is one
 *    entry with UDP_SEGMENT, or one entry per datagram where riox splits it
 *    (src/linux/udp_msg.c); receives and sends carry their control messages
 *    (UDP_GRO, PKTINFO) in req->ctl;
 *  - TCP receives and the one TCP send the core lets out at a time
 *    (src/core/sock.c, "Stream order") use recv/send;
 *  - a listener's accept requests take connections with accept4, a
 *    connect in progress settles on writable (SO_ERROR).
 * The epoll instance, with the wake eventfd and readiness sockets in it,
 * is this backend's (ready.c).
 * Nothing is ever in the kernel on riox's behalf, so a cancel or a close
 * ends the requests the backend holds, as cancelled. Completions run
 * inside riox_wait (the wait, the flush, or the work list before the
 * wait), never inside the call that posted them. */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "linux.h"

#define EPOLL__EVENTS 256
#define EPOLL__BATCH 64 /* datagrams per recvmmsg/sendmmsg */
#define EPOLL__BATCH_FIRST 4 /* recvmmsg entries a socket starts with */
#define EPOLL__ACCEPT_GONE_MAX 64u /* accept4 retries after lost connections, per pass */

typedef struct epoll_loop {
  struct epoll_event events[EPOLL__EVENTS];
  struct mmsghdr mm[EPOLL__BATCH];
  struct iovec iov[EPOLL__BATCH];
  req_t *reqs[EPOLL__BATCH];
} epoll_loop_t;

/* req->backend_data of a send: bit 63 = held back (RIOX_SEND_DEFER, not
 * flushed yet); the low bits = TCP bytes written so far. */
#define EPOLL__HELD (1ull << 63)

static epoll_loop_t *epoll__of(riox_loop *loop) { return (epoll_loop_t *)loop->be_data; }

/* The loop's epoll instance is this backend's (src/epoll/ready.c). */
static int epoll__loop_init(riox_loop *loop) {
  int rc;
  loop->be_data = calloc(1, sizeof(epoll_loop_t));
  if (loop->be_data == NULL) return error_detail(RIOX_ENOMEM, "no memory for the epoll backend");
  rc = epoll_set_open(loop);
  if (rc < 0) {
    free(loop->be_data);
    loop->be_data = NULL;
  }
  return rc;
}

static int epoll__loop_fini(riox_loop *loop) {
  epoll_set_close(loop);
  free(loop->be_data);
  loop->be_data = NULL;
  return 0; /* the kernel never holds a pool buffer after a call returns */
}

static int epoll__sock_attach(riox_sock *sock) {
  struct epoll_event ev;
  if (sock->in_epoll) return 0;
  memset(&ev, 0, sizeof ev);
  ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
  ev.data.ptr = sock;
  LOOP_OSCALL(sock->loop);
  if (sys_epoll_ctl(sock->loop->epfd, EPOLL_CTL_ADD, sock->s, &ev) != 0)
    return sock_errno_error("epoll_ctl(ADD)");
  sock->in_epoll = 1;
  sock->wr_ready = 1; /* a fresh socket can write; EAGAIN says otherwise */
  return 0;
}

static void epoll__sock_detach(riox_sock *sock) {
  if (sock->dirty) {
    list_remove(&sock->work);
    sock->dirty = 0;
  }
  /* close() removed it from the interest list already when s is gone. */
  if (sock->in_epoll && sock->s >= 0) (void)sys_epoll_ctl(sock->loop->epfd, EPOLL_CTL_DEL, sock->s, NULL);
  sock->in_epoll = 0;
}

/* The completion of a request taken off a queue (an OS result). */
static void epoll__done(riox_loop *loop, req_t *req, int status, uint32_t bytes) {
  loop->stats.completions++;
  req->complete(loop, req, status, bytes);
}

/* End every request of `q` (or only those held back, from the first
 * held one on) as cancelled, in the next riox_wait. */
static void epoll__cancel_queue(riox_loop *loop, list_node_t *q, int held_only) {
  list_node_t *node, *tmp;
  list_for_each_safe(node, tmp, q) {
    req_t *req = container_of(node, req_t, node);
    /* From the first held one on, held or not: the events of a socket's
     * sends come in posting order (test_regress_epoll_cancel_held_send_order). */
    if (held_only && !(req->backend_data & EPOLL__HELD)) continue;
    held_only = 0;
    list_remove(node);
    /* A UDP send riox was splitting reports the datagrams that went. */
    loop_complete_inline(loop, req, RIOX_ECANCELED,
                         req->kind == REQ_SEND && req->sock->kind == SK_UDP
                             ? (uint32_t)(req->backend_data & ~EPOLL__HELD)
                             : 0u);
  }
}

/* riox_cancel/riox_close: the sends still held back by RIOX_SEND_DEFER are
 * cancelled (as IOCP does); everything else is ended by sock_abort_io. */
static int epoll__sock_cancel(riox_sock *sock) {
  epoll__cancel_queue(sock->loop, &sock->txq, 1);
  return 0;
}

static void epoll__sock_abort_io(riox_sock *sock) {
  epoll__cancel_queue(sock->loop, &sock->rxq, 0);
  epoll__cancel_queue(sock->loop, &sock->txq, 0);
}

/* ------------------------------------------------------------- receive */

static void epoll__recv_done(riox_loop *loop, req_t *req, int status, uint32_t bytes) {
  /* A swallowed ICMP report: the receive is re-posted at the next wait,
   * and keeps its place: no datagram is read into a later receive before
   * it is back (epoll__rx_udp, epoll__recv). */
  if (sock_recv_swallow(req, status)) {
    req->ring_again = 1;
    req->sock->rx_wait++;
    return;
  }
  sock_io_complete(loop, req, status, bytes);
}

static void epoll__rx_udp(riox_sock *sock) {
  riox_loop *loop = sock->loop;
  epoll_loop_t *el = epoll__of(loop);
  while (sock->rd_ready && !list_empty(&sock->rxq) && sock->rx_wait == 0) {
    list_node_t *node = sock->rxq.next;
    int n = 0, got, i;
    /* As many entries as the last call suggests, not every posted receive:
     * preparing 32 entries for the one datagram an edge brings cost more
     * than the call itself (scripts/bench-instr.sh). Doubled while calls
     * come back full, halved when they come back mostly empty. */
    int want = sock->rx_batch != 0 ? sock->rx_batch : EPOLL__BATCH_FIRST;
    while (node != &sock->rxq && n < want) {
      req_t *req = container_of(node, req_t, node);
      struct msghdr *m = &el->mm[n].msg_hdr;
      el->iov[n].iov_base = req->data;
      el->iov[n].iov_len = req->len;
      memset(m, 0, sizeof *m);
      m->msg_name = &req->addr;
      m->msg_namelen = sizeof req->addr;
      m->msg_iov = &el->iov[n];
      m->msg_iovlen = 1;
      if (sock->udp_cmsg) { /* UDP_GRO, PKTINFO: linux_udp_ctl_recv */
        m->msg_control = req->ctl;
        m->msg_controllen = sizeof req->ctl;
      }
      el->reqs[n++] = req;
      node = node->next;
    }
    LOOP_OSCALL(loop);
    got = sys_recvmmsg(sock->s, el->mm, (unsigned)n, MSG_DONTWAIT, NULL);
    if (got < 0) {
      int e = errno;
      if (e == EAGAIN || e == EWOULDBLOCK) {
        sock->rd_ready = 0;
        return;
      }
      if (e == EINTR) continue;
      /* A pending error (an ICMP report on a connected socket): the
       * receive at the head gets it. */
      list_remove(&el->reqs[0]->node);
      epoll__done(loop, el->reqs[0], error_detail(error_from_errno(e), "recvmmsg: errno %d", e), 0);
      continue;
    }
    for (i = 0; i < got; i++) {
      req_t *req = el->reqs[i];
      int trunc = (el->mm[i].msg_hdr.msg_flags & MSG_TRUNC) != 0;
      list_remove(&req->node);
      req->has_addr = 1;
      if (sock->udp_cmsg)
        linux_udp_ctl_recv(sock, req, req->ctl, el->mm[i].msg_hdr.msg_controllen);
      epoll__done(loop, req, trunc ? RIOX_EMSGSIZE : 0, el->mm[i].msg_len);
    }
    if (got == n && n == want && want < EPOLL__BATCH)
      sock->rx_batch = (uint8_t)(want * 2);
    else if (got * 4 <= n && want > EPOLL__BATCH_FIRST)
      sock->rx_batch = (uint8_t)(want / 2);
    if (got < n) sock->rd_ready = 0; /* the queue ran dry before the slots did */
  }
}

static void epoll__rx_tcp(riox_sock *sock) {
  riox_loop *loop = sock->loop;
  while (sock->rd_ready && !list_empty(&sock->rxq)) {
    req_t *req = container_of(sock->rxq.next, req_t, node);
    ssize_t n;
    LOOP_OSCALL(loop);
    n = sys_recv(sock->s, req->data, req->len, MSG_DONTWAIT);
    if (n < 0) {
      int e = errno;
      if (e == EINTR) continue;
      if (e == EAGAIN || e == EWOULDBLOCK) {
        sock->rd_ready = 0;
        return;
      }
      list_remove(&req->node);
      epoll__done(loop, req, error_detail(error_from_errno(e), "recv: errno %d", e), 0);
      continue;
    }
    list_remove(&req->node);
    epoll__done(loop, req, 0, (uint32_t)n); /* 0 bytes: end of stream */
  }
}

static void epoll__rx_accept(riox_sock *listener) {
  riox_loop *loop = listener->loop;
  unsigned gone = 0; /* connections gone before they were taken, in a row */
  while (listener->rd_ready && !list_empty(&listener->rxq)) {
    req_t *req = container_of(listener->rxq.next, req_t, node);
    int fd;
    req->addrlen = (socklen_t)sizeof req->addr;
    LOOP_OSCALL(loop);
    fd = sys_accept4(listener->s, (struct sockaddr *)&req->addr, &req->addrlen, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      int e = errno;
      if (e == EAGAIN || e == EWOULDBLOCK) {
        listener->rd_ready = 0;
        return;
      }
      /* The connection went away before it was taken: try the next one. */
      /* A burst at most: then the request fails with it, and the core
       * decides (src/core/tcp.c, tcp_accept_completed). */
      if ((e == EINTR || e == ECONNABORTED || e == EPROTO) && ++gone <= EPOLL__ACCEPT_GONE_MAX)
        continue;
      /* Out of descriptors or memory: the core re-posts on a back-off. */
      list_remove(&req->node);
      epoll__done(loop, req, error_detail(error_from_errno(e), "accept4: errno %d", e), 0);
      continue;
    }
    list_remove(&req->node);
    req->accept_fd = fd;
    epoll__done(loop, req, 0, 0);
  }
}

/* ---------------------------------------------------------------- send */

/* UDP sends: each request is one entry of a sendmmsg batch -- one
 * datagram, or a segmented send with UDP_SEGMENT (the kernel cuts it) --
 * or, split by riox (no GSO here, RIOX_UDP_OFFLOAD=0, or the kernel refused
 * this one: linux_udp_gso_refused), one entry per datagram, so a split
 * send still costs one call per batch, not one per datagram. The bytes of
 * a request already sent are in backend_data's low bits (as for TCP); its
 * event comes when the last datagram went, with every byte. `inline_done`:
 * called from the post (riox_send/riox_sendmsg), whose completions wait for
 * the next riox_wait (loop_complete_inline). */
static void epoll__tx_finish(riox_loop *loop, req_t *req, int status, uint32_t bytes,
                             int inline_done) {
  list_remove(&req->node);
  req->backend_data = 0;
  if (inline_done) {
    loop->stats.completions++;
    loop_complete_inline(loop, req, status, bytes);
  } else {
    epoll__done(loop, req, status, bytes);
  }
}

static void epoll__tx_udp(riox_sock *sock, int flushing, int inline_done) {
  riox_loop *loop = sock->loop;
  epoll_loop_t *el = epoll__of(loop);
  while (sock->wr_ready && !list_empty(&sock->txq)) {
    list_node_t *node = sock->txq.next;
    int n = 0, sent, i;
    while (node != &sock->txq && n < EPOLL__BATCH) {
      req_t *req = container_of(node, req_t, node);
      uint32_t off = (uint32_t)(req->backend_data & ~EPOLL__HELD);
      int gso = linux_udp_gso(sock, req);
      size_t ctl;
      if ((req->backend_data & EPOLL__HELD) && !flushing) break;
      ctl = req->local.family != 0 || gso ? linux_udp_ctl_send(sock, req, gso) : 0;
      do { /* one entry, or one per datagram left when riox splits it */
        struct msghdr *m = &el->mm[n].msg_hdr;
        uint32_t part = req->len - off;
        if (!gso && req->seg_size != 0 && part > req->seg_size) part = req->seg_size;
        el->iov[n].iov_base = req->data + off;
        el->iov[n].iov_len = part;
        memset(m, 0, sizeof *m);
        if (req->has_addr) {
          m->msg_name = &req->addr;
          m->msg_namelen = req->addrlen;
        }
        m->msg_iov = &el->iov[n];
        m->msg_iovlen = 1;
        if (ctl != 0) {
          m->msg_control = req->ctl;
          m->msg_controllen = ctl;
        }
        el->reqs[n++] = req;
        off += part;
      } while (off < req->len && n < EPOLL__BATCH);
      node = node->next;
    }
    if (n == 0) return;
    LOOP_OSCALL(loop);
    sent = sys_sendmmsg(sock->s, el->mm, (unsigned)n, MSG_DONTWAIT | MSG_NOSIGNAL);
    if (sent < 0) {
      int e = errno;
      req_t *req = el->reqs[0];
      if (e == EINTR) continue;
      if (e == EAGAIN || e == EWOULDBLOCK) {
        sock->wr_ready = 0;
        return;
      }
      if (linux_udp_gso(sock, req) && linux_udp_gso_refused(e)) {
        req->udp_soft = 1; /* again, split by riox */
        continue;
      }
      /* This datagram failed (e.g. an ICMP report on a connected socket);
       * the rest go on. */
      epoll__tx_finish(loop, req, error_detail(error_from_errno(e), "sendmmsg: errno %d", e),
                       (uint32_t)(req->backend_data & ~EPOLL__HELD), inline_done);
      continue;
    }
    for (i = 0; i < sent; i++) {
      req_t *req = el->reqs[i];
      uint64_t done = (req->backend_data & ~EPOLL__HELD) + el->mm[i].msg_len;
      req->backend_data = done;
      /* A UDP send takes all of its bytes or fails: the request's last
       * entry brings done to len (an empty datagram: at once). */
      if (done >= req->len) epoll__tx_finish(loop, req, 0, (uint32_t)done, inline_done);
    }
  }
}

static void epoll__tx_tcp(riox_sock *sock, int flushing) {
  riox_loop *loop = sock->loop;
  while (sock->wr_ready && !list_empty(&sock->txq)) {
    req_t *req = container_of(sock->txq.next, req_t, node);
    uint64_t done = req->backend_data & ~EPOLL__HELD;
    ssize_t n;
    if (req->kind == REQ_CONNECT) {
      int err = 0;
      socklen_t len = sizeof err;
      list_remove(&req->node);
      LOOP_OSCALL(loop);
      if (sys_getsockopt(sock->s, SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = errno;
      epoll__done(loop, req,
                  err == 0 ? 0 : error_detail(error_from_errno(err), "connect: errno %d", err), 0);
      continue;
    }
    if ((req->backend_data & EPOLL__HELD) && !flushing) return;
    LOOP_OSCALL(loop);
    n = sys_stream_send(sock->s, req->data + done, req->len - done, MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n < 0) {
      int e = errno;
      if (e == EINTR) continue;
      if (e == EAGAIN || e == EWOULDBLOCK) {
        sock->wr_ready = 0;
        req->backend_data = done; /* flushed: it goes when the socket can write */
        return;
      }
      list_remove(&req->node);
      epoll__done(loop, req, error_detail(error_from_errno(e), "send: errno %d", e), (uint32_t)done);
      continue;
    }
    done += (uint64_t)n;
    req->backend_data = done;
    if (done < req->len) continue;
    list_remove(&req->node);
    req->backend_data = 0;
    epoll__done(loop, req, 0, (uint32_t)done);
  }
}

/* ---------------------------------------------------------------- I/O */

static void epoll__io(riox_sock *sock, int flushing) {
  if (sock->s < 0) return;
  if (sock->kind == SK_UDP) {
    epoll__rx_udp(sock);
    epoll__tx_udp(sock, flushing, 0);
  } else if (sock->kind == SK_TCP_LISTEN) {
    epoll__rx_accept(sock);
  } else {
    epoll__rx_tcp(sock);
    epoll__tx_tcp(sock, flushing);
  }
}

/* The sockets on the work list: posts since the last pass. A socket whose
 * sends are still held back (a pass that is not a flush) stays on the list
 * for the flush that lets them out. Returns the completions it made; a
 * flush also counts in *released the held sends it let out (riox_flush
 * returns that number: "the number issued", riox.h). */
static int epoll__run_work(riox_loop *loop, int flushing, int *released) {
  list_node_t batch, *node;
  uint64_t before = loop->stats.completions;
  list_take_all(&batch, &loop->work);
  while ((node = list_pop_front(&batch)) != NULL) {
    riox_sock *sock = container_of(node, riox_sock, work);
    sock->dirty = 0;
    if (flushing) {
      list_node_t *q;
      for (q = sock->txq.next; q != &sock->txq; q = q->next) {
        req_t *req = container_of(q, req_t, node);
        if (!(req->backend_data & EPOLL__HELD)) continue;
        req->backend_data &= ~EPOLL__HELD;
        (*released)++;
      }
    }
    epoll__io(sock, flushing);
    if (!list_empty(&sock->txq) &&
        (container_of(sock->txq.next, req_t, node)->backend_data & EPOLL__HELD))
      linux_work_add(sock);
  }
  return (int)(loop->stats.completions - before);
}

static int epoll__recv(riox_sock *sock, req_t *req) {
  req->complete = epoll__recv_done;
  req->post_failed = 0;
  if (req->ring_again) {
    req->ring_again = 0; /* back from a swallowed report: first again */
    if (sock->rx_wait > 0) sock->rx_wait--;
    list_insert_tail(sock->rxq.next, &req->node);
  } else {
    list_insert_tail(&sock->rxq, &req->node);
  }
  if (sock->rd_ready) linux_work_add(sock);
  return 0;
}

/* A UDP send without RIOX_SEND_DEFER goes out in the call that posts it,
 * as on IOCP (riox.h: only deferred sends wait for riox_flush or the next
 * riox_wait), unless earlier sends are still queued (datagram order) or the
 * socket cannot write; what the kernel did not take yet (EAGAIN) waits on
 * txq for the socket to be writable. Its completion is still delivered by
 * riox_wait (loop_complete_inline). */
static int epoll__send(riox_sock *sock, req_t *req, uint32_t flags) {
  req->complete = sock_io_complete;
  req->backend_data = (flags & RIOX_SEND_DEFER) ? EPOLL__HELD : 0;
  if (!(flags & RIOX_SEND_DEFER) && sock->kind == SK_UDP && sock->wr_ready &&
      list_empty(&sock->txq)) {
    list_insert_tail(&sock->txq, &req->node);
    epoll__tx_udp(sock, 0, 1);
    if (list_empty(&sock->txq)) return 0;
    linux_work_add(sock);
    return 0;
  }
  list_insert_tail(&sock->txq, &req->node);
  /* Both go on the work list; a plain send is tried before the next wait,
   * held ones at the flush that lets them out. */
  linux_work_add(sock);
  return 0;
}

static int epoll__accept(riox_sock *listener, req_t *req) {
  int rc = sock_attach(listener);
  if (rc < 0) return rc;
  list_insert_tail(&listener->rxq, &req->node);
  if (listener->rd_ready) linux_work_add(listener);
  return 0;
}

static int epoll__connect(riox_sock *sock, req_t *req) {
  int rc = sock_attach(sock);
  if (rc < 0) return rc;
  sock->wr_ready = 0; /* connecting: the edge to writable says it settled */
  list_insert_tail(&sock->txq, &req->node);
  return 0;
}

static int epoll__flush(riox_loop *loop) {
  int released = 0;
  (void)epoll__run_work(loop, 1, &released);
  return released;
}

static int epoll__before_wait(riox_loop *loop, uint32_t *timeout_ms) {
  int n = epoll__run_work(loop, 0, NULL);
  if (n > 0) *timeout_ms = 0;
  return n;
}

static void epoll__wait(riox_loop *loop, uint32_t timeout_ms, uint32_t batch) {
  epoll_loop_t *el = epoll__of(loop);
  int n, i, timeout;
  if (batch > EPOLL__EVENTS) batch = EPOLL__EVENTS;
  timeout = timeout_ms == OS_WAIT_INFINITE ? -1 : timeout_ms > INT_MAX ? INT_MAX : (int)timeout_ms;
  LOOP_OSCALL(loop);
  loop->stats.waits++;
  n = sys_epoll_wait(loop->epfd, el->events, (int)batch, timeout);
  for (i = 0; i < n; i++) {
    struct epoll_event *e = &el->events[i];
    riox_sock *sock = (riox_sock *)e->data.ptr;
    if (linux_epoll_event(loop, e)) continue; /* a wake, a readiness socket */
    if (e->events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) sock->rd_ready = 1;
    if (e->events & (EPOLLOUT | EPOLLHUP | EPOLLERR)) sock->wr_ready = 1;
    epoll__io(sock, 0);
  }
}

static void epoll__on_packet(riox_loop *loop, os_packet_t *p) {
  (void)loop;
  (void)p;
}

const backend_ops_t epoll_backend = {
    "epoll",
    0,
    epoll__loop_init,
    epoll__loop_fini,
    epoll__sock_attach,
    epoll__sock_cancel,
    epoll__sock_detach,
    epoll__recv,
    epoll__send,
    epoll__flush,
    epoll__before_wait,
    epoll__on_packet,
    epoll__wait,
    epoll__accept,
    epoll__connect,
    epoll__sock_abort_io,
    0, /* connect_issues: connect() first, then writable settles it */
    epoll_watch_poll,
    epoll_watch_closing,
};
