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

#endif
