/* Process-wide lazy state is initialised once, however many threads reach
 * it first at the same time (issue 9, item 3).
 *
 * Two values are made on first use and then shared by every loop: the
 * QueryPerformanceFrequency value behind every timeout (loop.c) and the
 * ntdll entry points behind AFD polls (afd.c). Each used to be set by
 * whichever threads found it unset, concurrently: a data race, in which one
 * thread can also see the second ntdll pointer still NULL after the first
 * was set. NTHREAD threads, each with its own loop, start riox_wait and
 * riox_watch at the same moment while the test hook makes each
 * initialisation take DELAY_MS; every initialisation must still have run
 * exactly once (riox_test_init_runs), and every thread must have succeeded. */
#include "harness.h"

#define WIN32_LEAN_AND_MEAN
#include <windows.h>

#include "riox_test.h"

#ifdef RIOX_HAVE_TEST_HOOKS

#define NTHREAD 8
#define DELAY_MS 100
#define INITS 2 /* QPC frequency, ntdll entry points */

typedef struct worker {
  riox_loop *loop;
  riox_sock *sock;
  HANDLE go;
  int wait_rc, watch_rc;
} worker_t;

static DWORD WINAPI worker_main(LPVOID arg) {
  worker_t *w = (worker_t *)arg;
  riox_event ev;
  WaitForSingleObject(w->go, INFINITE);
  w->wait_rc = riox_wait(w->loop, &ev, 1, 0);
  w->watch_rc = riox_watch(w->sock, RIOX_READABLE, NULL);
  return 0;
}

static int body(void) {
  static int first_pass = 1;
  worker_t w[NTHREAD];
  HANDLE th[NTHREAD], go;
  riox_loop_config cfg;
  riox_addr any = h_v4(0);
  unsigned runs0 = riox_test_init_runs();
  int i, first = first_pass;
  first_pass = 0;
  if (first) H_EQ(runs0, 0); /* nothing used them before this test */
  go = CreateEventA(NULL, TRUE, FALSE, NULL);
  H_CHECK(go != NULL);
  h_config(&cfg);
  for (i = 0; i < NTHREAD; i++) {
    memset(&w[i], 0, sizeof w[i]);
    w[i].go = go;
    H_OK(riox_loop_create(&cfg, &w[i].loop));
    H_OK(riox_udp_open(w[i].loop, &any, NULL, RIOX_SOCK_READINESS, NULL, &w[i].sock));
  }
  riox_test_set_init_delay_ms(DELAY_MS);
  for (i = 0; i < NTHREAD; i++) {
    th[i] = CreateThread(NULL, 0, worker_main, &w[i], 0, NULL);
    H_CHECK(th[i] != NULL);
  }
  SetEvent(go);
  WaitForMultipleObjects(NTHREAD, th, TRUE, INFINITE);
  riox_test_set_init_delay_ms(0);
  for (i = 0; i < NTHREAD; i++) {
    CloseHandle(th[i]);
    H_EQ(w[i].wait_rc, 0);
    H_OK(w[i].watch_rc);
    H_OK(riox_close(w[i].sock));
    riox_loop_close(w[i].loop);
  }
  CloseHandle(go);
  printf("one-time initialisations run: %u (before this pass: %u)\n", riox_test_init_runs(), runs0);
  /* The first pass runs each once; later passes find them done. */
  H_EQ(riox_test_init_runs(), INITS);
  return 0;
}

int main(void) { return h_run("test_init_once_race", body); }
#else
/* The seams this test drives exist only in test builds. */
int main(void) {
  printf("SKIP test_init_once_race: the library was built without RIOX_TEST_HOOKS\n");
  return H_SKIP;
}
#endif
