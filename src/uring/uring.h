/* The uring backend (io_uring; RIO's twin on Linux), as the Linux layer
 * sees it: the ring's setup and what this host's io_uring offers riox
 * (ring.c, shared by the backend, the backend choice and riox_probe), and
 * the backend's vtable (uring.c). */
#ifndef RIOX_URING_URING_H
#define RIOX_URING_URING_H

#include <liburing.h>

#include "linux.h"

/* What io_uring offers riox on this host. */
typedef struct uring_caps {
  int usable;           /* a ring was made and every opcode riox needs is there */
  unsigned setup_flags; /* the IORING_SETUP_* the kernel accepted */
  int single_issuer, defer_taskrun;
  int cancel_fd;        /* IORING_ASYNC_CANCEL_FD | _ALL (5.19, with IORING_OP_SOCKET) */
  int send_zc;          /* IORING_OP_SEND_ZC */
  int multishot;        /* multishot accept worked on a test listener; recv too (6.0) */
  int fixed_bufs;       /* a buffer of the default pool's size could be registered */
  int fixed_err;        /* errno of that registration, 0 when it worked */
  char why[96];         /* why it is not usable */
} uring_caps_t;

/* A ring with `entries` SQEs and room for cq_entries CQEs, set up with the
 * best flags this kernel takes (SINGLE_ISSUER | DEFER_TASKRUN, else
 * COOP_TASKRUN, else none; SUBMIT_ALL with the first two), created
 * disabled: the first thread to submit enables it and becomes the one
 * issuer (uring_ring_enable), so a loop may be made on another thread than
 * the one that runs it. 0 or -errno; *flags gets the flags kept. */
int uring_ring_init(struct io_uring *ring, unsigned entries, unsigned cq_entries, unsigned *flags);
int uring_ring_enable(struct io_uring *ring);
/* The test switch RIOX_URING_DISABLE=1: riox behaves as if the kernel had
 * no io_uring (the refusal and fallback tests). */
int uring_disabled(void);
/* The test switch RIOX_URING_WAKE_POLL=1: a ring polls the wake eventfd
 * (and reads it itself) from the start, as it does after its read of the
 * eventfd answered -EAGAIN on a kernel that will not wait on a
 * non-blocking file (uring.c, uring__arm_wake). */
int uring_wake_poll_forced(void);
/* A fresh look at this host (riox_probe), and the same found once per
 * process (the backend choice). Neither is affected by uring_disabled. */
void uring_check(uring_caps_t *caps);
const uring_caps_t *uring_caps(void);

extern const backend_ops_t uring_backend;

/* Fault sites of the ring (src/core/fault.h), test builds only; each is the
 * plain call in a release build.
 *  - URING_CALL: a liburing call returning 0/count or -errno (an enter, a
 *    registration): a fault returns -errno instead of calling.
 *  - URING_GET_SQE: io_uring_get_sqe; a fault (RIOX_TEST_FAULT_AGAIN) is a
 *    full SQ: NULL.
 *  - URING_SET_DATA: io_uring_sqe_set_data of a prepared SQE; a fault turns
 *    the SQE into a NOP (its user_data and flags kept) whose CQE then
 *    carries -errno (URING_CQE_RES, where the CQEs are read), so the
 *    completion path runs as if the kernel had failed the operation; a
 *    short write (RIOX_TEST_FAULT_SHORT, stream sends) halves the SQE's
 *    length instead. URING_SET_DATA64 the same for a user_data value.
 *  - uring_fault_loop_gone: a loop's ring is torn down; NOPs it still had carry
 *    nothing any more. */
#define URING_F_ENTER (RIOX_TEST_FAULT_NOMEM | RIOX_TEST_FAULT_AGAIN | RIOX_TEST_FAULT_INTR)
#define URING_F_RECV (RIOX_TEST_FAULT_NOMEM | RIOX_TEST_FAULT_CONNRESET)
#define URING_F_SEND (RIOX_TEST_FAULT_NOMEM | RIOX_TEST_FAULT_CONNRESET)
#define URING_F_STREAM_SEND (URING_F_SEND | RIOX_TEST_FAULT_SHORT)
#define URING_F_ACCEPT (RIOX_TEST_FAULT_NOMEM | RIOX_TEST_FAULT_MFILE | RIOX_TEST_FAULT_CONNRESET)
#define URING_F_CONNECT (RIOX_TEST_FAULT_NOMEM | RIOX_TEST_FAULT_AGAIN | RIOX_TEST_FAULT_CONNRESET)
#define URING_F_POLL RIOX_TEST_FAULT_NOMEM
#define URING_F_WAKE (RIOX_TEST_FAULT_NOMEM | RIOX_TEST_FAULT_AGAIN)
#ifdef RIOX_TEST_HOOKS
void uring_fault_sqe(const void *loop, struct io_uring_sqe *sqe, unsigned fault, int reset);
int uring_fault_res(uint64_t ud, int res);
void uring_fault_loop_gone(const void *loop);
#define URING_CALL(name, faults, expr) \
  (sys__fail(FAULT_HIT(name, faults), ECONNRESET) ? -errno : (expr))
#define URING_GET_SQE(ring) \
  (FAULT_HIT("io_uring_get_sqe", RIOX_TEST_FAULT_AGAIN) ? NULL : io_uring_get_sqe(ring))
#define URING_SET_DATA(loop, sqe, data, name, faults)                                      \
  (io_uring_sqe_set_data(sqe, data),                                                      \
   uring_fault_sqe(loop, sqe, FAULT_HIT(name, faults),                                    \
                   ((faults) & RIOX_TEST_FAULT_MFILE) ? ECONNABORTED : ECONNRESET))
#define URING_SET_DATA64(loop, sqe, data, name, faults) \
  (io_uring_sqe_set_data64(sqe, data), uring_fault_sqe(loop, sqe, FAULT_HIT(name, faults), ECONNRESET))
#define URING_CQE_RES(ud, res) uring_fault_res(ud, res)
#else
#define URING_CALL(name, faults, expr) (expr)
#define URING_GET_SQE(ring) io_uring_get_sqe(ring)
#define URING_SET_DATA(loop, sqe, data, name, faults) io_uring_sqe_set_data(sqe, data)
#define URING_SET_DATA64(loop, sqe, data, name, faults) io_uring_sqe_set_data64(sqe, data)
#define URING_CQE_RES(ud, res) (res)
#define uring_fault_loop_gone(loop) ((void)0)
#endif

#endif
