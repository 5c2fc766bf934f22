/* plat.h on Windows: QueryPerformanceCounter, GetProcessTimes, CreateThread,
 * events. */
#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#include <windows.h>

#include <stdlib.h>
#include <string.h>

#include "plat.h"

struct plat_thread {
  HANDLE h;
  void (*fn)(void *);
  void *arg;
};

struct plat_signal {
  HANDLE ev;
};

uint64_t plat_now_ns(void) {
  static LARGE_INTEGER freq; /* constant; a racing first write stores the same value */
  LARGE_INTEGER now;
  uint64_t c, f;
  if (freq.QuadPart == 0) QueryPerformanceFrequency(&freq);
  QueryPerformanceCounter(&now);
  c = (uint64_t)now.QuadPart;
  f = (uint64_t)freq.QuadPart;
  /* Split so the multiplication cannot overflow for any uptime. */
  return c / f * 1000000000u + c % f * 1000000000u / f;
}

static uint64_t plat__filetime_ns(const FILETIME *ft) {
  uint64_t t = ((uint64_t)ft->dwHighDateTime << 32) | ft->dwLowDateTime;
  return t * 100u; /* FILETIME counts 100 ns units */
}

void plat_cpu_ns(uint64_t *user, uint64_t *kernel) {
  FILETIME created, exited, k, u;
  *user = *kernel = 0;
  if (!GetProcessTimes(GetCurrentProcess(), &created, &exited, &k, &u)) return;
  *user = plat__filetime_ns(&u);
  *kernel = plat__filetime_ns(&k);
}

int plat_thread_pin(uint32_t cpu) {
  if (cpu >= 8u * sizeof(DWORD_PTR)) return -1; /* beyond the first processor group */
  return SetThreadAffinityMask(GetCurrentThread(), (DWORD_PTR)1 << cpu) != 0 ? 0 : -1;
}

int plat_under_wine(void) {
  /* Wine's ntdll exports wine_get_version; Windows' does not. */
  HMODULE ntdll = GetModuleHandleA("ntdll.dll");
  return ntdll != NULL && GetProcAddress(ntdll, "wine_get_version") != NULL;
}

/* timeBeginPeriod lives in winmm; looked up at run time so the program does
 * not depend on the DLL. */
typedef UINT(WINAPI *plat__period_fn)(UINT);
static plat__period_fn plat__period(const char *name) {
  HMODULE winmm = LoadLibraryA("winmm.dll");
  FARPROC p = winmm != NULL ? GetProcAddress(winmm, name) : NULL;
  plat__period_fn fn;
  /* Converting between function pointer types through memcpy keeps the
   * conversion well defined for every compiler. */
  if (p == NULL) return NULL;
  memcpy(&fn, &p, sizeof fn);
  return fn;
}

void plat_timer_fine_begin(void) {
  plat__period_fn fn = plat__period("timeBeginPeriod");
  if (fn != NULL) fn(1);
}

void plat_timer_fine_end(void) {
  plat__period_fn fn = plat__period("timeEndPeriod");
  if (fn != NULL) fn(1);
}

static DWORD WINAPI plat__thread_main(LPVOID arg) {
  plat_thread_t *t = (plat_thread_t *)arg;
  t->fn(t->arg);
  return 0;
}

int plat_thread_start(plat_thread_t **out, void (*fn)(void *), void *arg) {
  plat_thread_t *t = (plat_thread_t *)calloc(1, sizeof *t);
  if (t == NULL) return -1;
  t->fn = fn;
  t->arg = arg;
  t->h = CreateThread(NULL, 0, plat__thread_main, t, 0, NULL);
  if (t->h == NULL) {
    free(t);
    return -1;
  }
  *out = t;
  return 0;
}

void plat_thread_join(plat_thread_t *t) {
  if (t == NULL) return;
  WaitForSingleObject(t->h, INFINITE);
  CloseHandle(t->h);
  free(t);
}

int plat_signal_create(plat_signal_t **out) {
  plat_signal_t *s = (plat_signal_t *)calloc(1, sizeof *s);
  if (s == NULL) return -1;
  s->ev = CreateEventA(NULL, TRUE, FALSE, NULL);
  if (s->ev == NULL) {
    free(s);
    return -1;
  }
  *out = s;
  return 0;
}

void plat_signal_set(plat_signal_t *s) { SetEvent(s->ev); }

int plat_signal_wait(plat_signal_t *s, uint32_t timeout_ms) {
  return WaitForSingleObject(s->ev, timeout_ms) == WAIT_OBJECT_0;
}

void plat_signal_destroy(plat_signal_t *s) {
  if (s == NULL) return;
  CloseHandle(s->ev);
  free(s);
}
