/* plat.h on Linux: POSIX threads and clocks; the backends riox_probe
 * reports (epoll, and uring once its backend exists). */
#define _GNU_SOURCE
#include "plat.h"

#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "riox.h"

#if defined(__SANITIZE_ADDRESS__)
#define PLAT__ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define PLAT__ASAN 1
#endif
#endif
#ifdef PLAT__ASAN
/* The sanitizer runtime's allocator interface (sanitizer/allocator_interface.h,
 * which not every compiler installs): bytes currently allocated. */
size_t __sanitizer_get_current_allocated_bytes(void);
#endif

uint64_t h_now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

uint64_t h_now_ms(void) { return h_now_us() / 1000u; }

void h_sleep_ms(unsigned ms) {
  struct timespec ts;
  ts.tv_sec = (time_t)(ms / 1000u);
  ts.tv_nsec = (long)(ms % 1000u) * 1000000L;
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
  }
}

struct h_thread {
  pthread_t id;
  h_thread_fn fn;
  void *arg;
};

static void *plat__thread_main(void *p) {
  h_thread *t = (h_thread *)p;
  t->fn(t->arg);
  return NULL;
}

int h_thread_start(h_thread **out, h_thread_fn fn, void *arg) {
  h_thread *t = (h_thread *)calloc(1, sizeof *t);
  *out = NULL;
  if (t == NULL) return -1;
  t->fn = fn;
  t->arg = arg;
  if (pthread_create(&t->id, NULL, plat__thread_main, t) != 0) {
    free(t);
    return -1;
  }
  *out = t;
  return 0;
}

void h_thread_join(h_thread *t) {
  if (t == NULL) return;
  pthread_join(t->id, NULL);
  free(t);
}

struct h_event {
  pthread_mutex_t mu;
  pthread_cond_t cv; /* on CLOCK_MONOTONIC, like h_now_ms */
  int set;
};

h_event *h_event_new(int set) {
  h_event *e = (h_event *)calloc(1, sizeof *e);
  pthread_condattr_t ca;
  if (e == NULL) return NULL;
  pthread_mutex_init(&e->mu, NULL);
  pthread_condattr_init(&ca);
  pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
  pthread_cond_init(&e->cv, &ca);
  pthread_condattr_destroy(&ca);
  e->set = set != 0;
  return e;
}

void h_event_set(h_event *e) {
  pthread_mutex_lock(&e->mu);
  e->set = 1;
  pthread_cond_broadcast(&e->cv);
  pthread_mutex_unlock(&e->mu);
}

int h_event_wait(h_event *e, int timeout_ms) {
  struct timespec until;
  int set;
  clock_gettime(CLOCK_MONOTONIC, &until);
  if (timeout_ms > 0) {
    until.tv_sec += timeout_ms / 1000;
    until.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
      until.tv_sec++;
      until.tv_nsec -= 1000000000L;
    }
  }
  pthread_mutex_lock(&e->mu);
  while (!e->set) {
    if (timeout_ms < 0) {
      pthread_cond_wait(&e->cv, &e->mu);
    } else if (pthread_cond_timedwait(&e->cv, &e->mu, &until) == ETIMEDOUT) {
      break;
    }
  }
  set = e->set;
  pthread_mutex_unlock(&e->mu);
  return set;
}

void h_event_free(h_event *e) {
  if (e == NULL) return;
  pthread_cond_destroy(&e->cv);
  pthread_mutex_destroy(&e->mu);
  free(e);
}

int h_getenv(const char *name, char *buf, size_t size) {
  const char *v = getenv(name);
  if (v == NULL || strlen(v) >= size) return 0;
  memcpy(buf, v, strlen(v) + 1);
  return 1;
}

void h_setenv(const char *name, const char *value) {
  if (value == NULL) {
    unsetenv(name);
  } else {
    setenv(name, value, 1);
  }
}

int h_windows(void) { return 0; }
int h_under_wine(void) { return 0; }

/* Under ASan (the native tree's default) malloc is the sanitizer's, which
 * counts what is live; otherwise glibc's arena statistics. */
int h_heap_in_use(uint64_t *bytes) {
#ifdef PLAT__ASAN
  *bytes = (uint64_t)__sanitizer_get_current_allocated_bytes();
#else
  struct mallinfo2 mi = mallinfo2();
  *bytes = (uint64_t)mi.uordblks + (uint64_t)mi.hblkhd;
#endif
  return 0;
}

/* Every Linux backend riox has or will have; riox_probe says which run. */
int h_plat_backends(const char **names, int max) {
  int n = 0;
  if (n < max) names[n++] = "epoll";
  if (n < max) names[n++] = "uring";
  return n;
}

int h_plat_usable(const char *backend, char *why, size_t size) {
  riox_probe_report rep;
  int rc = riox_probe(&rep), ok;
  if (rc != 0) {
    snprintf(why, size, "riox_probe failed: %s (%s)", riox_err_name(rc), riox_last_detail());
    return 0;
  }
  ok = strcmp(backend, "epoll") == 0 ? rep.epoll : strcmp(backend, "uring") == 0 ? rep.uring : 0;
  if (!ok) snprintf(why, size, "riox_probe: %s is not usable on this host (%s)", backend, rep.detail);
  return ok;
}

const char *h_plat_config_name(const char *backend) { return backend; }
void h_plat_begin(const char *backend) { (void)backend; }
void h_plat_end(const char *backend) { (void)backend; }
unsigned h_plat_misuse(void) { return 0; }
