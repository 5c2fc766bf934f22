/* Learning that an emulator I/O has ended: one event, one thread.
 *
 * Why not a thread-pool wait per I/O (what the emulator first did): under
 * Wine every signalled wait is queued to the pool, and the pool starts a new
 * worker whenever the queued callbacks outnumber its idle workers (up to 500);
 * each wait also occupies a slot of a wait thread (63 per thread). Every Wine
 * thread holds four Unix fds (its server pipes) and about 1 MiB of memory, and
 * idle workers and empty wait threads retire only after 5 s. A burst of
 * connections closing made the process hold hundreds of fds and 100+ MiB for
 * seconds after riox had closed every socket (defect 12), which is not what
 * riox does on real RIO, where completions cost no thread at all.
 *
 * So every emulator I/O names the same auto-reset event (with the low-order
 * bit set: no completion-port packet), and one emulator thread, started once
 * and kept for the process lifetime, waits on it and checks the watched
 * OVERLAPPEDs. An I/O's status is final when OVERLAPPED.Internal is no longer
 * STATUS_PENDING (HasOverlappedIoCompleted); Wine stores Internal last, with
 * release semantics, after InternalHigh and the data, so a read of Internal
 * with acquire semantics sees a complete result (as GetOverlappedResult
 * does). Internal is written before the event is set.
 *
 * Starting an overlapped call resets its event (Windows and Wine both do), so
 * a call naming the shared event can swallow the signal of an I/O that ended
 * just before it. rio_emu_watch_called() repairs that: after each such call
 * it looks for a watched I/O that has ended and, if there is one, sets the
 * event again. Every call naming the event is made under the emulator lock,
 * as are the checks, so no end goes unnoticed. */
#include "rio_emu_int.h"

static HANDLE watch__event;
static list_node_t watch__list = {&watch__list, &watch__list};

static int watch__ended(const rio_emu_watch_t *w) {
  LONG st = (LONG)*(volatile ULONG_PTR *)&w->ov->Internal;
  MemoryBarrier(); /* acquire: pairs with Wine's release store of Internal */
  return st != (LONG)STATUS_PENDING; /* a DWORD in the SDK */
}

/* Lock held: hand every ended I/O to its function. A function may start new
 * I/O (appended to the list, checked in this pass too). */
static void watch__scan(void) {
  list_node_t *node, *tmp;
  list_for_each_safe(node, tmp, &watch__list) {
    rio_emu_watch_t *w = container_of(node, rio_emu_watch_t, node);
    if (!watch__ended(w)) continue;
    list_remove(&w->node);
    w->fn(w);
  }
}

static DWORD WINAPI watch__thread(LPVOID arg) {
  (void)arg;
  for (;;) {
    if (WaitForSingleObject(watch__event, INFINITE) != WAIT_OBJECT_0) {
      fprintf(stderr, "rio-emu: waiting for I/O failed: %lu\n", GetLastError());
      fflush(stderr);
      abort();
    }
    rio_emu_lock();
    watch__scan();
    rio_emu_unlock();
  }
}

void rio_emu_watch_init(void) {
  HANDLE thread;
  watch__event = CreateEventW(NULL, FALSE, FALSE, NULL);
  thread = watch__event != NULL ? CreateThread(NULL, 0, watch__thread, NULL, 0, NULL) : NULL;
  if (thread == NULL) {
    /* Without it no result would ever arrive: stop loudly (test support). */
    fprintf(stderr, "rio-emu: cannot start the I/O watch thread: %lu\n", GetLastError());
    fflush(stderr);
    abort();
  }
  CloseHandle(thread);
}

HANDLE rio_emu_watch_event(void) { return (HANDLE)((ULONG_PTR)watch__event | 1); }

void rio_emu_watch_add(rio_emu_watch_t *w, OVERLAPPED *ov, void (*fn)(rio_emu_watch_t *w)) {
  w->ov = ov;
  w->fn = fn;
  list_insert_tail(&watch__list, &w->node);
}

void rio_emu_watch_called(void) {
  list_node_t *node;
  for (node = watch__list.next; node != &watch__list; node = node->next) {
    if (watch__ended(container_of(node, rio_emu_watch_t, node))) {
      SetEvent(watch__event);
      return;
    }
  }
}
