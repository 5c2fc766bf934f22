/* The loop's Linux side: the wake channel (an eventfd plus the contexts
 * riox_wake queued, under a mutex: riox_wake may come from any thread), the
 * backend choice (uring where it can run, else epoll) and the clock. The
 * kernel wait itself is the backend's (OS_BACKEND_FIELDS.wait), and so is
 * how the eventfd is watched: the epoll backend keeps it in its epoll
 * instance (src/epoll/ready.c), a ring keeps a read of it armed
 * (src/uring/uring.c); either then has the contexts queued here turned
 * into events (linux_wake_drain / linux_wake_take). */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "linux.h"
#include "uring.h"

int os_loop_init(riox_loop *loop) {
  list_init(&loop->work);
  list_init(&loop->ready_updates);
  loop->epfd = -1; /* the epoll backend's (epoll_set_open) */
  /* Non-blocking: riox_wake never blocks on it, and a drain that finds
   * nothing written reads EAGAIN. */
  loop->wake_fd = sys_eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (loop->wake_fd < 0) return sock_errno_error("eventfd");
  if (pthread_mutex_init(&loop->wake_lock, NULL) != 0) {
    int rc = error_detail(RIOX_ENOMEM, "pthread_mutex_init failed");
    close(loop->wake_fd);
    loop->wake_fd = -1;
    return rc;
  }
  loop->wake_lock_ok = 1;
  linux_udp_offload_init(loop);
  return 0;
}

void os_loop_fini(riox_loop *loop) {
  if (loop->wake_lock_ok) pthread_mutex_destroy(&loop->wake_lock);
  free(loop->wake_ctx);
  if (loop->wake_fd >= 0) close(loop->wake_fd);
}

int os_getenv(const char *name, char *buf, size_t len) {
  const char *v = getenv(name);
  size_t n;
  if (v == NULL) return 0;
  n = strlen(v);
  if (n == 0 || n >= len) return 0;
  memcpy(buf, v, n + 1);
  return 1;
}

/* Whether the uring backend can run here; when not, why (for a detail). */
static int loop__uring_usable(const char **why) {
  const uring_caps_t *caps;
  if (uring_disabled()) {
    *why = "io_uring disabled by RIOX_URING_DISABLE=1 (test switch)";
    return 0;
  }
  caps = uring_caps();
  *why = caps->why;
  return caps->usable;
}

/* "auto" is uring where it can run, else epoll; a backend asked for by
 * name is that backend or an error, never a quiet downgrade. */
int os_backend_select(riox_loop *loop, const char *name) {
  const char *why = "";
  int is_auto = strcmp(name, "auto") == 0;
  if (is_auto || strcmp(name, "uring") == 0) {
    if (loop__uring_usable(&why)) {
      loop->be = &uring_backend;
      loop->backend_name = "uring";
      return 0;
    }
    if (!is_auto)
      return error_detail(RIOX_ENOTSUP,
                          "backend \"uring\" is not usable here: %s; use \"auto\" or \"epoll\"", why);
  }
  if (is_auto || strcmp(name, "epoll") == 0) {
    loop->be = &epoll_backend;
    loop->backend_name = "epoll";
    return 0;
  }
  if (strcmp(name, "iocp") == 0 || strcmp(name, "rio") == 0)
    return error_detail(RIOX_ENOTSUP,
                        "backend \"%s\" is Windows-only; on Linux use auto, uring or epoll", name);
  return error_detail(RIOX_EINVAL, "unknown backend \"%.40s\": expected auto, uring or epoll", name);
}

void os_wait(riox_loop *loop, uint32_t timeout_ms) {
  uint32_t batch;
  /* Wakes that found no room earlier go first, into the room there is. */
  if (loop->wake_left) linux_wake_take(loop);
  batch = loop_wait_batch(loop, 256);
  if (batch == 0) return;
  loop->be->wait(loop, timeout_ms, batch);
}

uint64_t loop_now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* ---------------------------------------------------------------- wakes */

int riox_wake(riox_loop *loop, void *ctx) {
  uint64_t one = 1;
  int rc = 0;
  if (loop == NULL) return error_detail(RIOX_EINVAL, "riox_wake: loop is NULL");
  pthread_mutex_lock(&loop->wake_lock);
  if (loop->wake_n == loop->wake_cap) {
    uint32_t cap = loop->wake_cap ? loop->wake_cap * 2 : 16;
    void **p = (void **)realloc(loop->wake_ctx, cap * sizeof *p);
    if (p == NULL) {
      rc = error_detail(RIOX_ENOMEM, "riox_wake: no memory to queue the wake");
    } else {
      loop->wake_ctx = p;
      loop->wake_cap = cap;
    }
  }
  if (rc == 0) loop->wake_ctx[loop->wake_n++] = ctx;
  pthread_mutex_unlock(&loop->wake_lock);
  if (rc == 0 && write(loop->wake_fd, &one, sizeof one) < 0 && errno != EAGAIN)
    rc = sock_errno_error("riox_wake: write(eventfd)");
  return rc;
}

void linux_wake_take(riox_loop *loop) {
  uint32_t i, done = 0;
  pthread_mutex_lock(&loop->wake_lock);
  for (i = 0; i < loop->wake_n; i++) {
    /* No room: the rest wait for a later wait (os_wait drains them first). */
    if (loop_push_wake(loop, loop->wake_ctx[i]) < 0) break;
    done++;
  }
  memmove(loop->wake_ctx, loop->wake_ctx + done, (loop->wake_n - done) * sizeof *loop->wake_ctx);
  loop->wake_n -= done;
  loop->wake_left = loop->wake_n > 0; /* read by the loop's thread only */
  pthread_mutex_unlock(&loop->wake_lock);
}

/* A context is queued before its write (riox_wake), so whoever reads a
 * count takes at least the contexts behind it; a read that finds the count
 * taken already (EAGAIN) still takes what is queued. */
void linux_wake_drain(riox_loop *loop) {
  uint64_t n;
  LOOP_OSCALL(loop);
  (void)!sys_read(loop->wake_fd, &n, sizeof n); /* EAGAIN: nothing was written */
  linux_wake_take(loop);
}

void linux_work_add(riox_sock *sock) {
  if (sock->dirty) return;
  sock->dirty = 1;
  list_insert_tail(&sock->loop->work, &sock->work);
}
