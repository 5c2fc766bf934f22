/* plat.h on Windows: Win32 threads, events and clocks; the backends are
 * iocp always, then rio where the OS has RIO, else rio-emulated where the
 * test RIO emulator is linked (Wine has no RIO). */
#include "plat.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WIN32_LEAN_AND_MEAN
#include <windows.h>

#include "riox.h"
#ifdef RIOX_WITH_RIO_EMU
#include "rio_emu.h"
#endif

uint64_t h_now_ms(void) { return (uint64_t)GetTickCount64(); }

/* QueryPerformanceCounter, split so the multiplication cannot overflow. */
uint64_t h_now_us(void) {
  static LARGE_INTEGER freq;
  LARGE_INTEGER c;
  if (freq.QuadPart == 0) QueryPerformanceFrequency(&freq);
  QueryPerformanceCounter(&c);
  return (uint64_t)(c.QuadPart / freq.QuadPart) * 1000000u +
         (uint64_t)(c.QuadPart % freq.QuadPart) * 1000000u / (uint64_t)freq.QuadPart;
}

void h_sleep_ms(unsigned ms) { Sleep(ms); }

struct h_thread {
  HANDLE handle;
  h_thread_fn fn;
  void *arg;
};

static DWORD WINAPI plat__thread_main(LPVOID p) {
  h_thread *t = (h_thread *)p;
  t->fn(t->arg);
  return 0;
}

int h_thread_start(h_thread **out, h_thread_fn fn, void *arg) {
  h_thread *t = (h_thread *)calloc(1, sizeof *t);
  *out = NULL;
  if (t == NULL) return -1;
  t->fn = fn;
  t->arg = arg;
  t->handle = CreateThread(NULL, 0, plat__thread_main, t, 0, NULL);
  if (t->handle == NULL) {
    free(t);
    return -1;
  }
  *out = t;
  return 0;
}

void h_thread_join(h_thread *t) {
  if (t == NULL) return;
  WaitForSingleObject(t->handle, INFINITE);
  CloseHandle(t->handle);
  free(t);
}

struct h_event {
  HANDLE handle;
};

h_event *h_event_new(int set) {
  h_event *e = (h_event *)calloc(1, sizeof *e);
  if (e == NULL) return NULL;
  e->handle = CreateEventA(NULL, TRUE, set ? TRUE : FALSE, NULL);
  if (e->handle == NULL) {
    free(e);
    return NULL;
  }
  return e;
}

void h_event_set(h_event *e) { SetEvent(e->handle); }

int h_event_wait(h_event *e, int timeout_ms) {
  DWORD ms = timeout_ms < 0 ? INFINITE : (DWORD)timeout_ms;
  return WaitForSingleObject(e->handle, ms) == WAIT_OBJECT_0;
}

void h_event_free(h_event *e) {
  if (e == NULL) return;
  CloseHandle(e->handle);
  free(e);
}

int h_getenv(const char *name, char *buf, size_t size) {
  DWORD n = GetEnvironmentVariableA(name, buf, (DWORD)size);
  return n > 0 && n < size;
}

void h_setenv(const char *name, const char *value) { SetEnvironmentVariableA(name, value); }

int h_windows(void) { return 1; }

/* Wine's ntdll exports wine_get_version; Windows' never does. */
int h_under_wine(void) {
  HMODULE ntdll = GetModuleHandleA("ntdll.dll");
  return ntdll != NULL && GetProcAddress(ntdll, "wine_get_version") != NULL;
}

/* Bytes in busy blocks over every heap of the process (HeapWalk). */
int h_heap_in_use(uint64_t *bytes) {
  HANDLE heaps[256];
  DWORD n = GetProcessHeaps(256, heaps), i;
  uint64_t total = 0;
  if (n > 256) n = 256;
  for (i = 0; i < n; i++) {
    PROCESS_HEAP_ENTRY e;
    if (!HeapLock(heaps[i])) continue;
    e.lpData = NULL;
    while (HeapWalk(heaps[i], &e))
      if (e.wFlags & PROCESS_HEAP_ENTRY_BUSY) total += e.cbData;
    HeapUnlock(heaps[i]);
  }
  *bytes = total;
  return 0;
}

int h_plat_backends(const char **names, int max) {
  int n = 0;
  if (n < max) names[n++] = "iocp";
  if (n < max) names[n++] = "rio";
  if (n < max) names[n++] = "rio-emulated";
  return n;
}

/* The OS's own RIO (not the emulator's table). Probed when the pass is
 * about to run, after the iocp pass, as the harness always has: a test of
 * first-use initialisation sees its first riox call in that pass. */
static int plat__os_rio(void) {
  riox_probe_report rep;
  return riox_probe(&rep) == 0 && rep.rio && !rep.rio_emulated;
}

int h_plat_usable(const char *backend, char *why, size_t size) {
  why[0] = '\0';
  if (strcmp(backend, "iocp") == 0) return 1;
  if (strcmp(backend, "rio") == 0) {
    if (plat__os_rio()) return 1;
#ifndef RIOX_WITH_RIO_EMU
    snprintf(why, size, "RIO is absent here and the emulator is not linked; ran iocp only");
#endif
    return 0; /* with the emulator linked, rio-emulated stands in */
  }
  if (strcmp(backend, "rio-emulated") == 0) {
#ifdef RIOX_WITH_RIO_EMU
    if (!plat__os_rio()) return 1;
    snprintf(why, size, "the OS has RIO: the rio pass runs instead");
#else
    snprintf(why, size, "the RIO emulator is not linked into this build");
#endif
    /* A "rio" pass stands in when it runs; nothing to say then. */
    if (getenv("RIOX_TEST_BACKEND") == NULL) why[0] = '\0';
    return 0;
  }
  snprintf(why, size, "unknown backend on Windows");
  return 0;
}

const char *h_plat_config_name(const char *backend) {
  return strncmp(backend, "rio", 3) == 0 ? "rio" : "iocp";
}

void h_plat_begin(const char *backend) {
#ifdef RIOX_WITH_RIO_EMU
  if (strcmp(backend, "rio-emulated") == 0) rio_emu_install(1);
#else
  (void)backend;
#endif
}

void h_plat_end(const char *backend) {
#ifdef RIOX_WITH_RIO_EMU
  if (strcmp(backend, "rio-emulated") == 0) rio_emu_install(0);
#else
  (void)backend;
#endif
}

unsigned h_plat_misuse(void) {
#ifdef RIOX_WITH_RIO_EMU
  return rio_emu_misuse_count();
#else
  return 0;
#endif
}
