/* The emulator lock, handle tables and caller-serialization guards. */
#include "rio_emu_int.h"

static INIT_ONCE core__once = INIT_ONCE_STATIC_INIT;
static CRITICAL_SECTION core__lock;

static BOOL CALLBACK core__init(PINIT_ONCE once, PVOID param, PVOID *ctx) {
  WSADATA wsa;
  (void)once;
  (void)param;
  (void)ctx;
  InitializeCriticalSection(&core__lock);
  /* The emulator makes Winsock calls of its own; keep Winsock started for
   * the process lifetime (WSAStartup is reference counted). */
  if (WSAStartup(MAKEWORD(2, 2), &wsa) != 0) {
    fprintf(stderr, "rio-emu: WSAStartup failed: %d\n", WSAGetLastError());
    abort();
  }
  rio_emu_watch_init();
  return TRUE;
}

void rio_emu_init(void) { InitOnceExecuteOnce(&core__once, core__init, NULL, NULL); }

void rio_emu_lock(void) { EnterCriticalSection(&core__lock); }

void rio_emu_unlock(void) { LeaveCriticalSection(&core__lock); }

ULONG rio_emu_htab_add(rio_emu_htab_t *t, void *obj) {
  if (t->n == t->cap) {
    ULONG cap = t->cap ? t->cap * 2 : 64;
    void **slot;
    /* Ids must stay below RIO_INVALID_BUFFERID (0xFFFFFFFF). */
    if (t->cap >= 0x40000000u) return 0;
    slot = (void **)realloc(t->slot, (size_t)cap * sizeof *slot);
    if (slot == NULL) return 0;
    t->slot = slot;
    t->cap = cap;
  }
  t->slot[t->n] = obj;
  return ++t->n;
}

void *rio_emu_htab_get(const rio_emu_htab_t *t, ULONG_PTR id) {
  if (id == 0 || id > t->n) return NULL;
  return t->slot[id - 1];
}

void rio_emu_htab_clear(rio_emu_htab_t *t, ULONG_PTR id) {
  if (id != 0 && id <= t->n) t->slot[id - 1] = NULL;
}

#define CORE__GUARDS 4096 /* ids are sequential: distinct objects never share a slot in tests */

typedef struct core__guard {
  volatile LONG depth;
  volatile LONG owner; /* thread id of the first thread inside */
} core__guard_t;

static core__guard_t core__guards[2][CORE__GUARDS];
/* Concurrent-use reports printed; later ones are counted only. */
#define CORE__RACES_PRINTED 5
static volatile LONG core__races;

void rio_emu_enter(int kind, ULONG_PTR id, const char *fn) {
  core__guard_t *g = &core__guards[kind][id % CORE__GUARDS];
  const char *what = kind == RIO_EMU_GUARD_CQ ? "CQ" : "RQ";
  LONG me = (LONG)GetCurrentThreadId();
  if (InterlockedIncrement(&g->depth) == 1) {
    InterlockedExchange(&g->owner, me);
  } else if (InterlockedIncrement(&core__races) > CORE__RACES_PRINTED) {
    rio_emu_misuse(NULL); /* a racing caller repeats this thousands of times: count only */
  } else {
    /* The emulator never calls back into the caller, so a second thread
     * inside is the only way to get here. */
    rio_emu_misuse("%s %lu used by two threads at once (%s on thread %lu while thread %lu is "
                   "inside a call on it); RIO does not lock a %s: serialize the calls",
                   what, (unsigned long)id, fn, (unsigned long)me, (unsigned long)g->owner, what);
  }
}

void rio_emu_leave(int kind, ULONG_PTR id) {
  InterlockedDecrement(&core__guards[kind][id % CORE__GUARDS].depth);
}
