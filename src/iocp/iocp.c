/* IOCP backend: the classic overlapped data path. Every receive and send is
 * one WSARecv(From)/WSASend(To) with its OVERLAPPED inside a req_t from
 * the loop's slab; completions arrive on the loop's port (or inline, for TCP
 * sockets with FILE_SKIP_COMPLETION_PORT_ON_SUCCESS). Deferred sends wait in
 * a per-loop queue until riox_flush or the next riox_wait. */
#include <stdlib.h>
#include <string.h>

#include "win.h"

typedef struct iocp_loop {
  list_node_t deferred; /* req_t.node, in posting order */
} iocp_loop_t;

static int iocp__loop_init(riox_loop *loop) {
  iocp_loop_t *il = (iocp_loop_t *)calloc(1, sizeof *il);
  if (il == NULL) return error_detail(RIOX_ENOMEM, "no memory for the IOCP backend");
  list_init(&il->deferred);
  loop->be_data = il;
  return 0;
}

static int iocp__loop_fini(riox_loop *loop) {
  free(loop->be_data);
  loop->be_data = NULL;
  return 0; /* requests still in flight keep the pool alive (riox_loop_close) */
}

static int iocp__sock_attach(riox_sock *sock) {
  (void)sock;
  return 0;
}

static void iocp__sock_detach(riox_sock *sock) { (void)sock; }

/* What happened to a call that was just issued. rc is the WSA call's return. */
static int iocp__issued(riox_sock *sock, req_t *req, int rc, DWORD bytes) {
  int err;
  if (rc == 0) {
    /* Success now: with skip-on-success no packet follows, so finish it in
     * the next riox_wait; otherwise the packet is on its way. */
    if (sock->skip_iocp) loop_complete_inline(sock->loop, req, 0, bytes);
    return 0;
  }
  err = WSAGetLastError();
  if (err == WSA_IO_PENDING) return 0;
  /* A datagram larger than the buffer is a warning status (buffer
   * overflow): the request completes with data and still queues a packet
   * (UDP sockets never use skip-on-success). */
  if (err == WSAEMSGSIZE && !sock->skip_iocp) return 0;
  /* Failed at once: no packet will come. Report it as this request's
   * completion, so the application sees I/O errors in one place; such a
   * status is never swallowed as an ICMP report (sock_recv_swallow). */
  req->post_failed = 1;
  loop_complete_inline(sock->loop, req,
                       error_detail(error_from_win32((uint32_t)err), "overlapped I/O: WSA error %d", err),
                       0);
  return 0;
}

static void iocp__recv_done(riox_loop *loop, req_t *req, int status, uint32_t bytes);

static int iocp__post_recv(riox_sock *sock, req_t *req) {
  DWORD bytes = 0;
  int rc;
  memset(&req->ov, 0, sizeof req->ov);
  req->complete = iocp__recv_done;
  req->post_failed = 0;
  req->flags = 0;
  req->use_msg = 0;
  req->wsabuf.buf = req->data;
  req->wsabuf.len = req->len;
  LOOP_OSCALL(sock->loop);
  if (sock->kind == SK_UDP) {
    req->has_addr = 1;
    req->addrlen = (INT)sizeof req->u.addr;
    win_cmsg_recv_reset(req); /* a re-posted receive reports only its own datagram */
    if (win_sock_rx_ctrl(sock)) {
      /* PKTINFO or URO: the destination address, interface and segment
       * size come as control data, which only WSARecvMsg returns. The
       * WSAMSG lives in the request: the OS writes name length, control
       * length and flags back into it at completion. */
      req->use_msg = 1;
      memset(&req->msg, 0, sizeof req->msg);
      memset(req->ctrl, 0, sizeof req->ctrl);
      req->msg.name = (LPSOCKADDR)&req->u.addr;
      req->msg.namelen = req->addrlen;
      req->msg.lpBuffers = &req->wsabuf;
      req->msg.dwBufferCount = 1;
      req->msg.Control.buf = req->ctrl;
      req->msg.Control.len = (ULONG)sizeof req->ctrl;
      rc = ws_wsa_recvmsg(sock->loop->ext.WSARecvMsg, sock->s, &req->msg, &bytes, &req->ov);
    } else {
      rc = ws_wsa_recvfrom(sock->s, &req->wsabuf, 1, &bytes, &req->flags,
                           (struct sockaddr *)&req->u.addr, &req->addrlen, &req->ov);
    }
  } else {
    rc = ws_wsa_recv(sock->s, &req->wsabuf, 1, &bytes, &req->flags, &req->ov);
  }
  return iocp__issued(sock, req, rc, bytes);
}

static void iocp__recv_done(riox_loop *loop, req_t *req, int status, uint32_t bytes) {
  /* A swallowed ICMP report: the receive is re-posted at the next wait. */
  if (sock_recv_swallow(req, status)) return;
  if (req->use_msg && (status == 0 || status == RIOX_EMSGSIZE)) {
    uint32_t n = req->msg.Control.len < sizeof req->ctrl ? (uint32_t)req->msg.Control.len
                                                         : (uint32_t)sizeof req->ctrl;
    win_cmsg_recv(req->sock, req, req->ctrl, n);
  }
  sock_io_complete(loop, req, status, bytes);
}

static int iocp__recv(riox_sock *sock, req_t *req) { return iocp__post_recv(sock, req); }

static void iocp__send_done(riox_loop *loop, req_t *req, int status, uint32_t bytes);

/* A UDP send: one datagram per call, or -- a segmented send where the loop
 * uses USO -- all of them in one WSASendMsg with UDP_SEND_MSG_SIZE, which
 * the OS cuts into seg_size datagrams (riox.h, "Segmentation offload").
 * Without USO the datagrams go one after the other (sock_seg_next,
 * continued by iocp__send_done through sock_send_continue): only one is in
 * the OS at a time, so they reach the wire in order, and the request yields
 * one event when the last is sent. A source address (msg.from) rides along
 * as IN_PKTINFO / IN6_PKTINFO, which WSASendMsg alone carries. */
static int iocp__issue_udp(riox_sock *sock, req_t *req, DWORD *bytes) {
  uint32_t seg = sock->loop->ext.uso && req->seg_size != 0 ? req->seg_size : 0;
  uint32_t clen;
  req->wsabuf.len = seg != 0 ? req->len - req->done : sock_seg_next(req);
  if (seg == 0 && req->local.family == 0) {
    if (req->has_addr)
      return ws_wsa_sendto(sock->s, &req->wsabuf, 1, bytes, 0, (struct sockaddr *)&req->u.addr,
                           req->addrlen, &req->ov);
    return ws_wsa_send(sock->s, &req->wsabuf, 1, bytes, 0, &req->ov);
  }
  if (sock->loop->ext.WSASendMsg == NULL) {
    WSASetLastError(WSAEOPNOTSUPP); /* no source address without WSASendMsg */
    return SOCKET_ERROR;
  }
  clen = win_cmsg_send(req->ctrl, (uint32_t)sizeof req->ctrl, sock, req, seg);
  memset(&req->msg, 0, sizeof req->msg);
  req->msg.name = req->has_addr ? (LPSOCKADDR)&req->u.addr : NULL;
  req->msg.namelen = req->has_addr ? req->addrlen : 0;
  req->msg.lpBuffers = &req->wsabuf;
  req->msg.dwBufferCount = 1;
  req->msg.Control.buf = clen != 0 ? req->ctrl : NULL;
  req->msg.Control.len = clen;
  req->use_msg = 1;
  return ws_wsa_sendmsg(sock->loop->ext.WSASendMsg, sock->s, &req->msg, 0, bytes, &req->ov);
}

static int iocp__issue_send(riox_sock *sock, req_t *req) {
  DWORD bytes = 0;
  int rc;
  memset(&req->ov, 0, sizeof req->ov);
  req->complete = iocp__send_done;
  req->use_msg = 0;
  req->wsabuf.buf = req->data + req->done;
  req->wsabuf.len = req->len - req->done;
  LOOP_OSCALL(sock->loop);
  if (sock->kind == SK_UDP)
    rc = iocp__issue_udp(sock, req, &bytes);
  else
    rc = ws_wsa_send(sock->s, &req->wsabuf, 1, &bytes, 0, &req->ov);
  return iocp__issued(sock, req, rc, bytes);
}

static void iocp__send_done(riox_loop *loop, req_t *req, int status, uint32_t bytes) {
  /* The application sees one completion for the whole range. The tail goes
   * out before any later send of the socket: the OS holds only this one
   * (sock.c, "Stream order"). */
  if (sock_send_continue(req, status, bytes)) {
    (void)iocp__issue_send(req->sock, req);
    return;
  }
  sock_io_complete(loop, req, status, bytes);
}

static int iocp__send(riox_sock *sock, req_t *req, uint32_t flags) {
  if (flags & RIOX_SEND_DEFER) {
    iocp_loop_t *il = (iocp_loop_t *)sock->loop->be_data;
    list_insert_tail(&il->deferred, &req->node);
    return 0;
  }
  return iocp__issue_send(sock, req);
}

static int iocp__flush(riox_loop *loop) {
  iocp_loop_t *il = (iocp_loop_t *)loop->be_data;
  list_node_t *node;
  int n = 0;
  while ((node = list_pop_front(&il->deferred)) != NULL) {
    req_t *req = container_of(node, req_t, node);
    (void)iocp__issue_send(req->sock, req);
    n++;
  }
  return n;
}

static int iocp__sock_cancel(riox_sock *sock) {
  iocp_loop_t *il = (iocp_loop_t *)sock->loop->be_data;
  list_node_t *node, *tmp;
  list_for_each_safe(node, tmp, &il->deferred) {
    req_t *req = container_of(node, req_t, node);
    if (req->sock != sock) continue;
    list_remove(node);
    req->complete = iocp__send_done;
    loop_complete_inline(sock->loop, req, RIOX_ECANCELED, 0);
  }
  return 0;
}

static int iocp__before_wait(riox_loop *loop, uint32_t *timeout_ms) {
  (void)loop;
  (void)timeout_ms;
  return 0;
}

static void iocp__on_packet(riox_loop *loop, OVERLAPPED_ENTRY *entry) {
  (void)loop;
  (void)entry;
}

const backend_ops_t iocp_backend = {
    "iocp",           0,                 iocp__loop_init,   iocp__loop_fini,
    iocp__sock_attach, iocp__sock_cancel, iocp__sock_detach, iocp__recv,
    iocp__send,       iocp__flush,       iocp__before_wait, iocp__on_packet,
};
