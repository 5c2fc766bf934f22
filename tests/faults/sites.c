/* Fault-site accounting (sites.h). */
#include "sites.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "riox_test.h"

#ifndef RIOX_FAULT_SITES_TOTAL
#define RIOX_FAULT_SITES_TOTAL 0
#endif

#ifdef RIOX_HAVE_TEST_HOOKS
#define SITES__MAX 256
static unsigned long sites__failed0[SITES__MAX];

void sites_begin(void) {
  unsigned k, n = riox_test_fault_sites();
  riox_test_fault_site_info si;
  memset(sites__failed0, 0, sizeof sites__failed0);
  for (k = 0; k < n && k < SITES__MAX; k++)
    if (riox_test_fault_site(k, &si) == 0) sites__failed0[k] = si.failed;
}

const char *sites_name(unsigned k) {
  static char buf[160];
  riox_test_fault_site_info si;
  const char *f;
  if (riox_test_fault_site(k, &si) != 0) return "?";
  f = strstr(si.file, "src/");
  snprintf(buf, sizeof buf, "%s %s:%d", si.call, f != NULL ? f : si.file, si.line);
  return buf;
}

unsigned sites_report(const char *backend) {
  unsigned k, n = riox_test_fault_sites(), covered = 0, seen = 0;
  riox_test_fault_site_info si;
  for (k = 0; k < n && k < SITES__MAX; k++) {
    if (riox_test_fault_site(k, &si) != 0) continue;
    if (si.hits > 0) seen++;
    if (getenv("RIOX_FAULTS_VERBOSE") != NULL)
      printf("# site %u: %s, %lu hits, %lu failed\n", k, sites_name(k), si.hits, si.failed);
    if (si.failed > sites__failed0[k]) {
      covered++;
    } else if (si.faults != 0) {
      printf("# %s: site %u never failed: %s\n", backend, k, sites_name(k));
    }
  }
  printf("sites covered %u/%u (%s; %u sites reached)\n", covered, (unsigned)RIOX_FAULT_SITES_TOTAL,
         backend, seen);
  return covered;
}
#else
/* A build without the test hooks: test_faults skips, nothing to count. */
void sites_begin(void) {}
unsigned sites_report(const char *backend) {
  (void)backend;
  return 0;
}
const char *sites_name(unsigned k) {
  (void)k;
  return "?";
}
#endif
