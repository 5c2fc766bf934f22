/* Fault injection, every backend (issue 13): the workload (workload.c) runs
 * once clean to find the OS-call sites it reaches (riox_test_fault_*,
 * riox_test.h); then, for each site in turn and each fault that is real
 * there, a run whose first pass of that site fails; a run where every pass
 * of it fails (the fault lifted before the final drain: riox must recover);
 * and a second-order run where this site and the next one each fail once.
 * Each run keeps the invariants of world.h (one event per posted op, in
 * order; CLOSE last, once; nothing freed early; no leak; no hang). Heap
 * growth failures ride along (riox_test_fail_alloc_nth) in one run per
 * site. Prints "sites covered N/M" for the backend.
 *
 * RIOX_FAULTS_PART=i/n runs only the sites k with k % n == i - 1 (CTest
 * splits a long backend in parts); RIOX_FAULTS_QUICK=1 (set under Wine)
 * runs the smaller workload and only the first fault of each site. Needs
 * the test hooks: a build without them skips. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "riox_test.h"
#include "sites.h"
#include "workload.h"

#ifdef RIOX_HAVE_TEST_HOOKS

static int quick, part = 1, parts = 1, runs, bad;

static void run_one(const char *what, unsigned k, int lift_before_finish) {
  char err[512];
  int rc;
  (void)lift_before_finish;
  uint64_t t0 = h_now_ms();
  runs++;
  rc = wl_run(quick, err, sizeof err);
  if (getenv("RIOX_FAULTS_VERBOSE") != NULL)
    printf("# %s at site %u (%s): %s, %llu ms\n", what, k, sites_name(k), rc ? err : "ok",
           (unsigned long long)(h_now_ms() - t0));
  riox_test_fault_disarm();
  riox_test_fail_alloc_nth(0);
  if (rc != 0) {
    bad++;
    H_FAIL("%s at site %u (%s): %s", what, k, sites_name(k), err);
  }
}

static const char *fault_name(unsigned f) {
  switch (f) {
    case RIOX_TEST_FAULT_NOMEM: return "NOMEM";
    case RIOX_TEST_FAULT_AGAIN: return "AGAIN";
    case RIOX_TEST_FAULT_MFILE: return "MFILE";
    case RIOX_TEST_FAULT_CONNRESET: return "CONNRESET";
    case RIOX_TEST_FAULT_SHORT: return "SHORT";
    default: return "INTR";
  }
}

static int test_faults(void) {
  char err[512], what[64];
  unsigned n, k, f;
  riox_test_fault_site_info si, sj;
  uint64_t t0 = h_now_ms();
  if (riox_test_fault_arm(-1, "none", 1, RIOX_TEST_FAULT_NOMEM, 0) != 0)
    return h_skip_pass("a build without the test hooks (riox_test_fault_arm)");
  riox_test_fault_disarm();
  runs = bad = 0;
  sites_begin();
  /* Clean: the sites this workload reaches. */
  if (wl_run(quick, err, sizeof err) != 0) {
    H_FAIL("the workload fails with no fault injected: %s", err);
    return 1;
  }
  /* Sites a fault run reaches for the first time (a recovery path) get
   * their own runs too: the count is read again each turn. */
  for (k = 0; k < (n = riox_test_fault_sites()); k++) {
    unsigned first = 0;
    if ((int)(k % (unsigned)parts) != part - 1) continue;
    if (riox_test_fault_site(k, &si) != 0 || si.hits == 0 || si.faults == 0) continue;
    for (f = 1; f <= RIOX_TEST_FAULT_ALL; f <<= 1) {
      if (!(si.faults & f)) continue;
      if (first == 0) first = f;
      else if (quick) break;
      (void)riox_test_fault_arm((int)k, NULL, 1, f, 0);
      snprintf(what, sizeof what, "%s once", fault_name(f));
      run_one(what, k, 0);
    }
    /* Every pass fails until the final drain. */
    (void)riox_test_fault_arm((int)k, NULL, 1, first, 1);
    wl_lift_before_finish = 1;
    snprintf(what, sizeof what, "%s every time", fault_name(first));
    run_one(what, k, 1);
    wl_lift_before_finish = 0;
    if (quick) continue;
    /* Second order: this site and the next one fail once each (the next
     * one's second pass: a recovery path), with a heap growth failing. */
    if (riox_test_fault_site((k + 1) % n, &sj) == 0 && sj.faults != 0) {
      unsigned g = sj.faults & (~sj.faults + 1u);
      (void)riox_test_fault_arm((int)k, NULL, 1, first, 0);
      (void)riox_test_fault_arm((int)((k + 1) % n), NULL, 2, g, 0);
      riox_test_fail_alloc_nth(1 + k % 4);
      /* A failing heap growth stays failing: lifted before the drain. */
      wl_lift_before_finish = 1;
      snprintf(what, sizeof what, "%s with the next site's second pass", fault_name(first));
      run_one(what, k, 0);
      wl_lift_before_finish = 0;
    }
  }
  printf("# %s: %d runs, %d broke an invariant, %llu faults injected, %llu ms\n", h_backend, runs,
         bad, (unsigned long long)riox_test_fault_injected(),
         (unsigned long long)(h_now_ms() - t0));
  {
    /* The CTest variant: uring-basic is uring without multishot. */
    const char *nm = getenv("RIOX_URING_NO_MULTISHOT");
    char label[48];
    snprintf(label, sizeof label, "%s%s", h_backend,
             nm != NULL && strcmp(nm, "1") == 0 ? "-basic" : "");
    if (parts > 1) snprintf(label + strlen(label), sizeof label - strlen(label), ", part %d/%d", part, parts);
    (void)sites_report(label);
  }
  return bad != 0;
}

int main(void) {
  const char *p = getenv("RIOX_FAULTS_PART"), *q = getenv("RIOX_FAULTS_QUICK");
  if (p != NULL && sscanf(p, "%d/%d", &part, &parts) != 2) part = parts = 1;
  if (parts < 1 || part < 1 || part > parts) part = parts = 1;
  quick = q != NULL && strcmp(q, "1") == 0;
  return h_run("test_faults", test_faults);
}
#else
/* The seams this test drives exist only in test builds. */
int main(void) {
  printf("SKIP test_faults: the library was built without RIOX_TEST_HOOKS\n");
  return H_SKIP;
}
#endif
