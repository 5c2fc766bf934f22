/* The ring's fault sites (uring.h, URING_SET_DATA), test builds only: an
 * SQE a test fails becomes a NOP, and the result it is to carry waits
 * here, keyed by its user_data, until its CQE is read (URING_CQE_RES). The
 * registry's lock (fault.h) guards the table: loops on several threads. */
#define _GNU_SOURCE
#include <string.h>

#include "uring.h"

#ifdef RIOX_TEST_HOOKS
#define FAULT_SQE__MAX 64

static struct {
  uint64_t ud;
  const void *loop;
  int res;
  int used;
} fault_sqe__tab[FAULT_SQE__MAX];
static unsigned fault_sqe__n; /* entries in use */

void uring_fault_sqe(const void *loop, struct io_uring_sqe *sqe, unsigned fault, int reset) {
  uint64_t ud;
  unsigned char flags;
  unsigned i;
  if (fault == 0) return;
  if (fault == RIOX_TEST_FAULT_SHORT) {
    if (sqe->len > 1) sqe->len /= 2; /* a stream send that takes half */
    return;
  }
  (void)sys__fail(fault, reset);
  ud = sqe->user_data;
  flags = sqe->flags;
  io_uring_prep_nop(sqe);
  sqe->user_data = ud;
  sqe->flags = (unsigned char)(flags & ~IOSQE_BUFFER_SELECT); /* a NOP takes no buffer */
  os_hooks_lock();
  for (i = 0; i < FAULT_SQE__MAX; i++) {
    if (fault_sqe__tab[i].used) continue;
    fault_sqe__tab[i].used = 1;
    fault_sqe__tab[i].ud = ud;
    fault_sqe__tab[i].loop = loop;
    fault_sqe__tab[i].res = -errno;
    fault_sqe__n++;
    break;
  }
  os_hooks_unlock();
  /* A full table: the NOP completes with 0, a success of no bytes; never
   * reached by the fault tests (one rule fails a few SQEs at a time). */
}

int uring_fault_res(uint64_t ud, int res) {
  unsigned i;
  os_hooks_lock();
  if (fault_sqe__n != 0) {
    for (i = 0; i < FAULT_SQE__MAX; i++) {
      if (!fault_sqe__tab[i].used || fault_sqe__tab[i].ud != ud) continue;
      res = fault_sqe__tab[i].res;
      fault_sqe__tab[i].used = 0;
      fault_sqe__n--;
      break;
    }
  }
  os_hooks_unlock();
  return res;
}

void uring_fault_loop_gone(const void *loop) {
  unsigned i;
  os_hooks_lock();
  for (i = 0; i < FAULT_SQE__MAX; i++) {
    if (!fault_sqe__tab[i].used || fault_sqe__tab[i].loop != loop) continue;
    fault_sqe__tab[i].used = 0;
    fault_sqe__n--;
  }
  os_hooks_unlock();
}
#else
/* ISO C forbids an empty translation unit. */
typedef int fault_sqe__release_build;
#endif
