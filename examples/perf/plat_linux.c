/* plat.h on Linux: CLOCK_MONOTONIC, getrusage, pthreads, and a one-shot
 * signal made of a mutex and a condition variable. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>

#include "plat.h"

uint64_t plat_now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void plat_cpu_ns(uint64_t *user, uint64_t *kernel) {
  struct rusage ru;
  if (getrusage(RUSAGE_SELF, &ru) != 0) {
    *user = *kernel = 0;
    return;
  }
  *user = (uint64_t)ru.ru_utime.tv_sec * 1000000000u + (uint64_t)ru.ru_utime.tv_usec * 1000u;
  *kernel = (uint64_t)ru.ru_stime.tv_sec * 1000000000u + (uint64_t)ru.ru_stime.tv_usec * 1000u;
}

int plat_under_wine(void) { return 0; }

/* Linux timers are fine-grained already. */
void plat_timer_fine_begin(void) {}
void plat_timer_fine_end(void) {}

struct plat_thread {
  pthread_t t;
  void (*fn)(void *);
  void *arg;
};

static void *plat__run(void *p) {
  plat_thread_t *t = (plat_thread_t *)p;
  t->fn(t->arg);
  return NULL;
}

int plat_thread_start(plat_thread_t **out, void (*fn)(void *), void *arg) {
  plat_thread_t *t = (plat_thread_t *)calloc(1, sizeof *t);
  if (t == NULL) return -1;
  t->fn = fn;
  t->arg = arg;
  if (pthread_create(&t->t, NULL, plat__run, t) != 0) {
    free(t);
    return -1;
  }
  *out = t;
  return 0;
}

int plat_thread_pin(uint32_t cpu) {
  cpu_set_t set;
  if (cpu >= CPU_SETSIZE) return -1;
  CPU_ZERO(&set);
  CPU_SET((int)cpu, &set);
  return pthread_setaffinity_np(pthread_self(), sizeof set, &set) == 0 ? 0 : -1;
}

void plat_thread_join(plat_thread_t *t) {
  pthread_join(t->t, NULL);
  free(t);
}

struct plat_signal {
  pthread_mutex_t lock;
  pthread_cond_t cond;
  int set;
};

int plat_signal_create(plat_signal_t **out) {
  plat_signal_t *s = (plat_signal_t *)calloc(1, sizeof *s);
  pthread_condattr_t ca;
  if (s == NULL) return -1;
  pthread_condattr_init(&ca);
  pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
  if (pthread_mutex_init(&s->lock, NULL) != 0 || pthread_cond_init(&s->cond, &ca) != 0) {
    pthread_condattr_destroy(&ca);
    free(s);
    return -1;
  }
  pthread_condattr_destroy(&ca);
  *out = s;
  return 0;
}

void plat_signal_set(plat_signal_t *s) {
  pthread_mutex_lock(&s->lock);
  s->set = 1;
  pthread_cond_broadcast(&s->cond);
  pthread_mutex_unlock(&s->lock);
}

int plat_signal_wait(plat_signal_t *s, uint32_t timeout_ms) {
  struct timespec until;
  int set;
  clock_gettime(CLOCK_MONOTONIC, &until);
  until.tv_sec += timeout_ms / 1000u;
  until.tv_nsec += (long)(timeout_ms % 1000u) * 1000000L;
  if (until.tv_nsec >= 1000000000L) {
    until.tv_sec++;
    until.tv_nsec -= 1000000000L;
  }
  pthread_mutex_lock(&s->lock);
  while (!s->set) {
    if (pthread_cond_timedwait(&s->cond, &s->lock, &until) == ETIMEDOUT) break;
  }
  set = s->set;
  pthread_mutex_unlock(&s->lock);
  return set;
}

void plat_signal_destroy(plat_signal_t *s) {
  if (s == NULL) return;
  pthread_cond_destroy(&s->cond);
  pthread_mutex_destroy(&s->lock);
  free(s);
}
