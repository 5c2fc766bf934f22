/* The few OS services riox-perf needs beyond riox itself: a monotonic clock,
 * process CPU time, a thread, a one-shot signal. One implementation per OS
 * (plat_win.c today); everything else in examples/perf is portable. */
#ifndef RIOX_PERF_PLAT_H
#define RIOX_PERF_PLAT_H

#include <stdint.h>

/* Monotonic nanoseconds (arbitrary origin). */
uint64_t plat_now_ns(void);
/* CPU time the whole process has used so far, in ns. */
void plat_cpu_ns(uint64_t *user, uint64_t *kernel);
/* 1 when running under Wine (the numbers then measure Wine, not Windows). */
int plat_under_wine(void);
/* Ask for 1 ms timer resolution for the process (fixed-rate pacing); undone
 * by plat_timer_fine_end. */
void plat_timer_fine_begin(void);
void plat_timer_fine_end(void);

typedef struct plat_thread plat_thread_t;
/* Start fn(arg) on a new thread: 0, or -1 when the OS refused. */
int plat_thread_start(plat_thread_t **out, void (*fn)(void *), void *arg);
/* Wait for the thread to end and free it. */
void plat_thread_join(plat_thread_t *t);
/* Pin the calling thread to processor cpu (--pin): 0, or -1. */
int plat_thread_pin(uint32_t cpu);

/* A one-shot signal between threads (set once, waited on once). Setting it
 * publishes every write made before (a full barrier). */
typedef struct plat_signal plat_signal_t;
int plat_signal_create(plat_signal_t **out);
void plat_signal_set(plat_signal_t *s);
/* 1 when set, 0 after timeout_ms. */
int plat_signal_wait(plat_signal_t *s, uint32_t timeout_ms);
void plat_signal_destroy(plat_signal_t *s);

#endif
