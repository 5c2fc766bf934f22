/* The fault-site registry (fault.h, riox_test.h "Fault injection"),
 * OS-neutral, test builds only. A site is one place in riox's source that
 * makes an OS call through a fault macro; it is registered the first time
 * that place runs, in order, so a test that runs the same workload again
 * finds the same numbers. Rules armed by a test pick a site (by number or
 * by call name), a hit count and a fault; every matching pass counts as a
 * hit, and the chosen hits fail instead of calling the OS. */
#include <string.h>

#include "fault.h"

#ifdef RIOX_TEST_HOOKS
#define FAULT__MAX_SITES 256
#define FAULT__MAX_RULES 4

typedef struct fault__site {
  const char *call, *file;
  int line;
  unsigned faults;
  unsigned long hits, failed;
} fault__site_t;

typedef struct fault__rule {
  int used;
  int site;          /* -1: any site whose call is `call` */
  char call[32];
  unsigned long nth; /* the hit (1 = the next) that fails first */
  unsigned long seen;
  unsigned fault;
  int every;         /* every hit from nth on, else only the nth */
} fault__rule_t;

static fault__site_t fault__sites[FAULT__MAX_SITES];
static unsigned fault__nsites;
static fault__rule_t fault__rules[FAULT__MAX_RULES];
static unsigned long fault__injected;

static int fault__find(const char *call, const char *file, int line) {
  unsigned i;
  for (i = 0; i < fault__nsites; i++) {
    const fault__site_t *s = &fault__sites[i];
    if (s->line == line && (s->call == call || strcmp(s->call, call) == 0) &&
        (s->file == file || strcmp(s->file, file) == 0))
      return (int)i;
  }
  if (fault__nsites == FAULT__MAX_SITES) return -1;
  fault__sites[fault__nsites].call = call;
  fault__sites[fault__nsites].file = file;
  fault__sites[fault__nsites].line = line;
  return (int)fault__nsites++;
}

/* The lowest fault bit asked for that is real at the site; 0 if none. */
static unsigned fault__pick(unsigned asked, unsigned real) {
  unsigned both = asked & real;
  return both & (~both + 1u);
}

unsigned fault_hit(const char *call, const char *file, int line, unsigned faults) {
  unsigned out = 0, r;
  int k;
  os_hooks_lock();
  k = fault__find(call, file, line);
  if (k >= 0) {
    fault__site_t *s = &fault__sites[k];
    s->faults |= faults;
    s->hits++;
    for (r = 0; r < FAULT__MAX_RULES && out == 0; r++) {
      fault__rule_t *u = &fault__rules[r];
      unsigned f;
      if (!u->used) continue;
      if (u->site >= 0 ? u->site != k : strcmp(u->call, call) != 0) continue;
      f = fault__pick(u->fault, faults);
      if (f == 0) continue;
      u->seen++;
      if (u->seen == u->nth || (u->every && u->seen > u->nth)) out = f;
    }
    if (out != 0) {
      s->failed++;
      fault__injected++;
    }
  }
  os_hooks_unlock();
  return out;
}

unsigned riox_test_fault_sites(void) {
  unsigned n;
  os_hooks_lock();
  n = fault__nsites;
  os_hooks_unlock();
  return n;
}

int riox_test_fault_site(unsigned k, riox_test_fault_site_info *out) {
  int rc = RIOX_EINVAL;
  os_hooks_lock();
  if (k < fault__nsites && out != NULL) {
    const fault__site_t *s = &fault__sites[k];
    out->call = s->call;
    out->file = s->file;
    out->line = s->line;
    out->faults = s->faults;
    out->hits = s->hits;
    out->failed = s->failed;
    rc = 0;
  }
  os_hooks_unlock();
  return rc;
}

int riox_test_fault_arm(int site, const char *call, unsigned long nth, unsigned fault, int every) {
  unsigned r;
  int rc = RIOX_ENOBUFS;
  if ((site < 0 && (call == NULL || strlen(call) >= sizeof fault__rules[0].call)) || nth == 0 ||
      fault == 0)
    return RIOX_EINVAL;
  os_hooks_lock();
  for (r = 0; r < FAULT__MAX_RULES; r++) {
    fault__rule_t *u = &fault__rules[r];
    if (u->used) continue;
    memset(u, 0, sizeof *u);
    u->used = 1;
    u->site = site;
    if (site < 0) strcpy(u->call, call);
    u->nth = nth;
    u->fault = fault;
    u->every = every != 0;
    rc = 0;
    break;
  }
  os_hooks_unlock();
  return rc;
}

void riox_test_fault_disarm(void) {
  os_hooks_lock();
  memset(fault__rules, 0, sizeof fault__rules);
  os_hooks_unlock();
}

unsigned long riox_test_fault_injected(void) {
  unsigned long n;
  os_hooks_lock();
  n = fault__injected;
  os_hooks_unlock();
  return n;
}
#else
/* ISO C forbids an empty translation unit; a release build has no seam. */
typedef int fault__release_build;
#endif
