/* What the uring backend's files share (uring.c: the ring, issuing, the
 * wait and CQE dispatch; ready.c: readiness polls): the user_data scheme
 * and the ring's SQE and submit helpers.
 *
 * user_data of an SQE says what its CQE is for:
 *   0 .. 7                   the backend's own: URING__UD_* below (and 0,
 *                            never used);
 *   LIBURING_UDATA_TIMEOUT   liburing's wait timeout (all bits set);
 *   low bit set              a readiness poll: (uintptr_t)poll_watch_t | 1
 *                            (a poll_watch_t is calloc'd, so at least
 *                            8-aligned: bit 0 is free);
 *   low bits 100             a socket's multishot UDP receive:
 *                            (uintptr_t)riox_sock | 4 (calloc'd too);
 *   low bits 010             the POLL_REMOVE of a watch's poll:
 *                            (uintptr_t)poll_watch_t | 2 (its result
 *                            matters: -EALREADY, ready.c);
 *   otherwise                a req_t (slab slots are 8-aligned).
 * So a req_t is never confused with a watch, and neither with a constant. */
#ifndef RIOX_URING_URING_INT_H
#define RIOX_URING_URING_INT_H

#include "uring.h"

#define URING_UD_WAKE 1u   /* the read (or poll) of loop->wake_fd kept on the ring */
#define URING_UD_CANCEL 2u /* an ASYNC_CANCEL / POLL_REMOVE: its own result is ignored */
#define URING_UD_WATCH 1u  /* tag bit of a poll_watch_t */
#define URING_UD_SOCK 4u   /* tag bit of a riox_sock: its multishot UDP receive (udp_rx.c) */
#define URING_UD_UNPOLL 2u /* tag bits of a poll_watch_t's POLL_REMOVE (ready.c) */

static inline int uring_ud_is_req(uint64_t ud) {
  return ud >= 8u && ud != LIBURING_UDATA_TIMEOUT && (ud & 7u) == 0;
}
static inline int uring_ud_is_sock(uint64_t ud) {
  return ud >= 8u && ud != LIBURING_UDATA_TIMEOUT && (ud & 7u) == URING_UD_SOCK;
}
static inline uint64_t uring_ud_of_sock(const riox_sock *sock) {
  return (uint64_t)(uintptr_t)sock | URING_UD_SOCK;
}
static inline riox_sock *uring_sock_of_ud(uint64_t ud) {
  return (riox_sock *)(uintptr_t)(ud & ~(uint64_t)URING_UD_SOCK);
}
static inline int uring_ud_is_watch(uint64_t ud) {
  return ud >= 8u && ud != LIBURING_UDATA_TIMEOUT && (ud & URING_UD_WATCH) != 0;
}
static inline uint64_t uring_ud_of_watch(const poll_watch_t *w) {
  return (uint64_t)(uintptr_t)w | URING_UD_WATCH;
}
static inline poll_watch_t *uring_watch_of_ud(uint64_t ud) {
  return (poll_watch_t *)(uintptr_t)(ud & ~(uint64_t)URING_UD_WATCH);
}
static inline int uring_ud_is_unpoll(uint64_t ud) {
  return ud >= 8u && ud != LIBURING_UDATA_TIMEOUT && (ud & 7u) == URING_UD_UNPOLL;
}

/* uring.c: an SQE (when the SQ is full, what it holds goes to the kernel
 * first; NULL when even that failed); submit what the SQ holds now and run
 * the completion work it started (uring_submit_settle). */
struct io_uring_sqe *uring_sqe(riox_loop *loop);
void uring_submit_settle(riox_loop *loop);

/* ready.c: the backend's readiness hooks (OS_BACKEND_FIELDS), and the CQE
 * of a watch's POLL_ADD (ud tagged as above, res its revents or -errno). */
void uring_watch_poll(poll_watch_t *w, uint32_t events);
void uring_watch_closing(poll_watch_t *w);
void uring_watch_cqe(riox_loop *loop, uint64_t ud, int res);
void uring_unpoll_cqe(riox_loop *loop, uint64_t ud, int res);

/* udp_rx.c: UDP receives through one multishot RECVMSG per socket into
 * the loop's provided-buffer ring (NULL from uring_rx_of: the loop uses
 * linked chains instead, uring.c). */
typedef struct uring_rx uring_rx_t;
uring_rx_t *uring_rx_of(riox_loop *loop);
uring_rx_t *uring_rx_init(struct io_uring *ring, uint32_t slot_size);
void uring_rx_fini(uring_rx_t *rx);
int uring_rx_post(riox_sock *sock, req_t *req);
void uring_rx_arm(riox_sock *sock);
void uring_rx_cqe(riox_loop *loop, uint64_t ud, int res, unsigned flags);
void uring_rx_abort(riox_sock *sock);
int uring_rx_armed(const riox_sock *sock);
void uring_rx_detach(riox_sock *sock);

#endif
