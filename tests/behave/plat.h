/* What the behaviour tests need from the OS beyond riox.h, one small
 * interface implemented once per OS (plat_win.c: Win32; plat_linux.c:
 * POSIX threads and clocks). A test that uses only riox.h and this file runs
 * on every backend of every OS riox supports. */
#ifndef RIOX_TEST_PLAT_H
#define RIOX_TEST_PLAT_H

#include <stddef.h>
#include <stdint.h>

/* Milliseconds / microseconds since an arbitrary start (monotonic). */
uint64_t h_now_ms(void);
uint64_t h_now_us(void);
void h_sleep_ms(unsigned ms);

/* A thread running fn(arg); h_thread_join waits for it and frees it. */
typedef struct h_thread h_thread;
typedef void (*h_thread_fn)(void *arg);
int h_thread_start(h_thread **out, h_thread_fn fn, void *arg); /* 0, or -1 */
void h_thread_join(h_thread *t);

/* A manual-reset event: once set it stays set. h_event_wait returns 1 when
 * it is set, 0 when timeout_ms (-1 = forever) passed first. */
typedef struct h_event h_event;
h_event *h_event_new(int set); /* NULL when out of resources */
void h_event_set(h_event *e);
int h_event_wait(h_event *e, int timeout_ms);
void h_event_free(h_event *e);

/* The process environment: h_getenv copies the value (0 when unset or it
 * does not fit); h_setenv with value NULL removes the variable. */
int h_getenv(const char *name, char *buf, size_t size);
void h_setenv(const char *name, const char *value);

/* 1 on Windows (including Wine), 0 elsewhere; h_under_wine: 1 under Wine. */
int h_windows(void);
int h_under_wine(void);

/* Bytes the process's heap has handed out and not taken back; 0 and *bytes,
 * or -1 when this build cannot tell. */
int h_heap_in_use(uint64_t *bytes);

/* ---- for the harness only: the backends of this OS ------------------------
 * h_plat_backends: every backend name a pass may run on, in run order.
 * h_plat_usable: 1 when `backend` can run on this host now; 0 with the
 * reason in why (why[0] == '\0': another pass stands in, nothing to say).
 * h_plat_config_name: the name riox_loop_config.backend takes for it.
 * h_plat_begin/h_plat_end: around one pass (the RIO emulator is installed
 * for "rio-emulated"). h_plat_misuse: misuse reports so far (RIO emulator). */
int h_plat_backends(const char **names, int max);
int h_plat_usable(const char *backend, char *why, size_t size);
const char *h_plat_config_name(const char *backend);
void h_plat_begin(const char *backend);
void h_plat_end(const char *backend);
unsigned h_plat_misuse(void);

#endif
