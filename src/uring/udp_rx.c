/* UDP receives on a uring loop whose kernel has multishot receives and
 * provided-buffer rings (6.0): one multishot RECVMSG per socket takes every
 * datagram, in arrival order, into a buffer of the loop's provided-buffer
 * ring; each CQE's datagram is copied into the oldest receive the
 * application posted (sock->rxhold), and the buffer goes back to the ring.
 *
 * Why not the kernel filling the posted slots: receives armed side by side
 * on one socket are woken in no promised order (uring.c), so they must be
 * serialised, and linked chains of them (uring.c, the fallback) degenerate
 * under an echo load into one receive in the kernel per socket -- each
 * reply reposts one receive while the chain in the kernel is still busy.
 * A multishot receive's CQEs come in the order its datagrams arrived, and
 * it stays armed whatever the application posts. The price is one copy of
 * each datagram (the io_uring maintainers advise copying small payloads
 * anyway; a datagram is at most one pool slot).
 *
 *  - Armed while the socket has receives posted (at the next submit:
 *    uring__chains), ended (ASYNC_CANCEL) when it has none and datagrams
 *    pile up: a datagram that comes with no receive posted waits in the
 *    socket's backlog (its ring buffer held) for the next post, at most
 *    URING_RX__BACKLOG of them before the multishot is asked to end (the
 *    few its CQEs still bring are kept too: nothing is dropped); beyond that
 *    they wait in the kernel's socket buffer, as on every other backend.
 *  - The armed receive holds the socket (sock->pending) until its last CQE
 *    (no IORING_CQE_F_MORE): the socket's close event comes after it.
 *  - A failure ends the multishot: an ICMP report goes to the oldest
 *    posted receive (swallowed or reported, uring.c's policy); -ENOBUFS
 *    (every ring buffer held in backlogs) re-arms when a buffer comes back.
 *  - user_data: the socket pointer with URING_UD_SOCK set (uring_int.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>

#include "uring_int.h"

#define URING_RX__BACKLOG 8       /* datagrams held for a socket with no receive posted */
#define URING_RX__MEM (16u << 20) /* bytes of provided buffers per loop, at most */
#define URING_RX__BGID 0

struct uring_rx {
  struct io_uring_buf_ring *br;
  size_t br_len;      /* bytes mapped for br */
  char *mem;          /* the buffers: n of `size` bytes */
  size_t mem_len;
  uint32_t n, size;
  struct msghdr msg;  /* the multishot template: name and control room */
  int starved;        /* a multishot ended with -ENOBUFS: re-arm when a buffer is back */
};

/* Per socket (sock->backend), made at its first receive. */
typedef struct uring_rx_sock {
  uint8_t armed;      /* the multishot RECVMSG is in the kernel */
  uint8_t ending;     /* its cancel is asked for */
  uint8_t starved;    /* it ended with -ENOBUFS */
  uint32_t head, count, cap; /* backlog ring of (buffer id, CQE result) */
  uint64_t *bl;               /* bid << 32 | (uint32_t)res; grows past the mark */
} uring_rx_sock_t;

uring_rx_t *uring_rx_init(struct io_uring *ring, uint32_t slot_size) {
  uring_rx_t *rx = (uring_rx_t *)calloc(1, sizeof *rx);
  struct io_uring_buf_reg reg;
  uint32_t i, n;
  if (rx == NULL) return NULL;
  /* Header, the sender's address, the control messages (UDP_GRO, PKTINFO:
   * udp_msg.c), then the datagram: a full pool slot (a coalesced receive
   * that does not fit one is truncated, as a posted receive of that size
   * would be: riox.h, "Segmentation offload"). */
  rx->size = (uint32_t)(sizeof(struct io_uring_recvmsg_out) + sizeof(struct sockaddr_storage) +
                        LINUX_UDP_CTL) +
             slot_size;
  /* Each buffer starts on a 16-byte boundary: the kernel writes a cmsghdr
   * (8-aligned) at a fixed offset into it, which a stride such as
   * 144 + CTL + 1500 would leave misaligned in every other buffer
   * (test_regress_uring_rx_cmsg_misaligned). */
  rx->size = (rx->size + 15u) & ~15u;
  for (n = 1024; n > 16 && (size_t)n * rx->size > URING_RX__MEM; n /= 2) {
  }
  rx->n = n;
  rx->br_len = (size_t)n * sizeof(struct io_uring_buf);
  rx->mem_len = (size_t)n * rx->size;
  rx->br = (struct io_uring_buf_ring *)mmap(NULL, rx->br_len, PROT_READ | PROT_WRITE,
                                             MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  rx->mem = (char *)mmap(NULL, rx->mem_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (rx->br == MAP_FAILED || rx->mem == MAP_FAILED) goto fail;
  memset(&reg, 0, sizeof reg);
  reg.ring_addr = (uint64_t)(uintptr_t)rx->br;
  reg.ring_entries = n;
  reg.bgid = URING_RX__BGID;
  if (URING_CALL("io_uring_register_buf_ring", RIOX_TEST_FAULT_NOMEM, io_uring_register_buf_ring(ring, &reg, 0)) != 0) goto fail;
  io_uring_buf_ring_init(rx->br);
  for (i = 0; i < n; i++)
    io_uring_buf_ring_add(rx->br, rx->mem + (size_t)i * rx->size, rx->size, (unsigned short)i,
                          io_uring_buf_ring_mask(n), (int)i);
  io_uring_buf_ring_advance(rx->br, (int)n);
  rx->msg.msg_namelen = sizeof(struct sockaddr_storage);
  rx->msg.msg_controllen = LINUX_UDP_CTL; /* sockets that ask for none get none */
  return rx;
fail:
  if (rx->br != MAP_FAILED && rx->br != NULL) munmap(rx->br, rx->br_len);
  if (rx->mem != MAP_FAILED && rx->mem != NULL) munmap(rx->mem, rx->mem_len);
  free(rx);
  return NULL;
}

/* After the ring is gone (it unregisters the buffer ring). */
void uring_rx_fini(uring_rx_t *rx) {
  if (rx == NULL) return;
  munmap(rx->br, rx->br_len);
  munmap(rx->mem, rx->mem_len);
  free(rx);
}

static uring_rx_sock_t *rx__sock(riox_sock *sock) { return (uring_rx_sock_t *)sock->backend; }

static void rx__give_back(uring_rx_t *rx, uint32_t bid) {
  io_uring_buf_ring_add(rx->br, rx->mem + (size_t)bid * rx->size, rx->size, (unsigned short)bid,
                        io_uring_buf_ring_mask(rx->n), 0);
  io_uring_buf_ring_advance(rx->br, 1);
  rx->starved = 0;
}

/* Datagram (buffer bid, CQE result res) into receive req, which completes
 * now (in the dispatch) or through the inline list (in a post). */
static void rx__fill(riox_loop *loop, uring_rx_t *rx, req_t *req, uint32_t bid, int res, int inline_done) {
  struct io_uring_recvmsg_out *o =
      io_uring_recvmsg_validate(rx->mem + (size_t)bid * rx->size, res, &rx->msg);
  int status = 0;
  uint32_t copy = 0;
  if (o == NULL) {
    status = error_detail(RIOX_EIO, "io_uring multishot recvmsg: a malformed buffer (%d bytes)", res);
  } else {
    uint32_t plen = io_uring_recvmsg_payload_length(o, res, &rx->msg);
    socklen_t nl = o->namelen < sizeof req->addr ? (socklen_t)o->namelen : (socklen_t)sizeof req->addr;
    copy = plen < req->len ? plen : req->len;
    memcpy(req->data, io_uring_recvmsg_payload(o, &rx->msg), copy);
    memcpy(&req->addr, io_uring_recvmsg_name(o), nl);
    req->addrlen = nl;
    req->has_addr = 1;
    if (req->sock->udp_cmsg)
      linux_udp_ctl_recv(req->sock, req, (const char *)(o + 1) + rx->msg.msg_namelen, o->controllen);
    if ((o->flags & MSG_TRUNC) || plen > req->len) status = RIOX_EMSGSIZE;
  }
  rx__give_back(rx, bid);
  if (inline_done) {
    loop_complete_inline(loop, req, status, copy);
  } else {
    loop->stats.completions++;
    req->complete(loop, req, status, copy);
  }
}

/* The backlog's datagrams into the receives posted, oldest first. */
static void rx__drain_backlog(riox_sock *sock, int inline_done) {
  uring_rx_sock_t *rs = rx__sock(sock);
  uring_rx_t *rx = uring_rx_of(sock->loop);
  while (rs->count > 0 && !list_empty(&sock->rxhold) && sock->rx_wait == 0) {
    req_t *req = container_of(list_pop_front(&sock->rxhold), req_t, node);
    uint64_t e = rs->bl[rs->head];
    rs->head = (rs->head + 1) % rs->cap;
    rs->count--;
    rx__fill(sock->loop, rx, req, (uint32_t)(e >> 32), (int32_t)(uint32_t)e, inline_done);
  }
}

/* Keep a datagram in the backlog, growing it when full. 0 or -1 (no memory). */
static int rx__keep(uring_rx_sock_t *rs, uint32_t bid, int res) {
  if (rs->count == rs->cap) {
    uint32_t ncap = rs->cap ? rs->cap * 2 : URING_RX__BACKLOG, i;
    uint64_t *nb = (uint64_t *)malloc((size_t)ncap * sizeof *nb);
    if (nb == NULL) return -1;
    for (i = 0; i < rs->count; i++) nb[i] = rs->bl[(rs->head + i) % rs->cap];
    free(rs->bl);
    rs->bl = nb;
    rs->head = 0;
    rs->cap = ncap;
  }
  rs->bl[(rs->head + rs->count) % rs->cap] = (uint64_t)bid << 32 | (uint32_t)res;
  rs->count++;
  return 0;
}

/* Every datagram of the backlog back to the ring. */
static void rx__drop_backlog(uring_rx_sock_t *rs, uring_rx_t *rx) {
  while (rs->count > 0) {
    rx__give_back(rx, (uint32_t)(rs->bl[rs->head] >> 32));
    rs->head = (rs->head + 1) % rs->cap;
    rs->count--;
  }
}

/* Whether the socket's multishot is to be armed at the next submit. */
static int rx__wants_arm(riox_sock *sock) {
  uring_rx_sock_t *rs = rx__sock(sock);
  return rs != NULL && !rs->armed && !list_empty(&sock->rxhold) && sock->rx_wait == 0 &&
         rs->count == 0 && !(rs->starved && uring_rx_of(sock->loop)->starved) && sock->s >= 0 &&
         sock->state != SK_CLOSING;
}

int uring_rx_post(riox_sock *sock, req_t *req) {
  uring_rx_sock_t *rs = rx__sock(sock);
  if (rs == NULL) {
    rs = (uring_rx_sock_t *)calloc(1, sizeof *rs);
    if (rs == NULL) return error_detail(RIOX_ENOMEM, "no memory for the socket's receive state");
    sock->backend = rs;
  }
  if (req->ring_again) {
    /* Back from a swallowed report: first again. */
    req->ring_again = 0;
    if (sock->rx_wait > 0) sock->rx_wait--;
    list_insert_tail(sock->rxhold.next, &req->node);
  } else {
    list_insert_tail(&sock->rxhold, &req->node);
  }
  rx__drain_backlog(sock, 1);
  if (rx__wants_arm(sock)) linux_work_add(sock);
  return 0;
}

void uring_rx_arm(riox_sock *sock) {
  uring_rx_sock_t *rs = rx__sock(sock);
  uring_rx_t *rx = uring_rx_of(sock->loop);
  struct io_uring_sqe *sqe;
  if (rs != NULL && rs->starved && rx->starved && !list_empty(&sock->rxhold)) {
    linux_work_add(sock); /* no buffer yet: asked again at the next submit */
    return;
  }
  if (!rx__wants_arm(sock)) return;
  sqe = uring_sqe(sock->loop);
  if (sqe == NULL) {
    linux_work_add(sock); /* the next submit */
    return;
  }
  io_uring_prep_recvmsg_multishot(sqe, sock->s, &rx->msg, 0);
  sqe->flags |= IOSQE_BUFFER_SELECT;
  sqe->buf_group = URING_RX__BGID;
  URING_SET_DATA64(sock->loop, sqe, uring_ud_of_sock(sock), "recvmsg_multishot", URING_F_RECV);
  rs->armed = 1;
  rs->ending = 0;
  rs->starved = 0;
  sock->pending++; /* the socket lives until the last CQE */
}

/* Ask the kernel to end the socket's multishot (its last CQE says when). */
static void rx__end(riox_sock *sock) {
  uring_rx_sock_t *rs = rx__sock(sock);
  struct io_uring_sqe *sqe;
  if (!rs->armed || rs->ending) return;
  sqe = uring_sqe(sock->loop);
  if (sqe == NULL) return; /* it ends with the socket's cancel, or keeps serving */
  io_uring_prep_cancel64(sqe, uring_ud_of_sock(sock), 0);
  io_uring_sqe_set_data64(sqe, URING_UD_CANCEL);
  rs->ending = 1;
}

void uring_rx_cqe(riox_loop *loop, uint64_t ud, int res, unsigned flags) {
  riox_sock *sock = uring_sock_of_ud(ud);
  uring_rx_sock_t *rs = rx__sock(sock);
  uring_rx_t *rx = uring_rx_of(loop);
  int more = (flags & IORING_CQE_F_MORE) != 0;
  if (flags & IORING_CQE_F_BUFFER) {
    uint32_t bid = flags >> IORING_CQE_BUFFER_SHIFT;
    if (res < 0 || sock->state == SK_CLOSING || sock->s < 0) {
      rx__give_back(rx, bid);
    } else if (rx__keep(rs, bid, res) == 0) {
      /* Behind what waits already, then into the receives posted. */
      rx__drain_backlog(sock, 0);
      if (rs->count >= URING_RX__BACKLOG) rx__end(sock); /* the rest wait in the kernel */
    } else {
      rx__give_back(rx, bid); /* no memory to keep it: lost, and counted */
      loop->stats.drops++;
    }
  }
  if (more) return;
  /* The multishot ended. */
  rs->armed = 0;
  rs->ending = 0;
  rx__drain_backlog(sock, 0);
  if (res == -ENOBUFS) {
    rs->starved = 1;
    rx->starved = 1;
  } else if (res < 0 && res != -ECANCELED && sock->state != SK_CLOSING && sock->s >= 0 &&
             !list_empty(&sock->rxhold) && rs->count == 0) {
    /* A failure (an ICMP report): the oldest posted receive's outcome
     * (swallowed or reported there, uring.c). */
    req_t *req = container_of(list_pop_front(&sock->rxhold), req_t, node);
    loop->stats.completions++;
    req->complete(loop, req,
                  error_detail(error_from_errno(-res), "recvmsg: %s (errno %d)", strerror(-res), -res), 0);
  }
  if (rx__wants_arm(sock)) linux_work_add(sock);
  sock_req_done(sock); /* last: the socket's close event may be queued here */
}

void uring_rx_abort(riox_sock *sock) {
  uring_rx_sock_t *rs = rx__sock(sock);
  uring_rx_t *rx = uring_rx_of(sock->loop);
  list_node_t *node;
  /* Nothing in the kernel writes into a posted receive: they end now, in
   * posting order. */
  while ((node = list_pop_front(&sock->rxhold)) != NULL)
    loop_complete_inline(sock->loop, container_of(node, req_t, node), RIOX_ECANCELED, 0);
  if (rs == NULL) return;
  rx__drop_backlog(rs, rx);
  rx__end(sock);
}

int uring_rx_armed(const riox_sock *sock) {
  const uring_rx_sock_t *rs = (const uring_rx_sock_t *)sock->backend;
  return rs != NULL && rs->armed;
}

void uring_rx_detach(riox_sock *sock) {
  uring_rx_sock_t *rs = rx__sock(sock);
  if (rs == NULL) return;
  if (uring_rx_of(sock->loop) != NULL) rx__drop_backlog(rs, uring_rx_of(sock->loop));
  free(rs->bl);
  free(rs);
  sock->backend = NULL;
}
