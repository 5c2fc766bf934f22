/* The io_uring ring's setup and what this host's io_uring offers riox:
 * the setup flags the kernel takes, the opcodes the backend needs, and the
 * features worth reporting (riox_probe) or choosing by. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "hooks.h"
#include "uring.h"

/* The default pool (riox_loop_config_init: 4096 slots of 2048 bytes): what
 * the probe tries to register, to say whether a default loop gets fixed
 * buffers under this RLIMIT_MEMLOCK. */
#define RING__DEFAULT_POOL ((size_t)2048 * 4096)

int uring_ring_init(struct io_uring *ring, unsigned entries, unsigned cq_entries, unsigned *flags) {
  /* Fastest first: one issuer whose task work runs only when it waits (no
   * interrupting IPIs), then cooperative task work. SUBMIT_ALL: a bad SQE
   * must not stall the ones behind it in the same submit. */
  static const unsigned ladder[] = {
      IORING_SETUP_SUBMIT_ALL | IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN,
      IORING_SETUP_SUBMIT_ALL | IORING_SETUP_COOP_TASKRUN, 0};
  size_t k;
  int rc = -ENOSYS;
  for (k = 0; k < sizeof ladder / sizeof ladder[0]; k++) {
    struct io_uring_params p;
    memset(&p, 0, sizeof p);
    p.flags = ladder[k] | IORING_SETUP_R_DISABLED;
    if (cq_entries > 0) {
      p.flags |= IORING_SETUP_CQSIZE | IORING_SETUP_CLAMP;
      p.cq_entries = cq_entries;
    }
    rc = io_uring_queue_init_params(entries, ring, &p);
    if (rc == 0) {
      *flags = p.flags;
      return 0;
    }
    if (rc != -EINVAL) break; /* EINVAL: a flag this kernel does not know yet */
  }
  return rc;
}

/* Debian's liburing 2.3 declares io_uring_enable_rings but does not export
 * it: the register call itself. */
int uring_ring_enable(struct io_uring *ring) {
  long rc = syscall(__NR_io_uring_register, ring->ring_fd, IORING_REGISTER_ENABLE_RINGS, NULL, 0);
  return rc < 0 ? -errno : 0;
}

int uring_disabled(void) {
  char v[8];
  return os_getenv("RIOX_URING_DISABLE", v, sizeof v) && strcmp(v, "1") == 0;
}

int uring_wake_poll_forced(void) {
  char v[8];
  return os_getenv("RIOX_URING_WAKE_POLL", v, sizeof v) && strcmp(v, "1") == 0;
}

/* Multishot accept on a throw-away loopback listener: accepted (then
 * cancelled) means the kernel has it; EINVAL means it does not. */
static int ring__multishot_accept(struct io_uring *ring) {
  struct sockaddr_in sa;
  struct io_uring_sqe *sqe;
  struct io_uring_cqe *cqe;
  struct __kernel_timespec ts = {1, 0};
  int fd, ok = 0, seen = 0;
  fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return 0;
  memset(&sa, 0, sizeof sa);
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0 || listen(fd, 1) != 0) {
    close(fd);
    return 0;
  }
  sqe = io_uring_get_sqe(ring);
  io_uring_prep_multishot_accept(sqe, fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
  io_uring_sqe_set_data64(sqe, 1);
  sqe = io_uring_get_sqe(ring);
  io_uring_prep_cancel_fd(sqe, fd, 0);
  io_uring_sqe_set_data64(sqe, 2);
  while (seen < 2 && io_uring_submit_and_wait_timeout(ring, &cqe, 1, &ts, NULL) >= 0) {
    while (io_uring_peek_cqe(ring, &cqe) == 0) {
      if (cqe->user_data == 1) ok = cqe->res == -ECANCELED || cqe->res >= 0;
      if (cqe->user_data == 1 || cqe->user_data == 2) seen++;
      io_uring_cqe_seen(ring, cqe);
    }
  }
  close(fd);
  return ok;
}

void uring_check(uring_caps_t *caps) {
  static const struct {
    int op;
    const char *name;
  } need[] = {{IORING_OP_RECVMSG, "RECVMSG"}, {IORING_OP_SENDMSG, "SENDMSG"},
              {IORING_OP_RECV, "RECV"},       {IORING_OP_SEND, "SEND"},
              {IORING_OP_READ_FIXED, "READ_FIXED"}, {IORING_OP_ACCEPT, "ACCEPT"},
              {IORING_OP_CONNECT, "CONNECT"}, {IORING_OP_ASYNC_CANCEL, "ASYNC_CANCEL"},
              {IORING_OP_POLL_ADD, "POLL_ADD"}};
  struct io_uring ring;
  struct io_uring_probe *probe;
  struct iovec iov;
  unsigned flags = 0;
  size_t k;
  int rc;
  memset(caps, 0, sizeof *caps);
  rc = uring_ring_init(&ring, 8, 0, &flags);
  if (rc < 0) {
    /* Every setup asks for IORING_SETUP_R_DISABLED (5.10): an older kernel
     * answers EINVAL to all of them (docs/platforms.md). */
    snprintf(caps->why, sizeof caps->why, "io_uring_setup failed: %s%s", strerror(-rc),
             rc == -EINVAL ? " (riox's uring backend needs Linux 5.10 or later)" : "");
    return;
  }
  caps->setup_flags = flags;
  caps->single_issuer = (flags & IORING_SETUP_SINGLE_ISSUER) != 0;
  caps->defer_taskrun = (flags & IORING_SETUP_DEFER_TASKRUN) != 0;
  probe = io_uring_get_probe_ring(&ring);
  if (probe == NULL) {
    snprintf(caps->why, sizeof caps->why, "io_uring has no opcode probe (IORING_REGISTER_PROBE)");
    io_uring_queue_exit(&ring);
    return;
  }
  caps->usable = 1;
  for (k = 0; k < sizeof need / sizeof need[0]; k++) {
    if (!io_uring_opcode_supported(probe, need[k].op)) {
      snprintf(caps->why, sizeof caps->why, "io_uring lacks IORING_OP_%s", need[k].name);
      caps->usable = 0;
      break;
    }
  }
  caps->cancel_fd = io_uring_opcode_supported(probe, IORING_OP_SOCKET);
  caps->send_zc = io_uring_opcode_supported(probe, IORING_OP_SEND_ZC);
  io_uring_free_probe(probe);
  if (caps->usable && uring_ring_enable(&ring) == 0)
    /* Multishot recv came with 6.0, as SEND_ZC did. */
    caps->multishot = caps->send_zc && ring__multishot_accept(&ring);
  /* Registered buffers pin memory charged to RLIMIT_MEMLOCK: a default
   * loop's pool may not fit (the backend then runs without them). */
  iov.iov_len = RING__DEFAULT_POOL;
  iov.iov_base =
      mmap(NULL, iov.iov_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (iov.iov_base != MAP_FAILED) {
    rc = io_uring_register_buffers(&ring, &iov, 1);
    caps->fixed_bufs = rc == 0;
    caps->fixed_err = rc < 0 ? -rc : 0;
    munmap(iov.iov_base, iov.iov_len);
  } else {
    caps->fixed_err = errno;
  }
  io_uring_queue_exit(&ring);
}

static uring_caps_t ring__caps;
static pthread_once_t ring__once = PTHREAD_ONCE_INIT;

/* Once per process, whichever loops on whichever threads ask first
 * (pthread_once); the test hook counts and can slow the body
 * (test_init_once_race). */
static void ring__check_once(void) {
  hooks_init_ran();
  uring_check(&ring__caps);
}

const uring_caps_t *uring_caps(void) {
  pthread_once(&ring__once, ring__check_once);
  return &ring__caps;
}
