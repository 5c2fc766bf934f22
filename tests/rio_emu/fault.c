/* Call counters, fault injection and misuse reports. */
#include <stdarg.h>

#include "rio_emu_int.h"

#define FAULT__MAX 64

typedef struct fault__entry {
  LONG target; /* the call number (of its function) that is hit */
  int err;
  int kind; /* enum rio_emu_fault */
  enum rio_emu_fn fn;
  int active;
} fault__entry_t;

static volatile LONG fault__calls[RIO_EMU_FN_COUNT];
static volatile LONG fault__misuse;
/* Armed faults, guarded by the emulator lock. fault__armed lets the hot path
 * skip the lock when nothing is armed. */
static fault__entry_t fault__table[FAULT__MAX];
static volatile LONG fault__armed;

int rio_emu_fault_take(enum rio_emu_fn fn, int *err) {
  LONG n;
  int i, hit = RIO_EMU_FAULT_NONE;
  if ((unsigned)fn >= RIO_EMU_FN_COUNT) return 0;
  n = InterlockedIncrement(&fault__calls[fn]);
  if (fault__armed == 0) return 0;
  rio_emu_lock();
  for (i = 0; i < FAULT__MAX; i++) {
    fault__entry_t *f = &fault__table[i];
    if (f->active && f->fn == fn && f->target == n) {
      f->active = 0;
      InterlockedDecrement(&fault__armed);
      *err = f->err;
      hit = f->kind;
      break;
    }
  }
  rio_emu_unlock();
  return hit;
}

int rio_emu_fault_hit(enum rio_emu_fn fn, int *err) {
  return rio_emu_fault_take(fn, err) == RIO_EMU_FAULT_FAIL;
}

static int fault__is_post(enum rio_emu_fn fn) {
  return fn == RIO_EMU_FN_RECEIVE || fn == RIO_EMU_FN_RECEIVEEX || fn == RIO_EMU_FN_SEND ||
         fn == RIO_EMU_FN_SENDEX;
}

static void fault__arm(enum rio_emu_fn fn, unsigned nth, int kind, int err) {
  int i;
  rio_emu_init();
  if ((unsigned)fn >= RIO_EMU_FN_COUNT || nth == 0) return;
  rio_emu_lock();
  for (i = 0; i < FAULT__MAX; i++) {
    fault__entry_t *f = &fault__table[i];
    if (!f->active) {
      f->fn = fn;
      f->target = fault__calls[fn] + (LONG)nth;
      f->err = err;
      f->kind = kind;
      f->active = 1;
      InterlockedIncrement(&fault__armed);
      break;
    }
  }
  rio_emu_unlock();
  if (i == FAULT__MAX) fprintf(stderr, "rio-emu: more than %d faults armed; ignored\n", FAULT__MAX);
}

void rio_emu_fail_nth(enum rio_emu_fn fn, unsigned nth, int err) {
  if (fn == RIO_EMU_FN_DEREGISTER || fn == RIO_EMU_FN_CLOSE_CQ) {
    /* They return nothing: there is no way for them to fail. */
    fprintf(stderr, "rio-emu: rio_emu_fail_nth(%d): the function cannot fail; ignored\n", (int)fn);
    return;
  }
  fault__arm(fn, nth, RIO_EMU_FAULT_FAIL, err);
}

void rio_emu_pending_nth(enum rio_emu_fn fn, unsigned nth) {
  /* Only posts have a "queued, but FALSE" answer. */
  if (!fault__is_post(fn)) {
    fprintf(stderr, "rio-emu: rio_emu_pending_nth(%d): not a post function; ignored\n", (int)fn);
    return;
  }
  fault__arm(fn, nth, RIO_EMU_FAULT_PENDING, WSA_IO_PENDING);
}

void rio_emu_stuck_nth(enum rio_emu_fn fn, unsigned nth) {
  if (!fault__is_post(fn)) {
    fprintf(stderr, "rio-emu: rio_emu_stuck_nth(%d): not a post function; ignored\n", (int)fn);
    return;
  }
  fault__arm(fn, nth, RIO_EMU_FAULT_STUCK, 0);
}

void rio_emu_partial_nth(enum rio_emu_fn fn, unsigned nth, unsigned long bytes) {
  if ((fn != RIO_EMU_FN_SEND && fn != RIO_EMU_FN_SENDEX) || bytes == 0 || bytes > 0x7fffffffUL) {
    fprintf(stderr, "rio-emu: rio_emu_partial_nth(%d, %lu): not a send, or no bytes; ignored\n",
            (int)fn, bytes);
    return;
  }
  fault__arm(fn, nth, RIO_EMU_FAULT_PARTIAL, (int)bytes);
}

void rio_emu_complete_nth(enum rio_emu_fn fn, unsigned nth, int err) {
  if (!fault__is_post(fn)) {
    fprintf(stderr, "rio-emu: rio_emu_complete_nth(%d): not a post function; ignored\n", (int)fn);
    return;
  }
  fault__arm(fn, nth, RIO_EMU_FAULT_COMPLETE, err);
}

void rio_emu_reset_faults(void) {
  int i;
  rio_emu_init();
  rio_emu_lock();
  for (i = 0; i < FAULT__MAX; i++) fault__table[i].active = 0;
  InterlockedExchange(&fault__armed, 0);
  rio_emu_unlock();
}

unsigned long rio_emu_calls(enum rio_emu_fn fn) {
  if ((unsigned)fn >= RIO_EMU_FN_COUNT) return 0;
  return (unsigned long)fault__calls[fn];
}

unsigned rio_emu_misuse_count(void) { return (unsigned)fault__misuse; }

void rio_emu_misuse(const char *fmt, ...) {
  char msg[512];
  va_list ap;
  InterlockedIncrement(&fault__misuse);
  if (fmt == NULL) return; /* counted only: a repeat the caller chose not to print */
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  fprintf(stderr, "rio-emu: MISUSE: %s\n", msg);
  fflush(stderr);
}
